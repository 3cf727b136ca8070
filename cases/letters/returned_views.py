"""Returned letters: recording one on the case page, and the list of cases that need a new address."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import get_scoped_or_404, permission_required
from agency.db import db
from cases.letters.forms import ReturnedLetterForm
from cases.letters.returned import PAGE_SIZE, ReturnedError, cases_to_find, record_returned
from cases.models import Letter

bp = Blueprint("returned_mail", __name__)


@bp.app_context_processor
def returned_helpers() -> dict:
    return {"returned_letter_form": lambda: ReturnedLetterForm(formdata=None)}


@bp.post("/letters/<int:letter_id>/returned")
@permission_required("letters.create")
def record(letter_id: int):
    letter = get_scoped_or_404(Letter, letter_id)
    form = ReturnedLetterForm()
    if not form.validate_on_submit():
        flash(_("Give the day the letter came back."), "danger")
    else:
        try:
            record_returned(letter, returned_on=form.returned_on.data, actor=current_user)
        except ReturnedError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Letter %(reference)s recorded as returned: its address will not be used again. Find a new "
                    "address for the debtor.", reference=letter.reference), "warning")
    return redirect(url_for("cases.show", case_id=letter.case_id, _anchor="letters"))


def _cursor(text: str) -> tuple[date, int] | None:
    """Read the `before` cursor "<YYYY-MM-DD>.<case id>"; anything else starts from the top."""
    day, _dot, case_id = text.partition(".")
    try:
        return date.fromisoformat(day), int(case_id)
    except ValueError:
        return None


@bp.get("/addresses/to-find")
@permission_required("addresses.find")
def to_find():
    before = _cursor(request.args.get("before", ""))
    rows = cases_to_find(before=before, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_cursor = f"{rows[-1].returned_on.isoformat()}.{rows[-1].case_id}" if more else None
    return render_template("cases/letters/to_find.html", rows=rows, next_cursor=next_cursor, paged=before is not None)
