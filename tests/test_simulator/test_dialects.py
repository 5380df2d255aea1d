"""Dialects and refusals: live tables, silent `200 []` vs 400, random dialects, gas-day windows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.simulator import (
    DAILY,
    DIALECTS,
    HOURLY,
    QUARTER_HOUR,
    FluviusSimulator,
    SimClock,
    SimOptions,
    peaks_max_days_of,
    random_dialect,
    random_peaks_max_days,
    refusal_of,
    resolve_dialect,
)
from tests.simulator.data import RESOLUTIONS
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_NOW,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
)
from tests.simulator.dialects import RANDOM_PEAK_LIMITS

from .conftest import SimFactory
from .reference import RefClient, day_window, gas_day_window

DAY = date(2026, 4, 1)  # long final at DEMO_NOW
NO_DST_WEEK_END = date(2026, 3, 20)  # the week before has no DST switch
WINTER = date(2026, 1, 14)
ELEC_PATH = f"/verbruik/api/meter-measurement-history/{ELEC_EAN}"
GAS_PATH = f"/verbruik/api/meter-measurement-history/{GAS_EAN}"
LEGACY_GAS_PATH = f"/verbruik/api/consumption-histories/{GAS_EAN}"
HOUR = timedelta(hours=1)
LENGTHS = {
    QUARTER_HOUR: {HOUR / 4},
    HOURLY: {HOUR},
    DAILY: {23 * HOUR, 24 * HOUR, 25 * HOUR},
}


def params(start: str, end: str, granularity: str, serial: str = ELEC_SERIAL) -> dict[str, str]:
    return {
        "historyFrom": start,
        "historyUntil": end,
        "granularity": granularity,
        "asServiceProvider": "false",
        "meterSerialNumber": serial,
    }


def days(first: date, last: date, granularity: str) -> dict[str, str]:
    return params(*day_window(first, last), granularity)


def gas_days(first: date, last: date, granularity: str) -> dict[str, str]:
    return params(*gas_day_window(first, last), granularity, GAS_SERIAL)


def lengths(body: list[dict[str, Any]]) -> set[timedelta]:
    return {datetime.fromisoformat(p["de"]) - datetime.fromisoformat(p["d"]) for p in body}


async def logged_in(sim: FluviusSimulator) -> tuple[RefClient, str]:
    client = RefClient(sim)
    tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    return client, tokens["access_token"]


async def served(resp: aiohttp.ClientResponse) -> list[dict[str, Any]]:
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body
    return body


async def refused(sim: FluviusSimulator, resp: aiohttp.ClientResponse, style: str) -> str:
    """Check a refusal in the given style; returns the logged reason."""
    if style == "empty":
        assert resp.status == 200
        assert await resp.json() == []
    else:
        assert resp.status == 400
        body = await resp.json()
        assert body["status"] == 400
        assert body["detail"]
    reason = sim.request_log[-1].refused
    assert reason
    return reason


# --- tables --------------------------------------------------------------------------------


def test_named_tables() -> None:
    assert DIALECTS["live"] == {
        "1": (QUARTER_HOUR, 1),
        "2": (HOURLY, 1),
        "3": (DAILY, 366),
        "4": (DAILY, 366),
    }
    assert DIALECTS["live_3qh"] == {**DIALECTS["live"], "3": (QUARTER_HOUR, 7)}
    assert {name: refusal_of(name) for name in DIALECTS} == {
        "dialect_a": "400",
        "dialect_b": "400",
        "dialect_c": "400",
        "daily_only": "400",
        "live": "empty",
        "live_3qh": "empty",
    }
    assert refusal_of({"9": (DAILY, 3)}) == "empty"
    assert all(peaks_max_days_of(name) == 731 for name in DIALECTS)


def test_defaults() -> None:
    options = SimOptions()
    assert options.dialect == "live"
    assert options.refusal is None
    assert options.refusal_style() == "empty"
    assert options.gas_day_windows is True
    assert options.peaks_max_days is None
    assert options.peaks_limit() == 731
    assert options.require_origin is False
    assert options.legacy_decoy is False
    assert FluviusSimulator(SimClock(DEMO_NOW)).options.dialect == "live"


def test_option_checks() -> None:
    options = SimOptions()
    for bad in ("maybe", "404"):
        with pytest.raises(ValueError, match="refusal"):
            options.refusal = bad
    options.refusal = 400  # type: ignore[assignment]
    assert options.refusal == "400"
    with pytest.raises(ValueError, match="peaks_max_days"):
        options.peaks_max_days = 0
    with pytest.raises(ValueError, match="random"):
        options.dialect = "random:"
    options.dialect = "random:abc"
    assert options.refusal_style() == "400"  # the override wins
    options.refusal = None
    assert options.refusal_style() == "empty"


@pytest.mark.parametrize("dialect", ["live", "live_3qh"])
async def test_live_tables_over_http(make_sim: SimFactory, dialect: str) -> None:
    sim = await make_sim()
    sim.options.dialect = dialect
    client, token = await logged_in(sim)
    async with client:
        last = NO_DST_WEEK_END
        for code, (resolution, max_days) in DIALECTS[dialect].items():
            first = last - timedelta(days=max_days - 1)
            body = await served(await client.get(ELEC_PATH, token, days(first, last, code)))
            assert lengths(body) <= LENGTHS[resolution]
            per_day = {QUARTER_HOUR: 96, HOURLY: 24, DAILY: 1}[resolution]
            assert len(body) == max_days * per_day
            longer = days(first - timedelta(days=1), last, code)
            reason = await refused(sim, await client.get(ELEC_PATH, token, longer), "empty")
            assert f"at most {max_days} days" in reason
        # Sub-daily codes take one local day per request, whatever the hour they start.
        afternoon = params("2026-04-01T12:00:00.000+02:00", "2026-04-02T11:59:59.999+02:00", "1")
        assert len(await served(await client.get(ELEC_PATH, token, afternoon))) == 96


# --- refusals ------------------------------------------------------------------------------


async def unserved_request(
    kind: str, client: RefClient, token: str, sim: FluviusSimulator
) -> aiohttp.ClientResponse:
    """One request of each kind the portal will not serve (in live and dialect_a alike)."""
    match kind:
        case "too_long":
            return await client.get(ELEC_PATH, token, days(DAY, DAY + timedelta(days=1), "1"))
        case "unknown_code":
            return await client.get(ELEC_PATH, token, days(DAY, DAY, "9"))
        case "gas_misaligned":
            calendar_day = params(*day_window(WINTER, WINTER), "1", GAS_SERIAL)
            return await client.get(GAS_PATH, token, calendar_day)
        case "gas_daily_only":
            sim.options.gas_daily_only = True
            return await client.get(GAS_PATH, token, gas_days(WINTER, WINTER, "1"))
        case "spikes_too_long":
            return await client.peaks(token, ELEC_EAN, ELEC_SERIAL, date(2024, 1, 1), DAY)
    raise AssertionError(kind)


KINDS = {
    "too_long": "at most 1 days",
    "unknown_code": "granularity '9'",
    "gas_misaligned": "whole gas days",
    "gas_daily_only": "not available for gas",
    "spikes_too_long": "spikes allow at most 731 days",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    ("dialect", "refusal", "style"),
    [
        ("live", None, "empty"),
        ("live_3qh", None, "empty"),
        ("dialect_a", None, "400"),
        ("live", "400", "400"),
        ("dialect_a", "empty", "empty"),
    ],
)
async def test_refusal_styles(
    make_sim: SimFactory, kind: str, dialect: str, refusal: str | None, style: str
) -> None:
    sim = await make_sim(dialect=dialect, refusal=refusal)
    client, token = await logged_in(sim)
    async with client:
        resp = await unserved_request(kind, client, token, sim)
        assert KINDS[kind] in await refused(sim, resp, style)


@pytest.mark.parametrize("dialect", ["live", "random:3", "dialect_a"])
async def test_format_errors_stay_400(make_sim: SimFactory, dialect: str) -> None:
    sim = await make_sim(dialect=dialect)
    client, token = await logged_in(sim)
    async with client:
        good = days(DAY, DAY, "4")
        for start, end in [
            ("2026-04-01T00:00:00.000+01:00", good["historyUntil"]),  # wrong Brussels offset
            ("2026-04-01T00:00:00+02:00", good["historyUntil"]),  # no milliseconds
            ("2026-04-01T00:00:00.000Z", good["historyUntil"]),  # not a local offset
            (good["historyUntil"], good["historyFrom"]),  # backwards
        ]:
            resp = await client.get(
                ELEC_PATH, token, good | {"historyFrom": start, "historyUntil": end}
            )
            assert resp.status == 400
            assert sim.request_log[-1].refused is None
        # A bad time is 400 even when the code is unknown too.
        resp = await client.get(ELEC_PATH, token, good | {"granularity": "9", "historyFrom": "x"})
        assert resp.status == 400
        legacy = params("2026-04-01T00:00:00.000+02:00", "2026-04-01T23:59:59.999+02:00", "4")
        resp = await client.get(f"/verbruik/api/consumption-histories/{ELEC_EAN}", token, legacy)
        assert resp.status == 400
        spikes = good | {"historyFrom": "2026-04-01T00:00:00.000+01:00"}
        resp = await client.get(f"/verbruik/api/meter-measurement-spikes/{ELEC_EAN}", token, spikes)
        assert resp.status == 400


async def test_served_requests_are_not_marked_refused(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    resp = await client.get(ELEC_PATH, token, days(DAY, DAY, "1"))
    assert resp.status == 200
    assert simulator.request_log[-1].refused is None
    # Nothing published yet is `[]` as well, but not a refusal.
    resp = await client.get(ELEC_PATH, token, days(date(2026, 5, 1), date(2026, 5, 1), "1"))
    assert await resp.json() == []
    assert simulator.request_log[-1].refused is None


async def test_mandate_display_mode_is_ignored(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    plain = await client.get(ELEC_PATH, token, days(DAY, DAY, "1"))
    mandate = await client.get(ELEC_PATH, token, days(DAY, DAY, "1") | {"mandateDisplayMode": "1"})
    assert mandate.status == 200
    assert await mandate.json() == await plain.json()
    assert "mandateDisplayMode=1" in simulator.request_log[-1].query
    spikes = f"/verbruik/api/meter-measurement-spikes/{ELEC_EAN}"
    window = days(date(2026, 3, 1), date(2026, 3, 31), "1") | {"mandateDisplayMode": "1"}
    assert len(await served(await client.get(spikes, token, window))) == 1


# --- random dialects -----------------------------------------------------------------------


def test_random_dialect_is_deterministic() -> None:
    assert random_dialect(1) == {
        "1": (HOURLY, 26),
        "2": (HOURLY, 8),
        "3": (HOURLY, 1),
        "4": (DAILY, 30),
    }
    assert random_peaks_max_days(1) == 62
    for seed in (0, 1, 42, "abc"):
        assert random_dialect(seed) == random_dialect(seed)
        assert resolve_dialect(f"random:{seed}") == random_dialect(seed)
        assert peaks_max_days_of(f"random:{seed}") == random_peaks_max_days(seed)
        assert refusal_of(f"random:{seed}") == "empty"
    assert random_dialect(42) == random_dialect("42")


def test_random_dialect_constraints() -> None:
    seen_resolutions: set[str] = set()
    seen_limits: set[int] = set()
    seen_peaks: set[int] = set()
    tables = set()
    for seed in range(200):
        dialect = random_dialect(seed)
        assert set(dialect) == {"1", "2", "3", "4"}
        resolutions = [resolution for resolution, _ in dialect.values()]
        assert all(r in RESOLUTIONS for r in resolutions)
        assert any(r != DAILY for r in resolutions)  # at least one sub-daily code
        assert DAILY in resolutions  # at least one daily code
        assert all(1 <= limit <= 31 for _, limit in dialect.values())
        peaks = random_peaks_max_days(seed)
        assert peaks in RANDOM_PEAK_LIMITS
        assert peaks >= 31  # any one-month local window fits
        seen_resolutions.update(resolutions)
        seen_limits.update(limit for _, limit in dialect.values())
        seen_peaks.add(peaks)
        tables.add(tuple(sorted(dialect.items())))
    assert seen_resolutions == set(RESOLUTIONS)
    assert {1, 31} <= seen_limits
    assert seen_peaks == set(RANDOM_PEAK_LIMITS)
    assert len(tables) > 190


@pytest.mark.parametrize("seed", [1, 10, 77])
async def test_random_dialect_over_http(make_sim: SimFactory, seed: int) -> None:
    sim = await make_sim(dialect=f"random:{seed}")
    table = random_dialect(seed)
    assert sim.options.refusal_style() == "empty"
    client, token = await logged_in(sim)
    async with client:
        for code, (resolution, max_days) in table.items():
            first = DAY - timedelta(days=max_days - 1)
            body = await served(await client.get(ELEC_PATH, token, days(first, DAY, code)))
            assert lengths(body) <= LENGTHS[resolution]
            longer = days(first - timedelta(days=1), DAY, code)
            await refused(sim, await client.get(ELEC_PATH, token, longer), "empty")
        await refused(sim, await client.get(ELEC_PATH, token, days(DAY, DAY, "5")), "empty")
        # Spikes: the seeded limit; a single month (here 31-day March, with DST) always fits.
        limit = random_peaks_max_days(seed)
        march = await client.peaks(
            token, ELEC_EAN, ELEC_SERIAL, date(2026, 3, 1), date(2026, 3, 31)
        )
        assert len(await served(march)) == 1
        first = DAY - timedelta(days=limit - 1)
        assert await served(await client.peaks(token, ELEC_EAN, ELEC_SERIAL, first, DAY))
        longer = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, first - timedelta(days=1), DAY)
        assert "spikes" in await refused(sim, longer, "empty")


async def test_peaks_max_days_overrides_the_dialect(make_sim: SimFactory) -> None:
    sim = await make_sim(dialect="random:10", peaks_max_days=400)
    assert random_peaks_max_days(10) == 31
    assert sim.options.peaks_limit() == 400
    client, token = await logged_in(sim)
    async with client:
        resp = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, date(2025, 4, 1), DAY)
        assert len(await served(resp)) == 13


# --- gas-day windows -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "code", "gas_days_count"),
    [("live", "1", 1), ("live", "2", 1), ("live_3qh", "3", 7), ("dialect_a", "2", 31)],
)
async def test_gas_aligned_windows_are_served(
    make_sim: SimFactory, dialect: str, code: str, gas_days_count: int
) -> None:
    sim = await make_sim(dialect=dialect)
    client, token = await logged_in(sim)
    async with client:
        last = WINTER + timedelta(days=gas_days_count - 1)
        body = await served(await client.get(GAS_PATH, token, gas_days(WINTER, last, code)))
        assert lengths(body) == {HOUR}
        assert len(body) == 24 * gas_days_count
        assert body[0]["d"] == "2026-01-14T05:00:00Z"
        # Ending at 06:00:00.000 is a whole gas day too.
        start, _ = gas_day_window(WINTER, last)
        end = f"{last + timedelta(days=1)}T06:00:00.000+01:00"
        assert len(
            await served(await client.get(GAS_PATH, token, params(start, end, code, GAS_SERIAL)))
        ) == len(body)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-03-28T06:00:00.000+01:00", "2026-03-29T05:59:59.999+02:00", 23),  # spring
        ("2026-03-29T06:00:00.000+02:00", "2026-03-30T05:59:59.999+02:00", 24),
        ("2025-10-25T06:00:00.000+02:00", "2025-10-26T05:59:59.999+01:00", 25),  # autumn
    ],
)
async def test_gas_days_around_dst(
    client: RefClient, token: str, start: str, end: str, hours: int
) -> None:
    body = await served(await client.get(GAS_PATH, token, params(start, end, "2", GAS_SERIAL)))
    assert len(body) == hours


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-01-14T00:00:00.000+01:00", "2026-01-14T23:59:59.999+01:00"),  # calendar day
        ("2026-01-14T06:00:00.000+01:00", "2026-01-14T23:59:59.999+01:00"),  # ends mid gas day
        ("2026-01-14T06:00:00.000+01:00", "2026-01-15T06:00:00.001+01:00"),
        ("2026-01-14T06:00:00.001+01:00", "2026-01-15T05:59:59.999+01:00"),
        ("2026-01-14T05:00:00.000+01:00", "2026-01-15T04:59:59.999+01:00"),  # an hour early
        ("2026-01-14T07:00:00.000+01:00", "2026-01-15T06:59:59.999+01:00"),
        ("2026-01-14T06:00:00.000+01:00", "2026-01-15T05:59:59.000+01:00"),
    ],
)
@pytest.mark.parametrize(("dialect", "style"), [("live", "empty"), ("dialect_a", "400")])
async def test_gas_misaligned_windows_are_refused(
    make_sim: SimFactory, dialect: str, style: str, start: str, end: str
) -> None:
    sim = await make_sim(dialect=dialect)
    client, token = await logged_in(sim)
    async with client:
        resp = await client.get(GAS_PATH, token, params(start, end, "1", GAS_SERIAL))
        assert "whole gas days" in await refused(sim, resp, style)


async def test_gas_daily_codes_take_any_window(client: RefClient, token: str) -> None:
    # The portal's own daily gas requests use calendar windows: gas days starting inside.
    calendar = params(*day_window(WINTER, WINTER + timedelta(days=1)), "4", GAS_SERIAL)
    body = await served(await client.get(GAS_PATH, token, calendar))
    assert [p["d"] for p in body] == ["2026-01-14T05:00:00Z", "2026-01-15T05:00:00Z"]
    odd = params("2026-01-14T03:00:00.000+01:00", "2026-01-15T12:00:00.000+01:00", "3", GAS_SERIAL)
    assert len(await served(await client.get(GAS_PATH, token, odd))) == 2


async def test_gas_day_windows_can_be_switched_off(make_sim: SimFactory) -> None:
    sim = await make_sim(gas_day_windows=False)
    client, token = await logged_in(sim)
    async with client:
        calendar = params(*day_window(WINTER, WINTER), "1", GAS_SERIAL)
        body = await served(await client.get(GAS_PATH, token, calendar))
        assert len(body) == 24
        assert body[0]["d"] == "2026-01-13T23:00:00Z"


async def test_electricity_has_no_gas_day_rule(client: RefClient, token: str) -> None:
    window = params("2026-04-01T06:00:00.000+02:00", "2026-04-02T05:59:59.999+02:00", "1")
    assert len(await served(await client.get(ELEC_PATH, token, window))) == 96


@pytest.mark.parametrize(("dialect", "style"), [("live", "empty"), ("dialect_a", "400")])
async def test_legacy_gas_windows_in_utc(make_sim: SimFactory, dialect: str, style: str) -> None:
    sim = await make_sim(dialect=dialect)
    client, token = await logged_in(sim)
    async with client:

        def legacy(start: str, end: str) -> dict[str, str]:
            return {
                "historyFrom": start,
                "historyUntil": end,
                "granularity": "1",
                "asServiceProvider": "false",
            }

        # 06:00 Brussels is 05:00Z in winter.
        aligned = legacy("2026-01-14T05:00:00.000Z", "2026-01-15T04:59:59.999Z")
        (meter,) = await served(await client.get(LEGACY_GAS_PATH, token, aligned))
        assert len(meter["val"]) == 24
        assert 10.8 <= meter["val"][0]["okgcf"] <= 11.4
        summer = legacy("2025-07-01T04:00:00Z", "2025-07-02T04:00:00Z")
        (meter,) = await served(await client.get(LEGACY_GAS_PATH, token, summer))
        assert len(meter["val"]) == 24
        for start, end in [
            ("2026-01-14T00:00:00.000Z", "2026-01-14T23:59:59.999Z"),
            ("2026-01-14T06:00:00.000Z", "2026-01-15T05:59:59.999Z"),  # 07:00 Brussels
        ]:
            resp = await client.get(LEGACY_GAS_PATH, token, legacy(start, end))
            assert "whole gas days" in await refused(sim, resp, style)
