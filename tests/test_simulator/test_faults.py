"""Every fault kind, over real HTTP, plus counters and the request log."""

from __future__ import annotations

import asyncio
from datetime import date
import json
import time

import aiohttp
import pytest

from tests.simulator import ENDPOINTS, FaultInjector, FluviusSimulator
from tests.simulator.demo import DEMO_EMAIL, DEMO_PASSWORD, ELEC_EAN, ELEC_SERIAL

from .reference import RefClient, redirect_params

DAY = date(2026, 4, 1)
# aiohttp retries an idempotent request once when the connection drops, so a GET needs
# two consecutive resets to fail.


async def measure(client: RefClient, token: str) -> aiohttp.ClientResponse:
    return await client.measurements(token, ELEC_EAN, ELEC_SERIAL, DAY, DAY, granularity="4")


async def test_latency(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    simulator.faults.inject("measurements", "latency", seconds=0.3)
    started = time.monotonic()
    resp = await measure(client, token)
    assert time.monotonic() - started >= 0.3
    assert resp.status == 200
    assert len(await resp.json()) == 1


async def test_timeout_hangs_until_the_client_gives_up(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    simulator.faults.inject("measurements", "timeout")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await measure(client, token)
    # The next request is served normally; the hanging handler is released by stop().
    assert (await measure(client, token)).status == 200


async def test_stop_releases_hanging_requests(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    simulator.faults.inject("msal_config", "timeout", count=2)
    pending = [asyncio.create_task(client.config()) for _ in range(2)]
    await asyncio.sleep(0.1)
    assert not any(task.done() for task in pending)
    started = time.monotonic()
    await simulator.stop()
    assert time.monotonic() - started < 5  # not the hour the fault would hang
    for task in pending:
        with pytest.raises(aiohttp.ClientError):
            await task
    assert [r.status for r in simulator.request_log[-2:]] == [0, 0]


async def test_reset(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    simulator.faults.inject("measurements", "reset", count=2)
    with pytest.raises(aiohttp.ClientConnectionError):
        await measure(client, token)
    assert simulator.stats.requests["measurements"] == 2
    record = simulator.request_log[-1]
    assert (record.endpoint, record.status, record.fault) == ("measurements", 0, "reset")
    assert (await measure(client, token)).status == 200


async def test_rate_limit(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    simulator.faults.inject("measurements", "rate_limit", seconds=42)
    resp = await measure(client, token)
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "42"


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error(
    simulator: FluviusSimulator, client: RefClient, token: str, status: int
) -> None:
    simulator.faults.inject("peaks", "server_error", status=status)
    resp = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, DAY, DAY)
    assert resp.status == status


async def test_invalid_json(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    simulator.faults.inject("measurements", "invalid_json")
    resp = await measure(client, token)
    assert resp.status == 200
    assert resp.content_type == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(await resp.text())


async def test_html_maintenance(simulator: FluviusSimulator, client: RefClient) -> None:
    simulator.faults.inject("msal_config", "html")
    resp = await client.session.get(f"{simulator.portal_url}/api/global/msal/config")
    assert resp.status == 503
    assert resp.content_type == "text/html"
    assert "onderhoud" in (await resp.text()).lower()


async def test_unauthorized(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    simulator.faults.inject("measurements", "unauthorized")
    assert (await measure(client, token)).status == 401
    assert (await measure(client, token)).status == 200


async def test_faults_on_b2c_endpoints_answer_html(
    simulator: FluviusSimulator, client: RefClient
) -> None:
    simulator.faults.inject("authorize", "server_error", status=503)
    with pytest.raises(AssertionError, match="authorize 503"):
        await client.authorize(DEMO_EMAIL)
    simulator.faults.inject("token", "rate_limit")
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    resp = await client.token(client.code_form(tx, code))
    assert resp.status == 429
    assert resp.content_type == "text/html"
    # The code was not consumed by the refused request.
    assert (await client.token(client.code_form(tx, code))).status == 200


async def test_b2c_error_fault(simulator: FluviusSimulator, client: RefClient) -> None:
    simulator.faults.inject("self_asserted", "b2c_error")
    tx = await client.authorize(DEMO_EMAIL)
    resp = await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD)
    assert json.loads(await resp.text())["errorCode"] == "AADB2C90244"
    simulator.faults.inject("confirmed", "b2c_error", code="AADB2C90035")
    resp = await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD)
    resp = await client.confirmed(tx)
    got = redirect_params(resp.headers["Location"])
    assert got["error_description"].startswith("AADB2C90035:")
    simulator.faults.inject("token", "b2c_error", code="AADB2C90085")
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    resp = await client.token(client.code_form(tx, code))
    assert resp.status == 400
    assert (await resp.json())["error_description"].startswith("AADB2C90085:")


async def test_count_and_clear(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    faults = simulator.faults
    faults.inject("measurements", "unauthorized", count=2)
    faults.inject("measurements", "server_error")
    assert faults.pending("measurements") == 3
    statuses = [(await measure(client, token)).status for _ in range(4)]
    assert statuses == [401, 401, 500, 200]
    faults.inject("measurements", "server_error", count=None)
    assert [(await measure(client, token)).status for _ in range(3)] == [500] * 3
    faults.clear()
    assert (await measure(client, token)).status == 200
    assert faults.pending() == 0


def test_inject_validates() -> None:
    faults = FaultInjector()
    with pytest.raises(ValueError, match="endpoint"):
        faults.inject("nowhere", "reset")
    with pytest.raises(ValueError, match="kind"):
        faults.inject("token", "gremlins")
    with pytest.raises(ValueError, match="b2c_error"):
        faults.inject("measurements", "b2c_error")
    with pytest.raises(ValueError, match="count"):
        faults.inject("token", "reset", count=0)


def test_random_faults_are_seeded() -> None:
    def run(seed: int) -> list[str | None]:
        faults = FaultInjector()
        faults.random(seed, 0.3, endpoints=("measurements",))
        return [getattr(faults.take("measurements"), "kind", None) for _ in range(200)]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    hits = [k for k in first if k]
    assert 30 < len(hits) < 90
    assert "timeout" not in hits
    faults = FaultInjector()
    faults.random(1, 1.0, endpoints=("peaks",))
    assert faults.take("measurements") is None


async def test_random_soak(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    simulator.faults.random(3, 0.5, kinds=("server_error", "rate_limit", "reset", "latency"))
    outcomes: set[int | str] = set()
    for _ in range(30):
        try:
            outcomes.add((await measure(client, token)).status)
        except aiohttp.ClientConnectionError:
            outcomes.add("reset")
    assert {200, 500, 429} <= outcomes  # a single reset is hidden by aiohttp's retry
    fired = {kind for _, kind in simulator.faults.fired}
    assert fired == {"server_error", "rate_limit", "reset", "latency"}


async def test_stats_and_log(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    simulator.reset_stats()
    assert simulator.request_log == []
    simulator.faults.inject("measurements", "reset", count=2)
    with pytest.raises(aiohttp.ClientConnectionError):
        await measure(client, token)
    await measure(client, token)
    await client.get("/no/such/page", token)
    await client.get(f"/verbruik/api/meter-measurement-history/{ELEC_EAN}", None)
    stats = simulator.stats
    assert stats.requests["measurements"] == 4
    assert stats.requests["unknown"] == 1
    assert [(r.endpoint, r.status) for r in simulator.request_log] == [
        ("measurements", 0),
        ("measurements", 0),
        ("measurements", 200),
        ("unknown", 404),
        ("measurements", 401),
    ]
    record = simulator.request_log[2]
    assert record.method == "GET"
    assert record.path == f"/verbruik/api/meter-measurement-history/{ELEC_EAN}"
    assert "granularity=4" in record.query
    assert record.time == simulator.clock.now()
    assert set(ENDPOINTS) >= {r.endpoint for r in simulator.request_log} - {"unknown"}
