"""Declaring a case's claim in the debtor's insolvency proceedings (C. com. L622-24 ff., R622-23).

Once a debtor's insolvency hold carries its opening judgment, the agency declares each case's claim to the
mandataire judiciaire within two months of the BODACC publication (four for a creditor outside
metropolitan France, R622-24), or the claim is lost unless relieved. The declaration states, per invoice,
what was due on the day of the judgment (principal, interest accrued until it, the €40 indemnity) and
what was not yet due with its date, how interest runs on (the judgment stops it for such debts, L622-28),
the securities, and the documents. It is prepared as a PDF stored like letters; its filing and its fate
(admitted, disputed, rejected, dividend) are recorded as they come.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.clock import today
from agency.db import db
from agency.models import AgencyProfile, User
from agency.money import format_money
from agency.pdf import render_pdf
from cases.interest.rules import explain
from cases.judicial import settings
from cases.judicial.proceedings import JudicialError
from cases.letters.documents import ASSETS_DIR
from cases.letters.storage import store_document
from cases.models import Case, ClaimStatus, EntryKind, InsolvencyClaim, LedgerEntry
from debtors.holds import add_months, read_filing_months_with
from debtors.models import Hold, HoldKind

OUTCOMES = (ClaimStatus.ADMITTED, ClaimStatus.PARTLY_ADMITTED, ClaimStatus.DISPUTED, ClaimStatus.REJECTED)
DEBITS = {EntryKind.PRINCIPAL.value: "principal", EntryKind.INDEMNITY.value: "indemnity"}


@dataclass(frozen=True)
class Line:
    """One invoice as of the opening judgment."""

    invoice: str
    issued_on: str  # ISO dates: the line is kept as JSON with the declaration
    due_on: str
    due: bool  # échu on the judgment's day, else à échoir
    principal_cents: int
    interest_cents: int
    indemnity_cents: int

    @property
    def total_cents(self) -> int:
        return self.principal_cents + self.interest_cents + self.indemnity_cents


def insolvency_hold(case: Case) -> Hold | None:
    """The debtor's active insolvency hold (the earliest), if any."""
    holds = [h for h in case.debtor.active_holds if h.kind == HoldKind.INSOLVENCY]
    return min(holds, key=lambda h: h.started_at) if holds else None


def judgment_day(hold: Hold) -> date:
    return hold.reference_date or hold.started_at.date()


# A creditor outside metropolitan France has two more months to declare (C. com. R622-24).
OVERSEAS_EXTRA_MONTHS = 2


def filing_months(published_on: date) -> int:
    """The months to declare a claim, as in force on the BODACC publication (two)."""
    return settings.number("insolvency_filing_months", published_on)


def filing_deadline(case: Case, hold: Hold, months: int | None = None) -> date | None:
    """Two months from the BODACC publication (four for a creditor outside metropolitan France); `months`, when
    given, is `filing_months` of the publication already read."""
    if hold.bodacc_published_on is None:
        return None
    months = filing_months(hold.bodacc_published_on) if months is None else months
    client = case.client
    overseas = (client.country or "FR").upper() != "FR" or (client.postcode or "").startswith(("97", "98"))
    return add_months(hold.bodacc_published_on, months + (OVERSEAS_EXTRA_MONTHS if overseas else 0))


# The debtor's page and the BODACC watch show the same deadline as the case (for a metropolitan creditor).
read_filing_months_with(filing_months)


def lines_at(case: Case, judgment_on: date) -> list[Line]:
    """Each invoice's principal, interest and indemnity still owed on the judgment's day (payments before it
    deducted where they were allocated; interest as accrued until the judgment stopped it)."""
    accrued = {c.claim_id: c.total_cents for c in explain(case, judgment_on)}
    owed: dict[int, dict[str, int]] = {c.id: {"principal": 0, "interest": accrued.get(c.id, 0), "indemnity": 0}
                                       for c in case.claims}
    rows = db.session.execute(
        sa.select(LedgerEntry.claim_id, LedgerEntry.kind, LedgerEntry.applies_to, sa.func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.case_id == case.id, LedgerEntry.effective_on < judgment_on,
               LedgerEntry.claim_id.is_not(None))
        .group_by(LedgerEntry.claim_id, LedgerEntry.kind, LedgerEntry.applies_to)
    )
    for claim_id, kind, applies_to, amount in rows:
        bucket = DEBITS.get(kind) or (applies_to if applies_to in ("principal", "interest", "indemnity") else None)
        if bucket is None and kind in (EntryKind.CREDIT_NOTE, EntryKind.WRITE_OFF):
            bucket = "principal"
        if bucket is not None and claim_id in owed:
            owed[claim_id][bucket] += int(amount)
    return [
        Line(c.invoice_number, c.issue_date.isoformat(), c.due_date.isoformat(), c.due_date < judgment_on,
             max(owed[c.id]["principal"], 0), max(owed[c.id]["interest"], 0), max(owed[c.id]["indemnity"], 0))
        for c in case.claims
    ]


def claim_of(case: Case, hold: Hold) -> InsolvencyClaim | None:
    return db.session.scalar(sa.select(InsolvencyClaim).where(InsolvencyClaim.case_id == case.id,
                                                              InsolvencyClaim.hold_id == hold.id))


def prepare_claim(case: Case, agency: AgencyProfile, *, actor: User | None, securities: str = "",
                  interest_note: str = "") -> InsolvencyClaim:
    """Compute and render the declaration (again, until it is filed: each rendering is a new file)."""
    hold = insolvency_hold(case)
    if hold is None:
        raise JudicialError(_l("The debtor is not under insolvency proceedings."))
    claim = claim_of(case, hold)
    if claim is not None and claim.status != ClaimStatus.PREPARED:
        raise JudicialError(_l("This claim was already filed: record what came of it instead."))
    judgment_on = judgment_day(hold)
    lines = lines_at(case, judgment_on)
    if claim is None:
        claim = InsolvencyClaim(reference=f"~{case.id}-{hold.id}", case_id=case.id, client_id=case.client_id,
                                hold_id=hold.id, created_by_id=actor.id if actor else None)
        db.session.add(claim)
    claim.judgment_on, claim.published_on = judgment_on, hold.bodacc_published_on
    claim.deadline_on = filing_deadline(case, hold)
    claim.lines = [asdict(line) for line in lines]
    claim.due_cents = sum(line.total_cents for line in lines if line.due)
    claim.not_due_cents = sum(line.total_cents for line in lines if not line.due)
    claim.currency = case.currency
    claim.securities = securities.strip()
    claim.interest_note = interest_note.strip() or str(_l(
        "The opening judgment stopped the running of interest (C. com. L622-28): none is claimed after it."))
    db.session.flush()
    claim.reference = f"DC-{judgment_on.year % 100:02d}-{claim.id:06d}"
    stored = store_document(render_claim(claim, agency), f"insolvency/{claim.reference}", "declaration")
    claim.file_path, claim.sha256 = stored.path, stored.sha256
    audit.record("insolvency.claim_prepared", actor=actor, subject=claim, client_id=case.client_id,
                 after={"case": case.reference, "judgment_on": judgment_on.isoformat(), "due": claim.due_cents,
                        "not_due": claim.not_due_cents, "deadline": claim.deadline_on, "sha256": claim.sha256})
    return claim


def record_filing(claim: InsolvencyClaim, filed_on: date, *, actor: User, note: str = "") -> bool:
    """Record the declaration sent to the mandataire; tell whether it was late (relief must then be asked)."""
    if claim.status != ClaimStatus.PREPARED:
        raise JudicialError(_l("The filing of this claim is already recorded."))
    if filed_on > today():
        raise JudicialError(_l("The date cannot be in the future."), "filed_on")
    if filed_on < claim.judgment_on:
        raise JudicialError(_l("A claim is declared after the opening judgment."), "filed_on")
    claim.status, claim.filed_on, claim.filed_note = ClaimStatus.FILED.value, filed_on, note.strip()
    late = claim.deadline_on is not None and filed_on > claim.deadline_on
    audit.record("insolvency.claim_filed", actor=actor, subject=claim, client_id=claim.client_id,
                 after={"filed_on": filed_on.isoformat(), "late": late, "note": claim.filed_note})
    return late


def record_outcome(claim: InsolvencyClaim, status: ClaimStatus, on: date, *, actor: User,
                   admitted_cents: int | None = None, dividend_cents: int = 0, note: str = "") -> None:
    """Record what the mandataire or the judge decided, or a dividend paid."""
    if claim.status == ClaimStatus.PREPARED:
        raise JudicialError(_l("Record the filing first."))
    if on > today() or (claim.filed_on and on < claim.filed_on):
        raise JudicialError(_l("The date must fall between the filing and today."), "outcome_on")
    if status == ClaimStatus.PARTLY_ADMITTED and not (admitted_cents and 0 < admitted_cents < claim.total_cents):
        raise JudicialError(_l("Give the amount admitted, below the amount declared."), "admitted")
    if status == ClaimStatus.DIVIDEND_PAID and dividend_cents <= 0:
        raise JudicialError(_l("Give the dividend received."), "dividend")
    before = {"status": claim.status}
    claim.status, claim.outcome_on, claim.outcome_note = status.value, on, note.strip()
    if status == ClaimStatus.ADMITTED:
        claim.admitted_cents = claim.total_cents
    elif status == ClaimStatus.PARTLY_ADMITTED:
        claim.admitted_cents = admitted_cents
    elif status == ClaimStatus.REJECTED:
        claim.admitted_cents = 0
    claim.dividend_cents += dividend_cents
    audit.record("insolvency.claim_outcome", actor=actor, subject=claim, client_id=claim.client_id, before=before,
                 after={"status": status.value, "on": on.isoformat(), "admitted": claim.admitted_cents,
                        "dividend": dividend_cents, "note": claim.outcome_note})


def render_claim(claim: InsolvencyClaim, agency: AgencyProfile, language: str = "fr") -> bytes:
    case = claim.case
    locale = {"fr": "fr_FR", "en": "en_GB"}[language]
    with force_locale(language):
        html = current_app.jinja_env.get_template("letters/judicial/insolvency_claim.html").render(
            claim=claim, case=case, client=case.client, debtor=case.debtor, agency=agency, lines=claim.lines,
            lang=language, money=lambda cents: format_money(cents, claim.currency, locale=locale),
            long_date=lambda day: format_date(day, "long", locale=locale) if day else "",
            iso_date=lambda text: format_date(date.fromisoformat(text), "short", locale=locale),
            today=today(),
        )
    return render_pdf(html, assets_dir=Path(ASSETS_DIR))
