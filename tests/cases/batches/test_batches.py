"""Bulk work from the case list: each action over cases ticked or matching a filter, run by the job with an item and
an audit event per case; the contact rules and the order of letters decide case by case; a rerun never acts twice;
only managers may ask."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from agency.db import db, utcnow
from agency.message_models import SmsMessage
from agency.models import AuditEvent
from cases.batches import batches as batch_module
from cases.batches.actions import BatchError
from cases.batches.batches import ask_batch, run_batch_job
from cases.closing.closing import close_case
from cases.models import Action, Case, CaseBatch, CaseBatchItem, Letter
from cases.search import CaseFilters
from debtors.holds import put_on_hold
from debtors.models import Hold
from tests import factories
from tests.cases.judicial.test_pages import signed_in
from tests.conftest import csrf_token

MONDAY_MORNING = "2026-12-07 10:30:00+01:00"  # within the FR profile's hours (Monday-Friday 10-13, 14-20)
MONDAY_NIGHT = "2026-12-07 22:30:00+01:00"


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(MONDAY_MORNING, tick=False)


def items(batch) -> dict[int, tuple[str, str]]:
    rows = db.session.scalars(sa.select(CaseBatchItem).where(CaseBatchItem.batch_id == batch.id))
    return {item.case_id: (item.outcome, item.reason) for item in rows}


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def post_batch(browser, data: dict, ticked=()):
    token = csrf_token(browser, "/cases/")
    return browser.post("/cases/batches/", data={"csrf_token": token, **data, "case": [str(i) for i in ticked]})


def test_reassign_the_ticked_cases_from_the_list(app, db_session, run_jobs):
    manager, collector = factories.user("manager"), factories.user("collector", name="Paul Morel")
    pool = factories.team("Équipe Lyon", members=(collector,))
    cases = [factories.case() for _ in range(3)]
    closed = factories.case()
    close_case(closed, "below_minimum", actor=manager)
    untouched = factories.case()
    db_session.commit()
    browser = signed_in(app, manager)
    page = browser.get("/cases/").get_data(as_text=True)
    assert 'data-testid="action-bar"' in page and 'name="case"' in page and "Sélectionner tous les dossiers" in page
    response = post_batch(browser, {"scope": "ticked", "action": "reassign", "target": f"user:{collector.id}"},
                          ticked=[c.id for c in cases] + [closed.id])
    assert response.status_code == 302
    run_jobs()
    db.session.expire_all()
    batch = db.session.scalar(sa.select(CaseBatch))
    assert (batch.status, batch.total, batch.done_count, batch.skipped_count) == ("done", 4, 3, 1)
    for case in cases:  # given to the collector, in their pool, as one reassignment would
        assert (db.session.get(Case, case.id).assigned_collector_id, db.session.get(Case, case.id).team_id) == \
            (collector.id, pool.id)
    assert db.session.get(Case, untouched.id).assigned_collector_id is None
    assert items(batch)[closed.id] == ("skipped", "closed")
    reassigned = events("case.reassigned")
    assert sorted(e.subject_id for e in reassigned) == sorted(c.id for c in cases)
    assert all(e.after["batch_id"] == batch.id and e.after["assigned_collector_id"] == collector.id
               and e.actor_id == manager.id and e.client_id == db.session.get(Case, e.subject_id).client_id
               for e in reassigned)
    assert [e.subject_id for e in events("case.batch_skipped")] == [closed.id]
    shown = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Réaffecter" in shown and "à Paul Morel" in shown and closed.reference in shown
    assert "Dossier clos" in shown and "Le dossier est clos." in shown


def test_reassign_every_case_a_filter_matches_to_a_pool(app, db_session, run_jobs):
    manager, collector = factories.user("manager"), factories.user("collector")
    creditor, other = factories.client(), factories.client()
    theirs = [factories.case(client_row=creditor) for _ in range(3)]
    for case in theirs:
        case.assigned_collector_id = collector.id
    elsewhere = factories.case(client_row=other)
    pool = factories.team("Équipe Recouvrement")
    db_session.commit()
    browser = signed_in(app, manager)
    response = post_batch(browser, {"scope": "filter", "client": str(creditor.id), "action": "reassign",
                                    "target": f"team:{pool.id}"})
    assert response.status_code == 302
    run_jobs()
    db.session.expire_all()
    batch = db.session.scalar(sa.select(CaseBatch))
    assert batch.filters["client_id"] == creditor.id and sorted(batch.case_ids) == sorted(c.id for c in theirs)
    for case in theirs:
        row = db.session.get(Case, case.id)
        assert (row.team_id, row.assigned_collector_id) == (pool.id, None)
    assert db.session.get(Case, elsewhere.id).team_id is None


def test_a_filter_too_wide_or_matching_nothing_is_refused_at_its_field(app, db_session, monkeypatch):
    manager = factories.user("manager")
    creditor = factories.client()
    for _ in range(3):
        factories.case(client_row=creditor)
    monkeypatch.setattr(batch_module, "MAX_SELECTION", 2)
    with pytest.raises(BatchError) as wide:
        ask_batch("export", {}, actor=manager, filters=CaseFilters(client_id=creditor.id))
    assert wide.value.field == "scope" and "plus de 2 dossiers" in str(wide.value)
    with pytest.raises(BatchError) as none:
        ask_batch("export", {}, actor=manager, filters=CaseFilters(q="ZZZ-personne"))
    assert none.value.field == "scope"
    with pytest.raises(BatchError) as unticked:
        ask_batch("export", {}, actor=manager, case_ids=[])
    assert unticked.value.field == "scope"
    assert db.session.query(CaseBatch).count() == 0


def test_a_hold_needs_its_reason_and_holds_each_debtor_once(app, db_session, run_jobs):
    manager = factories.user("manager")
    debtor = factories.debtor()
    same_debtor = [factories.case(debtor_row=debtor) for _ in range(2)]
    held = factories.case()
    put_on_hold(held.debtor, "cease_communication", actor=None, reason="Courrier du débiteur")
    fresh = factories.case()
    db_session.commit()
    browser = signed_in(app, manager)
    ticked = [c.id for c in [*same_debtor, held, fresh]]
    refused = post_batch(browser, {"scope": "ticked", "action": "hold", "hold_kind": "cease_communication",
                                   "hold_reason": "  "}, ticked=ticked)
    assert refused.status_code == 400
    assert "Dites pourquoi ces dossiers sont suspendus." in refused.get_data(as_text=True)
    assert db.session.query(CaseBatch).count() == 0
    response = post_batch(browser, {"scope": "ticked", "action": "hold", "hold_kind": "cease_communication",
                                    "hold_reason": "Demande du client par courriel du 4/12"}, ticked=ticked)
    assert response.status_code == 302
    run_jobs()
    db.session.expire_all()
    batch = db.session.scalar(sa.select(CaseBatch))
    outcome = items(batch)
    assert outcome[held.id] == ("skipped", "already_held")
    assert {outcome[c.id] for c in [*same_debtor, fresh]} == {("done", "")}
    holds = db.session.scalars(sa.select(Hold).where(Hold.debtor_id.in_([debtor.id, fresh.debtor_id]))).all()
    assert sorted(h.debtor_id for h in holds) == sorted([debtor.id, fresh.debtor_id])  # one hold per debtor
    assert all(h.reason == "Demande du client par courriel du 4/12" and h.created_by_id == manager.id for h in holds)
    assert sorted(e.after["debtor_id"] for e in events("hold.started") if e.after["debtor_id"] != held.debtor_id) == \
        sorted([debtor.id, fresh.debtor_id])
    assert sorted(e.subject_id for e in events("case.put_on_hold")) == sorted(c.id for c in [*same_debtor, fresh])


def sms_case(number: str = "+33612345678", **fields):
    debtor = factories.debtor()
    factories.contact(debtor, "phone", number, is_primary=True)
    return factories.case(debtor_row=debtor, **fields)


def test_an_sms_outside_the_contact_hours_is_skipped_with_the_rules_reason(app, db_session, time_machine):
    time_machine.move_to(MONDAY_NIGHT, tick=False)
    factories.agency_profile()
    manager = factories.user("manager")
    cases = [sms_case() for _ in range(2)]
    batch = ask_batch("sms", {"sms_template": "reminder"}, actor=manager, case_ids=[c.id for c in cases])
    run_batch_job(batch.id)
    db.session.expire_all()
    batch = db.session.get(CaseBatch, batch.id)
    assert (batch.done_count, batch.skipped_count) == (0, 2)
    assert set(items(batch).values()) == {("skipped", "contact_rules")}
    detail = db.session.scalar(sa.select(CaseBatchItem.detail).where(CaseBatchItem.batch_id == batch.id).limit(1))
    assert "Autorisé à partir de mar. 8 déc. 10:00" in detail  # the rule's own words: when contact opens again
    assert db.session.query(SmsMessage).count() == 0
    # The refused attempt is in each case's history, as after a single send.
    blocked = db.session.scalars(sa.select(Action).where(Action.status == "blocked")).all()
    assert sorted(a.case_id for a in blocked) == sorted(c.id for c in cases)
    assert {a.reason for a in blocked} == {"outside_hours"}


def test_an_sms_within_the_hours_goes_through_the_single_send(app, db_session):
    factories.agency_profile()
    manager = factories.user("manager")
    owing, opted_out = sms_case(), sms_case("+33698765432")
    opted_out.debtor.contact_points[0].opted_out_at = utcnow()
    db.session.flush()
    batch = ask_batch("sms", {"sms_template": "reminder"}, actor=manager, case_ids=[owing.id, opted_out.id])
    run_batch_job(batch.id)
    db.session.expire_all()
    outcome = items(db.session.get(CaseBatch, batch.id))
    assert outcome[owing.id] == ("done", "") and outcome[opted_out.id] == ("skipped", "contact_rules")
    refusal = db.session.scalar(sa.select(CaseBatchItem.detail).where(CaseBatchItem.case_id == opted_out.id))
    assert refusal == "Le débiteur s’est opposé à être contacté sur cette coordonnée."
    [sent] = db.session.scalars(sa.select(SmsMessage)).all()
    assert sent.to_number == "+33612345678" and owing.reference in sent.body
    assert [e.subject_id for e in events("case.batch_sms")] == [owing.id]


def test_bulk_sms_are_delivered_through_twilio_one_per_case(app, db_session, fake_twilio, run_jobs):
    factories.agency_profile()
    manager = factories.user("manager")
    cases = [sms_case("+33612345601"), sms_case("+33612345602")]
    batch = ask_batch("sms", {"sms_template": "reminder"}, actor=manager, case_ids=[c.id for c in cases])
    run_batch_job(batch.id)
    run_jobs()  # real mode: the delivery jobs the batch queued, one per SMS
    db.session.expire_all()
    assert db.session.get(CaseBatch, batch.id).done_count == 2
    assert sorted(request["form"]["To"][0] for request in fake_twilio) == ["+33612345601", "+33612345602"]
    assert {m.status for m in db.session.scalars(sa.select(SmsMessage))} == {"queued"}
    run_batch_job(batch.id)  # a rerun sends nothing more
    run_jobs()
    assert len(fake_twilio) == 2


def test_letters_follow_their_order_and_the_contact_rules_case_by_case(app, db_session):
    manager = factories.user("manager")
    ready = factories.case()
    factories.letter(ready, "first_notice", days_ago=0)  # profile and address in place
    too_soon = factories.case()
    factories.letter(too_soon, "first_notice", days_ago=3)  # its deadline (15 days) has not passed
    due = factories.case()
    factories.letter(due, "first_notice", days_ago=20)
    no_address = factories.case()
    batch = ask_batch("letter", {"letter_kind": "reminder"}, actor=manager,
                      case_ids=[too_soon.id, due.id, no_address.id])
    run_batch_job(batch.id)
    db.session.expire_all()
    outcome = items(db.session.get(CaseBatch, batch.id))
    assert outcome[due.id] == ("done", "")
    assert outcome[too_soon.id] == ("skipped", "letter_order")
    # Without an address the reminder would be its first letter: the contact rules refuse it (no postal address).
    assert outcome[no_address.id] == ("skipped", "contact_rules")
    reminders = db.session.scalars(sa.select(Letter).where(Letter.kind == "reminder")).all()
    assert [letter.case_id for letter in reminders] == [due.id]
    assert db.session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == too_soon.id)) == 1
    order = db.session.scalar(sa.select(CaseBatchItem.detail).where(CaseBatchItem.case_id == too_soon.id))
    assert "une relance peut partir dès le 20 déc. 2026" in order
    assert [e.subject_id for e in events("case.batch_letter")] == [due.id]


def test_a_rerun_of_the_job_never_acts_twice(app, db_session):
    manager = factories.user("manager")
    cases = [factories.case() for _ in range(3)]
    for case in cases:
        factories.letter(case, "first_notice", days_ago=20)
    batch = ask_batch("letter", {"letter_kind": "reminder"}, actor=manager, case_ids=[c.id for c in cases])
    run_batch_job(batch.id)
    counted = db.session.query(Letter).count(), db.session.query(AuditEvent).count()
    db.session.get(CaseBatch, batch.id).status = "running"  # as if the worker died before saying it was done
    db.session.commit()
    run_batch_job(batch.id)
    db.session.expire_all()
    batch = db.session.get(CaseBatch, batch.id)
    assert (batch.status, batch.done_count) == ("done", 3)
    assert db.session.query(Letter).count() == counted[0]
    assert db.session.query(AuditEvent).count() == counted[1] + 1  # only the batch's "finished" event again


def test_the_export_lists_the_cases_with_their_balance(app, db_session, run_jobs):
    manager = factories.user("manager")
    creditor = factories.client(name="Boulangerie Dupain SAS")
    first = factories.case(client_row=creditor, amounts=(123_456,), client_reference="CLI-7")
    second = factories.case(client_row=creditor, amounts=(5_000,))
    factories.case()  # another client's: not in the filter
    db_session.commit()
    browser = signed_in(app, manager)
    response = post_batch(browser, {"scope": "filter", "client": str(creditor.id), "action": "export"})
    run_jobs()
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="export-download"' in page
    batch = db.session.scalar(sa.select(CaseBatch))
    download = browser.get(f"/cases/batches/{batch.id}/export.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Référence", "Référence du client", "Client", "Débiteur"]
    by_reference = {row[0]: row for row in rows[1:]}
    assert set(by_reference) == {first.reference, second.reference}
    assert by_reference[first.reference][1] == "CLI-7" and by_reference[first.reference][2] == "Boulangerie Dupain SAS"
    assert by_reference[first.reference][9] == "1234,56" and by_reference[second.reference][9] == "50,00"
    assert sorted(e.subject_id for e in events("case.exported")) == sorted([first.id, second.id])


def test_the_progress_endpoint_counts_what_the_job_committed(app, db_session):
    manager = factories.user("manager")
    cases = [factories.case() for _ in range(2)]
    batch = ask_batch("export", {}, actor=manager, case_ids=[c.id for c in cases])
    db_session.commit()
    browser = signed_in(app, manager)
    waiting = browser.get(f"/cases/batches/{batch.id}/progress").get_json()
    assert waiting == {"status": "importing", "total": 2, "done": 0, "skipped": 0, "failed": 0,
                       "job": {"done": 0, "total": 2}}
    page = browser.get(f"/cases/batches/{batch.id}").get_data(as_text=True)
    assert 'id="progress-card"' in page and "progress.js" in page
    run_batch_job(batch.id)
    db_session.commit()
    finished = browser.get(f"/cases/batches/{batch.id}/progress").get_json()
    assert finished["status"] == "done" and finished["done"] == 2 and finished["job"] == {"done": 2, "total": 2}


@pytest.mark.parametrize("role", ["collector", "client"])
def test_only_managers_ask_for_bulk_work(app, db_session, role):
    manager = factories.user("manager")
    case = factories.case()
    batch = ask_batch("export", {}, actor=manager, case_ids=[case.id])
    run_batch_job(batch.id)
    user = factories.user(role, client=case.client if role == "client" else None)
    db_session.commit()
    browser = signed_in(app, user)
    page = browser.get("/cases/").get_data(as_text=True)
    assert 'data-testid="action-bar"' not in page and 'name="case"' not in page
    token = csrf_token(browser, "/account/password")
    before = db.session.query(CaseBatch).count()
    refused = browser.post("/cases/batches/", data={"csrf_token": token, "scope": "ticked", "action": "export",
                                                    "case": [str(case.id)]})
    assert refused.status_code == 403 and db.session.query(CaseBatch).count() == before
    for path in ("/cases/batches/", f"/cases/batches/{batch.id}", f"/cases/batches/{batch.id}/progress",
                 f"/cases/batches/{batch.id}/export.csv"):
        assert browser.get(path).status_code == 403, path
    with pytest.raises(BatchError):
        ask_batch("export", {}, actor=user, case_ids=[case.id])


def ready_for_every_action(creditor):
    """A case any action can take now: a mobile, a postal address, a first notice past its deadline."""
    case = sms_case(client_row=creditor)
    factories.letter(case, "first_notice", days_ago=20)
    return case


ACTION_FIELDS = {
    "reassign": lambda collector, pool: {"target": f"team:{pool.id}"},
    "hold": lambda collector, pool: {"hold_kind": "deceased", "hold_reason": "Acte de décès reçu du client"},
    "letter": lambda collector, pool: {"letter_kind": "reminder"},
    "sms": lambda collector, pool: {"sms_template": "reminder"},
    "export": lambda collector, pool: {},
    "task": lambda collector, pool: {"task_title": "Rappeler le débiteur", "task_due_on": "2026-12-10",
                                     "task_assignee": f"user:{collector.id}"},
}


@pytest.mark.parametrize("scope", ["ticked", "filter"])
@pytest.mark.parametrize("action", list(ACTION_FIELDS))
def test_each_action_takes_its_selection_by_ticking_and_by_filter(app, db_session, run_jobs, action, scope):
    manager, collector = factories.user("manager"), factories.user("collector")
    pool = factories.team()
    creditor = factories.client()
    chosen = [ready_for_every_action(creditor) for _ in range(2)]
    left_out = ready_for_every_action(factories.client())
    db_session.commit()
    browser = signed_in(app, manager)
    data = {"scope": scope, "action": action, **ACTION_FIELDS[action](collector, pool)}
    if scope == "filter":
        data["client"] = str(creditor.id)
    response = post_batch(browser, data, ticked=[c.id for c in chosen] if scope == "ticked" else ())
    assert response.status_code == 302, response.get_data(as_text=True)
    run_jobs()
    db.session.expire_all()
    batch = db.session.scalar(sa.select(CaseBatch))
    assert (batch.status, batch.done_count, batch.skipped_count, batch.failed_count) == ("done", 2, 0, 0)
    assert set(items(batch)) == {c.id for c in chosen}  # never the case outside the selection
    touched = {e.subject_id for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.subject_type == "collection_case", AuditEvent.after["batch_id"].as_integer() == batch.id))}
    assert touched == {c.id for c in chosen}  # one event per case, naming the batch
    assert left_out.id not in touched


def test_a_stopped_batch_resumes_without_touching_the_cases_it_had_done(app, db_session, run_jobs):
    manager = factories.user("manager")
    pool = factories.team()
    cases = [factories.case() for _ in range(3)]
    batch = ask_batch("reassign", {"target": f"team:{pool.id}"}, actor=manager, case_ids=[c.id for c in cases])
    # As a job stopped after its first chunk leaves it: that case's item committed, the batch marked stopped.
    db.session.add(CaseBatchItem(batch_id=batch.id, case_id=cases[0].id, outcome="done"))
    batch.done_count, batch.status, batch.error = 1, "failed", "OperationalError('server closed the connection')"
    db_session.commit()
    browser = signed_in(app, manager)
    page = browser.get(f"/cases/batches/{batch.id}").get_data(as_text=True)
    assert 'data-testid="batch-failed"' in page and "Reprendre" in page
    token = csrf_token(browser, f"/cases/batches/{batch.id}")
    assert browser.post(f"/cases/batches/{batch.id}/resume", data={"csrf_token": token}).status_code == 302
    run_jobs()
    db.session.expire_all()
    batch = db.session.get(CaseBatch, batch.id)
    assert (batch.status, batch.done_count) == ("done", 3)
    assert db.session.get(Case, cases[0].id).team_id is None  # processed before the stop: left alone
    assert [db.session.get(Case, c.id).team_id for c in cases[1:]] == [pool.id, pool.id]
    assert [e.after["status"] for e in events("case_batch.resumed")] == ["queued"]


def test_a_task_for_each_cases_own_collector_or_team(app, db_session):
    from cases.models.notes import Task

    manager, collector = factories.user("manager"), factories.user("collector")
    pool = factories.team()
    with_collector, with_team, with_nobody, closed = (factories.case() for _ in range(4))
    with_collector.assigned_collector_id = collector.id
    with_team.team_id = pool.id
    close_case(closed, "below_minimum", actor=manager)
    ids = [with_collector.id, with_team.id, with_nobody.id, closed.id]
    with pytest.raises(BatchError) as past:
        ask_batch("task", {"task_title": "Relancer", "task_due_on": date(2026, 12, 6), "task_assignee": "case"},
                  actor=manager, case_ids=ids)
    assert past.value.field == "task_due_on"
    batch = ask_batch("task", {"task_title": " Relancer  par téléphone ", "task_due_on": date(2026, 12, 9),
                               "task_assignee": "case"}, actor=manager, case_ids=ids)
    run_batch_job(batch.id)
    db.session.expire_all()
    outcome = items(db.session.get(CaseBatch, batch.id))
    assert outcome[with_nobody.id] == ("skipped", "no_assignee") and outcome[closed.id] == ("skipped", "closed")
    tasks = {t.case_id: t for t in db.session.scalars(sa.select(Task))}
    assert set(tasks) == {with_collector.id, with_team.id}
    assert (tasks[with_collector.id].assignee_id, tasks[with_collector.id].team_id) == (collector.id, None)
    assert (tasks[with_team.id].assignee_id, tasks[with_team.id].team_id) == (None, pool.id)
    assert {t.title for t in tasks.values()} == {"Relancer par téléphone"}
    assert {t.due_on for t in tasks.values()} == {date(2026, 12, 9)}
    assert sorted(e.subject_id for e in events("task.created")) == sorted(tasks)
