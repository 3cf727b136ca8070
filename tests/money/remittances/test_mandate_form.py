"""The mandate's money settings: the €40 indemnity, the longest plan, the commission grid, with field-named errors."""

from __future__ import annotations

import sqlalchemy as sa

from agency.models import AuditEvent, Mandate
from money.commission import commission_rate_bp
from tests import factories
from tests.conftest import csrf_token

MANDATE = {"reference": "MAN-GRID", "signed_on": "2026-06-20", "starts_on": "2026-07-01", "ends_on": "",
           "commission": "15", "fixed_fee": "0", "vat": "20", "remittance_frequency": "weekly",
           "remittance_delay_days": "20", "claims_penalties": "y", "claims_indemnity": "y", "max_plan_months": "18",
           "max_discount": "0", "jurisdiction": "FR", "min_part_payment": "10"}


def bands(*rows):
    data = {}
    for i, (age, principal, rate) in enumerate(rows):
        data |= {f"commission_bands-{i}-from_age_days": age, f"commission_bands-{i}-from_principal": principal,
                 f"commission_bands-{i}-rate": rate}
    return data


def mandates_of(session, creditor) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Mandate).where(Mandate.client_id == creditor.id))


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/clients")})


def test_mandate_with_indemnity_plan_limit_and_grid(client, db_session, login_as):
    creditor = factories.client(with_mandate=False)
    db_session.commit()
    login_as("manager")
    url = f"/clients/{creditor.id}/mandates/new"
    response = post(client, url, {**MANDATE, **bands(("180", "", "20"), ("", "5 000,00", "10,5"), ("", "", ""))})
    assert response.status_code == 302, response.get_data(as_text=True)
    mandate = db_session.scalar(sa.select(Mandate).where(Mandate.client_id == creditor.id))
    assert (mandate.claims_indemnity, mandate.max_plan_months, mandate.remittance_frequency) == (True, 18, "weekly")
    assert [(b.from_age_days, b.from_principal_cents, b.rate_bp) for b in mandate.commission_bands] == [
        (0, 500_000, 1_050), (180, 0, 2_000)]
    assert commission_rate_bp(mandate, principal_cents=600_000, age_days=10) == 1_050
    assert commission_rate_bp(mandate, principal_cents=100, age_days=200) == 2_000
    assert commission_rate_bp(mandate, principal_cents=100, age_days=10) == 1_500
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "mandate.created",
                                                          AuditEvent.subject_id == mandate.id))
    assert event.after["claims_indemnity"] is True and "180d/0c:2000bp" in event.after["commission_bands"]
    page = client.get("/clients").get_data(as_text=True)
    assert "20 % à partir de 180 jours et 0,00\xa0€" in page


def test_bad_grid_rows_name_the_field_and_save_nothing(client, db_session, login_as):
    creditor = factories.client(with_mandate=False)
    db_session.commit()
    login_as("manager")
    url = f"/clients/{creditor.id}/mandates/new"
    cases = [
        (bands(("30", "", "")), "Indiquez le taux de cette ligne."),
        (bands(("30", "douze", "10")), "Ce n’est pas un montant."),
        (bands(("30", "", "10"), ("30", "0", "12")), "Une autre ligne commence au même âge et au même principal."),
        (bands(("-1", "", "10")), "Entre 0 et 36500."),
        (bands(("", "", "150")), "Entre 0 et 100."),
        ({"max_plan_months": "0"}, "Entre 1 et 120."),
    ]
    for overrides, message in cases:
        response = post(client, url, {**MANDATE, **overrides})
        text = response.get_data(as_text=True)
        assert response.status_code == 400, overrides
        assert message.replace("’", "'") in text.replace("’", "'").replace("&#39;", "'"), (overrides, message)
    assert mandates_of(db_session, creditor) == 0


def test_rows_are_added_and_removed_without_saving(client, db_session, login_as):
    creditor = factories.client(with_mandate=False)
    db_session.commit()
    login_as("manager")
    url = f"/clients/{creditor.id}/mandates/new"
    page = client.get(url).get_data(as_text=True)
    assert page.count('data-testid="band-row"') == 1
    added = post(client, url, {**MANDATE, **bands(("90", "", "18")), "add_band": "1"}).get_data(as_text=True)
    assert added.count('data-testid="band-row"') == 2 and 'value="90"' in added
    removed = post(client, url, {**MANDATE, **bands(("90", "", "18"), ("365", "", "25")), "remove_band": "0"})
    text = removed.get_data(as_text=True)
    assert text.count('data-testid="band-row"') == 1 and 'value="365"' in text and 'value="90"' not in text
    assert mandates_of(db_session, creditor) == 0
