"""The demo cases' pasts: for each final status, the letters, calls, texts, notes, promises and payments
that led there, written in date order by `Story` (used by `flask agency demo`, demo.command).

Past letters are letter rows, recorded as sent outside the platform (no document: rendering hundreds of
PDFs would take minutes), so the order of letters sees them: no second first notice, a formal notice
after the first notice's deadline. The first notice is the strategy's first step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random

import sqlalchemy as sa

from agency import audit
from agency.db import db
from agency.models import User
from cases import ledger
from cases.closing.closing import close_case
from cases.interest.posting import post_interest
from cases.letters.letters import record_sent_letter
from cases.models import Action, Case, Promise
from debtors.models import ContactPoint, Debtor, Hold
from demo.content import CALL_NOTES, CLOSINGS, DISPUTES, ESCALATION, PAYMENT_MEANS
from demo.data import DebtorSpec, between, business_time, split_cents, workday
from demo.judicial import write_proceeding
from money.models import PaymentChannel
from money.payments.payments import record_payment

DAY = timedelta(days=1)
JUDGMENT_TO_BODACC = timedelta(days=10)  # an opening judgment is published in the BODACC days later

# How a call attempt ends, weighted; the notes that go with each outcome are in `demo_content`.
CALL_OUTCOMES = {"no_answer": 35, "voicemail": 25, "right_party": 20, "callback": 10, "refused": 10}


@dataclass
class Story:
    """Writes one case's past: letters, calls, texts, notes, promises and payments, in date order."""

    case: Case
    debtor: Debtor
    spec: DebtorSpec
    rng: Random
    collector: User
    today: date
    promises: list[tuple[Promise, Action]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(claim.amount_cents for claim in self.case.claims)

    def contact(self, kind: str, sms: bool = False) -> ContactPoint | None:
        """Return the debtor's first usable contact point of `kind` (texts need consent)."""
        points = (c for c in self.debtor.contact_points if c.kind == kind and c.usable)
        return next((c for c in points if c.sms_consent or not sms), None)

    def act(
        self,
        day: date,
        kind: str,
        channel: str,
        outcome: str = "",
        note: str = "",
        contact: ContactPoint | None = None,
        by_collector: bool = True,
    ) -> Action:
        """Record an action done on `day`, at a time the FR contact rules allow."""
        done_at = business_time(workday(day, self.today), self.rng)
        action = Action(case_id=self.case.id, kind=kind, channel=channel, status="done", outcome=outcome,
                        contact_point_id=contact.id if contact else None, done_at=done_at, created_at=done_at,
                        user_id=self.collector.id if by_collector else None, note=note)  # fmt: skip
        db.session.add(action)
        return action

    def note(self, day: date, text: str) -> Action:
        return self.act(day, "note", "internal", note=text)

    def letter(self) -> date:
        """Send the first letter (R124-4), the strategy's first step, a few days after placement; return its date."""
        day = self.case.opened_on + timedelta(days=self.rng.randint(1, 3))
        action = self.post(day, "first_notice", "Première lettre de relance (art. R124-4 CPCE).", by_collector=False)
        action.strategy_step = self.case.strategy_step = 1
        return day

    def post(self, day: date, kind: str, text: str, by_collector: bool = True) -> Action:
        """Send a letter of `kind` on `day`: its letter row and its action."""
        letter = record_sent_letter(self.case, kind, workday(day, self.today),
                                    actor=self.collector if by_collector else None)  # fmt: skip
        action_kind = "formal_notice" if kind == "formal_notice" else "letter"
        action = self.act(day, action_kind, "post", "sent", text, self.contact("address"), by_collector)
        action.letter_id = letter.id
        return action

    def call(self, day: date, outcome: str, note: str | None = None) -> Action:
        note = self.rng.choice(CALL_NOTES.get(outcome, ("",))) if note is None else note
        return self.act(day, "call", "phone", outcome, note, self.contact("phone"))

    def attempts(self, start: date, end: date) -> None:
        """Try to reach the debtor a few times between `start` and `end` (calls, texts, e-mails)."""
        for day in sorted(
            between(self.rng, start, end) for _ in range(self.rng.randint(0, 4)) if start <= end
        ):
            channel = self.rng.choice(("phone", "phone", "sms", "email"))
            if channel == "sms" and (point := self.contact("phone", sms=True)):
                self.act(day, "sms", "sms", self.rng.choice(("sent", "delivered")), contact=point)
            elif channel == "email" and (point := self.contact("email")):
                self.act(day, "email", "email", "sent", contact=point)
            elif self.contact("phone"):
                self.call(day, self.rng.choices(list(CALL_OUTCOMES), list(CALL_OUTCOMES.values()))[0])

    def promise(
        self, action: Action, amount: int, due_on: date, status: str, resolved_on: date | None = None
    ) -> None:
        resolved_at = business_time(resolved_on, self.rng) if resolved_on else None
        promise = Promise(case_id=self.case.id, amount_cents=amount, due_on=due_on, status=status,
                          created_at=action.done_at, created_by_id=self.collector.id,
                          resolved_at=resolved_at)  # fmt: skip
        self.promises.append((promise, action))

    def pay(self, day: date, amount: int | None = None) -> None:
        """Record a payment received on the trust account, as the bank reconciliation would; none = the rest."""
        method, note = self.rng.choice(PAYMENT_MEANS)
        if amount is None:  # the balance on that day, interest included
            post_interest(day, [self.case.id])
            amount = ledger.balance(self.case.id).outstanding
        if amount > 0:
            record_payment(self.case, amount_cents=amount, received_on=day, method=method,
                           channel=PaymentChannel.TRUST.value, idempotency_key=f"demo-{self.case.id}-{day}",
                           payer_reference=note, actor=None)  # fmt: skip

    def finish(self, status: str) -> None:
        """Set the case's final status, assignment and audit trail."""
        case = self.case
        if status in ("active", "promise", "dispute", "escalated", "hold", "paid"):
            if self.rng.random() < (0.3 if status == "paid" else 0.6):
                case.assigned_collector_id = self.collector.id
        if status != case.status:
            before, after = {"status": case.status}, {"status": status}
            audit.record(
                "case.status_changed", actor=self.collector, subject=case, before=before, after=after
            )
            case.status = status


def _new(s: Story) -> None:
    if s.case.opened_on + 3 * DAY < s.today:  # the first letter leaves one to three days after placement
        s.letter()


def _active(s: Story) -> None:
    first = s.letter()
    luck = s.rng.random()
    if luck < 0.5 and s.contact("phone"):
        said = between(s.rng, first + 10 * DAY, s.today - 40 * DAY)
        s.attempts(first + 7 * DAY, said - DAY)
        action = s.call(said, "promise", "Promesse de règlement partiel obtenue.")
        due, amount = said + 14 * DAY, s.total * s.rng.randint(10, 50) // 100 or 1
        if luck < 0.35:  # paid, in full or in part: a partial payment goes to the client's report (R124-5)
            paid = amount if luck < 0.2 else amount // 2 or 1
            s.promise(action, amount, due, "kept" if paid == amount else "partly_kept", due)
            s.pay(due, paid)
            s.note(due + DAY, "Paiement partiel signalé au client (art. R124-5 CPCE).")
        else:
            s.promise(action, amount, due, "broken", due + DAY)
            s.note(due + DAY, "Promesse non tenue : relance à prévoir.")
        s.attempts(due + 7 * DAY, s.today - DAY)
    else:
        s.attempts(first + 7 * DAY, s.today - DAY)


def _promise(s: Story) -> None:
    first = s.letter()
    said = between(s.rng, max(first + 7 * DAY, s.today - 20 * DAY), s.today - DAY)
    s.attempts(first + 7 * DAY, said - DAY)
    action = s.call(said, "promise", "Promesse de règlement obtenue, confirmation envoyée.")
    amount = s.total if s.rng.random() < 0.6 else s.total * s.rng.randint(40, 90) // 100 or 1
    s.promise(action, amount, s.today + timedelta(days=s.rng.randint(3, 30)), "pending")


def _paid(s: Story) -> None:
    first = s.letter()
    parts = s.rng.randint(1, 3)
    said = between(s.rng, first + 10 * DAY, s.today - timedelta(days=8 + 30 * (parts - 1)))
    s.attempts(first + 7 * DAY, said - DAY)
    action = s.call(said, "promise", "Accord de règlement" + (f" en {parts} fois." if parts > 1 else "."))
    amounts = split_cents(s.rng, s.total, parts)
    days = [said + timedelta(days=7 + 30 * i) for i in range(len(amounts))]
    s.promise(action, amounts[0], days[0], "kept", days[0])
    for day, amount in zip(days[:-1], amounts[:-1], strict=True):
        s.pay(day, amount)
    s.pay(days[-1])  # the rest, with the interest run up to that day
    s.note(days[-1], "Solde réglé : dossier clôturé, fonds à reverser au client.")
    s.case.closed_on, s.case.closed_reason = days[-1], "paid"


def _closed(s: Story) -> None:
    first = s.letter()
    closed = between(s.rng, first + 60 * DAY, s.today - DAY)
    s.attempts(first + 7 * DAY, closed - DAY)
    reason, text = s.rng.choice(CLOSINGS)
    s.note(closed, text)
    # Closed as a manager would (a recall is the client's: recorded by the platform), the balance written off.
    manager = None if reason == "recalled" else _manager()
    close_case(s.case, reason, actor=manager, evidence=text, on=closed)


def _manager() -> User | None:
    return db.session.scalar(sa.select(User).where(User.role == "manager").order_by(User.id).limit(1))


def _dispute(s: Story) -> None:
    first = s.letter()
    day = between(s.rng, first + 7 * DAY, s.today - DAY)
    s.attempts(first + 7 * DAY, day - DAY)
    reason = s.rng.choice(DISPUTES)
    action = s.call(day, "dispute", reason) if s.contact("phone") else s.note(day, f"Courrier reçu. {reason}")
    db.session.add(Hold(debtor_id=s.debtor.id, case_id=s.case.id, kind="dispute", reason=reason,
                        started_at=action.done_at, created_by_id=s.collector.id))  # fmt: skip


def _escalated(s: Story) -> None:
    first = s.letter()
    notice = between(s.rng, first + 30 * DAY, s.today - 30 * DAY)
    s.attempts(first + 7 * DAY, notice - DAY)
    s.post(notice, "formal_notice", "Mise en demeure validée par un responsable.")
    proposed = notice + timedelta(days=s.rng.randint(15, 25))
    s.note(proposed, ESCALATION)
    mandate = s.case.client.active_mandate(proposed)
    if mandate is not None:
        mandate.judicial_allowed = True
    write_proceeding(s.case, proposed, s.today, s.collector, s.rng)


def _hold(s: Story) -> None:
    first = s.letter()
    started = s.spec.hold.started_on
    s.attempts(first + 7 * DAY, started - DAY)
    s.note(started, f"Relances suspendues. {s.spec.hold.reason}")
    if s.spec.hold.kind == "insolvency":
        _insolvency_dates(s.debtor)


def _insolvency_dates(debtor: Debtor) -> None:
    """Give the debtor's insolvency hold both dates the BODACC shows: the date placed is the publication's,
    and the opening judgment came about ten days before it (interest stops from the judgment)."""
    hold = db.session.scalar(sa.select(Hold).where(Hold.debtor_id == debtor.id, Hold.kind == "insolvency"))
    if hold is not None and hold.bodacc_published_on is None and hold.reference_date is not None:
        hold.bodacc_published_on = hold.reference_date
        hold.reference_date = hold.reference_date - JUDGMENT_TO_BODACC


STORIES = {"new": _new, "active": _active, "promise": _promise, "paid": _paid, "closed": _closed,
           "dispute": _dispute, "escalated": _escalated, "hold": _hold}  # fmt: skip
