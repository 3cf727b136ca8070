"""What a letter prints and how it becomes a PDF: amounts due, the window address, the page itself.

Letters are written in the debtor's language (French, or English when the debtor reads English),
whatever language the person or job issuing them uses: the templates in `templates/letters/<lang>/`
hold their own text, and they are rendered with the bare Jinja environment, outside any request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from babel import Locale
from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup

from agency.config import ROOT
from agency.models import AgencyProfile, Client
from agency.money import format_money
from agency.pdf import render_pdf
from cases.ledger import Balance
from cases.models import Case, Letter
from debtors.contacts import format_phone
from debtors.models import ContactKind, ContactPoint, ContactStatus, Debtor, DebtorKind

ASSETS_DIR = ROOT / "templates" / "letters"  # the stylesheet the letters load as `amiable:letter.css`
LANGUAGES = ("fr", "en")
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@dataclass(frozen=True)
class AmountsDue:
    """What the debtor still owes, split as CPCE R124-4 demands (the agency's fees never appear here)."""

    principal: int
    interest: int
    indemnity: int  # the €40 fixed recovery indemnity between businesses (L441-10 C. com.)
    costs: int  # only with an enforceable title (L111-8 CPCE)
    credits: int  # payments, credit notes and write-offs already deducted

    @property
    def other(self) -> int:
        return self.indemnity + self.costs

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.other


def amounts_due(balance: Balance) -> AmountsDue:
    """Split the outstanding balance into principal, interest and other sums.

    Credit notes and write-offs reduce the principal they cancel; payments settle interest first,
    then the other sums, then the principal (C. civ. 1343-1), unless the debtor chose otherwise.
    """
    principal = max(balance.principal - balance.other_credits, 0)
    paid = balance.paid + max(balance.other_credits - balance.principal, 0)
    interest, paid = _settle(balance.interest, paid)
    indemnity, paid = _settle(balance.indemnity, paid)
    costs, paid = _settle(balance.costs, paid)
    principal, _ = _settle(principal, paid)
    return AmountsDue(principal, interest, indemnity, costs, balance.paid + balance.other_credits)


def _settle(owed: int, available: int) -> tuple[int, int]:
    used = min(owed, available)
    return owed - used, available - used


def letter_language(debtor: Debtor) -> str:
    """Return the language of the debtor's letters: English for English readers, else French."""
    return debtor.language if debtor.language in LANGUAGES else "fr"


def postal_address(debtor: Debtor) -> ContactPoint | None:
    """Return the address letters go to: usable, the primary one first, then a checked one, then the newest."""
    addresses = [
        c for c in debtor.contact_points if c.kind == ContactKind.ADDRESS and c.usable and c.city and c.postcode
    ]
    addresses.sort(key=lambda c: (c.is_primary, c.status == ContactStatus.VALID, c.id), reverse=True)
    return addresses[0] if addresses else None


def recipient_snapshot(debtor: Debtor, address: ContactPoint, language: str) -> dict:
    """Return the window address as La Poste reads it: name, street lines, POSTCODE CITY, country abroad."""
    lines = [debtor.display_name, address.name_line, address.address_line1, address.address_line2]
    lines.append(f"{address.postcode} {address.city.upper()}")
    if address.country and address.country != "FR":
        lines.append(Locale.parse(LOCALES[language]).territories.get(address.country, address.country).upper())
    return {"contact_point_id": address.id, "lines": [line.strip() for line in lines if line and line.strip()]}


def render_letter(
    letter: Letter, profile: AgencyProfile, amounts: AmountsDue, *, draft: bool = False, link: str | None = None
) -> bytes:
    """Render `letter` (dates and recipient set) with `amounts` to PDF bytes; a draft says so on each page.

    `link` is the debtor's space link issued for this letter: printed in full and as a QR code.
    """
    template = current_app.jinja_env.get_template(f"letters/{letter.language}/{letter.kind}.html")
    html = template.render(**_context(letter, profile, amounts, draft), space_link=link or "",
                           space_qr=qr_svg(link) if link else "")
    return render_pdf(html, assets_dir=Path(ASSETS_DIR))


def qr_svg(text: str) -> Markup:
    """Return `text` as a QR code in inline SVG, which WeasyPrint draws as vectors (crisp at any print size)."""
    # Level M survives a smudge or a fold over 15 % of the code; the 4-module quiet zone is the standard's.
    code = segno.make(text, error="m", micro=False)
    return Markup(code.svg_inline(scale=1, border=4, svgclass="qr", lineclass=None, omitsize=True))


def _context(letter: Letter, profile: AgencyProfile, amounts: AmountsDue, draft: bool) -> dict:
    case: Case = letter.case
    locale = LOCALES[letter.language]
    return {
        "letter": letter,
        "case": case,
        "agency": profile,
        "client": case.client,
        "debtor": case.debtor,
        "claims": case.claims,
        "first_notice": letter.first_notice,
        "amounts": amounts,
        "draft": draft,
        "b2b": case.kind == "b2b",
        "claims_penalties": _claims_penalties(case.client, letter.issued_on),
        "salutation": _salutation(case.debtor, letter.language),
        "money": lambda cents: format_money(cents, letter.currency, locale=locale),
        "long_date": lambda day: format_date(day, "long", locale=locale) if day else "",
        "short_date": lambda day: format_date(day, "short", locale=locale) if day else "",
        # French readers dial national numbers; others need the international form.
        "phone": lambda number: _nbsp(format_phone(number, "FR" if letter.language == "fr" else "ZZ")),
        "iban": group_iban,
        "registration": registration_line(profile),
    }


def _claims_penalties(client: Client, on: date) -> bool:
    mandate = client.active_mandate(on)
    return bool(mandate and mandate.claims_penalties)


def _salutation(debtor: Debtor, language: str) -> str:
    """Return how the letter addresses the debtor ("Madame", "Monsieur", or both)."""
    title = debtor.title.strip().lower().rstrip(".") if debtor.kind == DebtorKind.PERSON else ""
    if language == "en":
        return {"mme": "Madam", "mrs": "Madam", "ms": "Madam", "m": "Sir", "mr": "Sir"}.get(title, "Sir or Madam")
    return {"mme": "Madame", "mlle": "Madame", "m": "Monsieur"}.get(title, "Madame, Monsieur")


def render_document(name: str, language: str, profile: AgencyProfile, **context) -> bytes:
    """Render a document sent to a client that is not a legal letter (`templates/documents/<name>.html`).

    Legal letters keep a template per language, each reviewed as a whole; these documents share one
    template, their words translated by the catalogue in the client's `language`.
    """
    template = current_app.jinja_env.get_template(f"documents/{name}.html")
    with force_locale(language):
        html = template.render(lang=language, agency=profile, registration=registration_line(profile), **context)
    return render_pdf(html, assets_dir=Path(ASSETS_DIR))


def bank_details(iban: str) -> Markup:
    """An IBAN grouped by four and kept apart in a document's sentence (`.bank`)."""
    return Markup('<span class="bank">%s</span>') % group_iban(iban)


def _nbsp(text: str) -> str:
    """Keep a phone number on one line."""
    return text.replace(" ", "\u00a0")


def group_iban(iban: str) -> str:
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def registration_line(profile: AgencyProfile) -> str:
    """Return the registration line, adding the SIREN only when the registration does not show it."""
    digits = "".join(ch for ch in profile.registration if ch.isdigit())
    siren = f"SIREN {profile.siren[:3]} {profile.siren[3:6]} {profile.siren[6:]}" if profile.siren else ""
    if profile.siren and profile.siren in digits:
        return profile.registration
    return " · ".join(part for part in (siren, profile.registration) if part)
