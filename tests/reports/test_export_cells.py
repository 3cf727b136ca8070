"""Every report export hands a spreadsheet text, never a formula: names come from clients' files and users."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agency.db import db
from cases.models import Action
from money.payments.payments import reverse_payment
from reports.facts import refresh_figures
from reports.monthly import produce_report
from tests import factories
from tests.hostile_cells import HOSTILE, as_read_back, column, csv_rows, neutralised, xlsx_rows

CLIENT_NAME = '=HYPERLINK("http://evil.example","Créancier")'
OPENED_ON = date(2026, 5, 4)
AS_OF = date(2026, 6, 30)


@pytest.fixture
def hostile(db_session, time_machine):
    """A client and six debtors named as formulas, one case each opened in May; a seventh case is overpaid."""
    time_machine.move_to(datetime(2026, 7, 15, 9, 0, tzinfo=UTC), tick=False)
    creditor = factories.client(name=CLIENT_NAME)
    cases = [factories.case(client_row=creditor, debtor_row=factories.debtor("company", company_name=name),
                            amounts=(10_000,), opened_on=OPENED_ON) for name in HOSTILE]
    # 150 paid on 100 owed: the case owes -50, a genuine negative amount.
    overpaid = factories.case(client_row=creditor, amounts=(10_000,), opened_on=OPENED_ON)
    factories.payment(overpaid, 15_000, received_on=date(2026, 5, 20), receipt=False)
    db_session.commit()
    return {"client": creditor, "cases": cases, "overpaid": overpaid}


def test_case_list_exports(hostile, client, login_as):
    login_as("manager")
    query = {"from": "2026-05-01", "to": "2026-05-31", "client": hostile["client"].id, "figure": "opened"}

    rows = csv_rows(client.get("/reports/cases.csv", query_string=query).get_data(as_text=True))
    assert sorted(column(rows, "Débiteur")[:6]) == sorted(neutralised(name) for name in HOSTILE)
    assert set(column(rows, "Client")) == {neutralised(CLIENT_NAME)}
    assert "-50,00" in column(rows, "Reste dû")  # a negative amount is still a number, not a quoted text

    rows = xlsx_rows(client.get("/reports/cases.xlsx", query_string=query).data)
    assert sorted(column(rows, "Débiteur")[:6]) == sorted(as_read_back(neutralised(name)) for name in HOSTILE)
    assert set(column(rows, "Client")) == {neutralised(CLIENT_NAME)}
    assert -50 in column(rows, "Reste dû")


def test_aged_balance_exports(hostile, client, login_as):
    login_as("manager")
    query = {"as_of": AS_OF.isoformat(), "client": hostile["client"].id}

    rows = csv_rows(client.get("/reports/aged.csv", query_string=query).get_data(as_text=True))
    assert column(rows, "Client") == [neutralised(CLIENT_NAME), "Total"]
    rows = xlsx_rows(client.get("/reports/aged.xlsx", query_string=query).data)
    assert column(rows, "Client") == [neutralised(CLIENT_NAME), "Total"]

    rows = csv_rows(client.get("/reports/aged/cases.csv", query_string=query).get_data(as_text=True))
    assert sorted(column(rows, "Débiteur")) == sorted(neutralised(name) for name in HOSTILE)
    assert set(column(rows, "Client")) == {neutralised(CLIENT_NAME)}
    rows = xlsx_rows(client.get("/reports/aged/cases.xlsx", query_string=query).data)
    assert sorted(column(rows, "Débiteur")) == sorted(as_read_back(neutralised(name)) for name in HOSTILE)
    assert set(column(rows, "Client")) == {neutralised(CLIENT_NAME)}
    assert {c.data_type for c in rows[1][-2:]} == {"n"}  # claims and the amount stay numbers


def test_collector_performance_export(hostile, client, login_as):
    collector = factories.user("collector", name="@SUM(1)")
    case = hostile["cases"][0]
    case.assigned_collector_id = collector.id
    db.session.add(Action(case=case, kind="call", channel="phone", status="done", outcome="right_party",
                          user_id=collector.id, done_at=datetime(2026, 6, 2, 10, 0, tzinfo=UTC)))
    paid = factories.payment(case, 5_000, received_on=date(2026, 6, 3), receipt=False)
    reverse_payment(paid, reason="Chèque impayé", on=date(2026, 6, 10), actor=None)
    db.session.commit()
    login_as("manager")

    text = client.get("/reports/collectors.csv?from=2026-06-01&to=2026-06-30&by=week").get_data(as_text=True)
    rows = csv_rows(text)
    assert set(column(rows, "Chargé de recouvrement")) == {"'@SUM(1)"}
    assert "-50,00" in column(rows, "Encaissé")  # the week of the reversal: a number below zero


def test_monthly_report_csv(hostile, client, login_as):
    alpha = hostile["client"]
    for case in hostile["cases"]:
        factories.payment(case, 2_000, received_on=date(2026, 5, 10), receipt=False)
    reverse_payment(factories.payment(hostile["cases"][0], 1_000, received_on=date(2026, 5, 11), receipt=False),
                    reason="Chèque impayé", on=date(2026, 5, 12), actor=None)
    factories.agency_profile()
    db.session.commit()
    refresh_figures()
    report = produce_report(alpha.id, date(2026, 5, 1))
    db.session.commit()
    login_as("manager")

    text = client.get(f"/reports/monthly/{report.id}.csv").get_data(as_text=True)
    assert text == report.csv_text
    rows = csv_rows(text)
    assert dict(row[:2] for row in rows if len(row) == 3)["Client"] == neutralised(CLIENT_NAME)
    payments = [row for row in rows if len(row) == 7][1:-1]  # between the payments' header and the total
    assert {neutralised(name) for name in HOSTILE} <= {row[1] for row in payments}
    assert "-10,00" in {row[6] for row in payments}  # the reversal's line: a number below zero
