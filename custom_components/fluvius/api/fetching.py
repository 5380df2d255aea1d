"""Fetching the measurements of a range of days: chunks as long as the chosen code accepts,
the empty-answer oracle (which days hold data, per the daily code), and the rescue of
published days an answer left out.

The real portal answers a range it refuses with an empty `200 []`, so an empty answer, or
days missing from an answer, are checked against what is published before anything is
concluded from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
import logging

from .brussels import day_span_utc
from .endpoints import Endpoints, RangeRejected
from .errors import FluviusPayloadError
from .granularity import MeterDialect, step
from .meter import Meter
from .models import Interval, Resolution
from .parsing import ParsedPeriods, merge_intervals
from .security import mask_ean

_LOGGER = logging.getLogger(__name__)

# The pace of a long import, for every caller that walks a long range (the integration's
# history import, the command line's export): steps of this many days (the client splits each
# into the requests its dialect allows), with a pause between them, so a year of history is
# not fetched as one burst.
IMPORT_STEP_DAYS = 31
IMPORT_PAUSE_SECONDS = 0.25


class Oracle:
    """Which days hold data, per the daily code: asked only when an answer needs checking,
    no more than needed (for an empty answer, its one day most likely published), and each
    day once per call."""

    def __init__(
        self, fetcher: Fetcher | None, meter: Meter, daily: Sequence[Interval] | None
    ) -> None:
        self._fetcher, self._meter = fetcher, meter
        self._known: dict[date, Interval] = {} if daily is None else self._index(daily)
        self._asked: set[date] = set() if daily is None else set(self._known)
        self._everything = daily is not None  # the caller's answer covers the whole call
        self.asked = daily is not None

    def _index(self, intervals: Sequence[Interval]) -> dict[date, Interval]:
        return {self._meter.day_of(i.start): i for i in intervals if i.resolution is Resolution.DAY}

    @property
    def available(self) -> bool:
        """A daily code exists to ask (or its answer was handed over)."""
        if self._everything:
            return True
        return self._fetcher is not None and (
            self._meter.dialect.measurements.choose(Resolution.DAY) is not None
        )

    async def _ask(self, first: date, last: date) -> None:
        wanted = _days(first, last) - self._asked
        if not wanted or self._fetcher is None:
            return
        first, last = min(wanted), max(wanted)
        self.asked = True
        intervals = await self._fetcher.fetch(
            self._meter,
            Resolution.DAY,
            Resolution.DAY,
            first,
            last,
            oracle=Oracle(None, self._meter, None),
        )
        self._known |= self._index(intervals)
        self._asked |= _days(first, last)

    async def days(self, first: date, last: date) -> dict[date, Interval]:
        """The daily periods of first..last."""
        if not self._everything and self.available:
            await self._ask(first, last)
        return {day: period for day, period in self._known.items() if first <= day <= last}

    async def any_published(self, first: date, last: date) -> bool:
        """Whether any day of first..last holds data: the day most likely to is asked."""
        if self._everything or not self.available:
            return bool(await self.days(first, last))
        day = _likely_published(self._meter.dialect, first, last)
        return bool(await self.days(day, day))


class Fetcher:
    """Fetches ranges of days for the meters of one client."""

    def __init__(self, endpoints: Endpoints) -> None:
        self._endpoints = endpoints

    async def fetch(
        self,
        meter: Meter,
        target: Resolution,
        wanted: Resolution,
        start: date,
        end: date,
        *,
        oracle: Oracle,
    ) -> list[Interval]:
        """Walk start..end in chunks as long as the chosen code accepts, learning as we go.

        An empty answer, or days missing from an answer, are checked before anything is
        concluded: against the daily code for a finer code, or with a one-day request for the
        daily code itself (see _missing_published).
        """
        dialect = meter.dialect.measurements
        batches: list[list[Interval]] = []
        cursor, steps = start, 0
        while cursor <= end:
            steps = step(steps)
            code = dialect.choose(target)
            if code is None:  # every code of that resolution failed: take the next best
                best = dialect.best_resolution(wanted)
                if best is None:
                    raise FluviusPayloadError("no granularity code delivers data any more")
                target = best
                continue
            known = dialect.codes[code]
            grow = known.resolution is not Resolution.DAY  # daily codes take long ranges
            length = known.limit.next_length((end - cursor).days + 1, grow=grow)
            last = cursor + timedelta(days=length - 1)
            try:
                parsed, record = await self._endpoints.measure_request(meter, code, cursor, last)
            except RangeRejected:
                known.record_fail(length)
                continue
            missing = await self._missing_published(
                meter, code, parsed, cursor, last, oracle=oracle
            )
            if missing and not parsed.intervals and length > 1:
                record.conclusion = f"refused: empty, yet {len(missing)} day(s) have data"
                known.limit.record_fail(length)
                continue
            if parsed.intervals:
                known.limit.record_ok(length)
                if parsed.resolution not in (None, known.resolution):
                    # The code changed meaning: keep the data, choose afresh for what is left.
                    _LOGGER.debug("Code %s now delivers %s", code, parsed.resolution)
                    known.resolution = parsed.resolution
                batches.append(parsed.intervals)
            if not record.conclusion:
                record.conclusion = _conclusion(parsed, missing, oracle)
            for day in missing:
                batches.append(await self._rescue(meter, code, day, oracle, retry_same=length > 1))
            cursor = last + timedelta(days=1)
        return merge_intervals(batches, *day_span_utc(start, end, meter.day_start_hour))

    async def _missing_published(
        self,
        meter: Meter,
        code: str,
        parsed: ParsedPeriods,
        first: date,
        last: date,
        *,
        oracle: Oracle,
    ) -> list[date]:
        """Days of first..last that hold data on the portal but not in this answer.

        For an empty answer over several days one published day is enough to show a refusal.
        """
        holes = _days(first, last) - {meter.day_of(i.start) for i in parsed.intervals}
        if not holes:
            return []
        known = meter.dialect.measurements.codes[code]
        length = (last - first).days + 1
        if known.resolution is not Resolution.DAY:
            if not parsed.intervals and length > 1:
                return [first] if await oracle.any_published(first, last) else []
            published = await oracle.days(min(holes), max(holes))
            return sorted(holes & published.keys())
        # The daily code is its own oracle: believe an empty answer over a range no longer
        # than ranges that delivered, or one that a single day of it confirms.
        if parsed.intervals or known.limit.trusts(length):
            return []
        probe = _likely_published(meter.dialect, first, last)
        confirm, record = await self._endpoints.measure_request(meter, code, probe, probe)
        if not confirm.intervals:
            record.conclusion = "confirms: nothing published"
            return []
        record.conclusion = "has data: the longer range was refused"
        known.limit.record_ok(1)
        return [probe]

    async def _rescue(
        self, meter: Meter, failed: str, day: date, oracle: Oracle, *, retry_same: bool
    ) -> list[Interval]:
        """A published day a code did not deliver: that code asked for the day alone (when
        it was part of a longer range), another finer code, else the day's daily total."""
        dialect = meter.dialect.measurements
        known = dialect.codes[failed]
        if known.resolution is Resolution.DAY:
            # The daily code left out a day it has data for (seen with a one-day request).
            parsed, record = await self._endpoints.measure_request(meter, failed, day, day)
            record.conclusion = "rescued one day"
            return parsed.intervals
        others = [c.code for c in dialect.capabilities() if c.code != failed]
        for code in [failed, *others] if retry_same else others:
            if dialect.codes[code].resolution is Resolution.DAY:
                break  # only finer codes are worth a request; the daily total is at hand
            parsed, record = await self._endpoints.measure_request(meter, code, day, day)
            if parsed.intervals:
                record.conclusion = f"rescued a day code {failed} left out"
                return parsed.intervals
            record.conclusion = "empty as well"
        published = await oracle.days(day, day)
        _LOGGER.info(
            "No finer data for %s on %s although the day is published; using its daily total",
            mask_ean(meter.ean),
            day,
        )
        return [published[day]] if day in published else []


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def _likely_published(dialect: MeterDialect, first: date, last: date) -> date:
    """The day of first..last most likely to hold data: the newest one not after the newest
    day seen with data (a range reaching back before the meter was installed still finds
    its data), else the oldest (a range of recent days, not all published yet)."""
    seen = dialect.seen_last
    if seen is None or seen < first:
        return first
    return min(seen, last)


def _conclusion(parsed: ParsedPeriods, missing: list[date], oracle: Oracle) -> str:
    if parsed.intervals:
        return f"accepted; {len(missing)} published day(s) missing" if missing else "accepted"
    if missing:
        return "empty for a published day"
    if oracle.asked:
        return "nothing published (the daily code agrees)"
    return "nothing published"
