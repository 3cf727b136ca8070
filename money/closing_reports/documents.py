"""A closing report as documents for the client: its PDF, and its line in the CSV of a period's closed cases.

Both are read from the figures kept on the report row, so the CSV line says what the PDF printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from babel.dates import format_date
from flask_babel import force_locale

from agency.models import AgencyProfile
from agency.money import format_money
from agency.spreadsheet import Amount, csv_text
from cases import labels as case_labels
from cases.closing.labels import REASON
from cases.judicial import labels as judicial_labels
from cases.letters import labels as letter_labels
from cases.letters.documents import LOCALES, render_document
from money.models import ClosingReport
from money.plans import labels as plan_labels


def reason_label(figures: dict) -> str:
    """The reason's words: translated when built in, else the agency's own label kept with the figures."""
    closing = figures["closing"]
    return str(REASON.get(closing["reason"], closing["label"]))


def render_report(report: ClosingReport, profile: AgencyProfile) -> bytes:
    """Render the report's PDF from its figures, in the client's language."""
    locale = LOCALES[report.language]
    client = report.case.client
    figures = report.figures
    return render_document(
        "closing_report", report.language, profile,
        report=report, f=figures, client=client, recipient=client, recipient_name=client.name,
        reason=lambda: reason_label(figures),
        labels={"action": case_labels.ACTION, "outcome": case_labels.OUTCOME, "promise": case_labels.PROMISE,
                "letter": letter_labels.KIND, "plan": plan_labels.STATUS, "route": judicial_labels.ROUTE,
                "stage": judicial_labels.STAGE, "step": judicial_labels.STEP, "kind": case_labels.KIND},
        money=lambda cents: format_money(cents, report.currency, locale=locale),
        long_date=lambda day: format_date(_day(day), "long", locale=locale) if day else "",
        short_date=lambda day: format_date(_day(day), "short", locale=locale) if day else "",
        issued_on=report.produced_at.date(),
    )


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


CSV_HEADER = (
    "Rapport", "Dossier", "Référence client", "Débiteur", "Ouvert le", "Clos le", "Motif",
    "Principal", "Intérêts", "Indemnité", "Frais", "Total dû", "Encaissé", "dont reçu directement",
    "Commission HT", "TVA", "Net pour le client", "Reversé", "Reste à reverser", "Avoirs", "Abandonné", "Reste dû",
    "Appels", "SMS", "E-mails", "Courriers", "Promesses", "Plans", "Étapes judiciaires",
)


def report_row(report: ClosingReport) -> tuple:
    """One closed case as a CSV line: Total dû = Encaissé + Avoirs + Abandonné + Reste dû."""
    f = report.figures
    owed, money, counts = f["owed"]["closing"], f["money"], f["contacts"]["counts"]
    with force_locale(report.language):
        reason = reason_label(f)
    return (
        report.reference, f["case"]["reference"], f["case"]["client_reference"], f["case"]["debtor"],
        date.fromisoformat(f["case"]["opened_on"]), report.closed_on, reason,
        Amount(owed["principal"]), Amount(owed["interest"]), Amount(owed["indemnity"]), Amount(owed["cost"]),
        Amount(f["owed_total_cents"]), Amount(money["collected_cents"]), Amount(money["direct_cents"]),
        Amount(money["commission_cents"]), Amount(money["vat_cents"]), Amount(money["net_cents"]),
        Amount(money["remitted_cents"]), Amount(money["to_remit_cents"]), Amount(f["credit_notes_cents"]),
        Amount(f["written_off_cents"]), Amount(f["remaining_cents"]),
        counts["call"], counts["sms"], counts["email"], len(f["letters"]), len(f["promises"]), len(f["plans"]),
        sum(len(p["steps"]) for p in f["judicial"]),
    )


def reports_csv(reports: Iterable[ClosingReport]) -> str:
    """Return the closed cases as CSV, one line per report (the debtor names come from placements: the
    writer keeps them from running as formulas)."""
    return csv_text([CSV_HEADER, *(report_row(report) for report in reports)])
