"""Holds and opt-outs on the debtor page: operations, permissions, audit, and what every case shows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from debtors.holds import HoldError, add_months, claim_filing_deadline, end_hold, put_on_hold
from debtors.models import ContactPoint, Hold
from tests import factories
from tests.conftest import csrf_token


def events(db_session, action):
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_put_on_hold_and_end_it(db_session, time_machine):
    time_machine.move_to(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    manager = factories.user("manager")
    debtor = factories.debtor()
    hold = put_on_hold(debtor, "insolvency", actor=manager, reason="Redressement judiciaire, TC Lyon",
                       reference_date=date(2026, 11, 16), bodacc_published_on=date(2026, 11, 30))
    db_session.flush()
    assert debtor.active_holds == [hold] and hold.created_by_id == manager.id
    assert claim_filing_deadline(hold) == date(2027, 1, 30)  # two months after the BODACC, not the judgment
    [started] = events(db_session, "hold.started")
    assert started.after["kind"] == "insolvency" and started.after["reference_date"] == "2026-11-16"
    assert started.after["bodacc_published_on"] == "2026-11-30"
    with pytest.raises(HoldError):
        put_on_hold(debtor, "insolvency", actor=manager)  # one active hold of a kind at a time
    with pytest.raises(HoldError) as refused:
        end_hold(hold, actor=manager, resolution="  ")
    assert refused.value.field == "resolution"
    end_hold(hold, actor=manager, resolution="Plan de continuation adopté")
    db_session.flush()
    assert debtor.active_holds == [] and hold.ended_by_id == manager.id
    assert events(db_session, "hold.ended")[0].after["resolution"] == "Plan de continuation adopté"
    with pytest.raises(HoldError):
        end_hold(hold, actor=manager, resolution="again")


def test_disputes_are_not_handled_here(db_session):
    case = factories.case()
    with pytest.raises(HoldError):
        put_on_hold(case.debtor, "dispute", actor=None)
    dispute = Hold(debtor_id=case.debtor_id, case_id=case.id, kind="dispute")
    db_session.add(dispute)
    with pytest.raises(HoldError):
        end_hold(dispute, actor=None, resolution="settled")


def test_the_filing_deadline_keeps_within_the_month():
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)
    assert claim_filing_deadline(Hold(kind="deceased", reference_date=date(2026, 1, 1))) is None


def test_a_manager_puts_a_debtor_on_hold_and_every_case_shows_it(client, login_as, db_session, time_machine):
    time_machine.move_to(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    case = factories.case()
    other = factories.case(debtor_row=case.debtor)
    db_session.commit()
    login_as("manager")
    url = f"/debtors/{case.debtor_id}"
    response = client.post(f"{url}/holds", data={
        "csrf_token": csrf_token(client, url), "kind": "insolvency", "reference_date": "2026-10-20",
        "bodacc_published_on": "2026-11-02", "reason": "Liquidation judiciaire"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="hold-banner"' in page and "Liquidation judiciaire" in page
    judgment = page.split('data-testid="judgment-date"')[1].split("</div>")[0]
    assert "Jugement d’ouverture : 20/10/2026" in judgment and "intérêts arrêtés" in judgment
    deadline = page.split('data-testid="filing-deadline"')[1].split("</div>")[0]
    assert "Publication au BODACC : 02/11/2026" in deadline
    assert "2 janvier 2027" in deadline and "27 jours restants" in deadline  # two months after the BODACC
    for row in (case, other):
        case_page = client.get(f"/cases/{row.id}").get_data(as_text=True)
        assert 'data-testid="compliance-holds"' in case_page
        assert case_page.count('data-allowed="no"') == 4  # every channel refused


def test_ending_a_hold_needs_a_resolution(client, login_as, db_session):
    debtor = factories.debtor()
    hold = put_on_hold(debtor, "deceased", actor=None)
    db_session.commit()
    login_as("manager")
    url = f"/debtors/{debtor.id}"
    token = csrf_token(client, url)
    response = client.post(f"{url}/holds/{hold.id}/end", data={"csrf_token": token, f"end-{hold.id}-resolution": ""})
    assert response.status_code == 400
    db_session.refresh(hold)
    assert hold.ended_at is None
    response = client.post(f"{url}/holds/{hold.id}/end",
                           data={"csrf_token": token, f"end-{hold.id}-resolution": "Erreur d'homonymie"})
    assert response.status_code == 302
    db_session.refresh(hold)
    assert hold.ended_at is not None and hold.resolution == "Erreur d'homonymie"
    assert "Erreur d&#39;homonymie" in client.get(url).get_data(as_text=True)


def test_a_bad_hold_form_names_the_field(client, login_as, db_session):
    debtor = factories.debtor()
    db_session.commit()
    login_as("admin")
    url = f"/debtors/{debtor.id}"
    response = client.post(f"{url}/holds", data={"csrf_token": csrf_token(client, url), "kind": "insolvency",
                                                  "reference_date": "2999-01-01"})
    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True) or "futur" in response.get_data(as_text=True)
    assert debtor.active_holds == []


def test_only_managers_manage_holds(client, login_as, db_session):
    debtor = factories.debtor()
    hold = put_on_hold(debtor, "cease_communication", actor=None)
    db_session.commit()
    login_as("collector")
    url = f"/debtors/{debtor.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="hold-form"' not in page
    token = csrf_token(client, "/cases/")
    assert client.post(f"{url}/holds", data={"csrf_token": token, "kind": "deceased"}).status_code == 403
    assert client.post(f"{url}/holds/{hold.id}/end",
                       data={"csrf_token": token, f"end-{hold.id}-resolution": "x"}).status_code == 403
    assert len(debtor.holds) == 1 and hold.ended_at is None


def test_a_hold_of_another_debtor_answers_404(client, login_as, db_session):
    mine, theirs = factories.debtor(), factories.debtor()
    hold = put_on_hold(theirs, "deceased", actor=None)
    db_session.commit()
    login_as("manager")
    url = f"/debtors/{mine.id}"
    response = client.post(f"{url}/holds/{hold.id}/end",
                           data={"csrf_token": csrf_token(client, url), f"end-{hold.id}-resolution": "x"})
    assert response.status_code == 404


def test_a_collector_records_an_opt_out_and_a_wrong_number(client, login_as, db_session):
    debtor = factories.debtor()
    mobile = factories.contact(debtor, "phone", "+33612345678")
    email = factories.contact(debtor, "email", "jeanne@example.com")
    address = factories.contact(debtor, "address", "", address_line1="1 rue A", postcode="69001", city="Lyon")
    db_session.commit()
    user = login_as("collector")
    url = f"/debtors/{debtor.id}"
    token = csrf_token(client, url)
    assert client.post(f"{url}/contact-points/{email.id}/opt-out", data={"csrf_token": token}).status_code == 302
    assert client.post(f"{url}/contact-points/{mobile.id}/wrong", data={"csrf_token": token}).status_code == 302
    assert client.post(f"{url}/contact-points/{address.id}/opt-out", data={"csrf_token": token}).status_code == 404
    # Without the CSRF token nothing changes.
    assert client.post(f"{url}/contact-points/{address.id}/wrong").status_code == 400
    for row in (mobile, email, address):
        db_session.refresh(row)
    assert email.opted_out_at is not None and mobile.status == "wrong" and address.status != "wrong"
    [opted] = events(db_session, "contact_point.opted_out")
    assert opted.actor_id == user.id and opted.after["source"] == "collector"
    assert events(db_session, "contact_point.marked_wrong")[0].subject_id == mobile.id


def test_a_contact_point_of_another_debtor_answers_404(client, login_as, db_session):
    mine, theirs = factories.debtor(), factories.debtor()
    phone = factories.contact(theirs, "phone", "+33699999999")
    db_session.commit()
    login_as("collector")
    url = f"/debtors/{mine.id}"
    response = client.post(f"{url}/contact-points/{phone.id}/wrong", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 404
    assert db_session.get(ContactPoint, phone.id).status == "unverified"


def test_client_users_reach_no_debtor_page(client, login_as, db_session):
    case = factories.case()
    phone = factories.contact(case.debtor, "phone", "+33699999998")
    db_session.commit()
    login_as("client", case.client)
    url = f"/debtors/{case.debtor_id}"
    assert client.get(url).status_code == 403
    token = csrf_token(client, "/cases/")
    assert client.post(f"{url}/contact-points/{phone.id}/opt-out", data={"csrf_token": token}).status_code == 403
    assert client.post(f"{url}/holds", data={"csrf_token": token, "kind": "deceased"}).status_code == 403


@pytest.mark.parametrize("dates, field, message", [
    ({"reference_date": "2026-12-07"}, "reference_date", "La date du jugement ne peut pas être dans le futur."),
    ({"reference_date": "2026-11-20", "bodacc_published_on": "2026-11-10"}, "bodacc_published_on",
     "La publication au BODACC ne peut pas précéder le jugement qu’elle annonce."),
    ({"bodacc_published_on": "2026-12-31"}, "bodacc_published_on",
     "La date de publication au BODACC ne peut pas être dans le futur."),
])
def test_the_hold_form_refuses_impossible_dates_on_their_field(client, login_as, db_session, time_machine,
                                                               dates, field, message):
    time_machine.move_to(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    debtor = factories.debtor()
    db_session.commit()
    login_as("manager")
    url = f"/debtors/{debtor.id}"
    response = client.post(f"{url}/holds", data={"csrf_token": csrf_token(client, url), "kind": "insolvency",
                                                  **dates})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    field_html = page.split(f'id="{field}"')[1].split("</div>")[0]
    assert message in field_html  # the message sits under the field it concerns
    db_session.expire_all()
    assert Hold.query.filter_by(debtor_id=debtor.id).count() == 0


def test_the_operation_refuses_a_future_judgment_date(db_session, time_machine):
    time_machine.move_to(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    debtor = factories.debtor()
    with pytest.raises(HoldError) as refused:
        put_on_hold(debtor, "insolvency", actor=None, reference_date=date(2026, 12, 7))
    assert refused.value.field == "reference_date" and debtor.holds == []
