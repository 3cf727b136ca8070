"""The administration of the contact profiles: list, edit, validation naming the field, audit."""

from __future__ import annotations

import re

import sqlalchemy as sa

from agency.models import AuditEvent
from debtors.models import ContactProfile
from tests.conftest import csrf_token

URL = "/admin/contact-rules"


def form_data(client, token_page: str = f"{URL}/FR", **changes) -> dict:
    data = {
        "csrf_token": csrf_token(client, token_page),
        "day_1": "10:00-13:00, 14:00-20:00",
        "day_2": "10:00-13:00, 14:00-20:00",
        "day_3": "10:00-13:00, 14:00-20:00",
        "day_4": "10:00-13:00, 14:00-20:00",
        "day_5": "10:00-13:00, 14:00-20:00",
        "day_6": "",
        "day_7": "",
        "hours_channels": ["phone", "sms"],
        "no_contact_on_holidays": "y",
        "holiday_country": "FR",
        "call_cap": "4",
        "call_cap_days": "30",
        "conversation_wait_days": "0",
    }
    return data | changes


def fr(db_session) -> ContactProfile:
    db_session.expire_all()
    return db_session.scalar(sa.select(ContactProfile).where(ContactProfile.code == "FR"))


def test_the_list_shows_both_profiles(client, login_as):
    login_as("admin")
    page = client.get(URL).get_data(as_text=True)
    assert 'data-testid="profile-FR"' in page and 'data-testid="profile-US"' in page
    assert "10:00-13:00, 14:00-20:00" in page and "08:00-21:00" in page
    assert f'href="{URL}"' in client.get("/cases/").get_data(as_text=True)  # the admin menu links to it


def test_the_form_shows_the_stored_rules(client, login_as):
    login_as("admin")
    page = client.get(f"{URL}/FR").get_data(as_text=True)
    assert 'value="10:00-13:00, 14:00-20:00"' in page
    assert re.search(r'<input checked [^>]*value="phone"', page)
    assert re.search(r'<input class[^>]*value="email"', page)  # FR hours do not bind e-mails
    assert client.get(f"{URL}/XX").status_code == 404


def test_an_admin_changes_the_rules_and_it_is_audited(client, login_as, db_session):
    admin = login_as("admin")
    data = form_data(client, day_6="09:00-12:00", call_cap="", conversation_wait_days="2",
                     hours_channels=["phone", "sms", "email"], no_contact_on_holidays="")
    del data["no_contact_on_holidays"]  # an unticked box is not sent
    response = client.post(f"{URL}/FR", data=data)
    assert response.status_code == 302
    profile = fr(db_session)
    assert profile.windows["6"] == [["09:00", "12:00"]] and "7" not in profile.windows
    assert profile.call_cap is None and profile.conversation_wait_days == 2
    assert profile.hours_channels == ["phone", "sms", "email"] and profile.no_contact_on_holidays is False
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "contact_profile.updated"))
    assert event.actor_id == admin.id and event.before["call_cap"] == 4 and event.after["call_cap"] is None


def test_bad_windows_are_refused_with_the_field_named(client, login_as, db_session):
    login_as("admin")
    client.post("/language/en", data={"csrf_token": csrf_token(client, URL), "next": URL})
    cases = {
        "day_1": ("10h-13h", "Monday", "is not a range such as 10:00-13:00"),
        "day_2": ("13:00-10:00", "Tuesday", "ends before it starts"),
        "day_3": ("10:00-13:00, 12:30-14:00", "Wednesday", "10:00-13:00 and 12:30-14:00 overlap"),
        "day_4": ("10:00-25:00", "Thursday", "is not a time of day"),
    }
    for field, (value, day, message) in cases.items():
        response = client.post(f"{URL}/FR", data=form_data(client, **{field: value}))
        page = response.get_data(as_text=True)
        assert response.status_code == 400, field
        errors = page.split('data-testid="form-errors"')[1].split("</div>")[0]
        assert f"<li>{day} : " in errors and message in errors, (field, errors)
    profile = fr(db_session)
    assert profile.windows["1"] == [["10:00", "13:00"], ["14:00", "20:00"]]


def test_bad_numbers_are_refused(client, login_as, db_session):
    login_as("admin")
    for changes in ({"call_cap": "0"}, {"call_cap_days": ""}, {"conversation_wait_days": "-1"},
                    {"holiday_country": "XX"}, {"hours_channels": ["fax"]}):
        response = client.post(f"{URL}/FR", data=form_data(client, **changes))
        assert response.status_code == 400, changes
    assert fr(db_session).call_cap == 4


def test_only_admins_manage_the_contact_rules(client, login_as, db_session):
    login_as("manager")
    assert client.get(URL).status_code == 403
    response = client.post(f"{URL}/FR", data=form_data(client, "/cases/", call_cap="1"))
    assert response.status_code == 403
    assert fr(db_session).call_cap == 4
