"""The judicial file (pack): the request, the statement of account and the bordereau, as one PDF and each alone.

The request follows the route: a requête en injonction de payer with every field of the form in force
(the Cerfa's number is the proceeding's), a request to the commissaire de justice for small claims, or a
transmission note to the lawyer for a referral. Every part is a document prepared by the creditor's
agent and looks like one (Code pénal 433-13): the agency's letterhead, no emblem, no seal, no
"formule exécutoire", and a footer saying it is not a judicial act.

Preparing the pack stores the whole file and its three parts like letters (written once, named by their
SHA-256, never overwritten: a new pack is a new file) and writes a `judicial.pack_prepared` event; the
steps of the proceeding stay the state machine's. Nothing is committed here.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_percent
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.clock import today
from agency.models import AgencyProfile, User
from agency.money import format_money
from agency.pdf import render_pdf_set
from cases.judicial.pack_data import PackData, pack_data
from cases.judicial.proceedings import JudicialError
from cases.letters.documents import ASSETS_DIR, LOCALES, registration_line
from cases.letters.storage import store_document
from cases.models import Proceeding, Route, Stage
from cases.models.judicial import ORDER_ROUTES

PARTS = ("request", "statement", "bordereau")
PART_TITLES = {
    "request": _l("Request"),
    "statement": _l("Statement of account"),
    "bordereau": _l("List of exhibits"),
}
# Before both approvals, or once refused or withdrawn, there is no file to prepare.
NO_PACK_STAGES = (Stage.PROPOSED, Stage.AWAITING_CLIENT, Stage.REFUSED, Stage.WITHDRAWN)
MAX_DAYS_AHEAD = 60  # a filing date further ahead would state interest not yet known


def why_no_pack(proceeding: Proceeding) -> str | None:
    """Why the file cannot be prepared now, or None."""
    if Stage(proceeding.stage) in NO_PACK_STAGES:
        return str(_l("The file is prepared once the manager and the client have both approved the route."))
    return None


def prepare_pack(proceeding: Proceeding, agency: AgencyProfile, *, actor: User, on: date | None = None,
                 language: str = "fr") -> Proceeding:
    """Render and store the pack as of the filing date `on` (today by default); record who prepared it."""
    on = on or today()
    if why := why_no_pack(proceeding):
        raise JudicialError(why)
    if not today() <= on <= today() + timedelta(days=MAX_DAYS_AHEAD):
        raise JudicialError(_l("The filing date must be between today and %(days)s days from now.",
                               days=MAX_DAYS_AHEAD), "pack_on")
    whole, parts, data = render_pack(proceeding, agency, on, language)
    folder = f"judicial/{proceeding.reference}"
    stored = store_document(whole, folder, "pack")
    stored_parts = {name: store_document(pdf, folder, name) for name, pdf in zip(PARTS, parts, strict=True)}
    before, after = audit.changes(
        proceeding, pack_on=on, pack_path=stored.path, pack_sha256=stored.sha256,
        pack_parts={name: {"path": s.path, "sha256": s.sha256} for name, s in stored_parts.items()},
    )
    audit.record("judicial.pack_prepared", actor=actor, subject=proceeding, client_id=proceeding.client_id,
                 before=before, after={**after, "pack_on": on.isoformat(), "total": data.total_cents,
                                       "exhibits": len(data.exhibits)})
    return proceeding


def render_pack(proceeding: Proceeding, agency: AgencyProfile, on: date,
                language: str = "fr") -> tuple[bytes, list[bytes], PackData]:
    """Render the whole pack and each of its parts (in `PARTS` order), with the figures they show."""
    env = current_app.jinja_env
    with force_locale(language):
        data = pack_data(proceeding, agency, on)
        context = _context(data, language)
        htmls = [env.get_template(f"letters/judicial/{part}.html").render(part=part, **context) for part in PARTS]
    whole, parts = render_pdf_set(htmls, assets_dir=Path(ASSETS_DIR))
    return whole, parts, data


def request_title(route: Route) -> str:
    if route in ORDER_ROUTES:
        return str(_l("Request for an order to pay"))
    if route == Route.SMALL_CLAIMS:
        return str(_l("Request for the simplified recovery of a small claim"))
    return str(_l("Transmission note of the case file"))


def _context(data: PackData, language: str) -> dict:
    locale = LOCALES[language]
    currency = data.case.currency
    route = Route(data.proceeding.route)
    return {
        "data": data,
        "lang": language,
        "proceeding": data.proceeding,
        "case": data.case,
        "client": data.client,
        "debtor": data.debtor,
        "address": data.address,
        "agency": data.agency,
        "route": route.value,
        "is_order": route in ORDER_ROUTES,
        "request_title": request_title(route),
        "part_titles": {name: str(title) for name, title in PART_TITLES.items()},
        "registration": registration_line(data.agency),
        "money": lambda cents: format_money(cents, currency, locale=locale),
        "long_date": lambda day: format_date(day, "long", locale=locale) if day else "",
        "short_date": lambda day: format_date(day, "short", locale=locale) if day else "",
        "rate": lambda bp: format_percent(Decimal(bp) / 10000, format="#,##0.00 %", locale=locale),
        "siren": lambda digits: f"{digits[:3]} {digits[3:6]} {digits[6:]}" if digits else "",
    }
