"""FluviusClient: the public entry point (login, measurements, peaks, probe)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import logging
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from .auth import TokenManager
from .brussels import (
    GAS_DAY_START_HOUR,
    day_of,
    day_span_utc,
    local_range,
    local_today,
    month_end,
    utc_range,
)
from .errors import (
    FluviusMeterNotAccessibleError,
    FluviusNoDataError,
    FluviusPayloadError,
    FluviusTokenRejectedError,
)
from .granularity import (
    CodeKnowledge,
    MeterDialect,
    export_dialects,
    import_dialects,
    judge_days,
    meter_key,
)
from .models import (
    ClientStats,
    GranularityCapability,
    Interval,
    MeterProbe,
    MeterType,
    MonthlyPeak,
    Resolution,
)
from .parsing import (
    ParsedPeriods,
    load_json,
    merge_intervals,
    merge_peaks,
    parse_legacy_measurements,
    parse_legacy_peaks,
    parse_measurements,
    parse_peaks,
)
from .requestlog import RequestLog, RequestRecord, describe_lengths
from .security import checked_url, mask_ean
from .transport import Response, Transport

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORTAL_URL = "https://mijn.fluvius.be"
_API = "/verbruik/api"
_MAX_STEPS = 2000  # guard against a server that keeps changing its mind
_NO_ACCESS = "this account has no access to the meter"


class _EndpointMissing(FluviusMeterNotAccessibleError):
    """404/410 from a data endpoint: try the legacy one (internal, caught by the client)."""


class _RangeRejected(FluviusPayloadError):
    """400 on a data request: the range is too long for this code (internal)."""


@dataclass(frozen=True, slots=True)
class _Meter:
    """One meter being worked on: its identity and what was learnt about it."""

    ean: str
    serial: str
    dialect: MeterDialect

    @property
    def key(self) -> str:
        return meter_key(self.ean, self.serial)

    @property
    def serial_param(self) -> dict[str, str]:
        """meterSerialNumber, left out when the serial is not known."""
        return {"meterSerialNumber": self.serial} if self.serial else {}

    @property
    def gas(self) -> bool:
        return self.dialect.meter_type is MeterType.GAS

    @property
    def day_start_hour(self) -> int:
        """Gas days run from 06:00 to 06:00 local time."""
        return GAS_DAY_START_HOUR if self.gas else 0

    def day_of(self, instant: datetime) -> date:
        """The calendar day (gas day on a gas meter) an instant belongs to."""
        return day_of(instant, self.day_start_hour)


class _Oracle:
    """Which days hold data, per the daily code: asked only when an answer needs checking,
    no more than needed (for an empty answer, its one day most likely published), and each
    day once per call."""

    def __init__(
        self, client: FluviusClient | None, meter: _Meter, daily: Sequence[Interval] | None
    ) -> None:
        self._client, self._meter = client, meter
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
        return self._client is not None and (
            self._meter.dialect.measurements.choose(Resolution.DAY) is not None
        )

    async def _ask(self, first: date, last: date) -> None:
        wanted = _days(first, last) - self._asked
        if not wanted or self._client is None:
            return
        first, last = min(wanted), max(wanted)
        self.asked = True
        intervals = await self._client._fetch(
            self._meter,
            Resolution.DAY,
            Resolution.DAY,
            first,
            last,
            oracle=_Oracle(None, self._meter, None),
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


def _months(first: date, last: date) -> list[date]:
    """First days of the months from `first`'s month to `last`'s month."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = month_end(month) + timedelta(days=1)
    return months


def _step(steps: int) -> int:
    if steps >= _MAX_STEPS:
        raise FluviusPayloadError("the portal keeps changing the ranges it accepts")
    return steps + 1


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def _newest(parsed: ParsedPeriods) -> datetime:
    return max(interval.start for interval in parsed.intervals)


def _likely_published(dialect: MeterDialect, first: date, last: date) -> date:
    """The day of first..last most likely to hold data: the newest one not after the newest
    day seen with data (a range reaching back before the meter was installed still finds
    its data), else the oldest (a range of recent days, not all published yet)."""
    seen = dialect.seen_last
    if seen is None or seen < first:
        return first
    return min(seen, last)


def _conclusion(parsed: ParsedPeriods, missing: list[date], oracle: _Oracle) -> str:
    if parsed.intervals:
        return f"accepted; {len(missing)} published day(s) missing" if missing else "accepted"
    if missing:
        return "empty for a published day"
    if oracle.asked:
        return "nothing published (the daily code agrees)"
    return "nothing published"


def _counted(peaks: list[MonthlyPeak], record: RequestRecord) -> list[MonthlyPeak]:
    record.periods = len(peaks)
    record.period_length = "1 month" if peaks else None
    return peaks


class FluviusClient:
    """Async client for the Mijn Fluvius portal. No Home Assistant dependency."""

    def __init__(
        self,
        email: str,
        password: str,
        *,
        session: aiohttp.ClientSession | None = None,
        portal_url: str = DEFAULT_PORTAL_URL,
        request_timeout: float = 30.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        # The caller picks the portal; plain http only towards loopback (the simulator).
        self._portal = checked_url(portal_url, what="portal URL").origin()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._transport = Transport(timeout=request_timeout, clock=self._clock)
        self._tokens = TokenManager(self._transport, self._portal, email, password, self._clock)
        self._session = session
        self._own_session: aiohttp.ClientSession | None = None
        self._meters: dict[str, MeterDialect] = {}
        self._judge_locks: dict[str, asyncio.Lock] = {}
        self._request_log = RequestLog()
        self._in_use: dict[str, Resolution] = {}

    # ------------------------------------------------------------ account and state

    async def login(self) -> None:
        """Full login now (also lifts the block left by rejected credentials)."""
        await self._tokens.login()

    def allow_login(self) -> None:
        """A login elsewhere (a reauth flow) just succeeded with these credentials: lift the
        block left by a rejected login, whatever the password (it may be unchanged)."""
        self._tokens.allow_login()

    def set_password(self, password: str) -> None:
        """New password from the user; lifts the block left by rejected credentials."""
        self._tokens.set_password(password)

    def export_tokens(self) -> dict[str, Any] | None:
        """Token state to persist (holds secrets: store it like a password)."""
        return self._tokens.export()

    def import_tokens(self, data: dict[str, Any]) -> None:
        """Adopt persisted token state; malformed data or another account's is ignored."""
        self._tokens.import_(data)

    def export_dialects(self) -> dict[str, Any]:
        """What was learnt about each meter (codes, range limits, legacy), as plain data."""
        return export_dialects(self._meters)

    def import_dialects(self, data: dict[str, Any]) -> None:
        """Adopt learnt meter dialects; unreadable entries are skipped and relearnt."""
        self._meters.update(import_dialects(data))

    def capabilities(self, ean: str, serial: str) -> list[GranularityCapability]:
        """Granularity codes found usable for a meter, finest first (diagnostics)."""
        dialect = self._meters.get(meter_key(ean, serial))
        return dialect.measurements.capabilities() if dialect else []

    def finest_resolution(self, ean: str, serial: str) -> Resolution | None:
        """The finest resolution a meter's codes were found to deliver (None: not judged)."""
        dialect = self._meters.get(meter_key(ean, serial))
        return dialect.measurements.best_resolution(Resolution.QUARTER_HOUR) if dialect else None

    def resolution_in_use(self, ean: str, serial: str) -> Resolution | None:
        """The resolution of the newest day the last measurements call delivered: the
        finest on offer, or the daily total where no finer code delivered that day."""
        return self._in_use.get(meter_key(ean, serial)) or self.finest_resolution(ean, serial)

    def daily_only(self, ean: str, serial: str) -> bool:
        """Whether the meter was found to deliver daily values only: a daily code has data
        and no code delivers anything finer (its quarter-hours were never requested in Mijn
        Fluvius, or are not served yet)."""
        dialect = self._meters.get(meter_key(ean, serial))
        return dialect is not None and dialect.measurements.daily_only()

    def request_log(self, ean: str, serial: str) -> list[dict[str, Any]]:
        """The meter's last data requests, redacted, for diagnostics (oldest first)."""
        return self._request_log.records(meter_key(ean, serial))

    @property
    def stats(self) -> ClientStats:
        counters = self._transport.counters
        return ClientStats(
            counters.requests, counters.logins, counters.refreshes, counters.last_login
        )

    async def close(self) -> None:
        """Close the data session if this client created it."""
        if self._own_session is not None:
            await self._own_session.close()
            self._own_session = None

    # ------------------------------------------------------------ public data calls

    async def measurements(
        self,
        ean: str,
        serial: str,
        start: date,
        end: date,
        resolution: Resolution = Resolution.QUARTER_HOUR,
        *,
        daily: Sequence[Interval] | None = None,
    ) -> list[Interval]:
        """Intervals of the days start..end inclusive, sorted, aware UTC.

        Days are Brussels calendar days, or gas days (06:00 to 06:00) on a gas meter. The
        resolution is the finest the meter offers that is not finer than `resolution`. A day
        the daily code shows as published is never left out: where no finer code delivers it,
        its daily total is returned instead. `daily` is an answer of the daily code for these
        days that the caller already holds (it spares the client asking again).
        """
        end = min(end, local_today(self._clock()))
        if start > end:
            return []
        meter = self._meter(ean, serial)

        async def run() -> list[Interval]:
            target = await self._judged(meter, resolution, start, end)
            if target is None:
                _LOGGER.debug("No published data for %s to judge from", mask_ean(ean))
                return []
            oracle = _Oracle(self, meter, daily)
            intervals = await self._fetch(meter, target, resolution, start, end, oracle=oracle)
            if intervals and resolution is not Resolution.DAY:
                self._in_use[meter.key] = intervals[-1].resolution
            return intervals

        return await self._with_legacy_fallback(meter, run)

    async def recheck_finer(self, ean: str, serial: str, day: date) -> Resolution | None:
        """On a meter that delivers daily values only, at most once a local day: ask one
        finer code (in turn) for `day`, a day the daily code serves. Returns the finer
        resolution when it now delivers; the other codes are then judged afresh on that day
        (a request each, once)."""
        meter = self._meter(ean, serial)
        dialect = meter.dialect.measurements
        today = local_today(self._clock())
        candidates = dialect.finer_candidates()
        if not dialect.daily_only() or not candidates or meter.dialect.finer_checked == today:
            return None
        code = candidates[today.toordinal() % len(candidates)]

        async def run() -> ParsedPeriods | None:
            try:
                parsed, record = await self._measure_request(meter, code, day, day)
            except _RangeRejected:
                return None
            finer = parsed.resolution not in (None, Resolution.DAY)
            record.conclusion = (
                f"re-check: code {code} now delivers {parsed.resolution}"
                if finer
                else "re-check: still daily values only"
            )
            return parsed

        parsed = await self._with_legacy_fallback(meter, run)
        meter.dialect.finer_checked = today
        if parsed is None or parsed.resolution in (None, Resolution.DAY):
            return None
        for other in candidates:
            dialect.codes[other] = CodeKnowledge()
        known = dialect.codes[code]
        known.resolution = parsed.resolution
        known.limit.record_ok(1)
        known.day_start = self._start_hour(meter, code) if meter.gas else None
        await self._judge(meter, [day])  # the other codes, on the day that has finer data
        _LOGGER.info(
            "Fluvius now serves %s values for %s (code %s)",
            parsed.resolution,
            mask_ean(ean),
            code,
        )
        return parsed.resolution

    async def peaks(self, ean: str, serial: str, start: date, end: date) -> list[MonthlyPeak]:
        """Monthly offtake peaks (capacity tariff) of the months touching start..end."""
        meter = self._meter(ean, serial)
        if meter.dialect.meter_type is MeterType.GAS:
            return []  # the capacity tariff is electricity only
        today = local_today(self._clock())
        months = _months(start, min(end, today))
        limit = meter.dialect.peak_months
        batches: list[list[MonthlyPeak]] = []
        index = steps = 0
        while index < len(months):
            steps = _step(steps)
            count = limit.next_length(len(months) - index)
            first, last = months[index], min(month_end(months[index + count - 1]), today)
            record = self._record(meter, "meter-measurement-spikes", None, count, "month")
            try:
                batch = await self._peaks_request(meter, first, last, record)
            except _RangeRejected:
                if count <= 1:
                    raise FluviusPayloadError("peaks: the portal refuses even one month") from None
                limit.record_fail(count)
                continue
            window = months[index : index + count]
            if not batch and count > 1 and not limit.trusts(count):
                # An empty answer over months with published measurements, or over months
                # one of which has a peak on its own, is the portal refusing the range.
                seen = any(meter.dialect.seen_between(m, month_end(m)) for m in window)
                if seen or await self._peak_month_has_peak(meter, window[-1], today):
                    record.conclusion = "refused: empty, yet a month of it has a peak"
                    limit.record_fail(count)
                    continue
            if batch:
                limit.record_ok(count)
            lacking = [
                month
                for month in window
                if meter.dialect.seen_between(month, month_end(month))
                and month not in {peak.month for peak in batch}
            ]
            record.conclusion = (
                f"accepted; no peak for {len(lacking)} month(s) with data"
                if lacking
                else "accepted"
                if batch
                else "accepted: no peaks"
            )
            batches.append(batch)
            index += count
        wanted = set(months)
        return [peak for peak in merge_peaks(batches) if peak.month in wanted]

    async def _peak_month_has_peak(self, meter: _Meter, month: date, today: date) -> bool:
        """One month alone: whether the portal has a peak for it."""
        record = self._record(meter, "meter-measurement-spikes", None, 1, "month")
        try:
            batch = await self._peaks_request(meter, month, min(month_end(month), today), record)
        except _RangeRejected:
            return False
        record.conclusion = "has a peak" if batch else "confirms: no peak"
        if batch:
            meter.dialect.peak_months.record_ok(1)
        return bool(batch)

    def forget(self, ean: str, serial: str) -> None:
        """Drop all that is known of a meter (dialect, request log): it is not one of ours."""
        key = meter_key(ean, serial)
        self._meters.pop(key, None)
        self._judge_locks.pop(key, None)
        self._in_use.pop(key, None)
        self._request_log.forget(key)

    async def probe(self, ean: str, serial: str) -> MeterProbe:
        """Log in and look at recent published days: meter type, finest resolution, legacy.

        A probe that fails (not found, no access, no data, an error) leaves nothing of a
        meter this client did not know before: a mistyped serial or another account's EAN
        is neither stored with the dialects nor shown in diagnostics.
        """
        known = meter_key(ean, serial) in self._meters
        try:
            return await self._probe(ean, serial)
        except BaseException:
            if not known:
                self.forget(ean, serial)
            raise

    async def _probe(self, ean: str, serial: str) -> MeterProbe:
        await self._tokens.access_token()
        meter = self._meter(ean, serial)
        day = local_today(self._clock()) - timedelta(days=4)

        async def run() -> Resolution | None:
            return await self._judged(meter, Resolution.QUARTER_HOUR, day, day)

        resolution = await self._with_legacy_fallback(meter, run)
        meter_type = meter.dialect.meter_type
        if resolution is None or meter_type is None:
            raise FluviusNoDataError(f"no recent data published for meter {mask_ean(ean)} yet")
        return MeterProbe(meter_type, resolution, meter.dialect.legacy)

    # ------------------------------------------------------------ discovery and chunking

    def _meter(self, ean: str, serial: str) -> _Meter:
        ean, serial = ean.strip(), serial.strip()
        dialect = self._meters.setdefault(meter_key(ean, serial), MeterDialect())
        return _Meter(ean, serial, dialect)

    async def _with_legacy_fallback[T](self, meter: _Meter, run: Callable[[], Awaitable[T]]) -> T:
        """Run against the current endpoint; on 404/410 switch the meter to legacy for good."""
        dialect = meter.dialect
        if dialect.legacy:
            return await self._run_legacy(run)
        try:
            return await run()
        except _EndpointMissing:
            _LOGGER.debug("History endpoint gone for %s; trying legacy", mask_ean(meter.ean))
        dialect.legacy = True
        try:
            return await self._run_legacy(run)
        except BaseException:
            dialect.legacy = False  # the legacy endpoint did not prove itself: conclude nothing
            raise

    @staticmethod
    async def _run_legacy[T](run: Callable[[], Awaitable[T]]) -> T:
        try:
            return await run()
        except _EndpointMissing:
            raise FluviusMeterNotAccessibleError(_NO_ACCESS) from None

    async def _judged(
        self, meter: _Meter, wanted: Resolution, start: date, end: date
    ) -> Resolution | None:
        """Judge untested codes (once per meter) and return the resolution to fetch in."""
        lock = self._judge_locks.setdefault(meter.key, asyncio.Lock())
        async with lock:
            dialect = meter.dialect.measurements
            if dialect.unjudged():
                await self._judge(meter, judge_days(start, end, local_today(self._clock())))
            if not dialect.unjudged() and not dialect.usable():
                meter.dialect.forget_codes()  # every code refused: judge afresh next time
                raise FluviusPayloadError("no granularity code is accepted for this meter")
            return dialect.best_resolution(wanted)

    async def _judge(self, meter: _Meter, days: list[date]) -> None:
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
        self, meter: _Meter, codes: list[str], day: date
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
                start_hour = self._judging_hour(meter, code, asked[code])
                asked[code].add(start_hour)
                known = dialect.codes[code]
                try:
                    parsed, record = await self._measure_request(meter, code, day, day, start_hour)
                except _RangeRejected:
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

    def _judging_hour(self, meter: _Meter, code: str, asked: set[int]) -> int:
        """The window alignment to judge a code in: the usual one first, then the other."""
        usual = self._start_hour(meter, code)
        if usual not in asked:
            return usual
        return 0 if usual == GAS_DAY_START_HOUR else GAS_DAY_START_HOUR

    async def _fetch(
        self,
        meter: _Meter,
        target: Resolution,
        wanted: Resolution,
        start: date,
        end: date,
        *,
        oracle: _Oracle,
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
            steps = _step(steps)
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
                parsed, record = await self._measure_request(meter, code, cursor, last)
            except _RangeRejected:
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
        meter: _Meter,
        code: str,
        parsed: ParsedPeriods,
        first: date,
        last: date,
        *,
        oracle: _Oracle,
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
        confirm, record = await self._measure_request(meter, code, probe, probe)
        if not confirm.intervals:
            record.conclusion = "confirms: nothing published"
            return []
        record.conclusion = "has data: the longer range was refused"
        known.limit.record_ok(1)
        return [probe]

    async def _rescue(
        self, meter: _Meter, failed: str, day: date, oracle: _Oracle, *, retry_same: bool
    ) -> list[Interval]:
        """A published day a code did not deliver: that code asked for the day alone (when
        it was part of a longer range), another finer code, else the day's daily total."""
        dialect = meter.dialect.measurements
        known = dialect.codes[failed]
        if known.resolution is Resolution.DAY:
            # The daily code left out a day it has data for (seen with a one-day request).
            parsed, record = await self._measure_request(meter, failed, day, day)
            record.conclusion = "rescued one day"
            return parsed.intervals
        others = [c.code for c in dialect.capabilities() if c.code != failed]
        for code in [failed, *others] if retry_same else others:
            if dialect.codes[code].resolution is Resolution.DAY:
                break  # only finer codes are worth a request; the daily total is at hand
            parsed, record = await self._measure_request(meter, code, day, day)
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

    # ------------------------------------------------------------ single requests

    def _record(
        self, meter: _Meter, endpoint: str, code: str | None, span: int, alignment: str
    ) -> RequestRecord:
        record = RequestRecord(self._clock(), endpoint, code, span, alignment)
        return self._request_log.add(meter.key, record)

    @staticmethod
    def _start_hour(meter: _Meter, code: str) -> int:
        """The local hour this code's windows start at: calendar days on electricity; on gas
        the alignment the code delivered data in, else gas days (06:00 to 05:59:59.999),
        which both readings of a daily gas window serve completely (docs/PORTAL.md)."""
        if not meter.gas:
            return 0
        known = meter.dialect.measurements.codes.get(code)
        if known is not None and known.day_start is not None:
            return known.day_start
        return GAS_DAY_START_HOUR

    async def _measure_request(
        self, meter: _Meter, code: str, first: date, last: date, start_hour: int | None = None
    ) -> tuple[ParsedPeriods, RequestRecord]:
        dialect = meter.dialect
        if start_hour is None:
            start_hour = self._start_hour(meter, code)
        if dialect.legacy:
            history_from, history_until = utc_range(first, last, start_hour)
            params = {"granularity": code, "asServiceProvider": "false"}
            endpoint, what = "consumption-histories", "consumption history"
        else:
            history_from, history_until = local_range(first, last, start_hour)
            params = {
                "granularity": code,
                "asServiceProvider": "false",
                "mandateDisplayMode": "1",
                **meter.serial_param,
            }
            endpoint, what = "meter-measurement-history", "measurement history"
        params |= {"historyFrom": history_from, "historyUntil": history_until}
        alignment = "gas day" if start_hour else "calendar day"
        record = self._record(meter, endpoint, code, (last - first).days + 1, alignment)
        payload = await self._get(endpoint, meter.ean, params, what, record)
        parsed = self._parse_measurements(meter, payload, dialect.meter_type)
        if dialect.meter_type is None and parsed.meter_type is not None:
            dialect.meter_type = parsed.meter_type
            if parsed.meter_type is MeterType.GAS:  # registers and days depend on the type
                parsed = self._parse_measurements(meter, payload, MeterType.GAS)
        record.periods = len(parsed.intervals)
        record.period_length = describe_lengths(i.end - i.start for i in parsed.intervals)
        if parsed.intervals:
            dialect.saw(meter.day_of(parsed.intervals[0].start), meter.day_of(_newest(parsed)))
        return parsed, record

    @staticmethod
    def _parse_measurements(
        meter: _Meter, payload: Any, meter_type: MeterType | None
    ) -> ParsedPeriods:
        if meter.dialect.legacy:
            return parse_legacy_measurements(payload, meter.serial, meter_type)
        return parse_measurements(payload, meter_type)

    async def _peaks_request(
        self, meter: _Meter, first: date, last: date, record: RequestRecord
    ) -> list[MonthlyPeak]:
        """One spikes request, on the legacy endpoint if the current one is gone."""
        dialect = meter.dialect
        if not dialect.legacy_peaks:
            history_from, history_until = local_range(first, last)
            params = {
                "historyFrom": history_from,
                "historyUntil": history_until,
                "asServiceProvider": "false",
                **meter.serial_param,
            }
            try:
                payload = await self._get(
                    "meter-measurement-spikes", meter.ean, params, "measurement spikes", record
                )
                return _counted(parse_peaks(payload), record)
            except _EndpointMissing:
                _LOGGER.debug("Spikes endpoint gone for %s; trying legacy", mask_ean(meter.ean))
        history_from, history_until = utc_range(first, last)
        params = {
            "historyFrom": history_from,
            "historyUntil": history_until,
            "granularity": "3",
            "asServiceProvider": "false",
        }
        record.endpoint = "consumption-spikes"
        try:
            payload = await self._get(
                "consumption-spikes", meter.ean, params, "consumption spikes", record
            )
        except _EndpointMissing:
            dialect.legacy_peaks = False
            raise FluviusMeterNotAccessibleError(_NO_ACCESS) from None
        dialect.legacy_peaks = True
        return _counted(parse_legacy_peaks(payload, meter.serial), record)

    def _data_session(self) -> aiohttp.ClientSession:
        if self._session is not None:
            return self._session
        if self._own_session is None or self._own_session.closed:
            # Data calls need no cookies; a dummy jar keeps nothing between calls.
            self._own_session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        return self._own_session

    async def _get(
        self, endpoint: str, ean: str, params: dict[str, str], what: str, record: RequestRecord
    ) -> Any:
        """GET a data endpoint with the bearer token; one renewal on 401."""
        # Quoted as one path segment: odd input yields a 404, never another URL.
        url = self._portal.with_path(f"{_API}/{endpoint}/{quote(ean, safe='')}", encoded=True)
        token = await self._tokens.access_token()
        resp = await self._send(url, params, token, what)
        if resp.status == 401:
            _LOGGER.debug("%s answered 401; renewing the token once", what)
            token = await self._tokens.renew_after_rejection(token)
            resp = await self._send(url, params, token, what)
            if resp.status == 401:
                raise FluviusTokenRejectedError(f"{what}: the portal refuses a renewed token")
        record.status = resp.status
        if resp.status == 400:
            record.conclusion = "refused (HTTP 400)"
        self._check_status(resp, what)
        return load_json(resp.body, what)

    async def _send(self, url: URL, params: dict[str, str], token: str, what: str) -> Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        resp = await self._transport.request(
            self._data_session(),
            "GET",
            url,
            what=what,
            params=params,
            headers=headers,
            allow_redirects=False,
        )
        _LOGGER.debug("%s [%s] answered %s", what, params.get("granularity", "-"), resp.status)
        return resp

    def _check_status(self, resp: Response, what: str) -> None:
        self._transport.check_common(resp, what)
        if resp.status == 200:
            return
        if resp.status == 400:
            raise _RangeRejected(f"{what}: range refused (HTTP 400)")
        if resp.status == 403:
            raise FluviusMeterNotAccessibleError(f"{what}: {_NO_ACCESS}")
        if resp.status in (404, 410):
            raise _EndpointMissing(f"{what}: endpoint answered {resp.status}")
        raise FluviusPayloadError(f"{what}: unexpected HTTP status {resp.status}")
