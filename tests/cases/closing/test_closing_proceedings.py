"""Closing a case in litigation, alone or in a batch, stops its open proceeding: a withdrawn step says why,
and no deadline nor alert follows a closed case."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.db import db
from cases.closing.bulk import close_many
from cases.closing.closing import close_case
from cases.judicial.steps import TitleValues, record_step
from cases.models import Stage, StepKind
from tests import factories
from tests.cases.judicial.helpers import started

ORDER = TitleValues(court="Tribunal de commerce de Lyon", number="2026/12", principal_cents=900_000,
                    interest_cents=0, interest_from=None, article_700_cents=0, costs_cents=0)


def order_issued(time_machine):
    case, proceeding = started(time_machine)
    time_machine.move_to("2026-10-01 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 10, 1), actor=None, title=ORDER)
    assert proceeding.next_deadline_kind == "serve_by"
    return case, proceeding


def withdrawn_events(proceeding):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "judicial.withdrawn",
                                                          AuditEvent.subject_id == proceeding.id)).all()


def test_closing_a_case_stops_its_proceeding(db_session, time_machine):
    case, proceeding = order_issued(time_machine)
    close_case(case, "judicial_lawyer", actor=factories.user("manager"), on=date(2026, 10, 5))
    assert proceeding.stage == Stage.WITHDRAWN and proceeding.next_deadline_on is None
    step = proceeding.steps[-1]
    assert step.kind == StepKind.WITHDRAWN and step.occurred_on == date(2026, 10, 5)
    assert step.note == "Dossier clos : Phase judiciaire confiée à un avocat"
    [event] = withdrawn_events(proceeding)
    assert event.before == {"stage": "order_issued"} and event.after["reason"] == "judicial_lawyer"


def test_a_bulk_closing_stops_the_proceedings_of_its_cases_and_leaves_ended_ones(db_session, time_machine):
    case, proceeding = order_issued(time_machine)
    other, ended = started(time_machine)
    record_step(ended, StepKind.ORDER_REFUSED, date(2026, 6, 2), actor=None)
    time_machine.move_to("2026-10-06 10:00:00+02:00", tick=False)
    quiet = factories.case(amounts=(10_000,))
    closed, _written_off = close_many([case.id, other.id, quiet.id], "unfindable", evidence="Recherches vaines",
                                      actor=factories.user("manager"), on=date(2026, 10, 6))
    assert closed == 3
    db.session.expire_all()
    assert proceeding.stage == Stage.WITHDRAWN and proceeding.steps[-1].note == "Dossier clos : Débiteur introuvable"
    assert ended.stage == Stage.ORDER_REFUSED and not withdrawn_events(ended)  # already over: left as it ended
