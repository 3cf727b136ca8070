"""A placement's report as text (the shell) and as data (the API): figures, rejections, re-placed invoices."""

from __future__ import annotations

from flask_babel import gettext as _

from agency.money import format_money
from cases.placement.models import Placement


def report_data(placement: Placement, references: list[str] | None = None, *, staff: bool = True) -> dict:
    """Return the placement's figures and report as JSON-ready data.

    Clients (`staff=False`) are not told whether the agency already knew a debtor: that would reveal
    that another client pursues it.
    """
    report = placement.report or {}
    data = {
        "placement_id": placement.id,
        "status": placement.status,
        "rows_total": placement.rows_total,
        "rows_valid": placement.rows_valid,
        "rows_rejected": placement.rows_rejected,
        "rows_already_placed": placement.rows_already_placed,
        "cases_to_create": placement.cases_to_create,
        "cases_to_update": placement.cases_to_update,
        "debtors_to_create": placement.debtors_to_create,
        "debtors_matched": placement.debtors_matched,
        "total_cents": placement.total_cents,
        "rejections": report.get("rejections", []),
        "already_placed": report.get("already_placed", []),
        "case_references": references or [],
    }
    if not staff:
        del data["debtors_to_create"], data["debtors_matched"]
    return data


def report_text(placement: Placement, limit: int = 50) -> str:
    """Return the report as lines for a terminal."""
    data = report_data(placement)
    figures = [
        (_("Rows in the file"), data["rows_total"]),
        (_("Valid rows"), data["rows_valid"]),
        (_("Rejected rows"), data["rows_rejected"]),
        (_("Already placed"), data["rows_already_placed"]),
        (_("Cases to open"), data["cases_to_create"]),
        (_("Cases receiving invoices"), data["cases_to_update"]),
        (_("New debtors"), data["debtors_to_create"]),
        (_("Known debtors"), data["debtors_matched"]),
        (_("Amount"), format_money(data["total_cents"])),
    ]
    # "Label: value" lines read right in every language, whatever the number (no plural to get wrong).
    lines = [f"{label} : {value}" for label, value in figures]
    for r in data["rejections"][:limit]:
        lines.append(
            _("line %(line)d, %(column)s: %(reason)s", line=r["line"], column=r["column"], reason=r["reason"])
        )
    if len(data["rejections"]) > limit:
        lines.append(_("Rejected rows not listed here: %(more)d", more=len(data["rejections"]) - limit))
    for a in data["already_placed"][:limit]:
        note = (
            _(" (amount differs: %(placed)s before)", placed=format_money(a["placed_amount_cents"]))
            if a["amount_differs"]
            else ""
        )
        lines.append(
            _(
                "line %(line)d: invoice %(number)s already placed in case %(case)s",
                line=a["line"],
                number=a["invoice_number"],
                case=a["case_reference"],
            )
            + note
        )
    return "\n".join(lines)
