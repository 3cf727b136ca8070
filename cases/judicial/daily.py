"""The daily judicial run: what silence decides, then every open proceeding's next deadline, set-based.

A small-claims invitation left unanswered past its `answer_by` day is a refusal (CPCE R125-3), recorded
the day after; an order not served by its `serve_by` day is void (CPC 1411), lapsed the day after. Those
few proceedings go through `steps.record_step`, with its rules and audit, by the system (no actor).

Every other proceeding's next deadline is computed from one read of the key steps and written back only
where it changed: the deadlines are fixed on the steps when recorded, so only the date decides which one
is next (after an opposition window closes, the day the order becomes enforceable). `next_of` keeps the
rules of `deadlines.next_deadline`; a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from agency.db import db
from cases.judicial import deadlines
from cases.judicial.steps import record_step
from cases.models import Proceeding, Stage, StepKind
from cases.models.judicial import JudicialStep, JudicialTitle

K = StepKind
# The stages that run under a deadline, and the step each one's deadline comes from.
STEP_OF_STAGE: dict[str, tuple[str, ...]] = {
    Stage.ORDER_ISSUED.value: (K.ORDER_ISSUED.value, K.ORDER_PARTLY_GRANTED.value),
    Stage.SERVED.value: (K.SERVED.value,),
    Stage.INVITED.value: (K.INVITATION_SENT.value,),
}
TITLE_STAGES = (Stage.ENFORCEABLE.value, Stage.ENFORCEMENT.value, Stage.PARTLY_PAID.value)
DEADLINE_STAGES = (*STEP_OF_STAGE, *TITLE_STAGES)
KEY_STEPS = tuple(kind for kinds in STEP_OF_STAGE.values() for kind in kinds)
# A deadline whose passing decides by itself: the step the system records the day after it.
SILENCE: dict[str, tuple[StepKind, object]] = {
    "answer_by": (K.DEBTOR_DECLINED, _l("No answer within the time allowed: silence is a refusal (CPCE R125-3).")),
    "serve_by": (K.LAPSED, _l("Not served in time: the order is void (CPC 1411).")),
}


@dataclass
class DailyCounts:
    declined: int = 0
    lapsed: int = 0
    refreshed: int = 0
    silenced_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"declined": self.declined, "lapsed": self.lapsed, "refreshed": self.refreshed}


@dataclass(frozen=True)
class Row:
    """What the next deadline of one proceeding depends on, as read in one query."""

    id: int
    stage: str
    deadline_on: date | None  # stored now
    deadline_kind: str
    step_kind: str | None  # the latest key step (order issued, served, invitation sent)
    step_on: date | None
    step_deadline_on: date | None
    title_expires_on: date | None


def run_daily(on: date) -> DailyCounts:
    """Record what silence decided before `on`, then store every proceeding's next deadline as of `on`."""
    counts, figures = DailyCounts(), Figures()
    rows = read_rows()
    for row in rows:
        deadline = next_of(row, on, figures)
        if deadline is not None and deadline.kind in SILENCE and deadline.on < on:
            _silence(row.id, deadline, on, counts)
    counts.refreshed = store_next_deadlines(rows, on, figures, skip=set(counts.silenced_ids))
    return counts


def read_rows() -> list[Row]:
    """One read of the open proceedings with a deadline stage, and of the others still holding a deadline."""
    latest = (sa.select(JudicialStep.proceeding_id, sa.func.max(JudicialStep.id).label("step_id"))
              .where(JudicialStep.kind.in_(KEY_STEPS)).group_by(JudicialStep.proceeding_id).subquery())
    query = (
        sa.select(Proceeding.id, Proceeding.stage, Proceeding.next_deadline_on, Proceeding.next_deadline_kind,
                  JudicialStep.kind, JudicialStep.occurred_on, JudicialStep.deadline_on, JudicialTitle.expires_on)
        .outerjoin(latest, latest.c.proceeding_id == Proceeding.id)
        .outerjoin(JudicialStep, JudicialStep.id == latest.c.step_id)
        .outerjoin(JudicialTitle, JudicialTitle.proceeding_id == Proceeding.id)
        .where(Proceeding.stage.in_(DEADLINE_STAGES))
    )
    return [Row(*values) for values in db.session.execute(query)]


def next_of(row: Row, on: date, figures: Figures) -> deadlines.Deadline | None:
    """The proceeding's next deadline on `on`, by the rules of `deadlines.next_deadline`."""
    found: list[deadlines.Deadline] = []
    if row.stage in STEP_OF_STAGE and row.step_kind not in STEP_OF_STAGE[row.stage]:
        return _next_by_orm(row.id, on)  # a history the key-step read cannot explain: ask the model
    if row.stage == Stage.ORDER_ISSUED:
        found.append(deadlines.Deadline("serve_by", row.step_deadline_on or figures.of(deadlines.serve_by, row.step_on)))
    elif row.stage == Stage.SERVED:
        found += [deadlines.Deadline("opposition_until", figures.of(deadlines.opposition_until, row.step_on)),
                  deadlines.Deadline("enforceable_from", row.step_deadline_on or figures.of(deadlines.enforceable_from, row.step_on))]
    elif row.stage == Stage.INVITED:
        found.append(deadlines.Deadline("answer_by", row.step_deadline_on or figures.of(deadlines.answer_by, row.step_on)))
    elif row.stage in TITLE_STAGES and row.title_expires_on:
        found.append(deadlines.Deadline("title_expires", row.title_expires_on))
    found.sort(key=lambda d: d.on)
    return next((d for d in found if d.on >= on), found[-1] if found else None)


def store_next_deadlines(rows: list[Row], on: date, figures: Figures, skip: set[int]) -> int:
    """Write the next deadlines that changed (one executemany), and clear those of stages without one."""
    db.session.flush()  # the steps silence recorded reach the database before the rows are written under them
    changed = []
    for row in rows:
        if row.id in skip:
            continue
        deadline = next_of(row, on, figures)
        value = (deadline.on, deadline.kind) if deadline else (None, "")
        if value != (row.deadline_on, row.deadline_kind):
            changed.append({"pid": row.id, "due": value[0], "kind": value[1]})
    table = Proceeding.__table__
    if changed:
        db.session.execute(table.update().where(table.c.id == sa.bindparam("pid"))
                           .values(next_deadline_on=sa.bindparam("due"), next_deadline_kind=sa.bindparam("kind")),
                           changed)
    cleared = db.session.execute(
        table.update().where(table.c.stage.not_in(DEADLINE_STAGES), table.c.id.not_in(skip) if skip else sa.true(),
                             sa.or_(table.c.next_deadline_on.is_not(None), table.c.next_deadline_kind != ""))
        .values(next_deadline_on=None, next_deadline_kind="")
    ).rowcount
    _expire_loaded()
    return len(changed) + cleared


def _silence(proceeding_id: int, deadline: deadlines.Deadline, on: date, counts: DailyCounts) -> None:
    proceeding = db.session.get(Proceeding, proceeding_id)
    kind, note = SILENCE[deadline.kind]
    record_step(proceeding, kind, deadline.on + timedelta(days=1), actor=None, note=str(note), on=on)
    counts.silenced_ids.append(proceeding_id)
    if kind == K.DEBTOR_DECLINED:
        counts.declined += 1
    else:
        counts.lapsed += 1


def _next_by_orm(proceeding_id: int, on: date) -> deadlines.Deadline | None:
    proceeding = db.session.get(Proceeding, proceeding_id)
    return deadlines.next_deadline(proceeding, on) if proceeding.is_open else None


def _expire_loaded() -> None:
    """Proceedings already in the session reread their deadline, written underneath them."""
    for row in list(db.session.identity_map.values()):
        if isinstance(row, Proceeding):
            db.session.expire(row, ["next_deadline_on", "next_deadline_kind"])


class Figures:
    """The deadlines computed from a step's date, each read once per distinct date in a run."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, date], date] = {}

    def of(self, rule: Callable[[date], date], day: date) -> date:
        key = (rule.__name__, day)
        if key not in self._seen:
            self._seen[key] = rule(day)
        return self._seen[key]
