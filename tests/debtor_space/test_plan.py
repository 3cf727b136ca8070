"""Proposing a plan from the space: within the mandate it runs at once with its agreement letter; beyond it the
agency decides (and the client) and the debtor reads the answer; the mandate's minimums bind staff too."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from agency.message_models import EmailMessage, SmsMessage
from agency.models import AuditEvent, Mandate
from cases.letters.storage import read_document
from cases.models import Action, CaseStatus
from money.models import PaymentPlan, PlanStatus
from money.plans.plans import propose_plan, split
from tests import factories
from tests.cases.letters.reading import pdf_text
from tests.conftest import csrf_token, login
from tests.debtor_space.conftest import csrf_of, enter, link_for, text_of

NOON = datetime(2026, 3, 16, 11, 0, tzinfo=UTC)  # a Monday
TODAY = date(2026, 3, 16)


def _open(visitor, db_session, case):
    token = link_for(case)
    db_session.commit()
    enter(visitor, token)
    return f"/espace/dossier/{case.id}/echeancier"


def _propose(visitor, url, **fields):
    page = visitor.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    data = {"kind": "plan", "count": "3", "first_due": "2026-03-23", "csrf_token": csrf_of(page.get_data(as_text=True))}
    return visitor.post(url, data={**data, **fields})


def _plans(db_session, case):
    return db_session.scalars(sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id)).all()


def _mandate(case) -> Mandate:
    return case.client.active_mandate(TODAY)


def test_a_plan_within_the_mandate_runs_at_once_with_its_agreement_letter(visitor, db_session, person_case,
                                                                          time_machine, run_jobs):
    time_machine.move_to(NOON, tick=True)  # ticking: RQ's worker waits on the clock
    url = _open(visitor, db_session, person_case)
    response = _propose(visitor, url, first_amount="500")
    assert response.status_code == 302 and response.headers["Location"] == url
    [plan] = _plans(db_session, person_case)
    assert (plan.status, plan.origin, plan.total_cents) == (PlanStatus.ACTIVE, "debtor", 123_456)
    assert [(i.due_on, i.amount_cents) for i in plan.instalments] == [
        (date(2026, 3, 23), 50_000), (date(2026, 4, 23), 36_728), (date(2026, 5, 23), 36_728)]
    run_jobs()
    db_session.expire_all()
    assert person_case.status == CaseStatus.PLAN
    # The agreement letter, produced by the staff's job, read back.
    text = pdf_text(read_document(plan.agreement_path, plan.agreement_sha256))
    assert plan.reference in text and "500,00" in text and "367,28" in text
    page = text_of(visitor.get(url))
    assert 'data-testid="space-first-payment"' in page and "500,00" in page
    assert 'data-testid="space-rf"' in page and "RF" in page  # the transfer's structured reference
    events = db_session.scalars(sa.select(AuditEvent.actor_label).where(AuditEvent.action == "plan.proposed")).all()
    assert events == ["debtor"]


def test_double_submission_makes_one_plan(visitor, db_session, person_case, time_machine):
    time_machine.move_to(NOON, tick=True)  # ticking: RQ's worker waits on the clock
    url = _open(visitor, db_session, person_case)
    page = visitor.get(url).get_data(as_text=True)
    data = {"kind": "plan", "count": "3", "first_due": "2026-03-23", "csrf_token": csrf_of(page)}
    first, second = visitor.post(url, data=data), visitor.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert len(_plans(db_session, person_case)) == 1


def test_a_plan_beyond_the_limits_waits_for_the_agency_then_the_client_and_the_debtor_is_told(
        app, visitor, client, login_as, db_session, person_case, time_machine, run_jobs):
    time_machine.move_to(NOON, tick=True)  # ticking: RQ's worker waits on the clock
    url = _open(visitor, db_session, person_case)
    assert _propose(visitor, url, count="24").status_code == 302  # 24 months: the mandate allows 12
    [plan] = _plans(db_session, person_case)
    assert (plan.status, plan.agreement_sha256) == (PlanStatus.AWAITING_AGENCY, "")
    note = db_session.scalars(sa.select(Action).where(Action.case_id == person_case.id, Action.channel == "portal")).one()
    assert note.direction == "inbound" and plan.reference in note.note
    db_session.expire_all()
    assert person_case.next_action_at is not None  # due in the queue now
    assert 'data-status="awaiting_agency"' in text_of(visitor.get(url))

    login_as("collector")
    case_page = client.get(f"/cases/{person_case.id}").get_data(as_text=True)
    assert 'data-testid="plan-awaiting-agency"' in case_page
    assert client.post(f"/plans/{plan.id}/forward", data={"csrf_token": csrf_of(case_page)}).status_code == 302
    db_session.expire_all()
    assert plan.status == PlanStatus.AWAITING_CLIENT
    app.test_client_class = type(client)
    customer = app.test_client()
    user = factories.user("client", client=person_case.client)
    db_session.commit()
    login(customer, user.email)
    approvals = customer.get("/plans/approvals").get_data(as_text=True)
    assert customer.post(f"/plans/{plan.id}/approve", data={"csrf_token": csrf_of(approvals)}).status_code == 302
    run_jobs()
    db_session.expire_all()
    assert plan.status == PlanStatus.ACTIVE and plan.agreement_sha256
    page = text_of(visitor.get(url))
    assert 'data-status="active"' in page and 'data-testid="space-first-payment"' in page
    # Told by SMS (no e-mail address on file), with a link of its own back to the space.
    [sms] = db_session.scalars(sa.select(SmsMessage).where(SmsMessage.to_number == "+33612345678")).all()
    assert f"votre échéancier {plan.reference} est accepté (24 versements" in sms.body
    assert "/espace/" in sms.body and "STOP" in sms.body
    assert db_session.scalar(sa.select(sa.func.count(EmailMessage.id))) == 0


def test_a_declined_proposal_is_told_with_its_reason_and_another_may_follow(visitor, client, login_as, db_session,
                                                                            person_case, time_machine, run_jobs):
    time_machine.move_to(NOON, tick=True)  # ticking: RQ's worker waits on the clock
    factories.contact(person_case.debtor, "email", "jeanne.martin@example.org")
    url = _open(visitor, db_session, person_case)
    _propose(visitor, url, kind="settlement", offer="300")  # a discount: the mandate grants none
    [plan] = _plans(db_session, person_case)
    assert plan.status == PlanStatus.AWAITING_AGENCY and plan.is_settlement
    login_as("collector")
    token = csrf_token(client, f"/cases/{person_case.id}")
    assert client.post(f"/plans/{plan.id}/decline", data={"csrf_token": token}).status_code == 302
    db_session.expire_all()
    assert plan.status == PlanStatus.AWAITING_AGENCY  # a reason is required
    client.post(f"/plans/{plan.id}/decline", data={"csrf_token": token, "note": "Offre trop basse"})
    db_session.expire_all()
    assert plan.status == PlanStatus.REFUSED
    assert "plan.declined" in db_session.scalars(sa.select(AuditEvent.action)).all()
    page = text_of(visitor.get(url))
    assert 'data-testid="plan-answer" data-status="refused"' in page and "Offre trop basse" in page
    assert 'data-testid="plan-form"' in page
    run_jobs()
    # Told by e-mail, which says why; no SMS besides.
    [mail] = db_session.scalars(sa.select(EmailMessage)).all()
    assert mail.to_address == "jeanne.martin@example.org"
    assert mail.subject == f"Votre proposition d'échéancier {plan.reference} : non acceptée (dossier {person_case.reference})"
    assert "Motif : Offre trop basse" in mail.body and "/espace/" in mail.body
    assert "solde de 1\u202f234,56\u00a0€" in mail.body
    assert db_session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 0


def test_the_minimum_instalment_and_first_payment_bind_debtors_and_staff(visitor, db_session, person_case,
                                                                         time_machine):
    time_machine.move_to(NOON, tick=True)  # ticking: RQ's worker waits on the clock
    mandate = _mandate(person_case)
    mandate.min_instalment_cents, mandate.min_first_payment_cents = 50_000, 30_000
    url = _open(visitor, db_session, person_case)
    _propose(visitor, url, first_amount="200")  # a first payment of 200 € below the 300 € asked
    [plan] = _plans(db_session, person_case)
    assert plan.status == PlanStatus.AWAITING_AGENCY
    plan.status = PlanStatus.CANCELLED.value
    staff = factories.user("collector")
    # Staff: three instalments of 411,52 € are below the 500 € minimum: the client must approve.
    small = propose_plan(person_case, instalments=split(123_456, 3, date(2026, 3, 23)), total_cents=123_456,
                         actor=staff)
    assert small.status == PlanStatus.AWAITING_CLIENT
    small.status = PlanStatus.CANCELLED.value
    # Two of 617,28 €: within; the last instalment may hold a smaller remainder.
    ok = propose_plan(person_case, instalments=[(date(2026, 3, 23), 60_000), (date(2026, 4, 23), 60_000),
                                                (date(2026, 5, 23), 3_456)], total_cents=123_456, actor=staff)
    assert ok.status == PlanStatus.ACTIVE


def test_a_wrong_proposal_is_refused_at_its_field(visitor, db_session, person_case, time_machine):
    time_machine.move_to(NOON, tick=True)  # ticking: RQ's worker waits on the clock
    url = _open(visitor, db_session, person_case)
    response = _propose(visitor, url, kind="settlement", offer="", first_due="2026-06-30", count="0")
    page = text_of(response)
    assert response.status_code == 400
    assert 'data-testid="error-offer"' in page and 'data-testid="error-count"' in page
    assert 'aria-describedby="count-hint count-error"' in page and 'aria-invalid="true"' in page
    response = _propose(visitor, url, first_due="2026-06-30")
    assert response.status_code == 400 and 'data-testid="error-first_due"' in text_of(response)
    assert _plans(db_session, person_case) == []


def test_the_answer_is_a_message_the_platform_sends_never_one_staff_pick(person_case):
    from cases.messaging.templates import MessageError, available_templates, render_message, template_names

    for channel in ("sms", "email"):
        assert "plan_decided" in template_names(channel)
        assert "plan_decided" not in available_templates(person_case, channel)
        try:
            render_message(person_case, channel, "plan_decided")
        except MessageError as exc:
            assert "event" in str(exc)
        else:
            raise AssertionError("an event template rendered without its event's facts")
