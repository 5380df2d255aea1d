"""Day totals and the comparison that decides which days to fetch again. Pure functions.

A day is a Brussels calendar day, or a gas day (06:00 to 06:00) on a gas meter: the
`start_hour` argument says which. One request of the daily code tells which days are
published and what they add up to; only days whose totals differ from what we hold are
fetched again at the fine resolution (on the real portal that costs a request per day).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from homeassistant.util import dt as dt_util

from .api.brussels import BRUSSELS, day_of
from .api.models import Interval, Register, Resolution

# Totals are kept to the Wh (3 decimals); a difference below this is rounding, not a revision.
TOLERANCE = 0.0015


@dataclass(frozen=True, slots=True)
class DayTotals:
    """Register totals of one complete measurement day."""

    day: date
    values: Mapping[Register, float]
    final: bool | None  # None: not known (totals read back from the statistics)

    def value(self, register: Register) -> float | None:
        """Total of one register, or None when the meter does not have it."""
        return self.values.get(register)


def day_bounds(day: date, start_hour: int) -> tuple[datetime, datetime]:
    """UTC start and end of one measurement day (a local day may last 23 or 25 h)."""
    start = datetime.combine(day, time(start_hour), BRUSSELS)
    end = datetime.combine(day + timedelta(days=1), time(start_hour), BRUSSELS)
    return dt_util.as_utc(start), dt_util.as_utc(end)


def complete_days(intervals: Iterable[Interval], start_hour: int) -> dict[date, DayTotals]:
    """Totals of every day the intervals cover completely (any mix of resolutions)."""
    by_day: dict[date, list[Interval]] = {}
    for interval in intervals:
        by_day.setdefault(day_of(interval.start, start_hour), []).append(interval)
    days: dict[date, DayTotals] = {}
    for day, members in by_day.items():
        start, end = day_bounds(day, start_hour)
        inside = [i for i in members if i.start >= start and i.end <= end]
        if sum((i.end - i.start for i in inside), timedelta()) < end - start:
            continue
        totals: dict[Register, float] = {}
        for interval in inside:
            for register, reading in interval.readings.items():
                totals[register] = totals.get(register, 0.0) + reading.value
        days[day] = DayTotals(
            day=day,
            values={r: round(v, 3) for r, v in totals.items()},
            final=all(i.final for i in inside),
        )
    return days


def daily_total_days(intervals: Iterable[Interval], start_hour: int) -> set[date]:
    """Days held as one daily period rather than finer intervals."""
    return {day_of(i.start, start_hour) for i in intervals if i.resolution is Resolution.DAY}


def totals_of(day: date, daily: Interval) -> DayTotals:
    """A daily period as day totals."""
    return DayTotals(
        day=day, values={r: round(v.value, 3) for r, v in daily.readings.items()}, final=daily.final
    )


def daily_by_day(intervals: Iterable[Interval], start_hour: int) -> dict[date, Interval]:
    """The daily periods of a daily-code answer, by measurement day."""
    return {day_of(i.start, start_hour): i for i in intervals if i.resolution is Resolution.DAY}


def differs(held: DayTotals | None, daily: Interval) -> bool:
    """Whether a published day's daily period tells something the held totals do not."""
    if held is None or (held.final is not None and held.final != daily.final):
        return True
    registers = set(held.values) | set(daily.readings)
    return any(abs((held.value(r) or 0.0) - (daily.value(r) or 0.0)) > TOLERANCE for r in registers)


def changed_days(held: Mapping[date, DayTotals], daily: Mapping[date, Interval]) -> list[date]:
    """Published days that are new or revised, oldest first."""
    return sorted(day for day, period in daily.items() if differs(held.get(day), period))


def runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs."""
    result: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if result and result[-1][1] + timedelta(days=1) == day:
            result[-1] = (result[-1][0], day)
        else:
            result.append((day, day))
    return result
