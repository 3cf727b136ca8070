"""The document storage seam, on the local folder and on a local S3-compatible server (moto's, started here).

The boto3 client is the real one, talking HTTP to the server: what is tested is what a deployment on S3 runs.
"""

from __future__ import annotations

import hashlib
import socket
import uuid
from datetime import date

import boto3
import pytest
import sqlalchemy as sa
from moto.server import ThreadedMotoServer

from agency import storage
from agency.models import AuditEvent
from agency.storage import DocumentError, DocumentMissing, StorageUnavailable, read_document, store_document
from cases.models import Letter
from money.models import Payment
from money.payments.jobs import issue_receipt_job
from tests import factories
from tests.cases.letters.reading import pdf_text
from tests.conftest import csrf_token

PDF = b"%PDF-1.7\n" + b"a stored document\n" * 50
REGION = "eu-west-3"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> ThreadedMotoServer:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


@pytest.fixture(scope="session")
def s3_endpoint():
    port = free_port()
    server = start_server(port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def use_s3(app, monkeypatch, endpoint: str, **settings) -> str:
    """Point the app's storage at a new bucket of `endpoint`; return the bucket's name."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    bucket = f"amiable-{uuid.uuid4().hex[:12]}"
    raw_client(endpoint).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    values = {"DOCUMENTS_S3_BUCKET": bucket, "DOCUMENTS_S3_ENDPOINT_URL": endpoint, "DOCUMENTS_S3_REGION": REGION,
              "DOCUMENTS_S3_PREFIX": "agence-lyon", **settings}
    for name, value in values.items():
        monkeypatch.setitem(app.config, name, value)
    return bucket


def raw_client(endpoint: str):
    """A client of our own, to look at the bucket behind the platform's back."""
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test-key",
                        aws_secret_access_key="test-secret")


@pytest.fixture
def s3(app, monkeypatch, s3_endpoint, tmp_path):
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "local"))  # must stay empty
    bucket = use_s3(app, monkeypatch, s3_endpoint)
    return raw_client(s3_endpoint), bucket


@pytest.fixture(params=["local", "s3"])
def backend(request, app, monkeypatch, tmp_path):
    """Each seam test runs on both backends."""
    if request.param == "local":
        monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "documents"))
        return None
    return request.getfixturevalue("s3")


def tamper(backend, app, key: str, data: bytes) -> None:
    """Replace a stored object's bytes, as a disk fault or a hand on the bucket would."""
    if backend is None:
        path = storage.documents_dir() / key
        path.chmod(0o644)
        path.write_bytes(data)
    else:
        client, bucket = backend
        metadata = client.head_object(Bucket=bucket, Key=f"agence-lyon/{key}")["Metadata"]
        client.put_object(Bucket=bucket, Key=f"agence-lyon/{key}", Body=data, Metadata=metadata)


def test_a_document_is_written_once_under_its_hash_and_read_back(app, backend):
    stored = store_document(PDF, "letters/2026/D-1001", "L-1001-1")
    digest = hashlib.sha256(PDF).hexdigest()
    assert stored == storage.StoredFile(f"letters/2026/D-1001/L-1001-1-{digest[:16]}.pdf", digest, len(PDF))
    assert read_document(stored.path, stored.sha256) == PDF
    # A retry of the same issue stores nothing new; other bytes for the same stem go under another key.
    assert store_document(PDF, "letters/2026/D-1001", "L-1001-1") == stored
    other = store_document(PDF + b"%", "letters/2026/D-1001", "L-1001-1")
    assert other.path != stored.path and read_document(stored.path, stored.sha256) == PDF
    if backend is not None:
        client, bucket = backend
        head = client.head_object(Bucket=bucket, Key=f"agence-lyon/{stored.path}")
        assert head["Metadata"] == {"sha256": digest} and head["ContentType"] == "application/pdf"
        assert not storage.documents_dir().exists()  # nothing went to the local folder


def test_a_document_that_no_longer_matches_its_hash_is_refused(app, backend):
    stored = store_document(PDF, "receipts/2026/D-1001", "P-1")
    tamper(backend, app, stored.path, PDF.replace(b"stored", b"forged"))
    with pytest.raises(DocumentError, match="does not match its recorded SHA-256"):
        read_document(stored.path, stored.sha256)
    # Nor is the key written over by a later store of the true bytes.
    with pytest.raises(DocumentError, match="already exists with other content"):
        store_document(PDF, "receipts/2026/D-1001", "P-1")


def test_a_missing_document_is_a_clear_error(app, backend):
    with pytest.raises(DocumentMissing, match="'letters/2026/D-9/L-9-0123456789abcdef.pdf' is missing"):
        read_document("letters/2026/D-9/L-9-0123456789abcdef.pdf", "0" * 64)
    with pytest.raises(DocumentMissing):
        read_document("", "0" * 64)


def test_a_deleted_document_is_gone_and_deleting_it_again_does_no_harm(app, backend):
    kept = store_document(PDF, "attachments/D-1002", "piece")
    stored = store_document(PDF + b"%", "attachments/D-1001", "piece")
    storage.delete_document(stored.path)
    with pytest.raises(DocumentMissing):
        read_document(stored.path, stored.sha256)
    storage.delete_document(stored.path)  # a retried anonymisation finds it gone
    assert storage.get_store().sha256_of(stored.path) is None
    assert read_document(kept.path, kept.sha256) == PDF
    with pytest.raises(DocumentError):
        storage.delete_document("../secret_key")


@pytest.mark.parametrize("key", ["../secret_key", "/etc/passwd", "letters/../../x.pdf", "a\\b.pdf"])
def test_a_key_leaving_the_documents_is_refused(app, backend, key):
    with pytest.raises(DocumentError, match="not a document key"):
        read_document(key, "0" * 64)


def test_healthz_asks_the_bucket(client, app, s3, monkeypatch):
    assert client.get("/healthz").get_json()["checks"]["storage"] == "ok"
    monkeypatch.setitem(app.config, "DOCUMENTS_S3_BUCKET", "no-such-bucket")
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["checks"]["storage"] == "unavailable"
    assert "no-such-bucket" not in response.get_data(as_text=True)


def ready_case():
    factories.agency_profile()
    case = factories.case(kind="b2c")
    factories.postal_address(case.debtor)
    return case


def test_a_letter_is_issued_into_the_bucket_and_served_from_it(client, db_session, login_as, s3):
    raw, bucket = s3
    case = ready_case()
    db_session.commit()
    login_as("collector")
    page = f"/cases/{case.id}"
    response = client.post(f"/cases/{case.id}/letters",
                           data={"csrf_token": csrf_token(client, page), "kind": "first_notice"})
    assert response.status_code == 302
    letter = db_session.scalars(sa.select(Letter).where(Letter.case_id == case.id)).one()
    stored = raw.get_object(Bucket=bucket, Key=f"agence-lyon/{letter.file_path}")["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == letter.sha256 and letter.file_path.startswith("letters/")

    download = client.get(f"/letters/{letter.id}.pdf")
    assert download.status_code == 200 and download.data == stored
    assert letter.reference in pdf_text(download.data)
    assert not storage.documents_dir().exists()

    # The object gone from the bucket: the page every download already had, no error page.
    raw.delete_object(Bucket=bucket, Key=f"agence-lyon/{letter.file_path}")
    missing = client.get(f"/letters/{letter.id}.pdf", follow_redirects=True)
    assert missing.status_code == 200
    assert f"Le fichier enregistré du courrier {letter.reference} est absent" in missing.get_data(as_text=True)


def test_server_down_a_receipt_is_not_recorded_then_issued_once_it_answers(app, db_session, monkeypatch, tmp_path):
    port = free_port()
    server = start_server(port)
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "local"))
    use_s3(app, monkeypatch, endpoint, DOCUMENTS_S3_MAX_ATTEMPTS=2, DOCUMENTS_S3_CONNECT_TIMEOUT=1.0)
    case = ready_case()
    payment = factories.payment(case, 10_000, received_on=date(2026, 11, 2), receipt=False)
    db_session.commit()
    payment_id = payment.id
    server.stop()
    try:
        with pytest.raises(StorageUnavailable, match="did not answer"):
            issue_receipt_job(payment_id)  # the job rolls back: RQ retries it, the hourly sweep too
        payment = db_session.get(Payment, payment_id)
        assert payment.receipt_path == "" and payment.receipt_sha256 == ""
        assert not db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "payment.receipt_issued"))
        with pytest.raises(StorageUnavailable):  # /healthz's check, its reason for the log
            storage.check()
    finally:
        server = start_server(port)  # the same server back (moto keeps its buckets in the process)
    try:
        assert issue_receipt_job(payment_id) == "issued"
        payment = db_session.get(Payment, payment_id)
        assert read_document(payment.receipt_path, payment.receipt_sha256).startswith(b"%PDF")
    finally:
        server.stop()


def test_documents_copy_moves_the_local_folder_into_the_bucket_and_a_second_run_copies_nothing(
        app, monkeypatch, tmp_path, s3_endpoint):
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "documents"))
    first = store_document(PDF, "letters/2026/D-1", "L-1")
    second = store_document(b"%PDF-1.7 receipt", "receipts/2026/D-1", "P-1")
    corrupt = store_document(b"%PDF-1.7 damaged", "receipts/2026/D-2", "P-2")
    tamper(None, app, corrupt.path, b"%PDF-1.7 damaged on disk")
    (storage.documents_dir() / "receipts" / ".tmp-half-written.pdf").write_bytes(b"%PDF")
    bucket = use_s3(app, monkeypatch, s3_endpoint)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["agency", "documents-copy"])
    assert result.exit_code == 1, result.output
    assert f"copied {first.path}" in result.output and f"copied {second.path}" in result.output
    assert f"refused {corrupt.path}: its bytes do not match the hash in its name" in result.output
    assert "2 copied, 0 already there, 1 refused" in result.output
    assert read_document(first.path, first.sha256) == PDF  # now read from the bucket
    keys = [o["Key"] for o in raw_client(s3_endpoint).list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(keys) == sorted(f"agence-lyon/{s.path}" for s in (first, second))

    again = runner.invoke(args=["agency", "documents-copy"])
    assert "0 copied, 2 already there, 1 refused" in again.output and "copied letters" not in again.output


def test_documents_copy_needs_a_bucket(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path))
    result = app.test_cli_runner().invoke(args=["agency", "documents-copy"])
    assert result.exit_code == 2 and "DOCUMENTS_S3_BUCKET is not set" in result.output
