"""The contact rules: may we contact this debtor, by this channel, on this contact point, now?

One pure function, `check_contact`, reads a jurisdiction's `ContactProfile` (data the agency edits,
DESIGN.md §4) and the facts the caller gathered (holds, contact points, the case's earlier calls) and
answers with a `Verdict`. It reads no table and never imports `cases`: `cases.contact_rules` gathers
the facts of a case and is what the rest of the application calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _

from agency import audit
from agency.db import utcnow
from agency.models import User
from debtors.models import UNUSABLE_STATUSES, ContactKind, ContactPoint, ContactProfile, Hold, HoldKind

CHANNELS = ("phone", "sms", "email", "post")
CHANNEL_KIND = {"phone": ContactKind.PHONE, "sms": ContactKind.PHONE, "email": ContactKind.EMAIL,
                "post": ContactKind.ADDRESS}
# A hold of these kinds stops every contact on every case of the debtor; a dispute only its own case.
DEBTOR_HOLDS = (HoldKind.INSOLVENCY, HoldKind.OVER_INDEBTEDNESS, HoldKind.DECEASED, HoldKind.CEASE_COMMUNICATION)
FALLBACK_TIMEZONE = "Europe/Paris"
# Looking further than this for an open window means the profile allows (almost) none.
SEARCH_DAYS = 60
_RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Verdict:
    """The answer of the contact rules: allowed or not, why (a code and a text) and from when."""

    allowed: bool
    reason: str = ""
    detail: str = ""
    next_allowed_at: datetime | None = None  # UTC; None when allowed or when no date can be known


ALLOWED = Verdict(True)


def check_contact(
    profile: ContactProfile,
    channel: str,
    *,
    at: datetime,
    timezone: str,
    holds: Iterable[Hold] = (),
    contact_points: Sequence[ContactPoint] = (),
    contact_point: ContactPoint | None = None,
    case_id: int | None = None,
    call_attempts: Iterable[datetime] = (),
    last_conversation_at: datetime | None = None,
    about_dispute: bool = False,
    incoming: bool = False,
) -> Verdict:
    """Tell whether contacting the debtor by `channel` at `at` is allowed, and if not why and from when.

    `contact_point` is the point to use; without one, any usable point of the debtor (`contact_points`)
    will do. `call_attempts` are the times of the case's earlier outbound call attempts and
    `last_conversation_at` the time of its last telephone conversation; both only matter for calls.
    An `incoming` contact is one the debtor started (they called us): only the holds apply to it, since
    hours, caps, waits and the state of the number they called from restrain what we start.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    at = _as_utc(at)
    hold = _hold_verdict(holds, at, case_id, about_dispute)
    if incoming:
        return hold or ALLOWED
    return (
        hold
        or _contact_point_verdict(channel, contact_point, contact_points)
        or _time_verdict(profile, channel, at, timezone, call_attempts, last_conversation_at)
        or ALLOWED
    )


# --- holds -------------------------------------------------------------------------------------


def _hold_verdict(holds: Iterable[Hold], at: datetime, case_id: int | None, about_dispute: bool) -> Verdict | None:
    # A hold counts until it is ended; one opened after `at` still blocks, since asking about the
    # past is rare and blocking too much is the safe side.
    active = [h for h in holds if h.ended_at is None or _as_utc(h.ended_at) > at]
    for kind in DEBTOR_HOLDS:
        if any(h.kind == kind for h in active):
            return Verdict(False, f"hold_{kind}", _hold_detail(kind))
    if not about_dispute and case_id is not None:
        if any(h.kind == HoldKind.DISPUTE and h.case_id == case_id for h in active):
            return Verdict(False, "hold_dispute", _("The case is disputed: contact only about the dispute "
                                                    "until a manager resolves it."))
    return None


def _hold_detail(kind: str) -> str:
    texts = {
        HoldKind.INSOLVENCY: _("Insolvency proceedings: individual collection has stopped. Declare the "
                               "claim to the court-appointed representative instead."),
        HoldKind.OVER_INDEBTEDNESS: _("Over-indebtedness file: the debtor may not pay earlier debts; "
                                      "do not ask for payment."),
        HoldKind.DECEASED: _("The debtor is deceased: no collection contact."),
        HoldKind.CEASE_COMMUNICATION: _("The debtor asked us to stop all communication."),
    }
    return texts[kind]


# --- contact points ----------------------------------------------------------------------------


def _contact_point_verdict(
    channel: str, contact_point: ContactPoint | None, contact_points: Sequence[ContactPoint]
) -> Verdict | None:
    kind = CHANNEL_KIND[channel]
    if contact_point is not None:
        if contact_point.kind != kind:
            raise ValueError(f"a {contact_point.kind} contact point cannot be used for {channel}")
        return _unusable_verdict(contact_point)
    candidates = [cp for cp in contact_points if cp.kind == kind]
    if any(cp.usable for cp in candidates):
        return None
    if not candidates:
        return Verdict(False, "no_contact_point", _("No contact point for this channel."))
    # Every candidate is unusable: an opt-out says more to the collector than a wrong number.
    candidates.sort(key=lambda cp: cp.opted_out_at is None)
    return _unusable_verdict(candidates[0])


def _unusable_verdict(contact_point: ContactPoint) -> Verdict | None:
    if contact_point.opted_out_at is not None:
        return Verdict(False, "opted_out", _("The debtor opted out of contact on this point."))
    if contact_point.status in UNUSABLE_STATUSES:
        return Verdict(False, "wrong_contact", _("This contact point is wrong or bounced."))
    return None


# --- hours, holidays, call cap -----------------------------------------------------------------


def _time_verdict(
    profile: ContactProfile,
    channel: str,
    at: datetime,
    timezone: str,
    call_attempts: Iterable[datetime],
    last_conversation_at: datetime | None,
) -> Verdict | None:
    tz = zone(timezone)
    blocked: list[tuple[str, datetime]] = []  # (reason, not before), the longest-lasting first
    if channel == "phone":
        wait_end = conversation_wait_end(profile, last_conversation_at)
        if wait_end is not None and wait_end > at:
            blocked.append(("conversation_wait", wait_end))
        cap_end = call_cap_end(profile, call_attempts, at)
        if cap_end is not None and cap_end > at:
            blocked.append(("call_cap", cap_end))
    if channel in profile.hours_channels:
        if profile.no_contact_on_holidays and is_holiday(profile.holiday_country, at.astimezone(tz).date()):
            blocked.append(("holiday", at))
        elif not in_window(profile, at, tz):
            blocked.append(("outside_hours", at))
    if not blocked:
        return None
    not_before = max(when for _reason, when in blocked)
    reason = max(blocked, key=lambda item: item[1])[0]
    next_at = next_open(profile, channel, not_before, tz)
    return Verdict(False, reason, _time_detail(reason, profile, at, next_at, tz), next_at)


def conversation_wait_end(profile: ContactProfile, last_conversation_at: datetime | None) -> datetime | None:
    """Return when calls may resume after the last conversation, or None if the profile has no wait."""
    if last_conversation_at is None or not profile.conversation_wait_days:
        return None
    return _as_utc(last_conversation_at) + timedelta(days=profile.conversation_wait_days)


def call_cap_end(profile: ContactProfile, call_attempts: Iterable[datetime], at: datetime) -> datetime | None:
    """Return when the rolling cap lets one more call through (at or before `at` if it does now).

    An attempt counts during the `call_cap_days` days that follow it. With `cap` attempts already in
    the window, the next call waits until the oldest of the last `cap` attempts leaves it.
    """
    if not profile.call_cap:
        return None
    window = timedelta(days=profile.call_cap_days)
    recent = sorted((a for a in map(_as_utc, call_attempts) if a <= at and a > at - window), reverse=True)
    if len(recent) < profile.call_cap:
        return None
    return recent[profile.call_cap - 1] + window


def in_window(profile: ContactProfile, at: datetime, tz: ZoneInfo) -> bool:
    """Tell whether `at`, read on the debtor's wall clock, falls in one of the day's windows."""
    local = at.astimezone(tz)
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return any(start * 60 <= seconds < end * 60 for start, end in day_ranges(profile, local.isoweekday()))


def next_open(profile: ContactProfile, channel: str, start: datetime, tz: ZoneInfo) -> datetime | None:
    """Return the first instant at or after `start` when the profile's hours allow `channel`."""
    if channel not in profile.hours_channels or _open_now(profile, start, tz):
        return start
    local_day = start.astimezone(tz).date()
    for offset in range(SEARCH_DAYS):
        day = local_day + timedelta(days=offset)
        # A window opens when the wall clock reaches its start, or jumps into it at a clock change.
        candidates = {i for start_minutes, _end in day_ranges(profile, day.isoweekday())
                      for i in _instants(day, start_minutes, tz)}
        candidates.update(_clock_changes(day, tz))
        for candidate in sorted(candidates):
            if candidate > start and _open_now(profile, candidate, tz):
                return candidate
    return None


def _open_now(profile: ContactProfile, at: datetime, tz: ZoneInfo) -> bool:
    if profile.no_contact_on_holidays and is_holiday(profile.holiday_country, at.astimezone(tz).date()):
        return False
    return in_window(profile, at, tz)


def _instants(day: date, minutes: int, tz: ZoneInfo) -> list[datetime]:
    # A wall-clock time may occur twice (autumn) or never (spring): try both folds, earliest first.
    wall = datetime.combine(day, time(minutes // 60, minutes % 60))
    return sorted({wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)})


def _clock_changes(day: date, tz: ZoneInfo) -> list[datetime]:
    """Return the instant the clock changes on `day` (daylight saving), if it does."""
    low = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    high = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    after = high.astimezone(tz).utcoffset()
    if low.astimezone(tz).utcoffset() == after:
        return []
    while high - low > timedelta(seconds=1):  # the first second with the new offset
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return [high]


def day_ranges(profile: ContactProfile, isoweekday: int) -> list[tuple[int, int]]:
    """Return the windows of a weekday as sorted (start, end) minutes after local midnight."""
    ranges = (profile.windows or {}).get(str(isoweekday)) or []
    return sorted((_minutes(start), _minutes(end)) for start, end in ranges)


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays_lib.country_holidays(country, years=year))


def is_holiday(country: str, day: date) -> bool:
    """Tell whether `day` is a public holiday in `country` (ISO code, as the holidays library knows it)."""
    return day in _holidays(country, day.year)


def holiday_countries() -> list[str]:
    """Return the country codes the holidays library knows."""
    return sorted(holidays_lib.list_supported_countries())


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone `name`, or the agency's home zone when the name is unknown."""
    try:
        return ZoneInfo(name or FALLBACK_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_TIMEZONE)


def _time_detail(reason: str, profile: ContactProfile, at: datetime, next_at: datetime | None, tz: ZoneInfo) -> str:
    local_now = local_text(at, tz)
    texts = {
        "conversation_wait": _("No call within %(days)s days of a conversation with the debtor.",
                               days=profile.conversation_wait_days),
        "call_cap": _("Call cap reached: %(cap)s attempts in %(days)s days.", cap=profile.call_cap,
                      days=profile.call_cap_days),
        "holiday": _("Public holiday for the debtor (%(now)s, debtor's time).", now=local_now),
        "outside_hours": _("Outside the contact hours (%(now)s, debtor's time).", now=local_now),
    }
    text = texts[reason]
    if next_at is not None:
        text += " " + _("Allowed from %(when)s (debtor's time).", when=local_text(next_at, tz))
    return text


def local_text(moment: datetime, tz: ZoneInfo) -> str:
    """Write `moment` as the debtor reads it on their own clock, e.g. "lun. 23 nov. 22:00"."""
    try:
        locale = str(get_locale() or "fr")
    except RuntimeError:  # outside an application context
        locale = "fr"
    return format_datetime(moment.astimezone(tz), "EEE d MMM HH:mm", tzinfo=tz, locale=locale)


def _as_utc(moment: datetime) -> datetime:
    # Stored times are aware; a naive one can only mean UTC here.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- windows as the agency writes them ---------------------------------------------------------


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def parse_ranges(text: str) -> list[list[str]]:
    """Read "10:00-13:00, 14:00-20:00" into [["10:00", "13:00"], ["14:00", "20:00"]]; "" is no window.

    Raises ValueError with a translated message on a malformed range, an end before its start or
    overlapping ranges.
    """
    ranges: list[tuple[int, int]] = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        match = _RANGE_RE.match(part)
        if not match:
            raise ValueError(_("“%(range)s” is not a range such as 10:00-13:00.", range=part))
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or h1 > 23 or end > 24 * 60:
            raise ValueError(_("“%(range)s” is not a time of day.", range=part))
        if end <= start:
            raise ValueError(_("“%(range)s” ends before it starts.", range=part))
        ranges.append((start, end))
    ranges.sort()
    for (s1, e1), (s2, e2) in zip(ranges, ranges[1:], strict=False):
        if s2 < e1:
            raise ValueError(_("The ranges %(first)s and %(second)s overlap.", first=format_range(s1, e1),
                               second=format_range(s2, e2)))
    return [[_hhmm(s), _hhmm(e)] for s, e in ranges]


def format_range(start: int, end: int) -> str:
    """Write a (start, end) range of minutes as "10:00-13:00"."""
    return f"{_hhmm(start)}-{_hhmm(end)}"


def format_ranges(ranges: Iterable[Sequence[str]]) -> str:
    """Write stored ranges back as the agency types them: "10:00-13:00, 14:00-20:00"."""
    return ", ".join(f"{start}-{end}" for start, end in ranges)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


PROFILE_FIELDS = ("windows", "hours_channels", "no_contact_on_holidays", "holiday_country", "call_cap",
                  "call_cap_days", "conversation_wait_days")


def update_profile(profile: ContactProfile, *, actor: User | None, **values) -> dict:
    """Change the rules of a jurisdiction profile and audit what changed; the caller commits."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not a contact profile field: {', '.join(sorted(unknown))}")
    if values.get("holiday_country", profile.holiday_country) not in holiday_countries():
        raise ValueError(f"unknown holiday country {values['holiday_country']!r}")
    before, after = audit.changes(profile, **values)
    if after:
        profile.updated_at = utcnow()
        audit.record("contact_profile.updated", actor=actor, subject=profile, before=before, after=after)
    return after
