"""The door of the debtor's space: links that expire and can be revoked, the second factor, the attempt limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from agency.db import utcnow
from cases.messaging.space_links import digest, find_link, revoke_links, update_settings
from cases.models.space_links import SpaceLink
from tests import factories
from tests.debtor_space.conftest import (
    POSTCODE,
    SIREN,
    answer,
    audit_actions,
    csrf_of,
    enter,
    link_for,
    text_of,
)

START = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)  # a Wednesday morning; nothing below depends on today


def test_a_link_moves_its_token_out_of_the_address_and_asks_the_postcode(visitor, db_session, person_case,
                                                                         time_machine):
    time_machine.move_to(START, tick=False)
    token = link_for(person_case)
    db_session.commit()
    opened = visitor.get(f"/espace/{token}")
    assert opened.status_code == 302 and opened.headers["Location"] == "/espace/"  # no token in the history
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    cookie = visitor.get_cookie("session")
    assert token not in cookie.value and digest(token) not in cookie.value  # the session holds the link's id
    door = visitor.get("/espace/")
    page = text_of(door)
    assert door.status_code == 200 and 'lang="fr"' in page and "Code postal de votre adresse" in page
    assert '<label for="answer"' in page and 'autocomplete="postal-code"' in page
    assert "default-src 'none'" in door.headers["Content-Security-Policy"] and "'unsafe-inline'" not in page
    assert door.headers["Cache-Control"] == "private, no-store"
    assert person_case.reference in page and "Boulangerie" not in page  # nothing of the debt before the answer


def test_the_postcode_opens_the_case_spaces_and_case_do_not_matter(visitor, db_session, person_case):
    token = link_for(person_case)
    db_session.commit()
    response = enter(visitor, token, " 69 003 ")
    assert response.status_code == 302 and response.headers["Location"] == f"/espace/dossier/{person_case.id}"
    page = visitor.get(response.headers["Location"])
    assert page.status_code == 200 and "Boulangerie Dupain SAS" in page.get_data(as_text=True)
    link = find_link(token)
    assert link.first_verified_at is not None and link.failed_attempts == 0
    assert audit_actions(db_session) == ["space_link.issued", "space.verified"]


def test_a_company_answers_with_its_siren_not_a_postcode(visitor, db_session, company_case):
    token = link_for(company_case, "letter")
    db_session.commit()
    visitor.get(f"/espace/{token}")
    assert "SIREN" in text_of(visitor.get("/espace/"))
    assert answer(visitor, "75011").status_code == 400  # the address's postcode is not what is asked
    assert answer(visitor, SIREN[:3] + " " + SIREN[3:6] + " " + SIREN[6:]).status_code == 302


def test_a_wrong_answer_is_refused_counted_and_audited_and_the_case_stays_closed(visitor, db_session, person_case):
    token = link_for(person_case)
    db_session.commit()
    response = enter(visitor, token, "75001")
    assert response.status_code == 400 and 'data-testid="wrong-answer"' in text_of(response)
    assert 'aria-invalid="true"' in text_of(response)
    assert find_link(token).failed_attempts == 1
    assert audit_actions(db_session)[-1] == "space.answer_wrong"
    from agency.models import AuditEvent
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "space.answer_wrong"))
    assert "75001" not in str(event.after) and event.ip == visitor.environ_base["REMOTE_ADDR"]
    assert visitor.get(f"/espace/dossier/{person_case.id}").headers["Location"] == "/espace/"


def test_five_wrong_answers_then_429_with_retry_after_until_the_window_ends(visitor, db_session, person_case,
                                                                           time_machine):
    time_machine.move_to(START, tick=False)
    token = link_for(person_case)
    db_session.commit()
    visitor.get(f"/espace/{token}")
    for _ in range(4):
        wrong = answer(visitor, "00000")
        assert wrong.status_code == 400
    fifth = answer(visitor, "00000")
    assert fifth.status_code == 429 and 0 < int(fifth.headers["Retry-After"]) <= 900
    assert "Trop de tentatives" in text_of(fifth)
    page = visitor.get("/espace/")
    assert page.status_code == 429 and "Retry-After" in page.headers
    refused = visitor.post("/espace/", data={"answer": POSTCODE, "csrf_token": csrf_of(text_of(wrong))})
    assert refused.status_code == 429  # even the right answer waits
    assert audit_actions(db_session)[-1] == "space.answer_refused"
    time_machine.move_to(START + timedelta(seconds=int(fifth.headers["Retry-After"]) + 1), tick=False)
    assert answer(visitor, POSTCODE).status_code == 302


def test_the_limit_per_address_spans_links(visitor, db_session, person_case, company_case):
    first, second = link_for(person_case), link_for(company_case)
    db_session.commit()
    visitor.get(f"/espace/{first}")
    for _ in range(3):
        answer(visitor, "00000")
    visitor.get(f"/espace/{second}")
    assert answer(visitor, "000000000").status_code == 400
    assert answer(visitor, "000000000").status_code == 429  # the fifth wrong answer from this address


def test_a_link_gathering_too_many_wrong_answers_is_revoked(app, visitor, db_session, person_case, time_machine):
    time_machine.move_to(START, tick=False)
    app.config["SPACE_LINK_FAILURE_CEILING"] = 7
    try:
        token = link_for(person_case)
        db_session.commit()
        visitor.get(f"/espace/{token}")
        for _ in range(5):
            answer(visitor, "00000")
        time_machine.move_to(START + timedelta(minutes=16), tick=False)
        assert answer(visitor, "00000").status_code == 400
        last = answer(visitor, "00000")
    finally:
        app.config.pop("SPACE_LINK_FAILURE_CEILING")
    assert last.status_code == 410 and "ne fonctionne plus" in text_of(last)
    assert find_link(token).revoked_at is not None
    assert visitor.get(f"/espace/{token}").status_code == 410


def test_a_link_expires_after_the_agency_setting(visitor, db_session, person_case, time_machine):
    time_machine.move_to(START, tick=False)
    update_settings(link_days=3, group_cases=False, actor=factories.user("admin"))
    token = link_for(person_case)
    db_session.commit()
    assert find_link(token).expires_at == START + timedelta(days=3)
    assert enter(visitor, token).status_code == 302
    time_machine.move_to(START + timedelta(days=3, seconds=1), tick=False)
    assert visitor.get(f"/espace/dossier/{person_case.id}").status_code == 403  # the open visit ends with it
    expired = visitor.get(f"/espace/{token}")
    assert expired.status_code == 410 and "Ce lien a expiré" in text_of(expired)
    assert person_case.reference in text_of(expired)


def test_a_revoked_link_opens_nothing_and_ends_the_visit_it_opened(visitor, db_session, person_case):
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    assert visitor.get(f"/espace/dossier/{person_case.id}").status_code == 200
    assert revoke_links(person_case, actor=factories.user("collector")) == 1
    db_session.commit()
    assert visitor.get(f"/espace/dossier/{person_case.id}").status_code == 403
    assert visitor.get(f"/espace/{token}").status_code == 410


def test_unknown_links_answer_404_in_the_readers_language(visitor, db_session):
    response = visitor.get("/espace/" + "A" * 32, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 404 and "This link does not work" in text_of(response)
    assert 'lang="en"' in text_of(response)
    assert visitor.get("/espace/short").status_code == 404
    assert visitor.get("/espace/" + "x" * 32).status_code == 404  # the previews' stand-in opens nothing


def test_an_english_debtor_reads_the_door_in_english(visitor, db_session, person_case):
    person_case.debtor.language = "en"
    token = link_for(person_case)
    db_session.commit()
    visitor.get(f"/espace/{token}")
    page = text_of(visitor.get("/espace/"))
    assert 'lang="en"' in page and "Postcode of your address" in page


def test_every_form_of_the_space_needs_its_csrf_token(visitor, db_session, person_case):
    token = link_for(person_case)
    db_session.commit()
    visitor.get(f"/espace/{token}")
    refused = visitor.post("/espace/", data={"answer": POSTCODE})
    assert refused.status_code == 400 and 'data-kind="form_expired"' in text_of(refused)
    assert find_link(token).first_verified_at is None
    assert visitor.post("/espace/sortir", data={}).status_code in (400, 403)


def test_leaving_ends_the_visit_but_not_the_link(visitor, db_session, person_case):
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    page = text_of(visitor.get(f"/espace/dossier/{person_case.id}"))
    left = visitor.post("/espace/sortir", data={"csrf_token": csrf_of(page)})
    assert left.status_code == 200 and 'data-kind="left"' in text_of(left)
    assert visitor.get(f"/espace/dossier/{person_case.id}").status_code == 403
    assert enter(visitor, token).status_code == 302  # the second factor again


def test_the_pages_assets_do_not_end_the_visit(visitor, db_session, person_case):
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    page = text_of(visitor.get(f"/espace/dossier/{person_case.id}"))
    assets = re.findall(r'(?:href|src)="(/(?:static|bootstrap)/[^"]+)"', page)
    assert len(assets) >= 2
    for asset in assets + ["/favicon.ico"]:
        visitor.get(asset)
    assert visitor.get(f"/espace/dossier/{person_case.id}").status_code == 200


def test_a_visit_left_idle_asks_the_second_factor_again(visitor, db_session, person_case, time_machine):
    time_machine.move_to(START, tick=False)
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    time_machine.move_to(START + timedelta(minutes=31), tick=False)
    assert visitor.get(f"/espace/dossier/{person_case.id}").headers["Location"] == "/espace/"


def test_links_are_stored_as_hashes_only(db_session, person_case):
    token = link_for(person_case, "email")
    row = db_session.scalar(sa.select(SpaceLink).where(SpaceLink.case_id == person_case.id))
    assert row.token_hash == digest(token) and token not in str(row.__dict__)
    assert row.expires_at - row.created_at == timedelta(days=30) and row.created_at <= utcnow()


def test_tokens_are_masked_in_access_logs(app):
    import logging

    from debtor_space.views import _HideTokens

    token = "A" * 32
    werkzeug = logging.LogRecord("werkzeug", logging.INFO, "", 0, '%s - - [%s] "%s" %s %s',
                                 ("10.0.0.1", "now", f"GET /espace/{token} HTTP/1.1", "302", "-"), None)
    gunicorn = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, '%(r)s %(U)s',
                                 None, None)
    gunicorn.args = {"r": f"GET /espace/{token}?x=1 HTTP/1.1", "U": f"/d/{token}", "s": 302}
    for record in (werkzeug, gunicorn):
        assert _HideTokens().filter(record) and token not in record.getMessage()
    assert "/espace/…" in werkzeug.getMessage() and gunicorn.args["s"] == 302
