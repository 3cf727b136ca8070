"""The audit screen: its filters, each event's before and after, its exports, its paging, who may see it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from agency import audit
from agency.db import db
from cases.models import Claim
from reports.audit import trail
from reports.audit.trail import AuditFilters, Cursor
from tests import factories

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def at(time_machine):
    """Move the clock to T0 + `minutes` (frozen), so each event has the time the test gives it."""

    def move(minutes: float) -> None:
        time_machine.move_to(T0 + timedelta(minutes=minutes), tick=False)

    move(0)
    return move


def event(action: str, actor=None, subject=None, **values):
    row = audit.record(action, actor=actor, subject=subject, **values)
    db.session.flush()
    return row


def ids(rows) -> list[int]:
    return [e.id for e in rows]


@pytest.fixture
def world(db_session, at):
    """Two debtors with a case each, a manager and a collector, and events about each of them."""
    manager, collector = factories.user("manager"), factories.user("collector")
    mine, other = factories.debtor(), factories.debtor()
    case, other_case = factories.case(debtor_row=mine), factories.case(debtor_row=other)
    claim = db.session.scalar(sa.select(Claim).where(Claim.case_id == case.id))
    at(10)
    on_case = event("zz.case_note", collector, case, before={"status": "new"}, after={"status": "in_progress"})
    at(20)
    on_claim = event("zz.claim_fixed", manager, claim, before={"amount": "100,00"}, after={"amount": "90,00"})
    at(30)
    on_debtor = event("zz.debtor_renamed", collector, mine, before={"last_name": "Martin"}, after={"last_name": "Marin"})
    at(40)
    elsewhere = event("zz.case_note", manager, other_case, after={"note": "=HYPERLINK(\"x\")"})
    db_session.commit()
    return dict(manager=manager, collector=collector, case=case, other_case=other_case, debtor=mine,
                on_case=on_case, on_claim=on_claim, on_debtor=on_debtor, elsewhere=elsewhere)


def only_test_events(rows) -> list[int]:
    return [e.id for e in rows if e.action.startswith("zz.")]


def test_filter_by_case_keeps_the_case_and_its_rows(world):
    found = trail.page(AuditFilters(case=world["case"]), 50).events
    assert only_test_events(found) == [world["on_claim"].id, world["on_case"].id]
    assert "case.opened" in {e.action for e in found}  # the case's own events from its opening, too
    assert world["elsewhere"].id not in ids(found)


def test_filter_by_debtor_keeps_the_debtor_and_every_case_of_theirs(world):
    found = trail.page(AuditFilters(debtor=world["debtor"]), 50).events
    assert only_test_events(found) == [world["on_debtor"].id, world["on_claim"].id, world["on_case"].id]


def test_filter_by_user(world):
    found = trail.page(AuditFilters(actor_id=world["collector"].id), 50).events
    assert ids(found) == [world["on_debtor"].id, world["on_case"].id]


def test_filter_by_exact_kind_and_by_its_start(world, at):
    at(50)
    event("zy.other", world["manager"])
    exact = trail.page(AuditFilters(kind="zz.case_note"), 50).events
    assert ids(exact) == [world["elsewhere"].id, world["on_case"].id]
    for start in ("zz.", "zz.*"):
        merged = trail.page(AuditFilters(kind=start), 50).events  # several kinds, read each in order and merged
        assert ids(merged) == [world["elsewhere"].id, world["on_debtor"].id, world["on_claim"].id, world["on_case"].id]
    assert trail.page(AuditFilters(kind="nothing.*"), 50).events == []
    assert "zz.claim_fixed" in trail.kinds() and "zy.other" in trail.kinds()


def test_filter_by_period_in_the_agencys_days(world, at, db_session):
    at(60 * 24 * 21 + 12 * 60 + 30)  # 31 March 2026, 21:30 UTC: 23:30 in Paris (summer time)
    late = event("zz.period", world["manager"])
    at(60 * 24 * 21 + 12 * 60 + 70)  # 22:10 UTC: 1 April, 00:10 in Paris
    next_day = event("zz.period", world["manager"])
    march = trail.page(AuditFilters(kind="zz.period", start=date(2026, 3, 31), end=date(2026, 3, 31)), 50).events
    assert ids(march) == [late.id]
    april = trail.page(AuditFilters(kind="zz.*", start=date(2026, 4, 1)), 50).events
    assert ids(april) == [next_day.id]
    before = trail.page(AuditFilters(kind="zz.*", end=date(2026, 3, 10)), 50).events
    assert late.id not in ids(before) and world["on_case"].id in ids(before)


def test_keyset_paging_walks_older_and_back_newer_through_equal_times(db_session, at):
    actor = factories.user("manager")
    at(0)  # the clock is frozen: several events share their time, the id orders them
    made = [event("zz.page", actor) for _ in range(4)]
    at(1)
    made += [event("zz.page", actor) for _ in range(3)]
    newest_first = sorted(made, key=lambda e: (e.created_at, e.id), reverse=True)
    filters = AuditFilters(kind="zz.page")
    first = trail.page(filters, 3)
    assert ids(first.events) == ids(newest_first[:3]) and first.newer is None
    second = trail.page(filters, 3, after=first.older)
    assert ids(second.events) == ids(newest_first[3:6])
    third = trail.page(filters, 3, after=Cursor.parse(second.older.token()))  # through a link
    assert ids(third.events) == ids(newest_first[6:]) and third.older is None
    back = trail.page(filters, 3, before=third.newer)
    assert ids(back.events) == ids(newest_first[3:6]) and back.newer is not None
    assert ids(trail.page(filters, 3, before=back.newer).events) == ids(newest_first[:3])


def test_a_tampered_cursor_reads_as_none():
    for token in ("", "abc", "12.x", "1.2.3", "99999999999999999999999.1"):
        assert Cursor.parse(token) is None


def test_changes_of_an_event_are_the_values_that_differ(db_session):
    row = event("zz.diff", before={"status": "new", "same": 1, "gone": "x"},
                after={"status": "closed", "same": 1, "new": True, "nested": {"b": 2}})
    changes = {c.name: (c.kind, c.before, c.after) for c in trail.changes(row)}
    assert changes == {"status": ("changed", "new", "closed"), "gone": ("removed", "x", None),
                       "new": ("added", None, "true"), "nested": ("added", None, "{'b': 2}")}  # audit.record keeps such values as text
    assert "same" not in changes
    assert trail.changes_text(row).startswith("gone: x → ∅")


def test_the_page_shows_each_events_before_and_after(client, login_as, world):
    login_as("manager")
    page = client.get(f"/audit/?case={world['case'].reference.lower()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-action="zz.case_note"' in html and 'data-action="zz.claim_fixed"' in html
    assert "<del>new</del>" in html and "<ins>in_progress</ins>" in html
    assert "<del>100,00</del>" in html and "<ins>90,00</ins>" in html
    assert f'data-event-id="{world["elsewhere"].id}"' not in html


def test_the_page_pages_with_links(client, login_as, world, at, monkeypatch):
    from reports.audit import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    login_as("admin")
    first = client.get("/audit/?kind=zz.*").get_data(as_text=True)
    assert f'data-event-id="{world["elsewhere"].id}"' in first and f'data-event-id="{world["on_claim"].id}"' not in first
    older = trail.Cursor.of(world["on_debtor"]).token()
    assert f"after={older}" in first.replace("&amp;", "&")
    second = client.get(f"/audit/?kind=zz.*&after={older}").get_data(as_text=True)
    assert f'data-event-id="{world["on_claim"].id}"' in second and f'data-event-id="{world["on_case"].id}"' in second


def test_a_case_or_debtor_that_does_not_exist_is_said_at_its_field(client, login_as, world):
    login_as("manager")
    html = client.get("/audit/?case=NOPE-1&debtor=12ab").get_data(as_text=True)
    assert 'data-testid="error-case"' in html and "NOPE-1" in html
    assert 'data-testid="error-debtor"' in html
    assert 'data-testid="audit-event"' not in html
    assert client.get("/audit/export.csv?case=NOPE-1").status_code == 400


def test_a_debtor_is_found_by_number_or_siren(client, login_as, world, db_session):
    company = factories.debtor("company", siren="552100554")
    event("zz.company", subject=company)
    db_session.commit()
    login_as("manager")
    for key in (str(company.id), "552 100 554"):
        html = client.get("/audit/", query_string={"debtor": key}).get_data(as_text=True)
        assert 'data-action="zz.company"' in html, key


def test_csv_export_holds_the_filtered_events(client, login_as, world):
    login_as("manager")
    # Read while the request is open (buffered), as a server sends a streamed body.
    response = client.get("/audit/export.csv?kind=zz.case_note", buffered=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Content-Length" not in response.headers  # streamed: sent before its length is known
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Utilisateur", "Événement"]
    assert [r[2] for r in rows[1:]] == ["zz.case_note", "zz.case_note"]
    newest, oldest = rows[1], rows[2]
    assert oldest[0] == "10/03/2026 10:10:00"  # Paris time
    assert oldest[5] == world["case"].reference and oldest[7] == "status: new → in_progress"
    assert oldest[8] == '{"status": "new"}' and oldest[9] == '{"status": "in_progress"}'
    assert newest[9].startswith("'") or newest[9].startswith("{")  # a formula in a value stays text
    assert "=HYPERLINK" in newest[7] and not newest[7].startswith("=")


def test_xlsx_export_holds_the_filtered_events(client, login_as, world):
    login_as("admin")
    response = client.get("/audit/export.xlsx?kind=zz.*&actor=" + str(world["collector"].id), buffered=True)
    assert response.status_code == 200 and "Content-Length" not in response.headers
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Date", "Utilisateur", "Événement"] and sheet["A1"].font.b
    assert [r[2] for r in rows[1:]] == ["zz.debtor_renamed", "zz.case_note"]
    assert rows[1][3] == "debtor" and rows[1][4] == world["debtor"].id and rows[1][7] == "last_name: Martin → Marin"


def test_an_export_reads_the_trail_in_batches(world, app):
    with app.test_request_context():
        batches = list(trail.iterate(AuditFilters(kind="zz.*"), batch=3))
    assert [len(b[0]) for b in batches] == [3, 1]
    assert [e.id for b in batches for e in b[0]] == [world["elsewhere"].id, world["on_debtor"].id,
                                                     world["on_claim"].id, world["on_case"].id]


@pytest.mark.parametrize("role", ["collector", "client"])
def test_collectors_and_client_users_get_403(client, login_as, role):
    login_as(role)
    for url in ("/audit/", "/audit/export.csv", "/audit/export.xlsx"):
        assert client.get(url).status_code == 403, url
    assert 'data-testid="nav-audit"' not in client.get("/cases/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admins_and_managers_reach_it_from_the_navigation(client, login_as, role):
    login_as(role)
    assert 'data-testid="nav-audit"' in client.get("/cases/").get_data(as_text=True)
    assert client.get("/audit/").status_code == 200


def test_signed_out_goes_to_the_sign_in_page(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
