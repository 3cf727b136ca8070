"""Disputing or explaining from the space: a dispute holds the case as staff's do, files are judged by their bytes
and a refused one writes nothing, a declared payment and a hardship are notes the collector reads, a callback
keeps to the contact rules."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from cases.contact_rules import may_contact
from cases.letters.storage import documents_dir, read_document
from cases.models import Action, CaseStatus
from cases.models.notes import Task
from cases.models.space_links import SpaceDocument
from debtors.models import Hold
from tests import factories
from tests.debtor_space.conftest import enter, link_for, text_of

NOON = datetime(2026, 3, 16, 11, 0, tzinfo=UTC)  # a Monday, noon in Paris
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def space(visitor, db_session, person_case, time_machine):
    time_machine.move_to(NOON, tick=True)
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    url = f"/espace/dossier/{person_case.id}/contester"
    return url


def _send(visitor, url, part: str, fields: dict, files: dict | None = None):
    page = visitor.get(url).get_data(as_text=True)
    token = re.search(rf'name="{part}-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = {f"{part}-csrf_token": token, f"{part}-submit": "1", **{f"{part}-{k}": v for k, v in fields.items()}}
    for name, (content, filename) in (files or {}).items():
        data[f"{part}-{name}"] = (io.BytesIO(content), filename)
    return visitor.post(url, data=data, content_type="multipart/form-data")


def _portal_notes(db_session, case):
    return db_session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.channel == "portal")).all()


def _stored_files():
    folder = documents_dir() / "space"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_dispute_with_a_pdf_holds_the_case(visitor, db_session, person_case, space):
    claim = person_case.claims[0]
    response = _send(visitor, space, "dispute", {"claim": str(claim.id), "reason": "amount_wrong",
                                                 "text": "La facture compte deux fois la livraison."},
                     {"document": (PDF, "facture contestée.pdf")})
    assert response.status_code == 302 and response.headers["Location"].endswith("envoye=dispute")
    db_session.expire_all()
    hold = db_session.scalars(sa.select(Hold).where(Hold.case_id == person_case.id)).one()
    assert hold.kind == "dispute" and hold.ended_at is None and claim.invoice_number in hold.reason
    assert person_case.status == CaseStatus.DISPUTE
    assert not may_contact(person_case, "sms").allowed  # the contact rules refuse contact, as for any dispute
    document = db_session.scalars(sa.select(SpaceDocument)).one()
    assert (document.kind, document.media_type, document.hold_id) == ("dispute", "application/pdf", hold.id)
    assert read_document(document.file_path, document.sha256) == PDF
    [note] = _portal_notes(db_session, person_case)
    assert note.direction == "inbound" and "facture contestée.pdf" in note.note
    actions = db_session.scalars(sa.select(AuditEvent.action)).all()
    assert {"dispute.opened", "space.document_added", "action.note"} <= set(actions)
    assert 'data-testid="space-already-disputed"' in text_of(visitor.get(space))
    # The case page no longer asks for payment by a date, nor offers a plan, while the dispute is checked.
    page = text_of(visitor.get(f"/espace/dossier/{person_case.id}"))
    assert 'data-kind="disputed"' in page and "aucun paiement n’est demandé" in page.replace("'", "’")
    assert 'href="#pay"' not in page and 'data-testid="space-propose-plan"' not in page


def test_staff_download_what_the_debtor_sent_and_client_users_do_not(app, visitor, db_session, person_case, space,
                                                                      client, login_as):
    _send(visitor, space, "dispute", {"reason": "amount_wrong", "text": "Deux fois la livraison."},
          {"document": (PDF, "facture contestée.pdf")})
    document = db_session.scalars(sa.select(SpaceDocument)).one()
    login_as("collector")
    case_page = client.get(f"/cases/{person_case.id}").get_data(as_text=True)
    assert 'data-testid="space-documents"' in case_page and "facture contestée.pdf" in case_page
    response = client.get(f"/space-documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment")
    from tests import factories
    from tests.conftest import IsolatedClient, login

    app.test_client_class = IsolatedClient
    customer = app.test_client()
    user = factories.user("client", client=person_case.client)
    db_session.commit()
    login(customer, user.email)
    assert customer.get(f"/space-documents/{document.id}").status_code == 403
    assert "facture contestée.pdf" not in customer.get(f"/cases/{person_case.id}").get_data(as_text=True)


@pytest.mark.parametrize("content, name, error", [
    (b"MZ\x90\x00 this is a program", "facture.pdf", "pas un document PDF"),  # renamed: judged by its bytes
    (b"%PDF-1.4\n" + b"0" * 2048, "big.pdf", "Le fichier dépasse"),
])
def test_a_refused_file_writes_nothing(app, visitor, db_session, person_case, space, content, name, error):
    app.config["SPACE_DOCUMENT_MAX_BYTES"] = 1024
    try:
        before = _stored_files()
        response = _send(visitor, space, "dispute", {"reason": "not_owed", "text": "Rien à payer."},
                         {"document": (content, name)})
    finally:
        app.config.pop("SPACE_DOCUMENT_MAX_BYTES")
    page = text_of(response)
    assert response.status_code == 400 and 'data-testid="error-dispute-document"' in page and error in page
    assert 'aria-describedby="dispute-document-hint dispute-document-error"' in page
    db_session.expire_all()
    assert db_session.scalars(sa.select(Hold)).all() == [] and person_case.status != CaseStatus.DISPUTE
    assert _portal_notes(db_session, person_case) == [] and db_session.scalars(sa.select(SpaceDocument)).all() == []
    assert _stored_files() == before


def test_a_payment_declared_with_its_proof_is_a_note_for_the_collector(visitor, db_session, person_case, space):
    response = _send(visitor, space, "paid", {"amount": "150,00", "paid_on": "2026-03-10", "method": "transfer"},
                     {"proof": (PNG, "releve.png")})
    assert response.status_code == 302
    db_session.expire_all()
    [note] = _portal_notes(db_session, person_case)
    assert "150,00" in note.note and "2026-03-10" in note.note and "releve.png" in note.note
    assert person_case.next_action_at is not None  # due in the queue
    assert db_session.scalars(sa.select(SpaceDocument.kind)).all() == ["payment_proof"]
    # Without its proof: refused at the field.
    response = _send(visitor, space, "paid", {"amount": "150,00", "paid_on": "2026-03-10", "method": "transfer"})
    assert response.status_code == 400 and 'data-testid="error-paid-proof"' in text_of(response)


def test_a_callback_outside_the_contact_rules_is_refused(visitor, db_session, person_case, space):
    response = _send(visitor, space, "callback", {"when": "2026-03-22T11:00"})  # a Sunday
    page = text_of(response)
    assert response.status_code == 400 and 'data-testid="error-callback-when"' in page
    db_session.expire_all()
    assert person_case.callback_at is None and _portal_notes(db_session, person_case) == []
    response = _send(visitor, space, "callback", {"when": "2026-03-17T21:30"})  # after 20:00
    assert response.status_code == 400
    response = _send(visitor, space, "callback", {"when": "2026-03-17T11:00", "note": "Plan"})
    assert response.status_code == 302
    db_session.expire_all()
    assert person_case.callback_at == datetime(2026, 3, 17, 10, 0, tzinfo=UTC)  # 11:00 in Paris
    assert len(_portal_notes(db_session, person_case)) == 1


def test_a_hardship_is_a_note_for_the_collector(visitor, db_session, person_case, space):
    response = _send(visitor, space, "hardship", {"kind": "job_loss", "text": "Licenciée en février."})
    assert response.status_code == 302
    db_session.expire_all()
    [note] = _portal_notes(db_session, person_case)
    assert "Licenciée en février." in note.note and person_case.next_action_at is not None


def test_a_hardship_raises_one_task_for_the_collector_while_it_is_open(visitor, db_session, person_case, space):
    collector = factories.user("collector")
    person_case.assigned_collector_id = collector.id
    db_session.commit()
    _send(visitor, space, "hardship", {"kind": "job_loss", "text": "Licenciée en février."})
    _send(visitor, space, "hardship", {"kind": "illness", "text": "Hospitalisée."})
    db_session.expire_all()
    [task] = db_session.scalars(sa.select(Task).where(Task.case_id == person_case.id)).all()
    assert (task.rule, task.assignee_id, task.status, task.created_by_id) == ("hardship", collector.id, "open", None)
    assert task.due_on == date(2026, 3, 18) and "Licenciée en février." in task.detail
    assert len(_portal_notes(db_session, person_case)) == 2  # each statement is still a note in the history
