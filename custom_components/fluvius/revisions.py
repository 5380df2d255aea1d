"""Which published days to fetch (again): one daily-code request, compared with what is held.

On the real portal a sub-daily request covers one day, so re-reading a week of quarter-hours
for revisions would cost a request per day. Instead one request of the daily code over the
window says which days are published and what they add up to; only days that are new, or
whose totals (or validation status, where known) changed, are fetched at the fine resolution.
A meter that delivers daily values only is asked once a day whether finer data has come.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .api.client import FluviusClient
from .api.models import Interval, Resolution
from .days import DayTotals, changed_days, daily_by_day, runs

type HeldTotals = Callable[[Mapping[date, Interval]], Awaitable[Mapping[date, DayTotals]]]


@dataclass(frozen=True, slots=True)
class DayRun:
    """Consecutive new or revised days and their intervals at the finest resolution."""

    first: date
    last: date
    intervals: list[Interval]


async def async_fetch_changed(
    client: FluviusClient,
    ean: str,
    serial: str,
    window: tuple[date, date],
    *,
    start_hour: int,
    held: HeldTotals,
) -> tuple[dict[date, Interval], list[DayRun]]:
    """The daily periods published in `window`, and the new or revised days fetched."""
    daily = await client.measurements(ean, serial, *window, resolution=Resolution.DAY)
    published = daily_by_day(daily, start_hour)
    if published and client.daily_only(ean, serial):
        # Daily values only so far: once a day, ask whether finer data is served now.
        await client.recheck_finer(ean, serial, max(published))
    fetched: list[DayRun] = []
    for first, last in runs(changed_days(await held(published), published)):
        days = [published[first + timedelta(days=n)] for n in range((last - first).days + 1)]
        if client.finest_resolution(ean, serial) is Resolution.DAY:
            intervals = days  # the daily code is all this meter has: nothing finer to ask
        else:
            intervals = await client.measurements(ean, serial, first, last, daily=days)
        fetched.append(DayRun(first, last, intervals))
    return published, fetched
