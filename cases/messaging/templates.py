"""Message texts: the templates in `templates/sms/<lang>/` and `templates/email/<lang>/`, filled for a case.

A template's folder is the debtor's language (French when the debtor's language has none). An e-mail
template's first line is `Subject: …`, then a blank line, then the body. Every text repeats the first
notice's reference and date once there is one (CPCE R124-4, last paragraph) and ends with the way to
opt out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel.dates import format_date
from flask import current_app
from flask_babel import lazy_gettext as _l

from agency.db import db
from agency.models import AgencyProfile
from agency.money import format_money
from agency.page_reads import read_once
from cases import ledger
from cases.actions import pending_promise
from cases.letters.letters import first_notice_of
from cases.messaging.links import unsubscribe_url
from cases.messaging.space_links import preview_url
from cases.models import Case
from debtors.contacts import format_phone
from debtors.models import ContactPoint, DebtorKind

CHANNELS = ("sms", "email")
DEFAULT_LANGUAGE = "fr"
LABELS = {
    "reminder": _l("Payment reminder"),
    "promise_reminder": _l("Promise to pay reminder"),
}
# Templates that speak of a pending promise and make no sense without one.
NEEDS_PROMISE = frozenset({"promise_reminder"})
# Sent by the platform on an event, with that event's facts (`extra`): never offered to staff or strategies.
# plan_decided: the agency's or the client's answer to a plan the debtor proposed in their space.
EVENT_TEMPLATES = frozenset({"plan_decided"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
# Babel's French formats use no-break spaces, which are not in the SMS alphabet (GSM 03.38): the
# thousands separator goes ("1234,56 €" cannot break across lines), the space before € stays plain.
_SMS_SPACES = str.maketrans({"\u00a0": " ", "\u202f": "", "\u2019": "'"})
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


class MessageError(ValueError):
    """A message cannot be written: unknown template, or the case lacks what the template speaks of."""


@dataclass(frozen=True)
class RenderedMessage:
    channel: str
    template: str
    language: str
    subject: str  # empty for an SMS
    body: str

    @property
    def sms_parts(self) -> int:
        return sms_parts(self.body)


def template_label(name: str) -> str:
    """Return what collectors call a template."""
    return str(LABELS.get(name, name.replace("_", " ").capitalize()))


def template_names(channel: str) -> list[str]:
    """Return the templates of a channel: those of the default language, which has them all."""
    folder = _folder(channel) / DEFAULT_LANGUAGE
    names = [p.stem for p in folder.glob("*.txt") if not p.name.startswith("_")]
    order = list(LABELS)  # the usual ones first, the plain reminder at the top
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))


def available_templates(case: Case, channel: str) -> list[str]:
    """Return the templates that make sense for `case` now (a promise reminder needs a promise)."""
    promise = pending_promise(case)
    return [n for n in template_names(channel)
            if n not in EVENT_TEMPLATES and (promise is not None or n not in NEEDS_PROMISE)]


def message_language(case: Case) -> str:
    """Return the language the debtor reads, as far as the templates speak it."""
    language = (case.debtor.language or "").strip().lower()[:2]
    return language if _LANGUAGE.match(language) else DEFAULT_LANGUAGE


def render_message(
    case: Case, channel: str, template: str, *, contact_point: ContactPoint | None = None, link: str | None = None,
    extra: dict | None = None,
) -> RenderedMessage:
    """Fill `template` for `case` in the debtor's language; raise MessageError when it cannot be written.

    `link` is the debtor's space link issued for this very message; a preview, which issues none, prints a
    stand-in of the same length. `extra` holds an event template's facts, already written for the reader.
    """
    if channel not in CHANNELS or not _NAME.match(template) or template not in template_names(channel):
        raise MessageError(f"no {channel} template named {template!r}")
    if template in NEEDS_PROMISE and pending_promise(case) is None:
        raise MessageError(f"the {template} template needs a pending promise")
    if template in EVENT_TEMPLATES and not extra:
        raise MessageError(f"the {template} template is sent by the platform with its event's facts")
    language = message_language(case)
    if not (_folder(channel) / language / f"{template}.txt").exists():
        language = DEFAULT_LANGUAGE
    context = message_context(case, channel, language, contact_point, link=link) | (extra or {})
    text = current_app.jinja_env.get_template(f"{channel}/{language}/{template}.txt").render(context)
    subject, body = _split_subject(text) if channel == "email" else ("", _tidy(text, paragraphs=False))
    return RenderedMessage(channel, template, language, subject, body)


@read_once()
def _agency_profile() -> AgencyProfile | None:
    return db.session.get(AgencyProfile, 1)


def message_context(
    case: Case, channel: str, language: str, contact_point: ContactPoint | None, *, link: str | None = None
) -> dict:
    """Return what templates may print: amounts and dates already written in the debtor's language."""
    money, day, clean = writers(case, channel, language)
    agency = _agency_profile()
    letter = first_notice_of(case)
    promise = pending_promise(case)
    reply_number = current_app.config["TWILIO_FROM"]
    return {
        "language": language,
        "reference": case.reference,
        "debtor_name": case.debtor.display_name,
        "is_company": case.debtor.kind == DebtorKind.COMPANY,
        "creditor": case.client.name,
        "agency": _agency(agency),
        "amount": money(ledger.balance(case.id).outstanding),
        "link": link or preview_url(),
        "first_notice": (
            {"reference": letter.reference, "date": day(letter.issued_on)}
            if letter is not None and letter.issued_on is not None
            else None
        ),
        "promise": {"amount": money(promise.amount_cents), "date": day(promise.due_on)} if promise else None,
        "stop_number": clean(format_phone(reply_number)) if reply_number else "",
        "unsubscribe_url": unsubscribe_url(contact_point.id) if contact_point is not None else "",
    }


def writers(case: Case, channel: str, language: str) -> tuple[Callable, Callable, Callable]:
    """Return how a message writes an amount, a day and any text for its reader and its channel."""
    clean = (lambda text: text.translate(_SMS_SPACES)) if channel == "sms" else (lambda text: text)
    money = lambda cents: clean(format_money(cents, case.currency, locale=language))  # noqa: E731
    # "2 mars 2026" / "Mar 2, 2026": never 3/2/26, which a reader abroad takes for 3 February.
    day = lambda value: format_date(value, "long" if channel == "email" else "medium", locale=language)  # noqa: E731
    return money, day, clean


def _agency(profile: AgencyProfile | None) -> dict:
    if profile is None:
        return {"name": "", "address": "", "phone": "", "email": ""}
    address = ", ".join(
        p for p in (profile.address_line1, profile.address_line2, f"{profile.postcode} {profile.city}".strip()) if p
    )
    return {
        "name": profile.name,
        "address": address,
        "phone": format_phone(profile.phone) if profile.phone else "",
        "email": profile.email,
    }


def sms_parts(text: str) -> int:
    """Return how many SMS a text takes: 160 characters in the GSM alphabet, 70 otherwise, less when split."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        length, single, part = sum(2 if c in GSM_EXTENDED else 1 for c in text), 160, 153
    else:
        length, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if length <= single else math.ceil(length / part)


def _split_subject(text: str) -> tuple[str, str]:
    first, _, rest = text.lstrip().partition("\n")
    if not first.lower().startswith("subject:"):
        raise MessageError("an e-mail template starts with a 'Subject:' line")
    return first.split(":", 1)[1].strip(), _tidy(rest, paragraphs=True)


def _tidy(text: str, *, paragraphs: bool) -> str:
    """Drop trailing spaces and the blank lines template tags leave; an SMS keeps no blank line at all."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    if not paragraphs:
        return "\n".join(line for line in lines if line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _folder(channel: str) -> Path:
    return Path(current_app.root_path) / (current_app.template_folder or "templates") / channel
