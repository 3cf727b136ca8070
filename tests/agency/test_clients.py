"""Managers create clients and record their mandates; admins fill in the agency profile."""

from __future__ import annotations

import sqlalchemy as sa

from agency.models import AgencyProfile, AuditEvent, Client, Mandate
from tests import factories
from tests.conftest import csrf_token

CLIENT = {"code": "fibre", "name": "Fibréa Télécom SAS", "siren": "732 829 320", "country": "FR",
          "address_line1": "12 quai Perrache", "postcode": "69002", "city": "Lyon", "email": "compta@fibrea.fr",
          "remittance_iban": "FR76 3000 6000 0112 3456 7890 189"}
MANDATE = {"reference": "MAN-2026-07", "signed_on": "2026-06-20", "starts_on": "2026-07-01", "ends_on": "",
           "commission": "12,5", "fixed_fee": "15,00", "vat": "20", "remittance_frequency": "monthly",
           "remittance_delay_days": "30", "claims_penalties": "y", "max_discount": "10", "jurisdiction": "FR",
           "min_part_payment": "25,00", "card_fee_borne_by": "client"}


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/clients")})


def test_manager_creates_a_client_and_its_mandate_then_it_can_place(client, db_session, login_as):
    from datetime import date

    manager = login_as("manager")
    assert post(client, "/clients/new", CLIENT).status_code == 302
    created = db_session.scalar(sa.select(Client).where(Client.code == "FIBRE"))
    assert created.siren == "732829320" and created.remittance_iban == "FR7630006000011234567890189"
    assert created.active_mandate(date(2026, 7, 2)) is None

    assert post(client, f"/clients/{created.id}/mandates/new", MANDATE).status_code == 302
    mandate = db_session.scalar(sa.select(Mandate).where(Mandate.client_id == created.id))
    assert (mandate.commission_bp, mandate.fixed_fee_cents, mandate.vat_bp, mandate.max_discount_bp) == (1250, 1500, 2000, 1000)
    assert mandate.contractual_rate_bp is None and mandate.claims_penalties and mandate.ends_on is None
    assert (mandate.min_part_payment_cents, mandate.card_fee_borne_by) == (2500, "client")
    db_session.expire(created)
    assert created.active_mandate(date(2026, 7, 2)) == mandate
    actions = set(db_session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_id == manager.id)))
    assert {"client.created", "mandate.created"} <= actions
    assert "Fibréa Télécom SAS" in client.get("/clients").get_data(as_text=True)


def test_bad_client_and_mandate_input_names_the_field_and_saves_nothing(client, db_session, login_as):
    login_as("manager")
    existing = factories.client(code="TAKEN")
    db_session.commit()
    for overrides, field in [({"siren": "123456789"}, "siren"), ({"code": "taken"}, "code"),
                             ({"remittance_iban": "FR76 0000"}, "remittance_iban")]:
        response = post(client, "/clients/new", {**CLIENT, **overrides})
        assert response.status_code == 400, field
        assert f'id="{field}"' in response.get_data(as_text=True) and "is-invalid" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.code == "FIBRE")) == 0

    before = db_session.scalar(sa.select(sa.func.count()).select_from(Mandate))
    for overrides in [{"commission": "140"}, {"fixed_fee": "quinze"}, {"ends_on": "2026-01-01"},
                      {"starts_on": "2025-06-01"}, {"remittance_delay_days": "45"}, {"min_part_payment": "0"},
                      {"min_part_payment": "dix"}, {"card_fee_borne_by": "debtor"}]:
        response = post(client, f"/clients/{existing.id}/mandates/new", {**MANDATE, **overrides})
        assert response.status_code == 400, overrides
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Mandate)) == before


def test_collectors_and_client_users_cannot_manage_clients(client, db_session, login_as):
    creditor = factories.client()
    db_session.commit()
    login_as("collector")
    assert post(client, "/clients/new", CLIENT).status_code == 403
    assert client.get(f"/clients/{creditor.id}/mandates/new").status_code == 403


def test_admin_fills_in_the_agency_profile(client, db_session, login_as):
    login_as("admin")
    data = {"name": "Recouvrement Rhône SAS", "legal_form": "SAS", "siren": "732829320", "country": "FR",
            "address_line1": "4 rue de la République", "postcode": "69001", "city": "Lyon",
            "trust_iban": "FR7630006000011234567890189", "insurer_name": "MMA", "insurance_policy": "RC-778"}
    assert post(client, "/admin/agency/edit", data).status_code == 302
    profile = db_session.get(AgencyProfile, 1)
    assert profile.name == "Recouvrement Rhône SAS" and profile.insurance_policy == "RC-778"
    assert "Recouvrement Rhône SAS" in client.get("/admin/agency").get_data(as_text=True)
    assert post(client, "/admin/agency/edit", {**data, "trust_iban": "FR00"}).status_code == 400


def test_ending_a_mandate_allows_the_next_one_and_stops_placements_after_it(client, db_session, login_as):
    from datetime import date

    login_as("manager")
    creditor = factories.client()  # its mandate starts on 1 January 2025, open-ended
    db_session.commit()
    mandate = creditor.mandates[0]
    assert post(client, f"/clients/{creditor.id}/mandates/new", MANDATE).status_code == 400  # overlaps
    response = post(client, f"/clients/{creditor.id}/mandates/{mandate.id}/end", {"ends_on": "2026-06-30"})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Mandate, mandate.id).ends_on == date(2026, 6, 30)
    assert post(client, f"/clients/{creditor.id}/mandates/new", MANDATE).status_code == 302
    db_session.expire_all()
    assert creditor.active_mandate(date(2026, 6, 30)).id == mandate.id
    assert creditor.active_mandate(date(2026, 7, 1)).reference == "MAN-2026-07"
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "mandate.ended")).subject_id == mandate.id
    bad = post(client, f"/clients/{creditor.id}/mandates/{mandate.id}/end", {"ends_on": "2020-01-01"})
    assert bad.status_code == 302 and db_session.get(Mandate, mandate.id).ends_on == date(2026, 6, 30)
