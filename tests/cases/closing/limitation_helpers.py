"""Claims with chosen due dates, and the judicial steps that interrupt or suspend their limitation."""

from __future__ import annotations

from datetime import date
from itertools import count

from agency.db import db
from cases.models import Case, JudicialStep, Proceeding, Route, Stage
from tests import factories

_numbers = count(1)
TODAY = "2026-12-07 10:00:00+01:00"


def case_due(due: date, kind: str = "b2c", amounts=(50_000,), client=None) -> Case:
    """An open case whose claims all fell due on `due`."""
    case = factories.case(client, amounts=amounts, kind=kind, opened_on=date(2026, 3, 1))
    for claim in case.claims:
        claim.due_date = due
    db.session.flush()
    return case


def step(case: Case, kind: str, on: date, route: str = Route.ORDER_JUDICIAL.value) -> JudicialStep:
    """A step of the case's proceeding (one is opened if none), as the judicial pages record it."""
    proceeding = db.session.query(Proceeding).filter_by(case_id=case.id).first()
    if proceeding is None:
        proceeding = Proceeding(reference=f"JUD-L-{next(_numbers)}", case_id=case.id, client_id=case.client_id,
                                route=route, suggested_route=route, stage=Stage.FILED.value)
        db.session.add(proceeding)
        db.session.flush()
    row = JudicialStep(proceeding_id=proceeding.id, kind=kind, occurred_on=on)
    db.session.add(row)
    db.session.flush()
    return row
