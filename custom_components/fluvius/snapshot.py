"""What one meter's coordinator holds, and the immutable snapshot the entities read.

Pure: no Home Assistant, no I/O. :class:`MeterMemory` keeps the recent intervals (native
resolution), the daily code's totals and the monthly peaks; it merges fetches so that a day
is never counted twice (a day changing resolution replaces what was held for it) and
builds a :class:`FluviusData` snapshot for the entities, the statistics and the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from .api.brussels import day_of
from .api.models import Interval, MonthlyPeak, Resolution
from .days import DayTotals, complete_days, daily_total_days, day_bounds, totals_of


@dataclass(frozen=True, slots=True)
class FetchBatch:
    """Consecutive days fetched at their finest resolution."""

    start: date
    end: date
    intervals: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class FluviusData:
    """Everything the entities (and the statistics and the event) read of one meter."""

    # Recent intervals by UTC start, native resolution.
    intervals: Mapping[datetime, Interval]
    days: Mapping[date, DayTotals]
    latest_day: DayTotals | None
    peaks: Mapping[date, MonthlyPeak]
    newest_data: datetime | None
    # The fetches not yet imported into the statistics: this update's, and those of earlier
    # updates that failed after fetching them.
    fetches: tuple[FetchBatch, ...] = ()
    updated_at: datetime | None = None
    # The resolution the newest fetched day came in (quarter-hour, hour, or day where no
    # finer code delivers), and since when due days have stayed away while Fluvius answers.
    resolution: Resolution | None = None
    overdue_since: datetime | None = None

    def peak_for(self, month: date) -> MonthlyPeak | None:
        """The peak of the month containing ``month``."""
        return self.peaks.get(month.replace(day=1))

    def newest_peak(self, today: date) -> MonthlyPeak | None:
        """The peak of ``today``'s month, else of the newest month before it that has one.

        A month has a peak only once Fluvius publishes its first day (the morning of the
        2nd), so on the 1st this is last month's peak.
        """
        this_month = today.replace(day=1)
        months = [month for month in self.peaks if month <= this_month]
        return self.peaks[max(months)] if months else None


class MeterMemory:
    """The recent data of one meter, merged fetch by fetch."""

    def __init__(self, start_hour: int) -> None:
        """Empty; ``start_hour`` is the local hour a measurement day starts (gas: 6)."""
        self.start_hour = start_hour
        self.intervals: dict[datetime, Interval] = {}
        self.published: dict[date, DayTotals] = {}  # the daily code's totals, by day
        self.peaks: dict[date, MonthlyPeak] = {}
        self._complete: dict[date, DayTotals] | None = None  # cached until intervals change

    def publish(self, published: Mapping[date, Interval]) -> bool:
        """Remember the daily code's totals (what the portal says each day adds up to);
        True when a day's totals are new or changed."""
        changed = False
        for day, period in published.items():
            totals = totals_of(day, period)
            if self.published.get(day) != totals:
                self.published[day] = totals
                changed = True
        return changed

    def merge(self, intervals: Iterable[Interval]) -> bool:
        """Merge fetched intervals; True when anything new or changed arrived.

        The intervals replace what is held for the days they have data for, so a day that
        changes resolution (a daily total replaced by quarter-hours, or back) is never
        counted twice.
        """
        incoming = {interval.start: interval for interval in intervals}
        days = {day_of(start, self.start_hour) for start in incoming}
        stale = [
            start
            for start in self.intervals
            if start not in incoming and day_of(start, self.start_hour) in days
        ]
        changed = bool(stale)
        for start in stale:
            del self.intervals[start]
        for start, interval in incoming.items():
            if self.intervals.get(start) != interval:
                self.intervals[start] = interval
                changed = True
        if changed:
            self._complete = None
        return changed

    def prune(self, oldest: date) -> None:
        """Forget what is older than ``oldest``."""
        cutoff, _ = day_bounds(oldest, self.start_hour)
        for start in [s for s in self.intervals if s < cutoff]:
            del self.intervals[start]
            self._complete = None
        for day in [d for d in self.published if d < oldest]:
            del self.published[day]

    def complete_days(self) -> dict[date, DayTotals]:
        """Totals of every day the intervals cover completely."""
        if self._complete is None:
            self._complete = complete_days(self.intervals.values(), self.start_hour)
        return self._complete

    def known_days(self) -> dict[date, DayTotals]:
        """Every day we have: the daily code's totals, overridden by the intervals held."""
        return {**self.published, **self.complete_days()}

    def held(
        self, published: Mapping[date, Interval], *, importing: bool, retry_daily_totals: bool
    ) -> tuple[dict[date, DayTotals], list[date]]:
        """What is held for the published days, and the days to look up in the statistics
        (after a restart), so that only new or revised days are fetched again.

        While the history import runs, it fetches these days itself: the daily totals do for
        the sensors meanwhile. With ``retry_daily_totals``, days held as a daily total (no
        finer code delivered them) count as not held, so they are asked for again while in
        the window: the portal may have filled them in since.
        """
        if importing:
            return {day: totals_of(day, period) for day, period in published.items()}, []
        held = dict(self.complete_days())
        missing = sorted(set(published) - set(held))
        if retry_daily_totals:
            for day in daily_total_days(self.intervals.values(), self.start_hour):
                held.pop(day, None)
        return held, missing

    def newest_day(self) -> date | None:
        """The newest day we have completely."""
        days = self.known_days()
        return max(days) if days else None

    def snapshot(
        self,
        now: datetime,
        *,
        fetches: tuple[FetchBatch, ...],
        resolution: Resolution | None,
        overdue_since: datetime | None,
        previous: FluviusData | None,
    ) -> FluviusData:
        """A new immutable snapshot."""
        days = self.known_days()
        ends = [i.end for i in self.intervals.values()]
        ends += [day_bounds(day, self.start_hour)[1] for day in self.published]
        newest_end = max(ends, default=None)
        if newest_end is None and previous is not None:
            newest_end = previous.newest_data
        return FluviusData(
            intervals=dict(self.intervals),
            days=days,
            latest_day=days[max(days)] if days else None,
            peaks=dict(self.peaks),
            newest_data=newest_end,
            fetches=fetches,
            updated_at=now,
            resolution=resolution,
            overdue_since=overdue_since,
        )
