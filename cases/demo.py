"""`flask agency demo`: a realistic French demo dataset, loaded once (running it again adds nothing).

Natural keys make it idempotent: the agency profile is row 1, clients are found by code, users by
e-mail, and the debtors and cases are generated only while the demo clients have no case yet. The whole
load is one transaction, committed at the end.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from random import Random

import click
import sqlalchemy as sa
from faker import Faker

from agency import audit, clock, sms
from agency.cli import agency_cli
from agency.db import db
from agency.models import AgencyProfile, Client, Mandate, Role, User
from agency.users import UserError, create_user, find_user
from cases import demo_data, ledger
from cases.demo_content import CALL_NOTES, CLOSINGS, DISPUTES, ESCALATION, PAYMENT_MEANS
from cases.demo_data import CasePlan, DebtorSpec, between, business_time, split_cents, workday
from cases.demo_money import load_money
from cases.demo_queue import fill_queue
from cases.intake import IntakeError, open_case
from cases.models import Action, Case, CaseKind, PaymentChannel, Promise
from cases.payments.payments import record_payment
from cases.rates.posting import post_interest
from cases.references import allocate_references
from debtors.models import ContactPoint, Debtor, Hold

DEBTORS = 300
CASES = 500
DAY = timedelta(days=1)
# Demo mobiles are drawn at random among valid French numbers: sending them real texts could reach anyone.
TWILIO_REFUSAL = (
    "Twilio is configured: demo data would hold phone numbers of real people;"
    " unset TWILIO_* to load the demo."
)


@agency_cli.command("demo")
def demo_command() -> None:
    """Load the demo agency, clients, debtors, cases and one user per role."""
    if sms.twilio_enabled():
        raise click.ClickException(TWILIO_REFUSAL)
    started = time.perf_counter()
    today = clock.today()
    _ensure_profile()
    clients = _ensure_clients(today)
    try:
        users = _ensure_users(clients)
    except UserError as exc:
        raise click.ClickException(f"{exc.field}: {exc}") from exc
    if db.session.scalar(
        sa.select(Case.id).where(Case.client_id.in_([c.id for c in clients.values()])).limit(1)
    ):
        click.echo("Demo data already loaded")
    else:
        try:
            cases = load_cases(clients, users, today)
            load_money(Random(demo_data.SEED + 2), users["manager"], users["collector"], today)
        except IntakeError as exc:
            raise click.ClickException(f"{exc.field}: {exc}") from exc
        click.echo(f"Loaded {DEBTORS} debtors and {cases} cases for {len(clients)} clients.")
    db.session.commit()
    click.echo(f"Done in {time.perf_counter() - started:.1f} s.\n")
    _print_logins()


def _ensure_profile() -> None:
    if db.session.get(AgencyProfile, 1) is None:
        profile = AgencyProfile(id=1, **demo_data.agency_profile())
        db.session.add(profile)
        audit.record("agency_profile.created", actor=None, actor_label="demo", subject=profile)


def _ensure_clients(today: date) -> dict[str, Client]:
    codes = [spec.code for spec in demo_data.CLIENTS]
    found = {c.code: c for c in db.session.scalars(sa.select(Client).where(Client.code.in_(codes)))}
    for spec in demo_data.CLIENTS:
        if spec.code in found:
            continue
        client = Client(**demo_data.client_fields(spec))
        client.mandates.append(Mandate(**demo_data.mandate_fields(spec, today)))
        db.session.add(client)
        db.session.flush()
        after = {"code": client.code, "mandate": client.mandates[0].reference}
        audit.record("client.created", actor=None, actor_label="demo", subject=client, after=after)
        found[spec.code] = client
    return found


def _ensure_users(clients: dict[str, Client]) -> dict[str, User]:
    users = {}
    for spec in demo_data.USERS:
        user = find_user(spec.email)
        if user is None:
            client = clients[spec.client_code] if spec.client_code else None
            user = create_user(
                email=spec.email,
                name=spec.name,
                role=Role(spec.role),
                password=spec.password,
                client=client,
                actor=None,
            )
            after = {"email": user.email, "role": user.role}
            audit.record("user.created", actor=None, actor_label="demo", subject=user, after=after)
        users[spec.role] = user
    return users


def _print_logins() -> None:
    rows = [("Role", "E-mail", "Password"), *((u.role, u.email, u.password) for u in demo_data.USERS)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    click.echo(rule)
    for n, row in enumerate(rows):
        click.echo("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            click.echo(rule)
    click.echo(rule)


def load_cases(clients: dict[str, Client], users: dict[str, User], today: date) -> int:
    """Generate the debtors and cases with their history; return the number of cases (no commit)."""
    rng = Random(demo_data.SEED)
    fake = Faker("fr_FR")
    fake.seed_instance(demo_data.SEED)
    specs = demo_data.debtors(fake, rng, DEBTORS, today)
    plans = demo_data.case_plans(rng, specs, CASES, today)
    debtors = _insert_debtors(specs)
    cases = _open_cases(plans, clients, debtors, users["manager"])
    _place_holds(rng, specs, debtors, plans, users["manager"], today)
    promises: list[tuple[Promise, Action]] = []
    for plan, case in zip(plans, cases, strict=True):
        story = _Story(
            case, debtors[plan.debtor_index], specs[plan.debtor_index], rng, users["collector"], today
        )
        STORIES[plan.status](story)
        story.finish(plan.status)
        promises += story.promises
    db.session.flush()  # one batch of actions; promises then point at the call that obtained them
    for promise, action in promises:
        promise.action_id = action.id
    db.session.add_all(promise for promise, _ in promises)
    fill_queue(Random(demo_data.SEED + 1), cases, users["collector"])
    return len(cases)


def _insert_debtors(specs: list[DebtorSpec]) -> list[Debtor]:
    rows = [
        Debtor(
            **spec.columns(),
            contact_points=[ContactPoint(**asdict(c), source="placement") for c in spec.contacts],
        )
        for spec in specs
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _open_cases(
    plans: list[CasePlan], clients: dict[str, Client], debtors: list[Debtor], actor: User
) -> list[Case]:
    # One counter update per year instead of one per case.
    pools = {
        year: iter(allocate_references(year, n))
        for year, n in sorted(Counter(p.opened_on.year for p in plans).items())
    }
    return [
        open_case(
            client=clients[p.client_code],
            debtor=debtors[p.debtor_index],
            kind=CaseKind(p.kind),
            claims=p.claims,
            opened_on=p.opened_on,
            actor=actor,
            client_reference=p.client_reference,
            reference=next(pools[p.opened_on.year]),
        )
        for p in plans
    ]


def _place_holds(rng: Random, specs: list[DebtorSpec], debtors: list[Debtor], plans: list[CasePlan],
                 actor: User, today: date) -> None:  # fmt: skip
    last_opened = {plan.debtor_index: plan.opened_on for plan in plans}  # plans are in date order
    for index, spec in enumerate(specs):
        if spec.hold is None:
            continue
        # The hold came after the debtor's last placement, and stopped the collectors from then on.
        hold = spec.hold
        hold.started_on = between(rng, last_opened[index] + 20 * DAY, today - DAY)
        if hold.kind == "insolvency":  # BODACC publication, from which the 2-month filing runs
            hold.reference_date = hold.started_on - timedelta(days=rng.randint(3, 20))
        started_at = business_time(hold.started_on, rng)
        db.session.add(Hold(debtor_id=debtors[index].id, kind=hold.kind, reason=hold.reason,
                            reference_date=hold.reference_date, started_at=started_at,
                            created_by_id=actor.id))  # fmt: skip


# How a call attempt ends, weighted; the notes that go with each outcome are in `demo_content`.
CALL_OUTCOMES = {"no_answer": 35, "voicemail": 25, "right_party": 20, "callback": 10, "refused": 10}


@dataclass
class _Story:
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
        """Send the first letter (R124-4) a few days after placement; return its date."""
        day = self.case.opened_on + timedelta(days=self.rng.randint(1, 3))
        text = "Première lettre de relance (art. R124-4 CPCE)."
        self.act(day, "letter", "post", "sent", text, self.contact("address"), by_collector=False)
        return day

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


def _new(s: _Story) -> None:
    if s.case.opened_on + 3 * DAY < s.today:  # the first letter leaves one to three days after placement
        s.letter()


def _active(s: _Story) -> None:
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


def _promise(s: _Story) -> None:
    first = s.letter()
    said = between(s.rng, max(first + 7 * DAY, s.today - 20 * DAY), s.today - DAY)
    s.attempts(first + 7 * DAY, said - DAY)
    action = s.call(said, "promise", "Promesse de règlement obtenue, confirmation envoyée.")
    amount = s.total if s.rng.random() < 0.6 else s.total * s.rng.randint(40, 90) // 100 or 1
    s.promise(action, amount, s.today + timedelta(days=s.rng.randint(3, 30)), "pending")


def _paid(s: _Story) -> None:
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


def _closed(s: _Story) -> None:
    first = s.letter()
    closed = between(s.rng, first + 60 * DAY, s.today - DAY)
    s.attempts(first + 7 * DAY, closed - DAY)
    reason, text = s.rng.choice(CLOSINGS)
    s.note(closed, text)
    s.case.closed_on, s.case.closed_reason = closed, reason


def _dispute(s: _Story) -> None:
    first = s.letter()
    day = between(s.rng, first + 7 * DAY, s.today - DAY)
    s.attempts(first + 7 * DAY, day - DAY)
    reason = s.rng.choice(DISPUTES)
    action = s.call(day, "dispute", reason) if s.contact("phone") else s.note(day, f"Courrier reçu. {reason}")
    db.session.add(Hold(debtor_id=s.debtor.id, case_id=s.case.id, kind="dispute", reason=reason,
                        started_at=action.done_at, created_by_id=s.collector.id))  # fmt: skip


def _escalated(s: _Story) -> None:
    first = s.letter()
    notice = between(s.rng, first + 30 * DAY, s.today - 30 * DAY)
    s.attempts(first + 7 * DAY, notice - DAY)
    text = "Mise en demeure validée par un responsable."
    s.act(notice, "formal_notice", "post", "sent", text, s.contact("address"))
    s.note(notice + timedelta(days=s.rng.randint(15, 25)), ESCALATION)


def _hold(s: _Story) -> None:
    first = s.letter()
    started = s.spec.hold.started_on
    s.attempts(first + 7 * DAY, started - DAY)
    s.note(started, f"Relances suspendues. {s.spec.hold.reason}")


STORIES = {"new": _new, "active": _active, "promise": _promise, "paid": _paid, "closed": _closed,
           "dispute": _dispute, "escalated": _escalated, "hold": _hold}  # fmt: skip
