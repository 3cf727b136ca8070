"""Notes and tasks: written from the case page (and the debtor's page), "My tasks" beside the queue."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required
from agency.clock import today
from agency.db import db
from agency.flashes import flash_form_errors
from cases import extensions
from cases.models import Case
from cases.models.notes import TaskStatus
from cases.notes import NoteError
from cases.notes.forms import CloseTaskForm, HideNoteForm, NoteForm, TaskForm
from cases.notes.notes import (
    add_case_note,
    add_debtor_note,
    get_note_or_404,
    hide_note,
    notes_of_case,
    notes_of_debtor,
)
from cases.notes.tasks import (
    all_open_tasks,
    assignee_choices,
    close_task,
    create_task,
    get_task_or_404,
    is_overdue,
    my_due_count,
    my_tasks,
    parse_assignee,
    tasks_of_case,
    tasks_of_debtor,
    title_of,
)
from cases.views import render_case
from debtors.models import Debtor

bp = Blueprint("notes", __name__)

extensions.add_panel("main", "cases/notes/_tasks_panel.html", order=5)  # first under the claims
extensions.add_panel("main", "cases/notes/_notes_panel.html", order=6)


def _task_form() -> TaskForm:
    form = g.get("task_form") or TaskForm(formdata=None, assignee=f"user:{current_user.id}")
    form.assignee.choices = assignee_choices()
    return form


@bp.app_context_processor
def note_helpers() -> dict:
    return {"case_notes": lambda case: notes_of_case(case, current_user),
            "debtor_notes": lambda debtor: notes_of_debtor(debtor, current_user),
            "case_tasks": tasks_of_case, "debtor_tasks": tasks_of_debtor, "task_overdue": is_overdue,
            "task_title": title_of,
            "note_form": lambda: g.get("note_form") or NoteForm(formdata=None), "hide_note_form": HideNoteForm,
            "task_form": _task_form, "close_task_form": CloseTaskForm,
            "my_due_tasks": lambda: my_due_count(current_user),
            "debtor_panels": lambda: ["cases/notes/_debtor_panel.html"]}


@bp.post("/cases/<int:case_id>/notes")
@permission_required("notes.add")
def add_note(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            add_case_note(case, form.body.data, visible_to_client=form.visible_to_client.data, actor=current_user)
        except NoteError as exc:
            form.body.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Note added.") if not form.visible_to_client.data else _("Note added; the client sees it."),
                  "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="notes"))
    g.note_form = form  # the page comes back with what was typed and the message at its field
    return render_case(case, status=400)


def _apply(form, field, operation, done: str) -> None:
    """Run `operation` once `form` is valid and commit; flash a refusal with the label of `field` it concerns."""
    if not form.validate_on_submit():
        flash_form_errors(form)
        return
    try:
        operation()
    except NoteError as exc:
        flash(f"{field.label.text} : {exc}", "danger")
    else:
        db.session.commit()
        flash(done, "success")


@bp.post("/debtors/<int:debtor_id>/notes")
@permission_required("notes.add")
def add_debtor_note_view(debtor_id: int):
    debtor = db.get_or_404(Debtor, debtor_id)  # debtors are shared by all clients; only staff reach here
    form = NoteForm()
    _apply(form, form.body, lambda: add_debtor_note(debtor, form.body.data, actor=current_user),
           _("Note added; it is read on each of the debtor's cases."))
    return redirect(url_for("debtors.show", debtor_id=debtor.id, _anchor="notes"))


@bp.post("/notes/<int:note_id>/hide")
@permission_required("notes.hide")
def hide(note_id: int):
    note = get_note_or_404(note_id, current_user)
    form = HideNoteForm()
    _apply(form, form.reason, lambda: hide_note(note, form.reason.data, actor=current_user),
           _("The note is hidden; it is kept with the reason."))
    if note.case_id:
        return redirect(url_for("cases.show", case_id=note.case_id, _anchor="notes"))
    return redirect(url_for("debtors.show", debtor_id=note.debtor_id, _anchor="notes"))


@bp.post("/cases/<int:case_id>/tasks")
@permission_required("tasks.work")
def add_task(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = TaskForm()
    form.assignee.choices = assignee_choices()
    if form.validate_on_submit():
        assignee, team = parse_assignee(form.assignee.data)
        try:
            create_task(case, title=form.title.data, detail=form.detail.data, due_on=form.due_on.data,
                        assignee=assignee, team=team, about_debtor=form.about_debtor.data, actor=current_user)
        except NoteError as exc:
            form[exc.field or "title"].errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Task added."), "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="tasks"))
    g.task_form = form
    return render_case(case, status=400)


@bp.get("/tasks")
@permission_required("tasks.work")
def index():
    show_all = can("tasks.all") and request.args.get("view") == "all"
    assignee = request.args.get("assignee", "")[:40]
    tasks = all_open_tasks(assignee) if show_all else my_tasks(current_user)
    return render_template("cases/notes/tasks.html", tasks=tasks, show_all=show_all, assignee=assignee,
                           choices=assignee_choices() if show_all else [], today=today())


@bp.post("/tasks/<int:task_id>/<any(done, cancel):change>")
@permission_required("tasks.work")
def close(task_id: int, change: str):
    task = get_task_or_404(task_id, current_user)
    form = CloseTaskForm()
    if form.validate_on_submit():
        try:
            close_task(task, TaskStatus.DONE if change == "done" else TaskStatus.CANCELLED, actor=current_user)
        except NoteError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(_("“%(title)s” is done.", title=title_of(task)) if change == "done"
                  else _("“%(title)s” is cancelled.", title=title_of(task)), "success")
    if form.back.data in ("mine", "all"):
        return redirect(url_for("notes.index", **({"view": "all"} if form.back.data == "all" else {})))
    return redirect(url_for("cases.show", case_id=task.case_id, _anchor="tasks"))
