"""Judging a meter's granularity codes: which resolution each code serves and in which window
alignment, from one-day requests, once per meter; and the daily re-check of a meter that
delivers daily values only, for finer data that appeared since."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
import logging

from .brussels import GAS_DAY_START_HOUR, local_today
from .endpoints import Endpoints, RangeRejected, with_legacy_fallback
from .errors import FluviusPayloadError
from .granularity import CodeKnowledge, judge_days
from .meter import Meter
from .models import Resolution
from .parsing import ParsedPeriods
from .security import mask_ean

_LOGGER = logging.getLogger(__name__)


class CodeJudge:
    """Judges the codes of the meters of one client, one judging at a time per meter."""

    def __init__(self, endpoints: Endpoints, clock: Callable[[], datetime]) -> None:
        self._endpoints = endpoints
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    def forget(self, key: str) -> None:
        """Drop a meter's lock (the meter is being forgotten)."""
        self._locks.pop(key, None)

    async def judged(
        self, meter: Meter, wanted: Resolution, start: date, end: date
    ) -> Resolution | None:
        """Judge untested codes (once per meter) and return the resolution to fetch in."""
        lock = self._locks.setdefault(meter.key, asyncio.Lock())
        async with lock:
            dialect = meter.dialect.measurements
            if dialect.unjudged():
                await self._judge(meter, judge_days(start, end, local_today(self._clock())))
            if not dialect.unjudged() and not dialect.usable():
                meter.dialect.forget_codes()  # every code refused: judge afresh next time
                raise FluviusPayloadError("no granularity code is accepted for this meter")
            return dialect.best_resolution(wanted)

    async def recheck_finer(self, meter: Meter, day: date) -> Resolution | None:
        """On a meter that delivers daily values only, at most once a local day: ask one
        finer code (in turn) for `day`, a day the daily code serves. Returns the finer
        resolution when it now delivers; the other codes are then judged afresh on that day
        (a request each, once)."""
        dialect = meter.dialect.measurements
        today = local_today(self._clock())
        candidates = dialect.finer_candidates()
        if not dialect.daily_only() or not candidates or meter.dialect.finer_checked == today:
            return None
        code = candidates[today.toordinal() % len(candidates)]

        async def run() -> ParsedPeriods | None:
            try:
                parsed, record = await self._endpoints.measure_request(meter, code, day, day)
            except RangeRejected:
                return None
            finer = parsed.resolution not in (None, Resolution.DAY)
            record.conclusion = (
                f"re-check: code {code} now delivers {parsed.resolution}"
                if finer
                else "re-check: still daily values only"
            )
            return parsed

        parsed = await with_legacy_fallback(meter, run)
        meter.dialect.finer_checked = today
        if parsed is None or parsed.resolution in (None, Resolution.DAY):
            return None
        for other in candidates:
            dialect.codes[other] = CodeKnowledge()
        known = dialect.codes[code]
        known.resolution = parsed.resolution
        known.limit.record_ok(1)
        known.day_start = meter.start_hour(code) if meter.gas else None
        await self._judge(meter, [day])  # the other codes, on the day that has finer data
        _LOGGER.info(
            "Fluvius now serves %s values for %s (code %s)",
            parsed.resolution,
            mask_ean(meter.ean),
            code,
        )
        return parsed.resolution

    async def _judge(self, meter: Meter, days: list[date]) -> None:
        """One-day requests per code. An empty answer proves nothing, unless another code
        had data for the same day in a window shaped the same way.

        Codes that stay empty on a day the daily code serves, while no code delivers
        anything finer, are asked once more for a second such day before they are written
        off: a meter whose quarter-hours were never requested in Mijn Fluvius is told apart
        from a day not yet filled in.
        """
        dialect = meter.dialect.measurements
        pending = dialect.unjudged()
        confirmed = False
        for day in days:
            had_data, refused, empty = await self._judge_day(meter, pending, day)
            for code in refused:
                dialect.codes[code].record_fail(1)
            if not had_data:
                if not confirmed:
                    pending = empty
                continue
            daily = dialect.choose(Resolution.DAY)
            if empty and not confirmed and daily is not None and dialect.daily_only():
                # Only the daily code had data: the others once more, on a day the daily
                # code is asked for again alongside them.
                confirmed = True
                pending = [*empty, daily]
                continue
            for code in empty:
                dialect.codes[code].unsupported = True
            return
        if confirmed:  # no second day held data: what the first day showed stands
            for code in pending:
                if dialect.codes[code].resolution is not Resolution.DAY:
                    dialect.codes[code].unsupported = True
            return
        _LOGGER.debug("Judging inconclusive: no data on the %d days tried", len(days))

    async def _judge_day(
        self, meter: Meter, codes: list[str], day: date
    ) -> tuple[bool, list[str], list[str]]:
        """Ask each code for one day: whether any had data, the codes refused (400) and those
        that answered empty.

        Nothing is concluded from an empty answer before the other window alignment was
        tried where it may matter: on a gas meter (sub-daily gas windows must be whole gas
        days, and the daily code may serve only gas days wholly inside its window), and on
        a meter of unknown type while no code had data in calendar windows.
        """
        dialect = meter.dialect.measurements
        asked: dict[str, set[int]] = {code: set() for code in codes}
        outcome: dict[str, str] = {}
        had_data = False
        pending = list(codes)
        while pending:
            for code in pending:
                start_hour = _judging_hour(meter, code, asked[code])
                asked[code].add(start_hour)
                known = dialect.codes[code]
                try:
                    parsed, record = await self._endpoints.measure_request(
                        meter, code, day, day, start_hour
                    )
                except RangeRejected:
                    outcome[code] = "refused"
                    continue
                if not parsed.intervals:
                    record.conclusion = "judging: empty, proves nothing yet"
                    outcome[code] = "empty"
                    continue
                had_data = True
                outcome[code] = "data"
                known.limit.record_ok(1)
                known.resolution = parsed.resolution
                known.unsupported = parsed.resolution is None
                known.day_start = start_hour if meter.gas else None
                record.conclusion = f"judged: code {code} is {parsed.resolution or 'unknown'}"
            pending = [
                code
                for code in codes
                if outcome[code] != "data"
                and (meter.gas or (meter.dialect.meter_type is None and not had_data))
                and len(asked[code]) < 2
            ]
        refused = [code for code in codes if outcome[code] == "refused"]
        empty = [code for code in codes if outcome[code] == "empty"]
        return had_data, refused, empty


def _judging_hour(meter: Meter, code: str, asked: set[int]) -> int:
    """The window alignment to judge a code in: the usual one first, then the other."""
    usual = meter.start_hour(code)
    if usual not in asked:
        return usual
    return 0 if usual == GAS_DAY_START_HOUR else GAS_DAY_START_HOUR
