"""The contact rules applied to cases: profile of the mandate, call history, holds across cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.models import AuditEvent
from cases.actions import record_action
from cases.contact_rules import (
    allowed_contact_points,
    contact_summary,
    may_contact,
    profile_for,
    record_blocked,
)
from cases.models import Action
from debtors.compliance import Verdict
from debtors.models import Hold
from tests import factories

MONDAY_NOON_PARIS = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
SATURDAY_NOON_PARIS = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)


@pytest.fixture
def case(db_session):
    debtor = factories.debtor()
    factories.contact(debtor, "phone", "+33612345678", is_primary=True)
    factories.contact(debtor, "email", "jeanne@example.com")
    factories.contact(debtor, "address", "", address_line1="3 rue Neuve", postcode="69001", city="Lyon")
    return factories.case(debtor_row=debtor)


def us_case(debtor=None):
    client = factories.client()
    client.mandates[0].jurisdiction = "US"
    debtor = debtor or factories.debtor(timezone="America/New_York")
    factories.contact(debtor, "phone", "+12125550123")
    return factories.case(client_row=client, debtor_row=debtor)


def call(case, at, *, outcome="no_answer", status="done", direction="outbound"):
    action = record_action(case, "call", "phone", actor=None, status=status, outcome=outcome, direction=direction,
                           done_at=at if status == "done" else None)
    db.session.add(action)
    return action


def point(case, kind):
    return next(cp for cp in case.debtor.contact_points if cp.kind == kind)


def test_the_profile_is_the_mandates_jurisdiction(case, db_session):
    assert profile_for(case, MONDAY_NOON_PARIS).code == "FR"
    assert not may_contact(case, "phone", at=SATURDAY_NOON_PARIS).allowed
    us = us_case(factories.debtor())  # a Paris debtor of a US mandate: US hours, every day
    assert profile_for(us, MONDAY_NOON_PARIS).code == "US"
    assert may_contact(us, "phone", at=SATURDAY_NOON_PARIS).allowed


def test_without_a_mandate_in_force_the_french_rules_apply(case, db_session):
    case.client.mandates[0].jurisdiction = "US"
    case.client.mandates[0].ends_on = date(2026, 1, 31)
    assert profile_for(case, MONDAY_NOON_PARIS).code == "FR"
    assert profile_for(case, datetime(2026, 1, 10, tzinfo=UTC)).code == "US"


def test_hours_are_read_in_the_debtors_time_zone(case):
    case.debtor.timezone = "America/New_York"
    verdict = may_contact(case, "phone", at=MONDAY_NOON_PARIS)  # 06:00 in New York
    assert verdict.reason == "outside_hours"
    assert verdict.next_allowed_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 EST
    assert may_contact(case, "phone", at=verdict.next_allowed_at).allowed


def test_every_channel_with_its_contact_point(case):
    for channel in ("phone", "sms", "email", "post"):
        assert may_contact(case, channel, at=MONDAY_NOON_PARIS).allowed, channel
    point(case, "email").opted_out_at = MONDAY_NOON_PARIS
    assert may_contact(case, "email", at=MONDAY_NOON_PARIS).reason == "opted_out"


def test_the_call_cap_counts_this_cases_outbound_calls(case):
    at = MONDAY_NOON_PARIS
    for days in (1, 2, 3):
        call(case, at - timedelta(days=days))
    call(case, at - timedelta(days=1), status="blocked")  # a refused call is no attempt
    call(case, at - timedelta(days=1), status="scheduled")
    call(case, at - timedelta(days=1), direction="inbound")  # the debtor called us
    call(case, at - timedelta(days=40))  # outside the 30 days
    other = factories.case(debtor_row=case.debtor)
    call(other, at - timedelta(days=1))  # the cap is per case
    assert may_contact(case, "phone", at=at).allowed
    call(case, at - timedelta(days=5))
    verdict = may_contact(case, "phone", at=at)
    assert verdict.reason == "call_cap"
    assert verdict.next_allowed_at == at + timedelta(days=25)  # the 5-day-old call leaves the 30 days
    assert may_contact(other, "phone", at=at).allowed
    assert may_contact(case, "sms", at=at).allowed


def test_the_wait_after_a_conversation(db_session):
    case = us_case()
    at = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 11:00 in New York
    call(case, at - timedelta(days=1), outcome="voicemail")
    assert may_contact(case, "phone", at=at).allowed
    call(case, at - timedelta(days=2), outcome="promise", direction="inbound")
    verdict = may_contact(case, "phone", at=at)
    assert verdict.reason == "conversation_wait"
    assert verdict.next_allowed_at == at + timedelta(days=5)
    assert may_contact(case, "phone", at=at + timedelta(days=5)).allowed


def test_a_debtor_hold_stops_every_case_of_the_debtor(case, db_session):
    other_client_case = factories.case(debtor_row=case.debtor)
    # Added by id, as another screen would: the rules read the holds from the database.
    db_session.add(Hold(debtor_id=case.debtor_id, kind="insolvency"))
    for row in (case, other_client_case):
        for channel in ("phone", "sms", "email", "post"):
            verdict = may_contact(row, channel, at=MONDAY_NOON_PARIS)
            assert (verdict.allowed, verdict.reason) == (False, "hold_insolvency")


def test_a_dispute_stops_its_own_case_only(case, db_session):
    other = factories.case(debtor_row=case.debtor)
    db_session.add(Hold(debtor_id=case.debtor_id, case_id=case.id, kind="dispute"))
    assert may_contact(case, "phone", at=MONDAY_NOON_PARIS).reason == "hold_dispute"
    assert may_contact(case, "phone", at=MONDAY_NOON_PARIS, about_dispute=True).allowed
    assert may_contact(other, "phone", at=MONDAY_NOON_PARIS).allowed


def test_allowed_contact_points_lists_every_point_with_its_verdict(case):
    primary = point(case, "phone")
    wrong = factories.contact(case.debtor, "phone", "+33611111111", status="wrong")
    second = factories.contact(case.debtor, "phone", "+33698765432")
    points = allowed_contact_points(case, "phone", at=MONDAY_NOON_PARIS)
    # Allowed first, the primary before the others.
    assert [(cp.id, v.allowed) for cp, v in points] == [(primary.id, True), (second.id, True), (wrong.id, False)]
    primary.opted_out_at = MONDAY_NOON_PARIS - timedelta(days=1)
    points = allowed_contact_points(case, "phone", at=MONDAY_NOON_PARIS)
    assert [(cp.id, v.allowed, v.reason) for cp, v in points] == [
        (second.id, True, ""),
        (primary.id, False, "opted_out"),
        (wrong.id, False, "wrong_contact"),
    ]
    assert [cp.kind for cp, _v in allowed_contact_points(case, "post", at=MONDAY_NOON_PARIS)] == ["address"]


def test_a_contact_point_of_another_debtor_is_refused(case):
    stranger = factories.contact(factories.debtor(), "phone", "+33622222222")
    with pytest.raises(ValueError):
        may_contact(case, "phone", contact_point=stranger, at=MONDAY_NOON_PARIS)


def test_record_blocked_keeps_the_reason_in_the_history_and_the_audit(case, db_session):
    user = factories.user("collector")
    verdict = may_contact(case, "sms", at=SATURDAY_NOON_PARIS)
    phone = point(case, "phone")
    action = record_blocked(case, "sms", "sms", verdict, actor=user, contact_point=phone, strategy_step=2)
    db_session.flush()
    stored = db_session.get(Action, action.id)
    assert (stored.status, stored.reason, stored.contact_point_id, stored.strategy_step) == (
        "blocked", "outside_hours", phone.id, 2)
    assert stored.done_at is None and "10:00" in stored.note
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "action.sms")
                              .order_by(AuditEvent.id.desc()))
    assert event.after["status"] == "blocked" and event.after["reason"] == "outside_hours"
    assert event.actor_id == user.id
    with pytest.raises(ValueError):
        record_blocked(case, "sms", "sms", Verdict(True), actor=user)


def test_blocked_calls_do_not_feed_the_cap(case, db_session):
    verdict = may_contact(case, "phone", at=SATURDAY_NOON_PARIS)
    for _ in range(5):
        record_blocked(case, "call", "phone", verdict, actor=None)
    assert may_contact(case, "phone", at=MONDAY_NOON_PARIS + timedelta(days=7)).allowed


def test_contact_summary_for_the_case_screen(case, db_session):
    db_session.add(Hold(debtor_id=case.debtor_id, case_id=case.id, kind="dispute"))
    summary = contact_summary(case, at=SATURDAY_NOON_PARIS)
    assert summary.profile.code == "FR" and summary.timezone == "Europe/Paris"
    assert "12:00" in summary.local_time
    assert [(c, v.reason) for c, v in summary.verdicts] == [
        ("phone", "hold_dispute"), ("sms", "hold_dispute"), ("email", "hold_dispute"), ("post", "hold_dispute")]


def test_the_summary_says_a_shared_refusal_once(case, db_session):
    assert contact_summary(case, at=MONDAY_NOON_PARIS).common_refusal is None
    # Saturday: calls and SMS wait for Monday, e-mails and letters go: no shared refusal.
    assert contact_summary(case, at=SATURDAY_NOON_PARIS).common_refusal is None
    db_session.add(Hold(debtor_id=case.debtor_id, kind="cease_communication"))
    assert contact_summary(case, at=MONDAY_NOON_PARIS).common_refusal.reason == "hold_cease_communication"
