"""What a meter's coordinator holds (snapshot.MeterMemory): pure, against hand-made intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from custom_components.fluvius.api.models import Interval, Reading, Register, ValueStatus
from custom_components.fluvius.days import day_bounds
from custom_components.fluvius.snapshot import MeterMemory

HIGH = Register.CONSUMPTION_HIGH
DAY = date(2026, 3, 29)  # 23 hours: spring DST change


def _quarters(day: date, value: float) -> list[Interval]:
    start, end = day_bounds(day, 0)
    q = timedelta(minutes=15)
    count = int((end - start) / q)
    return [
        Interval(start + n * q, start + (n + 1) * q, {HIGH: Reading(value, ValueStatus.MEASURED)})
        for n in range(count)
    ]


def _daily(day: date, value: float) -> Interval:
    start, end = day_bounds(day, 0)
    return Interval(start, end, {HIGH: Reading(value, ValueStatus.MEASURED)})


def test_a_day_changing_resolution_is_never_counted_twice() -> None:
    memory = MeterMemory(0)
    assert memory.merge([_daily(DAY, 9.2)])
    assert memory.complete_days()[DAY].value(HIGH) == 9.2
    # The quarter-hours of the same day replace its daily total, and back.
    assert memory.merge(_quarters(DAY, 0.1))
    assert len(memory.intervals) == 23 * 4
    assert memory.complete_days()[DAY].value(HIGH) == round(23 * 4 * 0.1, 3)
    assert memory.merge([_daily(DAY, 9.2)])
    assert len(memory.intervals) == 1
    assert not memory.merge([_daily(DAY, 9.2)])  # nothing new


def test_the_daily_codes_totals_are_overridden_by_intervals_held() -> None:
    memory = MeterMemory(0)
    memory.publish({DAY: _daily(DAY, 5.0), DAY + timedelta(days=1): _daily(DAY, 6.0)})
    memory.merge(_quarters(DAY, 0.1))
    known = memory.known_days()
    assert known[DAY].value(HIGH) == round(92 * 0.1, 3)
    assert known[DAY + timedelta(days=1)].value(HIGH) == 6.0
    assert memory.newest_day() == DAY + timedelta(days=1)


def test_prune_forgets_older_days() -> None:
    memory = MeterMemory(0)
    memory.merge(_quarters(DAY, 0.1) + _quarters(DAY + timedelta(days=1), 0.2))
    memory.publish({DAY: _daily(DAY, 1.0)})
    memory.prune(DAY + timedelta(days=1))
    assert set(memory.complete_days()) == {DAY + timedelta(days=1)}
    assert memory.published == {}


def test_held_while_importing_is_the_daily_totals() -> None:
    memory = MeterMemory(0)
    memory.merge(_quarters(DAY, 0.1))
    published = {DAY: _daily(DAY, 7.0)}
    held, missing = memory.held(published, importing=True, retry_daily_totals=True)
    assert held[DAY].value(HIGH) == 7.0
    assert missing == []


def test_held_names_the_days_to_look_up_and_retries_daily_totals() -> None:
    memory = MeterMemory(0)
    second, third = DAY + timedelta(days=1), DAY + timedelta(days=2)
    memory.merge([*_quarters(DAY, 0.1), _daily(second, 3.0)])
    published = {d: _daily(d, 1.0) for d in (DAY, second, third)}
    held, missing = memory.held(published, importing=False, retry_daily_totals=True)
    assert set(held) == {DAY}  # the daily-total day is asked for again
    assert missing == [third]
    held, missing = memory.held(published, importing=False, retry_daily_totals=False)
    assert set(held) == {DAY, second}
    assert missing == [third]


def test_snapshot_keeps_the_newest_data_time_when_nothing_is_held() -> None:
    memory = MeterMemory(0)
    memory.merge(_quarters(DAY, 0.1))
    now = datetime(2026, 3, 30, 8, tzinfo=UTC)
    first = memory.snapshot(now, fetches=(), resolution=None, overdue_since=None, previous=None)
    assert first.newest_data == day_bounds(DAY, 0)[1]
    assert first.latest_day is not None
    assert first.latest_day.day == DAY
    memory.prune(DAY + timedelta(days=5))
    later = memory.snapshot(now, fetches=(), resolution=None, overdue_since=None, previous=first)
    assert later.newest_data == first.newest_data
    assert later.latest_day is None
