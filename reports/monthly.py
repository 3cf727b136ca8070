"""The monthly activity report of one client: its figures, the PDF and the CSV, produced once per month.

The figures are computed once, stored as JSON with the report, and both the PDF and the CSV are drawn from
that stored copy, so the two documents always carry the same numbers. Figures that the dashboard shows
(cases placed, recovery rate, liquidation curves) come from reports.dashboard, and the aged balance from
reports.aged, so that the report, the screen and the exports agree. The month's movements (money collected,
cases closed, contacts, promises) are flows of the month read from the ledger and the action history.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import current_app

from agency import audit
from agency.db import db, sum_cents, utcnow
from agency.models import AgencyProfile, Client, Mandate, User
from agency.money import format_money
from agency.pdf import render_pdf
from agency.spreadsheet import french_number, text_cell
from cases.letters.documents import ASSETS_DIR, LOCALES, _registration
from cases.letters.storage import store_document
from cases.models import (
    Action,
    ActionKind,
    Case,
    CaseStatus,
    LedgerEntry,
    Payment,
    PaymentChannel,
    Promise,
    PromiseStatus,
)
from debtors.models import Debtor, Hold, HoldKind
from reports.aged import BUCKETS, aged_balance
from reports.aged_charts import bar_chart
from reports.charts import Series, line_chart
from reports.dashboard import dashboard
from reports.figures import CONVERSATIONS, collected_clause, done_contacts, entry_kind
from reports.filters import Filters
from reports.models import MonthlyReport

FOLDER = "monthly"
# The liquidation curves cover the placement months of the last year, the report's month included.
CURVE_MONTHS = 12


def first_of(day: date) -> date:
    """Return the first day of the month of `day`."""
    return day.replace(day=1)


def month_end(month: date) -> date:
    """Return the last day of the month starting on `month`."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def previous_month(day: date) -> date:
    """Return the first day of the month before the one of `day`."""
    return first_of(first_of(day) - timedelta(days=1))


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _utc_bounds(month: date) -> tuple[datetime, datetime]:
    """Return the month's start and the next month's start, in agency time, as aware datetimes."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    start = datetime.combine(month, time(0), zone)
    end = datetime.combine(month_end(month) + timedelta(days=1), time(0), zone)
    return start, end


def _percent(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def monthly_figures(client: Client, month: date) -> dict:
    """Return every figure of the client's report for the month starting on `month`, as plain JSON values."""
    last = month_end(month)
    placed = dashboard(Filters(month, last, client_id=client.id), last)
    year = dashboard(Filters(date(month.year, 1, 1), last, client_id=client.id), last)
    curves = dashboard(Filters(_months_back(month, CURVE_MONTHS - 1), last, client_id=client.id), last).curves
    aged = aged_balance(last, client.id)
    row = aged.rows[0] if aged.rows else None
    payments = month_payments(client.id, month)
    trust = sum(p["cents"] for p in payments if p["channel"] == PaymentChannel.TRUST.value)
    direct = sum(p["cents"] for p in payments if p["channel"] == PaymentChannel.DIRECT.value)
    return {
        "client": {"id": client.id, "name": client.name, "code": client.code},
        "month": month.isoformat(),
        "month_end": last.isoformat(),
        "placed": {"cases": placed.counts.opened, "cents": placed.money.placed},
        "collected": {"trust": trust, "direct": direct, "total": trust + direct},
        "recovery": {
            "from": date(month.year, 1, 1).isoformat(), "to": last.isoformat(),
            "placed": year.money.placed, "collected": year.money.collected,
            "rate": _percent(year.money.recovery_rate),
            "refreshed_at": year.refreshed.refreshed_at.isoformat() if year.refreshed else None,
        },
        "closed": _closed(client.id, month),
        "disputes": _open_disputes(client.id, month),
        "aged": {
            "buckets": {b.key: {"cents": row.cells[b.key].cents if row else 0,
                                "cases": row.cells[b.key].cases if row else 0} for b in BUCKETS},
            "total": {"cents": row.total.cents if row else 0, "cases": row.total.cases if row else 0},
        },
        "curves": [{"month": c.month.isoformat(), "placed": c.placed, "collected": c.collected,
                    "points": [_percent(p) for p in c.points]} for c in curves],
        "contacts": _contacts(client.id, month),
        "payments": payments,
    }


def month_payments(client_id: int, month: date) -> list[dict]:
    """Return the client's payments of the month from the ledger, reversals as negative lines, by date.

    Overpayments held for the debtor are left out, as in the dashboard's "collected", so that the lines
    add up to the month's collected total.
    """
    kind, reversed_entry = entry_kind()
    is_reversal = LedgerEntry.reverses_id.is_not(None)
    rows = db.session.execute(
        sa.select(Payment.reference, Payment.channel, Case.reference, Debtor, LedgerEntry.effective_on, is_reversal,
                  sum_cents(LedgerEntry.amount_cents))
        .join(Payment, Payment.id == LedgerEntry.payment_id)
        .join(Case, Case.id == LedgerEntry.case_id).join(Debtor, Debtor.id == Case.debtor_id)
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
        .where(Case.client_id == client_id, collected_clause(kind),
               LedgerEntry.effective_on >= month, LedgerEntry.effective_on <= month_end(month))
        .group_by(Payment.id, Payment.reference, Payment.channel, Case.reference, Debtor.id, LedgerEntry.effective_on,
                  is_reversal)
        .order_by(LedgerEntry.effective_on, Case.reference, Payment.reference, is_reversal)
    ).all()
    return [{"receipt": receipt, "channel": channel, "case": case_ref, "debtor": debtor.display_name,
             "date": on.isoformat(), "reversal": bool(reversal), "cents": -int(cents)}
            for receipt, channel, case_ref, debtor, on, reversal, cents in rows if cents]


def _closed(client_id: int, month: date) -> dict:
    """Return the client's cases closed in the month: paid in full, and closed unpaid."""

    def count(status: CaseStatus) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(
            Case.client_id == client_id, Case.status == status.value,
            Case.closed_on >= month, Case.closed_on <= month_end(month))) or 0

    return {"paid": count(CaseStatus.PAID), "unpaid": count(CaseStatus.CLOSED)}


def _open_disputes(client_id: int, month: date) -> int:
    """Return how many of the client's cases had a dispute open at the end of the month."""
    _start, end = _utc_bounds(month)
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Hold.case_id))).join(Case, Case.id == Hold.case_id)
        .where(Case.client_id == client_id, Hold.kind == HoldKind.DISPUTE.value, Hold.started_at < end,
               sa.or_(Hold.ended_at.is_(None), Hold.ended_at >= end))
    ) or 0


def _contacts(client_id: int, month: date) -> dict:
    """Return the month's contact attempts, calls, conversations, promises made and promises kept."""
    start, end = _utc_bounds(month)
    is_call = Action.kind == ActionKind.CALL.value
    attempts, calls, right_party = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((is_call, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(is_call, Action.outcome.in_(CONVERSATIONS)), 1), else_=0)), 0),
        ).join(Case, Case.id == Action.case_id)
        .where(Case.client_id == client_id, done_contacts(), Action.done_at >= start, Action.done_at < end)
    ).one()
    promises, promised = db.session.execute(
        sa.select(sa.func.count(), sum_cents(Promise.amount_cents)).join(Case, Case.id == Promise.case_id)
        .where(Case.client_id == client_id, Promise.created_at >= start, Promise.created_at < end)
    ).one()
    due, kept = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.coalesce(sa.func.sum(sa.case((Promise.status == PromiseStatus.KEPT.value, 1), else_=0)), 0))
        .join(Case, Case.id == Promise.case_id)
        .where(Case.client_id == client_id, Promise.due_on >= month, Promise.due_on <= month_end(month))
    ).one()
    return {"attempts": int(attempts), "calls": int(calls), "right_party": int(right_party),
            "promises": int(promises), "promised_cents": int(promised), "due": int(due), "kept": int(kept)}


def clients_due(month: date) -> list[int]:
    """Return the clients owed a report for the month: a mandate in force in it or a case by its end, none yet."""
    last = month_end(month)
    has_mandate = sa.exists().where(Mandate.client_id == Client.id, Mandate.starts_on <= last,
                                    sa.or_(Mandate.ends_on.is_(None), Mandate.ends_on >= month))
    has_case = sa.exists().where(Case.client_id == Client.id, Case.opened_on <= last)
    done = sa.exists().where(MonthlyReport.client_id == Client.id, MonthlyReport.month == month)
    return list(db.session.scalars(
        sa.select(Client.id).where(sa.or_(has_mandate, has_case), ~done).order_by(Client.id)))


def produce_report(client_id: int, month: date, *, actor: User | None = None) -> MonthlyReport:
    """Produce and store the client's report for the month, or return the one already produced. Not committed."""
    month = first_of(month)
    existing = db.session.scalar(
        sa.select(MonthlyReport).where(MonthlyReport.client_id == client_id, MonthlyReport.month == month))
    if existing is not None:
        return existing
    client = db.session.get(Client, client_id)
    if client is None:
        raise ValueError(f"no client {client_id}")
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
    from flask_babel import force_locale

    profile = db.session.get(AgencyProfile, 1) or _blank_profile()
    locale = LOCALES[language]
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    template = current_app.jinja_env.get_template(f"letters/{language}/monthly_report.html")
    with force_locale(language):
        html = template.render(
            f=figures, client=db.session.get(Client, figures["client"]["id"]), agency=profile,
            registration=_registration(profile), charts=charts(figures, locale), buckets=BUCKETS,
            month=date.fromisoformat(figures["month"]), month_end=date.fromisoformat(figures["month_end"]),
            money=lambda cents: format_money(cents, "EUR", locale=locale),
            pct=lambda value: "—" if value is None else format_decimal(Decimal(value), "0.0", locale=locale) + "\u00a0%",
            long_date=lambda day: format_date(_day(day), "long", locale=locale) if day else "",
            short_date=lambda day: format_date(_day(day), "short", locale=locale) if day else "",
            month_name=lambda day: format_date(_day(day), "LLLL y", locale=locale),
            moment=lambda iso: format_datetime(datetime.fromisoformat(iso).astimezone(zone), "d MMMM y HH:mm",
                                               locale=locale) if iso else "",
            issued_on=produced_at.astimezone(zone).date(),
            payment_lines=payment_lines,
        )
    return render_pdf(html, assets_dir=Path(ASSETS_DIR))


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _blank_profile() -> AgencyProfile:
    from cases.remittances.documents import _blank_profile as blank

    return blank()


CHANNEL_WORDS = {PaymentChannel.TRUST.value: "compte de l'agence", PaymentChannel.DIRECT.value: "direct au créancier"}


def report_csv(figures: dict) -> str:
    """Return the report as CSV (semicolons, decimal commas): the month's figures, then one row per payment."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    month = date.fromisoformat(figures["month"])
    recovery = figures["recovery"]
    contacts = figures["contacts"]
    rate = recovery["rate"].replace(".", ",") if recovery["rate"] is not None else ""
    writer.writerow(("Rubrique", "Valeur", "Unité"))
    rows = [
        ("Client", text_cell(figures["client"]["name"]), ""),
        ("Mois", f"{month:%m/%Y}", ""),
        ("Dossiers confiés dans le mois", figures["placed"]["cases"], "dossiers"),
        ("Montant confié dans le mois", french_number(figures["placed"]["cents"]), "EUR"),
        ("Encaissé par l'agence dans le mois (net des annulations)", french_number(figures["collected"]["trust"]), "EUR"),
        ("Reçu directement par le créancier dans le mois", french_number(figures["collected"]["direct"]), "EUR"),
        ("Total recouvré dans le mois", french_number(figures["collected"]["total"]), "EUR"),
        (f"Taux de recouvrement des dossiers confiés du {_fr(recovery['from'])} au {_fr(recovery['to'])}", rate, "%"),
        ("Montant confié (base du taux)", french_number(recovery["placed"]), "EUR"),
        ("Montant recouvré (base du taux)", french_number(recovery["collected"]), "EUR"),
        ("Dossiers soldés dans le mois", figures["closed"]["paid"], "dossiers"),
        ("Dossiers clos sans paiement complet dans le mois", figures["closed"]["unpaid"], "dossiers"),
        ("Contestations en cours en fin de mois", figures["disputes"], "dossiers"),
    ]
    rows += [(f"Encours au {_fr(figures['month_end'])}, {str(b.label)}",
              french_number(figures["aged"]["buckets"][b.key]["cents"]), "EUR") for b in BUCKETS]
    rows += [
        (f"Encours au {_fr(figures['month_end'])}, total", french_number(figures["aged"]["total"]["cents"]), "EUR"),
        ("Tentatives de contact dans le mois", contacts["attempts"], "actions"),
        ("Appels dans le mois", contacts["calls"], "appels"),
        ("Appels avec le débiteur joint", contacts["right_party"], "appels"),
        ("Promesses de paiement obtenues dans le mois", contacts["promises"], "promesses"),
        ("Montant promis dans le mois", french_number(contacts["promised_cents"]), "EUR"),
        ("Promesses échues dans le mois", contacts["due"], "promesses"),
        ("Promesses échues dans le mois et tenues", contacts["kept"], "promesses"),
    ]
    for curve in figures["curves"]:
        points = curve["points"]
        last = points[-1] if points else None
        rows.append((f"Courbe de liquidation, dossiers confiés en {date.fromisoformat(curve['month']):%m/%Y}",
                     last.replace(".", ",") if last is not None else "", "% recouvré à fin de mois"))
    writer.writerows(rows)
    writer.writerow(())
    writer.writerow(("Dossier", "Débiteur", "Date", "Encaissement", "Mouvement", "Quittance", "Montant"))
    for p in figures["payments"]:
        writer.writerow((text_cell(p["case"]), text_cell(p["debtor"]), _fr(p["date"]), CHANNEL_WORDS[p["channel"]],
                         "annulation" if p["reversal"] else "paiement", text_cell(p["receipt"]),
                         french_number(p["cents"])))
    writer.writerow(("TOTAL", "", "", "", "", "", french_number(figures["collected"]["total"])))
    # A BOM so that spreadsheets open the accents right.
    return "\ufeff" + out.getvalue()


def _fr(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d/%m/%Y}"
