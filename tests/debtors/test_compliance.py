"""The contact rules themselves: time windows, holidays, call cap, wait, contact points and holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
import sqlalchemy as sa
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agency.models import AuditEvent
from debtors.compliance import (
    CHANNELS,
    call_cap_end,
    check_contact,
    format_ranges,
    parse_ranges,
    update_profile,
)
from debtors.models import ContactPoint, ContactProfile, Hold
from tests import factories

# The profiles as migration 0002 ships them (LEGAL-FR.md §8).
FR = {
    "code": "FR",
    "name": "France",
    "windows": {str(d): [["10:00", "13:00"], ["14:00", "20:00"]] for d in range(1, 6)},
    "hours_channels": ["phone", "sms"],
    "no_contact_on_holidays": True,
    "holiday_country": "FR",
    "call_cap": 4,
    "call_cap_days": 30,
    "conversation_wait_days": 0,
}
US = {
    "code": "US",
    "name": "United States (Regulation F)",
    "windows": {str(d): [["08:00", "21:00"]] for d in range(1, 8)},
    "hours_channels": ["phone", "sms", "email"],
    "no_contact_on_holidays": False,
    "holiday_country": "US",
    "call_cap": 7,
    "call_cap_days": 7,
    "conversation_wait_days": 7,
}
ZONES = ["Europe/Paris", "America/New_York", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"]
# Daylight-saving changes of 2026 in the two zones the agency works in most.
DST_CHANGES = [
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # Europe/Paris, 02:00 → 03:00
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # Europe/Paris, 03:00 → 02:00
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # America/New_York, 02:00 → 03:00
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),  # America/New_York, 02:00 → 01:00
]
MONDAY_NOON_PARIS = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Paris, a working Monday
ANY_TIME = {**FR, "hours_channels": [], "no_contact_on_holidays": False}  # only the cap and the wait


def profile(base: dict = FR, **changes) -> ContactProfile:
    return ContactProfile(**{**base, **changes})


def phone(**fields) -> ContactPoint:
    return ContactPoint(id=fields.pop("id", 1), kind="phone", value="+33612345678", **fields)


def check(prof: ContactProfile, at: datetime, channel: str = "phone", tz: str = "Europe/Paris", **facts):
    facts.setdefault("contact_points", [phone(), ContactPoint(id=2, kind="email", value="a@example.com"),
                                        ContactPoint(id=3, kind="address", city="Lyon", postcode="69001")])
    return check_contact(prof, channel, at=at, timezone=tz, **facts)


def in_windows_oracle(prof: ContactProfile, at: datetime, tz: str) -> bool:
    """Read the windows the way a person would: the debtor's wall clock, "HH:MM" against the ranges."""
    local = at.astimezone(ZoneInfo(tz))
    if prof.no_contact_on_holidays and local.date() in holidays.country_holidays(prof.holiday_country,
                                                                                years=local.year):
        return False
    hhmm = local.strftime("%H:%M")
    return any(start <= hhmm < end for start, end in prof.windows.get(str(local.isoweekday()), []))


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
near_dst = st.builds(lambda change, minutes: change + timedelta(minutes=minutes),
                     st.sampled_from(DST_CHANGES), st.integers(-3 * 24 * 60, 3 * 24 * 60))


@st.composite
def day_windows(draw) -> list[list[str]]:
    """Draw sorted, non-overlapping ranges of whole minutes within a day."""
    bounds = sorted(draw(st.sets(st.integers(0, 24 * 60), min_size=0, max_size=6)))
    pairs = list(zip(bounds[::2], bounds[1::2], strict=False))
    return [[f"{s // 60:02d}:{s % 60:02d}", f"{e // 60:02d}:{e % 60:02d}"] for s, e in pairs]


random_profiles = st.builds(
    lambda windows, holidays_off, country: profile(
        windows={str(d): w for d, w in enumerate(windows, 1) if w},
        no_contact_on_holidays=not holidays_off,
        holiday_country=country,
    ),
    st.lists(day_windows(), min_size=7, max_size=7),
    st.booleans(),
    st.sampled_from(["FR", "US", "DE"]),
)


# --- time windows (property tests) --------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(at=instants | near_dst, tz=st.sampled_from(ZONES), prof=st.sampled_from([profile(FR), profile(US)]) | random_profiles)
def test_a_call_is_allowed_exactly_inside_the_local_windows(at, tz, prof):
    verdict = check(prof, at, tz=tz)
    assert verdict.allowed == in_windows_oracle(prof, at, tz)
    if not verdict.allowed:
        assert verdict.reason in ("outside_hours", "holiday")


@settings(max_examples=200, deadline=None)
@given(at=instants | near_dst, tz=st.sampled_from(ZONES), prof=st.sampled_from([profile(FR), profile(US)]) | random_profiles,
       fraction=st.floats(0, 1, exclude_max=True))
def test_next_allowed_at_is_the_first_open_instant(at, tz, prof, fraction):
    verdict = check(prof, at, tz=tz)
    assume(not verdict.allowed and verdict.next_allowed_at is not None)
    nxt = verdict.next_allowed_at
    assert nxt > at and nxt.tzinfo is not None and nxt.utcoffset() == timedelta(0)
    assert check(prof, nxt, tz=tz).allowed
    assert in_windows_oracle(prof, nxt, tz)
    # Nothing opens earlier: any instant between the refusal and the opening is refused too.
    between = min(at + (nxt - at) * fraction, nxt - timedelta(microseconds=1))
    assert not check(prof, between, tz=tz).allowed
    assert not check(prof, nxt - timedelta(seconds=1), tz=tz).allowed or nxt - timedelta(seconds=1) < at


@settings(max_examples=200, deadline=None)
@given(at=near_dst, tz=st.sampled_from(["Europe/Paris", "America/New_York"]))
def test_the_windows_follow_the_wall_clock_across_daylight_saving_changes(at, tz):
    for prof in (profile(FR), profile(US)):
        assert check(prof, at, tz=tz).allowed == in_windows_oracle(prof, at, tz)


@settings(max_examples=100, deadline=None)
@given(at=instants, tz=st.sampled_from(ZONES))
def test_letters_ignore_the_hours(at, tz):
    assert check(profile(FR), at, "post", tz=tz).allowed
    assert check(profile(US), at, "post", tz=tz).allowed


@given(windows=day_windows())
def test_typed_windows_read_back_as_written(windows):
    assert parse_ranges(format_ranges(windows)) == windows


def test_daylight_saving_days_in_paris_and_new_york():
    us = profile(US)
    # Paris springs forward on Sunday 29 March 2026: 08:00 local is 06:00 UTC that day, 07:00 UTC the day before.
    assert check(us, datetime(2026, 3, 28, 7, 0, tzinfo=UTC)).allowed
    assert not check(us, datetime(2026, 3, 28, 6, 59, tzinfo=UTC)).allowed
    assert check(us, datetime(2026, 3, 29, 6, 0, tzinfo=UTC)).allowed
    assert not check(us, datetime(2026, 3, 29, 5, 59, tzinfo=UTC)).allowed
    # New York falls back on Sunday 1 November 2026: 21:00 local is 01:00 UTC on the 1st (EDT), 02:00 UTC on the 2nd.
    ny = "America/New_York"
    assert not check(us, datetime(2026, 11, 1, 1, 0, tzinfo=UTC), tz=ny).allowed
    assert check(us, datetime(2026, 11, 2, 1, 59, tzinfo=UTC), tz=ny).allowed
    assert not check(us, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), tz=ny).allowed
    # Refused at 07:30 EST: allowed again at 08:00 EST, 13:00 UTC.
    verdict = check(us, datetime(2026, 11, 1, 12, 30, tzinfo=UTC), tz=ny)
    assert verdict.next_allowed_at == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_a_window_lost_to_the_spring_change_opens_the_next_day():
    # 02:00-03:00 does not exist in Paris on 29 March 2026.
    night = profile(FR, windows={str(d): [["02:00", "03:00"]] for d in range(1, 8)}, no_contact_on_holidays=False)
    verdict = check(night, datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    assert verdict.reason == "outside_hours"
    assert verdict.next_allowed_at == datetime(2026, 3, 30, 0, 0, tzinfo=UTC)  # 02:00 CEST on the 30th


def test_a_window_repeated_by_the_autumn_change_is_open_both_times():
    night = profile(US, windows={"7": [["01:00", "02:00"]]})
    ny = "America/New_York"
    assert check(night, datetime(2026, 11, 1, 5, 30, tzinfo=UTC), tz=ny).allowed  # 01:30 EDT
    assert check(night, datetime(2026, 11, 1, 6, 30, tzinfo=UTC), tz=ny).allowed  # 01:30 EST
    assert not check(night, datetime(2026, 11, 1, 7, 0, tzinfo=UTC), tz=ny).allowed  # 02:00 EST


# --- call cap and wait (property tests) ---------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    cap=st.integers(1, 8),
    days=st.integers(1, 30),
    gaps=st.lists(st.integers(1, 3 * 24 * 60), min_size=1, max_size=40),
)
def test_never_more_calls_than_the_cap_in_any_rolling_window(cap, days, gaps):
    prof = profile(ANY_TIME, call_cap=cap, call_cap_days=days)
    window = timedelta(days=days)
    made: list[datetime] = []
    at = MONDAY_NOON_PARIS
    for gap in gaps:
        at += timedelta(minutes=gap)
        verdict = check(prof, at, call_attempts=made)
        in_window = [a for a in made if a > at - window]
        # Refused exactly when the cap is used up, and then until the oldest counted attempt leaves the window.
        assert verdict.allowed == (len(in_window) < cap)
        if verdict.allowed:
            made.append(at)
        else:
            assert verdict.reason == "call_cap"
            assert verdict.next_allowed_at == sorted(in_window)[-cap] + window
            assert check(prof, verdict.next_allowed_at, call_attempts=made).allowed
            assert not check(prof, verdict.next_allowed_at - timedelta(seconds=1), call_attempts=made).allowed
    for a in made:
        assert sum(1 for b in made if a - window < b <= a) <= cap


@settings(max_examples=200, deadline=None)
@given(minutes_since=st.integers(0, 20 * 24 * 60), wait=st.integers(0, 14))
def test_no_call_in_the_wait_after_a_conversation(minutes_since, wait):
    prof = profile(ANY_TIME, call_cap=None, conversation_wait_days=wait)
    conversation = MONDAY_NOON_PARIS
    at = conversation + timedelta(minutes=minutes_since)
    verdict = check(prof, at, last_conversation_at=conversation)
    assert verdict.allowed == (at >= conversation + timedelta(days=wait))
    if not verdict.allowed:
        assert verdict.reason == "conversation_wait"
        assert verdict.next_allowed_at == conversation + timedelta(days=wait)
    # The wait is about calls: SMS, e-mails and letters go on.
    for channel in ("sms", "email", "post"):
        assert check(prof, at, channel, last_conversation_at=conversation).allowed


def test_calls_before_the_window_or_after_now_do_not_count():
    prof = profile(US)
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    old = [at - timedelta(days=7, seconds=1)] * 10
    future = [at + timedelta(hours=1)] * 10
    assert call_cap_end(prof, old + future, at) is None
    assert call_cap_end(profile(US, call_cap=None), [at] * 20, at) is None


# --- every reason ---------------------------------------------------------------------------------


def test_outside_hours_says_when_contact_opens_again():
    verdict = check(profile(FR), datetime(2026, 3, 6, 19, 30, tzinfo=UTC))  # Friday 20:30 in Paris
    assert (verdict.allowed, verdict.reason) == (False, "outside_hours")
    assert verdict.next_allowed_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris
    assert "20:30" in verdict.detail and "10:00" in verdict.detail
    lunch = check(profile(FR), datetime(2026, 3, 2, 12, 30, tzinfo=UTC))  # 13:30 in Paris
    assert lunch.next_allowed_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def test_the_hours_bind_only_the_profile_channels():
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    assert not check(profile(FR), saturday, "sms").allowed
    assert check(profile(FR), saturday, "email").allowed  # FR: e-mails are not bound by the hours
    assert not check(profile(US), datetime(2026, 3, 7, 6, 0, tzinfo=UTC), "email",
                     tz="America/New_York").allowed  # US: every communication is


def test_public_holiday():
    may_day = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)  # a Friday, 12:00 in Paris
    verdict = check(profile(FR), may_day)
    assert (verdict.allowed, verdict.reason) == (False, "holiday")
    assert verdict.next_allowed_at == datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST
    assert check(profile(FR, no_contact_on_holidays=False), may_day).allowed
    assert check(profile(FR, holiday_country="US"), may_day).allowed
    # Christmas Eve 21:00: the 25th is a holiday, then the weekend.
    eve = check(profile(FR), datetime(2026, 12, 24, 20, 0, tzinfo=UTC))
    assert eve.next_allowed_at == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


def test_opted_out_and_wrong_contact_points():
    at = MONDAY_NOON_PARIS
    opted = phone(opted_out_at=at - timedelta(days=1))
    assert check(profile(FR), at, contact_point=opted).reason == "opted_out"
    assert check(profile(FR), at, contact_point=phone(status="wrong")).reason == "wrong_contact"
    bounced = ContactPoint(id=4, kind="email", value="x@example.com", status="bounced")
    assert check(profile(FR), at, "email", contact_point=bounced).reason == "wrong_contact"
    assert check(profile(FR), at, contact_point=phone(status="valid")).allowed
    # Without a point named, the channel is refused only when no point of the debtor is usable.
    assert check(profile(FR), at, contact_points=[opted, phone(id=5, status="wrong")]).reason == "opted_out"
    assert check(profile(FR), at, contact_points=[opted, phone(id=5)]).allowed
    assert not check(profile(FR), at, contact_point=opted, contact_points=[opted, phone(id=5)]).allowed


def test_no_contact_point():
    for channel in CHANNELS:
        verdict = check(profile(FR), MONDAY_NOON_PARIS, channel, contact_points=[])
        assert (verdict.allowed, verdict.reason, verdict.next_allowed_at) == (False, "no_contact_point", None)


@pytest.mark.parametrize("kind", ["insolvency", "over_indebtedness", "deceased", "cease_communication"])
def test_a_debtor_hold_stops_every_channel(kind):
    hold = Hold(kind=kind, debtor_id=1)
    for channel in CHANNELS:
        verdict = check(profile(FR), MONDAY_NOON_PARIS, channel, holds=[hold], case_id=7, about_dispute=True)
        assert (verdict.allowed, verdict.reason, verdict.next_allowed_at) == (False, f"hold_{kind}", None)
        assert verdict.detail
    ended = Hold(kind=kind, debtor_id=1, ended_at=MONDAY_NOON_PARIS - timedelta(minutes=1))
    assert check(profile(FR), MONDAY_NOON_PARIS, holds=[ended]).allowed


def test_a_dispute_stops_contact_on_its_case_except_about_the_dispute():
    dispute = Hold(kind="dispute", debtor_id=1, case_id=7)
    at = MONDAY_NOON_PARIS
    assert check(profile(FR), at, holds=[dispute], case_id=7).reason == "hold_dispute"
    assert check(profile(FR), at, "post", holds=[dispute], case_id=7).reason == "hold_dispute"
    assert check(profile(FR), at, holds=[dispute], case_id=7, about_dispute=True).allowed
    assert check(profile(FR), at, holds=[dispute], case_id=8).allowed
    # Hours still apply to a call about the dispute.
    evening = check(profile(FR), at + timedelta(hours=10), holds=[dispute], case_id=7, about_dispute=True)
    assert evening.reason == "outside_hours"


def test_call_cap_and_conversation_wait_reasons():
    at = MONDAY_NOON_PARIS
    four = [at - timedelta(days=d) for d in (1, 2, 3, 29)]
    verdict = check(profile(FR), at, call_attempts=four)
    assert verdict.reason == "call_cap"
    # The oldest call (29 days ago) leaves the 30-day window tomorrow at 11:00 UTC, 12:00 in Paris.
    assert verdict.next_allowed_at == at + timedelta(days=1)
    assert check(profile(FR), at, "sms", call_attempts=four).allowed  # the cap counts calls only
    wait = check(profile(US), at, tz="America/New_York", last_conversation_at=at - timedelta(days=2))
    assert wait.reason == "conversation_wait"
    # Five days on, 11:00 UTC is 06:00 in New York: the call waits for 08:00.
    assert wait.next_allowed_at == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)


def test_the_longest_refusal_is_the_one_reported():
    friday_night = datetime(2026, 3, 6, 19, 30, tzinfo=UTC)
    capped = [friday_night - timedelta(days=1)] * 4
    verdict = check(profile(FR), friday_night, call_attempts=capped)
    assert verdict.reason == "call_cap"
    # Capped until Saturday 4 April 19:30 UTC; Monday 6 April is Easter Monday, so Tuesday 10:00 CEST.
    assert verdict.next_allowed_at == datetime(2026, 4, 7, 8, 0, tzinfo=UTC)


def test_a_hold_outranks_everything_else():
    hold = Hold(kind="deceased", debtor_id=1)
    verdict = check(profile(FR), datetime(2026, 3, 7, 23, 0, tzinfo=UTC), contact_points=[], holds=[hold])
    assert verdict.reason == "hold_deceased"


def test_bad_requests_are_refused_loudly():
    with pytest.raises(ValueError):
        check(profile(FR), MONDAY_NOON_PARIS, "fax")
    with pytest.raises(ValueError):
        check(profile(FR), MONDAY_NOON_PARIS, "email", contact_point=phone())


def test_an_unknown_time_zone_falls_back_to_paris():
    assert check(profile(FR), MONDAY_NOON_PARIS, tz="Mars/Olympus").allowed
    assert not check(profile(FR), MONDAY_NOON_PARIS + timedelta(hours=9), tz="Mars/Olympus").allowed


# --- windows as typed, and the profiles stored -----------------------------------------------------


def test_parse_ranges():
    assert parse_ranges("14:00-20:00, 10:00-13:00") == [["10:00", "13:00"], ["14:00", "20:00"]]
    assert parse_ranges(" 8:00 - 21:00 ") == [["08:00", "21:00"]]
    assert parse_ranges("") == []
    assert parse_ranges("00:00-24:00") == [["00:00", "24:00"]]
    with pytest.raises(ValueError, match="n’est pas une plage"):
        parse_ranges("10h-13h")
    with pytest.raises(ValueError, match="se termine avant de commencer"):
        parse_ranges("13:00-10:00")
    with pytest.raises(ValueError, match="n’est pas une heure de la journée"):
        parse_ranges("10:00-25:00")
    with pytest.raises(ValueError, match="se chevauchent"):
        parse_ranges("10:00-13:00, 12:00-14:00")


def test_the_shipped_profiles(db_session):
    stored = {p.code: p for p in db_session.scalars(sa.select(ContactProfile))}
    for expected in (FR, US):
        row = stored[expected["code"]]
        assert {k: getattr(row, k) for k in expected} == expected


def test_update_profile_changes_and_audits(db_session):
    admin = factories.user("admin")
    fr = db_session.scalar(sa.select(ContactProfile).where(ContactProfile.code == "FR"))
    changed = update_profile(fr, actor=admin, call_cap=3, windows={"1": [["09:00", "12:00"]]})
    db_session.flush()
    assert set(changed) == {"call_cap", "windows"}
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "contact_profile.updated"))
    assert event.actor_id == admin.id and event.before["call_cap"] == 4 and event.after["call_cap"] == 3
    assert not check(fr, MONDAY_NOON_PARIS).allowed  # Monday 12:00 is now outside 09:00-12:00
    assert update_profile(fr, actor=admin, call_cap=3) == {}
    with pytest.raises(ValueError):
        update_profile(fr, actor=admin, holiday_country="XX")
    with pytest.raises(ValueError):
        update_profile(fr, actor=admin, code="DE")


def test_holidays_are_those_of_the_debtors_local_date():
    # 23:30 UTC on 13 July is already 14 July (Bastille Day) in Paris.
    us_hours_fr_holidays = profile(US, no_contact_on_holidays=True, holiday_country="FR")
    verdict = check(us_hours_fr_holidays, datetime(2026, 7, 13, 23, 30, tzinfo=UTC), tz="Asia/Kolkata")
    assert verdict.reason == "holiday" and date(2026, 7, 14) in holidays.country_holidays("FR", years=2026)
