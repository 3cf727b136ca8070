"""Statements: commission and fees, totals against the ledger, reversals, direct payments, reruns, payment."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from cases.models import LedgerEntry
from money.models import LineKind, Payment, Remittance, RemittanceLine
from money.remittances.statements import RemittanceError, latest_period_end, mark_paid, run_remittances
from tests import factories
from tests.money.remittances.conftest import add_band, pay, reverse

MARCH_END, APRIL_END = date(2026, 3, 31), date(2026, 4, 30)


def lines_of(remittance: Remittance) -> list[RemittanceLine]:
    return sorted(remittance_lines(remittance), key=lambda line: (line.kind, line.id))


def remittance_lines(remittance: Remittance) -> list[RemittanceLine]:
    from agency.db import db

    return db.session.scalars(sa.select(RemittanceLine).where(RemittanceLine.remittance_id == remittance.id)).all()


def test_commission_by_band_vat_and_fixed_fee_charged_once(db_session, creditor):
    mandate = creditor.mandates[0]
    add_band(mandate, principal=50_000, rate_bp=1_000)  # large debts: 10 %
    add_band(mandate, age=365, rate_bp=2_500)  # not reached: the cases are 60 days old
    db_session.flush()
    big = factories.case(client_row=creditor, amounts=(80_000,))
    small = factories.case(client_row=creditor, amounts=(20_000,))
    first = pay(big, 10_001, date(2026, 3, 10))
    pay(big, 5_000, date(2026, 3, 20))
    third = pay(small, 3_333, date(2026, 3, 12))
    # 10 % of 100,01 € = 10,001 € → 10,00 €; VAT 20 % → 2,00 €. 15 % of 33,33 € = 4,9995 € → 5,00 €, VAT 1,00 €.
    assert (first.commission_bp, first.commission_cents, first.commission_vat_cents) == (1_000, 1_000, 200)
    assert (third.commission_bp, third.commission_cents, third.commission_vat_cents) == (1_500, 500, 100)

    (march,) = run_remittances(MARCH_END)
    fees = [line for line in lines_of(march) if line.kind == LineKind.FIXED_FEE]
    assert sorted(line.case_id for line in fees) == sorted([big.id, small.id])
    assert {(line.amount_cents, line.commission_cents, line.vat_cents) for line in fees} == {(0, 2_500, 500)}
    assert march.commission_cents == 1_000 + 500 + 500 + 2 * 2_500
    assert march.vat_cents == 200 + 100 + 100 + 2 * 500

    pay(big, 1_000, date(2026, 4, 2))
    (april,) = run_remittances(APRIL_END)
    assert [line.kind for line in lines_of(april)] == ["payment"]  # the fee is not charged again
    assert april.period_start == date(2026, 4, 1)


def test_statement_totals_reconcile_with_ledger_and_payments(db_session, creditor):
    cases = [factories.case(client_row=creditor, amounts=(50_000,)) for _ in range(3)]
    for i, case in enumerate(cases):
        pay(case, 12_345 + i, date(2026, 3, 5 + i))
        pay(case, 1_000, date(2026, 3, 25), channel="direct")
    pay(cases[0], 999, date(2026, 4, 1))  # after the period: not in March
    (march,) = run_remittances(MARCH_END)

    trust = db_session.scalar(sa.select(sa.func.sum(Payment.amount_cents)).where(
        Payment.client_id == creditor.id, Payment.received_on <= MARCH_END, Payment.channel == "trust"))
    direct = db_session.scalar(sa.select(sa.func.sum(Payment.amount_cents)).where(
        Payment.client_id == creditor.id, Payment.received_on <= MARCH_END, Payment.channel == "direct"))
    ledger_paid = -db_session.scalar(
        sa.select(sa.func.sum(LedgerEntry.amount_cents)).join(Payment, Payment.id == LedgerEntry.payment_id)
        .where(Payment.client_id == creditor.id, Payment.received_on <= MARCH_END))
    commission = db_session.scalar(sa.select(sa.func.sum(Payment.commission_cents + Payment.commission_vat_cents))
                                   .where(Payment.client_id == creditor.id, Payment.received_on <= MARCH_END))
    assert march.trust_collected_cents == trust == 12_345 + 12_346 + 12_347
    assert march.direct_collected_cents == direct == 3_000
    assert march.trust_collected_cents + march.direct_collected_cents == ledger_paid
    assert march.commission_cents + march.vat_cents == commission + 3 * (2_500 + 500)
    assert march.net_cents == march.trust_collected_cents - march.commission_cents - march.vat_cents
    assert (march.period_start, march.period_end) == (date(2026, 3, 5), MARCH_END)
    lines = lines_of(march)
    assert sum(line.amount_cents for line in lines) == trust + direct
    assert sum(line.commission_cents for line in lines) == march.commission_cents
    assert sum(line.vat_cents for line in lines) == march.vat_cents
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "remittance.issued",
                                                          AuditEvent.subject_id == march.id))
    assert event.after["net_cents"] == march.net_cents


def test_reversal_after_remittance_is_a_negative_line_next_period(db_session, creditor):
    case = factories.case(client_row=creditor, amounts=(50_000,))
    cheque = pay(case, 20_000, date(2026, 3, 10), method="cheque")
    (march,) = run_remittances(MARCH_END)
    assert march.trust_collected_cents == 20_000
    reverse(cheque, date(2026, 4, 3))
    (april,) = run_remittances(APRIL_END)
    (line,) = lines_of(april)
    assert (line.kind, line.payment_id, line.occurred_on) == ("reversal", cheque.id, date(2026, 4, 3))
    assert (line.amount_cents, line.commission_cents, line.vat_cents) == (-20_000, -3_000, -600)
    assert (april.trust_collected_cents, april.commission_cents, april.vat_cents) == (-20_000, -3_000, -600)
    assert april.net_cents == -20_000 + 3_600


def test_direct_payments_are_offset_and_net_can_be_negative(db_session, creditor):
    case = factories.case(client_row=creditor, amounts=(500_000,))
    pay(case, 1_000, date(2026, 3, 2))
    pay(case, 100_000, date(2026, 3, 9), channel="direct")
    (march,) = run_remittances(MARCH_END)
    assert march.trust_collected_cents == 1_000
    assert march.direct_collected_cents == 100_000
    # 15 % of 1,010 € + the 25 € fee, 20 % VAT on it all.
    assert (march.commission_cents, march.vat_cents) == (15_150 + 2_500, 3_030 + 500)
    assert march.net_cents == 1_000 - 17_650 - 3_530 < 0
    direct_line = next(line for line in lines_of(march) if line.channel == "direct")
    assert direct_line.amount_cents == 100_000


def test_a_rerun_adds_nothing(db_session, creditor):
    case = factories.case(client_row=creditor, amounts=(50_000,))
    pay(case, 5_000, date(2026, 3, 10))
    (march,) = run_remittances(MARCH_END)
    count = db_session.scalar(sa.select(sa.func.count()).select_from(RemittanceLine))
    assert run_remittances(MARCH_END) == []
    assert run_remittances(date(2026, 3, 20)) == []  # an earlier end: March's statement already covers it
    # A payment dated in March but recorded late goes into the next statement, not into March's.
    late = pay(case, 700, date(2026, 3, 15))
    assert run_remittances(MARCH_END) == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(RemittanceLine)) == count
    (april,) = run_remittances(APRIL_END)
    assert [line.payment_id for line in lines_of(april)] == [late.id]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Remittance)
                             .where(Remittance.client_id == creditor.id)) == 2
    assert march.trust_collected_cents == 5_000


def test_run_limited_to_clients(db_session, creditor):
    other = factories.client()
    pay(factories.case(client_row=creditor), 1_000, date(2026, 3, 3))
    pay(factories.case(client_row=other), 2_000, date(2026, 3, 3))
    (statement,) = run_remittances(MARCH_END, [other.id])
    assert statement.client_id == other.id and statement.trust_collected_cents == 2_000
    (statement,) = run_remittances(MARCH_END)
    assert statement.client_id == creditor.id


def test_mark_paid_once_and_audited(db_session, creditor):
    manager = factories.user("manager")
    pay(factories.case(client_row=creditor), 10_000, date(2026, 3, 3))
    (march,) = run_remittances(MARCH_END)
    with pytest.raises(RemittanceError) as refused:
        mark_paid(march, paid_on=date(2026, 3, 30), reference="VIR-1", actor=manager)
    assert refused.value.field == "paid_on" and march.status == "issued"
    with pytest.raises(RemittanceError) as refused:
        mark_paid(march, paid_on=date(2026, 4, 5), reference="  ", actor=manager)
    assert refused.value.field == "reference"
    mark_paid(march, paid_on=date(2026, 4, 5), reference="VIR-2026-04-05", actor=manager)
    assert (march.status, march.paid_on, march.paid_reference, march.paid_by_id) == (
        "paid", date(2026, 4, 5), "VIR-2026-04-05", manager.id)
    with pytest.raises(RemittanceError, match="déjà marqué payé"):
        mark_paid(march, paid_on=date(2026, 4, 6), reference="VIR-again", actor=manager)
    assert march.paid_reference == "VIR-2026-04-05"
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "remittance.paid"))
    assert event.subject_id == march.id and event.after["paid_reference"] == "VIR-2026-04-05"


@pytest.mark.parametrize(("frequency", "today", "end"), [
    ("monthly", date(2026, 5, 1), date(2026, 4, 30)),
    ("monthly", date(2026, 5, 17), date(2026, 4, 30)),
    ("weekly", date(2026, 5, 4), date(2026, 5, 3)),  # a Monday: the week to Sunday
    ("weekly", date(2026, 5, 7), date(2026, 5, 3)),
    ("fortnightly", date(2026, 5, 16), date(2026, 5, 15)),
    ("fortnightly", date(2026, 5, 1), date(2026, 4, 30)),
    ("fortnightly", date(2026, 5, 15), date(2026, 4, 30)),
])
def test_latest_period_end(frequency, today, end):
    assert latest_period_end(frequency, today) == end
