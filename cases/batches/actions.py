"""The actions a batch can take on a selection of cases: data, one entry and one function each.

Each action reads and checks its own choices when the batch is asked (`check`, raising `BatchError` at the
form's field), then acts on a chunk of case ids in the job (`run`), returning what became of each case. A case
that cannot take the action is skipped with the reason the rule gives, and nothing is left half-done on it:
the per-case actions run each case in a savepoint, the set-based ones write all of a chunk or none of it.

Letters and SMS go through the very operations a single send uses (`create_letter`, `send_case_sms`), so the
order of letters, the contact rules, consent, opt-outs and quiet hours decide for each case as they do for one;
a refusal those operations record (a blocked contact) stays in the case's history, as after a single send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from agency.bulk import select_in
from agency.clock import today
from agency.db import db
from agency.models import Team, User
from cases import ledger
from cases.batches.export import store_export
from cases.letters import labels as letter_labels
from cases.letters.letters import LetterError, LetterOutOfOrder, LetterRefused, create_letter
from cases.messaging.sms import send_case_sms
from cases.messaging.templates import MessageError, template_label, template_names
from cases.models import ActionStatus, Case, CaseStatus, ItemOutcome, LetterKind, LetterStatus
from cases.models.notes import TASK_TITLE_MAX_CHARS
from cases.notes import NoteError
from cases.notes.tasks import create_task, parse_assignee
from debtors.holds import HoldError, put_many_on_hold
from debtors.labels import HOLD
from debtors.models import HoldKind

log = logging.getLogger(__name__)

# An insolvency hold carries the dates of its own judgment and publication (interest stops from the first): it is
# put on one debtor at a time, from the debtor's page or the BODACC watch.
BULK_HOLD_KINDS = (HoldKind.OVER_INDEBTEDNESS, HoldKind.DECEASED, HoldKind.CEASE_COMMUNICATION)


class BatchError(ValueError):
    """A batch refused when asked, with the form field it concerns."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Outcome:
    """What became of one case: done, or skipped / failed with a reason code and the rule's own words."""

    outcome: str
    reason: str = ""
    detail: str = ""
    event: str = ""  # the audit event's name, when the action has one of its own (as a single change writes)
    before: dict | None = None
    after: dict = field(default_factory=dict)
    keep: bool = True  # per-case actions: keep what the operation wrote (a blocked contact recorded) when skipped

    @classmethod
    def skipped(cls, reason: str, detail: str, keep: bool = False) -> Outcome:
        return cls(ItemOutcome.SKIPPED.value, reason, detail, keep=keep)


Run = Callable[[list[int], dict, User | None], dict[int, Outcome]]


@dataclass(frozen=True)
class BatchAction:
    name: str
    label: object  # a lazy string
    permission: str  # the permission the same action on one case needs (agency.auth), checked too
    check: Callable[[dict], dict]  # the form's raw values -> the action's params, or BatchError
    run: Run
    describe: Callable[[dict], str]
    fields: tuple[str, ...] = ()  # the form fields the action bar shows for it
    chunk: int = 2_000  # cases per transaction of the job
    finish: Callable[[Any], None] | None = None  # run once every case is processed (the export writes its file)


# --- per-case actions: each case in its own savepoint ---------------------------------------------------------


def per_case(ids: list[int], act: Callable[[Case], Outcome]) -> dict[int, Outcome]:
    """Run `act` on each case in a savepoint: kept when done (or when a refusal was recorded), else undone."""
    outcomes: dict[int, Outcome] = {}
    for case in list(db.session.scalars(sa.select(Case).where(Case.id.in_(ids)).order_by(Case.id))):
        case_id = case.id
        savepoint = db.session.begin_nested()
        try:
            outcome = act(case)
        except Exception:  # one case's error must not stop the others: it is listed, and logged with its trace
            log.exception("batch action failed on case %s", case_id)
            if savepoint.is_active:
                savepoint.rollback()
            outcomes[case_id] = Outcome(ItemOutcome.FAILED.value, "error",
                                        _("An error stopped the action on this case; nothing was changed."))
            continue
        # In embedded mode a job the operation enqueues (an SMS's delivery) runs inline and commits, savepoint and all.
        if savepoint.is_active and outcome.keep:
            savepoint.commit()
        elif savepoint.is_active:
            savepoint.rollback()
        outcomes[case_id] = outcome
    return outcomes


def _closed(case_status: str) -> Outcome | None:
    if CaseStatus(case_status).is_open:
        return None
    return Outcome.skipped("closed", _("The case is closed."))


# --- reassign: set-based ------------------------------------------------------------------------------------


def check_reassign(raw: dict) -> dict:
    kind, _sep, target_id = (raw.get("target") or "").partition(":")
    if kind not in ("user", "team") or not target_id.isdigit():
        raise BatchError(_("Choose a collector or a pool."), "target")
    if kind == "user":
        user = db.session.get(User, int(target_id))
        if user is None or not user.is_staff or not user.active:
            raise BatchError(_("Choose a collector or a pool."), "target")
    elif db.session.get(Team, int(target_id)) is None:
        raise BatchError(_("Choose a collector or a pool."), "target")
    return {"target": f"{kind}:{target_id}"}


def describe_reassign(params: dict) -> str:
    kind, _sep, target_id = params["target"].partition(":")
    row = db.session.get(User if kind == "user" else Team, int(target_id))
    name = row.name if row is not None else "?"
    return _("to %(name)s", name=name) if kind == "user" else _("to the pool of %(name)s", name=name)


def reassign(ids: list[int], params: dict, actor: User | None) -> dict[int, Outcome]:
    """Put the cases in a collector's queue or a pool, as `cases.queue.teams.assign_case` does one, set-based."""
    kind, _sep, target_id = params["target"].partition(":")
    collector = db.session.get(User, int(target_id)) if kind == "user" else None
    team = db.session.get(Team, int(target_id)) if kind == "team" else None
    rows = list(select_in(sa.select(Case.id, Case.status, Case.team_id, Case.assigned_collector_id), Case.id, ids,
                          sa.Integer))
    if (collector is None and team is None) or (collector is not None and not (collector.is_staff and collector.active)):
        gone = Outcome.skipped("target_gone", _("The collector or the pool chosen no longer takes cases."))
        return {row.id: gone for row in rows}
    theirs = [t.id for t in collector.teams] if collector is not None else []

    def new_place(row) -> tuple[int | None, int | None]:
        if collector is None:
            return None, team.id
        # The case keeps its pool when it is one of the collector's (or they have none), else takes their first.
        return collector.id, row.team_id if row.team_id in theirs or not theirs else theirs[0]

    outcomes: dict[int, Outcome] = {}
    groups: dict[tuple[int | None, int | None], list[int]] = {}
    for row in rows:
        place = new_place(row)
        if (skipped := _closed(row.status)) is not None:
            outcomes[row.id] = skipped
        elif place == (row.assigned_collector_id, row.team_id):
            outcomes[row.id] = Outcome.skipped("unchanged", _("The case is already there."))
        else:
            groups.setdefault(place, []).append(row.id)
            before = {"assigned_collector_id": row.assigned_collector_id, "team_id": row.team_id}
            after = {"assigned_collector_id": place[0], "team_id": place[1]}
            outcomes[row.id] = Outcome(ItemOutcome.DONE.value, event="case.reassigned", before=before, after=after)
    for (collector_id, team_id), group in groups.items():
        db.session.execute(sa.update(Case).where(Case.id.in_(group))
                           .values(assigned_collector_id=collector_id, team_id=team_id)
                           .execution_options(synchronize_session=False))
    return outcomes


# --- hold: set-based ----------------------------------------------------------------------------------------


def check_hold(raw: dict) -> dict:
    kind, reason = raw.get("hold_kind") or "", (raw.get("hold_reason") or "").strip()
    if kind not in BULK_HOLD_KINDS:
        raise BatchError(_("Choose the kind of hold."), "hold_kind")
    if not reason:
        raise BatchError(_("Say why these cases are put on hold."), "hold_reason")
    return {"kind": kind, "reason": reason[:2000]}


def describe_hold(params: dict) -> str:
    return f"{HOLD[params['kind']]} · {params['reason']}"


def hold(ids: list[int], params: dict, actor: User | None) -> dict[int, Outcome]:
    """Put the cases' debtors on hold (`debtors.holds.put_many_on_hold`): every contact with them stops."""
    rows = list(select_in(sa.select(Case.id, Case.status, Case.debtor_id), Case.id, ids, sa.Integer))
    open_rows = [row for row in rows if CaseStatus(row.status).is_open]
    try:
        holds = put_many_on_hold([row.debtor_id for row in open_rows], params["kind"], actor=actor,
                                 reason=params["reason"])
    except HoldError as exc:
        return {row.id: Outcome.skipped("hold_refused", str(exc)) for row in rows}
    outcomes: dict[int, Outcome] = {}
    for row in rows:
        if (skipped := _closed(row.status)) is not None:
            outcomes[row.id] = skipped
        elif row.debtor_id in holds:
            outcomes[row.id] = Outcome(ItemOutcome.DONE.value, event="case.put_on_hold", after={
                "hold_id": holds[row.debtor_id], "debtor_id": row.debtor_id, "kind": params["kind"]})
        else:
            outcomes[row.id] = Outcome.skipped("already_held", _("The debtor is already on hold for this reason."))
    return outcomes


# --- letters and SMS: the single send's operations, case by case --------------------------------------------


def check_letter(raw: dict) -> dict:
    kind = raw.get("letter_kind") or ""
    if kind not in {k.value for k in LetterKind}:
        raise BatchError(_("Choose the letter to send."), "letter_kind")
    return {"kind": kind}


def describe_letter(params: dict) -> str:
    return str(letter_labels.KIND[params["kind"]])


def letter(ids: list[int], params: dict, actor: User | None) -> dict[int, Outcome]:
    """Issue the letter on each case (a formal notice is proposed for a manager's approval), in the letters' order."""

    def act(case: Case) -> Outcome:
        try:
            issued = create_letter(case, params["kind"], actor=actor)
        except LetterRefused as exc:  # the contact rules refused: the blocked attempt stays in the history
            return Outcome.skipped("contact_rules", str(exc), keep=True)
        except LetterOutOfOrder as exc:  # no reason can be given for a whole selection: the order binds
            return Outcome.skipped("letter_order", str(exc))
        except LetterError as exc:
            return Outcome.skipped("letter_refused", str(exc))
        pending = issued.status == LetterStatus.PENDING_APPROVAL.value
        detail = _("%(reference)s awaits a manager's approval", reference=issued.reference) if pending \
            else issued.reference
        return Outcome(ItemOutcome.DONE.value, detail=detail,
                       after={"letter_id": issued.id, "reference": issued.reference, "status": issued.status})

    return per_case(ids, act)


def check_sms(raw: dict) -> dict:
    template = raw.get("sms_template") or ""
    if template not in template_names("sms"):
        raise BatchError(_("Choose the SMS to send."), "sms_template")
    return {"template": template}


def describe_sms(params: dict) -> str:
    return template_label(params["template"])


def sms(ids: list[int], params: dict, actor: User | None) -> dict[int, Outcome]:
    """Send the SMS template on each case still owing, if the contact rules allow it now."""

    def act(case: Case) -> Outcome:
        if (skipped := _closed(case.status)) is not None:
            return skipped
        if ledger.balance(case.id).outstanding <= 0:
            return Outcome.skipped("nothing_owed", _("Nothing is owed on this case."))
        try:
            action = send_case_sms(case, params["template"], actor=actor)
        except MessageError as exc:
            return Outcome.skipped("template", str(exc))
        db.session.flush()
        if action.status == ActionStatus.BLOCKED:  # kept: a refused contact is on record, as after a single send
            return Outcome.skipped("contact_rules", action.note or action.reason, keep=True)
        if action.status == ActionStatus.FAILED:
            return Outcome(ItemOutcome.FAILED.value, "send_failed", _("The SMS could not be sent."),
                           after={"action_id": action.id})
        return Outcome(ItemOutcome.DONE.value, after={"action_id": action.id, "sms_message_id": action.sms_message_id})

    return per_case(ids, act)


# --- tasks: the tasks' own operation, case by case ----------------------------------------------------------

EACH_CASE = "case"  # the task goes to each case's collector, else to its team


def check_task(raw: dict) -> dict:
    title, due_on, assignee = " ".join((raw.get("task_title") or "").split()), raw.get("task_due_on"), \
        raw.get("task_assignee") or ""
    if not title:
        raise BatchError(_("Give the task a title."), "task_title")
    if len(title) > TASK_TITLE_MAX_CHARS:
        raise BatchError(_("A title holds at most %(count)d characters.", count=TASK_TITLE_MAX_CHARS), "task_title")
    if due_on is None:
        raise BatchError(_("Give the date the task is due."), "task_due_on")
    if due_on < today():
        raise BatchError(_("The due date cannot be in the past."), "task_due_on")
    if assignee != EACH_CASE:
        person, team = parse_assignee(assignee)
        if (person is None and team is None) or (person is not None and not (person.active and person.is_staff)):
            raise BatchError(_("Choose who does the task: a person or a team."), "task_assignee")
    return {"title": title, "due_on": due_on.isoformat(), "assignee": assignee}


def describe_task(params: dict) -> str:
    return f"« {params['title']} » · {format_date(date.fromisoformat(params['due_on']))}"


def add_task(ids: list[int], params: dict, actor: User | None) -> dict[int, Outcome]:
    """Set the task on each open case (`cases.notes.tasks.create_task`), for one person or team or each case's own."""

    def act(case: Case) -> Outcome:
        if (skipped := _closed(case.status)) is not None:
            return skipped
        if params["assignee"] == EACH_CASE:
            person = case.assigned_collector if case.assigned_collector and case.assigned_collector.active else None
            team = None if person else case.team
        else:
            person, team = parse_assignee(params["assignee"])
        if person is None and team is None:
            return Outcome.skipped("no_assignee", _("The case has neither a collector nor a team to give it to."))
        try:
            task = create_task(case, title=params["title"], detail="", due_on=date.fromisoformat(params["due_on"]),
                               actor=actor, assignee=person, team=team)
        except NoteError as exc:
            return Outcome.skipped("task_refused", str(exc))
        return Outcome(ItemOutcome.DONE.value, after={"task_id": task.id, "assignee_id": task.assignee_id,
                                                      "team_id": task.team_id})

    return per_case(ids, act)


# --- export: the job marks the cases; the file is read from them when downloaded ----------------------------


def export(ids: list[int], params: dict, actor: User | None) -> dict[int, Outcome]:
    """Mark each case as exported (its audit event names who took its data); the CSV is written from them at the end."""
    return {case_id: Outcome(ItemOutcome.DONE.value, event="case.exported") for case_id in ids}


ACTIONS: dict[str, BatchAction] = {
    action.name: action
    for action in (
        BatchAction("reassign", _l("Reassign"), "queue.manage", check_reassign, reassign, describe_reassign,
                    fields=("target",)),
        BatchAction("hold", _l("Put on hold"), "holds.manage", check_hold, hold, describe_hold,
                    fields=("hold_kind", "hold_reason")),
        BatchAction("letter", _l("Send a letter"), "letters.create", check_letter, letter, describe_letter,
                    fields=("letter_kind",), chunk=25),
        BatchAction("sms", _l("Send an SMS"), "actions.record", check_sms, sms, describe_sms,
                    fields=("sms_template",), chunk=50),
        BatchAction("export", _l("Export (CSV)"), "cases.bulk", lambda raw: {}, export, lambda params: "",
                    finish=store_export),
        BatchAction("task", _l("Add a task"), "tasks.work", check_task, add_task, describe_task,
                    fields=("task_title", "task_due_on", "task_assignee"), chunk=200),
        # A new action is one entry here and one function like those above (its fields added to
        # `cases.batches.forms.BatchForm` and `templates/cases/batches/_bar.html`, their choices in `bar.py`).
    )
}
