"""Keeps a meter's statistics complete: history backfill, resume, gaps, then live batches.

The backfill runs as a background task of the entry, oldest chunk first, and resumes from
the newest imported hour after a restart. Days already imported are only fetched again where
the daily code's totals differ from what the statistics hold (see revisions.py). Until it
has caught up, the coordinator's own fetches are not imported (they would land after the
backfill's resume point). Afterwards
every coordinator fetch is imported as it arrives; a gap between the newest imported hour
and a fetch (Home Assistant or the portal down for longer than the re-read window) is
fetched first.

A meter that delivered daily values only (its quarter-hours never requested in Mijn
Fluvius) has its days booked as daily totals. Once Fluvius serves finer data, those days are
re-imported at the finer resolution, oldest first, a chunk at a time: each day's batch
replaces its midnight booking hour by hour (energy and cost), so nothing is doubled or lost.

Costs follow the price settings: new settings re-cost the history, and once a day the
quarter-hours imported without a price are costed where a price has come since.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
import logging

from homeassistant.util import dt as dt_util

from .api.brussels import BRUSSELS, day_of
from .api.client import FluviusClient
from .api.errors import FluviusAuthError, FluviusError
from .api.fetching import IMPORT_PAUSE_SECONDS, IMPORT_STEP_DAYS
from .api.models import Interval, Resolution
from .const import REVISION_DAYS
from .days import DayTotals, daily_total_days, day_bounds, runs
from .peaks import MeasuredPeak, day_peaks
from .quarter_hours import QuarterHourStore
from .revisions import async_fetch_changed
from .snapshot import FetchBatch
from .statistics import HOUR, FluviusStatistics

_LOGGER = logging.getLogger(__name__)

# The pace of the history import (api/fetching.py), here so tests can change it.
CHUNK_DAYS = IMPORT_STEP_DAYS
PAUSE_SECONDS = IMPORT_PAUSE_SECONDS


def _chunk_starts(first: date, last: date) -> list[date]:
    """The first day of each CHUNK_DAYS-long chunk of first..last."""
    return [first + timedelta(days=n) for n in range(0, (last - first).days + 1, CHUNK_DAYS)]


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
        name: str = "Fluvius meter",
        import_until: date | None = None,
        day_start_hour: int = 0,
        on_progress: Callable[[], None] | None = None,
        store: QuarterHourStore | None = None,
    ) -> None:
        """Prepare; nothing runs until async_run.

        ``import_until``: the first day NOT imported (a P1 meter's statistics take over
        from it); None imports up to today. ``store``: the kept intervals, which tell the
        days booked as daily totals.
        """
        self._client = client
        self._name = name
        self._import_until = import_until
        self._ean = ean
        self._serial = serial
        self._statistics = statistics
        self._history_days = history_days
        self._horizon: date | None = None
        self._generation = 0  # bumped by new history settings during a run
        self._day_start_hour = day_start_hour
        self._on_progress = on_progress or (lambda: None)
        self._lock = asyncio.Lock()
        self._store = store
        self.imported_until: datetime | None = None  # end of the newest imported hour
        # The oldest day the statistics hold or the history asks for, once known: the
        # coordinator's re-read of revisions never reaches before it.
        self.history_start: date | None = None
        self.done = False
        # Days booked as daily totals may be re-imported finer (checked at every start, and
        # again whenever Fluvius starts serving finer data).
        self.refine_due = True
        # The price settings changed while the import was done: re-cost the history.
        self.recost_due = False
        # What runs now, for the History import sensor: importing, refining (the days held as
        # daily totals, at the finer resolution now served), recosting, or None.
        self.activity: str | None = None
        self.progress: float = 0.0  # percent of the history horizon imported
        # The highest quarter-hour offtake of each imported day: checks the portal's peaks.
        self.day_peaks: dict[date, MeasuredPeak] = {}
        # The local day the quarter-hours imported without a price were last priced again.
        self._priced_on: date | None = None

    def _today(self) -> date:
        return dt_util.utcnow().astimezone(BRUSSELS).date()

    async def async_run_safely(self) -> None:
        """Run, and on a portal error stop quietly: the next successful update restarts it."""
        try:
            await self.async_run()
        except FluviusAuthError:
            _LOGGER.debug("%s: statistics import stopped: authentication failed", self._name)
        except FluviusError as err:
            _LOGGER.warning(
                "%s: statistics import paused at %.0f%% (%s); it resumes after the next "
                "successful update",
                self._name,
                self.progress,
                type(err).__name__,
            )

    def _last_day(self, today: date) -> date:
        """The newest day to import: today, or the day before the cut-off date."""
        if self._import_until is None:
            return today
        return min(today, self._import_until - timedelta(days=1))

    async def async_run(self) -> None:
        """Import what the statistics lack, oldest first, one paced chunk at a time.

        Three parts, each only where needed: the history before the oldest imported day
        (first setup, or the history option raised), the days since the newest imported
        day, and the days before it that Fluvius may have revised meanwhile. Then, where
        Fluvius serves finer data than some days were booked in, those days again.
        """
        if not self.done:
            while not self.done:  # again if the history settings changed meanwhile
                await self._catch_up()  # re-costs first where the prices changed
        elif self.recost_due:
            await self._recost()
        await self._refine()

    def reschedule(self, history_days: int, import_until: date | None) -> None:
        """New history settings, without a reload: a longer history imports the older days
        and a later cut-off the days up to it, at the next run; nothing is deleted."""
        self._history_days = history_days
        self._import_until = import_until
        self._horizon = None
        self._generation += 1
        self.done = False

    @contextmanager
    def _running(self, activity: str) -> Iterator[None]:
        """Tell the History import sensor what runs now, and that it ended (done, failed or
        cancelled): the end is reported at once, not with whatever reports progress next."""
        self.activity = activity
        self._on_progress()
        try:
            yield
        finally:
            self.activity = None
            self._on_progress()

    @property
    def idle(self) -> bool:
        """Nothing is left to import, re-import or re-cost."""
        return self.done and not self.refine_due and not self.recost_due

    async def _recost(self) -> None:
        """Re-cost the imported history with the new price settings (in the background: the
        energy statistics stay as they are, and so does the import's progress)."""
        self.recost_due = False
        with self._running("recosting"):
            try:
                async with self._lock:
                    await self._statistics.async_recost_if_changed()
            except BaseException:
                self.recost_due = True
                raise

    async def async_price_unpriced(self) -> None:
        """Cost the quarter-hours imported without a price where the source has one now;
        skipped while another step holds the statistics (tried again the next day)."""
        if self._lock.locked():
            return
        async with self._lock:
            await self._statistics.async_price_unpriced()
        self._on_progress()

    def price_late_due(self, today: date) -> bool:
        """Once a local day, with nothing else left to do: whether to cost what was imported
        without a price, where the price source has one by now (a sensor that was
        unavailable, statistics that came later)."""
        if self._priced_on == today or not self.idle:
            return False
        self._priced_on = today
        return self._statistics.costs.enabled and bool(self._statistics.unpriced)

    async def _catch_up(self) -> None:
        """The history import proper; the coordinator's fetches wait until it is done."""
        self.recost_due = False
        with self._running("importing"):
            await self._catch_up_locked()

    async def _catch_up_locked(self) -> None:
        generation = self._generation
        async with self._lock:
            # Costs first: a changed price source re-costs what is already imported.
            await self._statistics.async_recost_if_changed()
            today = self._today()
            if self._horizon is None:
                # Fixed at the first attempt: a history import that fails at first and
                # resumes after midnight still reaches back as far as it was asked to.
                self._horizon = today - timedelta(days=self._history_days)
            horizon = self._horizon
            last_day = self._last_day(today)
            first = await self._statistics.async_first_hour()
            last = await self._statistics.async_last_hour()
            steps: list[tuple[date, date, bool]] = []  # (first, last, only changed days)
            if first is None or last is None:
                steps.append((horizon, last_day, False))
                _LOGGER.info(
                    "%s: importing statistics from %s to %s", self._name, horizon, last_day
                )
                self.history_start = horizon
            else:
                self.imported_until = last + HOUR
                oldest = day_of(first, self._day_start_hour)
                self.history_start = min(horizon, oldest)
                if horizon < oldest:
                    steps.append((horizon, oldest - timedelta(days=1), False))
                    _LOGGER.info(
                        "%s: importing %d older days of history (%s to %s)",
                        self._name,
                        (oldest - horizon).days,
                        horizon,
                        oldest - timedelta(days=1),
                    )
                # Re-read from the oldest day Fluvius may have revised since the newest was
                # imported (Home Assistant may have been down for days): only days whose
                # totals changed are fetched again; the newest day may be partial.
                start = max(_revisable_since(last), min(horizon, oldest))
                if start <= last_day:
                    steps.append((start, last_day, True))
                    _LOGGER.info(
                        "%s: checking %s to %s for new or revised days", self._name, start, last_day
                    )
            for step_first, step_last, changed_only in steps:
                await self._run_step(step_first, step_last, changed_only, newest_day=last)
            self.progress = 100.0
            self.done = generation == self._generation
            self._statistics.costs.summarise_unpriced(self._statistics.unpriced)
            self._on_progress()
            _LOGGER.info("%s: statistics import complete", self._name)

    async def _refine(self) -> None:
        """Re-import the days booked as daily totals at the finer resolution now served,
        oldest first, one chunk at a time (the coordinator's imports go on in between)."""
        finest = self._client.finest_resolution(self._ean, self._serial)
        if not self.refine_due or self._store is None or finest in (None, Resolution.DAY):
            self.refine_due = False
            return
        self.refine_due = False
        await self._store.async_load()
        days = self._store.daily_days()
        if not days:
            return
        _LOGGER.info(
            "%s: Fluvius now serves %s values; re-importing %d days held as daily totals",
            self._name,
            finest,
            len(days),
        )
        chunks = [
            (first, min(first + timedelta(days=CHUNK_DAYS - 1), last))
            for run_first, last in runs(days)
            for first in _chunk_starts(run_first, last)
        ]
        done = 0
        try:
            with self._running("refining"):
                for first, last in chunks:
                    async with self._lock:
                        start, _ = day_bounds(first, self._day_start_hour)
                        _, end = day_bounds(last, self._day_start_hour)
                        daily = self._store.get(start, end)
                        intervals = await self._client.measurements(
                            self._ean, self._serial, first, last, daily=daily
                        )
                        await self._import(intervals)
                        self._store.still_daily(
                            day
                            for day in daily_total_days(intervals, self._day_start_hour)
                            if first <= day <= last
                        )
                    done += (last - first).days + 1
                    self.progress = round(100 * done / len(days), 1)
                    self._on_progress()
                    await asyncio.sleep(PAUSE_SECONDS)
                self.progress = 100.0
        except BaseException:
            self.refine_due = True  # resumes with the days still held as daily totals
            raise
        _LOGGER.info("%s: re-import at %s resolution complete", self._name, finest)

    async def _run_step(
        self, start: date, end: date, changed_only: bool, *, newest_day: datetime | None
    ) -> None:
        """Import start..end in chunks, oldest first, pausing between chunks."""
        newest = None if newest_day is None else newest_day.astimezone(BRUSSELS).date()
        horizon = self._horizon or start
        total = max((self._last_day(self._today()) - horizon).days, 1)
        while start <= end:
            chunk_end = min(start + timedelta(days=CHUNK_DAYS - 1), end)
            if changed_only and newest is not None and start <= newest:
                await self._import(await self._fetch_changed(start, chunk_end))
            else:
                await self._import(await self._fetch(start, chunk_end))
            self.progress = round(min(100.0, max(0.0, 100 * (chunk_end - horizon).days / total)), 1)
            _LOGGER.debug(
                "%s: statistics import %.0f%% (up to %s)", self._name, self.progress, chunk_end
            )
            self._on_progress()
            start = chunk_end + timedelta(days=1)
            if start <= end:
                await asyncio.sleep(PAUSE_SECONDS)

    async def async_ingest(self, batches: Iterable[FetchBatch]) -> None:
        """Import the coordinator's fetches, closing any gap before them first."""
        batches = [batch for batch in batches if batch.intervals]
        if not self.done or not batches:
            return
        async with self._lock:
            first = min(batches, key=lambda batch: batch.intervals[0].start)
            if self.imported_until is not None and first.intervals[0].start > self.imported_until:
                gap_start = day_of(self.imported_until, self._day_start_hour)
                gap_end = min(first.start - timedelta(days=1), self._last_day(self._today()))
                if gap_start <= gap_end:
                    _LOGGER.info(
                        "%s: closing a statistics gap from %s to %s", self._name, gap_start, gap_end
                    )
                    await self._import(await self._fetch(gap_start, gap_end))
            for batch in batches:
                await self._import(list(batch.intervals))

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
        """Book intervals (only those before the cut-off date) into the statistics."""
        self.day_peaks.update(day_peaks(intervals))  # peaks keep working after the cut-off
        if self._import_until is not None:
            cutoff, _ = day_bounds(self._import_until, self._day_start_hour)
            intervals = [interval for interval in intervals if interval.start < cutoff]
        result = await self._statistics.async_import(intervals)
        if result.last_hour is not None:
            end = result.last_hour + HOUR
            if self.imported_until is None or end > self.imported_until:
                self.imported_until = end
