"""The case list's action bar: its form with the choices of today (collectors, pools, holds, letters, SMS)."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from wtforms import SelectChoice

from agency.auth import can
from cases.batches.actions import ACTIONS, BULK_HOLD_KINDS, EACH_CASE
from cases.batches.forms import BatchForm
from cases.letters import labels as letter_labels
from cases.messaging.templates import template_label, template_names
from cases.models import LetterKind
from cases.notes.tasks import assignee_choices
from cases.queue.teams import teams, workers
from debtors.labels import HOLD


def action_bar() -> BatchForm:
    """Return the action bar's form (the posted one on a POST), offering the actions the user may take."""
    form = BatchForm(formdata=request.form if request.method == "POST" else None)
    form.action.choices = [SelectChoice(a.name, str(a.label)) for a in ACTIONS.values() if can(a.permission)]
    form.target.choices = {
        _("Collectors"): [SelectChoice(f"user:{u.id}", u.name) for u in workers()],
        _("Pools"): [SelectChoice(f"team:{t.id}", t.name) for t in teams()],
    }
    form.hold_kind.choices = [SelectChoice(k.value, str(HOLD[k.value])) for k in BULK_HOLD_KINDS]
    form.letter_kind.choices = [SelectChoice(k.value, str(letter_labels.KIND[k.value])) for k in LetterKind]
    form.sms_template.choices = [SelectChoice(name, template_label(name)) for name in template_names("sms")]
    form.task_assignee.choices = [SelectChoice(EACH_CASE, _("Each case's collector (else its team)")),
                                  *(SelectChoice(value, label) for value, label in assignee_choices())]
    return form


def fields_of(action_name: str) -> tuple[str, ...]:
    """The action bar's fields an action reads (the bar shows only those of the action chosen)."""
    return ACTIONS[action_name].fields
