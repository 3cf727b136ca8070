"""Letters issued by a background job (real RQ with Redis in CI, inline otherwise)."""

from __future__ import annotations

import sqlalchemy as sa

from agency.jobs import enqueue
from cases.letters.jobs import issue_letter_job
from cases.models import Action, Letter
from debtors.models import Hold
from tests import factories
from tests.cases.letters.reading import pdf_text


def ready_case():
    factories.agency_profile()
    case = factories.case()
    factories.postal_address(case.debtor)
    return case


def run(run_jobs, *args) -> str:
    queued = enqueue(issue_letter_job, *args)
    run_jobs()
    return queued.return_value(refresh=True)


def test_a_job_renders_and_issues_the_letter(db_session, run_jobs):
    from cases.letters.storage import documents_dir

    case = ready_case()
    db_session.commit()
    assert run(run_jobs, case.id, "first_notice", 1) == "issued"
    db_session.expire_all()
    letter = db_session.scalars(sa.select(Letter).where(Letter.case_id == case.id)).one()
    assert letter.status == "issued" and letter.created_by is None
    assert case.reference in pdf_text((documents_dir() / letter.file_path).read_bytes())
    action = db_session.scalars(sa.select(Action).where(Action.letter_id == letter.id)).one()
    assert action.strategy_step == 1 and action.user_id is None


def test_a_retried_job_sends_nothing_twice(db_session, run_jobs):
    case = ready_case()
    db_session.commit()
    run(run_jobs, case.id, "first_notice", 1)
    assert run(run_jobs, case.id, "first_notice", 1) == "issued"
    db_session.expire_all()
    assert db_session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == case.id)) == 1


def test_a_job_keeps_the_refusal_and_skips_closed_cases(db_session, run_jobs):
    held, paid = ready_case(), ready_case()
    db_session.add(Hold(debtor_id=held.debtor_id, kind="cease_communication", reason="courrier du débiteur"))
    paid.status = "paid"
    db_session.commit()
    assert run(run_jobs, held.id, "first_notice", 1) == "blocked"
    assert run(run_jobs, paid.id, "first_notice", 1) == "skipped"
    db_session.expire_all()
    blocked = db_session.scalars(sa.select(Action).where(Action.case_id == held.id)).one()
    assert (blocked.status, blocked.reason, blocked.strategy_step) == ("blocked", "hold_cease_communication", 1)
    assert db_session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id.in_([held.id, paid.id]))) == 0


def test_a_job_proposes_a_formal_notice_for_approval(db_session, run_jobs):
    case = ready_case()
    factories.letter(case, days_ago=20)  # its 15 days to pay have passed
    db_session.commit()
    assert run(run_jobs, case.id, "formal_notice", 6) == "proposed"
    db_session.expire_all()
    notice = db_session.scalars(sa.select(Letter).where(Letter.case_id == case.id, Letter.kind == "formal_notice")).one()
    assert notice.status == "pending_approval" and notice.file_path == ""
