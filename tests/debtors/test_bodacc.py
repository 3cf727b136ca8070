"""The BODACC watch against a local fake of the open-data API: what it asks, proposes, keeps when the API
fails, and what a manager's confirmation or dismissal does."""

from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.jobs import run_periodic
from agency.models import AuditEvent, PeriodicRun
from cases.bodacc_jobs import bodacc_watch
from cases.interest.rules import insolvency_start
from debtors.bodacc import BodaccUnavailable, registre_sirens, where_clause
from debtors.bodacc_models import BodaccCheck, BodaccFinding
from debtors.holds import put_on_hold
from debtors.models import Hold
from tests import factories
from tests.conftest import csrf_token
from tests.fake_bodacc import FakeBodacc, announcement

SIREN = "732829320"
OTHER = "552100554"
JOB = "cases.bodacc_jobs.bodacc_watch"


@pytest.fixture
def fake_bodacc(app):
    fake = FakeBodacc().start()
    keys = ("BODACC_API_URL", "BODACC_RETRY_DELAYS", "BODACC_READ_TIMEOUT", "BODACC_PAUSE", "BODACC_BATCH_SIZE")
    saved = {k: app.config[k] for k in keys}
    app.config.update(BODACC_API_URL=fake.url, BODACC_RETRY_DELAYS=(0,), BODACC_READ_TIMEOUT=0.3,
                      BODACC_PAUSE=0, BODACC_BATCH_SIZE=40)
    yield fake
    app.config.update(saved)
    fake.stop()


@pytest.fixture
def now(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)
    return time_machine


def company_case(siren: str = SIREN, **fields):
    return factories.case(debtor_row=factories.debtor("company", siren=siren), kind="b2b", **fields)


def findings(db_session, debtor_id=None):
    query = sa.select(BodaccFinding).order_by(BodaccFinding.id)
    if debtor_id is not None:
        query = query.where(BodaccFinding.debtor_id == debtor_id)
    return db_session.scalars(query).all()


def asked_sirens(fake: FakeBodacc) -> set[str]:
    return {s for r in fake.requests for s in (SIREN, OTHER, "443061841") if f'"{s}"' in r["where"]}


def test_an_opening_is_proposed_with_its_dates_and_confirming_it_holds_the_debtor(
        client, login_as, db_session, fake_bodacc, now):
    case = company_case()
    fake_bodacc.records = [
        announcement(SIREN, "A202602330123", "2026-11-30", "2026-11-16"),
        announcement(SIREN, "A202602390077", "2026-12-03", "2026-11-28", famille="Avis de dépôt",
                     nature="Dépôt de l'état des créances"),  # not an opening: not proposed
        announcement(OTHER, "A202602330999", "2026-11-30"),
    ]
    db_session.commit()
    assert run_periodic(JOB) is None
    [finding] = findings(db_session)
    assert (finding.debtor_id, finding.siren, finding.announcement_id) == (case.debtor_id, SIREN, "A202602330123")
    assert (finding.published_on, finding.judgment_on, finding.status) == (date(2026, 11, 30), date(2026, 11, 16),
                                                                           "proposed")
    assert finding.court == "Tribunal de commerce de Lyon" and "redressement" in finding.nature
    [request] = fake_bodacc.requests
    assert request["where"] == 'familleavis:"collective" AND (registre like "732829320")'
    assert request["order_by"].startswith("dateparution")
    assert db_session.get(PeriodicRun, JOB).last_error == ""

    login_as("manager")
    page = client.get("/bodacc").get_data(as_text=True)
    assert 'data-announcement="A202602330123"' in page and "16/11/2026" in page and "30/11/2026" in page
    assert "30 janvier 2027" in page  # the claim is declared within two months of the publication
    response = client.post(f"/bodacc/{finding.id}/confirm", data={"csrf_token": csrf_token(client, "/bodacc")})
    assert response.status_code == 302
    db_session.expire_all()
    [hold] = db_session.scalars(sa.select(Hold).where(Hold.debtor_id == case.debtor_id)).all()
    assert (hold.kind, hold.reference_date, hold.bodacc_published_on) == ("insolvency", date(2026, 11, 16),
                                                                         date(2026, 11, 30))
    assert "A202602330123" in hold.reason and "Tribunal de commerce de Lyon" in hold.reason
    assert finding.status == "confirmed" and finding.hold_id == hold.id and finding.decided_by_id is not None
    assert insolvency_start(case) == date(2026, 11, 16)  # interest stops from the judgment
    assert db_session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "bodacc.confirmed")) == 1
    # Under a hold now: the next run does not ask about this debtor.
    now.shift(timedelta(days=1))
    run_periodic(JOB)
    assert len(fake_bodacc.requests) == 1


def test_nothing_found_nothing_proposed_and_the_debtor_is_checked(db_session, fake_bodacc, now):
    case = company_case()
    fake_bodacc.records = [announcement(OTHER, "A1", "2026-11-30")]
    db_session.commit()
    assert bodacc_watch() == {"checked": 1, "found": 0}
    assert findings(db_session) == []
    assert db_session.get(BodaccCheck, case.debtor_id).checked_at is not None


def test_the_same_announcement_seen_again_is_one_finding(db_session, fake_bodacc, now):
    case = company_case()
    fake_bodacc.records = [announcement(SIREN, "A1", "2026-11-30", "2026-11-16")]
    db_session.commit()
    bodacc_watch()
    now.shift(timedelta(days=1))
    assert bodacc_watch() == {"checked": 1, "found": 0}
    assert len(findings(db_session, case.debtor_id)) == 1
    # The second run asks only for what was published lately: the first one read the whole history.
    assert 'dateparution >= date"2026-11-07"' in fake_bodacc.requests[1]["where"]


def test_a_dismissed_announcement_is_not_proposed_again(client, login_as, db_session, fake_bodacc, now):
    case = company_case()
    fake_bodacc.records = [announcement(SIREN, "A1", "2026-11-30", "2026-11-16", name="HOMONYME SA")]
    db_session.commit()
    bodacc_watch()
    [finding] = findings(db_session)
    login_as("manager")
    token = csrf_token(client, "/bodacc")
    refused = client.post(f"/bodacc/{finding.id}/dismiss", data={"csrf_token": token, f"dismiss-{finding.id}-reason": ""})
    assert refused.status_code == 400 and finding.status == "proposed"
    response = client.post(f"/bodacc/{finding.id}/dismiss",
                           data={"csrf_token": token, f"dismiss-{finding.id}-reason": "Autre société, même SIREN mal saisi"})
    assert response.status_code == 302
    db_session.expire_all()
    assert (finding.status, finding.reason) == ("dismissed", "Autre société, même SIREN mal saisi")
    assert db_session.scalars(sa.select(Hold).where(Hold.debtor_id == case.debtor_id)).all() == []
    now.shift(timedelta(days=1))
    bodacc_watch()
    assert len(findings(db_session)) == 1
    assert "Autre société" in client.get("/bodacc").get_data(as_text=True)


@pytest.mark.parametrize("failure", ["500", "not_json", "hang", "down"])
def test_an_api_failure_loses_nothing_and_the_next_run_finds_it(db_session, fake_bodacc, now, app, failure):
    case = company_case()
    fake_bodacc.records = [announcement(SIREN, "A1", "2026-11-30", "2026-11-16")]
    if failure == "down":
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        app.config["BODACC_API_URL"] = f"http://127.0.0.1:{closed}/records"
    else:
        fake_bodacc.always = failure
    db_session.commit()
    with pytest.raises(BodaccUnavailable):
        run_periodic(JOB)
    assert findings(db_session) == [] and db_session.get(BodaccCheck, case.debtor_id) is None
    run = db_session.get(PeriodicRun, JOB)
    assert "BodaccUnavailable" in run.last_error and run.last_finished_at is not None  # on the System page
    if failure != "down":
        assert len(fake_bodacc.requests) == 2  # tried again once before giving up

    fake_bodacc.always = ""
    app.config["BODACC_API_URL"] = fake_bodacc.url
    now.shift(timedelta(hours=1))  # RQ's retry, or tomorrow's run
    run_periodic(JOB)
    [finding] = findings(db_session)
    assert finding.judgment_on == date(2026, 11, 16)
    assert db_session.get(PeriodicRun, JOB).last_error == ""


def test_a_failure_tried_again_in_time_costs_nothing(db_session, fake_bodacc, now):
    company_case()
    fake_bodacc.records = [announcement(SIREN, "A1", "2026-11-30")]
    fake_bodacc.failures = ["500"]
    db_session.commit()
    assert bodacc_watch() == {"checked": 1, "found": 1}


def test_a_run_cut_short_keeps_its_batches_and_the_next_one_checks_only_the_others(
        app, db_session, fake_bodacc, now):
    first, second = company_case(SIREN), company_case(OTHER)
    fake_bodacc.records = [announcement(SIREN, "A1", "2026-11-30"), announcement(OTHER, "A2", "2026-12-01")]
    app.config["BODACC_BATCH_SIZE"] = 1
    fake_bodacc.failures = ["", "500", "500"]  # the first batch answered, the second not even on its retry
    db_session.commit()
    with pytest.raises(BodaccUnavailable):
        bodacc_watch()
    assert [f.debtor_id for f in findings(db_session)] == [first.debtor_id]
    assert db_session.get(BodaccCheck, second.debtor_id) is None
    fake_bodacc.requests.clear()
    now.shift(timedelta(minutes=5))
    assert bodacc_watch() == {"checked": 1, "found": 1}
    assert asked_sirens(fake_bodacc) == {OTHER}
    assert [f.debtor_id for f in findings(db_session)] == [first.debtor_id, second.debtor_id]


def test_only_companies_with_open_b2b_cases_and_no_insolvency_hold_are_asked(db_session, fake_bodacc, now):
    held = company_case(SIREN)
    put_on_hold(held.debtor, "insolvency", actor=None, reference_date=date(2026, 10, 1))
    company_case(OTHER).status = "paid"  # closed
    factories.case(debtor_row=factories.debtor("company", siren="443061841"), kind="b2c")
    other_hold = company_case("356000000")
    put_on_hold(other_hold.debtor, "deceased", actor=None)  # another kind of hold: still watched
    db_session.commit()
    bodacc_watch()
    [request] = fake_bodacc.requests
    assert 'registre like "356000000"' in request["where"]
    assert asked_sirens(fake_bodacc) == set()


@pytest.mark.parametrize("registre", [["732 829 320", "732829320"], "732 829 320,732829320", ["732 829 320"]])
def test_the_siren_is_found_in_either_spelling(db_session, fake_bodacc, now, registre):
    company_case()
    fake_bodacc.records = [announcement(SIREN, "A1", "2026-11-30", registre=registre)]
    db_session.commit()
    assert bodacc_watch()["found"] == 1
    assert registre_sirens(registre) == {SIREN}


def test_answers_are_paged_and_checked_against_the_sirens_asked(db_session, fake_bodacc, now):
    case = company_case()
    fake_bodacc.records = [announcement(SIREN, f"B{n:03d}", "2020-01-01", famille="Jugement arrêtant le plan",
                                        nature="Jugement arrêtant le plan de redressement") for n in range(120)]
    fake_bodacc.records.append(announcement(SIREN, "A999", "2026-11-30", "2026-11-16"))
    # A record the API matched loosely whose registre does not name the debtor's SIREN is not kept.
    fake_bodacc.records.append(announcement(SIREN, "A998", "2026-11-29", registre=["7328293201", "732829320 0"]))
    db_session.commit()
    assert bodacc_watch() == {"checked": 1, "found": 1}
    assert [r["offset"] for r in fake_bodacc.requests] == ["0", "100"]
    assert [f.announcement_id for f in findings(db_session, case.debtor_id)] == ["A999"]


def test_the_where_clause_names_only_sirens():
    assert where_clause([SIREN, OTHER], date(2026, 11, 1)) == (
        'familleavis:"collective" AND (registre like "732829320" OR registre like "552100554")'
        ' AND dateparution >= date"2026-11-01"')


def test_a_collector_neither_sees_nor_decides(client, login_as, db_session, fake_bodacc, now):
    case = company_case()
    fake_bodacc.records = [announcement(SIREN, "A1", "2026-11-30")]
    db_session.commit()
    bodacc_watch()
    [finding] = findings(db_session)
    login_as("collector")
    assert client.get("/bodacc").status_code == 403
    assert 'data-testid="nav-bodacc"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/bodacc/{finding.id}/confirm", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/bodacc/{finding.id}/dismiss",
                       data={"csrf_token": token, f"dismiss-{finding.id}-reason": "x"}).status_code == 403


def test_the_manager_sees_how_many_wait_and_a_form_without_its_token_changes_nothing(
        client, login_as, db_session, fake_bodacc, now):
    company_case()
    fake_bodacc.records = [announcement(SIREN, "A1", "2026-11-30")]
    db_session.commit()
    bodacc_watch()
    [finding] = findings(db_session)
    login_as("manager")
    nav = client.get("/bodacc").get_data(as_text=True).split('data-testid="nav-bodacc"')[1].split("</a>")[0]
    assert 'badge' in nav and ">1<" in nav
    assert client.post(f"/bodacc/{finding.id}/confirm").status_code == 400  # no CSRF token
    assert client.post(f"/bodacc/{finding.id}/dismiss", data={f"dismiss-{finding.id}-reason": "x"}).status_code == 400
    db_session.expire_all()
    assert finding.status == "proposed" and db_session.scalars(sa.select(Hold)).all() == []
    assert client.post("/bodacc/999999/confirm", data={"csrf_token": csrf_token(client, "/bodacc")}).status_code == 404
