"""Anonymising a debtor: identity, contact points, free texts and documents removed; money and audit kept.

The rows stay (cases, the ledger, payments, remittance lines and the audit trail refer to them and their
figures must stay exact, accounting and the client's statements included); what names or describes the person
is emptied. Used by the nightly retention run and by an administrator's erasure, with the same rules for
when the data must still be kept (`keep_reasons`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.db import db
from agency.db import utcnow as now
from agency.models import AuditEvent, User
from agency.storage import delete_document
from cases.ledger import balances
from cases.models import Action, Case, CaseStatus
from cases.models.judicial import CLOSED_STAGES, Proceeding
from cases.models.limitation import ClaimLimitation
from cases.models.space_links import SpaceLink
from debtors.models import ContactPoint, Debtor, DebtorKind
from money.models import AuditScrub, Payment, PaymentChannel, Remittance, RemittanceLine, RemittanceStatus
from money.personal_data.scope import DebtorData, audit_events, debtor_data, stored_files

OPEN_STATUSES = [s.value for s in CaseStatus if s.is_open]
# Refused by the database (migrations 0001 and 0020): their texts are the platform's own (entry kinds, step names).
APPEND_ONLY = frozenset({"ledger_entry", "judicial_step", "judicial_setting"})
# The identifying values of each table that are neither free texts nor documents (those go in every table, see
# `_blanked`), and what they become.
BLANKED: dict[str, dict[str, Any]] = {
    "collection_case": {"client_reference": ""},
    "claim": {"description": ""},
    "letter": {"recipient": {}},
    "sms_message": {"to_number": "", "from_number": "", "error": ""},
    "email_message": {"to_address": "", "from_address": "", "subject": "", "error": ""},
    "judicial_proceeding": {"pack_parts": None},
    "payment": {"payer_reference": "", "reversal_reason": ""},
    "bodacc_finding": {"company_name": ""},
    "note": {"hidden_reason": ""},
    "task": {"title": "—"},  # typed by staff, it may name the debtor; a task keeps a title
}
# Payload keys whose text is a code of the platform, not something said about the person.
CODE_KEYS = frozenset({
    "status", "kind", "stage", "route", "channel", "outcome", "method", "currency", "direction", "language",
    "applies_to", "purpose", "reason_code", "reference", "case", "source", "label", "origin", "action",
})
NUMBER_OR_DATE = re.compile(r"^-?[\d.,:T+\- ]*$")


class ErasureRefused(Exception):
    """The debtor's data must still be kept; `reasons` says why, in words for the administrator."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def retention_cutoff(today: date, years: int) -> date:
    """Return the last closing day that is `years` old today (29 February counts as 28 in other years)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def keep_reasons(debtor: Debtor, today: date, retention_years: int | None = None) -> list[str]:
    """Return why the debtor's data must still be kept (empty: it may be anonymised).

    With `retention_years`, a case closed less long ago is a reason too (the nightly run); an administrator's
    erasure asks without it.
    """
    cases = list(db.session.scalars(sa.select(Case).where(Case.debtor_id == debtor.id).order_by(Case.id)))
    reasons = []
    if opened := [c.reference for c in cases if c.status in OPEN_STATUSES]:
        reasons.append(_("Cases still open: %(refs)s.", refs=", ".join(opened)))
    if retention_years is not None:
        cutoff = retention_cutoff(today, retention_years)
        if recent := [c.reference for c in cases if c.closed_on is None or c.closed_on > cutoff]:
            reasons.append(_("Cases closed less than %(years)s years ago: %(refs)s.", years=retention_years,
                             refs=", ".join(recent)))
    case_ids = [c.id for c in cases]
    sums = balances(case_ids)
    unsettled = [c.reference for c in cases if sums[c.id].outstanding != 0 or sums[c.id].credit]
    if unsettled:
        reasons.append(_("Balance not settled (owed or credit to refund): %(refs)s.", refs=", ".join(unsettled)))
    reasons += _legal_holds(case_ids, today)
    return reasons


def _legal_holds(case_ids: list[int], today: date) -> list[str]:
    """Proceedings not over, money the agency still holds, claims the client may still demand."""
    if not case_ids:
        return []
    reasons = []
    proceedings = list(db.session.scalars(sa.select(Proceeding.reference).where(
        Proceeding.case_id.in_(case_ids), Proceeding.stage.not_in([s.value for s in CLOSED_STAGES]))))
    if proceedings:
        reasons.append(_("Judicial proceedings not over (an enforceable title lasts 10 years): %(refs)s.",
                         refs=", ".join(proceedings)))
    remitted = sa.select(RemittanceLine.id).join(Remittance, Remittance.id == RemittanceLine.remittance_id).where(
        RemittanceLine.payment_id == Payment.id, Remittance.status == RemittanceStatus.PAID.value)
    held = db.session.scalar(sa.select(sa.func.count()).select_from(Payment).where(
        Payment.case_id.in_(case_ids), Payment.channel == PaymentChannel.TRUST.value,
        Payment.reversed_on.is_(None), ~remitted.exists()))
    if held:
        reasons.append(_("%(count)s payments are still held on the trust account, not yet remitted to the client.",
                         count=held))
    claimable = db.session.scalars(
        sa.select(Case.reference).join(ClaimLimitation, ClaimLimitation.case_id == Case.id)
        .where(Case.id.in_(case_ids), Case.status == CaseStatus.CLOSED.value, ClaimLimitation.limitation_on >= today)
        .distinct()
    ).all()
    if claimable:
        reasons.append(_("Claims closed unpaid and not yet prescribed, which the client may still demand: "
                         "%(refs)s.", refs=", ".join(sorted(claimable))))
    return reasons


def anonymise(debtor: Debtor, actor: User | None, cause: str, note: str = "") -> dict[str, int]:
    """Remove the debtor's identity, contact points, free texts and stored documents (the caller commits).

    Idempotent: a debtor anonymised already gets nothing more and no second event.
    """
    if debtor.anonymised_at is not None:
        return {}
    data = debtor_data(debtor)
    keys = {key for _table, _id, key, _sha in stored_files(data)}
    # Stored data, not a message: the same words whatever the language of whoever asked.
    label = f"Anonymisé #{debtor.id}"
    # First, so that the rows kept append-only (notes) may have their texts emptied: their triggers allow it for
    # an anonymised debtor only.
    db.session.execute(sa.update(Debtor.__table__).where(Debtor.__table__.c.id == debtor.id).values(
        # Core, not the ORM: the model's event would fold the new name into search_name, which is to be empty.
        title="", first_name="", last_name=label if debtor.kind == DebtorKind.PERSON else "",
        company_name=label if debtor.kind == DebtorKind.COMPANY else "", siren=None, birth_date=None,
        search_name="", anonymised_at=now(),
    ))
    counts = {"rows": _blank_rows(data), "contact_points": _drop_contact_points(debtor),
              "links_revoked": _revoke_links(data),
              "audit_events": _scrub_events(data, debtor), "files": 0}
    counts["files"] = _delete_files(keys)
    audit.record("debtor.anonymised", actor=actor, subject=debtor,
                 after={"cause": cause, "note": note, **counts})
    db.session.flush()
    db.session.expire(debtor)
    return counts


def _blanked(table: sa.Table) -> dict[str, Any]:
    """The table's columns to empty: its listed ones, and for any table, free texts, file names and stored paths,
    so that a table added later with a note or a document is anonymised without a change here."""
    values: dict[str, Any] = {}
    for column in table.c:
        if column.primary_key or column.foreign_keys:
            continue
        if isinstance(column.type, sa.Text) or column.name.endswith("_path") or column.name == "filename":
            values[column.name] = None if column.nullable else ""
    return {**values, **BLANKED.get(table.name, {})}


def _blank_rows(data: DebtorData) -> int:
    changed = 0
    for table_name in data.rows:
        table = db.metadata.tables[table_name]
        ids, values = data.ids(table_name), _blanked(table)
        if not ids or not values or table_name in APPEND_ONLY or table_name == Debtor.__tablename__:
            continue
        key = table.primary_key.columns.values()[0]
        for start in range(0, len(ids), 500):
            changed += db.session.execute(sa.update(table).where(key.in_(ids[start:start + 500])).values(
                **values)).rowcount
    # The client's customer number names the person in the client's books; unique per client, hence not empty.
    reference = db.metadata.tables["debtor_reference"]
    for reference_id in data.ids("debtor_reference"):
        db.session.execute(sa.update(reference).where(reference.c.id == reference_id).values(
            external_id=f"anonymise-{reference_id}"))
    for row in data.rows.get("closing_report", []):  # the case's figures, with the debtor's name and addresses
        db.session.execute(sa.update(db.metadata.tables["closing_report"]).where(
            db.metadata.tables["closing_report"].c.id == row["id"]).values(figures=scrub(row["figures"])))
    return changed


def _drop_contact_points(debtor: Debtor) -> int:
    """Delete the contact points: an action keeps its channel and outcome, no longer the number it used."""
    points = sa.select(ContactPoint.id).where(ContactPoint.debtor_id == debtor.id)
    db.session.execute(sa.update(Action).where(Action.contact_point_id.in_(points)).values(contact_point_id=None))
    return db.session.execute(sa.delete(ContactPoint).where(ContactPoint.debtor_id == debtor.id)).rowcount


def _revoke_links(data: DebtorData) -> int:
    """End the debtor's links to their space: what it would show them no longer names them."""
    ids = data.ids(SpaceLink.__tablename__)
    if not ids:
        return 0
    return db.session.execute(sa.update(SpaceLink).where(SpaceLink.id.in_(ids), SpaceLink.revoked_at.is_(None))
                              .values(revoked_at=now())).rowcount


def scrub(value: Any, key: str = "") -> Any:
    """Return a payload with its texts emptied, keeping numbers, dates, flags and the platform's codes."""
    if isinstance(value, dict):
        return {k: scrub(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, key) for v in value]
    if isinstance(value, str) and key not in CODE_KEYS and not NUMBER_OR_DATE.match(value):
        return ""
    return value


def _scrub_events(data: DebtorData, debtor: Debtor) -> int:
    scrubbed = 0
    for batch in audit_events(data):
        done = set(db.session.scalars(sa.select(AuditScrub.audit_event_id).where(
            AuditScrub.audit_event_id.in_([e.id for e in batch]))))
        todo = [e for e in batch if e.id not in done]
        if not todo:
            continue
        # The record first: the database lets an event's payload change only once it is named here.
        db.session.add_all(AuditScrub(audit_event_id=e.id, debtor_id=debtor.id) for e in todo)
        db.session.flush()
        for event in todo:
            db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(
                before=scrub(event.before), after=scrub(event.after), ip=None))
        scrubbed += len(todo)
    return scrubbed


def _delete_files(keys: set[str]) -> int:
    """Delete the stored documents the debtor's rows named.

    No other debtor's row can name one of them: every document's folder carries its case's reference (or its
    proceeding's, claim's or row's own, themselves of the case), so a key two rows share is twice the same case's.
    Done before the commit: should the commit fail, the retry finds the rows still naming files already gone and
    deletes them again harmlessly; a document is never left behind for a debtor recorded as anonymised.
    """
    for key in sorted(keys):
        delete_document(key)
    return len(keys)


def erase(debtor: Debtor, actor: User, note: str, today: date) -> dict[str, int]:
    """Anonymise the debtor now, at an administrator's request, unless the law requires keeping the data."""
    if reasons := keep_reasons(debtor, today):
        raise ErasureRefused(reasons)
    return anonymise(debtor, actor, "erasure", note)


def retention_candidates(today: date, years: int, after_id: int, limit: int) -> list[int]:
    """Return the ids, above `after_id`, of debtors not anonymised whose cases all closed at least `years` ago."""
    cutoff = retention_cutoff(today, years)
    kept = sa.select(Case.id).where(Case.debtor_id == Debtor.id, sa.or_(
        Case.status.in_(OPEN_STATUSES), Case.closed_on.is_(None), Case.closed_on > cutoff))
    has_case = sa.select(Case.id).where(Case.debtor_id == Debtor.id)
    return list(db.session.scalars(
        sa.select(Debtor.id).where(Debtor.id > after_id, Debtor.anonymised_at.is_(None), has_case.exists(),
                                   ~kept.exists()).order_by(Debtor.id).limit(limit)))
