"""The desk bench's data: `bench.queue_data`'s cases over 50 clients, with debtors named as people are and their
contact details, set-based (see `bench.desk` for what the names are like and why).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.placement import make_app
from bench.queue_data import generate, seed_people

CLIENTS = 50

COMMON_SURNAMES = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre Leroy Roux "
    "David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Müller Lefebvre Faure "
    "André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin Clément "
    "Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer "
    "Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard "
    "Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix "
    "Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte N'Diaye"
).split()
FIRST_NAMES = (
    "Jean Marie Michel Nathalie Pierre Isabelle Philippe Sylvie André Catherine Alain Françoise Jacques Christine "
    "Bernard Monique Éric Valérie Daniel Sandrine Patrick Hélène Nicolas Véronique Christophe Céline Frédéric "
    "Chloé Stéphane Zoé Jérôme Léa Sébastien Inès Thierry Anaïs Laurent Noémie Julien Maëlle Jean-Pierre "
    "Marie-Claire Hugo Emma Louis Camille Gabriel Manon Raphaël Sarah Arthur Juliette Lucas Lou Théo Agnès"
).split()
ACTIVITIES = ("Plomberie Boulangerie Transports Bâtiment Électricité Menuiserie Couverture Traiteur Garage "
              "Imprimerie Paysages Conseil Informatique Pâtisserie Pharmacie Optique Coiffure Fromagerie").split()
SYLLABLES = ("ka ro nel ba ti mon ra lu ver gan do bre sa lin cour mi tor val pe ri chan fo bel ju nard "
             "quet mar sou dri pla").split()

PERSON_FIRST = "(CAST(:firsts AS text[]))[1 + (d.id * 31) % :n_firsts]"
RARE = ("initcap((CAST(:syllables AS text[]))[1 + d.id % 30] || (CAST(:syllables AS text[]))[1 + (d.id / 30) % 30]"
        " || (CAST(:syllables AS text[]))[1 + (d.id / 900) % 30])")
SURNAME = f"CASE WHEN d.id % 2 = 0 THEN (CAST(:surnames AS text[]))[1 + (d.id / 2 * 37) % :n_surnames] ELSE {RARE} END"
SURNAME_FOLDED = (f"CASE WHEN d.id % 2 = 0 THEN (CAST(:surnames_folded AS text[]))[1 + (d.id / 2 * 37) % :n_surnames] "
                  f"ELSE lower({RARE}) END")
FIRST_FOLDED = "(CAST(:firsts_folded AS text[]))[1 + (d.id * 31) % :n_firsts]"
ACTIVITY = "(CAST(:activities AS text[]))[1 + (d.id * 7) % :n_activities]"
ACTIVITY_FOLDED = "(CAST(:activities_folded AS text[]))[1 + (d.id * 7) % :n_activities]"
COMPANY = "d.id % 5 = 0"
NAMES = f"""
    UPDATE debtor d SET
        kind = CASE WHEN {COMPANY} THEN 'company' ELSE 'person' END,
        first_name = CASE WHEN {COMPANY} THEN '' ELSE {PERSON_FIRST} END,
        last_name = CASE WHEN {COMPANY} THEN '' ELSE {SURNAME} END,
        company_name = CASE WHEN {COMPANY} THEN {SURNAME} || ' ' || {ACTIVITY} || ' SARL' ELSE '' END,
        siren = CASE WHEN {COMPANY} THEN CAST(100000000 + d.id AS text) END,
        search_name = CASE WHEN {COMPANY} THEN {SURNAME_FOLDED} || ' ' || {ACTIVITY_FOLDED} || ' sarl'
                           ELSE {FIRST_FOLDED} || ' ' || {SURNAME_FOLDED} END"""  # noqa: S608 - constants only
POSTCODE = "lpad(CAST(1000 + ((CAST(d.id AS bigint) * 7919) % 2000) * 48 AS text), 5, '0')"
CONTACTS = [
    """INSERT INTO contact_point (debtor_id, kind, label, value, address_line1, address_line2, postcode, city,
                                  country, status, is_primary, sms_consent, source, created_at)
       SELECT d.id, 'email', '', 'debiteur' || d.id || '@exemple.fr', '', '', '', '', 'FR', 'valid', true, false,
              'placement', now()
       FROM debtor d""",
    f"""INSERT INTO contact_point (debtor_id, kind, label, value, address_line1, address_line2, postcode, city,
                                   country, status, is_primary, sms_consent, source, created_at)
        SELECT d.id, 'address', '', '', d.id || ' rue de la République', '', {POSTCODE}, 'Ville', 'FR', 'valid',
               true, false, 'placement', now()
        FROM debtor d""",  # noqa: S608 - constants of this module only
]


def set_up(url: str, cases: int) -> None:
    """Migrate, create the people, generate the cases, then name the debtors and give them contact details."""
    from flask_migrate import upgrade

    from agency.clock import today
    from agency.db import db

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade(revision="heads")
        finally:
            logging.disable(logging.NOTSET)
        seed_people(db.session, today(), CLIENTS)
        db.session.commit()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            shape = generate(connection, cases, datetime.now(UTC), CLIENTS)
            # The trigram index is built once over the final names rather than updated row by row.
            connection.execute(sa.text("DROP INDEX ix_debtor_search_name_trgm"))
            connection.execute(sa.text("SET session_replication_role = replica"))
            connection.execute(sa.text(NAMES), _name_arrays())
            for statement in CONTACTS:
                connection.execute(sa.text(statement))
            connection.execute(sa.text("SET session_replication_role = DEFAULT"))
            connection.execute(sa.text(
                "CREATE INDEX ix_debtor_search_name_trgm ON debtor USING gin (search_name gin_trgm_ops)"))
        print(f"generated {shape.cases:,} cases, {shape.debtors:,} named debtors in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        _check_folded_names(db)
        db.engine.dispose()


def _name_arrays() -> dict:
    from debtors.folding import fold

    return {
        "surnames": list(COMMON_SURNAMES), "surnames_folded": [fold(s) for s in COMMON_SURNAMES],
        "n_surnames": len(COMMON_SURNAMES), "firsts": list(FIRST_NAMES),
        "firsts_folded": [fold(f) for f in FIRST_NAMES], "n_firsts": len(FIRST_NAMES),
        "activities": list(ACTIVITIES), "activities_folded": [fold(a) for a in ACTIVITIES],
        "n_activities": len(ACTIVITIES), "syllables": list(SYLLABLES),
    }


def _check_folded_names(db) -> None:
    """The names written in SQL must be folded as the application folds them, or the search would miss them."""
    from debtors.folding import search_name_of

    rows = db.session.execute(sa.text(
        "SELECT first_name, last_name, company_name, search_name FROM debtor WHERE id % 797 = 0")).all()
    wrong = [r for r in rows if search_name_of(r[0], r[1], r[2]) != r[3]]
    if wrong:
        raise SystemExit(f"{len(wrong)} of {len(rows)} sampled debtors have a search_name the code would not "
                         f"write, e.g. {tuple(wrong[0])}")
    db.session.remove()
