"""Which judicial route suits a case, and why (LEGAL-FR §7 and §9): a suggestion a manager may overrule.

- petites créances (CPCE L125-1) when the total claimed, interest included, is at most the threshold
  (€5,000 seeded), whoever the debtor: the cheapest and quickest route, through a commissaire de justice;
- otherwise an injonction de payer: the tribunal de commerce between traders (Cerfa 12946), the juge des
  contentieux de la protection for rent and consumer credit (16040), the tribunal judiciaire else (12948);
- a lawyer or a commissaire de justice for what an order to pay does not suit: a claim the debtor
  disputed, a debtor abroad, or a total beyond the agency's referral threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from agency.models import ClaimsNature, Mandate
from cases.judicial import settings
from cases.models import Case, CaseKind, Route
from debtors.models import ContactKind

COURTS: dict[Route, LazyString] = {
    Route.SMALL_CLAIMS: _l("Commissaire de justice (small claims procedure)"),
    Route.ORDER_COMMERCIAL: _l("Président du tribunal de commerce"),
    Route.ORDER_JUDICIAL: _l("Président du tribunal judiciaire"),
    Route.ORDER_PROTECTION: _l("Juge des contentieux de la protection"),
    Route.REFERRAL: _l("Lawyer or commissaire de justice"),
}
FORM_KEYS = {Route.ORDER_COMMERCIAL: "form_commercial", Route.ORDER_JUDICIAL: "form_judicial",
             Route.ORDER_PROTECTION: "form_protection"}


@dataclass(frozen=True)
class Facts:
    """What the route depends on, read from the case (kept apart so that the rule reads as a table)."""

    total_cents: int  # claimed, interest included
    between_traders: bool
    nature: str  # ClaimsNature
    disputed: bool  # the debtor disputed the claim, even if the dispute was rejected
    abroad: bool  # the debtor's postal address is outside France


@dataclass(frozen=True)
class Suggestion:
    route: Route
    reasons: list[LazyString] = field(default_factory=list)

    @property
    def court(self) -> LazyString:
        return COURTS[self.route]


def suggest(facts: Facts, on: date, *, small_claims_declined: bool = False) -> Suggestion:
    """Return the route for `facts` under the figures in force on `on`, with the reasons staff read.

    Once the debtor has declined (or ignored) the small claims procedure, an order to pay is suggested.
    """
    small_max = settings.number("small_claims_max_cents", on)
    referral_above = settings.number("referral_above_cents", on)
    if facts.disputed:
        return Suggestion(Route.REFERRAL, [_l("The debtor disputed the claim: an order to pay would meet an "
                                              "opposition; a lawyer should judge the case.")])
    if facts.abroad:
        return Suggestion(Route.REFERRAL, [_l("The debtor lives abroad: French small claims and orders to pay "
                                              "do not reach them; a lawyer or a European procedure is needed.")])
    if facts.total_cents <= small_max and not small_claims_declined:
        return Suggestion(Route.SMALL_CLAIMS, [_l("The total claimed, interest included, is within the small "
                                                  "claims limit (CPCE L125-1): a commissaire de justice invites "
                                                  "the debtor to agree, and the agreement is a title.")])
    if facts.total_cents > referral_above:
        return Suggestion(Route.REFERRAL, [_l("The total claimed is above the agency's referral threshold: "
                                              "a lawyer should take it.")])
    above = (_l("The debtor declined the small claims procedure.") if small_claims_declined and
             facts.total_cents <= small_max else _l("The total claimed is above the small claims limit."))
    if facts.nature in (ClaimsNature.RENT, ClaimsNature.CONSUMER_CREDIT):
        return Suggestion(Route.ORDER_PROTECTION, [above, _l("Rent and consumer credit go to the juge des "
                                                             "contentieux de la protection.")])
    if facts.between_traders:
        return Suggestion(Route.ORDER_COMMERCIAL, [above, _l("A debt between traders goes to the president "
                                                             "of the commercial court.")])
    return Suggestion(Route.ORDER_JUDICIAL, [above, _l("The debtor is not a trader: the president of the "
                                                       "tribunal judiciaire issues the order.")])


def facts_of(case: Case, mandate: Mandate | None, total_cents: int, disputed: bool) -> Facts:
    addresses = [p for p in case.debtor.contact_points if p.kind == ContactKind.ADDRESS]
    preferred = next((p for p in addresses if p.is_primary), addresses[0] if addresses else None)
    return Facts(
        total_cents=total_cents,
        between_traders=case.kind == CaseKind.B2B,
        nature=mandate.claims_nature if mandate else ClaimsNature.SALES.value,
        disputed=disputed,
        abroad=preferred is not None and (preferred.country or "FR").upper() != "FR",
    )


def form_of(route: Route, on: date) -> str:
    """The form of the route as in force on `on` ("" when the route has none)."""
    key = FORM_KEYS.get(route)
    return settings.text(key, on) if key else ""
