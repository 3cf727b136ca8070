"""Alerts before an insolvency claim's filing deadline: at 30, 7 and 1 days before it, once each, and once when
it has passed; none once the claim is filed, and those open cleared when it is filed, the hold ends or the
case closes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.db import db
from alerts.digest import render_digest
from alerts.models import FILING_MISSED, Alert, AlertKind, insolvency_days_of, insolvency_subject
from alerts.rules import fire_alerts
from cases.judicial.insolvency import prepare_claim, record_filing
from cases.models import CaseStatus
from debtors.holds import end_hold, put_on_hold
from tests import factories

KIND = AlertKind.INSOLVENCY_CLAIM
PUBLISHED = date(2026, 10, 23)  # the claim is to be declared by 23 December 2026
DEADLINE = date(2026, 12, 23)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def insolvent_case(published: date | None = PUBLISHED, **client_fields):
    creditor = factories.client()
    for name, value in client_fields.items():
        setattr(creditor, name, value)
    debtor = factories.debtor("company")
    case = factories.case(creditor, debtor, amounts=(120_000,), kind="b2b", opened_on=date(2026, 6, 1))
    hold = put_on_hold(debtor, "insolvency", actor=None, reason="Redressement judiciaire, TC Lyon",
                       reference_date=(published or PUBLISHED) - timedelta(days=9), bodacc_published_on=published)
    db.session.flush()
    return case, hold


def fired(day: date) -> int:
    return fire_alerts(today=day)[KIND]


def insolvency_alerts() -> list[tuple[int, int, date]]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Alert).where(Alert.kind == KIND.value).order_by(Alert.id))
    return [(a.case_id, insolvency_days_of(a.subject_id), a.occurred_on) for a in rows]


def test_alerts_fire_once_at_30_7_and_1_days_before_the_deadline_then_once_when_missed(db_session):
    case, _hold = insolvent_case()
    assert fired(date(2026, 11, 22)) == 0  # 31 days before
    assert fired(date(2026, 11, 23)) == 1  # 30 days before
    assert fired(date(2026, 11, 24)) == 0  # once
    assert fired(date(2026, 12, 15)) == 0  # 8 days before
    assert fired(date(2026, 12, 16)) == 1  # 7 days before
    assert fired(date(2026, 12, 21)) == 0
    assert fired(date(2026, 12, 22)) == 1  # the day before
    assert fired(date(2026, 12, 23)) == 0  # the last day: the 1-day alert has fired
    assert fired(date(2026, 12, 24)) == 1  # missed: relief is to be asked (L622-26)
    assert fired(date(2026, 12, 25)) == 0
    assert insolvency_alerts() == [(case.id, n, DEADLINE) for n in (30, 7, 1, FILING_MISSED)]
    alert = db.session.scalar(sa.select(Alert).where(Alert.subject_id == insolvency_subject(case.id, 7)))
    assert (alert.client_id, alert.amount_cents, alert.cleared_at) == (case.client_id, None, None)


def test_a_deadline_first_seen_within_a_week_fires_only_the_tightest_alert(db_session):
    case, _hold = insolvent_case()
    assert fired(date(2026, 12, 18)) == 1
    assert insolvency_alerts() == [(case.id, 7, DEADLINE)]


def test_a_missed_deadline_fires_only_while_relief_can_be_asked(db_session):
    case, _hold = insolvent_case(published=date(2026, 5, 20))  # to declare by 20 July, relief until 20 November
    other, _other_hold = insolvent_case(published=date(2026, 6, 15))  # relief until 15 December
    assert fired(date(2026, 12, 7)) == 1
    assert insolvency_alerts() == [(other.id, FILING_MISSED, date(2026, 8, 15))]


def test_a_filed_claim_fires_nothing_a_prepared_one_fires_with_its_amount(db_session):
    filed, _hold = insolvent_case()
    record_filing(prepare_claim(filed, factories.agency_profile(), actor=None), date(2026, 12, 7),
                  actor=factories.user("manager"))
    prepared, _other_hold = insolvent_case()
    claim = prepare_claim(prepared, factories.agency_profile(), actor=None)
    assert fired(date(2026, 12, 16)) == 1
    assert insolvency_alerts() == [(prepared.id, 7, DEADLINE)]
    alert = db.session.scalar(sa.select(Alert).where(Alert.kind == KIND.value))
    assert alert.amount_cents == claim.total_cents > 0


def test_no_alert_without_the_bodacc_publication_nor_for_a_closed_case(db_session):
    insolvent_case(published=None)
    closed, _hold = insolvent_case()
    closed.status = CaseStatus.CLOSED.value
    db.session.flush()
    assert fired(date(2026, 12, 16)) == 0


@pytest.mark.parametrize("client_fields", [{"postcode": "97400"}, {"country": "BE", "postcode": "1000"}])
def test_a_client_outside_metropolitan_france_has_four_months(db_session, client_fields):
    case, _hold = insolvent_case(**client_fields)
    assert fired(date(2026, 12, 24)) == 0  # a metropolitan client's deadline has passed; not this one's
    assert fired(date(2027, 1, 23)) == 0  # 31 days before 23 February
    assert fired(date(2027, 1, 24)) == 1
    assert insolvency_alerts() == [(case.id, 30, date(2027, 2, 23))]


def test_the_open_alert_clears_when_the_claim_is_filed(db_session):
    case, _hold = insolvent_case()
    untouched, _other_hold = insolvent_case()
    assert fired(date(2026, 12, 16)) == 2
    record_filing(prepare_claim(case, factories.agency_profile(), actor=None), date(2026, 12, 7),
                  actor=factories.user("manager"))
    assert fire_alerts(today=date(2026, 12, 16))["cleared"] == 1
    assert fired(date(2026, 12, 22)) == 1  # the other case still fires; the filed one no longer
    db.session.expire_all()
    cleared = {a.case_id for a in db.session.scalars(sa.select(Alert).where(Alert.cleared_at.is_not(None)))}
    assert cleared == {case.id}


def test_the_open_alert_clears_when_the_hold_ends_or_the_case_closes(db_session):
    ended, hold = insolvent_case()
    closed, _other_hold = insolvent_case()
    assert fired(date(2026, 12, 16)) == 2
    end_hold(hold, actor=None, resolution="Jugement d'ouverture infirmé en appel")
    closed.status = CaseStatus.PAID.value
    db.session.flush()
    assert fire_alerts(today=date(2026, 12, 16))["cleared"] == 2
    assert fired(date(2026, 12, 22)) == 0


def test_the_alerts_page_and_the_digest_say_what_to_declare_by_when(client, login_as, db_session):
    case, _hold = insolvent_case()
    missed, _other_hold = insolvent_case(published=date(2026, 9, 10))  # to declare by 10 November
    fire_alerts(today=date(2026, 12, 7))
    db_session.commit()
    login_as("manager")
    page = client.get("/alerts/?kind=insolvency_claim").get_data(as_text=True)
    assert page.count('data-testid="alert"') == 2 and "Créance à déclarer" in page
    assert f'/cases/{case.id}#insolvency' in page and f'/cases/{missed.id}#insolvency' in page
    assert "Déclarer la créance au mandataire judiciaire au plus tard le 23 décembre 2026" in page
    assert "Délai de déclaration dépassé le 10 novembre 2026" in page

    alerts = db.session.scalars(sa.select(Alert).where(Alert.kind == KIND.value)).all()
    for language, label in (("fr", "Créance à déclarer (procédure collective)"), ("en", "Insolvency claim to declare")):
        _subject, body = render_digest(alerts, language)
        assert f"- {label} · " in body and case.reference in body and missed.reference in body
