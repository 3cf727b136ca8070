"""Staff add, correct and mark a debtor's phones, e-mails and postal addresses from the debtor page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from debtors import contacts
from debtors.models import ContactPoint
from tests import factories
from tests.conftest import csrf_token

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def events(db_session, action):
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def points(db_session, debtor):
    db_session.expire_all()
    return db_session.scalars(sa.select(ContactPoint).where(ContactPoint.debtor_id == debtor.id)
                              .order_by(ContactPoint.id)).all()


def post_form(client, debtor, path, fields):
    url = f"/debtors/{debtor.id}"
    return client.post(f"{url}/contact-points/{path}", data={"csrf_token": csrf_token(client, url), **fields})


def add(client, debtor, kind, **fields):
    base = {f"{kind}-source": "research", f"{kind}-learned_on": "2026-12-04"}
    return post_form(client, debtor, kind, base | {f"{kind}-{k}": v for k, v in fields.items()})


def test_a_collector_adds_a_phone_with_its_source_and_date(client, login_as, db_session):
    collector = login_as("collector")
    debtor = factories.debtor()
    db_session.commit()
    response = add(client, debtor, "phone", number="06 12 34 56 78", label="mobile")
    assert response.status_code == 302
    [point] = points(db_session, debtor)
    assert (point.kind, point.value, point.label) == ("phone", "+33612345678", "mobile")
    assert (point.source, point.learned_on) == ("research", date(2026, 12, 4))
    [added] = events(db_session, "contact_point.added")
    assert added.actor_id == collector.id and added.after["source"] == "research"
    page = client.get(f"/debtors/{debtor.id}").get_data(as_text=True)
    assert "06 12 34 56 78" in page and "Recherche du gestionnaire" in page and "appris le 04/12/2026" in page


def test_an_email_and_an_address_are_kept_normalised(client, login_as, db_session):
    login_as("manager")
    debtor = factories.debtor()
    db_session.commit()
    assert add(client, debtor, "email", address="Jeanne.Martin@Exemple.FR").status_code == 302
    assert add(client, debtor, "address", name_line="Chez M. Bernard", line1="3  rue  de la Paix",
               line2="", postcode="69 003", city="Lyon", country="FR").status_code == 302
    email, address = points(db_session, debtor)
    assert email.value == "jeanne.martin@exemple.fr" and email.source == "research"
    assert (address.name_line, address.address_line1, address.postcode, address.city) == (
        "Chez M. Bernard", "3 rue de la Paix", "69003", "Lyon")


@pytest.mark.parametrize(("kind", "fields", "field", "message"), [
    ("phone", {"number": "06 12"}, "number", "Numéro de téléphone : numéro invalide"),
    ("email", {"address": "jeanne@"}, "address", "Adresse e-mail : adresse invalide"),
    ("address", {"line1": "3 rue de la Paix", "postcode": "6900", "city": "Lyon", "country": "FR"}, "postcode",
     "Un code postal français a cinq chiffres"),
    ("address", {"line1": "3 rue du Professeur Jean-Baptiste Charcot Prolongée", "postcode": "69003",
                 "city": "Lyon", "country": "FR"}, "line1", "38 caractères au plus par ligne"),
])
def test_bad_details_are_refused_at_their_field_and_nothing_is_written(client, login_as, db_session, kind, fields,
                                                                         field, message):
    login_as("collector")
    debtor = factories.debtor()
    db_session.commit()
    response = add(client, debtor, kind, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    # The message sits under the field that is wrong, whose input is marked invalid.
    field_html = page[page.index(f'id="{kind}-{field}"') - 300:page.index(f'id="{kind}-{field}"') + 600]
    assert "is-invalid" in field_html and message in field_html
    assert points(db_session, debtor) == []
    assert events(db_session, "contact_point.added") == []


def test_a_date_learned_in_the_future_or_a_source_off_the_list_is_refused(client, login_as, db_session):
    login_as("collector")
    debtor = factories.debtor()
    db_session.commit()
    response = post_form(client, debtor, "phone", {"phone-number": "0612345678", "phone-source": "research",
                                                   "phone-learned_on": "2026-12-07"})
    assert response.status_code == 400 and "ne peut pas être dans le futur" in response.get_data(as_text=True)
    response = post_form(client, debtor, "phone", {"phone-number": "0612345678", "phone-source": "guess",
                                                   "phone-learned_on": "2026-12-01"})
    assert response.status_code == 400
    assert points(db_session, debtor) == []


def test_the_same_details_twice_are_refused(client, login_as, db_session):
    login_as("collector")
    debtor = factories.debtor()
    factories.contact(debtor, "phone", "+33612345678")
    db_session.commit()
    response = add(client, debtor, "phone", number="+33 6 12 34 56 78")
    assert response.status_code == 400 and "Déjà enregistré" in response.get_data(as_text=True)
    assert len(points(db_session, debtor)) == 1


def test_correcting_keeps_the_old_point_and_audits_before_and_after(client, login_as, db_session):
    login_as("collector")
    debtor = factories.debtor()
    old = factories.postal_address(debtor, address_line1="12 rue des Lilsa", source="placement")
    db_session.commit()
    response = post_form(client, debtor, f"{old.id}/correct", {
        f"fix-{old.id}-line1": "12 rue des Lilas", f"fix-{old.id}-postcode": "69003", f"fix-{old.id}-city": "Lyon",
        f"fix-{old.id}-country": "FR", f"fix-{old.id}-source": "debtor", f"fix-{old.id}-learned_on": "2026-12-05"})
    assert response.status_code == 302
    kept, new = points(db_session, debtor)
    assert kept.id == old.id and kept.address_line1 == "12 rue des Lilsa"  # never edited in place
    assert kept.status == "inactive" and kept.superseded_by_id == new.id and not kept.usable
    assert new.address_line1 == "12 rue des Lilas" and new.source == "debtor" and new.usable
    assert new.is_primary and not kept.is_primary  # the preference goes to the correction
    [corrected] = events(db_session, "contact_point.corrected")
    assert corrected.before["address_line1"] == "12 rue des Lilsa"
    assert corrected.after["address_line1"] == "12 rue des Lilas" and corrected.after["source"] == "debtor"
    # The replaced point cannot be corrected a second time.
    again = post_form(client, debtor, f"{old.id}/correct", {
        f"fix-{old.id}-line1": "14 rue des Lilas", f"fix-{old.id}-postcode": "69003", f"fix-{old.id}-city": "Lyon",
        f"fix-{old.id}-country": "FR", f"fix-{old.id}-source": "debtor", f"fix-{old.id}-learned_on": "2026-12-05"})
    assert again.status_code == 400
    assert len(points(db_session, debtor)) == 2


def test_one_preferred_point_per_kind(client, login_as, db_session):
    login_as("collector")
    debtor = factories.debtor()
    first = factories.contact(debtor, "phone", "+33612345678", is_primary=True)
    second = factories.contact(debtor, "phone", "+33698765432")
    email = factories.contact(debtor, "email", "j@exemple.fr", is_primary=True)
    db_session.commit()
    assert post_form(client, debtor, f"{second.id}/preferred", {}).status_code == 302
    first, second, email = points(db_session, debtor)
    assert (first.is_primary, second.is_primary, email.is_primary) == (False, True, True)
    [event] = events(db_session, "contact_point.preferred")
    assert event.before == {"preferred": first.id} and event.after["preferred"] == second.id


def test_a_wrong_point_cannot_be_preferred(db_session):
    debtor = factories.debtor()
    point = factories.contact(debtor, "phone", "+33612345678", status="wrong")
    with pytest.raises(contacts.ContactError):
        contacts.mark_preferred(point, actor=factories.user())


def test_an_address_marked_returned_is_no_longer_used(client, login_as, db_session):
    login_as("collector")
    debtor = factories.debtor()
    address = factories.postal_address(debtor)
    db_session.commit()
    assert post_form(client, debtor, f"{address.id}/returned", {"returned_on": "2026-12-03"}).status_code == 302
    [address] = points(db_session, debtor)
    assert address.status == "bounced" and address.returned_on == date(2026, 12, 3) and not address.usable
    assert events(db_session, "contact_point.returned")[0].after["returned_on"] == "2026-12-03"
    assert "courrier revenu (NPAI)" in client.get(f"/debtors/{debtor.id}").get_data(as_text=True)


@pytest.mark.parametrize("role", ["client"])
def test_client_users_never_change_contact_details(client, login_as, db_session, role):
    login_as(role, factories.client())
    debtor = factories.debtor()
    point = factories.contact(debtor, "phone", "+33612345678")
    db_session.commit()
    for path in ("phone", f"{point.id}/correct", f"{point.id}/preferred", f"{point.id}/returned"):
        response = client.post(f"/debtors/{debtor.id}/contact-points/{path}", data={"phone-number": "0698765432"})
        assert response.status_code in (400, 403), path
    assert len(points(db_session, debtor)) == 1
