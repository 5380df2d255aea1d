"""The Mijn Fluvius portal: MSAL config and the (current and legacy) data endpoints."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import math
from random import Random
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .data import (
    ACCESS_DAILY,
    ACCESS_NONE,
    BRUSSELS,
    CONSUMPTION_HIGH,
    CONSUMPTION_LOW,
    CONSUMPTION_SINGLE,
    DAILY,
    GAS_DAY_START,
    GAS_ENERGY,
    GAS_VOLUME,
    INJECTION_HIGH,
    INJECTION_LOW,
    INJECTION_SINGLE,
    QUARTER_HOUR,
    MeterSeries,
    Period,
    local_midnight,
    utc_z,
)
from .dialects import EMPTY, GAS_WINDOW_INSIDE, resolve_dialect
from .state import Account

if TYPE_CHECKING:
    from .server import FluviusSimulator

# The register reading in one place: t = direction (1 offtake, 2 injection), dc = tariff
# register (1 high, 2 low, 0 single/gas), u = unit (3 kWh, 5 m³).
REGISTER_CODES: dict[str, tuple[int, int, int]] = {
    CONSUMPTION_HIGH: (1, 1, 3),
    CONSUMPTION_LOW: (1, 2, 3),
    CONSUMPTION_SINGLE: (1, 0, 3),
    INJECTION_HIGH: (2, 1, 3),
    INJECTION_LOW: (2, 2, 3),
    INJECTION_SINGLE: (2, 0, 3),
    GAS_VOLUME: (1, 0, 5),
    GAS_ENERGY: (1, 0, 3),
}
# Legacy field per register; single-tariff meters report under the "high" fields.
LEGACY_FIELDS: dict[str, str] = {
    CONSUMPTION_HIGH: "oh",
    CONSUMPTION_LOW: "ol",
    CONSUMPTION_SINGLE: "oh",
    INJECTION_HIGH: "ih",
    INJECTION_LOW: "il",
    INJECTION_SINGLE: "ih",
    GAS_ENERGY: "ok",
    GAS_VOLUME: "om",
}
LEGACY_VALUE_KEYS = ("oh", "ol", "ih", "il", "ok", "om")
# The real 2024 sample: electricity rows carry 0 (not null) in the gas fields.
LEGACY_ZERO_FOR_ELECTRICITY = ("ok", "om", "okvs", "omvs")
LEGACY_OPEN_END = "9999-12-30T23:00:00Z"  # `mdu` of the active meter
# historyUntil of a whole-gas-days window: 05:59:59.999 or 06:00:00.000 local.
GAS_DAY_ENDS = (time(5, 59, 59, 999000), GAS_DAY_START)
# Why an answer left out data because of the meter's access level (RequestRecord.withheld).
WITHHELD_NO_ACCESS = "no access"
WITHHELD_DAILY_ONLY = "daily access only"
WITHHELD_BEFORE_SINCE = "before the detailed history start"

_LOCAL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")
_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


def problem(status: int, detail: str) -> web.Response:
    """The portal's JSON error body."""
    titles = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        410: "Gone",
    }
    body = {"title": titles.get(status, "Error"), "status": status, "detail": detail}
    return web.json_response(body, status=status)


class BadRequest(Exception):
    """A malformed parameter: HTTP 400 in every dialect (e.g. a wrong offset)."""


class Unserved(Exception):
    """A well-formed request the portal will not serve (unknown code, range too long, gas
    window misaligned, ...): answered in the refusal style, `200 []` or 400."""


def parse_local_time(text: str | None) -> datetime:
    """`YYYY-MM-DDTHH:MM:SS.fff+HH:MM` carrying the Brussels offset of that instant."""
    if not text or not _LOCAL_RE.match(text):
        raise BadRequest(f"not a local time with offset: {text!r}")
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise BadRequest(str(err)) from err
    if value.astimezone(BRUSSELS).utcoffset() != value.utcoffset():
        raise BadRequest(f"{text} does not carry the Europe/Brussels offset")
    return value.astimezone(UTC)


def parse_utc_time(text: str | None) -> datetime:
    """`YYYY-MM-DDTHH:MM:SS[.fff]Z` (legacy endpoints)."""
    if not text or not _UTC_RE.match(text):
        raise BadRequest(f"not a UTC time: {text!r}")
    try:
        return datetime.fromisoformat(text)
    except ValueError as err:
        raise BadRequest(str(err)) from err


def local_days(start: datetime, end: datetime) -> int:
    """Length of [start, end) in Brussels wall-clock days, rounded up.

    Wall-clock, so a 23- or 25-hour DST day counts as one day, and a gas-day window
    (06:00 to 06:00) as one day too.
    """
    wall = end.astimezone(BRUSSELS).replace(tzinfo=None) - start.astimezone(BRUSSELS).replace(
        tzinfo=None
    )
    return max(1, math.ceil(wall / timedelta(days=1)))


def whole_gas_days(start: datetime, end: datetime) -> bool:
    """[start, end) runs from 06:00:00.000 local to 05:59:59.999 or 06:00 on a later date."""
    first = start.astimezone(BRUSSELS)
    last = end.astimezone(BRUSSELS)
    return (
        first.timetz().replace(tzinfo=None) == GAS_DAY_START
        and last.timetz().replace(tzinfo=None) in GAS_DAY_ENDS
        and last.date() > first.date()
    )


def inclusive_end(end: datetime) -> datetime:
    """historyUntil as an exclusive end: xx:59:59.999 counts as the following instant."""
    if (end.minute, end.second, end.microsecond) == (59, 59, 999000):
        return end + timedelta(milliseconds=1)
    return end


def months_between(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(year, month) of every Brussels month overlapping [start, end)."""
    first = start.astimezone(BRUSSELS).date().replace(day=1)
    last = (end - timedelta(microseconds=1)).astimezone(BRUSSELS).date()
    months = []
    while first <= last:
        months.append((first.year, first.month))
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return months


def next_month(year: int, month: int) -> date:
    """First day of the following month."""
    return date(year + month // 12, month % 12 + 1, 1)


def decoy_serial(serial: str) -> str:
    """The serial of the replaced meter the legacy endpoints also list."""
    decoy = "".join(str((int(c) + 5) % 10) if c.isdigit() else c for c in serial)
    return decoy if decoy != serial else f"{serial}0"


class PortalService:
    """Handlers of the portal origin."""

    def __init__(self, sim: FluviusSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[web.RouteDef]:
        """Routes of the portal app; route names double as endpoint names."""
        api = "/verbruik/api"
        return [
            web.get("/api/global/msal/config", self.msal_config, name="msal_config"),
            web.get(
                f"{api}/meter-measurement-history/{{ean}}", self.measurements, name="measurements"
            ),
            web.get(f"{api}/meter-measurement-spikes/{{ean}}", self.peaks, name="peaks"),
            web.get(
                f"{api}/consumption-histories/{{ean}}",
                self.legacy_measurements,
                name="legacy_measurements",
            ),
            web.get(f"{api}/consumption-spikes/{{ean}}", self.legacy_peaks, name="legacy_peaks"),
            web.get("/", self.index, name="portal_index"),
        ]

    # config and shell

    async def index(self, request: web.Request) -> web.Response:
        """The single-page app shell (where B2C redirects a browser to)."""
        page = (
            "<!DOCTYPE html><html><head><title>Mijn Fluvius</title></head>"
            "<body><app-root></app-root></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def msal_config(self, request: web.Request) -> web.Response:
        """The MSAL configuration, shaped by the `msal_variant` option."""
        return web.json_response(self.msal_document())

    def msal_document(self) -> dict[str, Any]:
        """The configuration document for the current variant."""
        sim = self.sim
        variant = sim.options.msal_variant
        core: dict[str, Any] = {
            "clientId": sim.options.client_id,
            "authority": sim.authority,
            "redirectUri": sim.redirect_uri,
            "postLogoutRedirectUri": sim.redirect_uri,
            "knownAuthorities": [sim.login_url.split("://", 1)[1]],
            "navigateToLoginRequestUrl": False,
        }
        if variant == "no_client_id":
            del core["clientId"]
        scopes = [sim.options.api_scope]
        doc: dict[str, Any] = {"environment": "prd", "cacheLocation": "localStorage"}
        if variant in ("nested", "scopes"):
            doc["auth"] = core
        else:
            doc.update(core)
        target = doc["auth"] if variant == "nested" else doc
        match variant:
            case "flat" | "nested" | "scopes" | "no_client_id":
                target["scopes"] = scopes
            case "default_scopes":
                doc["defaultScopes"] = scopes
            case "api_scopes":
                doc["apiScopes"] = scopes
            case "auth_request":
                doc["authRequest"] = {"scopes": scopes, "prompt": "select_account"}
            case "protected_resource_map":
                doc["protectedResourceMap"] = {f"{sim.portal_url}/verbruik/api": scopes}
        return doc

    # shared checks

    def _meter_for(
        self, request: web.Request, account: Account, *, current: bool
    ) -> MeterSeries | web.Response:
        ean = request.match_info["ean"]
        owner = self.sim.owner_of(ean)
        if owner is None:
            return problem(404, "unknown EAN")
        if owner is not account:
            return problem(403, "this EAN does not belong to the signed-in user")
        serial = request.query.get("meterSerialNumber")
        series = self.sim.series(ean)
        if serial and serial != series.meter.serial:
            return problem(404, "no meter with this serial number on this EAN")
        provider = request.query.get("asServiceProvider", "false").lower() == "true"
        if provider and current:  # the legacy endpoints answer as if it were false
            return problem(403, "not a service provider")
        return series

    def _guard(self, request: web.Request, *, current: bool) -> MeterSeries | web.Response:
        """Token, legacy mode and meter ownership, in the order the portal checks them."""
        account = self.sim.b2c.account_for(request.headers.get("Authorization"))
        if account is None:
            return web.json_response(
                {"title": "Unauthorized", "status": 401},
                status=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if current and self.sim.options.legacy:
            status = self.sim.options.legacy_status
            return problem(status, "this API version is no longer available")
        return self._meter_for(request, account, current=current)

    def _resolution(
        self, request: web.Request, series: MeterSeries, window: tuple[datetime, datetime, int]
    ) -> str:
        """The resolution the request's code stands for, or Unserved."""
        options = self.sim.options
        start, end, days = window
        code = request.query.get("granularity")
        dialect = resolve_dialect(options.dialect)
        if code is None or code not in dialect:
            raise Unserved(f"unsupported granularity {code!r}")
        resolution, max_days = dialect[code]
        if series.meter.is_gas and resolution != DAILY:
            if options.gas_daily_only:
                raise Unserved(f"granularity {code} is not available for gas meters")
            if options.gas_day_windows and not whole_gas_days(start, end):
                raise Unserved(f"granularity {code} on gas needs whole gas days (06:00 to 06:00)")
        if days > max_days:
            raise Unserved(f"granularity {code} allows at most {max_days} days, not {days}")
        return resolution

    def _refuse(self, request: web.Request, reason: str) -> web.Response:
        """Answer an unserved request in the refusal style; the log keeps the reason."""
        request["sim_refused"] = reason
        if self.sim.options.refusal_style() == EMPTY:
            return web.json_response([])
        return problem(400, reason)

    def _withheld(
        self, request: web.Request, series: MeterSeries, resolution: str | None, now: datetime
    ) -> bool:
        """True when the meter's access level withholds the whole answer (the log keeps why).

        `resolution` None: the spikes endpoints (withheld only without any access).
        """
        level, _ = self.sim.access_of(series.meter.ean, now)
        if level == ACCESS_NONE:
            request["sim_withheld"] = WITHHELD_NO_ACCESS
        elif level == ACCESS_DAILY and resolution not in (None, DAILY):
            request["sim_withheld"] = WITHHELD_DAILY_ONLY
        else:
            return False
        return True

    def _served_periods(
        self,
        request: web.Request,
        series: MeterSeries,
        window: tuple[datetime, datetime],
        resolution: str,
        now: datetime,
    ) -> list[Period]:
        """The periods one meter serves for a window: the daily gas window reading and the
        detailed history start applied (days left out are simply absent)."""
        start, end = window
        periods = series.periods(start, end, resolution, now)
        if resolution == DAILY:
            gas_inside = self.sim.options.gas_daily_window_style() == GAS_WINDOW_INSIDE
            if series.meter.is_gas and gas_inside:
                until = inclusive_end(end)
                periods = [p for p in periods if p.end <= until]
            return periods
        _, since = self.sim.access_of(series.meter.ean, now)
        if since is not None:
            kept = [p for p in periods if series.day_of(p.start) >= since]
            if len(kept) < len(periods):
                request["sim_withheld"] = WITHHELD_BEFORE_SINCE
            periods = kept
        return periods

    def _window(self, request: web.Request, *, utc: bool) -> tuple[datetime, datetime, int]:
        parse = parse_utc_time if utc else parse_local_time
        start = parse(request.query.get("historyFrom"))
        end = parse(request.query.get("historyUntil"))
        if end <= start:
            raise BadRequest("historyUntil must be after historyFrom")
        return start, end, local_days(start, end)

    def _arrange(self, request: web.Request, items: list[Any]) -> list[Any]:
        """Optionally shuffle and repeat one item, so clients must sort and de-duplicate."""
        if not self.sim.options.shuffle_periods or len(items) < 2:
            return items
        rng = Random(f"shuffle:{self.sim.options.seed}:{request.path_qs}")
        items = [*items, items[rng.randrange(len(items))]]
        rng.shuffle(items)
        return items

    # current API

    async def measurements(self, request: web.Request) -> web.Response:
        """Measurement history at the resolution the granularity code stands for."""
        series = self._guard(request, current=True)
        if isinstance(series, web.Response):
            return series
        try:
            start, end, days = self._window(request, utc=False)
            resolution = self._resolution(request, series, (start, end, days))
        except BadRequest as err:
            return problem(400, str(err))
        except Unserved as err:
            return self._refuse(request, str(err))
        now = self.sim.clock.now()
        if self._withheld(request, series, resolution, now):
            return web.json_response([])
        periods = self._served_periods(request, series, (start, end), resolution, now)
        omit = self.sim.options.zero_registers == "omit"
        body = [self._current_period(p, omit_zeros=omit) for p in periods]
        return web.json_response(self._arrange(request, body))

    @staticmethod
    def _current_period(period: Period, *, omit_zeros: bool = False) -> dict[str, Any]:
        """One period of the current API; `omit_zeros`: registers without energy in it are
        left out (`zero_registers="omit"`), else listed with `v: 0`."""
        entries = []
        for register, value in period.values.items():
            if omit_zeros and value == 0:
                continue
            t, dc, unit = REGISTER_CODES[register]
            entries.append(
                {
                    "dc": dc,
                    "t": t,
                    "st": 0,
                    "v": value,
                    "vs": period.status,
                    "u": unit,
                    "gcuv": period.factor,
                }
            )
        return {"d": utc_z(period.start), "de": utc_z(period.end), "v": entries}

    async def peaks(self, request: web.Request) -> web.Response:
        """Monthly peaks for every month overlapping the range; gas meters get []."""
        series = self._guard(request, current=True)
        if isinstance(series, web.Response):
            return series
        try:
            start, end, days = self._window(request, utc=False)
            self._check_peak_range(days)
        except BadRequest as err:
            return problem(400, str(err))
        except Unserved as err:
            return self._refuse(request, str(err))
        now = self.sim.clock.now()
        if self._withheld(request, series, None, now):
            return web.json_response([])
        body = []
        for year, month in months_between(start, end):
            peak = series.monthly_peak(year, month, now)
            if peak is not None:
                kw, sst, set_ = peak
                body.append(
                    {
                        "d": utc_z(local_midnight(date(year, month, 1))),
                        "de": utc_z(local_midnight(next_month(year, month))),
                        "v": [{"v": kw, "sst": utc_z(sst), "set": utc_z(set_)}],
                    }
                )
        return web.json_response(self._arrange(request, body))

    def _check_peak_range(self, days: int) -> None:
        limit = self.sim.options.peaks_limit()
        if days > limit:
            raise Unserved(f"spikes allow at most {limit} days, not {days}")

    # legacy API

    def _legacy_meters(self, series: MeterSeries) -> list[tuple[MeterSeries, str, str, str]]:
        """(series, sn, mdf, mdu): the real meter; with `legacy_decoy`, the replaced one first."""
        installed = series.meter.installed
        real = (series, series.meter.serial, utc_z(local_midnight(installed)), LEGACY_OPEN_END)
        if not self.sim.options.legacy_decoy:
            return [real]
        old_start = date(installed.year - 8, installed.month, 1)
        decoy = (
            self.sim.decoy(series.meter.ean),
            decoy_serial(series.meter.serial),
            utc_z(local_midnight(old_start)),
            utc_z(local_midnight(installed)),
        )
        return [decoy, real]

    async def legacy_measurements(self, request: web.Request) -> web.Response:
        """Old consumption-histories shape: [{sn, mdf, mdu, val}]."""
        series = self._guard(request, current=False)
        if isinstance(series, web.Response):
            return series
        try:
            start, end, days = self._window(request, utc=True)
            resolution = self._resolution(request, series, (start, end, days))
        except BadRequest as err:
            return problem(400, str(err))
        except Unserved as err:
            return self._refuse(request, str(err))
        now = self.sim.clock.now()
        if self._withheld(request, series, resolution, now):
            return web.json_response([])
        gas = series.meter.is_gas
        body = [
            {
                "sn": sn,
                "mdf": mdf,
                "mdu": mdu,
                "val": self._arrange(
                    request,
                    [
                        self._legacy_period(p, gas=gas)
                        for p in self._served_periods(request, s, (start, end), resolution, now)
                    ],
                ),
            }
            for s, sn, mdf, mdu in self._legacy_meters(series)
        ]
        return web.json_response(body)

    @staticmethod
    def _legacy_period(period: Period, *, gas: bool) -> dict[str, Any]:
        row: dict[str, Any] = {"d": utc_z(period.start), "de": utc_z(period.end), "dt": False}
        row.update(dict.fromkeys(LEGACY_VALUE_KEYS))
        row.update({f"{k}vs": None for k in LEGACY_VALUE_KEYS})
        if not gas:
            row.update(dict.fromkeys(LEGACY_ZERO_FOR_ELECTRICITY, 0))
        row["okgcf"] = period.factor if gas else None
        for register, value in period.values.items():
            key = LEGACY_FIELDS[register]
            row[key] = value
            row[f"{key}vs"] = period.status
        return row

    async def legacy_peaks(self, request: web.Request) -> web.Response:
        """Old consumption-spikes shape: [{sn, mdf, mdu, val}]."""
        series = self._guard(request, current=False)
        if isinstance(series, web.Response):
            return series
        try:
            start, end, days = self._window(request, utc=True)
            self._check_peak_range(days)
        except BadRequest as err:
            return problem(400, str(err))
        except Unserved as err:
            return self._refuse(request, str(err))
        now = self.sim.clock.now()
        if self._withheld(request, series, None, now):
            return web.json_response([])
        body = []
        for s, sn, mdf, mdu in self._legacy_meters(series):
            rows = []
            for year, month in months_between(start, end):
                peak = s.monthly_peak(year, month, now)
                if peak is None:
                    continue
                kw, sst, set_ = peak
                status = s.periods(sst, set_, QUARTER_HOUR, now)[0].status
                rows.append(
                    {
                        "d": utc_z(local_midnight(date(year, month, 1))),
                        "de": utc_z(local_midnight(next_month(year, month))),
                        "o": kw,
                        "ovs": status,
                        "tscs": utc_z(sst),
                        "tecs": utc_z(set_),
                    }
                )
            body.append({"sn": sn, "mdf": mdf, "mdu": mdu, "val": rows})
        return web.json_response(body)
