"""The managers' judicial list and the admins' page of the law's figures."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from agency.db import db
from cases.judicial import settings
from cases.judicial.steps import record_step
from cases.models import JudicialSetting, Proceeding, Route, StepKind
from tests.cases.judicial.test_jobs import approved, invited, order_issued


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def references(html: str) -> list[str]:
    return re.findall(r'data-testid="proceeding" data-reference="([^"]+)"', html)


@pytest.fixture
def three(db_session):
    """An order overdue for service, an invitation answered within days, and one without a deadline yet."""
    overdue = order_issued(date(2026, 9, 1))  # serve by 1 December 2026: past
    soon = invited(date(2026, 11, 10))  # answer by 10 December 2026
    later = approved(Route.ORDER_JUDICIAL)  # preparing: no deadline
    db_session.commit()
    return overdue, soon, later


def test_the_list_puts_the_overdue_first_highlighted_then_the_nearest(client, login_as, three):
    overdue, soon, later = three
    login_as("manager")
    page = client.get("/judicial")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert references(html) == [overdue.reference, soon.reference, later.reference]
    row = html[html.index(f'data-reference="{overdue.reference}"'):]
    assert 'class="table-danger" data-overdue="1"' in row[:80]
    assert "il y a 6 jours" in row[:row.index("</tr>")]  # 1 December, seen on 7 December
    assert overdue.case.reference in html and f"/cases/{overdue.case_id}" in html
    assert "Signifier l’ordonnance avant le" in html or "Signifier l'ordonnance avant le" in html


def test_the_list_filters_by_client_route_and_stage(client, login_as, three):
    overdue, soon, later = three
    login_as("admin")
    html = client.get(f"/judicial?client={soon.client_id}").get_data(as_text=True)
    assert references(html) == [soon.reference]
    html = client.get("/judicial?route=order_judicial").get_data(as_text=True)
    assert references(html) == [later.reference]
    html = client.get("/judicial?stage=order_issued").get_data(as_text=True)
    assert references(html) == [overdue.reference]
    html = client.get("/judicial?stage=paid").get_data(as_text=True)  # a closed stage is not a filter
    assert len(references(html)) == 3


def test_the_list_pages(client, login_as, three, monkeypatch):
    from cases.judicial import board

    monkeypatch.setattr(board, "PER_PAGE", 2)
    login_as("manager")
    first = client.get("/judicial").get_data(as_text=True)
    second = client.get("/judicial?page=2").get_data(as_text=True)
    assert references(first) + references(second) == [p.reference for p in three]


def test_closed_proceedings_are_not_listed(client, login_as, db_session):
    proceeding = invited(date(2026, 11, 2))
    record_step(proceeding, StepKind.DEBTOR_DECLINED, date(2026, 12, 3), actor=None)
    db_session.commit()
    login_as("manager")
    assert proceeding.reference not in client.get("/judicial").get_data(as_text=True)


@pytest.mark.parametrize("role", ["collector", "client"])
def test_collectors_and_client_users_may_not_see_the_list_or_the_figures(client, login_as, role, three):
    login_as(role)
    assert client.get("/judicial").status_code == 403
    assert client.get("/admin/judicial-settings").status_code == 403


def test_managers_see_the_list_but_not_the_figures(client, login_as):
    login_as("manager")
    home = client.get("/judicial").get_data(as_text=True)
    assert 'data-testid="nav-judicial"' in home
    assert client.get("/admin/judicial-settings").status_code == 403


def test_the_figures_show_the_value_in_force_and_the_history(client, login_as):
    login_as("admin")
    html = client.get("/admin/judicial-settings").get_data(as_text=True)
    row = html[html.index('data-key="order_service_months"'):]
    row = row[:row.index('data-key="opposition_months"')]
    assert re.search(r'data-testid="in-force">3\s*mois', row)  # the decree's three months, in force today
    assert "6 mois" in row and "décret 2026-96" in row  # the history keeps the six months before it
    fee = html[html.index('data-key="fee_commercial_court_cents"'):]
    assert re.search(r"33,47\s*€", fee[:fee.index("</tr>")])


def csrf(client, url: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True))[1]


def test_a_new_value_from_a_date_is_recorded_in_euros_and_audited(client, login_as):
    admin = login_as("admin")
    token = csrf(client, "/admin/judicial-settings")
    response = client.post("/admin/judicial-settings", data={
        "csrf_token": token, "key": "fee_commercial_court_cents", "value": "35,12", "valid_from": "2027-01-01",
        "source": "arrêté du 12 décembre 2026"})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(JudicialSetting).where(JudicialSetting.key == "fee_commercial_court_cents")
                            .order_by(JudicialSetting.valid_from.desc()))
    assert (row.value, row.valid_from, row.created_by_id) == ("3512", date(2027, 1, 1), admin.id)
    assert settings.number("fee_commercial_court_cents", date(2026, 12, 31)) == 3347
    html = client.get("/admin/judicial-settings").get_data(as_text=True)
    assert "arrêté du 12 décembre 2026" in html and admin.name in html


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"key": "fee_commercial_court_cents", "value": "trente euros"}, "value", "euros"),
    ({"key": "order_service_months", "value": "0"}, "value", "120"),
    ({"key": "alert_days", "value": "30,-7"}, "value", "365"),
    ({"key": "order_service_months", "value": "3", "valid_from": "1900-01-01"}, "valid_from", "ce jour"),
    ({"key": "order_service_months", "value": "3", "valid_from": "le premier mars"}, "valid_from", "premier jour"),
    ({"key": "no_such_figure", "value": "3"}, "key", ""),
])
def test_a_bad_value_names_its_field_and_saves_nothing(client, login_as, data, field, words):
    login_as("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(JudicialSetting))
    token = csrf(client, "/admin/judicial-settings")
    response = client.post("/admin/judicial-settings", data={"csrf_token": token, "valid_from": "2027-03-01", **data})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = re.search(rf'data-field="{field}">([^<]+)<', html)
    assert error, html[html.index('id="add"'):]
    assert words in error[1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JudicialSetting)) == before


def test_the_form_needs_its_csrf_token(client, login_as):
    login_as("admin")
    response = client.post("/admin/judicial-settings", data={
        "key": "order_service_months", "value": "2", "valid_from": "2027-03-01"})
    assert response.status_code == 400
    assert not db.session.scalar(sa.select(JudicialSetting.id).where(JudicialSetting.valid_from == date(2027, 3, 1)))


def test_a_new_figure_never_moves_a_deadline_already_recorded(client, login_as, db_session):
    """An order issued on 1 October 2026 keeps its 1 January 2027 service deadline when the months change."""
    proceeding = order_issued(date(2026, 10, 1))
    step = proceeding.steps[-1]
    assert step.deadline_on == date(2027, 1, 1)
    db_session.commit()
    login_as("admin")
    token = csrf(client, "/admin/judicial-settings")
    assert client.post("/admin/judicial-settings", data={
        "csrf_token": token, "key": "order_service_months", "value": "2", "valid_from": "2026-09-15",
        "source": "test"}).status_code == 302
    from cases.judicial.daily import run_daily

    run_daily(date(2026, 12, 7))
    db.session.expire_all()
    proceeding = db.session.get(Proceeding, proceeding.id)
    assert proceeding.steps[-1].deadline_on == date(2027, 1, 1)
    assert (proceeding.next_deadline_kind, proceeding.next_deadline_on) == ("serve_by", date(2027, 1, 1))
    assert run_daily(date(2027, 1, 1)).lapsed == 0  # not lapsed on 2 December, as two months would have had it
    later = order_issued(date(2026, 10, 2))  # an order issued under the new figure gets two months
    assert later.steps[-1].deadline_on == later.next_deadline_on == date(2026, 12, 2)
