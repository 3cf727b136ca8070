"""The monthly activity report of a client: the PDF and the CSV, produced once per client and month.

The figures (reports.monthly_figures) are computed once, stored as JSON with the report, and both the PDF
and the CSV are drawn from that stored copy, so the two documents always carry the same numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale

from agency import audit
from agency.db import db, utcnow
from agency.french import elide
from agency.models import AgencyProfile, Client, User
from agency.money import format_money
from agency.spreadsheet import Amount, csv_text
from cases.letters.documents import LOCALES, render_document
from cases.letters.storage import store_document
from money.models import PaymentChannel
from reports.aged import BUCKETS
from reports.aged_charts import bar_chart
from reports.charts import Series, line_chart
from reports.models import MonthlyReport
from reports.monthly_figures import first_of, monthly_figures

FOLDER = "monthly"


def produce_report(
    client_id: int, month: date, *, actor: User | None = None, figures: dict | None = None
) -> MonthlyReport:
    """Produce and store the client's report for the month, or return the one already produced. Not committed.

    `figures` are the client's, computed beforehand for a batch of clients (reports.monthly_figures).
    """
    month = first_of(month)
    existing = db.session.scalar(
        sa.select(MonthlyReport).where(MonthlyReport.client_id == client_id, MonthlyReport.month == month))
    if existing is not None:
        return existing
    client = db.session.get(Client, client_id)
    if client is None:
        raise ValueError(f"no client {client_id}")
    if figures is None:
        figures = monthly_figures(client, month)
    produced_at = utcnow()
    data = render_report(figures, produced_at)
    stored = store_document(data, f"{FOLDER}/{client_id}", f"rapport-{month:%Y-%m}")
    report = MonthlyReport(client_id=client_id, month=month, produced_at=produced_at, pdf_path=stored.path,
                           pdf_sha256=stored.sha256, csv_text=report_csv(figures), figures=figures)
    db.session.add(report)
    db.session.flush()
    audit.record("reports.monthly_produced", actor=actor, subject=report,
                 after={"client_id": client_id, "month": month.isoformat(), "pdf_path": stored.path,
                        "sha256": stored.sha256, "collected_cents": figures["collected"]["total"]})
    return report


def charts(figures: dict, locale: str = "fr_FR") -> dict:
    """Return the report's SVG charts: the aged balance by bucket and the liquidation curves."""
    from flask_babel import gettext as _

    currency = "EUR"
    aged = bar_chart([(str(b.label), figures["aged"]["buckets"][b.key]["cents"],
                       format_money(figures["aged"]["buckets"][b.key]["cents"], currency, locale=locale), "")
                      for b in BUCKETS], _("Outstanding by days past due"))
    series = [Series(format_date(date.fromisoformat(c["month"]), "MMM y", locale=locale),
                     [None if p is None else Decimal(p) for p in c["points"]]) for c in figures["curves"]]
    curves = line_chart(series, _("Liquidation curves"), _("Months since placement"), _("Share of the amount placed"),
                        width=720, height=300) if series else None
    return {"aged": aged, "curves": curves}


# The PDF lists this many of the month's payments; the CSV lists them all. A large client's month holds
# thousands (10,000 take WeasyPrint 40 s and 200 pages nobody reads); the totals are the same either way.
PDF_PAYMENT_LINES = 300


def render_report(
    figures: dict, produced_at: datetime, language: str = "fr", payment_lines: int = PDF_PAYMENT_LINES
) -> bytes:
    """Render the report's PDF from its figures: agency letterhead, the client, the month's figures and charts."""
    profile = db.session.get(AgencyProfile, 1) or _blank_profile()
    locale = LOCALES[language]
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    client = db.session.get(Client, figures["client"]["id"])

    def month_name(day: date | str) -> str:
        return format_date(_day(day), "LLLL y", locale=locale)

    def month_of(day: date | str) -> str:
        # The subject's month: "d'avril 2026", "de mai 2026" in French (the elided "de"), "May 2026" in English.
        name = month_name(day)
        return elide("de", name) + name if language == "fr" else name

    with force_locale(language):  # the charts' words too
        drawn = charts(figures, locale)
    return render_document(
        "monthly_report", language, profile,
        f=figures, client=client, recipient=client, recipient_name=figures["client"]["name"],
        charts=drawn, buckets=BUCKETS,
        month=date.fromisoformat(figures["month"]), month_end=date.fromisoformat(figures["month_end"]),
        money=lambda cents: format_money(cents, "EUR", locale=locale),
        pct=lambda value: "—" if value is None else format_decimal(Decimal(value), "0.0", locale=locale) + "\u00a0%",
        long_date=lambda day: format_date(_day(day), "long", locale=locale) if day else "",
        short_date=lambda day: format_date(_day(day), "short", locale=locale) if day else "",
        month_name=month_name, month_of=month_of,
        moment=lambda iso: format_datetime(datetime.fromisoformat(iso).astimezone(zone), "d MMMM y HH:mm",
                                           locale=locale) if iso else "",
        issued_on=produced_at.astimezone(zone).date(),
        payment_lines=payment_lines,
    )


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _blank_profile() -> AgencyProfile:
    from money.remittances.documents import _blank_profile as blank

    return blank()


CHANNEL_WORDS = {PaymentChannel.TRUST.value: "compte de l'agence", PaymentChannel.DIRECT.value: "direct au créancier"}


def report_csv(figures: dict) -> str:
    """Return the report as CSV (semicolons, decimal commas): the month's figures, then one row per payment."""
    month = date.fromisoformat(figures["month"])
    recovery = figures["recovery"]
    contacts = figures["contacts"]
    rate = Decimal(recovery["rate"]) if recovery["rate"] is not None else ""
    rows: list[tuple] = [("Rubrique", "Valeur", "Unité")]
    rows += [
        ("Client", figures["client"]["name"], ""),
        ("Mois", f"{month:%m/%Y}", ""),
        ("Dossiers confiés dans le mois", figures["placed"]["cases"], "dossiers"),
        ("Montant confié dans le mois", Amount(figures["placed"]["cents"]), "EUR"),
        ("Encaissé par l'agence dans le mois (net des annulations)", Amount(figures["collected"]["trust"]), "EUR"),
        ("Reçu directement par le créancier dans le mois", Amount(figures["collected"]["direct"]), "EUR"),
        ("Total recouvré dans le mois", Amount(figures["collected"]["total"]), "EUR"),
        (f"Taux de recouvrement des dossiers confiés du {_fr(recovery['from'])} au {_fr(recovery['to'])}", rate, "%"),
        ("Montant confié (base du taux)", Amount(recovery["placed"]), "EUR"),
        ("Montant recouvré (base du taux)", Amount(recovery["collected"]), "EUR"),
        ("Dossiers soldés dans le mois", figures["closed"]["paid"], "dossiers"),
        ("Dossiers clos sans paiement complet dans le mois", figures["closed"]["unpaid"], "dossiers"),
        ("Contestations en cours en fin de mois", figures["disputes"], "dossiers"),
    ]
    rows += [(f"Encours au {_fr(figures['month_end'])}, {str(b.label)}",
              Amount(figures["aged"]["buckets"][b.key]["cents"]), "EUR") for b in BUCKETS]
    rows += [
        (f"Encours au {_fr(figures['month_end'])}, total", Amount(figures["aged"]["total"]["cents"]), "EUR"),
        ("Tentatives de contact dans le mois", contacts["attempts"], "actions"),
        ("Appels dans le mois", contacts["calls"], "appels"),
        ("Appels avec le débiteur joint", contacts["right_party"], "appels"),
        ("Promesses de paiement obtenues dans le mois", contacts["promises"], "promesses"),
        ("Montant promis dans le mois", Amount(contacts["promised_cents"]), "EUR"),
        ("Promesses échues dans le mois", contacts["due"], "promesses"),
        ("Promesses échues dans le mois et tenues", contacts["kept"], "promesses"),
    ]
    for curve in figures["curves"]:
        points = curve["points"]
        last = points[-1] if points else None
        rows.append((f"Courbe de liquidation, dossiers confiés en {date.fromisoformat(curve['month']):%m/%Y}",
                     Decimal(last) if last is not None else "", "% recouvré à fin de mois"))
    rows.append(())
    rows.append(("Dossier", "Débiteur", "Date", "Encaissement", "Mouvement", "Quittance", "Montant"))
    for p in figures["payments"]:
        rows.append((p["case"], p["debtor"], date.fromisoformat(p["date"]), CHANNEL_WORDS[p["channel"]],
                     "annulation" if p["reversal"] else "paiement", p["receipt"], Amount(p["cents"])))
    rows.append(("TOTAL", "", "", "", "", "", Amount(figures["collected"]["total"])))
    # The client's and debtors' names come from placements: the writer keeps them from running as formulas.
    return csv_text(rows)


def _fr(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d/%m/%Y}"
