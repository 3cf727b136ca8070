"""The notification area and the settings, as managers use them; other roles are refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.models import AuditEvent
from alerts.models import AlertKind, AlertSettings
from alerts.rules import fire_alerts
from cases.work.disputes import open_dispute
from tests import factories
from tests.alerts.conftest import alerts_of, break_promise
from tests.conftest import csrf_token


@pytest.fixture
def fired(db_session, creditors):
    """A broken promise and two disputes, fired as alerts."""
    promised = factories.case(client_row=creditors[0], amounts=(50_000,))
    break_promise(promised)
    disputed = [factories.case(client_row=c) for c in creditors]
    for case in disputed:
        open_dispute(case, actor=None, reason="Montant contesté")
    fire_alerts()
    db_session.commit()
    return {"promised": promised, "disputed": disputed}


def audit_of(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_bell_counts_open_alerts_and_the_page_links_each_to_its_case(client, login_as, fired):
    login_as("manager")
    html = client.get("/cases/").get_data(as_text=True)
    assert 'data-testid="alerts-bell"' in html and 'data-testid="alerts-count">3<' in html
    page = client.get("/alerts/").get_data(as_text=True)
    assert page.count('data-testid="alert"') == 3
    assert "Promesse non tenue" in page and "Contestation ouverte" in page
    for case in [fired["promised"], *fired["disputed"]]:
        assert f'href="/cases/{case.id}">{case.reference}</a>' in page
    only = client.get("/alerts/?kind=dispute_opened").get_data(as_text=True)
    assert only.count('data-testid="alert"') == 2 and "Promesse non tenue</span>" not in only


def test_acknowledging_one_is_audited_and_moves_it_to_the_history(client, login_as, fired, db_session):
    manager = login_as("manager")
    (promise_alert,) = alerts_of(AlertKind.PROMISE_BROKEN)
    response = client.post("/alerts/acknowledge", data={"ids": str(promise_alert.id),
                                                        "csrf_token": csrf_token(client, "/alerts/")})
    assert response.status_code == 302
    (alert,) = alerts_of(AlertKind.PROMISE_BROKEN)
    assert alert.acknowledged_by_id == manager.id and alert.acknowledged_at is not None
    (event,) = audit_of("alert.acknowledged")
    assert (event.subject_type, event.subject_id, event.actor_id) == ("alert", alert.id, manager.id)
    assert event.client_id == alert.client_id
    assert client.get("/alerts/").get_data(as_text=True).count('data-testid="alert"') == 2
    history = client.get("/alerts/?state=history").get_data(as_text=True)
    assert history.count('data-testid="alert"') == 1 and f"Acquittée par {manager.name}" in history

    # Acknowledging it again changes nothing and audits nothing.
    client.post("/alerts/acknowledge", data={"ids": str(alert.id), "csrf_token": csrf_token(client, "/alerts/")})
    assert len(audit_of("alert.acknowledged")) == 1


def test_acknowledging_all_shown_takes_only_the_filtered_kind(client, login_as, fired):
    login_as("manager")
    page = "/alerts/?kind=dispute_opened"
    html = client.get(page).get_data(as_text=True)
    disputes = alerts_of(AlertKind.DISPUTE_OPENED)
    ids = ",".join(str(a.id) for a in sorted(disputes, key=lambda a: a.id, reverse=True))
    assert f'name="ids" type="hidden" value="{ids}"' in html
    client.post("/alerts/acknowledge?kind=dispute_opened", data={"ids": ids, "csrf_token": csrf_token(client, page)})
    assert all(a.acknowledged_at for a in alerts_of(AlertKind.DISPUTE_OPENED))
    assert alerts_of(AlertKind.PROMISE_BROKEN)[0].is_open
    assert len(audit_of("alert.acknowledged")) == 2


def test_acknowledging_without_a_token_or_ids_changes_nothing(client, login_as, fired):
    login_as("manager")
    alert = alerts_of()[0]
    assert client.post("/alerts/acknowledge", data={"ids": str(alert.id)}).status_code == 400  # no CSRF token
    client.post("/alerts/acknowledge", data={"ids": "1;drop", "csrf_token": csrf_token(client, "/alerts/")})
    assert all(a.is_open for a in alerts_of()) and audit_of("alert.acknowledged") == []


@pytest.mark.parametrize("role", ["collector", "client"])
def test_collectors_and_client_users_are_refused(client, login_as, fired, role):
    login_as(role)
    assert 'data-testid="alerts-bell"' not in client.get("/cases/").get_data(as_text=True)
    assert client.get("/alerts/").status_code == 403
    assert client.get("/alerts/settings").status_code == 403
    token = csrf_token(client, "/cases/")
    alert = alerts_of()[0]
    assert client.post("/alerts/acknowledge", data={"ids": str(alert.id), "csrf_token": token}).status_code == 403
    assert client.post("/alerts/settings", data={"payment_threshold": "1,00", "csrf_token": token}).status_code == 403
    assert alerts_of()[0].is_open


def test_settings_name_the_field_at_fault_and_change_nothing(client, login_as, db_session):
    manager = login_as("manager")
    token = csrf_token(client, "/alerts/settings")
    bad = client.post("/alerts/settings", data={"payment_threshold": "cinq mille", "csrf_token": token})
    assert bad.status_code == 400 and "Écrivez un montant comme 5 000,00." in bad.get_data(as_text=True)
    empty = client.post("/alerts/settings", data={"payment_threshold": "1 000,00", "digest_enabled": "y",
                                                  "csrf_token": token})
    assert empty.status_code == 400
    assert "Choisissez au moins un destinataire pour activer le récapitulatif." in empty.get_data(as_text=True)
    assert db_session.get(AlertSettings, 1) is None and audit_of("alerts.settings_changed") == []

    saved = client.post("/alerts/settings", data={"payment_threshold": "1 000,50", "digest_enabled": "y",
                                                  "recipients": str(manager.id), "csrf_token": token})
    assert saved.status_code == 302
    db_session.expire_all()
    settings = db_session.get(AlertSettings, 1)
    assert (settings.payment_threshold_cents, settings.digest_enabled, settings.digest_recipient_ids) == (
        100_050, True, [manager.id])
    (event,) = audit_of("alerts.settings_changed")
    assert event.after["payment_threshold_cents"] == 100_050
    assert "1 000,50" in client.get("/alerts/settings").get_data(as_text=True).replace("\u202f", " ")
