"""How a debtor wants to be contacted, from their space: stop SMS or e-mails, give a new phone, e-mail or address.

- Stopping a channel is `debtors.contacts.opt_out` on each of the debtor's numbers or addresses of it, as a STOP
  reply does: every sender asks the contact rules, which refuse an opted-out point at once.
- A new phone, e-mail or address is checked as a placement's are (`cases.placement.values`: E.164 through
  phonenumbers, email-validator, a French postcode of a real department) and kept as a NEW contact point whose
  source says the debtor gave it; the old one is never overwritten — a collector judges which is right.
"""

from __future__ import annotations

from flask_babel import gettext as _

from cases.models import Case
from cases.placement.values import Invalid, parse_email, parse_phone, parse_postcode
from cases.work import WorkError
from debtor_space.proposals import DEBTOR, to_the_collector
from debtors.contacts import add_contact_point, opt_out
from debtors.models import ContactKind, ContactPoint

SOURCE = "debtor"  # ContactPoint.source: given by the debtor in their space
CHANNEL_KIND = {"sms": ContactKind.PHONE.value, "email": ContactKind.EMAIL.value}


def stop(case: Case, channel: str) -> int:
    """Stop every message of `channel` (sms, email) to the debtor; return how many points were opted out."""
    kind = CHANNEL_KIND[channel]
    stopped = sum(opt_out(point, actor=None, source="debtor_space", actor_label=DEBTOR)
                  for point in case.debtor.contact_points if point.kind == kind)
    if stopped:
        to_the_collector(case, _("The debtor asked from their space to receive no more %(channel)s.",
                                 channel="SMS" if channel == "sms" else _("e-mails")), due=False)
    return stopped


def _known(case: Case, kind: str, value: str) -> ContactPoint | None:
    return next((p for p in case.debtor.contact_points if p.kind == kind and p.value == value), None)


def _home_country(case: Case) -> str:
    # A national number is read in the country of the debtor's address on file, France by default.
    return next((p.country for p in case.debtor.contact_points if p.kind == ContactKind.ADDRESS and p.country), "FR")


def give_phone(case: Case, text: str) -> ContactPoint | None:
    """Add the phone the debtor gives (national form read in their country); None when already on file."""
    try:
        number = parse_phone(text.strip(), _home_country(case))
    except Invalid:
        raise WorkError(_("This is not a valid phone number, for example 06 12 34 56 78."), "phone") from None
    if _known(case, ContactKind.PHONE.value, number):
        return None
    point = add_contact_point(case.debtor, kind=ContactKind.PHONE.value, value=number, source=SOURCE, actor=None,
                              actor_label=DEBTOR)
    to_the_collector(case, _("The debtor gave a new phone number from their space: %(value)s.", value=number),
                     due=False)
    return point


def give_email(case: Case, text: str) -> ContactPoint | None:
    """Add the e-mail address the debtor gives; None when already on file."""
    try:
        address = parse_email(text.strip())
    except Invalid:
        raise WorkError(_("This is not a valid e-mail address."), "email") from None
    if _known(case, ContactKind.EMAIL.value, address):
        return None
    point = add_contact_point(case.debtor, kind=ContactKind.EMAIL.value, value=address, source=SOURCE, actor=None,
                              actor_label=DEBTOR)
    to_the_collector(case, _("The debtor gave a new e-mail address from their space: %(value)s.", value=address),
                     due=False)
    return point


def give_address(case: Case, *, line1: str, line2: str, postcode: str, city: str) -> ContactPoint:
    """Add the postal address the debtor gives (in France)."""
    if not line1.strip():
        raise WorkError(_("Give the number and the street."), "line1")
    try:
        code = parse_postcode(postcode, "FR")
    except Invalid:
        raise WorkError(_("A French postcode has five digits, for example 69003."), "postcode") from None
    if not city.strip():
        raise WorkError(_("Give the town."), "city")
    point = add_contact_point(case.debtor, kind=ContactKind.ADDRESS.value, source=SOURCE, actor=None,
                              actor_label=DEBTOR, address_line1=line1.strip()[:200],
                              address_line2=line2.strip()[:200], postcode=code, city=city.strip()[:100],
                              country="FR")
    to_the_collector(case, _("The debtor gave a new postal address from their space: %(value)s.",
                             value=f"{point.address_line1}, {point.postcode} {point.city}"), due=False)
    return point
