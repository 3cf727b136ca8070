"""The aged balance: buckets on their boundaries, per-client totals, history, exports equal to the screen, scope."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from agency.money import format_money
from cases.intake import ClaimInput, open_case
from cases.models import CaseKind
from reports.aged import BUCKET_KEYS, aged_balance, aged_cases, bucket_of
from reports.aged_jobs import refresh_aged_job
from reports.aged_models import ChannelCase, ChannelRefresh
from reports.aged_snapshot import latest_snapshot, refresh_aged, snapshot_balance, snapshot_cases
from reports.channel_cases import latest_channel_refresh
from reports.drilldown import case_rows
from reports.facts import refresh_figures
from reports.figures import NO_CONTACT
from reports.filters import Filters
from tests import factories
from tests.reports.dashboard_portfolio import (
    PERIOD,
    dash_fixture,  # noqa: F401 (the fixture `dash`)
)

AS_OF = date(2026, 6, 30)


def _case(client_row, *due_and_amounts):
    claims = [ClaimInput(invoice_number=f"AG-{client_row.id}-{due.isoformat()}-{amount}", issue_date=date(2025, 1, 1),
                         due_date=due, amount_cents=amount) for due, amount in due_and_amounts]
    return open_case(client=client_row, debtor=factories.debtor(), kind=CaseKind.B2C, claims=claims,
                     opened_on=date(2026, 3, 1), actor=None)


@pytest.fixture
def portfolio(db_session):
    """Two clients; claims due exactly 30, 31, 90, 91, 365 and 366 days before AS_OF, one due 5 days after."""
    alpha, beta = factories.client(name="Alpha SAS"), factories.client(name="Beta SARL")
    one = _case(alpha, (AS_OF - timedelta(days=30), 1_000), (AS_OF - timedelta(days=31), 2_000))
    two = _case(alpha, (AS_OF - timedelta(days=365), 3_000), (AS_OF - timedelta(days=366), 4_000),
                (AS_OF + timedelta(days=5), 500))
    three = _case(beta, (AS_OF - timedelta(days=90), 700), (AS_OF - timedelta(days=91), 800))
    paid = _case(beta, (AS_OF - timedelta(days=10), 100))
    # 300 paid the day before goes to the oldest claim (due 91 days before): 800 − 300 = 500 left there.
    factories.payment(three, 300, received_on=AS_OF - timedelta(days=1), receipt=False)
    factories.payment(paid, 100, received_on=AS_OF - timedelta(days=5), receipt=False)  # fully paid: closed
    # Paid the day after AS_OF: not in the balance as of AS_OF.
    factories.payment(one, 1_000, received_on=AS_OF + timedelta(days=1), receipt=False)
    db_session.commit()
    return {"alpha": alpha, "beta": beta, "one": one, "two": two, "three": three, "paid": paid}


def test_bucket_boundaries():
    assert [bucket_of(d).key for d in (0, 30, 31, 60, 61, 90, 91, 180, 181, 365, 366, 5000)] == [
        "0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "91-180", "91-180", "181-365", "181-365", "366+", "366+"]


def test_buckets_per_client_and_in_total(portfolio):
    aged = aged_balance(AS_OF)
    by_client = {row.client_name: row for row in aged.rows}
    assert list(by_client) == ["Alpha SAS", "Beta SARL"]
    alpha, beta = by_client["Alpha SAS"], by_client["Beta SARL"]
    # Day 30 is in 0–30, day 31 in 31–60, day 365 in 181–365, day 366 over 365; the claim not yet due owes
    # nothing yet (its principal is effective on its due date).
    assert {k: (c.cents, c.cases) for k, c in alpha.cells.items()} == {
        "0-30": (1_000, 1), "31-60": (2_000, 1), "61-90": (0, 0), "91-180": (0, 0), "181-365": (3_000, 1),
        "366+": (4_000, 1)}
    # Day 90 in 61–90, day 91 in 91–180 less the payment; the paid case is closed and is not there.
    assert {k: (c.cents, c.cases) for k, c in beta.cells.items()} == {
        "0-30": (0, 0), "31-60": (0, 0), "61-90": (700, 1), "91-180": (500, 1), "181-365": (0, 0), "366+": (0, 0)}
    assert (alpha.total.cents, alpha.total.cases) == (10_000, 2)
    assert (beta.total.cents, beta.total.cases) == (1_200, 1)
    assert {k: c.cents for k, c in aged.totals.items()} == {
        "0-30": 1_000, "31-60": 2_000, "61-90": 700, "91-180": 500, "181-365": 3_000, "366+": 4_000}
    assert (aged.total.cents, aged.total.cases) == (11_200, 3)


def test_as_of_an_earlier_or_later_date(portfolio):
    # Ten days earlier, every claim is ten days younger and the paid case was still open and owing.
    earlier = aged_balance(AS_OF - timedelta(days=10))
    beta = next(r for r in earlier.rows if r.client_name == "Beta SARL")
    assert beta.cells["0-30"].cents == 100  # the claim of the case paid later, day 0
    assert beta.cells["61-90"].cents == 700 + 800  # days 80 and 81; the 300 was paid later
    # The day after AS_OF, the 1 000 paid on case one goes to its oldest claim (day 32, 31–60).
    later = aged_balance(AS_OF + timedelta(days=1))
    alpha = next(r for r in later.rows if r.client_name == "Alpha SAS")
    assert alpha.cells["31-60"].cents == 1_000 + 2_000 - 1_000
    assert alpha.total.cents == 10_000 - 1_000
    # Once due, the last claim of case two owes its 500 at day 0.
    due = next(r for r in aged_balance(AS_OF + timedelta(days=5)).rows if r.client_name == "Alpha SAS")
    assert due.cells["0-30"].cents == 500 and due.cells["0-30"].cases == 1


def test_one_client_only(portfolio):
    aged = aged_balance(AS_OF, portfolio["beta"].id)
    assert [r.client_name for r in aged.rows] == ["Beta SARL"]
    assert aged.total.cents == 1_200


def test_cases_behind_a_cell(portfolio):
    rows = aged_cases(AS_OF, portfolio["alpha"].id, "0-30")
    assert {(r.reference, r.cents, r.claims) for r in rows} == {(portfolio["one"].reference, 1_000, 1)}
    everything = aged_cases(AS_OF)
    assert sum(r.cents for r in everything) == 11_200
    assert [r.reference for r in everything][0] == portfolio["two"].reference  # most overdue first
    assert next(r for r in everything if r.reference == portfolio["two"].reference).days_past_due == 366


def _screen_cells(html: str) -> dict[tuple[str, str], int]:
    """Read the table on the page: (client id or 'total', bucket) -> cents."""
    cells = {}
    for row_id, body in re.findall(r'data-client="(\d+)">(.*?)</tr>', html, re.S):
        for bucket, cents in re.findall(r'data-bucket="([^"]+)" data-cents="(-?\d+)"', body):
            cells[(row_id, bucket)] = int(cents)
    totals = re.search(r'data-testid="totals">(.*?)</tr>', html, re.S).group(1)
    for bucket, cents in re.findall(r'data-bucket="([^"]+)" data-cents="(-?\d+)"', totals):
        cells[("total", bucket)] = int(cents)
    return cells


def _euros(text: str) -> int:
    whole, _sep, frac = text.partition(",")
    return int(whole) * 100 + int(frac or 0) if not whole.startswith("-") else int(whole) * 100 - int(frac or 0)


def test_page_and_exports_show_the_same_figures(portfolio, client, login_as):
    login_as("manager")
    page = client.get(f"/reports/aged?as_of={AS_OF.isoformat()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Balance âgée" in html and "<svg" in html
    screen = _screen_cells(html)
    ids = {str(portfolio["alpha"].id): "Alpha SAS", str(portfolio["beta"].id): "Beta SARL", "total": "Total"}
    columns = [*BUCKET_KEYS, "total"]

    response = client.get(f"/reports/aged.csv?as_of={AS_OF.isoformat()}")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert lines[0][1] == "0–30 jours" and lines[-1][0] == "Total"
    from_csv = {line[0]: [_euros(v) for v in line[1:8]] for line in lines[1:]}
    for row_id, name in ids.items():
        assert from_csv[name] == [screen[(row_id, key)] for key in columns], name

    response = client.get(f"/reports/aged.xlsx?as_of={AS_OF.isoformat()}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    from_xlsx = {r[0]: [int(round(v * 100)) for v in r[1:8]] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert from_xlsx == from_csv
    assert [r[8:] for r in sheet.iter_rows(min_row=2, values_only=True)][-1] == (1, 1, 1, 1, 1, 1, 3)


def test_case_list_and_its_exports_equal(portfolio, client, login_as):
    login_as("manager")
    query = f"as_of={AS_OF.isoformat()}&client={portfolio['alpha'].id}&bucket=31-60"
    html = client.get(f"/reports/aged/cases?{query}").get_data(as_text=True)
    screen = sorted(int(c) for c in re.findall(r'data-testid="case-row" data-cents="(-?\d+)"', html))
    assert screen == [2_000]
    lines = list(csv.reader(io.StringIO(client.get(f"/reports/aged/cases.csv?{query}").get_data(as_text=True)
                                        .lstrip("\ufeff")), delimiter=";"))
    assert lines[0][0] == "Dossier"
    assert sorted(_euros(line[-1]) for line in lines[1:]) == screen
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/reports/aged/cases.xlsx?{query}").data)).active
    assert sorted(int(round(r[-1] * 100)) for r in sheet.iter_rows(min_row=2, values_only=True)) == screen
    assert client.get(f"/reports/aged/cases?{query[:-4]}nope").status_code == 404


def test_client_user_sees_its_own_client_only(portfolio, client, login_as):
    login_as("client", portfolio["beta"])
    html = client.get(f"/reports/aged?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert "Beta SARL" in html and "Alpha SAS" not in html
    assert _screen_cells(html)[("total", "total")] == 1_200
    own = client.get(f"/reports/aged/cases?as_of={AS_OF.isoformat()}&client={portfolio['beta'].id}")
    assert own.status_code == 200 and portfolio["three"].reference in own.get_data(as_text=True)
    # Without a client, the list is still its own client's.
    mine = client.get(f"/reports/aged/cases?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert portfolio["one"].reference not in mine and portfolio["three"].reference in mine
    for path in ("/reports/aged/cases", "/reports/aged/cases.csv", "/reports/aged/cases.xlsx", "/reports/aged",
                 "/reports/aged.csv"):
        assert client.get(f"{path}?client={portfolio['alpha'].id}").status_code == 404, path
    csv_text = client.get(f"/reports/aged.csv?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert "Alpha SAS" not in csv_text and "Beta SARL" in csv_text


@pytest.mark.parametrize(("role", "aged", "collectors"), [
    ("admin", 200, 200), ("manager", 200, 200), ("collector", 403, 403), ("client", 200, 403)])
def test_roles(db_session, client, login_as, role, aged, collectors):
    login_as(role, factories.client() if role == "client" else None)
    assert client.get("/reports/aged").status_code == aged
    assert client.get("/reports/aged/cases").status_code == aged
    assert client.get("/reports/collectors").status_code == collectors
    assert client.get("/reports/collectors.csv").status_code == collectors


def test_a_bad_date_is_named_and_refused(db_session, client, login_as):
    login_as("manager")
    response = client.get("/reports/aged?as_of=31/02/2026")
    assert response.status_code == 400
    assert "Arrêtée au : « 31/02/2026 » n’est pas une date" in response.get_data(as_text=True)
    assert client.get("/reports/aged.csv?as_of=nope").status_code == 400


def _as_tuples(aged):
    return ([(r.client_id, r.client_name, {k: (c.cents, c.cases) for k, c in r.cells.items()}, r.total) for r in aged.rows],
            aged.totals, aged.total)


@pytest.mark.parametrize("days", [0, -10, 1, 5])
def test_the_precomputed_balance_equals_the_live_one(portfolio, db_session, days):
    as_of = AS_OF + timedelta(days=days)
    snapshot = refresh_aged(as_of)
    db_session.commit()
    assert snapshot.as_of == as_of and snapshot.cases == aged_balance(as_of).total.cases
    for client_id in (None, portfolio["alpha"].id, portfolio["beta"].id):
        assert _as_tuples(snapshot_balance(snapshot, client_id)) == _as_tuples(aged_balance(as_of, client_id))
        for bucket in (None, *BUCKET_KEYS):
            live = aged_cases(as_of, client_id, bucket)
            count, cents, stored = snapshot_cases(snapshot, client_id, bucket)
            assert stored == live, (client_id, bucket)
            assert (count, cents) == (len(live), sum(r.cents for r in live))
    if days == 0:
        assert snapshot_balance(snapshot).total.cents == 11_200


def test_a_new_refresh_replaces_the_last(portfolio, db_session):
    refresh_aged(AS_OF)
    db_session.commit()
    factories.payment(portfolio["two"], 4_000, received_on=AS_OF, receipt=False)
    db_session.commit()
    # Until recomputed, the figures are those of the last refresh, which the page dates.
    assert snapshot_balance(latest_snapshot()).total.cents == 11_200
    snapshot = refresh_aged(AS_OF)
    db_session.commit()
    assert latest_snapshot().id == snapshot.id
    assert _as_tuples(snapshot_balance(snapshot)) == _as_tuples(aged_balance(AS_OF))
    assert snapshot_balance(snapshot).total.cents == 11_200 - 4_000


def test_the_hourly_job_recomputes_as_of_today(portfolio, db_session, app):
    from agency.clock import today
    from agency.jobs import PERIODIC

    assert (refresh_aged_job, 3600) in {(p.func, p.interval) for p in PERIODIC}
    refresh_aged_job()
    db_session.expire_all()
    snapshot = latest_snapshot()
    assert snapshot is not None and snapshot.as_of == today()
    assert _as_tuples(snapshot_balance(snapshot)) == _as_tuples(aged_balance(today()))


def test_the_page_reads_the_precomputed_balance_and_any_other_date_live(portfolio, db_session, client, login_as):
    login_as("manager")
    refresh_aged(AS_OF)
    db_session.commit()
    # Paid in full after the refresh: the page of that date still shows it owing, and says when it was computed.
    factories.payment(portfolio["three"], 1_200, received_on=AS_OF, receipt=False)
    db_session.commit()
    html = client.get("/reports/aged").get_data(as_text=True)
    assert "Calculée le" in html and 'data-testid="computed-at"' in html
    assert _screen_cells(html)[("total", "total")] == 11_200
    assert f'value="{AS_OF.isoformat()}"' in html
    listed = client.get(f"/reports/aged/cases?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert portfolio["three"].reference in listed and "calculée à partir du grand livre" in listed
    # Another date is computed from the ledger now: the payment is there, and no refresh time is shown.
    later = client.get(f"/reports/aged?as_of={(AS_OF + timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert 'data-testid="computed-at"' not in later
    assert str(portfolio["beta"].id) not in re.findall(r'data-client="(\d+)"', later)


def test_the_case_list_is_paged_and_its_exports_are_whole(db_session, client, login_as):
    gamma = factories.client(name="Gamma SA")
    due = AS_OF - timedelta(days=40)
    made = [_case(gamma, (due - timedelta(days=n % 7), 1_000 + n)) for n in range(103)]
    db_session.commit()
    login_as("manager")
    for precomputed in (False, True):
        if precomputed:
            refresh_aged(AS_OF)
            db_session.commit()
        query = f"as_of={AS_OF.isoformat()}&client={gamma.id}&bucket=31-60"
        first = client.get(f"/reports/aged/cases?{query}").get_data(as_text=True)
        second = client.get(f"/reports/aged/cases?{query}&page=2").get_data(as_text=True)
        refs = [re.findall(r'data-testid="case-row".*?>([A-Z0-9-]+)</a>', page, re.S) for page in (first, second)]
        assert [len(r) for r in refs] == [100, 3]
        assert "103 dossiers" in first and "page 1 sur 2" in first and 'data-testid="pages"' in first
        total = sum(1_000 + n for n in range(103))
        # Every page's footer is the whole list's total, the cell of the balance.
        footers = {re.search(r'data-testid="list-total">([^<]+)<', page).group(1) for page in (first, second)}
        assert footers == {format_money(total)}
        lines = list(csv.reader(io.StringIO(client.get(f"/reports/aged/cases.csv?{query}").get_data(as_text=True)
                                            .lstrip("\ufeff")), delimiter=";"))
        assert [line[0] for line in lines[1:]] == refs[0] + refs[1]  # the pages end to end are the export
        assert sum(_euros(line[-1]) for line in lines[1:]) == total
        assert {c.reference for c in made} == set(refs[0] + refs[1])


def test_the_precomputed_channel_lists_equal_the_live_attribution(db_session, client, login_as, dash):
    from cases.models import ActionKind

    keys = [f"channel-{k}" for k in (*(k.value for k in ActionKind), NO_CONTACT)]
    cohorts = [Filters(date.fromisoformat(PERIOD["from"]), date.fromisoformat(PERIOD["to"])),
               Filters(date.fromisoformat(PERIOD["from"]), date.fromisoformat(PERIOD["to"]), client_id=dash["a"].id),
               Filters(date(2026, 1, 1), date(2026, 1, 31))]
    # The fixture's refresh stored the lists: without them, the lists are computed live.
    db_session.execute(sa.delete(ChannelCase))
    db_session.execute(sa.delete(ChannelRefresh))
    db_session.commit()
    assert latest_channel_refresh() is None
    live = {(n, key): case_rows(filters, key) for n, filters in enumerate(cohorts) for key in keys}
    assert any(live.values())  # something is credited, or the comparison proves nothing
    refresh_figures()  # the dashboard's hourly refresh stores the lists from the attributions it counts
    db_session.commit()
    refresh = latest_channel_refresh()
    assert refresh is not None and refresh.payments > 0
    for (n, key), rows in live.items():
        assert case_rows(cohorts[n], key) == rows, (n, key)
    login_as("manager")
    sms = client.get("/reports/cases", query_string={**PERIOD, "client": dash["a"].id, "figure": "channel-sms"})
    assert dash["c1"].reference in sms.get_data(as_text=True) and dash["c2"].reference not in sms.get_data(as_text=True)


def test_a_manager_recomputes_the_balance_now(portfolio, db_session, client, login_as, run_jobs):
    from agency.clock import today
    from agency.models import AuditEvent
    from tests.conftest import csrf_token

    refresh_aged(today())
    db_session.commit()
    login_as("manager")
    before = _screen_cells(client.get("/reports/aged").get_data(as_text=True))
    # Placed after the last refresh: the page shows it once recomputed.
    _case(portfolio["beta"], (today() - timedelta(days=45), 9_900))
    db_session.commit()
    page = client.get("/reports/aged").get_data(as_text=True)
    assert _screen_cells(page)[("total", "31-60")] == before[("total", "31-60")]
    assert 'data-testid="refresh"' in page
    assert client.post("/reports/aged/refresh", data={}).status_code == 400  # no CSRF token
    response = client.post("/reports/aged/refresh", data={"csrf_token": csrf_token(client, "/reports/aged")})
    assert response.status_code == 302
    run_jobs()  # real mode: the worker recomputes; embedded mode: it already has
    after = _screen_cells(client.get(response.headers["Location"]).get_data(as_text=True))
    assert after[("total", "31-60")] == before[("total", "31-60")] + 9_900
    assert db_session.query(AuditEvent).filter_by(action="reports.aged_refresh_requested").count() == 1


def test_client_users_may_not_recompute_the_balance(portfolio, db_session, client, login_as):
    from agency.clock import today
    from tests.conftest import csrf_token

    refresh_aged(today())
    db_session.commit()
    login_as("client", client_row=portfolio["alpha"])
    page = client.get("/reports/aged").get_data(as_text=True)
    assert 'data-testid="refresh"' not in page
    token = csrf_token(client, "/reports/aged")
    assert client.post("/reports/aged/refresh", data={"csrf_token": token}).status_code == 403


def test_today_can_be_recomputed_before_its_first_computation_but_a_past_date_cannot(portfolio, client, login_as):
    login_as("manager")
    assert latest_snapshot() is None
    assert 'data-testid="refresh"' in client.get("/reports/aged").get_data(as_text=True)
    past = client.get(f"/reports/aged?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert 'data-testid="refresh"' not in past
