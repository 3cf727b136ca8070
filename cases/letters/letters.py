"""Letters to debtors: the first notice, reminders and the formal notice, from request to stored PDF.

- The first notice carries every mention of CPCE R124-4; a case has one. Every later letter prints
  its reference and date (R124-4, last paragraph).
- Letters follow each other in the order `cases.letters.sequence` sets (one first notice; a reminder
  after its deadline; a formal notice after the last letter's deadline; no demand while a promise or a
  plan runs). A letter out of order raises `LetterOutOfOrder`, unless the collector gives a reason
  for the rules that allow one: the reason goes into the letter's action and an audit event.
- A reminder asked for before any first notice is issued *as* the first notice: the first letter a
  debtor receives must carry the R124-4 mentions, so the strategy's reminder step never sends a
  letter without them.
- A letter sent outside the platform is recorded (`record_sent_letter`): no document, but its date,
  deadline and amounts count for the order of letters.
- The contact rules are asked before issuing (holds stop letters too). A refusal is recorded as a
  blocked action and raised as `LetterRefused`; commit to keep the record.
- A formal notice (mise en demeure) is created `pending_approval` and issued only when a manager
  approves it (DESIGN.md §4); a manager may reject it with a note.
- Issuing renders the PDF, stores it under the documents folder with its SHA-256, snapshots the
  amounts, deadline and window address printed, and records the action. Nothing here commits.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.clock import today
from agency.db import db, utcnow
from agency.models import AgencyProfile, User
from agency.page_reads import read_once
from cases import ledger
from cases.actions import record_action
from cases.contact_rules import may_contact, record_blocked
from cases.interest.posting import post_interest
from cases.letters.documents import (
    AmountsDue,
    amounts_due,
    letter_language,
    postal_address,
    recipient_snapshot,
    render_letter,
)
from cases.letters.sequence import Decision, letter_allowed
from cases.letters.storage import store_document
from cases.messaging.space_links import issue_link, new_token
from cases.models import (
    SENT_STATUSES,
    Action,
    ActionKind,
    ActionStatus,
    Case,
    CaseStatus,
    Letter,
    LetterKind,
    LetterStatus,
)
from debtors.compliance import Verdict
from debtors.models import ContactPoint

# Days the debtor is given to pay, counted from the date of the letter.
PAY_WITHIN_DAYS = {LetterKind.FIRST_NOTICE: 15, LetterKind.REMINDER: 8, LetterKind.FORMAL_NOTICE: 8}
ACTION_KIND = {
    LetterKind.FIRST_NOTICE: ActionKind.LETTER,
    LetterKind.REMINDER: ActionKind.LETTER,
    LetterKind.FORMAL_NOTICE: ActionKind.FORMAL_NOTICE,
}
# No amicable letter once the case is closed, paid or handed to a judicial procedure.
NO_LETTER_STATUSES = (CaseStatus.PAID, CaseStatus.CLOSED, CaseStatus.ESCALATED)


class LetterError(ValueError):
    """The letter cannot be created, approved or rejected; the message says why, for the user."""


class LetterRefused(LetterError):
    """The contact rules refuse a letter now; `action` is the blocked action recorded, if any."""

    def __init__(self, verdict: Verdict, action: Action | None = None) -> None:
        super().__init__(verdict.detail or verdict.reason)
        self.verdict, self.action = verdict, action


class LetterOutOfOrder(LetterError):
    """The letter would break the order of letters (`decision` says which rules, and whether a reason may
    let it go)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.explanation)
        self.decision = decision


@read_once(key=lambda case: case.id)
def first_notice_of(case: Case) -> Letter | None:
    """Return the case's first notice sent, whose reference and date later contacts repeat."""
    return db.session.scalar(
        sa.select(Letter)
        .where(Letter.case_id == case.id, Letter.kind == LetterKind.FIRST_NOTICE.value,
               Letter.status.in_(SENT_STATUSES))
        .order_by(Letter.id)
        .limit(1)
    )


def letters_of(case: Case, *, issued_only: bool = False) -> list[Letter]:
    """Return the case's letters, newest first (only the ones sent if asked)."""
    query = sa.select(Letter).where(Letter.case_id == case.id).order_by(Letter.id.desc())
    if issued_only:
        query = query.where(Letter.status.in_(SENT_STATUSES))
    return list(db.session.scalars(query))


def pending_count() -> int:
    """Return how many formal notices wait for a manager."""
    return db.session.scalar(
        sa.select(sa.func.count(Letter.id)).where(Letter.status == LetterStatus.PENDING_APPROVAL.value)
    ) or 0


def pending_letters() -> list[Letter]:
    """Return the formal notices waiting for a manager, oldest first."""
    return list(db.session.scalars(
        sa.select(Letter).where(Letter.status == LetterStatus.PENDING_APPROVAL.value).order_by(Letter.id)
    ))


def create_letter(
    case: Case, kind: str, *, actor: User | None, strategy_step: int | None = None, override_reason: str = ""
) -> Letter:
    """Create a letter of `kind` for `case`: issue it now, or (formal notice) propose it for approval.

    With a `strategy_step`, a second call for the same step returns the letter of the first one. A letter
    out of order is refused unless `override_reason` is given and the rules broken allow one.
    """
    _lock(case)
    if strategy_step is not None and (earlier := _letter_of_step(case, strategy_step)) is not None:
        return earlier
    decision = letter_allowed(case, kind, today())
    override_reason = (override_reason or "").strip()
    if not decision.allowed and not (override_reason and decision.overridable):
        raise LetterOutOfOrder(decision)
    first = first_notice_of(case)
    kind = LetterKind(decision.kind)
    note = "" if decision.allowed else _("Sent out of order (%(rules)s). Reason given: %(reason)s",
                                         rules=decision.explanation, reason=override_reason)
    profile = agency_profile()
    amounts = _amounts_due(case)
    address = _allowed_address(case, ACTION_KIND[kind], actor=actor, strategy_step=strategy_step)
    letter = Letter(
        case=case,
        client_id=case.client_id,
        kind=kind.value,
        reference=_next_reference(case),
        language=letter_language(case.debtor),
        first_notice=first,
        currency=case.currency,
        created_by=actor,
    )
    _set_amounts(letter, amounts)
    if kind is LetterKind.FORMAL_NOTICE:
        _propose(letter, address, actor=actor, strategy_step=strategy_step, note=note)
    else:
        _issue(letter, profile, address, amounts, actor=actor)
        record_action(case, ACTION_KIND[kind].value, "post", actor=actor, contact_point_id=address.id,
                      letter_id=letter.id, strategy_step=strategy_step, note=note)
    if note:
        audit.record("letter.order_overridden", actor=actor, subject=letter, after={
            "kind": letter.kind, "rules": ",".join(r.code for r in decision.refusals),
            "reason": override_reason[:500]})
    return letter


def record_sent_letter(case: Case, kind: str, issued_on: date, *, actor: User | None) -> Letter:
    """Record a letter sent outside the platform on `issued_on`, with the amounts owed then; no document.

    It must fit the order of letters as of that day. The caller records the action that sent it.
    """
    decision = letter_allowed(case, kind, issued_on)
    if not decision.allowed:
        raise LetterOutOfOrder(decision)
    kind_sent = LetterKind(decision.kind)
    address = postal_address(case.debtor)
    language = letter_language(case.debtor)
    letter = Letter(
        case=case, client_id=case.client_id, kind=kind_sent.value, status=LetterStatus.RECORDED.value,
        reference=_next_reference(case), language=language, first_notice=first_notice_of(case),
        currency=case.currency, created_by=actor, issued_on=issued_on,
        pay_by=issued_on + timedelta(days=PAY_WITHIN_DAYS[kind_sent]),
        recipient=recipient_snapshot(case.debtor, address, language) if address else {},
    )
    _set_amounts(letter, amounts_due(ledger.balance(case.id)))
    db.session.add(letter)
    db.session.flush()
    audit.record("letter.recorded", actor=actor, subject=letter, after={
        "reference": letter.reference, "kind": letter.kind, "issued_on": issued_on,
        "principal": letter.principal_cents, "interest": letter.interest_cents, "other": letter.other_cents})
    return letter


def approve_letter(letter: Letter, *, actor: User) -> Letter:
    """Issue a formal notice a manager approves: rendered, stored and sent with today's figures."""
    if letter.status != LetterStatus.PENDING_APPROVAL.value:
        raise LetterError(_("This letter is not awaiting approval."))
    case = letter.case
    _lock(case)
    # The order was checked when it was proposed; a promise or a plan agreed since stops the demand.
    running = [r for r in letter_allowed(case, letter.kind, today()).refusals if r.stops_demands]
    if running:
        raise LetterOutOfOrder(Decision(letter.kind, tuple(running)))
    profile = agency_profile()
    amounts = _amounts_due(case)
    address = postal_address(case.debtor)
    verdict = letter_verdict(case, address)
    if not verdict.allowed:
        raise LetterRefused(verdict)
    _issue(letter, profile, address, amounts, actor=actor)
    _decide(letter, actor, "")
    action = _action_of(letter)
    action.status, action.done_at, action.contact_point_id = ActionStatus.DONE.value, utcnow(), address.id
    audit.record("letter.approved", actor=actor, subject=letter,
                 after={"reference": letter.reference, "action_id": action.id, "action_status": action.status})
    return letter


def reject_letter(letter: Letter, *, actor: User, note: str) -> Letter:
    """Refuse a proposed formal notice, saying why; it will never be sent."""
    note = (note or "").strip()
    if not note:
        raise LetterError(_("Say why the formal notice is rejected."))
    if letter.status != LetterStatus.PENDING_APPROVAL.value:
        raise LetterError(_("This letter is not awaiting approval."))
    before = {"status": letter.status}
    letter.status = LetterStatus.REJECTED.value
    _decide(letter, actor, note)
    action = _action_of(letter)
    action.status, action.note = ActionStatus.CANCELLED.value, note
    audit.record("letter.rejected", actor=actor, subject=letter, before=before,
                 after={"status": letter.status, "note": note[:200], "action_status": action.status})
    return letter


def preview_letter(letter: Letter) -> bytes:
    """Render a pending formal notice as it would be issued today, marked as a draft; store nothing."""
    if letter.status != LetterStatus.PENDING_APPROVAL.value:
        raise LetterError(_("Only a letter awaiting approval has a preview."))
    case = letter.case
    address = postal_address(case.debtor)
    if address is None:
        raise LetterError(_("The debtor has no usable postal address."))
    draft = Letter(case=case, kind=letter.kind, reference=letter.reference, language=letter.language,
                   first_notice=letter.first_notice, currency=letter.currency)
    amounts = amounts_due(ledger.balance(case.id))
    _date_and_address(draft, address)
    return render_letter(draft, agency_profile(), amounts, draft=True)


def agency_profile() -> AgencyProfile:
    """Return the agency profile, refusing when it lacks what every letter must print (R124-2, R124-4)."""
    profile = db.session.get(AgencyProfile, 1)
    required = ("name", "address_line1", "postcode", "city", "trust_iban")
    if profile is None or not all(getattr(profile, field) for field in required):
        raise LetterError(_("Fill in the agency profile (name, address, trust account IBAN) before sending "
                            "letters: every letter must print them."))
    return profile


def _amounts_due(case: Case) -> AmountsDue:
    if CaseStatus(case.status) in NO_LETTER_STATUSES:
        raise LetterError(_("No letter on a closed, paid or escalated case."))
    if not (case.client.address_line1 and case.client.city):
        raise LetterError(_("The creditor's address is missing: every letter must print it."))
    post_interest(today(), [case.id])  # the letter prints interest up to the day it is issued
    amounts = amounts_due(ledger.balance(case.id))
    if amounts.total <= 0:
        raise LetterError(_("Nothing is owed on this case."))
    return amounts


def letter_verdict(case: Case, address: ContactPoint | None) -> Verdict:
    """Ask the contact rules whether a letter may go to `address` now (no address: a clear refusal)."""
    verdict = may_contact(case, "post", contact_point=address, about_dispute=False)
    if verdict.allowed and address is None:
        verdict = Verdict(False, "no_contact_point")
    if verdict.reason == "no_contact_point":
        verdict = dataclasses.replace(verdict, detail=_("The debtor has no postal address: add one before "
                                                        "sending a letter."))
    return verdict


def _allowed_address(case: Case, kind: ActionKind, *, actor: User | None, strategy_step: int | None) -> ContactPoint:
    address = postal_address(case.debtor)
    verdict = letter_verdict(case, address)
    if not verdict.allowed:
        action = record_blocked(case, kind.value, "post", verdict, actor=actor, contact_point=address,
                                strategy_step=strategy_step)
        raise LetterRefused(verdict, action)
    return address


def _propose(
    letter: Letter, address: ContactPoint, *, actor: User | None, strategy_step: int | None, note: str = ""
) -> Letter:
    letter.status = LetterStatus.PENDING_APPROVAL.value
    db.session.add(letter)
    db.session.flush()
    record_action(letter.case, ActionKind.FORMAL_NOTICE.value, "post", actor=actor,
                  status=ActionStatus.PENDING_APPROVAL.value, contact_point_id=address.id,
                  letter_id=letter.id, strategy_step=strategy_step, note=note)
    audit.record("letter.proposed", actor=actor, subject=letter,
                 after={"reference": letter.reference, "kind": letter.kind, "total_cents": letter.total_cents})
    return letter


def _issue(
    letter: Letter, profile: AgencyProfile, address: ContactPoint, amounts: AmountsDue, *, actor: User | None
) -> None:
    """Render and store the letter as of today, then mark it issued."""
    _date_and_address(letter, address)
    _set_amounts(letter, amounts)
    token, url = new_token()  # printed with its QR code
    pdf = render_letter(letter, profile, amounts, link=url)
    stored = store_document(pdf, f"letters/{letter.issued_on.year}/{letter.case.reference}", letter.reference)
    letter.file_path, letter.sha256, letter.size_bytes = stored.path, stored.sha256, stored.size_bytes
    letter.status = LetterStatus.ISSUED.value
    db.session.add(letter)
    db.session.flush()  # the audit event names the letter by id
    issue_link(letter.case, "letter", token, actor=actor, letter_id=letter.id)
    audit.record("letter.issued", actor=actor, subject=letter, after={
        "reference": letter.reference, "kind": letter.kind, "sha256": letter.sha256, "size": letter.size_bytes,
        "principal": letter.principal_cents, "interest": letter.interest_cents, "other": letter.other_cents,
    })


def _date_and_address(letter: Letter, address: ContactPoint) -> None:
    letter.issued_on = today()
    letter.pay_by = letter.issued_on + timedelta(days=PAY_WITHIN_DAYS[LetterKind(letter.kind)])
    letter.recipient = recipient_snapshot(letter.case.debtor, address, letter.language)


def _set_amounts(letter: Letter, amounts: AmountsDue) -> None:
    letter.principal_cents, letter.interest_cents, letter.other_cents = (
        amounts.principal, amounts.interest, amounts.other)


def _decide(letter: Letter, actor: User, note: str) -> None:
    letter.decided_at, letter.decided_by, letter.decision_note = utcnow(), actor, note


def _action_of(letter: Letter) -> Action:
    """Return the action recorded when the letter was proposed (recording one if it went missing)."""
    action = db.session.scalars(sa.select(Action).where(Action.letter_id == letter.id).order_by(Action.id)).first()
    if action is None:
        action = record_action(letter.case, ACTION_KIND[LetterKind(letter.kind)].value, "post", actor=None,
                               status=ActionStatus.PENDING_APPROVAL.value, letter_id=letter.id)
    return action


def _letter_of_step(case: Case, step: int) -> Letter | None:
    action = db.session.scalar(sa.select(Action).where(Action.case_id == case.id, Action.strategy_step == step))
    if action is None:
        return None
    if action.letter_id is None:
        raise LetterRefused(Verdict(False, action.reason or action.status, action.note), action)
    return db.session.get(Letter, action.letter_id)


def _next_reference(case: Case) -> str:
    count = db.session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == case.id)) or 0
    return f"{case.reference}-L{count + 1}"


def _lock(case: Case) -> None:
    """Take the case's row lock (PostgreSQL) so two requests cannot both number or send the same letter."""
    db.session.execute(sa.select(Case.id).where(Case.id == case.id).with_for_update())
