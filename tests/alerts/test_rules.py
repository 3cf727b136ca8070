"""Each rule fires once per occurrence, only while its condition holds, and only for the row concerned."""

from __future__ import annotations

from datetime import timedelta

from agency.clock import today
from alerts.models import AlertKind
from alerts.rules import fire_alerts
from alerts.settings import update_settings
from cases.models import PromiseStatus
from cases.work.disputes import open_dispute, resolve_dispute
from money.payments.payments import reverse_payment
from money.remittances.statements import mark_paid, run_remittances
from tests import factories
from tests.alerts.conftest import alerts_of, break_promise


def test_a_broken_promise_fires_once_and_a_kept_one_never(creditors):
    mine, other = creditors
    broken_case = factories.case(client_row=mine, amounts=(50_000,))
    kept_case = factories.case(client_row=other, amounts=(50_000,))
    broken = break_promise(broken_case)
    kept = break_promise(kept_case, paid_cents=5_000)
    assert (broken.status, kept.status) == (PromiseStatus.BROKEN, PromiseStatus.KEPT)

    assert fire_alerts()[AlertKind.PROMISE_BROKEN] == 1
    assert fire_alerts()[AlertKind.PROMISE_BROKEN] == 0  # the same occurrence never fires twice
    (alert,) = alerts_of(AlertKind.PROMISE_BROKEN)
    assert (alert.subject_id, alert.case_id, alert.client_id) == (broken.id, broken_case.id, mine.id)
    assert alert.amount_cents == 5_000 and alert.fired_on == today()


def test_a_promise_broken_on_an_earlier_day_does_not_fire(creditors):
    case = factories.case(client_row=creditors[0], amounts=(50_000,))
    break_promise(case)
    assert fire_alerts(today=today() + timedelta(days=1))[AlertKind.PROMISE_BROKEN] == 0


def test_a_dispute_fires_while_open_and_clears_when_resolved(creditors):
    disputed = factories.case(client_row=creditors[0])
    factories.case(client_row=creditors[1])  # undisputed: nothing
    hold = open_dispute(disputed, actor=None, reason="Facture déjà réglée par chèque")
    assert fire_alerts()[AlertKind.DISPUTE_OPENED] == 1
    assert fire_alerts()[AlertKind.DISPUTE_OPENED] == 0
    (alert,) = alerts_of(AlertKind.DISPUTE_OPENED)
    assert (alert.subject_id, alert.case_id, alert.is_open) == (hold.id, disputed.id, True)

    resolve_dispute(hold, actor=None, decision="rejected", resolution="Chèque jamais encaissé")
    assert fire_alerts()["cleared"] == 1
    (alert,) = alerts_of(AlertKind.DISPUTE_OPENED)
    assert alert.cleared_at is not None and not alert.is_open and alert.acknowledged_at is None


def test_a_payment_fires_from_the_threshold_and_clears_when_reversed(creditors):
    mine, other = creditors
    case = factories.case(client_row=mine, amounts=(2_000_000,))
    below = factories.payment(case, 499_999, receipt=False)
    at = factories.payment(case, 500_000, receipt=False)
    factories.payment(factories.case(client_row=other), 10_000, receipt=False)
    assert fire_alerts()[AlertKind.LARGE_PAYMENT] == 1
    (alert,) = alerts_of(AlertKind.LARGE_PAYMENT)
    assert (alert.subject_id, alert.amount_cents, alert.client_id) == (at.id, 500_000, mine.id)

    reverse_payment(at, reason="chèque impayé", on=today(), actor=None)
    assert fire_alerts()["cleared"] == 1
    assert not alerts_of(AlertKind.LARGE_PAYMENT)[0].is_open

    manager = factories.user("manager")
    update_settings(threshold_cents=400_000, digest_enabled=False, recipient_ids=[], actor=manager)
    assert fire_alerts()[AlertKind.LARGE_PAYMENT] == 1  # the threshold is the settings'
    assert {a.subject_id for a in alerts_of(AlertKind.LARGE_PAYMENT)} == {at.id, below.id}


def test_funds_fire_once_past_the_mandate_delay_and_clear_once_remitted(creditors):
    mine, other = creditors
    mine.mandates[0].remittance_delay_days = 20
    case = factories.case(client_row=mine, amounts=(100_000,))
    old = factories.payment(case, 30_000, received_on=today() - timedelta(days=21), receipt=False)
    factories.payment(case, 20_000, received_on=today() - timedelta(days=20), receipt=False)  # the last day allowed
    factories.payment(factories.case(client_row=other), 20_000, received_on=today() - timedelta(days=25),
                      receipt=False)  # within the legal month of the other client's mandate
    factories.payment(case, 10_000, received_on=today() - timedelta(days=40), channel="direct", receipt=False)

    assert fire_alerts()[AlertKind.FUNDS_AGED] == 1
    assert fire_alerts()[AlertKind.FUNDS_AGED] == 0
    (alert,) = alerts_of(AlertKind.FUNDS_AGED)
    assert (alert.subject_id, alert.case_id, alert.amount_cents) == (old.id, case.id, 30_000)

    (statement,) = run_remittances(today(), [mine.id])
    assert fire_alerts()["cleared"] == 0  # in a statement, but the money is still on the trust account
    mark_paid(statement, paid_on=today(), reference="VIR-1", actor=None)
    assert fire_alerts()["cleared"] == 1
    assert not alerts_of(AlertKind.FUNDS_AGED)[0].is_open


def test_a_failed_import_fires_for_its_placement_only(creditors):
    mine, other = creditors
    failed = factories.placement(mine)
    factories.placement(other)  # checked, not failed
    failed.status = "failed"
    assert fire_alerts()[AlertKind.IMPORT_FAILED] == 1
    assert fire_alerts()[AlertKind.IMPORT_FAILED] == 0
    (alert,) = alerts_of(AlertKind.IMPORT_FAILED)
    assert (alert.placement_id, alert.client_id, alert.case_id) == (failed.id, mine.id, None)
    failed.status = "cancelled"
    assert fire_alerts()["cleared"] == 1
