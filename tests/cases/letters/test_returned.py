"""Letters that come back (NPAI): the letter and its address marked, the case in the "find a new address" list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from cases.closing.closing import close_case
from cases.letters.dispatch import mark_letter
from cases.letters.letters import LetterRefused, create_letter
from cases.letters.returned import ReturnedError, cases_to_find, record_returned
from cases.models.notes import Task
from debtors.contacts import check_address, record_contact_point
from tests import factories
from tests.conftest import csrf_token

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def sent_letter(case, days_ago=30):
    letter = factories.letter(case, days_ago=days_ago)
    mark_letter(letter, "sent", actor=factories.user())
    return letter


def listed() -> list[str]:
    return [row.reference for row in cases_to_find()]


def new_address(debtor, actor, line1="5 avenue Foch"):
    fields = check_address(name_line="", line1=line1, line2="", postcode="75016", city="Paris", country="FR")
    return record_contact_point(debtor, "address", fields, source="research", learned_on=date(2026, 12, 7),
                                actor=actor)


def test_a_returned_letter_marks_its_address_and_lists_the_case_until_a_new_address(db_session):
    collector = factories.user("collector")
    case = factories.case()
    letter = sent_letter(case)
    [address] = [p for p in case.debtor.contact_points if p.kind == "address"]
    assert letter.recipient["contact_point_id"] == address.id
    record_returned(letter, returned_on=date(2026, 12, 4), actor=collector)
    db_session.flush()
    assert (letter.returned_on, letter.returned_by_id) == (date(2026, 12, 4), collector.id)
    assert address.status == "bounced" and address.returned_on == date(2026, 12, 4) and not address.usable
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "letter.returned"))
    assert event.after["contact_point"] == address.id and event.after["returned_on"] == "2026-12-04"
    assert listed() == [case.reference]
    # The research is someone's task: the rule's, once, saying which letter came back.
    [task] = db_session.scalars(sa.select(Task).where(Task.case_id == case.id)).all()
    assert task.rule == "returned_letter" and task.is_open and letter.reference in task.detail
    # No later letter goes to the returned address: with no other, the reminder is refused and recorded.
    with pytest.raises(LetterRefused) as refused:
        create_letter(case, "reminder", actor=collector)
    assert refused.value.verdict.reason == "wrong_contact"
    found = new_address(case.debtor, collector)
    db_session.flush()
    assert listed() == []
    reminder = create_letter(case, "reminder", actor=collector)
    assert reminder.recipient["contact_point_id"] == found.id
    assert "5 avenue Foch" in reminder.recipient["lines"]


def test_a_debtor_with_another_usable_address_or_a_closed_case_is_not_listed(db_session):
    collector = factories.user("collector")
    with_other = factories.case()
    closed = factories.case()
    for case in (with_other, closed):
        letter = sent_letter(case)
        record_returned(letter, returned_on=date(2026, 12, 1), actor=collector)
    db_session.flush()
    assert sorted(listed()) == sorted([with_other.reference, closed.reference])
    factories.postal_address(with_other.debtor, address_line1="1 rue Neuve", is_primary=False)
    spare = sent_letter(factories.case(debtor_row=with_other.debtor))  # to 1 rue Neuve
    factories.postal_address(with_other.debtor, address_line1="3 place Bellecour", is_primary=False)
    record_returned(spare, returned_on=date(2026, 12, 2), actor=collector)
    # Another address still works: nothing to research, no task.
    assert db_session.scalars(sa.select(Task).where(Task.case_id == spare.case_id)).all() == []
    close_case(closed, "below_minimum", actor=factories.user("manager"))
    db_session.flush()
    assert listed() == []


def test_a_return_is_refused_before_sending_in_the_future_or_twice(db_session):
    collector = factories.user("collector")
    case = factories.case()
    generated = factories.letter(case, days_ago=10)
    with pytest.raises(ReturnedError):
        record_returned(generated, returned_on=date(2026, 12, 4), actor=collector)  # never printed nor sent
    mark_letter(generated, "sent", actor=collector)
    for day in (date(2026, 12, 8), generated.issued_on - timedelta(days=1)):
        with pytest.raises(ReturnedError):
            record_returned(generated, returned_on=day, actor=collector)
    record_returned(generated, returned_on=date(2026, 12, 4), actor=collector)
    with pytest.raises(ReturnedError):
        record_returned(generated, returned_on=date(2026, 12, 5), actor=collector)


def test_the_list_is_newest_first_a_page_at_a_time(db_session):
    collector = factories.user("collector")
    cases = [factories.case() for _ in range(3)]
    for day, case in zip((3, 1, 2), cases, strict=True):
        record_returned(sent_letter(case), returned_on=date(2026, 12, day), actor=collector)
    db_session.flush()
    first = cases_to_find(limit=2)
    assert [r.reference for r in first] == [cases[0].reference, cases[2].reference]
    rest = cases_to_find(before=(first[-1].returned_on, first[-1].case_id), limit=2)
    assert [r.reference for r in rest] == [cases[1].reference]


def test_a_collector_records_the_return_from_the_case_page_and_finds_the_case_listed(client, login_as, db_session):
    login_as("collector")
    case = factories.case()
    letter = sent_letter(case)
    db_session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "revenue (NPAI)" in page
    response = client.post(f"/letters/{letter.id}/returned",
                           data={"csrf_token": csrf_token(client, f"/cases/{case.id}"), "returned_on": "2026-12-04"})
    assert response.status_code == 302
    db_session.expire_all()
    assert letter.returned_on == date(2026, 12, 4)
    listing = client.get("/addresses/to-find").get_data(as_text=True)
    assert "Adresses à trouver" in listing and case.reference in listing and case.debtor.display_name in listing
    assert "revenue (NPAI) le 04/12/2026" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_client_users_neither_record_returns_nor_see_the_list(client, login_as, db_session):
    case = factories.case()
    letter = sent_letter(case)
    login_as("client", case.client)
    assert client.get("/addresses/to-find").status_code == 403
    assert client.post(f"/letters/{letter.id}/returned", data={"returned_on": "2026-12-04"}).status_code in (400, 403)
    db_session.expire_all()
    assert letter.returned_on is None
