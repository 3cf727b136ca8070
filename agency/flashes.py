"""Flashing a form's errors, each named by its field's label, the same way on every page."""

from __future__ import annotations

from flask import flash


def flash_form_errors(form) -> None:
    """Flash each error of `form` as "Label : error" (the field's name when it has no label)."""
    for name, errors in form.errors.items():
        field = getattr(form, name, None)
        label = field.label.text if field is not None and hasattr(field, "label") else name
        for error in errors:
            flash(f"{label} : {error}", "danger")
