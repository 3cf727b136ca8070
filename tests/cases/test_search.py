"""The case search: every kind of key a collector types, in the forms people type them, inside the tenant."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from cases.placement.placements import check_placement, confirm_placement, import_placement
from debtors.folding import fold
from debtors.models import Debtor
from debtors.search import phone_key, postcode_key, siren_key
from tests import factories


def listed(browser, q: str, **args) -> set[int]:
    """Return the ids of the cases the list links to for the search `q`."""
    query = "&".join([f"q={quote(q)}"] + [f"{k}={v}" for k, v in args.items()])
    response = browser.get(f"/cases/?{query}")
    assert response.status_code == 200
    return {int(i) for i in re.findall(r'href="/cases/(\d+)"', response.get_data(as_text=True))}


@pytest.fixture
def world(db_session, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False)
    own, other = factories.client(name="Alpha SAS"), factories.client(name="Beta SAS")
    helene = factories.debtor(title="Mme", first_name="Hélène", last_name="Lefèvre-Dubœuf")
    factories.contact(helene, "phone", "+33612345678")
    factories.contact(helene, "email", "helene.lefevre@example.fr")
    factories.contact(helene, "address", "", address_line1="3 rue des Lilas", postcode="69003", city="Lyon")
    bakery = factories.debtor("company", company_name="Boulangerie Martin SARL", siren="732829320")
    jeanne = factories.debtor(first_name="Jeanne", last_name="Martin")
    li = factories.debtor(first_name="Wei", last_name="Li")
    lina = factories.debtor(first_name="Lina", last_name="Roux")
    girard = factories.debtor(first_name="Paul", last_name="Girard")
    factories.contact(girard, "phone", "+33698765432")
    factories.contact(girard, "address", "", address_line1="1 quai Nord", postcode="13002", city="Marseille")
    acme = factories.debtor("company", company_name="Acme Distribution", siren="542051180")
    cases = {
        "helene": factories.case(own, helene, client_reference="CUST-0042"),
        "bakery": factories.case(own, bakery, kind="b2b"),
        "jeanne": factories.case(own, jeanne),
        "li": factories.case(own, li),
        "lina": factories.case(own, lina),
        "girard": factories.case(other, girard),
        "acme": factories.case(other, acme, kind="b2b", client_reference="CUST-0042"),
    }
    db_session.commit()
    return {"own": own, "other": other, "cases": cases}


def ids(world, *names: str) -> set[int]:
    return {world["cases"][n].id for n in names}


def test_a_name_is_found_without_accents_in_any_case_and_any_word_order(client, login_as, world):
    login_as("collector")
    for typed in ("Lefèvre", "lefevre", "HELENE LEFEVRE", "lefevre helene", "dubœuf", "duboeuf hélène",
                  "Lefèvre-Dubœuf", "hel lef"):
        assert listed(client, typed) == ids(world, "helene"), typed
    assert listed(client, "martin") == ids(world, "bakery", "jeanne")
    assert listed(client, "boulangerie martin") == ids(world, "bakery")
    assert listed(client, "Boulangerie Martin S.A.R.L.") == ids(world, "bakery")  # legal forms name no one …
    assert listed(client, "SARL") == set()  # … so that alone they do not list every company
    assert listed(client, "martin jeanne") == ids(world, "jeanne")
    assert listed(client, "martin paul") == set()  # every word must match


def test_a_short_name_is_matched_as_a_whole_word(client, login_as, world):
    login_as("collector")
    assert listed(client, "Li") == ids(world, "li")  # not Lina, not « 3 rue des Lilas »
    assert listed(client, "li wei") == ids(world, "li")


@pytest.mark.parametrize(
    "typed", ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33612345678", "+33 6 12 34 56 78",
              "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78"],
)  # fmt: skip
def test_a_phone_is_found_in_any_format(client, login_as, world, typed):
    login_as("collector")
    assert listed(client, typed) == ids(world, "helene")


def test_siren_invoice_reference_email_and_postcode_are_found(client, login_as, world):
    login_as("collector")
    helene, bakery = world["cases"]["helene"], world["cases"]["bakery"]
    invoice = bakery.claims[0].invoice_number
    assert listed(client, "732 829 320") == ids(world, "bakery")
    assert listed(client, "732829320") == ids(world, "bakery")
    assert listed(client, "732 829 320 00074") == ids(world, "bakery")  # a SIRET names its SIREN
    assert listed(client, invoice) == ids(world, "bakery")
    assert listed(client, invoice.lower()) == ids(world, "bakery")
    assert listed(client, helene.reference) == ids(world, "helene")
    assert listed(client, helene.reference.lower()) == ids(world, "helene")
    assert listed(client, helene.reference.replace("-", "")) == ids(world, "helene")  # as read out
    assert listed(client, "CUST-0042") == ids(world, "helene", "acme")  # the client's customer number
    assert listed(client, "Helene.Lefevre@EXAMPLE.fr") == ids(world, "helene")
    assert listed(client, "69003") == ids(world, "helene")
    assert listed(client, "13002") == ids(world, "girard")
    assert listed(client, "75002") == set()


def test_a_search_keeps_the_filters(client, login_as, world):
    login_as("manager")
    assert listed(client, "martin", status="new") == ids(world, "bakery", "jeanne")
    assert listed(client, "martin", status="dispute") == set()
    assert listed(client, "CUST-0042", client=world["other"].id) == ids(world, "acme")
    assert listed(client, "CUST-0042", client=world["own"].id) == ids(world, "helene")


def test_a_client_user_never_finds_another_clients_case(client, login_as, world):
    login_as("client", client_row=world["own"])
    girard, acme = world["cases"]["girard"], world["cases"]["acme"]
    for typed in ("Girard", "paul girard", girard.reference, girard.claims[0].invoice_number, "542051180",
                  "Acme", "06 98 76 54 32", "13002"):
        assert listed(client, typed) == set(), typed
    assert listed(client, "CUST-0042") == ids(world, "helene")  # the other client's same number stays hidden
    assert listed(client, "CUST-0042", client=world["other"].id) == ids(world, "helene")  # ignored for clients
    assert acme.client_reference == "CUST-0042"
    # A client finds its own cases by name, reference, SIREN and invoice …
    assert listed(client, "lefevre") == ids(world, "helene")
    assert listed(client, "732 829 320") == ids(world, "bakery")
    # … but not by contact details, which are the agency's research.
    assert listed(client, "06 12 34 56 78") == set()
    assert listed(client, "helene.lefevre@example.fr") == set()
    assert listed(client, "69003") == set()


def test_the_other_client_finds_only_its_own(client, login_as, world):
    login_as("client", client_row=world["other"])
    assert listed(client, "martin") == set()
    assert listed(client, "girard") == ids(world, "girard")


def test_a_renamed_debtor_is_found_by_its_new_name_only(client, db_session, login_as, world):
    debtor = world["cases"]["jeanne"].debtor
    debtor.last_name = "Bérégovoy"
    db_session.commit()
    login_as("collector")
    assert listed(client, "beregovoy jeanne") == ids(world, "jeanne")
    assert listed(client, "martin") == ids(world, "bakery")


def test_an_imported_placement_folds_its_debtors_names(client, db_session, login_as, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False)
    creditor = factories.client()
    content = (
        "N° facture;Date facture;Échéance;Montant TTC;Raison sociale;SIREN;Email;Téléphone\n"
        "FA-77;02/01/2026;01/02/2026;120,00;Œuvres Sociales Éléonore SARL;;;\n"
    )
    placement = factories.placement(creditor, content)
    check_placement(placement)
    confirm_placement(placement, None)
    import_placement(placement, None)
    db_session.commit()
    stored = db_session.scalar(sa.select(Debtor.search_name).where(Debtor.company_name.like("%uvres Sociales%")))
    assert stored == "oeuvres sociales eleonore sarl"
    login_as("collector")
    assert len(listed(client, "eleonore oeuvres")) == 1
    assert len(listed(client, "fa-77")) == 1


def test_keys_are_read_as_people_type_them():
    assert fold("  Mme HÉLÈNE  Lefèvre-Dubœuf ") == "mme helene lefevre duboeuf"
    assert fold("Ærø Straße Łódź") == "aero strasse lodz"
    assert siren_key("732 829 320") == "732829320" and siren_key("732.829.320.00074") == "732829320"
    assert siren_key("73282932") is None and siren_key("FR732829320") is None
    assert phone_key("0033 6 12 34 56 78") == phone_key("06-12-34-56-78") == "+33612345678"
    assert phone_key("+1 (212) 555-0142") == "+12125550142"
    assert phone_key("12 34") is None and phone_key("Martin 06") is None
    assert postcode_key("69003") == "69003" and postcode_key("sw1a  1aa") == "SW1A 1AA"
    assert postcode_key("Martin") is None
