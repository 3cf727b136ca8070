"""What a client user sees of a case: the agency's contacts, not its workings."""

from __future__ import annotations

import re

from cases.actions import record_action
from tests import factories


def _history(page: str) -> str:
    return page.split('data-testid="history"', 1)[1].split("</ul>", 1)[0]


def _rows(page: str) -> list[str]:
    return re.findall(r'<li class="list-group-item">(.*?)</li>', _history(page), re.S)


def _case_with_history(db_session):
    case = factories.case(client_reference="")
    record_action(case, "call", "phone", actor=None, outcome="no_answer", note="Rappeler le soir, a l'air gêné")
    record_action(case, "call", "phone", actor=None, status="blocked", reason="outside_hours")
    record_action(case, "sms", "sms", actor=None, outcome="outbox", note="Texte jamais parti")
    record_action(case, "email", "email", actor=None, status="failed", outcome="failed", reason="send_failed")
    record_action(case, "note", "internal", actor=None, note="Le débiteur est le beau-frère du gérant")
    record_action(case, "letter", "post", actor=None, outcome="sent")  # recorded, but no letter behind it
    factories.letter(case)  # an issued first notice: in the letters panel and in the history
    db_session.commit()
    return case


def test_client_sees_contacts_not_internal_states(client, db_session, login_as):
    case = _case_with_history(db_session)
    login_as("client", client_row=case.client)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 2, rows  # the call that was made and the letter that was issued
    history = _history(page)
    assert "Appel" in history and "Courrier" in history
    for internal in ("bloqué", "gêné", "beau-frère", "jamais parti", "boîte d", "Note", "E-mail"):
        assert internal not in history, internal
    # The letters panel lists the one letter the history shows.
    letters = page.split('data-testid="letters"', 1)[1].split('data-testid="history"', 1)[0]
    assert letters.count("data-letter=") == 1
    assert "Aucun courrier" not in letters


def test_staff_sees_the_whole_history(client, db_session, login_as):
    case = _case_with_history(db_session)
    login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert len(_rows(page)) == 7
    assert "beau-frère" in _history(page) and 'data-testid="blocked"' in _history(page)


def test_no_stray_separator_without_a_client_reference(client, db_session, login_as):
    case = factories.case(client_reference="")
    with_ref = factories.case(client_row=case.client, client_reference="CLI-778")
    db_session.commit()
    login_as("client", client_row=case.client)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "réf. client" not in page and 'data-testid="case-client"' not in page
    page = client.get(f"/cases/{with_ref.id}").get_data(as_text=True)
    header = page.split('data-testid="case-client">', 1)[1].split("</span>", 1)[0]
    assert header.strip() == "réf. client CLI-778"
