"""A statement as documents for the client: the PDF (stored once, like letters) and the CSV of its movements.

Both are read from the statement's lines, which never change once issued, so the CSV rebuilt at each
download always adds up to the totals printed on the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from babel.dates import format_date

from agency import audit
from agency.db import db
from agency.models import AgencyProfile, User
from agency.money import format_money
from agency.spreadsheet import Amount, csv_text
from cases.judicial.costs import COST_KINDS
from cases.letters.documents import LOCALES, bank_details, render_document
from cases.letters.storage import read_document, store_document
from cases.models import Case, JudicialCost, Proceeding
from debtors.models import Debtor
from money.closing_reports.documents import reason_label
from money.models import ClosingReport, LineKind, Payment, PaymentChannel, Remittance, RemittanceLine

FOLDER = "remittances"


@dataclass(frozen=True)
class CaseLine:
    """One case's movements in a statement, added up."""

    case_reference: str
    debtor_name: str
    payments: int  # how many payments
    trust_cents: int  # received by the agency, net of reversals
    direct_cents: int  # paid to the client, net of reversals
    commission_cents: int  # fixed and recall fees included
    vat_cents: int


def case_lines(remittance: Remittance) -> list[CaseLine]:
    """Return the statement's lines added up per case, in case order."""
    line = RemittanceLine
    trust = line.channel == PaymentChannel.TRUST.value
    rows = db.session.execute(
        sa.select(
            Case.reference, Debtor,
            sa.func.sum(sa.case((line.kind == LineKind.PAYMENT.value, 1), else_=0)),
            sa.func.sum(sa.case((trust, line.amount_cents), else_=0)),
            sa.func.sum(sa.case((~trust, line.amount_cents), else_=0)),
            sa.func.sum(line.commission_cents), sa.func.sum(line.vat_cents),
        )
        .join(Case, Case.id == line.case_id).join(Debtor, Debtor.id == Case.debtor_id)
        .where(line.remittance_id == remittance.id)
        .group_by(Case.reference, Debtor.id).order_by(Case.reference)
    ).all()
    return [CaseLine(ref, debtor.display_name, *(int(v) for v in values)) for ref, debtor, *values in rows]


def movements(remittance: Remittance) -> list[tuple[RemittanceLine, str, str, str]]:
    """Return each line of the statement with its case reference, debtor name and receipt number."""
    rows = db.session.execute(
        sa.select(RemittanceLine, Case.reference, Debtor, Payment.reference)
        .join(Case, Case.id == RemittanceLine.case_id).join(Debtor, Debtor.id == Case.debtor_id)
        .outerjoin(Payment, Payment.id == RemittanceLine.payment_id)
        .where(RemittanceLine.remittance_id == remittance.id)
        .order_by(Case.reference, RemittanceLine.occurred_on, RemittanceLine.id)
    ).all()
    return [(line, ref, debtor.display_name, receipt or "") for line, ref, debtor, receipt in rows]


@dataclass(frozen=True)
class RecallFeeLine:
    """The mandate's fee for a recalled case, charged in this statement (included in its commission)."""

    effective_on: date
    case_reference: str
    debtor_name: str
    fee_cents: int  # excl. VAT
    vat_cents: int


def recall_fees(remittance: Remittance) -> list[RecallFeeLine]:
    """Return the statement's recall fees, by the day each recall took effect."""
    rows = db.session.execute(
        sa.select(RemittanceLine, Case.reference, Debtor)
        .join(Case, Case.id == RemittanceLine.case_id).join(Debtor, Debtor.id == Case.debtor_id)
        .where(RemittanceLine.remittance_id == remittance.id, RemittanceLine.kind == LineKind.RECALL_FEE.value)
        .order_by(RemittanceLine.occurred_on, RemittanceLine.id)
    ).all()
    return [RecallFeeLine(line.occurred_on, ref, debtor.display_name, line.commission_cents, line.vat_cents)
            for line, ref, debtor in rows]


def card_fees_cents(remittance: Remittance) -> int:
    """The card provider's fees the statement deducts (already within the collected total), as a positive sum."""
    return -int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(RemittanceLine.amount_cents), 0)).where(
        RemittanceLine.remittance_id == remittance.id, RemittanceLine.kind == LineKind.CARD_FEE.value)))


@dataclass(frozen=True)
class CostLine:
    """A judicial fee advanced during the statement's period (for information: it stays the advancer's
    until an enforceable title puts it on the debtor, CPCE L111-8)."""

    incurred_on: date
    case_reference: str
    debtor_name: str
    kind: str
    advanced_by: str  # client or agency
    on_debtor: bool
    amount_cents: int


def judicial_costs(remittance: Remittance) -> list[CostLine]:
    """The judicial fees advanced on the client's cases during the statement's period, by date."""
    rows = db.session.execute(
        sa.select(JudicialCost, Case.reference, Debtor)
        .join(Proceeding, Proceeding.id == JudicialCost.proceeding_id)
        .join(Case, Case.id == Proceeding.case_id).join(Debtor, Debtor.id == Case.debtor_id)
        .where(JudicialCost.client_id == remittance.client_id,
               JudicialCost.incurred_on.between(remittance.period_start, remittance.period_end))
        .order_by(JudicialCost.incurred_on, JudicialCost.id)
    ).all()
    return [CostLine(cost.incurred_on, ref, debtor.display_name, str(COST_KINDS.get(cost.kind, cost.kind)),
                     cost.advanced_by, cost.ledger_entry_id is not None, cost.amount_cents)
            for cost, ref, debtor in rows]


@dataclass(frozen=True)
class ClosedLine:
    """A case closed since the client's previous statement, with the reference of its closing report."""

    closed_on: date
    report_reference: str
    case_reference: str
    debtor_name: str
    reason: str
    written_off_cents: int


def closed_cases(remittance: Remittance) -> list[ClosedLine]:
    """The client's closing reports produced since its previous statement was issued, up to this one's issue:
    each report is grouped in the first statement issued after it, even one produced late (a batch closed on
    a past day, a report the nightly sweep made), so that none falls between two statements."""
    previous_at = db.session.scalar(sa.select(sa.func.max(Remittance.created_at)).where(
        Remittance.client_id == remittance.client_id, Remittance.created_at < remittance.created_at))
    query = sa.select(ClosingReport).where(ClosingReport.client_id == remittance.client_id,
                                           ClosingReport.produced_at <= remittance.created_at)
    if previous_at is not None:
        query = query.where(ClosingReport.produced_at > previous_at)
    reports = db.session.scalars(query.order_by(ClosingReport.closed_on, ClosingReport.id)).all()
    return [ClosedLine(r.closed_on, r.reference, r.figures["case"]["reference"], r.figures["case"]["debtor"],
                       reason_label(r.figures), r.figures["written_off_cents"]) for r in reports]


def render_statement(remittance: Remittance, language: str = "fr") -> bytes:
    """Render the statement's PDF: agency letterhead, client, period, per-case lines, totals and net."""
    profile = db.session.get(AgencyProfile, 1) or _blank_profile()
    locale = LOCALES[language]
    return render_document(
        "remittance", language, profile,
        remittance=remittance, client=remittance.client, lines=case_lines(remittance),
        recall_fees=recall_fees(remittance), costs=judicial_costs(remittance), closed=closed_cases(remittance),
        card_fees=card_fees_cents(remittance), recipient=remittance.client, recipient_name=remittance.client.name,
        money=lambda cents: format_money(cents, remittance.currency, locale=locale),
        long_date=lambda day: format_date(day, "long", locale=locale) if day else "",
        short_date=lambda day: format_date(day, "short", locale=locale) if day else "",
        bank=bank_details, issued_on=remittance.created_at.date(),
    )


def _blank_profile() -> AgencyProfile:
    """Return an unsaved profile with every text empty: a statement is still owed before the profile is filled in."""
    columns = AgencyProfile.__table__.columns
    return AgencyProfile(**{c.name: c.default.arg for c in columns if c.default is not None and c.name != "id"},
                         id=1, name="")


def statement_pdf(remittance: Remittance, *, actor: User | None = None) -> bytes:
    """Return the statement's stored PDF, rendering and storing it the first time. Not committed."""
    if remittance.pdf_path:
        return read_document(remittance.pdf_path, remittance.pdf_sha256)
    data = render_statement(remittance)
    stored = store_document(data, f"{FOLDER}/{remittance.client_id}", remittance.reference)
    remittance.pdf_path, remittance.pdf_sha256 = stored.path, stored.sha256
    audit.record("remittance.document_stored", actor=actor, subject=remittance,
                 after={"pdf_path": stored.path, "sha256": stored.sha256})
    return data


CSV_HEADER = ("Dossier", "Débiteur", "Mouvement", "Encaissement", "Date", "Quittance", "Montant", "Commission HT",
              "TVA", "Net")
KIND_WORDS = {LineKind.PAYMENT.value: "paiement", LineKind.REVERSAL.value: "annulation",
              LineKind.FIXED_FEE.value: "forfait par dossier", LineKind.RECALL_FEE.value: "frais de retrait",
              LineKind.CARD_FEE.value: "frais de paiement par carte"}
CHANNEL_WORDS = {PaymentChannel.TRUST.value: "compte de l'agence", PaymentChannel.DIRECT.value: "direct au créancier"}


def statement_csv(remittance: Remittance) -> str:
    """Return the statement as CSV (semicolons, decimal commas): one row per movement, then the totals."""
    rows: list[tuple] = [CSV_HEADER]
    for line, case_ref, debtor_name, receipt in movements(remittance):
        # Net to the client: trust money less the agency's commission; a direct payment only costs commission.
        trust = line.amount_cents if line.channel == PaymentChannel.TRUST.value else 0
        rows.append((
            case_ref, debtor_name, KIND_WORDS[line.kind], CHANNEL_WORDS[line.channel], line.occurred_on, receipt,
            Amount(line.amount_cents), Amount(line.commission_cents), Amount(line.vat_cents),
            Amount(trust - line.commission_cents - line.vat_cents),
        ))
    rows.append(("TOTAL", remittance.reference, "", "", _period(remittance.period_start, remittance.period_end), "",
                 Amount(remittance.trust_collected_cents + remittance.direct_collected_cents),
                 Amount(remittance.commission_cents), Amount(remittance.vat_cents), Amount(remittance.net_cents)))
    # The debtor names and references come from placements: the writer keeps them from running as formulas.
    return csv_text(rows)


def _period(start: date, end: date) -> str:
    return f"{start:%d/%m/%Y}-{end:%d/%m/%Y}"

