"""The portal's data endpoints, one request at a time: URL and parameters (current or legacy
route, window alignment), the bearer token with one renewal on 401, the status check, the
hand-off to parsing, and the switch of a meter to the legacy endpoints on 404/410."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
import logging
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from .brussels import local_range, utc_range
from .errors import (
    FluviusMeterNotAccessibleError,
    FluviusPayloadError,
    FluviusTokenRejectedError,
)
from .meter import Meter
from .models import MeterType, MonthlyPeak
from .parsing import (
    ParsedPeriods,
    load_json,
    parse_legacy_measurements,
    parse_legacy_peaks,
    parse_measurements,
    parse_peaks,
)
from .requestlog import RequestLog, RequestRecord, describe_lengths
from .security import mask_ean
from .token_manager import TokenManager
from .transport import Response, Transport

_LOGGER = logging.getLogger(__name__)

_API = "/verbruik/api"
_NO_ACCESS = "this account has no access to the meter"


class EndpointMissing(FluviusMeterNotAccessibleError):
    """404/410 from a data endpoint: try the legacy one (internal, caught by the client)."""


class RangeRejected(FluviusPayloadError):
    """400 on a data request: the range is too long for this code (internal)."""


@dataclass(slots=True, kw_only=True)
class Endpoints:
    """Single data requests of one client, each written to the meter's request log."""

    portal: URL
    transport: Transport
    tokens: TokenManager
    session: aiohttp.ClientSession | None
    request_log: RequestLog
    clock: Callable[[], datetime]
    _own_session: aiohttp.ClientSession | None = field(default=None, init=False)

    async def close(self) -> None:
        """Close the data session if it was created here."""
        if self._own_session is not None:
            await self._own_session.close()
            self._own_session = None

    def record(
        self, meter: Meter, endpoint: str, code: str | None, span: int, alignment: str
    ) -> RequestRecord:
        record = RequestRecord(self.clock(), endpoint, code, span, alignment)
        return self.request_log.add(meter.key, record)

    async def measure_request(
        self, meter: Meter, code: str, first: date, last: date, start_hour: int | None = None
    ) -> tuple[ParsedPeriods, RequestRecord]:
        dialect = meter.dialect
        if start_hour is None:
            start_hour = meter.start_hour(code)
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
        record = self.record(meter, endpoint, code, (last - first).days + 1, alignment)
        payload = await self._get(endpoint, meter.ean, params, what, record)
        parsed = _parse_measurements(meter, payload, dialect.meter_type)
        if dialect.meter_type is None and parsed.meter_type is not None:
            dialect.meter_type = parsed.meter_type
            if parsed.meter_type is MeterType.GAS:  # registers and days depend on the type
                parsed = _parse_measurements(meter, payload, MeterType.GAS)
        record.periods = len(parsed.intervals)
        record.period_length = describe_lengths(i.end - i.start for i in parsed.intervals)
        if parsed.intervals:
            dialect.saw(meter.day_of(parsed.intervals[0].start), meter.day_of(_newest(parsed)))
        return parsed, record

    async def peaks_request(
        self, meter: Meter, first: date, last: date, record: RequestRecord
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
            except EndpointMissing:
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
        except EndpointMissing:
            dialect.legacy_peaks = False
            raise FluviusMeterNotAccessibleError(_NO_ACCESS) from None
        dialect.legacy_peaks = True
        return _counted(parse_legacy_peaks(payload, meter.serial), record)

    def _data_session(self) -> aiohttp.ClientSession:
        if self.session is not None:
            return self.session
        if self._own_session is None or self._own_session.closed:
            # Data calls need no cookies; a dummy jar keeps nothing between calls.
            self._own_session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        return self._own_session

    async def _get(
        self, endpoint: str, ean: str, params: dict[str, str], what: str, record: RequestRecord
    ) -> Any:
        """GET a data endpoint with the bearer token; one renewal on 401."""
        # Quoted as one path segment: odd input yields a 404, never another URL.
        url = self.portal.with_path(f"{_API}/{endpoint}/{quote(ean, safe='')}", encoded=True)
        token = await self.tokens.access_token()
        resp = await self._send(url, params, token, what)
        if resp.status == 401:
            _LOGGER.debug("%s answered 401; renewing the token once", what)
            token = await self.tokens.renew_after_rejection(token)
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
        resp = await self.transport.request(
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
        self.transport.check_common(resp, what)
        if resp.status == 200:
            return
        if resp.status == 400:
            raise RangeRejected(f"{what}: range refused (HTTP 400)")
        if resp.status == 403:
            raise FluviusMeterNotAccessibleError(f"{what}: {_NO_ACCESS}")
        if resp.status in (404, 410):
            raise EndpointMissing(f"{what}: endpoint answered {resp.status}")
        raise FluviusPayloadError(f"{what}: unexpected HTTP status {resp.status}")


async def with_legacy_fallback[T](meter: Meter, run: Callable[[], Awaitable[T]]) -> T:
    """Run against the current endpoint; on 404/410 switch the meter to legacy for good."""
    dialect = meter.dialect
    if dialect.legacy:
        return await _run_legacy(run)
    try:
        return await run()
    except EndpointMissing:
        _LOGGER.debug("History endpoint gone for %s; trying legacy", mask_ean(meter.ean))
    dialect.legacy = True
    try:
        return await _run_legacy(run)
    except BaseException:
        dialect.legacy = False  # the legacy endpoint did not prove itself: conclude nothing
        raise


async def _run_legacy[T](run: Callable[[], Awaitable[T]]) -> T:
    try:
        return await run()
    except EndpointMissing:
        raise FluviusMeterNotAccessibleError(_NO_ACCESS) from None


def _parse_measurements(meter: Meter, payload: Any, meter_type: MeterType | None) -> ParsedPeriods:
    if meter.dialect.legacy:
        return parse_legacy_measurements(payload, meter.serial, meter_type)
    return parse_measurements(payload, meter_type)


def _newest(parsed: ParsedPeriods) -> datetime:
    return max(interval.start for interval in parsed.intervals)


def _counted(peaks: list[MonthlyPeak], record: RequestRecord) -> list[MonthlyPeak]:
    record.periods = len(peaks)
    record.period_length = "1 month" if peaks else None
    return peaks
