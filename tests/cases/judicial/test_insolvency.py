"""Declaring a claim in the debtor's insolvency: the amounts at the opening judgment, per invoice, those not
yet due apart; the deadline from the BODACC publication; the declaration read back from its PDF."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
import sqlalchemy as sa

from agency.db import db
from cases.interest.rules import explain
from cases.judicial import settings
from cases.judicial.insolvency import (
    JudicialError,
    filing_deadline,
    insolvency_hold,
    prepare_claim,
    record_filing,
    record_outcome,
)
from cases.letters.storage import read_document
from cases.models import ClaimStatus, InsolvencyClaim
from debtors.bodacc_models import BodaccFinding
from debtors.bodacc_watch import filing_deadline as bodacc_deadline
from debtors.holds import claim_filing_deadline, put_on_hold
from tests import factories

JUDGMENT, PUBLISHED = date(2026, 10, 14), date(2026, 10, 23)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def insolvent_case(client_fields=None):
    creditor = factories.client()
    for name, value in (client_fields or {}).items():
        setattr(creditor, name, value)
    creditor.mandates[0].claims_indemnity = True
    debtor = factories.debtor("company")
    factories.postal_address(debtor)
    case = factories.case(creditor, debtor, amounts=(120_000, 80_000), kind="b2b", opened_on=date(2026, 6, 1))
    later = case.claims[1]
    later.due_date = date(2026, 11, 30)  # not yet due on the judgment's day
    factories.payment(case, 20_000, received_on=date(2026, 9, 1), receipt=False)
    factories.payment(case, 5_000, received_on=date(2026, 10, 20), receipt=False)  # after the judgment
    put_on_hold(debtor, "insolvency", actor=None, reason="Redressement judiciaire, TC Lyon",
                reference_date=JUDGMENT, bodacc_published_on=PUBLISHED)
    db.session.flush()
    return case


def test_the_declaration_states_each_invoice_as_of_the_judgment(db_session):
    case = insolvent_case()
    claim = prepare_claim(case, factories.agency_profile(), actor=None)
    first, second = claim.lines
    interest = {c.claim_id: c.total_cents for c in explain(case, JUDGMENT)}
    assert first["due"] and not second["due"]
    # The payment before the judgment went to the oldest invoice's interest and indemnity first, then its
    # principal; the one after the judgment is not deducted.
    paid_before = 20_000
    owed_first = 120_000 + interest[case.claims[0].id] + 4_000 - paid_before
    assert first["principal_cents"] + first["interest_cents"] + first["indemnity_cents"] == owed_first
    assert second["principal_cents"] == 80_000 and second["interest_cents"] == interest[case.claims[1].id]
    assert claim.due_cents == owed_first
    assert claim.not_due_cents == 80_000 + second["interest_cents"] + second["indemnity_cents"]
    assert claim.deadline_on == date(2026, 12, 23) and claim.reference.startswith("DC-26-")

    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=read_document(claim.file_path, claim.sha256),
                          capture_output=True, check=True).stdout.decode()
    for expected in ("Déclaration de créance", claim.reference, case.debtor.display_name, "14 octobre 2026",
                     "23 octobre 2026", "23 décembre 2026", case.claims[0].invoice_number,
                     case.claims[1].invoice_number, "échoir", "L622-28", "chirographaire", case.client.name):
        assert expected in text, expected


def test_a_creditor_outside_metropolitan_france_has_four_months(db_session):
    case = insolvent_case({"country": "FR", "postcode": "97400"})
    assert filing_deadline(case, insolvency_hold(case)) == date(2027, 2, 23)


def test_the_debtors_page_the_bodacc_watch_and_the_case_read_the_same_figure(db_session):
    case = insolvent_case()
    hold = insolvency_hold(case)
    finding = BodaccFinding(published_on=PUBLISHED)
    assert filing_deadline(case, hold) == claim_filing_deadline(hold) == bodacc_deadline(finding) == date(2026, 12, 23)
    # An admin sets three months for publications from 1 October 2026: every page follows, none before it.
    settings.add_value("insolvency_filing_months", "3", date(2026, 10, 1), source="test",
                       actor=factories.user("admin"))
    assert filing_deadline(case, hold) == claim_filing_deadline(hold) == bodacc_deadline(finding) == date(2027, 1, 23)
    assert bodacc_deadline(BodaccFinding(published_on=date(2026, 9, 30))) == date(2026, 11, 30)


def test_filing_late_is_recorded_as_late_and_outcomes_are_checked(db_session, time_machine):
    case = insolvent_case()
    claim = prepare_claim(case, factories.agency_profile(), actor=None)
    manager = factories.user("manager")
    with pytest.raises(JudicialError):
        record_outcome(claim, ClaimStatus.ADMITTED, date(2026, 12, 1), actor=manager)  # not filed yet
    time_machine.move_to("2027-01-05 10:00:00+01:00", tick=False)
    assert record_filing(claim, date(2026, 12, 24), actor=manager) is True  # a day after the deadline
    with pytest.raises(JudicialError):
        prepare_claim(case, factories.agency_profile(), actor=None)  # filed: no new rendering
    with pytest.raises(JudicialError) as too_much:
        record_outcome(claim, ClaimStatus.PARTLY_ADMITTED, date(2027, 1, 5), actor=manager,
                       admitted_cents=claim.total_cents)
    assert too_much.value.field == "admitted"
    record_outcome(claim, ClaimStatus.PARTLY_ADMITTED, date(2027, 1, 5), actor=manager, admitted_cents=100_000)
    assert claim.status == "partly_admitted" and claim.admitted_cents == 100_000


def test_no_declaration_without_insolvency_proceedings(db_session):
    with pytest.raises(JudicialError):
        prepare_claim(factories.case(), factories.agency_profile(), actor=None)


def test_from_the_case_page_prepare_download_and_record_the_filing(app, db_session):
    from tests.cases.judicial.test_pages import signed_in
    from tests.conftest import csrf_token

    case = insolvent_case()
    factories.agency_profile()
    collector, owner, stranger = factories.user("collector"), factories.user("client", client=case.client), \
        factories.user("client")
    db_session.commit()
    browser = signed_in(app, collector)
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="insolvency-deadline"' in page and "23 décembre 2026" in page
    token = csrf_token(browser, f"/cases/{case.id}")
    assert browser.post(f"/cases/{case.id}/insolvency/prepare", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    claim = db.session.scalar(sa.select(InsolvencyClaim))
    pdf = browser.get(f"/insolvency/{claim.id}/declaration.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.headers["Cache-Control"] == "private, no-store"
    browser.post(f"/insolvency/{claim.id}/filing", data={"csrf_token": token, "filed_on": "2026-12-07",
                                                         "note": "Envoi en LRAR n° 1A 234 567"})
    db.session.expire_all()
    assert db.session.get(InsolvencyClaim, claim.id).status == "filed"

    assert signed_in(app, owner).get(f"/insolvency/{claim.id}/declaration.pdf").status_code == 200
    outsider = signed_in(app, stranger)
    assert outsider.get(f"/insolvency/{claim.id}/declaration.pdf").status_code == 404
    token = csrf_token(outsider, "/cases/")
    assert outsider.post(f"/insolvency/{claim.id}/outcome", data={"csrf_token": token, "status": "rejected",
                                                                  "outcome_on": "2026-12-07"}).status_code == 403
