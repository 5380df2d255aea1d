"""FluviusClient: the public entry point (login, measurements, peaks, probe). A facade: the
work is done in endpoints.py (single requests), judging.py (what each code serves),
fetching.py (ranges of days, the empty-answer oracle, rescue of missing days), peaks.py
(monthly peaks) and meter.py (per-meter knowledge, day alignment)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
import logging
from typing import Any

import aiohttp

from .brussels import local_today
from .endpoints import Endpoints, with_legacy_fallback
from .errors import FluviusNoDataError
from .fetching import Fetcher, Oracle
from .granularity import MeterDialect, export_dialects, import_dialects, meter_key
from .judging import CodeJudge
from .meter import Meter
from .models import (
    ClientStats,
    GranularityCapability,
    Interval,
    MeterProbe,
    MeterType,
    MonthlyPeak,
    Resolution,
)
from .parsing import absent_as_zero
from .peaks import fetch_peaks
from .requestlog import RequestLog
from .security import checked_url, mask_ean
from .token_manager import TokenManager
from .transport import Transport

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORTAL_URL = "https://mijn.fluvius.be"


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
        self._meters: dict[str, MeterDialect] = {}
        self._request_log = RequestLog()
        self._in_use: dict[str, Resolution] = {}
        self._endpoints = Endpoints(
            portal=self._portal,
            transport=self._transport,
            tokens=self._tokens,
            session=session,
            request_log=self._request_log,
            clock=self._clock,
        )
        self._judge = CodeJudge(self._endpoints, self._clock)
        self._fetcher = Fetcher(self._endpoints)

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

    def use_access_token(self, token: str) -> None:
        """Use an access token obtained elsewhere (a browser session's) until it expires.
        Without a refresh token, the client then signs in with its password, if it has one."""
        self._tokens.adopt(token)

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
        await self._endpoints.close()

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
        days that the caller already holds (it spares the client asking again). A register
        the meter was seen to have (in any answer) reads 0 where a period leaves it out.
        """
        end = min(end, local_today(self._clock()))
        if start > end:
            return []
        meter = self._meter(ean, serial)

        async def run() -> list[Interval]:
            target = await self._judge.judged(meter, resolution, start, end)
            if target is None:
                _LOGGER.debug("No published data for %s to judge from", mask_ean(ean))
                return []
            oracle = Oracle(self._fetcher, meter, daily)
            intervals = await self._fetcher.fetch(
                meter, target, resolution, start, end, oracle=oracle
            )
            if intervals and resolution is not Resolution.DAY:
                self._in_use[meter.key] = intervals[-1].resolution
            return intervals

        intervals = await with_legacy_fallback(meter, run)
        # A register the meter has, left out of a period, had no energy there: 0.
        meter.dialect.registers |= {r for interval in intervals for r in interval.readings}
        return absent_as_zero(intervals, meter.dialect.registers)

    async def recheck_finer(self, ean: str, serial: str, day: date) -> Resolution | None:
        """On a meter that delivers daily values only, at most once a local day: ask one
        finer code (in turn) for `day`, a day the daily code serves. Returns the finer
        resolution when it now delivers; the other codes are then judged afresh on that day
        (a request each, once)."""
        return await self._judge.recheck_finer(self._meter(ean, serial), day)

    async def peaks(self, ean: str, serial: str, start: date, end: date) -> list[MonthlyPeak]:
        """Monthly offtake peaks (capacity tariff) of the months touching start..end."""
        meter = self._meter(ean, serial)
        if meter.dialect.meter_type is MeterType.GAS:
            return []  # the capacity tariff is electricity only
        return await fetch_peaks(self._endpoints, meter, start, end, local_today(self._clock()))

    def forget(self, ean: str, serial: str) -> None:
        """Drop all that is known of a meter (dialect, request log): it is not one of ours."""
        key = meter_key(ean, serial)
        self._meters.pop(key, None)
        self._judge.forget(key)
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
            return await self._judge.judged(meter, Resolution.QUARTER_HOUR, day, day)

        resolution = await with_legacy_fallback(meter, run)
        meter_type = meter.dialect.meter_type
        if resolution is None or meter_type is None:
            raise FluviusNoDataError(f"no recent data published for meter {mask_ean(ean)} yet")
        return MeterProbe(meter_type, resolution, meter.dialect.legacy)

    def _meter(self, ean: str, serial: str) -> Meter:
        ean, serial = ean.strip(), serial.strip()
        dialect = self._meters.setdefault(meter_key(ean, serial), MeterDialect())
        return Meter(ean, serial, dialect)
