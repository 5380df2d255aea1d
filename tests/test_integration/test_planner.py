"""The publication schedule: pure planner functions, against hand-made clocks and states.

Times are written as Brussels wall-clock times and handed to the planner in UTC, like the
coordinator does (it passes ``dt_util.utcnow()``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import REVISION_DAYS
from custom_components.fluvius.planner import (
    REREAD_DAYS,
    REREAD_FALLBACK_HOUR,
    SCHEDULES,
    Plan,
    PollState,
    PublicationSchedule,
    expected_day,
    failed,
    fetched,
    peaks_due,
    peaks_fetched,
    plan,
    settled,
)

ELEC = SCHEDULES[MeterType.ELECTRICITY]
GAS = SCHEDULES[MeterType.GAS]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# A plain summer week (CEST, UTC+2): on June 10 from 06:00, June 9 is the expected day.
TODAY = date(2026, 6, 10)
EXPECTED = date(2026, 6, 9)
# The state at start: nothing remembered.
FRESH = PollState()


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """Brussels wall-clock time on ``day``, as a UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS).astimezone(UTC)


def decide(
    now: datetime,
    state: PollState = FRESH,
    *,
    newest_day: date | None,
    schedule: PublicationSchedule = ELEC,
    last_update_success: bool = True,
) -> Plan:
    """``plan`` with the defaults of a healthy electricity meter."""
    return plan(
        now, state, schedule, newest_day=newest_day, last_update_success=last_update_success
    )


def reread_today(now: datetime) -> PollState:
    """A state whose re-read of the local day of ``now`` is already done."""
    return PollState(last_reread=now.astimezone(BRUSSELS).date())


def request_hours(
    start: datetime,
    hours: int,
    state: PollState,
    *,
    newest_day: date,
    last_update_success: bool = True,
) -> list[int]:
    """Tick hourly while no new data arrives (every request answers without the due day);
    the local hours at which the overview was asked for."""
    asked = []
    now = start
    for _ in range(hours):
        decision = decide(
            now, state, newest_day=newest_day, last_update_success=last_update_success
        )
        state = decision.state
        if decision.overview is not None:
            asked.append(now.astimezone(BRUSSELS).hour)
            state = fetched(state, now, decision.overview, expected_published=False, new_data=False)
        state = settled(state, now, ELEC, newest_day=newest_day)
        now += HOUR
    return asked


# ---------------------------------------------------------------- schedules and due days


def test_schedules_and_constants() -> None:
    assert REREAD_DAYS == REVISION_DAYS == 8
    assert REREAD_FALLBACK_HOUR == 21
    assert (
        PublicationSchedule(
            delay_days=1,
            first_hour=6,
            patience=timedelta(hours=3),
            slow_retry_every=timedelta(hours=4),
            day_start_hour=0,
        )
        == ELEC
    )
    assert replace(GAS, delay_days=1, day_start_hour=0) == ELEC
    assert (GAS.delay_days, GAS.day_start_hour) == (3, 6)
    assert set(SCHEDULES) == set(MeterType)


def test_electricity_day_is_first_looked_for_the_next_morning_at_six() -> None:
    assert expected_day(utc(TODAY, 5, 59), ELEC) == EXPECTED - DAY
    assert expected_day(utc(TODAY, 6, 0), ELEC) == EXPECTED
    assert expected_day(utc(TODAY, 23, 59), ELEC) == EXPECTED
    assert expected_day(utc(TODAY + DAY, 0, 30), ELEC) == EXPECTED  # midnight changes nothing
    # 06:00 CEST is 04:00 UTC.
    assert expected_day(datetime(2026, 6, 10, 4, tzinfo=UTC), ELEC) == EXPECTED
    assert expected_day(datetime(2026, 6, 10, 3, 59, tzinfo=UTC), ELEC) == EXPECTED - DAY


def test_gas_day_is_first_looked_for_three_days_later_at_six() -> None:
    # Gas day June 7 (06:00 June 7 to 06:00 June 8) falls due on June 10 at 06:00.
    assert expected_day(utc(TODAY, 5, 59), GAS) == date(2026, 6, 6)
    assert expected_day(utc(TODAY, 6, 0), GAS) == date(2026, 6, 7)


def test_due_days_on_spring_forward() -> None:
    """March 29, 2026: 02:00 CET becomes 03:00 CEST; the day has 23 hours."""
    # Before the change: 06:00 CET on March 28 is 05:00 UTC.
    assert expected_day(datetime(2026, 3, 28, 4, 59, tzinfo=UTC), ELEC) == date(2026, 3, 26)
    assert expected_day(datetime(2026, 3, 28, 5, tzinfo=UTC), ELEC) == date(2026, 3, 27)
    # On the day itself, 06:00 CEST is 04:00 UTC: an hour earlier in UTC.
    assert expected_day(datetime(2026, 3, 29, 3, 59, tzinfo=UTC), ELEC) == date(2026, 3, 27)
    assert expected_day(datetime(2026, 3, 29, 4, tzinfo=UTC), ELEC) == date(2026, 3, 28)
    # The short day itself is due the next morning at 06:00 CEST.
    assert expected_day(datetime(2026, 3, 30, 3, 59, tzinfo=UTC), ELEC) == date(2026, 3, 28)
    assert expected_day(datetime(2026, 3, 30, 4, tzinfo=UTC), ELEC) == date(2026, 3, 29)


def test_due_days_on_fall_back() -> None:
    """October 25, 2026: 03:00 CEST becomes 02:00 CET; the day has 25 hours."""
    assert expected_day(datetime(2026, 10, 24, 4, tzinfo=UTC), ELEC) == date(2026, 10, 23)
    # 06:00 CET is 05:00 UTC; 04:00 UTC is still 05:00 CET, after the change.
    assert expected_day(datetime(2026, 10, 25, 4, tzinfo=UTC), ELEC) == date(2026, 10, 23)
    assert expected_day(datetime(2026, 10, 25, 4, 59, tzinfo=UTC), ELEC) == date(2026, 10, 23)
    assert expected_day(datetime(2026, 10, 25, 5, tzinfo=UTC), ELEC) == date(2026, 10, 24)
    # The long day, and the long gas day that holds the night of the change (06:00 October
    # 24 to 06:00 October 25, CET), fall due at 06:00 CET.
    assert expected_day(datetime(2026, 10, 26, 5, tzinfo=UTC), ELEC) == date(2026, 10, 25)
    assert expected_day(datetime(2026, 10, 27, 4, 59, tzinfo=UTC), GAS) == date(2026, 10, 23)
    assert expected_day(datetime(2026, 10, 27, 5, tzinfo=UTC), GAS) == date(2026, 10, 24)


def test_due_day_does_not_depend_on_the_time_zone_of_now() -> None:
    instant = datetime(2026, 6, 10, 4, tzinfo=UTC)
    new_york = instant.astimezone(ZoneInfo("America/New_York"))  # still June 10 00:00 there
    assert expected_day(new_york, ELEC) == expected_day(instant, ELEC) == EXPECTED


# ---------------------------------------------------------------- the overview window


def test_nothing_due_while_the_expected_day_is_held() -> None:
    now = utc(TODAY, 12)
    decision = decide(now, reread_today(now), newest_day=EXPECTED)
    assert decision == Plan(expected=EXPECTED, overview=None, state=reread_today(now))


def test_nothing_due_before_the_first_hour() -> None:
    """Before 06:00 the previous day is still the expected one, and no re-read starts yet
    although the local date changed at midnight."""
    now = utc(TODAY, 5)
    state = PollState(last_reread=TODAY - DAY, reread_until=EXPECTED - DAY)
    decision = decide(now, state, newest_day=EXPECTED - DAY)
    assert decision.expected == EXPECTED - DAY
    assert decision.overview is None
    assert decision.state == state


def test_missing_day_asks_from_the_day_after_the_newest_held() -> None:
    now = utc(TODAY, 6)
    decision = decide(now, reread_today(now), newest_day=EXPECTED - 2 * DAY)
    assert decision.overview == (EXPECTED - DAY, EXPECTED)
    assert decision.state.last_attempt == now


def test_missing_days_reach_back_reread_days_minus_one_at_most() -> None:
    now = utc(TODAY, 6)
    window = (EXPECTED - (REREAD_DAYS - 1) * DAY, EXPECTED)
    assert decide(now, reread_today(now), newest_day=EXPECTED - 30 * DAY).overview == window
    assert decide(now, reread_today(now), newest_day=None).overview == window
    # The newest day held is exactly the window's first day: start the day after it.
    newest = EXPECTED - (REREAD_DAYS - 1) * DAY
    assert decide(now, reread_today(now), newest_day=newest).overview == (
        newest + DAY,
        EXPECTED,
    )


def test_first_look_of_the_day_carries_the_daily_reread() -> None:
    """The re-read joins the morning's first request: the window starts REREAD_DAYS - 1
    before the expected day, whatever the newest day held."""
    now = utc(TODAY, 6)
    state = PollState(last_reread=TODAY - DAY, reread_until=EXPECTED - DAY)
    decision = decide(now, state, newest_day=EXPECTED - DAY)
    assert decision.overview == (EXPECTED - 7 * DAY, EXPECTED)


def test_last_attempt_is_recorded_only_when_something_is_asked() -> None:
    now = utc(TODAY, 12)
    earlier = now - 5 * HOUR
    idle = decide(now, PollState(last_attempt=earlier, last_reread=TODAY), newest_day=EXPECTED)
    assert idle.overview is None
    assert idle.state.last_attempt == earlier
    busy = decide(now, PollState(last_attempt=earlier, last_reread=TODAY), newest_day=None)
    assert busy.overview is not None
    assert busy.state.last_attempt == now


# ---------------------------------------------------------------- retries while a day is late


def test_hourly_retries_slow_down_to_every_four_hours_after_three_hours() -> None:
    """Electricity day June 9 never arrives: hourly from 06:00 to 09:00 (3 h of patience,
    not more), then every 4 h, through the night, until the next day falls due."""
    start = utc(TODAY, 6)
    state = PollState(last_attempt=start - 17 * HOUR, last_reread=TODAY - DAY)
    asked = request_hours(start, 24, state, newest_day=EXPECTED - DAY)
    assert asked == [6, 7, 8, 9, 13, 17, 21, 1, 5]


def test_a_new_day_falling_due_restarts_hourly_retries() -> None:
    start = utc(TODAY, 6)
    state = PollState(last_attempt=start - 17 * HOUR, last_reread=TODAY - DAY)
    # Two days long: June 9 never arrives, June 10 falls due on June 11 at 06:00.
    asked = request_hours(start, 48, state, newest_day=EXPECTED - DAY)
    assert asked == [6, 7, 8, 9, 13, 17, 21, 1, 5] * 2

    # The same, as one decision: a day late (slowed down, asked an hour ago) then a new one.
    now = utc(TODAY + DAY, 6)
    late = PollState(
        last_attempt=now - HOUR,
        missing_since=utc(TODAY, 6),
        missing_day=EXPECTED,
        last_reread=TODAY + DAY,
    )
    decision = decide(now, late, newest_day=EXPECTED - DAY)
    assert decision.overview == (EXPECTED, EXPECTED + DAY)
    assert decision.state.missing_since == now
    assert decision.state.missing_day == EXPECTED + DAY


def test_no_slow_down_while_the_portal_fails() -> None:
    """A failed update (Fluvius down) is retried at every hourly tick, however long the
    day has been missing."""
    start = utc(TODAY, 6)
    asked = request_hours(
        start,
        15,
        PollState(last_reread=TODAY),
        newest_day=EXPECTED - DAY,
        last_update_success=False,
    )
    assert asked == list(range(6, 21))


def test_slowed_down_retries_still_reread_from_the_fallback_hour() -> None:
    """At 21:00 the daily re-read goes out even when the late day's retry is not due."""
    state = PollState(
        last_attempt=utc(TODAY, 19),
        missing_since=utc(TODAY, 6),
        missing_day=EXPECTED,
        last_reread=TODAY - DAY,
        reread_until=EXPECTED - DAY,
    )
    assert decide(utc(TODAY, 20), state, newest_day=EXPECTED - DAY).overview is None
    decision = decide(utc(TODAY, 21), state, newest_day=EXPECTED - DAY)
    assert decision.overview == (EXPECTED - 7 * DAY, EXPECTED)


# ---------------------------------------------------------------- the daily re-read


def test_reread_once_a_local_day_after_the_days_data_is_in() -> None:
    state = PollState(last_reread=TODAY - DAY, reread_until=EXPECTED - DAY)
    now = utc(TODAY, 8)
    decision = decide(now, state, newest_day=EXPECTED)
    assert decision.overview == (EXPECTED - 7 * DAY, EXPECTED)
    state = fetched(decision.state, now, decision.overview, expected_published=True, new_data=False)
    assert (state.last_reread, state.reread_until) == (TODAY, EXPECTED)
    for hour in range(9, 24):
        assert decide(utc(TODAY, hour), state, newest_day=EXPECTED).overview is None


def test_reread_never_reaches_before_the_history() -> None:
    """A history shorter than the re-read is not extended by it; the expected day is always
    asked for (the sensors show it), and a longer history changes nothing."""
    state = PollState(last_reread=TODAY - DAY, reread_until=EXPECTED - DAY)
    now = utc(TODAY, 8)

    def overview(not_before: date) -> tuple[date, date] | None:
        return plan(
            now, state, ELEC, newest_day=EXPECTED, last_update_success=True, not_before=not_before
        ).overview

    assert overview(EXPECTED - 2 * DAY) == (EXPECTED - 2 * DAY, EXPECTED)
    assert overview(TODAY) == (EXPECTED, EXPECTED)
    assert overview(EXPECTED - 30 * DAY) == (EXPECTED - (REREAD_DAYS - 1) * DAY, EXPECTED)


def test_reread_waits_for_the_expected_day_until_the_fallback_hour() -> None:
    window = (EXPECTED - 7 * DAY, EXPECTED)
    before = PollState(last_reread=TODAY - DAY, reread_until=EXPECTED - DAY)
    for hour in (6, 20):
        after = fetched(before, utc(TODAY, hour), window, expected_published=False, new_data=True)
        assert after == replace(before, peaks_stale=True)
    after = fetched(
        before, utc(TODAY, REREAD_FALLBACK_HOUR), window, expected_published=False, new_data=False
    )
    assert (after.last_reread, after.reread_until) == (TODAY, EXPECTED)


def test_reread_is_recorded_on_the_local_date() -> None:
    # 00:30 on June 11 in Brussels is still June 10 in UTC.
    now = utc(TODAY + DAY, 0, 30)
    assert now.date() == TODAY
    state = fetched(
        PollState(), now, (EXPECTED - 7 * DAY, EXPECTED), expected_published=True, new_data=False
    )
    assert state.last_reread == TODAY + DAY


def test_the_reread_day_turns_at_local_midnight() -> None:
    """June 9 is missing and Fluvius is down (hourly retries). Re-read on June 10 at 21:00:
    retries only ask for the missing day until local midnight, then carry a new re-read."""
    state = PollState(
        last_attempt=utc(TODAY, 22),
        missing_since=utc(TODAY, 6),
        missing_day=EXPECTED,
        last_reread=TODAY,
        reread_until=EXPECTED,
    )
    late = decide(utc(TODAY, 23), state, newest_day=EXPECTED - DAY, last_update_success=False)
    assert late.overview == (EXPECTED, EXPECTED)
    after_midnight = utc(TODAY + DAY, 1)
    assert after_midnight.date() == TODAY  # 23:00 UTC
    decision = decide(after_midnight, state, newest_day=EXPECTED - DAY, last_update_success=False)
    assert decision.overview == (EXPECTED - 7 * DAY, EXPECTED)


def test_after_an_outage_the_reread_reaches_back_to_days_not_reread() -> None:
    now = utc(TODAY, 8)
    # Re-read yesterday: the usual window.
    usual = PollState(last_reread=TODAY - DAY, reread_until=EXPECTED - DAY)
    assert decide(now, usual, newest_day=EXPECTED).overview == (EXPECTED - 7 * DAY, EXPECTED)
    # Last re-read four days ago (up to June 6): June 6 - (REREAD_DAYS - 2) = May 31.
    stale = PollState(last_reread=TODAY - 4 * DAY, reread_until=EXPECTED - 3 * DAY)
    assert decide(now, stale, newest_day=EXPECTED).overview == (date(2026, 5, 31), EXPECTED)


# ---------------------------------------------------------------- the overdue clock


def test_overdue_clock_starts_when_a_due_day_is_missing() -> None:
    now = utc(TODAY, 6)
    decision = decide(now, reread_today(now), newest_day=EXPECTED - DAY)
    assert decision.state.overdue_since == now
    assert (decision.state.missing_since, decision.state.missing_day) == (now, EXPECTED)
    # It also runs while retries are slowed down (nothing asked).
    slowed = PollState(
        last_attempt=utc(TODAY, 10), missing_since=utc(TODAY, 6), missing_day=EXPECTED
    )
    decision = decide(utc(TODAY, 11), slowed, newest_day=EXPECTED - DAY)
    assert decision.overview is None
    assert decision.state.overdue_since == utc(TODAY, 11)


def test_overdue_clock_is_not_reset_by_the_next_day_falling_due() -> None:
    since = utc(TODAY, 6)
    state = PollState(
        last_attempt=utc(TODAY + DAY, 5),
        missing_since=since,
        missing_day=EXPECTED,
        overdue_since=since,
        last_reread=TODAY + DAY,
    )
    now = utc(TODAY + DAY, 6)
    decision = decide(now, state, newest_day=EXPECTED - DAY)
    assert decision.state.overdue_since == since
    assert decision.state.missing_since == now  # while the retry clock restarts
    assert settled(decision.state, now, ELEC, newest_day=EXPECTED).overdue_since == since


def test_an_outage_restarts_the_overdue_clock() -> None:
    since = utc(TODAY, 6)
    state = PollState(
        last_attempt=utc(TODAY, 9),
        missing_since=since,
        missing_day=EXPECTED,
        overdue_since=since,
        last_reread=TODAY - DAY,
        reread_until=EXPECTED - DAY,
        peaks_month=date(2026, 6, 1),
        peaks_stale=True,
    )
    assert failed(state) == replace(state, overdue_since=None)
    later = utc(TODAY, 10)
    decision = decide(later, failed(state), newest_day=EXPECTED - DAY, last_update_success=False)
    assert decision.state.overdue_since == later


def test_the_overdue_clock_stops_when_what_was_due_arrives() -> None:
    now = utc(TODAY, 9)
    state = PollState(overdue_since=utc(TODAY, 6), missing_since=utc(TODAY, 6))
    assert settled(state, now, ELEC, newest_day=EXPECTED - DAY) == state
    assert settled(state, now, ELEC, newest_day=None) == state
    assert settled(state, now, ELEC, newest_day=EXPECTED) == replace(state, overdue_since=None)
    # The next plan also forgets the missing day's retry clock.
    decision = decide(now, state, newest_day=EXPECTED)
    assert (decision.state.missing_since, decision.state.overdue_since) == (None, None)


# ---------------------------------------------------------------- monthly peaks


def test_peaks_are_due_on_new_data_only_once_current() -> None:
    now = utc(TODAY, 7)
    current = PollState(peaks_month=date(2026, 6, 1))
    assert not peaks_due(now, current, MeterType.ELECTRICITY, new_data=False)
    assert peaks_due(now, current, MeterType.ELECTRICITY, new_data=True)


def test_peaks_stay_due_while_they_lag_behind_the_measurements() -> None:
    """New data arrived but the peaks request failed: the next update fetches them."""
    now = utc(TODAY, 7)
    current = PollState(peaks_month=date(2026, 6, 1))
    window = (EXPECTED, EXPECTED)
    stale = fetched(current, now, window, expected_published=True, new_data=True)
    assert stale.peaks_stale
    assert peaks_due(now + HOUR, stale, MeterType.ELECTRICITY, new_data=False)
    # A later fetch without new data does not make them current again.
    still = fetched(stale, now + HOUR, window, expected_published=True, new_data=False)
    assert still.peaks_stale


def test_peaks_are_due_when_the_local_month_changes() -> None:
    may = PollState(peaks_month=date(2026, 5, 1))
    last_of_may = utc(date(2026, 5, 31), 23, 30)
    first_of_june = utc(date(2026, 6, 1), 0, 30)
    assert first_of_june.month == 5  # May 31, 22:30 UTC
    assert not peaks_due(last_of_may, may, MeterType.ELECTRICITY, new_data=False)
    assert peaks_due(first_of_june, may, MeterType.ELECTRICITY, new_data=False)
    assert peaks_due(first_of_june, PollState(), MeterType.ELECTRICITY, new_data=False)


def test_fetched_peaks_are_current_for_the_local_month() -> None:
    now = utc(date(2026, 6, 1), 0, 30)
    state = peaks_fetched(PollState(peaks_stale=True, peaks_month=date(2026, 5, 1)), now)
    assert state == PollState(peaks_month=date(2026, 6, 1), peaks_stale=False)
    assert not peaks_due(now, state, MeterType.ELECTRICITY, new_data=False)


def test_gas_never_has_peaks() -> None:
    now = utc(TODAY, 7)
    assert not peaks_due(now, PollState(), MeterType.GAS, new_data=False)
    assert not peaks_due(now, PollState(peaks_stale=True), MeterType.GAS, new_data=True)


# ---------------------------------------------------------------- purity


def test_states_and_plans_are_frozen() -> None:
    decision = decide(utc(TODAY, 6), newest_day=None)
    with pytest.raises(FrozenInstanceError):
        decision.state.last_attempt = None  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        decision.overview = None  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        ELEC.first_hour = 7  # type: ignore[misc]


def test_plan_is_a_function_of_its_inputs() -> None:
    """Same inputs, same plan; the input state is left as it was."""
    now = utc(TODAY, 10)
    state = PollState(
        last_attempt=utc(TODAY, 9),
        missing_since=utc(TODAY, 6),
        missing_day=EXPECTED,
        overdue_since=utc(TODAY, 6),
        last_reread=TODAY - DAY,
        reread_until=EXPECTED - DAY,
    )
    snapshot = replace(state)
    first = decide(now, state, newest_day=EXPECTED - DAY)
    second = decide(now, state, newest_day=EXPECTED - DAY)
    assert first == second
    assert state == snapshot
    assert first.state is not state
    fetched(state, now, (EXPECTED, EXPECTED), expected_published=True, new_data=True)
    failed(state)
    peaks_fetched(state, now)
    settled(state, now, ELEC, newest_day=EXPECTED)
    assert state == snapshot


# ---------------------------------------------------------------- ten days, tick by tick


def simulate(
    meter_type: MeterType, start: datetime, days: int, publish_hour: int
) -> tuple[list[int], list[int]]:
    """Tick hourly for ``days`` local days from ``start`` (a local midnight, maybe plus
    minutes), with every day published at ``publish_hour`` local time on the day it falls
    due, wiring the planner like the coordinator does. Returns the overview and the peaks
    requests made on each local day.

    The state starts fresh but caught up: the expected day is held at the start.
    """
    schedule = SCHEDULES[meter_type]

    def published_by(now: datetime) -> date:
        """The newest day Fluvius serves at ``now``."""
        day = now.astimezone(BRUSSELS).date() - timedelta(days=schedule.delay_days)
        publication = datetime.combine(
            day + timedelta(days=schedule.delay_days), time(publish_hour), tzinfo=BRUSSELS
        )
        return day if now >= publication else day - DAY

    overviews: Counter[date] = Counter()
    peaks: Counter[date] = Counter()
    first_day = start.astimezone(BRUSSELS).date()
    end = utc(first_day + days * DAY, 0)
    state = PollState()
    newest = published_by(start)
    now = start
    while now < end:
        local_day = now.astimezone(BRUSSELS).date()
        decision = plan(now, state, schedule, newest_day=newest, last_update_success=True)
        state = decision.state
        new_data = False
        if decision.overview is not None:
            overviews[local_day] += 1
            first, last = decision.overview
            served = min(published_by(now), last)
            if served >= first and served > newest:
                newest, new_data = served, True
            state = fetched(
                state, now, decision.overview, expected_published=served >= last, new_data=new_data
            )
        if peaks_due(now, state, meter_type, new_data=new_data):
            peaks[local_day] += 1
            state = peaks_fetched(state, now)
        state = settled(state, now, schedule, newest_day=newest)
        now += HOUR
    local_days = [first_day + n * DAY for n in range(days)]
    return [overviews[d] for d in local_days], [peaks[d] for d in local_days]


@pytest.mark.parametrize("meter_type", list(MeterType))
@pytest.mark.parametrize("minute", [0, 37])
def test_ten_days_of_hourly_ticks_cost_two_overview_requests_a_day(
    meter_type: MeterType, minute: int
) -> None:
    """Published at 07:00, looked for from 06:00: one request at 06:xx (the new day is due
    but not there yet; it carries the daily re-read window) and one at 07:xx (it is there,
    which completes the re-read). Nothing else all day: 2 overview requests a day.

    The ten days (March 25 to April 3, 2026) hold the spring-forward night and a month
    change; the electricity peaks are fetched with each new day, plus at the first tick
    and at the first tick of April (month change): 2, 1, 1, 1, 1, 1, 1, 2, 1, 1.
    """
    start = utc(date(2026, 3, 25), 0, minute)
    overviews, peaks = simulate(meter_type, start, 10, publish_hour=7)
    assert overviews == [2] * 10
    if meter_type is MeterType.ELECTRICITY:
        assert peaks == [2, 1, 1, 1, 1, 1, 1, 2, 1, 1]
    else:
        assert peaks == [0] * 10


@pytest.mark.parametrize(
    ("publish_hour", "per_day"),
    [(13, 5), (16, 6)],
)
def test_late_publication_costs_a_few_more_requests(publish_hour: int, per_day: int) -> None:
    """Published at 13:00: asked at 06, 07, 08, 09 (hourly for 3 h), then 13 (4 h later),
    which finds it: 5 a day. Published at 16:00: 06, 07, 08, 09, 13 and 17: 6 a day."""
    start = utc(date(2026, 6, 1), 0, 37)
    overviews, _ = simulate(MeterType.ELECTRICITY, start, 10, publish_hour=publish_hour)
    assert overviews == [per_day] * 10
