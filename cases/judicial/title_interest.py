"""What an enforceable title does to a case's interest (C. mon. fin. L313-3; LEGAL-FR §9 "Titles").

From the day the title becomes enforceable, the title is the basis of every claim's interest: the interest
the title fixed to its date (shared over the claims in proportion to their invoiced amounts), then the
legal rate from the day the title sets — the creditor's column, as for a consumer debt — increased by
the settings' points (5) from the settings' months (2) after the title became enforceable. The engine
(cases.interest) reads the title; what is already posted is corrected by the next posting, so the
ledger follows the new basis without any entry being edited.
"""

from __future__ import annotations

from datetime import date

from agency.db import db
from cases.judicial import settings
from cases.models import Claim, JudicialTitle, TitleClaim
from debtors.holds import add_months


def split_pro_rata(total: int, weights: dict[int, int]) -> dict[int, int]:
    """Share `total` cents over the keys in proportion to `weights`, to the cent (largest remainder, then key)."""
    weight = sum(weights.values())
    if not weights or weight <= 0:
        return dict.fromkeys(weights, 0)
    shares = {key: total * w // weight for key, w in weights.items()}
    left = total - sum(shares.values())
    by_remainder = sorted(weights, key=lambda key: (-(total * weights[key] % weight), key))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


def fix_terms(title: JudicialTitle, claims: list[Claim], on: date) -> None:
    """Fix, as the title becomes enforceable on `on`, the increase's day and points and the shares of its
    fixed interest (settings in force on `on`: a later change of the settings never moves them)."""
    title.increase_on = add_months(on, settings.number("title_increase_months", on))
    title.increase_bp = settings.number("title_increase_bp", on)
    shares = split_pro_rata(title.interest_cents, {c.id: c.amount_cents for c in claims})
    existing = {share.claim_id: share for share in title.claim_shares}
    for claim_id, cents in shares.items():
        share = existing.get(claim_id) or TitleClaim(title=title, claim_id=claim_id)
        share.interest_cents = cents
        db.session.add(share)
