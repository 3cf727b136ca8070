"""`flask agency demo`: a realistic French dataset, loaded once, consistent with the ledger and the rules."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from random import Random
from zoneinfo import ZoneInfo

import phonenumbers
import pyotp
import pytest
import sqlalchemy as sa
from faker import Faker
from schwifty import IBAN
from stdnum.fr import siren, tva

from agency import clock
from agency.db import db
from agency.models import AgencyProfile, Client, User
from agency.money import format_money
from cases.ledger import balances
from cases.models import Case, CaseClosing, Claim, EntryKind, LedgerEntry
from debtors.models import ContactPoint, Debtor, Hold
from demo import content as demo_content
from demo import data as demo_data
from money.models import Payment
from tests.conftest import csrf_token, login

DEMO_CODES = [spec.code for spec in demo_data.CLIENTS]


def run_demo(app) -> str:
    result = app.test_cli_runner().invoke(args=["agency", "demo"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.output


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_demo_loads_once_and_a_second_run_adds_nothing(app, db_session):
    before = row_counts()
    first = run_demo(app)
    loaded = row_counts()
    second = run_demo(app)

    assert row_counts() == loaded
    assert "Demo data already loaded" not in first and "Demo data already loaded" in second
    for output in (first, second):  # the logins are printed at the end of every run
        for user in demo_data.USERS:
            assert f"| {user.email}" in output and f"| {user.password}" in output
    added = {name: loaded[name] - before[name] for name in loaded}
    assert added["client"] == 3 and added["agency_profile"] == 1
    assert 270 <= added["debtor"] <= 330
    assert 450 <= added["collection_case"] <= 550
    clients = db_session.scalars(sa.select(Client).where(Client.code.in_(DEMO_CODES))).all()
    assert sorted(c.code for c in clients) == sorted(DEMO_CODES)
    assert all(c.active_mandate(clock.today()) is not None for c in clients)
    assert len({c.active_mandate(clock.today()).commission_bp for c in clients}) == 3
    users = db_session.scalars(
        sa.select(User).where(User.email.in_([u.email for u in demo_data.USERS]))
    ).all()
    assert sorted(u.role for u in users) == ["admin", "client", "collector", "manager"]
    passwords = {u.email: u.password for u in demo_data.USERS}
    assert all(u.check_password(passwords[u.email]) for u in users)
    assert next(u for u in users if u.role == "client").client.code == demo_data.CLIENTS[0].code


def test_demo_refuses_to_run_when_twilio_is_configured(app, db_session):
    # Demo mobiles are random French numbers: with Twilio on, texts could reach real people.
    twilio = {
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_FROM": "+33700000001",
    }
    saved = {key: app.config[key] for key in twilio}
    clients_before = row_counts()["client"]
    app.config.update(twilio)
    try:
        result = app.test_cli_runner().invoke(args=["agency", "demo"])
    finally:
        app.config.update(saved)

    assert result.exit_code != 0
    assert (
        "Twilio is configured: demo data would hold phone numbers of real people;"
        " unset TWILIO_* to load the demo." in result.output
    )
    assert row_counts()["client"] == clients_before
    assert not db_session.scalar(sa.select(Client.id).where(Client.code.in_(DEMO_CODES)).limit(1))


def test_demo_data_is_valid_and_the_ledger_adds_up(app, client, db_session, time_machine):
    # `client` makes app.test_client() build isolated clients, one per sign-in below. The day is one the
    # shipped rate tables cover, so that every late business invoice accrues interest.
    time_machine.move_to(datetime(2026, 11, 24, 10, 30, tzinfo=ZoneInfo("Europe/Paris")))
    run_demo(app)
    profile = db_session.get(AgencyProfile, 1)
    assert siren.is_valid(profile.siren) and tva.is_valid(profile.vat_number)
    IBAN(profile.trust_iban)  # raises on a bad checksum
    assert profile.trust_bic and profile.prosecutor_declaration and profile.insurance_policy
    for creditor in db_session.scalars(sa.select(Client).where(Client.code.in_(DEMO_CODES))):
        assert siren.is_valid(creditor.siren)
        IBAN(creditor.remittance_iban)

    companies = db_session.scalars(sa.select(Debtor).where(Debtor.kind == "company")).all()
    assert companies and all(siren.is_valid(d.siren) for d in companies)
    persons = db_session.scalars(sa.select(Debtor).where(Debtor.kind == "person")).all()
    assert persons and all(d.title in ("M.", "Mme") and d.first_name and d.last_name for d in persons)
    phones = db_session.scalars(sa.select(ContactPoint.value).where(ContactPoint.kind == "phone")).all()
    for value in phones:
        number = phonenumbers.parse(value)
        assert phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == "FR"
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value
    addresses = db_session.scalars(sa.select(ContactPoint).where(ContactPoint.kind == "address")).all()
    assert {a.debtor_id for a in addresses} == {d.id for d in [*companies, *persons]}

    _assert_ledgers_add_up(db_session)
    _assert_statuses_tell_a_story(db_session)
    _assert_business_cases_show_interest(app, db_session)

    for user in demo_data.USERS:  # the printed passwords open the door, through the real login form
        assert login(app.test_client(), user.email, user.password).status_code == 302


def _assert_ledgers_add_up(db_session) -> None:
    cases = db_session.scalars(sa.select(Case).where(Case.client.has(Client.code.in_(DEMO_CODES)))).all()
    claimed = dict(
        db_session.execute(
            sa.select(Claim.case_id, sa.func.sum(Claim.amount_cents)).group_by(Claim.case_id)
        ).all()
    )
    paid = dict(
        db_session.execute(
            sa.select(LedgerEntry.case_id, -sa.func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.kind == EntryKind.PAYMENT.value)
            .group_by(LedgerEntry.case_id)
        ).all()
    )
    accessories = dict(
        db_session.execute(
            sa.select(LedgerEntry.case_id, sa.func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.kind.in_([EntryKind.INTEREST.value, EntryKind.INDEMNITY.value, EntryKind.COST.value]))
            .group_by(LedgerEntry.case_id)
        ).all()
    )
    for case_id, balance in balances([c.id for c in cases]).items():
        assert balance.principal == claimed[case_id]
        assert balance.paid == paid.get(case_id, 0)
        # Closed cases have their balance written off (other credits); titles put their costs on the debtor.
        assert balance.outstanding == (claimed[case_id] + accessories.get(case_id, 0) - paid.get(case_id, 0)
                                       - balance.other_credits)
    # Each payment is recorded as such, and its ledger entries (its allocation) add up to its amount.
    allocated = dict(
        db_session.execute(
            sa.select(LedgerEntry.payment_id, -sa.func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.payment_id.is_not(None))
            .group_by(LedgerEntry.payment_id)
        ).all()
    )
    payments = db_session.scalars(sa.select(Payment).where(Payment.case_id.in_([c.id for c in cases]))).all()
    assert payments and all(allocated[p.id] == p.amount_cents for p in payments)
    assert sum(p.amount_cents for p in payments) == sum(paid.values())
    by_status = Counter(c.status for c in cases)
    assert set(by_status) >= {"new", "active", "promise", "paid", "closed", "dispute", "hold"}
    outstanding = {cid: b.outstanding for cid, b in balances([c.id for c in cases]).items()}
    closed_with_a_closing = set(db_session.scalars(sa.select(CaseClosing.case_id).where(
        CaseClosing.status == "closed")))
    for case in cases:
        # Paid cases owe nothing; closed ones had their balance written off by their closing.
        assert (outstanding[case.id] == 0) == (case.status in ("paid", "closed")), case.reference
        assert (case.closed_on is not None) == (case.status in ("paid", "closed"))
        assert (case.id in closed_with_a_closing) == (case.status == "closed")
    assert any(0 < paid.get(c.id, 0) < claimed[c.id] for c in cases if c.status == "active")
    assert all(type(amount) is int for amount in db_session.scalars(sa.select(Claim.amount_cents)))


def _assert_statuses_tell_a_story(db_session) -> None:
    cases = db_session.scalars(sa.select(Case).where(Case.client.has(Client.code.in_(DEMO_CODES)))).all()
    holds = db_session.scalars(sa.select(Hold)).all()
    disputed = {h.case_id for h in holds if h.kind == "dispute"}
    held_debtors = {h.debtor_id for h in holds if h.kind != "dispute"}
    assert disputed == {c.id for c in cases if c.status == "dispute"}
    assert {c.debtor_id for c in cases if c.status == "hold"} == held_debtors
    assert all(c.kind == ("b2b" if c.debtor.kind == "company" else "b2c") for c in cases)
    assert any(c.assigned_collector is not None for c in cases)
    assert len({c.debtor_id for c in cases}) < len(cases)  # some debtors owe several cases
    for case in cases:
        assert all(a.done_at.tzinfo is not None for a in case.actions)
        if case.status == "promise":
            assert any(p.status == "pending" and p.due_on > clock.today() for p in case.promises)


def _assert_business_cases_show_interest(app, db_session) -> None:
    """A client claims late interest and the €40 indemnity: its open business cases carry both, on their page."""
    wholesaler = db_session.scalar(sa.select(Client).where(Client.code == "GROSSISTE"))
    mandate = wholesaler.active_mandate(clock.today())
    assert mandate.claims_penalties and mandate.claims_indemnity
    indemnities = db_session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.INDEMNITY.value)).all()
    assert indemnities and all(e.amount_cents == 4_000 for e in indemnities)
    assert len({e.claim_id for e in indemnities}) == len(indemnities)  # once per invoice
    assert all(db_session.get(Case, e.case_id).kind == "b2b" for e in indemnities)
    open_cases = db_session.scalars(sa.select(Case).where(
        Case.client_id == wholesaler.id, Case.kind == "b2b", Case.status == "active")).all()
    assert open_cases
    for case in open_cases:
        late = [claim for claim in case.claims if claim.due_date < clock.today()]
        balance = balances([case.id])[case.id]
        assert late and balance.interest > 0, case.reference
        assert balance.indemnity == 4_000 * len(late), case.reference

    case = max(open_cases, key=lambda c: len(c.claims))
    balance = balances([case.id])[case.id]
    manager = next(u for u in demo_data.USERS if u.role == "manager")
    browser = app.test_client()
    assert login(browser, manager.email, manager.password).headers["Location"].startswith("/login/code")
    # The demo's manager has the second factor the README prints: the code from its key opens the door.
    code = pyotp.TOTP(demo_content.TOTP_SECRETS[manager.email]).now()
    assert browser.post("/login/code", data={"code": code, "csrf_token": csrf_token(browser, "/login/code")}
                        ).status_code == 302
    html = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"<td>Intérêts</td><td class=\"amount\">{format_money(balance.interest)}</td>" in html
    indemnity_line = f"<td>Indemnité forfaitaire de recouvrement</td><td class=\"amount\">{format_money(balance.indemnity)}"
    assert indemnity_line in html and html.count("Indemnité forfaitaire pour frais de recouvrement (D441-5)") == len(
        case.claims)


@pytest.mark.no_db
def test_generation_is_deterministic_and_french():
    def draw() -> list:
        fake = Faker("fr_FR")
        fake.seed_instance(demo_data.SEED)
        rng = Random(demo_data.SEED)
        people = demo_data.debtors(fake, rng, 40, date(2026, 6, 1))
        return [(d.kind, d.last_name, d.company_name, d.siren, [c.value for c in d.contacts]) for d in people]

    assert draw() == draw()
    rng = Random(1)
    assert all(siren.is_valid(demo_data.random_siren(rng)) for _ in range(200))
    assert sum(demo_data.split_cents(rng, 12_345, 3)) == 12_345
    amounts = [demo_data.amount_cents(rng, business) for business in (True, False) for _ in range(500)]
    assert all(isinstance(a, int) and 3_500 <= a <= 2_500_000 for a in amounts)
