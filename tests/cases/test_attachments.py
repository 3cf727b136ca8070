"""Files attached to a case: judged by their bytes, served as downloads, seen by the client only when marked so."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa

from agency import storage
from agency.models import AuditEvent
from cases.models.attachments import Attachment
from tests import factories
from tests.conftest import csrf_token

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def documents(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "documents"))
    return tmp_path / "documents"


def upload(client, case, data: bytes, name: str, **fields):
    page = f"/cases/{case.id}"
    form = {"csrf_token": csrf_token(client, page), "file": (io.BytesIO(data), name), **fields}
    return client.post(f"/cases/{case.id}/attachments", data=form, content_type="multipart/form-data")


def attachments(db_session, case) -> list[Attachment]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)))


def events(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_a_collector_attaches_a_pdf_listed_with_who_and_served_as_a_download(client, db_session, login_as):
    case = factories.case()
    collector = login_as("collector")
    response = upload(client, case, PDF, "Facture FA-118.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}#attachments")
    [row] = attachments(db_session, case)
    assert (row.filename, row.media_type, row.visible_to_client) == ("Facture FA-118.pdf", "application/pdf", False)
    assert row.created_by_id == collector.id and row.sha256 == hashlib.sha256(PDF).hexdigest()
    [event] = events(db_session, "case.attachment_added")
    assert event.after["filename"] == "Facture FA-118.pdf" and event.actor_id == collector.id

    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Facture FA-118.pdf" in html and collector.name in html and f"/attachments/{row.id}" in html

    download = client.get(f"/attachments/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="Facture_FA-118.pdf"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_is_judged_by_its_bytes_not_its_name_and_a_refused_one_writes_nothing(
        client, db_session, login_as, documents):
    case = factories.case()
    login_as("collector")
    page = b"<html><script>alert(document.cookie)</script></html>"
    response = upload(client, case, page, "facture.pdf")
    assert response.status_code == 302
    assert "quel que soit son nom" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert attachments(db_session, case) == [] and events(db_session, "case.attachment_added") == []
    assert not documents.exists()  # nothing stored either
    # A PNG named as a PDF is a PNG: served with the type its bytes say.
    upload(client, case, PNG, "scan.pdf")
    [row] = attachments(db_session, case)
    assert row.media_type == "image/png"
    download = client.get(f"/attachments/{row.id}")
    assert download.mimetype == "image/png" and download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Content-Disposition"].endswith('.png"')


def test_a_file_over_the_limit_is_refused(client, db_session, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024)
    case = factories.case()
    login_as("collector")
    upload(client, case, PDF + b"0" * 2000, "gros.pdf")
    assert attachments(db_session, case) == []
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Fichier : Le fichier dépasse" in html


def test_the_client_sees_only_what_is_marked_visible_and_attaches_to_its_own_cases(client, db_session, login_as):
    creditor = factories.client()
    case, other = factories.case(client_row=creditor), factories.case()
    staff = factories.user("collector")
    db_session.commit()
    from cases.attachments.attachments import add_attachment

    internal = add_attachment(case, io.BytesIO(PDF), "note interne.pdf", visible_to_client=False, actor=staff)
    shared = add_attachment(case, io.BytesIO(PNG), "bon de livraison.png", visible_to_client=True, actor=staff)
    db_session.commit()
    login_as("client", client_row=creditor)

    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "bon de livraison.png" in html and "note interne.pdf" not in html
    assert client.get(f"/attachments/{shared.id}").status_code == 200
    assert client.get(f"/attachments/{internal.id}").status_code == 404

    # The client answers a dispute with its contract: visible by nature, no checkbox to untick.
    assert 'name="visible_to_client"' not in html
    upload(client, case, PDF, "contrat.pdf")
    assert [a.filename for a in attachments(db_session, case)][-1] == "contrat.pdf"
    assert attachments(db_session, case)[-1].visible_to_client is True
    # Another client's case: 404, nothing written.
    assert upload(client, other, PDF, "contrat.pdf").status_code == 404
    assert attachments(db_session, other) == []


def test_staff_show_an_attachment_to_the_client_audited(client, db_session, login_as):
    case = factories.case()
    login_as("collector")
    upload(client, case, PDF, "relevé.pdf")
    [row] = attachments(db_session, case)
    client.post(f"/attachments/{row.id}/visibility",
                data={"csrf_token": csrf_token(client, f"/cases/{case.id}"), "visible": "1"})
    assert attachments(db_session, case)[0].visible_to_client is True
    [event] = events(db_session, "case.attachment_visibility")
    assert event.before["visible_to_client"] is False and event.after["visible_to_client"] is True


def test_a_storage_that_does_not_answer_adds_nothing(client, db_session, login_as, app, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    from tests.agency.test_storage import free_port

    for name, value in {"DOCUMENTS_S3_BUCKET": "amiable", "DOCUMENTS_S3_REGION": "eu-west-3",
                        "DOCUMENTS_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
                        "DOCUMENTS_S3_MAX_ATTEMPTS": 1}.items():
        monkeypatch.setitem(app.config, name, value)
    assert isinstance(storage.get_store(), storage.S3Store)
    case = factories.case()
    login_as("collector")
    upload(client, case, PDF, "facture.pdf")
    assert attachments(db_session, case) == [] and events(db_session, "case.attachment_added") == []
    assert "rien n’a été ajouté" in client.get(f"/cases/{case.id}").get_data(as_text=True)
