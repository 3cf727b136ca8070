"""The rate tables page (administrators) and the interest card of a case."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import render_template_string

from agency.db import db
from agency.models import AuditEvent
from cases.models import EntryKind, LedgerEntry, RatePeriod
from tests.cases.interest.helpers import business_case
from tests.conftest import csrf_token


def _audit(action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _rate(kind: str, starts_on: date) -> RatePeriod | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(RatePeriod).where(RatePeriod.kind == kind, RatePeriod.starts_on == starts_on))


def test_only_administrators_reach_the_rate_tables(client, login_as):
    case = business_case([(100_000, date(2026, 1, 15))])
    login_as("manager")
    assert client.get("/admin/rates").status_code == 403
    token = csrf_token(client, f"/cases/{case.id}")
    data = {"csrf_token": token, "kind": "ecb", "starts_on": "2027-01-01", "rate": "2,65"}
    assert client.post("/admin/rates", data=data).status_code == 403
    assert _rate("ecb", date(2027, 1, 1)) is None


def test_rate_tables_list_the_series_and_flag_rows_to_check(client, login_as):
    login_as("admin")
    page = client.get("/admin/rates").get_data(as_text=True)
    assert "Taux d'intérêt" in page
    row = re.search(r'data-half-year="2026-01-01".*?</tr>', page, re.S).group(0)
    # ECB 2.15 %, B2B 12.15 %, individual 6.67 %, other 2.62 %, floor 7.86 %.
    for figure in ("2,15", "12,15", "6,67", "2,62", "7,86"):
        assert figure in row
    flagged = re.search(r'data-half-year="2026-07-01".*?</tr>', page, re.S).group(0)
    assert "à vérifier" in flagged


def test_missing_current_half_year_is_warned_about(client, login_as):
    login_as("admin")
    RatePeriod.query.filter(RatePeriod.starts_on >= date(2026, 7, 1)).delete()
    db.session.commit()
    page = client.get("/admin/rates").get_data(as_text=True)
    assert 'data-testid="rates-missing"' in page and "Taux manquants" in page


def test_adding_a_half_year_is_validated_and_audited(client, login_as):
    admin = login_as("admin")
    token = csrf_token(client, "/admin/rates")
    bad = client.post("/admin/rates", data={"csrf_token": token, "kind": "ecb", "starts_on": "2027-03-01",
                                             "rate": "abc", "source": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Indiquez le taux en pourcentage, par exemple 2,65." in text
    assert _rate("ecb", date(2027, 3, 1)) is None

    wrong_day = client.post("/admin/rates", data={"csrf_token": token, "kind": "ecb", "starts_on": "2027-03-01",
                                                   "rate": "2,65"})
    assert "Un semestre commence le 1er janvier ou le 1er juillet." in wrong_day.get_data(as_text=True)

    ok = client.post("/admin/rates", data={"csrf_token": token, "kind": "ecb", "starts_on": "2027-01-01",
                                            "rate": "2,65", "source": "BCE"})
    assert ok.status_code == 302
    assert _rate("ecb", date(2027, 1, 1)).rate_bp == 265
    [event] = _audit("rate.added")
    assert event.actor_id == admin.id and event.after["rate_bp"] == 265

    again = client.post("/admin/rates", data={"csrf_token": token, "kind": "ecb", "starts_on": "2027-01-01",
                                               "rate": "2.70"})
    assert "Ce semestre a déjà ce taux : corrigez-le plutôt." in again.get_data(as_text=True)


def test_a_rate_is_corrected_and_confirmed_with_an_audit_trail(client, login_as):
    login_as("admin")
    period = _rate("legal_other", date(2026, 7, 1))
    assert period.to_check
    page = client.get(f"/admin/rates?edit={period.id}").get_data(as_text=True)
    assert 'data-testid="correct-rate-form"' in page
    token = csrf_token(client, "/admin/rates")
    assert client.post(f"/admin/rates/{period.id}", data={"csrf_token": token, "rate": "2,751"}).status_code == 400
    response = client.post(f"/admin/rates/{period.id}", data={"csrf_token": token, "rate": "2,80", "source": "JO"})
    assert response.status_code == 302
    assert _rate("legal_other", date(2026, 7, 1)).rate_bp == 280
    [event] = _audit("rate.corrected")
    assert (event.before["rate_bp"], event.after["rate_bp"]) == (275, 280)

    client.post(f"/admin/rates/{period.id}/confirm", data={"csrf_token": token})
    assert not _rate("legal_other", date(2026, 7, 1)).to_check
    assert _audit("rate.confirmed")[0].after["to_check"] is False


def test_collectors_cannot_post_interest(client, login_as):
    case = business_case([(1_000_000, date(2026, 1, 15))])
    db.session.commit()
    login_as("collector")
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/cases/{case.id}/interest", data={"csrf_token": token}).status_code == 403
    assert not db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id,
                                                               LedgerEntry.kind == EntryKind.INTEREST.value)).all()


def test_managers_post_interest_from_the_case(client, login_as):
    case = business_case([(1_000_000, date(2026, 1, 15))])
    db.session.commit()
    manager = login_as("manager")
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/interest", data={"csrf_token": token})
    assert response.status_code == 302
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id,
                                                              LedgerEntry.kind == EntryKind.INTEREST.value)).all()
    assert len(entries) == 1 and entries[0].created_by_id == manager.id
    assert _audit("interest.posted")[-1].actor_id == manager.id


def test_interest_card_explains_each_period(app, db_session):
    case = business_case([(1_000_000, date(2025, 12, 1))], contractual_rate_bp=500)
    manager = __import__("tests.factories", fromlist=["user"]).user("manager")
    with app.test_request_context("/"):
        from flask_login import login_user

        login_user(manager)
        html = render_template_string('{% include "cases/interest/_case_interest.html" %}', case=case)
    assert "Intérêts de retard" in html
    assert "8,28" in html and "7,86" in html  # the floor, 3 × the legal rate, each half-year
    assert "le plancher s'applique" in html
    assert "Comptabiliser les intérêts" in html
