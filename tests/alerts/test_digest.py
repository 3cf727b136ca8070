"""The daily digest: the open alerts not yet sent, read back from the outbox."""

from __future__ import annotations

import sqlalchemy as sa

from agency.db import db
from agency.jobs import enqueue
from agency.message_models import EmailMessage
from agency.models import AuditEvent
from alerts.jobs import alerts_digest_job
from alerts.settings import update_settings
from cases.work.disputes import open_dispute
from tests import factories
from tests.alerts.conftest import alerts_of, break_promise


def outbox(address: str) -> list[EmailMessage]:
    return list(db.session.scalars(
        sa.select(EmailMessage).where(EmailMessage.to_address == address).order_by(EmailMessage.id)
    ))


def test_the_digest_carries_each_open_alert_once_to_the_chosen_managers(db_session, run_jobs, creditors):
    chosen, english, left_out = factories.user("manager"), factories.user("admin", locale="en"), factories.user("manager")
    collector = factories.user("collector")
    update_settings(threshold_cents=500_000, digest_enabled=True, recipient_ids=[chosen.id, english.id],
                    actor=chosen)
    promised = factories.case(client_row=creditors[0], amounts=(50_000,))
    break_promise(promised)
    disputed = factories.case(client_row=creditors[1])
    open_dispute(disputed, actor=None, reason="Montant contesté")
    db_session.commit()

    enqueue(alerts_digest_job)
    run_jobs()
    (french,) = outbox(chosen.email)
    assert french.subject == "Alertes Amiable : 2 nouvelles alertes"
    assert f"Promesse non tenue · dossier {promised.reference} · {creditors[0].name} · 50,00\u00a0€" in french.body
    assert f"Contestation ouverte · dossier {disputed.reference} · {creditors[1].name}" in french.body
    assert f"/cases/{promised.id}" in french.body and "/alerts/" in french.body
    (in_english,) = outbox(english.email)
    assert in_english.subject == "Amiable alerts: 2 new alerts" and "Dispute opened · case" in in_english.body
    assert outbox(left_out.email) == [] and outbox(collector.email) == []
    assert all(alert.digested_at is not None for alert in alerts_of())
    events = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "alerts.digest_sent")).all()
    assert len(events) == 1 and events[0].after["alerts"] == 2

    # The next day: only what is new goes out, and nothing at all when nothing is new.
    enqueue(alerts_digest_job)
    run_jobs()
    assert len(outbox(chosen.email)) == 1
    another = factories.case(client_row=creditors[0])
    open_dispute(another, actor=None, reason="Facture inconnue")
    db_session.commit()
    enqueue(alerts_digest_job)
    run_jobs()
    latest = outbox(chosen.email)[-1]
    assert latest.subject == "Alertes Amiable : 1 nouvelle alerte"
    assert another.reference in latest.body and promised.reference not in latest.body


def test_no_digest_when_it_is_off(db_session, run_jobs, creditors):
    manager = factories.user("manager")
    update_settings(threshold_cents=500_000, digest_enabled=False, recipient_ids=[manager.id], actor=manager)
    open_dispute(factories.case(client_row=creditors[0]), actor=None, reason="Montant contesté")
    db_session.commit()
    enqueue(alerts_digest_job)
    run_jobs()
    assert outbox(manager.email) == []
    (alert,) = alerts_of()
    assert alert.digested_at is None  # kept for the first digest once it is turned on
