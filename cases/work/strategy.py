"""The default collection strategy: which amicable step falls due when, for every case at once.

The strategy is data, `DEFAULT_STRATEGY`: numbered steps, each a kind of action on a channel a number
of days after placement. Steps of the same day form a stage, taken together:

    day  0  first notice (letter)              automatic
    day  5  SMS reminder                        automatic
    day 15  call                                a collector, through the queue
    day 30  reminder letter                     automatic
    day 60  personalized call + reminder letter a collector, and automatic
    day 75  formal notice proposal              automatic, issued only once a manager approves it

`advance_strategy(now)` is the daily job. It works on sets, never case by case: for each stage, the
cases due get the stage's actions (status `scheduled`, `strategy_step` set) by INSERT … SELECT, and
an UPDATE moves `Case.strategy_step` (the last step created) and puts the cases of a call stage in the
queue (`next_action_at`). On PostgreSQL both are one statement (an UPDATE … RETURNING feeding the
INSERTs), so the cases are read once; SQLite runs them one after the other. The unique index on
(case_id, strategy_step) makes a rerun create nothing twice. Each action is the record of its step
(created by the system, dated); the run adds one audit event with its counts. A stage is due once
the previous one was created at least its gap in days before (the first at placement): a case that
starts late keeps the spacing, and a case moves one stage per run at most, so a file placed long ago
is not sent a first notice and a formal notice on the same day. Only new and active cases advance:
cases on hold, disputed, under a promise or a plan, escalated, paid or closed wait, and resume where
they were. Over 1,000,000 cases due at once it takes about 45 s on PostgreSQL.

The automatic actions are then carried out by jobs, one per action (`run_step`), which check the
case again, ask the contact rules and send the SMS or create the letter. A letter step the order of
letters refuses (`cases.letters.sequence`) is skipped: its action is cancelled with the rule's code and
explanation, and no letter goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from agency import audit
from agency.db import UTCDateTime, db
from cases.closing.limitation import prescribed_refusal
from cases.contact_rules import may_contact
from cases.letters.letters import LetterError, LetterRefused, create_letter
from cases.letters.sequence import letter_allowed
from cases.messaging.sms import send_case_sms
from cases.models import Action, ActionChannel, ActionKind, ActionStatus, Case, CaseStatus
from debtors.models import Hold, HoldKind

ADVANCING = (CaseStatus.NEW.value, CaseStatus.ACTIVE.value)
AUTOMATIC_KINDS = (ActionKind.SMS.value, ActionKind.LETTER.value, ActionKind.FORMAL_NOTICE.value)


@dataclass(frozen=True)
class Step:
    """One step of a strategy: `kind` on `channel`, `day` days after placement."""

    number: int  # Action.strategy_step, Case.strategy_step; 1, 2, 3… in order
    day: int
    kind: ActionKind
    channel: ActionChannel
    template: str = ""  # the SMS template, or the letter kind
    label: str = ""

    @property
    def automatic(self) -> bool:
        return self.kind.value in AUTOMATIC_KINDS


DEFAULT_STRATEGY: tuple[Step, ...] = (
    Step(1, 0, ActionKind.LETTER, ActionChannel.POST, "first_notice", _l("First notice")),
    Step(2, 5, ActionKind.SMS, ActionChannel.SMS, "reminder", _l("SMS reminder")),
    Step(3, 15, ActionKind.CALL, ActionChannel.PHONE, "", _l("Call")),
    Step(4, 30, ActionKind.LETTER, ActionChannel.POST, "reminder", _l("Reminder letter")),
    Step(5, 60, ActionKind.CALL, ActionChannel.PHONE, "", _l("Personalized call")),
    Step(6, 60, ActionKind.LETTER, ActionChannel.POST, "reminder", _l("Reminder letter")),
    Step(7, 75, ActionKind.FORMAL_NOTICE, ActionChannel.POST, "formal_notice", _l("Formal notice proposal")),
)
STEPS = {step.number: step for step in DEFAULT_STRATEGY}


@dataclass(frozen=True)
class Stage:
    """The steps of one day, and the last step of the stage before (0 for the first)."""

    steps: tuple[Step, ...]
    after: int
    gap_days: int  # days since the stage before (since placement for the first)

    @property
    def last(self) -> int:
        return self.steps[-1].number

    @property
    def has_call(self) -> bool:
        return any(s.kind == ActionKind.CALL for s in self.steps)


def stages(strategy: tuple[Step, ...] = DEFAULT_STRATEGY) -> list[Stage]:
    """Group the strategy's steps by day, in order."""
    result: list[Stage] = []
    previous_day, after = 0, 0
    for day, group in groupby(strategy, key=lambda s: s.day):
        steps = tuple(group)
        result.append(Stage(steps, after, day - previous_day))
        previous_day, after = day, steps[-1].number
    return result


def advance_strategy(now: datetime) -> dict:
    """Create the strategy actions due at `now` for all cases, set-based; return counts per step."""
    today = now.astimezone(_agency_zone()).date()
    counts: dict = {"cases": 0, "actions": 0, "by_step": {}}
    postgres = _dialect() == "postgresql"
    if postgres:
        # Yesterday's run moved many cases: plan today's statements on fresh statistics.
        db.session.execute(sa.text(f"ANALYZE {Case.__tablename__}"))
    # Latest stage first, so that a case moved by one stage is not moved again in the same run.
    for stage in reversed(stages()):
        due = _due(stage, today)
        moved, by_step = _advance_postgres(stage, due, now) if postgres else _advance_portable(stage, due, now)
        counts["cases"] += moved
        counts["by_step"].update(by_step)
        counts["actions"] += sum(by_step.values())
    # Each case's step is recorded by its action (created by the system, dated, never edited by the run);
    # one event tells what the run did, rather than a million.
    audit.record("strategy.advanced", actor=None, subject_type="strategy",
                 after={"cases": counts["cases"], "actions": counts["actions"],
                        "by_step": ",".join(f"{k}:{v}" for k, v in sorted(counts["by_step"].items()))})
    return counts


def _advance_postgres(stage: Stage, due: sa.ColumnElement[bool], now: datetime) -> tuple[int, dict[int, int]]:
    """Move the due cases and create their actions in one statement: the cases are read once."""
    moved = _advance_cases(stage, due, now).returning(Case.id.label("case_id")).cte(f"moved_{stage.last}")
    created = {
        step.number: _insert_actions(step, moved.c.case_id, sa.true(), now)
        .returning(Action.id)
        .cte(f"created_{step.number}")
        for step in stage.steps
    }
    counts = [sa.select(sa.func.count()).select_from(cte).scalar_subquery() for cte in (moved, *created.values())]
    row = db.session.execute(sa.select(*counts)).one()
    return row[0], dict(zip(created, row[1:], strict=True))


def _advance_portable(stage: Stage, due: sa.ColumnElement[bool], now: datetime) -> tuple[int, dict[int, int]]:
    """Create the due cases' actions, then move the cases (SQLite has no UPDATE in a WITH clause)."""
    by_step = {
        step.number: db.session.execute(_insert_actions(step, Case.id, due, now)).rowcount for step in stage.steps
    }
    return db.session.execute(_advance_cases(stage, due, now)).rowcount, by_step


def _due(stage: Stage, today: date) -> sa.ColumnElement[bool]:
    """Return the condition a case meets when the stage falls due for it today."""
    on_hold = sa.exists().where(
        Hold.debtor_id == Case.debtor_id,
        Hold.ended_at.is_(None),
        (Hold.kind != HoldKind.DISPUTE.value) | (Hold.case_id == Case.id),
    )
    conditions = [
        Case.status.in_(ADVANCING),
        Case.strategy_step == stage.after,
        Case.opened_on <= today - timedelta(days=stage.steps[0].day),
        ~on_hold,
    ]
    if stage.after:
        # The stage before must have been created `gap_days` calendar days ago at least.
        not_before = _start_of_day(today - timedelta(days=stage.gap_days - 1))
        conditions.append(~sa.exists().where(
            Action.case_id == Case.id,
            Action.strategy_step == stage.after,
            Action.created_at >= sa.bindparam(f"not_before_{stage.after}", not_before, type_=UTCDateTime),
        ))
    return sa.and_(*conditions)


def _insert_actions(step: Step, case_id: sa.ColumnElement[int], where: sa.ColumnElement[bool],
                    now: datetime) -> sa.Insert:
    moment = sa.bindparam("now", now, type_=UTCDateTime)
    columns = {
        "case_id": case_id,
        "kind": sa.literal(step.kind.value),
        "channel": sa.literal(step.channel.value),
        "direction": sa.literal("outbound"),
        "status": sa.literal(ActionStatus.SCHEDULED.value),
        "outcome": sa.literal(""),
        "note": sa.literal(""),
        "reason": sa.literal(""),
        "scheduled_at": moment,
        "created_at": moment,
        "strategy_step": sa.literal(step.number),
    }
    select = sa.select(*(value.label(name) for name, value in columns.items())).where(where)
    insert = _dialect_insert(Action.__table__).from_select(list(columns), select).on_conflict_do_nothing()
    return insert.execution_options(preserve_rowcount=True)  # an INSERT's rowcount is kept only if asked


def _advance_cases(stage: Stage, due: sa.ColumnElement[bool], now: datetime) -> sa.Update:
    table = Case.__table__
    values = {
        table.c.strategy_step: stage.last,
        table.c.status: sa.case((table.c.status == CaseStatus.NEW.value, CaseStatus.ACTIVE.value),
                                else_=table.c.status),
    }
    if stage.has_call:
        # Into the queue now, unless a date is already set (a callback, a collector's follow-up).
        values[table.c.next_action_at] = sa.func.coalesce(table.c.next_action_at,
                                                          sa.bindparam("now", now, UTCDateTime))
    return sa.update(table).where(due).values(values)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _dialect_insert(table: sa.Table):
    return (postgresql.insert if _dialect() == "postgresql" else sqlite.insert)(table)


def due_automatic_actions(now: datetime, limit: int) -> list[int]:
    """Return the ids of the automatic strategy actions waiting to be carried out, the oldest first."""
    return db.session.scalars(
        sa.select(Action.id)
        .where(
            Action.status == ActionStatus.SCHEDULED.value,
            Action.strategy_step.is_not(None),
            Action.kind.in_(AUTOMATIC_KINDS),
            Action.scheduled_at <= now,
        )
        .order_by(Action.scheduled_at, Action.id)
        .limit(limit)
    ).all()


def run_step(action: Action, *, now: datetime) -> str:
    """Carry out an automatic strategy action if the case still calls for it; return what happened."""
    step = STEPS.get(action.strategy_step)
    if action.status != ActionStatus.SCHEDULED or step is None or not step.automatic:
        return "skipped"
    case = action.case
    if case.status not in ADVANCING:
        _close(action, ActionStatus.CANCELLED, f"case_{case.status}")
        return "cancelled"
    if (prescribed := prescribed_refusal(case, now.astimezone(_agency_zone()).date())) is not None:
        # A prescribed claim can no longer be demanded, by any channel: the step is skipped with the reason.
        _close(action, ActionStatus.CANCELLED, "claim_prescribed", prescribed)
        return "skipped"
    verdict = may_contact(case, step.channel.value, at=now)
    if not verdict.allowed and verdict.next_allowed_at is not None:
        action.scheduled_at = verdict.next_allowed_at  # too early (night, holiday): due again then
        return "deferred"
    if step.kind == ActionKind.SMS:
        return send_case_sms(case, step.template, actor=None, strategy_step=step.number).status
    if not verdict.allowed:
        _close(action, ActionStatus.BLOCKED, verdict.reason, verdict.detail)
        return "blocked"
    decision = letter_allowed(case, step.template, now.astimezone(_agency_zone()).date())
    if not decision.allowed:
        # Out of order (a first notice already sent, a deadline still running, a promise kept…): the step is
        # skipped, and its action says which rule and why, in the case's history.
        _close(action, ActionStatus.CANCELLED, decision.reason, decision.explanation)
        return "skipped"
    return _send_letter(action, step)


def _send_letter(action: Action, step: Step) -> str:
    """Create the step's letter; its own action (issued, proposed or blocked) replaces the planned one."""
    case = action.case
    try:
        with db.session.begin_nested():
            db.session.delete(action)
            db.session.flush()
            create_letter(case, step.template, actor=None, strategy_step=step.number)
    except LetterRefused as exc:
        _close(action, ActionStatus.BLOCKED, exc.verdict.reason, exc.verdict.detail)
        return "blocked"
    except LetterError as exc:
        # Nothing owed, creditor's address missing…: the step is closed, and the history says why.
        _close(action, ActionStatus.FAILED, "letter_refused", str(exc))
        return "failed"
    return "letter"


def _close(action: Action, status: ActionStatus, reason: str, note: str = "") -> None:
    """End a planned action without carrying it out, saying why."""
    before, after = audit.changes(action, status=status.value, reason=reason[:64], note=note or action.note)
    audit.record(f"action.{action.kind}", actor=None, subject=action.case, before=before, after=after)


def _agency_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=_agency_zone())
