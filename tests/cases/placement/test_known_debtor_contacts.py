"""A later placement's new address, phone or e-mail for a known debtor is added, never thrown away nor doubled."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from cases.placement.placements import confirm_placement, import_placement
from debtors.models import ContactPoint
from tests import factories
from tests.cases.placement.test_import import ROWS, csv_file, run


def contact_points(db_session, siren="732829320"):
    from debtors.models import Debtor

    db_session.expire_all()
    debtor = db_session.scalar(sa.select(Debtor).where(Debtor.siren == siren))
    return db_session.scalars(sa.select(ContactPoint).where(ContactPoint.debtor_id == debtor.id)
                              .order_by(ContactPoint.id)).all()


def imported(client, *rows):
    placement = run(client, csv_file(*rows))
    confirm_placement(placement, None)
    import_placement(placement, None)


def test_a_known_debtors_new_details_are_added_from_the_client_and_never_doubled(db_session, time_machine):
    time_machine.move_to(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False)
    client = factories.client()
    imported(client, *ROWS)
    before = contact_points(db_session)
    assert {(p.kind, p.address_line1 or p.value) for p in before} == {
        ("address", "3 rue Neuve"), ("phone", "+33478123456"), ("email", "compta@martin.example.com")}
    moved = ("F-020;01/03/2026;31/03/2026;10,00;Boulangerie Martin SARL;732829320;paiement@martin.example.com;"
             "04 78 12 34 56;C1;10 quai Perrache;69002;Lyon")
    again_in_capitals = ("F-021;01/03/2026;31/03/2026;12,00;Boulangerie Martin SARL;732829320;;;C1;"
                         "3  RUE NEUVE;69002;Lyon")
    imported(client, moved, again_in_capitals)
    after = contact_points(db_session)
    added = after[len(before):]
    assert {(p.kind, p.address_line1 or p.value) for p in added} == {
        ("address", "10 quai Perrache"), ("email", "paiement@martin.example.com")}
    assert all(p.source == "client" and p.learned_on == date(2026, 12, 7) for p in added)
    assert all(p.usable for p in after)  # the old ones stay: the collector judges which is right
    imported(client, moved.replace("F-020", "F-022"))
    assert len(contact_points(db_session)) == len(after)
