"""A NUL character from outside (form field, query string, path part, file name, Twilio callback) is refused
with a page naming the field, before any view reads it: PostgreSQL cannot store it (psycopg refuses it)."""

from __future__ import annotations

import html
import io

import sqlalchemy as sa

from agency.message_models import SmsMessage
from agency.models import AuditEvent, Client
from tests.agency.test_clients import CLIENT, post
from tests.cases.messaging.test_webhooks import INBOUND_URL, TOKEN, signed_post, twilio_token  # noqa: F401
from tests.conftest import csrf_token


def refused_naming(response, field: str) -> None:
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert f"« {field} »" in page and "NUL" in page, page


def count(model) -> int:
    from agency.db import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_form_field_with_a_nul_is_refused_naming_it_and_nothing_is_saved(client, db_session, login_as):
    login_as("manager")
    before = (count(Client), count(AuditEvent))
    refused_naming(post(client, "/clients/new", CLIENT | {"name": "Fibréa\x00 Télécom SAS"}), "name")
    assert (count(Client), count(AuditEvent)) == before


def test_the_sign_in_form_refuses_a_nul_before_looking_the_user_up(client, db_session):
    response = client.post("/login", data={"email": "a\x00@example.com", "password": "x",
                                           "csrf_token": csrf_token(client)})
    refused_naming(response, "email")


def test_a_query_string_with_a_nul_is_refused_naming_the_parameter(client, db_session, login_as):
    login_as("manager")
    refused_naming(client.get("/cases/?q=Lopez%00"), "q")


def test_a_path_part_with_a_nul_is_refused(client, db_session):
    refused_naming(client.get("/d/abc%00def"), "token")


def test_an_uploaded_file_name_with_a_nul_is_refused(client, db_session, login_as):
    login_as("manager")
    data = {"file": (io.BytesIO(b"Facture;Echeance\n"), "factures\x00.csv"), "csrf_token": csrf_token(client, "/clients")}
    refused_naming(client.post("/placements/new", data=data, content_type="multipart/form-data"), "file")


def test_a_signed_twilio_reply_with_a_nul_is_refused_and_not_stored(client, db_session, twilio_token):  # noqa: F811
    params = {"MessageSid": "SM" + "c" * 32, "AccountSid": "AC" + "1" * 32, "From": "+33612345678",
              "To": "+33700000001", "Body": "Bonjour\x00"}
    refused_naming(signed_post(client, INBOUND_URL, params), "Body")
    assert count(SmsMessage) == 0 and TOKEN


def test_the_refusal_page_is_in_english_for_an_english_speaker(client, db_session):
    client.post("/language/en", data={"csrf_token": csrf_token(client)})
    response = client.get("/login?next=%00")
    assert response.status_code == 400 and "“next” contains a NUL character" in response.get_data(as_text=True)
