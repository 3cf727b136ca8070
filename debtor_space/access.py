"""Entering the space: the link, the second factor, the limit on wrong answers, the visit kept in the session.

- A link opens a visit bound to its case; the visit lives in the session under its own key (`VISIT`),
  never beside a staff sign-in: entering the space signs staff out, and staff pages drop a visit
  (debtor_space.views). The session holds the link's id, never its token.
- Each visit asks the second factor again, so that a stranger holding the debtor's phone, which holds
  the link, still cannot open it: the postcode of an address on file, or a company's SIREN.
- Wrong answers are limited per link and per client address (5 per window of 15 minutes, then 429 with
  `Retry-After`), and a link that gathers 20 over its life is revoked: a postcode is one of a few
  thousand, so a patient stranger must not get to try them all. Every answer is audited, never its text.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login import logout_user

from agency import audit
from agency.db import db, utcnow
from agency.ratelimit import blocked_for, retry_after
from cases.messaging.space_links import get_settings, revoke_link
from cases.models import Case, CaseStatus
from cases.models.space_links import SpaceLink
from debtors.models import ContactKind, Debtor

VISIT = "debtor_space"
DEFAULTS = {
    "SPACE_ATTEMPTS_PER_LINK": 5,
    "SPACE_ATTEMPTS_PER_ADDRESS": 5,
    "SPACE_ATTEMPT_WINDOW": 900,  # seconds
    "SPACE_LINK_FAILURE_CEILING": 20,
    "SPACE_IDLE_SECONDS": 1800,  # a visit left alone this long asks the second factor again
}
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


class Factor(StrEnum):
    POSTCODE = "postcode"
    SIREN = "siren"


class TooManyAttempts(Exception):
    """Wrong answers reached the limit: wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Visit:
    link: SpaceLink
    verified: bool


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def start_visit(link: SpaceLink) -> None:
    """Open a visit of the link's space in this browser, ending any staff sign-in or earlier visit in it."""
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[VISIT] = {"link": link.id, "verified": False, "seen": int(time.time())}


def end_visit() -> None:
    session.pop(VISIT, None)


def current_visit() -> Visit | None:
    """Return this browser's visit if its link still opens the space and it was not left idle too long."""
    data = session.get(VISIT)
    if not isinstance(data, dict) or "_user_id" in session:
        return None
    link = db.session.get(SpaceLink, data.get("link"))
    if link is None or not link.usable(utcnow()):
        end_visit()
        return None
    now = int(time.time())
    verified = bool(data.get("verified"))
    if verified and now - int(data.get("seen", 0)) > setting("SPACE_IDLE_SECONDS"):
        verified = False  # the link still works; the second factor is asked again
    session[VISIT] = {"link": link.id, "verified": verified, "seen": now}
    return Visit(link, verified)


def factor_of(debtor: Debtor) -> Factor | None:
    """Return what the debtor is asked at the door; None when nothing on file can be asked."""
    if debtor.siren:
        return Factor.SIREN
    return Factor.POSTCODE if _postcodes(debtor) else None


def normalise(answer: str) -> str:
    """Compare answers without their spaces, dots, dashes or case ("69 002", "732 829 320")."""
    return _NOT_ALNUM.sub("", (answer or "").upper())[:32]


def _postcodes(debtor: Debtor) -> set[str]:
    return {normalise(c.postcode) for c in debtor.contact_points
            if c.kind == ContactKind.ADDRESS and c.usable and normalise(c.postcode)}


def _expected(debtor: Debtor, factor: Factor) -> set[str]:
    return {normalise(debtor.siren)} if factor is Factor.SIREN else _postcodes(debtor)


def _keys(link: SpaceLink) -> tuple[str, str]:
    # Named by the token's hash, not the row id: ids come back after a rollback, hashes do not.
    return f"space:link:{link.token_hash[:24]}", f"space:address:{request.remote_addr or '-'}"


def wait_before_answer(link: SpaceLink) -> int | None:
    """Return the seconds to wait before another answer may be given for this link from this address."""
    window = setting("SPACE_ATTEMPT_WINDOW")
    link_key, address_key = _keys(link)
    waits = [blocked_for(link_key, setting("SPACE_ATTEMPTS_PER_LINK"), window),
             blocked_for(address_key, setting("SPACE_ATTEMPTS_PER_ADDRESS"), window)]
    waits = [w for w in waits if w]
    return max(waits) if waits else None


def verify(link: SpaceLink, answer: str) -> bool:
    """Check the second factor of the link's debtor; count and audit the answer. Raise TooManyAttempts."""
    debtor = link.case.debtor
    factor = factor_of(debtor)
    if (wait := wait_before_answer(link)) is not None:
        _audit(link, "space.answer_refused", factor, retry_after=wait)
        raise TooManyAttempts(wait)
    if factor is not None and normalise(answer) in _expected(debtor, factor):
        now = utcnow()
        link.first_verified_at = link.first_verified_at or now
        link.last_verified_at = now
        session[VISIT] = {"link": link.id, "verified": True, "seen": int(time.time())}
        _audit(link, "space.verified", factor)
        return True
    link.failed_attempts += 1
    window = setting("SPACE_ATTEMPT_WINDOW")
    link_key, address_key = _keys(link)
    retry_after(link_key, setting("SPACE_ATTEMPTS_PER_LINK"), window)
    retry_after(address_key, setting("SPACE_ATTEMPTS_PER_ADDRESS"), window)
    _audit(link, "space.answer_wrong", factor, failed_attempts=link.failed_attempts)
    if link.failed_attempts >= setting("SPACE_LINK_FAILURE_CEILING"):
        revoke_link(link, actor=None, reason="too_many_wrong_answers")
    return False


def _audit(link: SpaceLink, action: str, factor: Factor | None, **after: object) -> None:
    audit.record(action, actor=None, actor_label="debtor", subject=link,
                 after={"case_id": link.case_id, "factor": factor.value if factor else "none", **after})


def visible_cases(link: SpaceLink) -> list[Case]:
    """Return the cases a visit of this link may see: its own, and with grouping allowed, the debtor's
    other open cases of the same client (never another client's)."""
    case = link.case
    cases = [case]
    if get_settings().group_cases:
        cases += db.session.scalars(
            sa.select(Case).where(
                Case.debtor_id == case.debtor_id, Case.client_id == case.client_id, Case.id != case.id,
                Case.status.not_in([CaseStatus.PAID.value, CaseStatus.CLOSED.value]),
            ).order_by(Case.id)
        ).all()
    return cases


def visible_case(visit: Visit, case_id: int) -> Case | None:
    """Return the case `case_id` if this visit may see it."""
    return next((c for c in visible_cases(visit.link) if c.id == case_id), None)
