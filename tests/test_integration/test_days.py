"""Day totals and which days to fetch again: pure functions, against hand-made intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from custom_components.fluvius.api.models import Interval, Reading, Register, ValueStatus
from custom_components.fluvius.days import (
    DayTotals,
    changed_days,
    complete_days,
    daily_by_day,
    daily_total_days,
    day_bounds,
    differs,
    runs,
    totals_of,
)

HIGH = Register.CONSUMPTION_HIGH
GAS = Register.GAS_VOLUME


def _interval(start: datetime, length: timedelta, value: float, *, final: bool = True) -> Interval:
    status = ValueStatus.MEASURED if final else ValueStatus.ESTIMATED
    register = GAS if length == timedelta(hours=1) else HIGH
    return Interval(start, start + length, {register: Reading(value, status)})


def _quarters(day: date, value: float, *, final: bool = True) -> list[Interval]:
    start, end = day_bounds(day, 0)
    count = int((end - start) / timedelta(minutes=15))
    q = timedelta(minutes=15)
    return [_interval(start + n * q, q, value, final=final) for n in range(count)]


def test_day_bounds_follow_dst_and_gas_days() -> None:
    assert day_bounds(date(2026, 3, 29), 0) == (
        datetime(2026, 3, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 29, 22, tzinfo=UTC),
    )  # 23 hours
    assert day_bounds(date(2026, 10, 24), 6) == (
        datetime(2026, 10, 24, 4, tzinfo=UTC),
        datetime(2026, 10, 25, 5, tzinfo=UTC),
    )  # a 25-hour gas day: it holds the night the clocks go back


def test_complete_days_need_every_quarter_hour() -> None:
    spring = _quarters(date(2026, 3, 29), 0.1)
    assert len(spring) == 92
    days = complete_days(spring, 0)
    assert days[date(2026, 3, 29)].values[HIGH] == round(92 * 0.1, 3)
    assert complete_days(spring[:-1], 0) == {}


def test_a_daily_total_completes_a_day_and_is_counted_once() -> None:
    day = date(2026, 4, 10)
    start, end = day_bounds(day, 0)
    daily = Interval(start, end, {HIGH: Reading(9.6, ValueStatus.MEASURED)})
    assert complete_days([daily], 0)[day].values[HIGH] == 9.6
    assert daily_by_day([daily, *_quarters(day, 0.1)], 0) == {day: daily}
    assert daily_total_days([daily, *_quarters(day + timedelta(days=1), 0.1)], 0) == {day}


def test_gas_hours_belong_to_the_gas_day() -> None:
    start, _ = day_bounds(date(2026, 1, 5), 6)
    hours = [_interval(start + timedelta(hours=n), timedelta(hours=1), 0.5) for n in range(24)]
    assert set(complete_days(hours, 6)) == {date(2026, 1, 5)}
    assert complete_days(hours, 0) == {}  # as calendar days neither day is complete


def test_differs_on_values_and_known_status_only() -> None:
    day = date(2026, 4, 10)
    start, end = day_bounds(day, 0)
    daily = Interval(start, end, {HIGH: Reading(9.6, ValueStatus.MEASURED)})
    assert differs(None, daily)
    assert not differs(totals_of(day, daily), daily)
    assert differs(DayTotals(day, {HIGH: 9.601}, final=True), daily) is False  # rounding
    assert differs(DayTotals(day, {HIGH: 9.602}, final=True), daily)
    assert differs(DayTotals(day, {HIGH: 9.6}, final=False), daily)  # now validated
    assert not differs(DayTotals(day, {HIGH: 9.6}, final=None), daily)  # status unknown
    assert differs(DayTotals(day, {}, final=None), daily)  # a register never imported


def test_changed_days_and_runs() -> None:
    days = [date(2026, 4, d) for d in (1, 2, 3, 5, 7, 8)]
    published = {}
    for day in days:
        start, end = day_bounds(day, 0)
        published[day] = Interval(start, end, {HIGH: Reading(1.0, ValueStatus.MEASURED)})
    held = {date(2026, 4, 2): totals_of(date(2026, 4, 2), published[date(2026, 4, 2)])}
    changed = changed_days(held, published)
    assert changed == [date(2026, 4, d) for d in (1, 3, 5, 7, 8)]
    assert runs(changed) == [
        (date(2026, 4, 1), date(2026, 4, 1)),
        (date(2026, 4, 3), date(2026, 4, 3)),
        (date(2026, 4, 5), date(2026, 4, 5)),
        (date(2026, 4, 7), date(2026, 4, 8)),
    ]
    assert runs([]) == []


def test_peak_check_against_measured_quarter_hours() -> None:
    """The portal's peak agrees with the measured quarter-hours, and a wrong register mapping
    (injection read as offtake) shows up as a disagreement."""
    from custom_components.fluvius.api.models import MonthlyPeak
    from custom_components.fluvius.peaks import day_peaks, month_peaks, peak_disagreements

    day = date(2026, 4, 10)
    quarters = _quarters(day, 0.1)
    start = quarters[40].start
    quarters[40] = Interval(start, quarters[40].end, {HIGH: Reading(1.719, ValueStatus.MEASURED)})
    month = date(2026, 4, 1)
    measured = month_peaks(day_peaks(quarters))
    assert measured[month].power_kw == 4 * 1.719
    assert measured[month].start == start
    portal = {month: MonthlyPeak(month, 6.876, start, start + timedelta(minutes=15))}
    assert peak_disagreements(portal, measured) == {}
    wrong = {month: MonthlyPeak(month, 3.2, start, start + timedelta(minutes=15))}
    assert set(peak_disagreements(wrong, measured)) == {"2026-04"}
    elsewhere = {month: MonthlyPeak(month, 7.5, quarters[3].start, quarters[4].start)}
    assert peak_disagreements(elsewhere, measured) == {}  # part of the month measured
