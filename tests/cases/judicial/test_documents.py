"""Documents of the judicial file: judged by their bytes, bounded in size, stored with their SHA-256, tenant-scoped;
and the pages that prepare the pack, serve it part by part and take uploads."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.db import db
from cases.judicial.documents import add_document, file_type
from cases.judicial.proceedings import JudicialError, approve_by_manager, decide_by_client, propose
from tests import factories
from tests.cases.judicial.helpers import ready_case
from tests.cases.letters.reading import pdf_text
from tests.conftest import csrf_token

PDF = b"%PDF-1.4\n% bon de commande\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def approved_proceeding():
    case = ready_case(amounts=(800_000,), kind="b2b", debtor_kind="company")
    proceeding = propose(case, actor=None)
    approve_by_manager(proceeding, actor=factories.user("manager"))
    decide_by_client(proceeding, actor=factories.user("client", client=case.client), approve=True)
    return proceeding


def office_file(first_folder: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(f"{first_folder}document.xml", "<document/>")
    return out.getvalue()


def test_types_are_judged_by_content():
    assert file_type(PDF).media_type == "application/pdf"
    assert file_type(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20).suffix == ".png"
    assert file_type(b"\xff\xd8\xff\xe0" + b"\x00" * 20).suffix == ".jpg"
    assert file_type(office_file("word/")).suffix == ".docx"
    assert file_type(office_file("xl/")).suffix == ".xlsx"
    assert file_type(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le")).suffix == ".doc"
    # A program, an installer (OLE without an office stream), a plain zip, text: refused.
    assert file_type(EXE) is None
    assert file_type(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64) is None
    assert file_type(office_file("other/")[:-1]) is None
    assert file_type(b"just some text") is None


def test_a_document_is_stored_with_its_hash_and_audited(db_session):
    proceeding = approved_proceeding()
    collector = factories.user("collector")
    document = add_document(proceeding, io.BytesIO(PDF), "bon.pdf", kind="order", title="", actor=collector)
    assert document.title == "bon.pdf" and document.media_type == "application/pdf"
    assert document.file_path.endswith(".pdf") and len(document.sha256) == 64 and document.size_bytes == len(PDF)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "judicial.document_added"))
    assert event.after["sha256"] == document.sha256


@pytest.mark.parametrize(("content", "name", "message"), [
    (EXE, "facture.pdf", "quel que soit son nom"),
    (b"", "vide.pdf", "vide"),
    (PDF + b"\x00" * 2048, "gros.pdf", "dépasse"),
])
def test_bad_uploads_are_refused_naming_the_file_field(db_session, app, content, name, message):
    proceeding = approved_proceeding()
    app.config["JUDICIAL_DOCUMENT_MAX_BYTES"] = 1024
    try:
        with pytest.raises(JudicialError, match=message) as refused:
            add_document(proceeding, io.BytesIO(content), name, kind="contract", title="x",
                         actor=factories.user("collector"))
    finally:
        app.config.pop("JUDICIAL_DOCUMENT_MAX_BYTES")
    assert refused.value.field == "file" and not proceeding.documents


def _post(client, url, page, data, **kwargs):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data}, **kwargs)


def test_client_uploads_to_its_own_case_and_another_client_gets_404(client, db_session, login_as):
    proceeding = approved_proceeding()
    other = approved_proceeding()
    factories.agency_profile()
    db_session.commit()
    login_as("client", client_row=proceeding.case.client)
    page = f"/cases/{proceeding.case_id}"
    assert 'data-testid="judicial-upload-form"' in client.get(page).get_data(as_text=True)
    response = _post(client, f"/judicial/{proceeding.id}/documents", page,
                     {"kind": "contract", "title": "Contrat 2025", "file": (io.BytesIO(PDF), "contrat.pdf")},
                     content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    document = proceeding.documents[0]
    assert document.title == "Contrat 2025" and document.created_by.client_id == proceeding.client_id
    download = client.get(f"/judicial/documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "Contrat 2025" in client.get(page).get_data(as_text=True)
    # A renamed program is refused with the field named; another client's proceeding is out of reach.
    refused = _post(client, f"/judicial/{proceeding.id}/documents", page,
                    {"kind": "contract", "file": (io.BytesIO(EXE), "contrat.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "Fichier : Ce fichier n&#39;est pas un document accepté" in refused.get_data(as_text=True)
    assert _post(client, f"/judicial/{other.id}/documents", page,
                 {"kind": "contract", "file": (io.BytesIO(PDF), "x.pdf")},
                 content_type="multipart/form-data").status_code == 404
    other_document = add_document(other, io.BytesIO(PDF), "x.pdf", kind="proof", title="", actor=factories.user())
    db_session.commit()
    assert client.get(f"/judicial/documents/{other_document.id}").status_code == 404
    assert client.get(f"/judicial/{other.id}/pack.pdf").status_code == 404
    # The client does not prepare the pack: that is the agency's.
    assert _post(client, f"/judicial/{proceeding.id}/pack", page, {}).status_code == 403


def test_staff_prepares_the_pack_and_downloads_each_part(client, db_session, login_as):
    proceeding = approved_proceeding()
    factories.agency_profile()
    db_session.commit()
    login_as("collector")
    page = f"/cases/{proceeding.case_id}"
    assert client.get(f"/judicial/{proceeding.id}/pack.pdf").status_code == 404  # not prepared yet
    assert client.post(f"/judicial/{proceeding.id}/pack", data={}).status_code == 400  # no CSRF token
    response = _post(client, f"/judicial/{proceeding.id}/pack", page, {})
    assert response.status_code == 302
    whole = client.get(f"/judicial/{proceeding.id}/pack.pdf")
    assert whole.status_code == 200 and whole.headers["Repr-Digest"].startswith("sha-256=:")
    text = pdf_text(whole.data)
    assert "Requête en injonction de payer" in text and "Décompte" in text and "Bordereau" in text
    for part, words in (("request", "Requête en injonction"), ("statement", "Décompte"), ("bordereau", "Bordereau")):
        response = client.get(f"/judicial/{proceeding.id}/pack/{part}.pdf")
        assert response.status_code == 200 and words in pdf_text(response.data)
    assert client.get(f"/judicial/{proceeding.id}/pack/other.pdf").status_code == 404
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="judicial-pack"' in html and "Préparer à nouveau le dossier" in html
