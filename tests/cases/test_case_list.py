"""The case list pages by keyset and never counts every row; its filters and the tenant scope hold."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from cases import search
from cases.models import CaseStatus
from tests import factories

PER_PAGE = 3


def references(page: str) -> list[str]:
    return re.findall(r'class="fw-semibold">([^<]+)</a>', page)


def link(page: str, testid: str) -> str | None:
    match = re.search(rf'data-testid="{testid}" href="([^"#]+)"', page)
    return html.unescape(match[1]) if match else None


def text_of(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', page)
    assert match, testid
    return " ".join(html.unescape(match[1]).split())


@contextmanager
def statements():
    """Collect the SQL statements run meanwhile."""
    seen: list[str] = []

    def collect(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", collect)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", collect)


# A count over the cases themselves (the menu's counts of decisions or alerts are not the list's).
CASE_COUNT = re.compile(r"count\(.*?FROM\s*(\(\s*SELECT collection_case\.id\b|collection_case\b)", re.I | re.S)


def counts(seen: list[str]) -> list[str]:
    return [s for s in seen if CASE_COUNT.search(s)]


@pytest.fixture
def world(app, db_session, monkeypatch, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False)
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", PER_PAGE)
    own, other = factories.client(), factories.client()
    # Eight cases of one client over five days (two pairs on the same day, so the id breaks ties), one of another.
    days = [date(2026, 3, 1) + timedelta(days=d) for d in (0, 0, 1, 2, 2, 3, 4, 4)]
    cases = [factories.case(own, opened_on=day) for day in days]
    other_case = factories.case(other, opened_on=date(2026, 3, 3))
    db_session.commit()
    newest_first = sorted(cases + [other_case], key=lambda c: (c.opened_on, c.id), reverse=True)
    return {"own": own, "other": other, "cases": cases, "order": [c.reference for c in newest_first]}


def test_pages_go_forward_and_back_newest_first(client, login_as, world):
    login_as("collector")
    order = world["order"]
    first = client.get("/cases/").get_data(as_text=True)
    assert references(first) == order[0:3]
    assert text_of(first, "page-rows") == "Dossiers 1–3"
    assert text_of(first, "case-count") == "9 dossiers"
    assert link(first, "previous-page") is None
    second = client.get(link(first, "next-page")).get_data(as_text=True)
    assert references(second) == order[3:6]
    assert text_of(second, "page-rows") == "Dossiers 4–6"
    third = client.get(link(second, "next-page")).get_data(as_text=True)
    assert references(third) == order[6:9]
    assert text_of(third, "page-rows") == "Dossiers 7–9"
    assert link(third, "next-page") is None
    back = client.get(link(third, "previous-page")).get_data(as_text=True)
    assert references(back) == order[3:6]
    assert text_of(back, "page-rows") == "Dossiers 4–6"
    start = client.get(link(back, "previous-page")).get_data(as_text=True)
    assert references(start) == order[0:3]
    assert link(start, "previous-page") is None and text_of(start, "page-rows") == "Dossiers 1–3"


def test_paging_keeps_the_filters(client, login_as, world):
    login_as("manager")
    own_refs = [r for r in world["order"] if r in {c.reference for c in world["cases"]}]
    first = client.get(f"/cases/?client={world['own'].id}&status=new").get_data(as_text=True)
    assert references(first) == own_refs[0:3]
    following = link(first, "next-page")
    assert f"client={world['own'].id}" in following and "status=new" in following
    second = client.get(following).get_data(as_text=True)
    assert references(second) == own_refs[3:6]


def test_a_case_opened_meanwhile_does_not_shift_the_next_page(client, db_session, login_as, world):
    login_as("collector")
    first = client.get("/cases/").get_data(as_text=True)
    factories.case(world["own"], opened_on=date(2026, 3, 9))  # newest of all: would push an offset page
    db_session.commit()
    second = client.get(link(first, "next-page")).get_data(as_text=True)
    assert references(second) == world["order"][3:6]


def test_the_unfiltered_list_never_counts_every_row(client, login_as, world, monkeypatch):
    login_as("collector")
    with statements() as seen:
        page = client.get("/cases/").get_data(as_text=True)
    # A full first page: the count stops at the cap, it is never a count of the whole table.
    assert counts(seen) and all(re.search(r"\bLIMIT\b", s, re.IGNORECASE) for s in counts(seen)), counts(seen)
    assert text_of(page, "case-count") == "9 dossiers"
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    page = client.get("/cases/").get_data(as_text=True)
    assert text_of(page, "case-count") == "plus de 5 dossiers"
    assert references(page) == world["order"][0:3]


def test_a_list_that_fits_on_one_page_runs_no_count_at_all(client, login_as, world):
    login_as("client", client_row=world["other"])
    with statements() as seen:
        page = client.get("/cases/").get_data(as_text=True)
    assert counts(seen) == []
    assert text_of(page, "case-count") == "1 dossier"
    assert 'data-testid="next-page"' not in page  # no pager for a single page


def test_a_client_user_pages_through_its_own_cases_only(client, login_as, world):
    login_as("client", client_row=world["other"])
    other_ref = world["cases"][0].reference
    assert other_ref not in client.get("/cases/").get_data(as_text=True)
    # A cursor taken from another client's case only pages within this client's own list.
    target = world["cases"][-1]
    page = client.get(f"/cases/?after={target.opened_on.isoformat()}.{target.id + 1000}.1").get_data(as_text=True)
    assert set(references(page)) <= {r for r in world["order"] if r not in {c.reference for c in world["cases"]}}


def test_status_and_mine_filters_still_work(client, db_session, login_as, world):
    collector = login_as("collector")
    cases = world["cases"]
    cases[1].status = CaseStatus.DISPUTE.value
    cases[2].assigned_collector_id = collector.id
    cases[5].assigned_collector_id = collector.id
    db_session.commit()
    assert references(client.get("/cases/?status=dispute").get_data(as_text=True)) == [cases[1].reference]
    mine = references(client.get("/cases/?mine=1").get_data(as_text=True))
    assert mine == [cases[5].reference, cases[2].reference]


def test_a_malformed_cursor_reads_as_the_first_page(client, login_as, world):
    login_as("collector")
    for cursor in ("after=yesterday", "after=2026-03-01.x.1", "before=2026-13-01.1.1", "after="):
        page = client.get(f"/cases/?{cursor}")
        assert page.status_code == 200
        assert references(page.get_data(as_text=True)) == world["order"][0:3], cursor
