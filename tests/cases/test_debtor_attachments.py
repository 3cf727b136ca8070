"""Files attached to a debtor rather than a case: judged by their bytes, served as downloads, for staff only."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from cases.attachments.attachments import AttachmentError, add_debtor_attachment
from cases.models.attachments import DebtorAttachment
from tests import factories
from tests.conftest import csrf_token

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def documents(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "documents"))
    return tmp_path / "documents"


def upload(client, debtor, data: bytes, name: str):
    page = f"/debtors/{debtor.id}"
    form = {"csrf_token": csrf_token(client, page), "file": (io.BytesIO(data), name)}
    return client.post(f"/debtors/{debtor.id}/attachments", data=form, content_type="multipart/form-data")


def rows(db_session, debtor) -> list[DebtorAttachment]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(DebtorAttachment).where(DebtorAttachment.debtor_id == debtor.id)
                                   .order_by(DebtorAttachment.id)))


def test_a_collector_attaches_a_file_to_the_debtor_listed_with_who_and_when(client, db_session, login_as):
    debtor = factories.debtor()
    collector = login_as("collector")
    response = upload(client, debtor, PDF, "Extrait Kbis.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("#debtor-attachments")
    [row] = rows(db_session, debtor)
    assert (row.filename, row.media_type, row.created_by_id) == ("Extrait Kbis.pdf", "application/pdf", collector.id)
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "debtor.attachment_added"))
    assert event.subject_id == debtor.id and event.after["filename"] == "Extrait Kbis.pdf"
    page = client.get(f"/debtors/{debtor.id}").get_data(as_text=True)
    assert "Documents du débiteur" in page and "Extrait Kbis.pdf" in page and collector.name in page
    download = client.get(f"/debtor-attachments/{row.id}")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="Extrait_Kbis.pdf"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_type_comes_from_the_bytes_and_a_refused_file_writes_nothing(client, db_session, login_as, documents):
    debtor = factories.debtor()
    login_as("manager")
    upload(client, debtor, b"<html><script>alert(1)</script></html>", "courrier.pdf")
    assert "quel que soit son nom" in client.get(f"/debtors/{debtor.id}").get_data(as_text=True)
    assert rows(db_session, debtor) == [] and not documents.exists()
    upload(client, debtor, PNG, "photo.pdf")
    [row] = rows(db_session, debtor)
    download = client.get(f"/debtor-attachments/{row.id}")
    assert row.media_type == "image/png" and download.mimetype == "image/png"
    assert download.headers["Content-Disposition"].endswith('.png"')


def test_client_users_never_reach_a_debtors_files(client, db_session, login_as):
    case = factories.case()
    row = add_debtor_attachment(case.debtor, io.BytesIO(PDF), "piece.pdf", actor=factories.user("collector"))
    db_session.commit()
    login_as("client", case.client)  # even the client of the debtor's case
    assert client.get(f"/debtor-attachments/{row.id}").status_code == 403
    response = client.post(f"/debtors/{case.debtor.id}/attachments",
                           data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code in (400, 403)
    assert len(rows(db_session, case.debtor)) == 1
    with pytest.raises(AttachmentError):
        add_debtor_attachment(case.debtor, io.BytesIO(PDF), "y.pdf", actor=factories.user("client", case.client))
    assert "piece.pdf" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
