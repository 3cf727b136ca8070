"""Pages of the work queue: the collector's queue and "Next", the managers' board, the case panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime, format_time
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from agency.auth import can, get_scoped_or_404, permission_required
from agency.db import db, utcnow
from agency.models import Client, Team, User
from agency.page_reads import read_once
from cases.models import Case
from cases.queue.forms import AssignForm, ButtonForm, LeaseForm, MemberForm, MoveForm, TeamForm
from cases.queue.leases import (
    Next,
    StaleLease,
    current_lease,
    finish_case,
    held_by_other,
    holder_of,
    lease_next_case,
    release_case,
    renew_lease,
)
from cases.queue.queue import QueueError, explain_score, queue_counts, upcoming
from cases.queue.teams import (
    ANY_POOL,
    NO_POOL,
    assign_case,
    board,
    create_team,
    move_cases,
    parse_references,
    set_teams,
    teams,
    teams_by_id,
    workers,
)
from debtors.labels import CONTACT_REASON

bp = Blueprint("queue", __name__, url_prefix="/queue")
LEASE_ENDPOINTS = {"queue.finish", "queue.release", "queue.renew"}  # they end or renew the lease themselves


@dataclass(frozen=True)
class Panel:
    """What the queue panel of the case screen shows."""

    mine: bool  # the current user holds the case
    holder: User | None  # another collector holding it now
    expires_at: datetime | None
    parts: list[tuple[str, int]] | None  # the score explained: why the case comes up now
    assign: AssignForm | None  # managers only
    buttons: ButtonForm
    callback_late: bool


@read_once(key=lambda case: case.id)
def panel(case: Case) -> Panel:
    """Gather the queue panel of `case` for the current user."""
    now = utcnow()
    mine = case.leased_by_id == current_user.id and case.lease_expires_at is not None and case.lease_expires_at >= now
    manager = can("queue.manage")
    return Panel(
        mine=mine,
        holder=case.leased_by if held_by_other(case, current_user, now) else None,
        expires_at=case.lease_expires_at if case.leased_by_id else None,
        parts=explain_score(case, now) if manager or can("queue.work") else None,
        assign=_assign_form(case) if manager else None,
        buttons=ButtonForm(),
        callback_late=case.callback_at is not None and case.callback_at < now,
    )


@bp.app_context_processor
def _queue_helpers() -> dict:
    return {"queue_panel": panel}


@bp.before_app_request
def _renew_while_working() -> None:
    """Any action a collector takes on a case they hold renews their lease on it.

    Done before the view, in a transaction of its own that holds nothing else yet, so that the
    renewal never commits what the view leaves uncommitted.
    """
    case_id = (request.view_args or {}).get("case_id")
    if (
        request.method == "POST"
        and case_id
        and request.endpoint not in LEASE_ENDPOINTS
        and current_user.is_authenticated
        and can("queue.work")
        and holder_of(case_id) == current_user.id
        and renew_lease(case_id, current_user)
    ):
        db.session.commit()


# --- the collector ------------------------------------------------------------------------------


@bp.get("/")
@permission_required("queue.work")
def index():
    now = utcnow()
    return render_template(
        "cases/queue/index.html",
        counts=queue_counts(current_user, now),
        current=current_lease(current_user, now),
        upcoming=upcoming(current_user, now),
        form=ButtonForm(),
    )


@bp.post("/next")
@permission_required("queue.work")
def next_case():
    _check_button()
    return _take_next()


def _take_next():
    """Lease the next case, or come back to the one in hand ("Next" pressed twice), and show it."""
    found = lease_next_case(current_user)
    db.session.commit()
    if found.case is not None:  # "from": the page puts the cursor on the call's outcome
        return redirect(url_for("cases.show", case_id=found.case.id, **{"from": "queue"}))
    flash(_why_nothing(found), "info")
    return redirect(url_for("queue.index"))


def _why_nothing(found: Next) -> str:
    if not found.refused:
        return _("No case is due in your queue right now.")
    reasons = ", ".join(f"{CONTACT_REASON.get(r, r)} ({n})" for r, n in found.refused.most_common())
    text = _("The cases due now cannot be called at this time: %(reasons)s.", reasons=reasons)
    if found.next_allowed_at:
        text += " " + _("The first may be called from %(when)s.", when=format_datetime(found.next_allowed_at, "short"))
    return text


@bp.post("/cases/<int:case_id>/finish")
@permission_required("queue.work")
def finish(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = _lease_form()
    try:
        finish_case(case, current_user, form.lease.data)
    except QueueError as exc:
        return _refused(case, exc)
    flash(_("Case %(reference)s finished.", reference=case.reference), "success")
    if form.then_next.data == "1":
        return _take_next()  # commits the finish with the new lease
    db.session.commit()
    return redirect(url_for("queue.index"))


@bp.post("/cases/<int:case_id>/release")
@permission_required("queue.work")
def release(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = _lease_form()
    try:
        release_case(case, current_user, form.lease.data)
    except QueueError as exc:
        return _refused(case, exc)
    db.session.commit()
    flash(_("Case %(reference)s is back in the queue.", reference=case.reference), "info")
    return redirect(url_for("queue.index"))


def _refused(case: Case, exc: QueueError):
    """Say why the lease could not end; after a stale form, show the case the collector holds now."""
    db.session.rollback()
    flash(str(exc), "warning" if isinstance(exc, StaleLease) else "danger")
    held = current_lease(current_user, utcnow()) if isinstance(exc, StaleLease) else None
    return redirect(url_for("cases.show", case_id=(held or case).id))


@bp.post("/cases/<int:case_id>/renew")
@permission_required("queue.work")
def renew(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    _check_button()
    expires = renew_lease(case.id, current_user)
    if expires is None:
        return jsonify({"held": False, "text": _("Your hold on this case has ended.")}), 409
    db.session.commit()
    return jsonify({"held": True, "text": _("Yours until %(time)s", time=format_time(expires, "short"))})


def _check_button() -> None:
    if not ButtonForm().validate_on_submit():
        abort(400)


def _lease_form() -> LeaseForm:
    form = LeaseForm()
    if not form.validate_on_submit():
        abort(400)
    return form


# --- the managers -------------------------------------------------------------------------------


@bp.get("/board")
@permission_required("queue.manage")
def board_page():
    return _board()


def _board(move: MoveForm | None = None, team: TeamForm | None = None, member: MemberForm | None = None):
    status = 400 if any(f is not None and f.errors for f in (move, team, member)) else 200
    return render_template(
        "cases/queue/board.html",
        board=board(utcnow()),
        move=move or _move_form(),
        team_form=team or TeamForm(formdata=None),
        member=member or _member_form(),
    ), status


@bp.post("/cases/<int:case_id>/assign")
@permission_required("queue.manage")
def assign(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = _assign_form(case)
    if form.validate_on_submit():
        kind, _sep, target_id = form.target.data.partition(":")  # the choices are "user:<id>" and "team:<id>"
        collector = db.session.get(User, int(target_id)) if kind == "user" else None
        team = db.session.get(Team, int(target_id)) if kind == "team" else None
        try:
            assign_case(case, actor=current_user, collector=collector, team=team)
        except QueueError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Case %(reference)s reassigned.", reference=case.reference), "success")
    else:
        flash(_("Choose a collector or a pool."), "danger")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.post("/move")
@permission_required("queue.manage")
def move():
    form = _move_form()
    if not form.validate_on_submit():
        return _board(move=form)
    try:
        moved = move_cases(
            db.session.get(Team, form.to_team.data) or abort(400),
            actor=current_user,
            client_id=form.client_id.data or None,
            from_pool=form.from_pool.data,
            references=parse_references(form.references.data),
            include_assigned=form.include_assigned.data,
        )
    except QueueError as exc:
        form.references.errors.append(str(exc))
        return _board(move=form)
    db.session.commit()
    flash(_("%(count)d cases moved.", count=moved), "success")
    return redirect(url_for("queue.board_page"))


@bp.post("/teams")
@permission_required("queue.manage")
def new_team():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = create_team(form.name.data, actor=current_user)
        except QueueError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Team %(name)s created.", name=team.name), "success")
            return redirect(url_for("queue.board_page"))
    return _board(team=form)


@bp.post("/teams/members")
@permission_required("queue.manage")
def team_member():
    form = _member_form()
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data) or abort(400)
        try:
            set_teams(user, teams_by_id(form.team_ids.data or []), actor=current_user)
        except QueueError as exc:
            form.user_id.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Teams of %(name)s saved.", name=user.name), "success")
            return redirect(url_for("queue.board_page"))
    return _board(member=form)


def _assign_form(case: Case) -> AssignForm:
    form = AssignForm(formdata=request.form if request.method == "POST" else None)
    form.target.choices = {
        _("Collectors"): [SelectChoice(f"user:{u.id}", u.name) for u in workers()],
        _("Pools"): [SelectChoice(f"team:{t.id}", t.name) for t in teams()],
    }
    if form.target.data is None and (case.assigned_collector_id or case.team_id):
        form.target.data = f"user:{case.assigned_collector_id}" if case.assigned_collector_id else f"team:{case.team_id}"
    return form


def _move_form() -> MoveForm:
    form = MoveForm()
    clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
    form.client_id.choices = [SelectChoice(0, _("All clients"))] + [SelectChoice(c.id, c.name) for c in clients]
    pools = [SelectChoice(str(t.id), t.name) for t in teams()]
    form.from_pool.choices = [SelectChoice(ANY_POOL, _("Any pool")), SelectChoice(NO_POOL, _("No pool")), *pools]
    form.to_team.choices = [SelectChoice(t.id, t.name) for t in teams()]
    return form


def _member_form() -> MemberForm:
    form = MemberForm()
    form.user_id.choices = [SelectChoice(u.id, u.name) for u in workers()]
    form.team_ids.choices = [SelectChoice(t.id, t.name) for t in teams()]
    return form
