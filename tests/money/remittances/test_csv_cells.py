"""The statement's CSV opens in the client's spreadsheet: names coming from placements stay plain text."""

from __future__ import annotations

from datetime import UTC, date, datetime

from money.remittances.statements import run_remittances
from tests import factories
from tests.hostile_cells import HOSTILE, csv_rows, neutralised
from tests.money.remittances.conftest import pay, reverse


def test_debtor_names_written_as_formulas_are_not_formulas_in_the_csv(db_session, creditor, client, login_as,
                                                                      time_machine):
    time_machine.move_to(datetime(2026, 4, 2, 9, 0, tzinfo=UTC), tick=False)
    for name in HOSTILE:
        case = factories.case(client_row=creditor, debtor_row=factories.debtor("company", company_name=name),
                              amounts=(50_000,))
        pay(case, 10_000, date(2026, 3, 3))
    reverse(pay(case, 2_000, date(2026, 3, 4)), date(2026, 3, 10))
    (march,) = run_remittances(date(2026, 3, 31))
    db_session.commit()
    login_as("manager")

    rows = csv_rows(client.get(f"/remittances/{march.id}.csv").get_data(as_text=True))
    assert {row[1] for row in rows[1:-1]} == {neutralised(name) for name in HOSTILE}
    # A reversal keeps its minus sign: it is a number below zero, not a quoted text.
    assert [row[6] for row in rows[1:-1] if row[2] == "annulation"] == ["-20,00"]
    assert rows[-1][6] == "600,00"
