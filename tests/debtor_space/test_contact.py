"""Choosing how to be contacted from the space: an opt-out stops SMS at the sender, a new phone or address is a new
contact point given by the debtor, checked like any other, the old one kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from cases.messaging.sms import send_case_sms
from cases.models import ActionStatus
from debtors.models import ContactPoint
from tests.debtor_space.conftest import enter, link_for, text_of

NOON = datetime(2026, 3, 16, 11, 0, tzinfo=UTC)


@pytest.fixture
def space(visitor, db_session, person_case, time_machine):
    time_machine.move_to(NOON, tick=True)
    token = link_for(person_case)
    db_session.commit()
    enter(visitor, token)
    return f"/espace/dossier/{person_case.id}/contact"


def _send(visitor, url, part: str, fields: dict):
    page = visitor.get(url).get_data(as_text=True)
    token = re.search(rf'name="{part}-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return visitor.post(url, data={f"{part}-csrf_token": token, **{f"{part}-{k}": v for k, v in fields.items()}})


def _points(db_session, case, kind):
    return db_session.scalars(sa.select(ContactPoint).where(ContactPoint.debtor_id == case.debtor_id,
                                                            ContactPoint.kind == kind).order_by(ContactPoint.id)).all()


def test_an_opt_out_stops_sms_at_the_sender(visitor, db_session, person_case, space):
    assert _send(visitor, space, "stop", {"sms": "1"}).status_code == 302
    db_session.expire_all()
    [phone] = _points(db_session, person_case, "phone")
    assert phone.opted_out_at is not None
    action = send_case_sms(person_case, "reminder", actor=None)
    assert action.status == ActionStatus.BLOCKED  # the sender refuses: the rules see the opt-out
    assert 'data-testid="sms-stopped"' in text_of(visitor.get(space))


def test_a_new_phone_is_a_new_point_given_by_the_debtor_and_the_old_one_stays(visitor, db_session, person_case,
                                                                              space):
    assert _send(visitor, space, "phone", {"phone": "07 98 76 54 32", "submit": "1"}).status_code == 302
    db_session.expire_all()
    old, new = _points(db_session, person_case, "phone")
    assert (old.value, old.opted_out_at) == ("+33612345678", None)
    assert (new.value, new.source, new.is_primary) == ("+33798765432", "debtor", False)
    response = _send(visitor, space, "phone", {"phone": "12345", "submit": "1"})
    assert response.status_code == 400 and 'data-testid="error-phone-phone"' in text_of(response)
    assert len(_points(db_session, person_case, "phone")) == 2


def test_a_new_address_is_checked_and_kept_beside_the_old(visitor, db_session, person_case, space):
    bad = _send(visitor, space, "address", {"line1": "3 rue Neuve", "postcode": "00123", "city": "Lyon", "submit": "1"})
    assert bad.status_code == 400 and 'data-testid="error-address-postcode"' in text_of(bad)
    good = _send(visitor, space, "address", {"line1": "3 rue Neuve", "postcode": "69 007", "city": "Lyon",
                                             "submit": "1"})
    assert good.status_code == 302
    db_session.expire_all()
    old, new = _points(db_session, person_case, "address")
    assert old.postcode == "69003" and (new.postcode, new.source) == ("69007", "debtor")
    assert _send(visitor, space, "email", {"email": "jeanne@", "submit": "1"}).status_code == 400
    assert _send(visitor, space, "email", {"email": "Jeanne.Martin@Example.org", "submit": "1"}).status_code == 302
    db_session.expire_all()
    assert [p.value for p in _points(db_session, person_case, "email")][-1] == "jeanne.martin@example.org"
