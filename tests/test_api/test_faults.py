"""Injected faults: each one becomes the documented FluviusError, quickly, never a hang."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import date, timedelta
import time
from typing import Any

import pytest

from custom_components.fluvius.api import (
    FluviusClient,
    FluviusConnectionError,
    FluviusError,
    FluviusLoginFlowError,
    FluviusPayloadError,
    FluviusRateLimitError,
    FluviusServerError,
    FluviusTimeoutError,
)
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import ELEC_EAN, ELEC_SERIAL

from .conftest import ClientFactory

DAY = date(2026, 4, 1)
# Long enough for normal requests on a loaded 2-core machine, short enough to keep the
# timeout cases quick.
TIMEOUT = 2.0

# kind (with params) -> the error a data endpoint must raise
DATA_FAULTS: list[tuple[str, dict, type[FluviusError]]] = [
    ("timeout", {}, FluviusTimeoutError),
    ("reset", {}, FluviusConnectionError),
    ("rate_limit", {"seconds": 17}, FluviusRateLimitError),
    ("server_error", {"status": 500}, FluviusServerError),
    ("server_error", {"status": 502}, FluviusServerError),
    ("invalid_json", {}, FluviusPayloadError),
    ("html", {"status": 503}, FluviusServerError),
]
LOGIN_FAULTS: list[tuple[str, dict, type[FluviusError]]] = [
    ("timeout", {}, FluviusTimeoutError),
    ("reset", {}, FluviusConnectionError),
    ("rate_limit", {"seconds": 5}, FluviusRateLimitError),
    ("server_error", {"status": 500}, FluviusServerError),
    ("invalid_json", {}, FluviusLoginFlowError),
    ("html", {"status": 503}, FluviusServerError),
]


async def bounded(coro: Coroutine[Any, Any, object]) -> None:
    """Await with a hard ceiling, so a hang fails the test instead of blocking it."""
    async with asyncio.timeout(10):
        await coro


def call_endpoint(client: FluviusClient, endpoint: str) -> Coroutine[Any, Any, object]:
    if endpoint == "peaks":
        return client.peaks(ELEC_EAN, ELEC_SERIAL, DAY, DAY)
    return client.measurements(ELEC_EAN, ELEC_SERIAL, DAY, DAY)


# Faults stay until cleared: aiohttp itself retries an idempotent request once when a reused
# keep-alive connection drops, so a single reset can legitimately go unnoticed.
@pytest.mark.parametrize("fault", DATA_FAULTS, ids=lambda f: f"{f[0]}{f[1].get('status', '')}")
@pytest.mark.parametrize("endpoint", ["measurements", "peaks", "legacy_measurements"])
async def test_data_faults(
    make_client: ClientFactory,
    simulator: FluviusSimulator,
    endpoint: str,
    fault: tuple[str, dict, type[FluviusError]],
) -> None:
    kind, params, error = fault
    client = make_client(request_timeout=TIMEOUT)
    simulator.options.legacy = endpoint.startswith("legacy")
    await client.login()
    simulator.faults.inject(endpoint, kind, count=None, **params)
    began = time.monotonic()
    with pytest.raises(error) as caught:
        await bounded(call_endpoint(client, endpoint))
    assert type(caught.value).__module__.endswith("api.errors")
    assert time.monotonic() - began < 3 * TIMEOUT
    if kind == "rate_limit":
        assert caught.value.retry_after == 17
    if kind in ("server_error", "html"):
        assert caught.value.status == params["status"]
    simulator.faults.clear()
    await bounded(call_endpoint(client, endpoint))  # usable again once the fault is gone


async def test_single_reset_on_a_reused_connection_is_retried_by_aiohttp(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    await client.peaks(ELEC_EAN, ELEC_SERIAL, DAY, DAY)
    simulator.faults.inject("peaks", "reset")
    await client.peaks(ELEC_EAN, ELEC_SERIAL, DAY, DAY)
    assert [r.status for r in simulator.request_log if r.endpoint == "peaks"] == [200, 0, 200]


@pytest.mark.parametrize("fault", LOGIN_FAULTS, ids=lambda f: f[0])
@pytest.mark.parametrize(
    "endpoint", ["msal_config", "authorize", "self_asserted", "confirmed", "token"]
)
async def test_login_faults(
    make_client: ClientFactory,
    simulator: FluviusSimulator,
    endpoint: str,
    fault: tuple[str, dict, type[FluviusError]],
) -> None:
    kind, params, error = fault
    client = make_client(request_timeout=TIMEOUT)
    simulator.faults.inject(endpoint, kind, count=None, **params)
    with pytest.raises(error):
        await bounded(client.login())
    simulator.faults.clear()
    # Not a credentials problem: the next call logs in normally.
    await bounded(client.peaks(ELEC_EAN, ELEC_SERIAL, DAY, DAY))
    assert simulator.stats.logins == 1


async def test_random_faults_raise_only_fluvius_errors(
    make_client: ClientFactory, simulator: FluviusSimulator
) -> None:
    simulator.faults.random(seed=7, rate=0.3)
    client = make_client(request_timeout=TIMEOUT)
    outcomes: dict[str, int] = {}
    for day in range(1, 29):
        try:
            await bounded(
                client.peaks(ELEC_EAN, ELEC_SERIAL, date(2026, 3, day), date(2026, 3, day))
            )
            name = "ok"
        except FluviusError as err:
            name = type(err).__name__
        outcomes[name] = outcomes.get(name, 0) + 1
    assert outcomes.get("ok", 0) > 0
    assert len(outcomes) > 2  # several kinds of failure were met and mapped


async def test_refresh_faults_surface_without_a_login(
    client: FluviusClient, simulator: FluviusSimulator, sim_clock: SimClock
) -> None:
    await client.peaks(ELEC_EAN, ELEC_SERIAL, DAY, DAY)
    sim_clock.advance(timedelta(hours=1))
    simulator.faults.inject("token", "server_error", status=503)
    with pytest.raises(FluviusServerError):
        await client.peaks(ELEC_EAN, ELEC_SERIAL, DAY, DAY)
    assert simulator.stats.requests["authorize"] == 1  # a 5xx on refresh is not invalid_grant
    await client.peaks(ELEC_EAN, ELEC_SERIAL, DAY, DAY)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 1)
