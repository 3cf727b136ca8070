"""The dashboard's pages: the figures shown, tenant scope, and exports equal to the list on the screen."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl

from agency.clock import today
from tests import factories
from tests.reports.dashboard_portfolio import (
    PERIOD,
    close_some,
    dash_fixture,  # noqa: F401 (the fixture `dash`)
)

ROW_RE = re.compile(r'<tr data-testid="report-case"[^>]*>(.*?)</tr>', re.S)
CELL_RE = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def _figure(page: str, key: str) -> str:
    # A card's number carries value-<key>; a table's figure-<key>.
    match = (re.search(rf'data-testid="value-{key}"[^>]*>(.*?)</div>', page, re.S)
             or re.search(rf'data-testid="figure-{key}"[^>]*>(.*?)</(?:a|td)>', page, re.S))
    assert match, key
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(match.group(1))).split())


def _screen_rows(page: str) -> list[list[str]]:
    rows = []
    for row in ROW_RE.findall(page):
        cells = [" ".join(re.sub(r"<[^>]+>", "", html.unescape(c)).split()) for c in CELL_RE.findall(row)]
        # Amounts as a French spreadsheet reads them: "1 000,00 €" -> "1000,00".
        rows.append([re.sub(r"[\s\u202f\u00a0€]", "", c) if c.endswith("€") else c for c in cells])
    return rows


def test_manager_sees_the_hand_computed_figures(client, login_as, dash):
    login_as("manager")
    page = client.get("/reports", query_string={**PERIOD, "client": dash["a"].id}).get_data(as_text=True)
    assert "Tableau de bord" in page
    assert _figure(page, "recovery_rate") == "25,6 %"
    assert _figure(page, "placed") == "4 300,00 €"
    assert _figure(page, "collected") == "1 100,00 €"
    assert _figure(page, "contact_rate") == "40,0 %"
    assert _figure(page, "kept_rate") == "33,3 %"
    assert _figure(page, "days") == "moyenne 23,7 j · médiane 16,0 j"
    assert _figure(page, "opened") == "4"
    assert "<svg" in page and "Courbes de liquidation" in page and "Mois depuis la remise" in page
    assert 'data-month="2026-01"' in page and "46,7\u202f%" in page  # the table beside the chart


def test_all_clients_count_both_portfolios(client, login_as, dash):
    login_as("admin")
    page = client.get("/reports", query_string=PERIOD).get_data(as_text=True)
    assert _figure(page, "placed") == "14 299,00 €"  # 4,300.00 + 9,999.00


def test_client_user_sees_only_its_own_figures(client, login_as, dash):
    login_as("client", client_row=dash["a"])
    page = client.get("/reports", query_string=PERIOD).get_data(as_text=True)
    assert _figure(page, "placed") == "4 300,00 €"
    assert 'id="collector"' not in page and 'id="client"' not in page
    listing = client.get("/reports/cases", query_string={**PERIOD, "figure": "opened"}).get_data(as_text=True)
    assert {r[0] for r in _screen_rows(listing)} == {dash[k].reference for k in ("c1", "c2", "c3", "c4")}
    assert "Chargé de recouvrement" not in listing  # no collector column for client users


def test_client_user_gets_404_on_another_clients_figures(client, login_as, dash):
    login_as("client", client_row=dash["a"])
    other = {**PERIOD, "client": dash["b"].id, "figure": "opened"}
    for url in ("/reports", "/reports/cases", "/reports/cases.csv", "/reports/cases.xlsx"):
        assert client.get(url, query_string=other).status_code == 404, url
    placement_b = factories.placement(dash["b"])
    from agency.db import db

    db.session.commit()
    assert client.get("/reports/cases", query_string={**PERIOD, "placement": placement_b.id}).status_code == 404


def test_channel_drill_down_lists_the_credited_cases(client, login_as, dash):
    login_as("manager")
    query = {**PERIOD, "client": dash["a"].id}
    sms = client.get("/reports/cases", query_string={**query, "figure": "channel-sms"}).get_data(as_text=True)
    assert [r[0] for r in _screen_rows(sms)] == [dash["c1"].reference]
    none = client.get("/reports/cases", query_string={**query, "figure": "channel-none"}).get_data(as_text=True)
    assert [r[0] for r in _screen_rows(none)] == [dash["c2"].reference]
    hold = client.get("/reports/cases", query_string={**query, "figure": "hold"}).get_data(as_text=True)
    assert [r[0] for r in _screen_rows(hold)] == [dash["c1"].reference]


def test_csv_and_xlsx_equal_the_screen(client, login_as, dash):
    login_as("manager")
    query = {**PERIOD, "client": dash["a"].id, "figure": "opened"}
    screen = _screen_rows(client.get("/reports/cases", query_string=query).get_data(as_text=True))
    assert len(screen) == 4
    assert screen[0][0] == dash["c1"].reference and screen[0][-3:] == ["1000,00", "500,00", "500,00"]

    response = client.get("/reports/cases.csv", query_string=query)
    assert response.headers["Content-Disposition"].endswith('.csv"')
    assert response.headers["Cache-Control"] == "private, no-store"  # a client's cases: no shared cache
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Dossier", "Client", "Débiteur", "Ouvert le", "Statut", "Chargé de recouvrement", "Remis",
                       "Encaissé", "Reste dû"]
    assert rows[1:] == screen

    book = openpyxl.load_workbook(io.BytesIO(client.get("/reports/cases.xlsx", query_string=query).data))
    sheet = list(book.active.iter_rows(values_only=True))
    assert list(sheet[0]) == rows[0]

    def cell(value) -> str:
        if value is None:
            return ""
        if hasattr(value, "strftime"):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, int | float):
            return f"{value:.2f}".replace(".", ",")
        return str(value)

    assert [[cell(v) for v in line] for line in sheet[1:]] == screen


def test_a_manager_recomputes_the_figures_now(client, login_as, dash, db_session, run_jobs):
    from datetime import date

    from agency.models import AuditEvent
    from tests.conftest import csrf_token

    user = login_as("manager")
    factories.payment(dash["c4"], 4_000, date(2026, 6, 1))
    db_session.commit()
    query = {**PERIOD, "client": dash["a"].id}
    assert _figure(client.get("/reports", query_string=query).get_data(as_text=True), "collected") == "1 100,00 €"
    assert client.post("/reports/refresh", query_string=query, data={}).status_code == 400  # no CSRF token
    token = csrf_token(client, "/reports")
    response = client.post("/reports/refresh", query_string=query, data={"csrf_token": token})
    assert response.status_code == 302
    run_jobs()  # real mode: the worker recomputes; embedded mode: it already has
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _figure(page, "collected") == "1 140,00 €"
    assert db_session.query(AuditEvent).filter_by(action="reports.refresh_requested", actor_id=user.id).count() == 1


def test_client_users_may_not_recompute(client, login_as, dash):
    login_as("client", client_row=dash["a"])
    page = client.get("/reports", query_string=PERIOD).get_data(as_text=True)
    assert 'data-testid="refresh"' not in page
    from tests.conftest import csrf_token

    assert client.post("/reports/refresh", data={"csrf_token": csrf_token(client, "/reports")}).status_code == 403


def test_a_bad_period_is_named_and_the_default_one_shown(client, login_as, dash):
    login_as("manager")
    response = client.get("/reports", query_string={"from": "2026-13-45", "to": "2026-01-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<div class="invalid-feedback">Ouverts du: [^<]+</div>', page)
    assert f'value="{today().year}-01-01"' in page  # the period fell back to this year
    response = client.get("/reports", query_string={"from": "2026-06-30", "to": "2026-01-01"})
    assert "La fin de la période précède son début." in response.get_data(as_text=True)


CLOSED_ROW_RE = re.compile(r'<tr data-reason="([^"]*)"><td><a href="([^"]+)"[^>]*>([^<]*)</a></td>'
                           r'<td class="amount">(\d+)</td><td[^>]*>([^<]*)</td></tr>')


def _closed_rows(page: str) -> list[tuple[str, str, str, str, str]]:
    return [(code, html.unescape(href), label, n, amount.replace("\u202f", " ").replace("\xa0", " "))
            for code, href, label, n, amount in CLOSED_ROW_RE.findall(page)]


def test_closed_unpaid_by_reason_links_to_its_cases_and_their_export(client, login_as, dash):
    closings = close_some(dash)
    login_as("manager")
    query = {**PERIOD, "client": dash["a"].id}
    page = client.get("/reports", query_string=query).get_data(as_text=True)
    rows = {code: (href, label, n) for code, href, label, n, _amount in _closed_rows(page)}
    assert set(rows) == {"unfindable", "client_agreement"}  # c1 was reopened
    assert rows["unfindable"][1:] == ("Débiteur introuvable", "1")  # a built-in reason, translated
    assert rows["client_agreement"][1:] == ("Accord commercial du client", "1")  # the agency's own words
    assert "800,00" in page and "Clos impayés, par motif" in page
    assert _figure(page, "closed") == "2"

    listing = client.get(rows["unfindable"][0]).get_data(as_text=True)
    assert [r[0] for r in _screen_rows(listing)] == [dash["c3"].reference]
    assert "Dossiers clos impayés : Débiteur introuvable" in listing
    assert "figure=closed-unfindable" in listing  # the exports keep the figure
    export = client.get("/reports/cases.csv", query_string={**query, "figure": "closed-client_agreement"})
    lines = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [line[0] for line in lines[1:]] == [dash["c4"].reference]
    book = openpyxl.load_workbook(io.BytesIO(
        client.get("/reports/cases.xlsx", query_string={**query, "figure": "closed-unfindable"}).data))
    assert [r[0] for r in list(book.active.iter_rows(values_only=True))[1:]] == [dash["c3"].reference]
    assert closings["c3"].written_off_cents > 0


def test_a_client_user_sees_its_own_closed_cases_by_reason(client, login_as, dash):
    close_some(dash)
    login_as("client", client_row=dash["b"])
    page = client.get("/reports", query_string=PERIOD).get_data(as_text=True)
    rows = _closed_rows(page)
    assert [(code, label, n, amount) for code, _href, label, n, amount in rows] == [
        ("client_agreement", "Accord commercial du client", "1", "8 999,00 €")]  # client B's case only: 9,999 less 1,000 paid
    listing = client.get(rows[0][1]).get_data(as_text=True)
    assert [r[0] for r in _screen_rows(listing)] == [dash["other"].reference]
    export = client.get("/reports/cases.csv", query_string={**PERIOD, "figure": "closed-client_agreement"})
    assert dash["c4"].reference not in export.get_data(as_text=True)
    other = {**PERIOD, "client": dash["a"].id, "figure": "closed-client_agreement"}
    assert client.get("/reports/cases", query_string=other).status_code == 404


def test_no_case_closed_unpaid_and_an_unknown_reason(client, login_as, dash):
    login_as("manager")
    page = client.get("/reports", query_string=PERIOD).get_data(as_text=True)
    assert "Aucun dossier clos impayé." in page and 'data-testid="closed-reasons"' not in page
    listing = client.get("/reports/cases", query_string={**PERIOD, "figure": "closed-nothing_like_it"})
    assert listing.status_code == 200 and _screen_rows(listing.get_data(as_text=True)) == []
    too_long = client.get("/reports/cases", query_string={**PERIOD, "figure": "closed-" + "x" * 41})
    assert too_long.status_code == 200  # an unknown figure falls back to the cases opened
