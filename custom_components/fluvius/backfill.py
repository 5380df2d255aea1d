"""Keeps a meter's statistics complete: history backfill, resume, gaps, then live batches.

The backfill runs as a background task of the entry, oldest chunk first, and resumes from
the newest imported hour after a restart. Days already imported are only fetched again where
the daily code's totals differ from what the statistics hold (see revisions.py). Until it
has caught up, the coordinator's own fetches are not imported (they would land after the
backfill's resume point). Afterwards
every coordinator fetch is imported as it arrives; a gap between the newest imported hour
and a fetch (Home Assistant or the portal down for longer than the re-read window) is
fetched first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
import logging

from homeassistant.util import dt as dt_util

from .api.client import FluviusClient
from .api.errors import FluviusAuthError, FluviusError
from .api.models import Interval
from .const import BRUSSELS, REVISION_DAYS
from .days import DayTotals
from .peaks import MeasuredPeak, day_peaks
from .revisions import async_fetch_changed
from .statistics import HOUR, FluviusStatistics

_LOGGER = logging.getLogger(__name__)

# Days per backfill step: the client splits each step into the requests its dialect allows.
CHUNK_DAYS = 31
# Pause between steps, so a year of history is not fetched as one burst.
PAUSE_SECONDS = 0.25


def _revisable_since(newest_hour: datetime) -> date:
    """The oldest day that Fluvius may still have revised after `newest_hour` was imported."""
    return newest_hour.astimezone(BRUSSELS).date() - timedelta(days=REVISION_DAYS - 1)


class StatisticsBackfill:
    """Imports one meter's history into statistics and then keeps it current."""

    def __init__(
        self,
        client: FluviusClient,
        ean: str,
        serial: str,
        statistics: FluviusStatistics,
        history_days: int,
        *,
        day_start_hour: int = 0,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        """Prepare; nothing runs until async_run."""
        self._client = client
        self._ean = ean
        self._serial = serial
        self._statistics = statistics
        self._history_days = history_days
        self._horizon: date | None = None
        self._day_start_hour = day_start_hour
        self._on_progress = on_progress or (lambda: None)
        self._lock = asyncio.Lock()
        self.imported_until: datetime | None = None  # end of the newest imported hour
        self.done = False
        self.progress: float = 0.0  # percent of the history horizon imported
        # The highest quarter-hour offtake of each imported day: checks the portal's peaks.
        self.day_peaks: dict[date, MeasuredPeak] = {}

    def _today(self) -> date:
        return dt_util.utcnow().astimezone(BRUSSELS).date()

    async def async_run_safely(self) -> None:
        """Run, and on a portal error stop quietly: the next successful update restarts it."""
        try:
            await self.async_run()
        except FluviusAuthError:
            _LOGGER.debug("Statistics backfill stopped: authentication failed")
        except FluviusError as err:
            _LOGGER.warning(
                "Statistics backfill paused at %.0f%% (%s); it resumes after the next "
                "successful update",
                self.progress,
                type(err).__name__,
            )

    async def async_run(self) -> None:
        """Import from the resume point up to today, one paced chunk at a time."""
        async with self._lock:
            today = self._today()
            if self._horizon is None:
                # Fixed at the first attempt: a history import that fails at first and
                # resumes after midnight still reaches back as far as it was asked to.
                self._horizon = today - timedelta(days=self._history_days)
            horizon = self._horizon
            last = await self._statistics.async_last_hour()
            start = horizon
            imported_last: date | None = None  # newest day with imported hours
            if last is not None:
                imported_last = last.astimezone(BRUSSELS).date()
                self.imported_until = last + HOUR
                # Re-import from the oldest day Fluvius may have revised since it was imported
                # (Home Assistant may have been down for days): idempotent, and the newest day
                # may be partial. After a downtime longer than the history horizon the gap
                # before the horizon is fetched too: imported hours are never left behind.
                start = _revisable_since(last)
                if last.astimezone(BRUSSELS).date() >= horizon:
                    start = max(start, horizon)
            total = max((today - horizon).days, 1)
            _LOGGER.info(
                "Statistics backfill from %s to %s (%d days of history)",
                start,
                today,
                self._history_days,
            )
            while start <= today:
                end = min(start + timedelta(days=CHUNK_DAYS - 1), today)
                if imported_last is not None and start <= imported_last:
                    await self._import(await self._fetch_changed(start, end))
                else:
                    await self._import(await self._fetch(start, end))
                self.progress = round(min(100.0, max(0.0, 100 * (end - horizon).days / total)), 1)
                _LOGGER.info("Statistics backfill %.0f%% (up to %s)", self.progress, end)
                self._on_progress()
                start = end + timedelta(days=1)
                if start <= today:
                    await asyncio.sleep(PAUSE_SECONDS)
            self.progress = 100.0
            self.done = True
            self._on_progress()
            _LOGGER.info("Statistics backfill complete")

    async def async_ingest(self, batches: Iterable[tuple[date, list[Interval]]]) -> None:
        """Import the coordinator's fetches, closing any gap before them first."""
        batches = [(start, intervals) for start, intervals in batches if intervals]
        if not self.done or not batches:
            return
        async with self._lock:
            first_day, first = min(batches, key=lambda batch: batch[1][0].start)
            if self.imported_until is not None and first[0].start > self.imported_until:
                gap_start = self.imported_until.astimezone(BRUSSELS).date()
                gap_end = first_day - timedelta(days=1)
                if gap_start <= gap_end:
                    _LOGGER.info("Closing a statistics gap from %s to %s", gap_start, gap_end)
                    await self._import(await self._fetch(gap_start, gap_end))
            for _, intervals in batches:
                await self._import(intervals)

    async def _fetch(self, start: date, end: date) -> list[Interval]:
        return await self._client.measurements(self._ean, self._serial, start, end)

    async def _fetch_changed(self, start: date, end: date) -> list[Interval]:
        """Days start..end that are not in the statistics as published (new or revised)."""

        async def stored(published: Mapping[date, Interval]) -> Mapping[date, DayTotals]:
            if not published:
                return {}
            return await self._statistics.async_day_totals(
                min(published), max(published), self._day_start_hour
            )

        _, fetched = await async_fetch_changed(
            self._client,
            self._ean,
            self._serial,
            (start, end),
            start_hour=self._day_start_hour,
            held=stored,
        )
        return [interval for run in fetched for interval in run.intervals]

    async def _import(self, intervals: list[Interval]) -> None:
        self.day_peaks.update(day_peaks(intervals))
        result = await self._statistics.async_import(intervals)
        if result.last_hour is not None:
            end = result.last_hour + HOUR
            if self.imported_until is None or end > self.imported_until:
                self.imported_until = end
