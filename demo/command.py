"""`flask agency demo`: a realistic French demo dataset, loaded once (running it again adds nothing).

Natural keys make it idempotent: the agency profile is row 1, clients are found by code, users by
e-mail, and the debtors and cases are generated only while the demo clients have no case yet. The whole
load is one transaction, committed at the end.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict
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
from cases.intake import IntakeError, open_case
from cases.models import Action, Case, CaseKind, Promise
from cases.references import allocate_references
from debtors.models import ContactPoint, Debtor, Hold
from demo import content as demo_content
from demo import data as demo_data
from demo.data import CasePlan, DebtorSpec, between, business_time
from demo.money import load_money
from demo.queue import fill_queue
from demo.stories import STORIES, Story

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
        secret = demo_content.TOTP_SECRETS.get(spec.email)
        if secret and not user.totp_enabled:  # also for a demo loaded before the second factor existed
            user.totp_secret = secret
            audit.record("user.second_factor_enabled", actor=None, actor_label="demo", subject=user)
        users[spec.role] = user
    return users


def _print_logins() -> None:
    rows = [("Role", "E-mail", "Password", "Second factor key (TOTP)"),
            *((u.role, u.email, u.password, demo_content.TOTP_SECRETS.get(u.email, "-")) for u in demo_data.USERS)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    click.echo(rule)
    for n, row in enumerate(rows):
        click.echo("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            click.echo(rule)
    click.echo(rule)
    click.echo("Admins and managers then give a code of their key: add it to an authenticator app, or run")
    click.echo(".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('<key>').now())\"")


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
        story = Story(
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
