"""The letters panel, downloads and the managers' approvals, as people use them."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, date, datetime

import sqlalchemy as sa

from cases.letters.storage import documents_dir
from cases.models import Action, Letter
from debtors.models import Hold
from tests import factories
from tests.cases.letters.reading import pdf_text
from tests.conftest import csrf_token


def ready_case(client_row=None):
    factories.agency_profile()
    case = factories.case(client_row=client_row)
    factories.postal_address(case.debtor)
    return case


def letters_of(db_session, case) -> list[Letter]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)))


def post(client, url: str, page: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def test_collector_sends_the_first_notice_then_a_reminder_from_the_case(client, db_session, login_as, time_machine):
    time_machine.move_to(datetime(2026, 11, 2, 10, 0, tzinfo=UTC))  # a Monday
    case = ready_case()
    db_session.commit()
    login_as("collector")
    page = f"/cases/{case.id}"
    html = client.get(page).get_data(as_text=True)
    assert 'data-kind="first_notice"' in html and 'data-kind="reminder"' not in html
    response = post(client, f"/cases/{case.id}/letters", page, kind="first_notice")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}#letters")
    [first] = letters_of(db_session, case)
    assert first.status == "issued" and first.created_by is not None and first.pay_by == date(2026, 11, 17)

    html = client.get(page).get_data(as_text=True)
    assert f"{first.reference}" in html and f"SHA-256 {first.sha256[:12]}" in html
    assert f'href="/letters/{first.id}.pdf"' in html
    assert html.count('data-testid="letter-out-of-order"') == 2  # the reminder and the formal notice wait

    time_machine.move_to(datetime(2026, 11, 18, 10, 0, tzinfo=UTC))  # the first notice's deadline has passed
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="letter-out-of-order"' not in html
    assert 'data-kind="reminder"' in html and 'data-kind="formal_notice"' in html
    post(client, f"/cases/{case.id}/letters", page, kind="reminder")
    assert [letter.kind for letter in letters_of(db_session, case)] == ["first_notice", "reminder"]


def test_a_refused_letter_is_explained_and_kept_in_the_history(client, db_session, login_as):
    case = ready_case()
    db_session.commit()
    login_as("collector")
    page = f"/cases/{case.id}"
    db_session.add(Hold(debtor_id=case.debtor_id, kind="deceased", reason="décès signalé"))
    db_session.commit()
    assert 'data-testid="letters-blocked"' in client.get(page).get_data(as_text=True)
    response = post(client, f"/cases/{case.id}/letters", page, kind="first_notice")
    assert response.status_code == 302
    assert letters_of(db_session, case) == []
    blocked = db_session.scalars(sa.select(Action).where(Action.case_id == case.id)).one()
    assert (blocked.status, blocked.reason, blocked.channel) == ("blocked", "hold_deceased", "post")


def test_client_user_downloads_its_own_letters_only(client, db_session, login_as):
    mine, theirs = ready_case(), ready_case()
    letter, other = factories.letter(mine, days_ago=20), factories.letter(theirs)
    proposal = factories.letter(mine, "formal_notice")
    db_session.commit()
    login_as("client", client_row=mine.client)

    response = client.get(f"/letters/{letter.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == letter.sha256
    digest = base64.b64encode(bytes.fromhex(letter.sha256)).decode()
    assert response.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    assert mine.client.name in pdf_text(response.data)
    assert client.get(f"/letters/{other.id}.pdf").status_code == 404
    assert client.get(f"/letters/{proposal.id}.pdf").status_code == 404  # not issued: nothing to download

    html = client.get(f"/cases/{mine.id}").get_data(as_text=True)
    assert letter.reference in html and f"SHA-256 {letter.sha256[:12]}" in html
    assert proposal.reference not in html and "data-kind=" not in html  # no pending letter, no buttons
    assert client.post(f"/cases/{mine.id}/letters", data={"kind": "reminder"}).status_code in (400, 403)


def test_a_tampered_file_is_not_served(client, db_session, login_as):
    letter = factories.letter(ready_case())
    db_session.commit()
    path = documents_dir() / letter.file_path
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"%tampered")
    login_as("manager")
    response = client.get(f"/letters/{letter.id}.pdf")
    assert response.status_code == 302 and f"/cases/{letter.case_id}" in response.headers["Location"]


def test_manager_previews_approves_and_rejects_formal_notices(client, db_session, login_as):
    case_a, case_b = ready_case(), ready_case()
    notice_a = factories.letter(case_a, "formal_notice")
    notice_b = factories.letter(case_b, "formal_notice")
    db_session.commit()
    manager = login_as("manager")
    html = client.get("/cases/").get_data(as_text=True)
    assert 'data-testid="letters-to-approve"' in html and ">2</span>" in html

    page = client.get("/letters/approvals").get_data(as_text=True)
    assert notice_a.reference in page and notice_b.reference in page
    preview = client.get(f"/letters/{notice_a.id}/preview.pdf")
    watermark = pdf_text(preview.data, layout=False)  # rotated: one word per line
    assert preview.status_code == 200 and "PROJET" in watermark and "ENVOYÉ" in watermark
    assert "mettons en demeure" in pdf_text(preview.data)

    assert post(client, f"/letters/{notice_a.id}/approve", "/letters/approvals").status_code == 302
    post(client, f"/letters/{notice_b.id}/reject", "/letters/approvals", note="")
    assert letters_of(db_session, case_b)[-1].status == "pending_approval"  # a rejection needs a reason
    post(client, f"/letters/{notice_b.id}/reject", "/letters/approvals", note="Échéancier accepté par le client.")

    approved, rejected = letters_of(db_session, case_a)[-1], letters_of(db_session, case_b)[-1]
    assert approved.status == "issued" and approved.decided_by_id == manager.id
    assert "PROJET" not in pdf_text((documents_dir() / approved.file_path).read_bytes(), layout=False)
    assert rejected.status == "rejected" and rejected.decision_note == "Échéancier accepté par le client."
    assert 'data-testid="no-pending"' in client.get("/letters/approvals").get_data(as_text=True)


def test_collectors_propose_but_cannot_approve(client, db_session, login_as):
    case = ready_case()
    factories.letter(case, days_ago=20)
    db_session.commit()
    login_as("collector")
    page = f"/cases/{case.id}"
    post(client, f"/cases/{case.id}/letters", page, kind="formal_notice")
    notice = letters_of(db_session, case)[-1]
    assert notice.status == "pending_approval"
    token = csrf_token(client, page)
    assert client.post(f"/letters/{notice.id}/approve", data={"csrf_token": token}).status_code == 403
    assert client.get("/letters/approvals").status_code == 403
    assert 'data-testid="letters-to-approve"' not in client.get(page).get_data(as_text=True)
