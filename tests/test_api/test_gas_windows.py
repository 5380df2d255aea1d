"""Gas without assumptions: the daily code's gas window is unknown, so both readings are played.

"start": a window serves the gas days that start in it; "inside": only the gas days wholly
inside it (a calendar day then holds no gas day at all). Nobody knows which one the real
portal plays (docs/PORTAL.md). The client must find the meter, judge its codes and import a
year exactly under both, on the live dialect and on seeded random dialects, at a request count
near what the portal's range limits force. Every assertion is against the simulator's truth.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs

import pytest

from custom_components.fluvius.api import FluviusClient, Interval, MeterType, Resolution
from tests.simulator import FluviusSimulator, resolve_dialect
from tests.simulator.demo import GAS_EAN, GAS_SERIAL

from .conftest import ClientFactory
from .test_silent_portal import finest

READINGS = ["start", "inside"]
DIALECTS = ["live", "random:2", "random:42"]
CHUNK_DAYS = 31  # the integration's backfill chunk (backfill.py)
FIRST, LAST = date(2025, 4, 12), date(2026, 4, 11)  # 365 published gas days at DEMO_NOW


def longest_range(dialect: str, resolution: Resolution) -> int:
    """The longest range a code delivering `resolution` on a gas meter accepts."""
    best = 0
    for res, days in resolve_dialect(dialect).values():
        delivered = Resolution(res)
        if delivered is Resolution.QUARTER_HOUR:
            delivered = Resolution.HOUR  # gas answers hourly periods to a quarter-hour code
        if delivered is resolution:
            best = max(best, days)
    return best


async def fetch_year(client: FluviusClient, resolution: Resolution) -> list[Interval]:
    """FIRST..LAST in the integration's chunks."""
    fetched: list[Interval] = []
    cursor = FIRST
    while cursor <= LAST:
        last = min(cursor + timedelta(days=CHUNK_DAYS - 1), LAST)
        fetched += await client.measurements(
            GAS_EAN, GAS_SERIAL, cursor, last, resolution=resolution
        )
        cursor = last + timedelta(days=1)
    return fetched


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("reading", READINGS)
async def test_gas_probe_and_a_year_exact_under_both_readings(
    simulator: FluviusSimulator, client: FluviusClient, reading: str, dialect: str
) -> None:
    """Add meter's probe finds the gas meter, and a year of history equals the truth hour by
    hour (m³ and kWh), at no more than 4 % above the portal's physical request floor plus the
    discovery."""
    simulator.options.dialect = dialect
    simulator.options.gas_daily_window = reading
    probe = await client.probe(GAS_EAN, GAS_SERIAL)
    resolution = finest(dialect, gas=True)
    assert probe.meter_type is MeterType.GAS
    assert probe.resolution is resolution
    discovery = simulator.stats.requests["measurements"]

    fetched = await fetch_year(client, Resolution.QUARTER_HOUR)
    used = simulator.stats.requests["measurements"] - discovery
    longest = longest_range(dialect, resolution)
    physical = 0
    cursor = FIRST
    while cursor <= LAST:
        last = min(cursor + timedelta(days=CHUNK_DAYS - 1), LAST)
        physical += -(-((last - cursor).days + 1) // longest)
        cursor = last + timedelta(days=1)
    print(f"{reading}/{dialect}: {used} requests for 365 gas days (floor {physical}), {discovery}")

    truth = simulator.truth(GAS_EAN)
    start, end = truth.day_bounds(FIRST)[0], truth.day_bounds(LAST)[1]
    expected = truth.periods(start, end, resolution.value, simulator.clock.now())
    assert [(i.start, i.end) for i in fetched] == [(p.start, p.end) for p in expected]
    for interval, period in zip(fetched, expected, strict=True):
        assert {r.value: v.value for r, v in interval.readings.items()} == period.values
    assert used <= 1.04 * physical + 16, (used, physical)
    if dialect == "live":
        assert used <= 1.04 * 365, used


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("reading", READINGS)
async def test_gas_daily_totals_exact_under_both_readings(
    simulator: FluviusSimulator, client: FluviusClient, reading: str, dialect: str
) -> None:
    """The daily code's view of the year (what the sensors and the revision check read):
    every gas day once, equal to the truth's day totals, none left out at a window's end."""
    simulator.options.dialect = dialect
    simulator.options.gas_daily_window = reading
    fetched = await fetch_year(client, Resolution.DAY)
    truth = simulator.truth(GAS_EAN)
    now = simulator.clock.now()
    days = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    assert [i.start for i in fetched] == [truth.day_bounds(day)[0] for day in days]
    for interval, day in zip(fetched, days, strict=True):
        assert interval.resolution is Resolution.DAY
        values = {r.value: v.value for r, v in interval.readings.items()}
        assert values == truth.daily(day, as_of=now), day


@pytest.mark.parametrize("reading", READINGS)
async def test_the_alignment_that_worked_is_remembered(
    simulator: FluviusSimulator, make_client: ClientFactory, reading: str
) -> None:
    """Per code, the window alignment that delivered is kept in the dialect store: a client
    that adopts it asks no discovery requests and never a window the portal does not serve."""
    simulator.options.gas_daily_window = reading
    client = make_client()
    await client.probe(GAS_EAN, GAS_SERIAL)
    stored = client.export_dialects()
    codes = next(iter(stored["meters"].values()))["current"]
    starts = {code: known["day_start"] for code, known in codes.items() if known["resolution"]}
    # Sub-daily gas codes need gas days; the daily codes under "inside" too ("start" serves
    # either alignment).
    assert starts["1"] == starts["2"] == 6
    if reading == "inside":
        assert starts["3"] == starts["4"] == 6

    simulator.reset_stats()
    again = make_client()  # a fresh client that only adopts the stored dialect
    again.import_dialects(stored)
    await again.measurements(GAS_EAN, GAS_SERIAL, date(2026, 3, 1), date(2026, 3, 10))
    await again.measurements(
        GAS_EAN, GAS_SERIAL, date(2026, 1, 1), date(2026, 3, 10), resolution=Resolution.DAY
    )
    data = [r for r in simulator.request_log if r.endpoint == "measurements"]
    assert data
    assert all(r.refused is None or "gas days" not in r.refused for r in data)
    daily = [parse_qs(r.query) for r in data if parse_qs(r.query)["granularity"][0] in "34"]
    assert daily
    for query in daily:
        start = datetime.fromisoformat(query["historyFrom"][0])
        assert start.time() == time(starts[query["granularity"][0]])
