"""FluviusSimulator: accounts, two aiohttp apps (portal and B2C), faults, stats."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
import contextlib
from datetime import UTC, date, datetime
from random import Random
import socket
import struct
from typing import Any, Self

from aiohttp import web

from .b2c import B2CService
from .clock import SimClock
from .data import ACCESS_DETAILED, MeterSeries, MeterTruth, SimMeter
from .demo import DEMO_NOW, demo_accounts
from .faults import B2C_ENDPOINTS, ENDPOINTS, Fault, FaultInjector
from .portal import PortalService
from .state import ACCOUNT_KINDS, POLICY, TENANT, Account, RequestRecord, SimOptions, SimStats

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_MAINTENANCE = (
    "<!DOCTYPE html><html><head><title>Onderhoud - Mijn Fluvius</title></head><body>"
    "<h1>Mijn Fluvius is tijdelijk niet beschikbaar</h1>"
    "<p>We voeren onderhoudswerken uit. Probeer het later opnieuw.</p></body></html>"
)


class FluviusSimulator:
    """The fake Mijn Fluvius portal and its B2C login, on two loopback ports."""

    def __init__(
        self,
        clock: SimClock,
        *,
        seed: int | str = 1,
        dialect: Any = "live",
        legacy: bool = False,
        **options: Any,
    ) -> None:
        self.clock = clock
        self.options = SimOptions(seed=seed, dialect=dialect, legacy=legacy, **options)
        self.faults = FaultInjector()
        self.stats = SimStats()
        self.request_log: list[RequestRecord] = []
        self.portal_url = ""
        self.login_url = ""
        self._publication = self.options.publication()
        self._rng = Random(f"accounts:{seed}")
        self._accounts: dict[str, Account] = {}
        self._meters: dict[str, tuple[Account, MeterSeries]] = {}
        self._decoys: dict[str, MeterSeries] = {}
        self._grants: dict[str, list[tuple[datetime, date | None]]] = {}
        self._runners: list[web.AppRunner] = []
        self._stopping = asyncio.Event()
        self.b2c = B2CService(self)
        self.portal = PortalService(self)

    @classmethod
    def demo(cls, clock: SimClock | None = None, **options: Any) -> FluviusSimulator:
        """A simulator holding the accounts of `tests.simulator.demo`."""
        sim = cls(clock or SimClock(DEMO_NOW), **options)
        for email, password, kind, meters in demo_accounts():
            sim.add_account(email, password, meters=meters, kind=kind)
        return sim

    # accounts and meters

    def add_account(
        self,
        email: str,
        password: str,
        meters: Iterable[SimMeter] = (),
        kind: str = "normal",
    ) -> Account:
        """Register a user; emails are case-insensitive and EANs unique across accounts."""
        if kind not in ACCOUNT_KINDS:
            raise ValueError(f"kind must be one of {ACCOUNT_KINDS}")
        if email.lower() in self._accounts:
            raise ValueError(f"account {email} exists")
        meters = list(meters)
        for meter in meters:
            if meter.ean in self._meters:
                raise ValueError(f"EAN {meter.ean} already belongs to an account")
        subject = self._rng.randbytes(16).hex()
        account = Account(email, password, kind, meters, subject)
        self._accounts[email.lower()] = account
        for meter in meters:
            self._meters[meter.ean] = (
                account,
                MeterSeries(meter, self.options.seed, self._publication),
            )
        return account

    def account(self, email: str) -> Account | None:
        """The account with this email, if any."""
        return self._accounts.get(email.strip().lower())

    def owner_of(self, ean: str) -> Account | None:
        """Who owns an EAN (None: unknown EAN)."""
        entry = self._meters.get(ean)
        return entry[0] if entry else None

    def series(self, ean: str) -> MeterSeries:
        """The data series of a known EAN."""
        return self._meters[ean][1]

    def decoy(self, ean: str) -> MeterSeries:
        """The replaced meter the legacy endpoints list next to the real one."""
        if ean not in self._decoys:
            self._decoys[ean] = self.series(ean).variant("decoy")
        return self._decoys[ean]

    def truth(self, ean: str) -> MeterTruth:
        """Ground truth of one meter (KeyError for unknown EANs)."""
        return MeterTruth(self.series(ean), self.clock.now)

    # data access (Mijn Fluvius: Verbruik → Aanvragen)

    def grant_detailed(
        self, ean: str, at: datetime | None = None, since: date | None = None
    ) -> None:
        """The household requests all its data: detailed access from the sim-clock instant `at`.

        From `at` (None: now) the portal serves the meter's sub-daily data for the days
        (gas: gas days) from `since` on ("Alle verbruiken vanaf"; None: since installation).
        Grants add up; at any instant the one with the latest `at` not after it is in force.
        KeyError for an unknown EAN, ValueError for a naive `at` or a `since` not a date.
        """
        self.series(ean)
        moment = self._instant(at)
        if since is not None and (not isinstance(since, date) or isinstance(since, datetime)):
            raise ValueError(f"since must be a date or None, not {since!r}")
        self._grants.setdefault(ean, []).append((moment, since))

    def access_of(self, ean: str, at: datetime | None = None) -> tuple[str, date | None]:
        """(access level, detailed history start or None) in force at `at` (None: now).

        The level is "none", "daily" or "detailed"; the date is the first day whose sub-daily
        data is served (None: since installation, or not detailed). KeyError for an unknown
        EAN, ValueError for a naive `at`.
        """
        meter = self.series(ean).meter
        moment = self._instant(at)
        best: tuple[datetime, date | None] | None = None
        for grant in self._grants.get(ean, []):
            if grant[0] <= moment and (best is None or grant[0] >= best[0]):
                best = grant  # the latest `at` wins; on a tie, the latest grant
        if best is not None:
            return ACCESS_DETAILED, best[1]
        return meter.access, None

    def _instant(self, at: datetime | None) -> datetime:
        """`at` in UTC (None: the sim clock's now); naive datetimes are refused."""
        if at is None:
            return self.clock.now()
        if not isinstance(at, datetime) or at.utcoffset() is None:
            raise ValueError(f"at must be a timezone-aware datetime or None, not {at!r}")
        return at.astimezone(UTC)

    # counters

    def reset_stats(self) -> None:
        """Zero the counters and empty the request log."""
        self.stats = SimStats()
        self.request_log.clear()

    def revoke_tokens(self, email: str | None = None) -> int:
        """Invalidate issued tokens (e.g. a password change); returns how many."""
        return self.b2c.revoke(email)

    # URLs

    @property
    def authority(self) -> str:
        """The B2C authority, on the login origin."""
        return f"{self.login_url}/{TENANT}/{POLICY}"

    @property
    def redirect_uri(self) -> str:
        """The SPA's redirect URI, on the portal origin."""
        return f"{self.portal_url}/"

    # lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0, login_port: int = 0) -> None:
        """Serve the portal and B2C on two ports (0: pick free ones)."""
        if self._runners:
            raise RuntimeError("simulator already started")
        self._stopping = asyncio.Event()
        portal_port = await self._serve(self.portal.routes(), host, port)
        self.portal_url = f"http://{host}:{portal_port}"
        login = await self._serve(self.b2c.routes(), host, login_port)
        self.login_url = f"http://{host}:{login}"

    async def _serve(self, routes: list[web.RouteDef], host: str, port: int) -> int:
        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._middleware(request, handler)

        app = web.Application(middlewares=[middleware])
        app.add_routes(routes)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        self._runners.append(runner)
        await web.TCPSite(runner, host, port).start()
        return int(runner.addresses[-1][1])

    async def stop(self) -> None:
        """Release hanging faults, close every connection and both listeners."""
        self._stopping.set()
        while self._runners:
            await self._runners.pop().cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # request plumbing

    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count, apply faults, log: every request, whatever its outcome."""
        endpoint = request.match_info.route.name or "unknown"
        self.stats.requests[endpoint] += 1
        fault = self.faults.take(endpoint) if endpoint in ENDPOINTS else None
        status = 0
        try:
            response = await self._respond(request, handler, fault)
            status = 0 if request.get("sim_dropped") else response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except Exception:
            status = 500  # a simulator bug; aiohttp answers 500
            raise
        finally:
            self.request_log.append(
                RequestRecord(
                    self.clock.now(),
                    endpoint,
                    request.method,
                    request.path,
                    status,
                    request.query_string,
                    fault.kind if fault else None,
                    request.get("sim_refused"),
                    request.get("sim_withheld"),
                )
            )

    async def _respond(
        self, request: web.Request, handler: Handler, fault: Fault | None
    ) -> web.StreamResponse:
        if fault is None:
            return await handler(request)
        match fault.kind:
            case "latency":
                await self._pause(float(fault.param("seconds")))
                return await handler(request)
            case "b2c_error":
                request["b2c_error"] = str(fault.param("code"))
                return await handler(request)
            case "timeout":
                await self._pause(float(fault.param("seconds")))
                return self._drop(request)
            case "reset":
                return self._drop(request)
        return fault_response(fault, html=fault.endpoint in B2C_ENDPOINTS)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once when the simulator stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        """Abort the connection with a TCP reset; the returned response is never sent."""
        request["sim_dropped"] = True
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        return web.Response(status=500)


def fault_response(fault: Fault, *, html: bool) -> web.Response:
    """The answer of a fault that does answer."""
    kind = fault.kind
    if kind == "rate_limit":
        seconds = fault.param("seconds")
        return _error(429, "Too Many Requests", html, {"Retry-After": str(seconds)})
    if kind == "server_error":
        return _error(int(fault.param("status")), "Server Error", html, {})
    if kind == "invalid_json":
        return web.Response(
            status=200,
            text='[{"d": "2025-01-01T00:00:00Z", "de": ',
            content_type="application/json",
        )
    if kind == "empty":
        return web.json_response([])
    if kind == "html":
        return web.Response(
            status=int(fault.param("status")), text=_MAINTENANCE, content_type="text/html"
        )
    if kind == "unauthorized":
        return web.json_response(
            {"title": "Unauthorized", "status": 401},
            status=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    raise AssertionError(f"unhandled fault kind {kind}")


def _error(status: int, title: str, html: bool, headers: dict[str, str]) -> web.Response:
    if html:
        body = (
            f"<!DOCTYPE html><html><head><title>{title}</title></head>"
            f"<body><h1>{status} {title}</h1></body></html>"
        )
        return web.Response(status=status, text=body, content_type="text/html", headers=headers)
    return web.json_response({"title": title, "status": status}, status=status, headers=headers)
