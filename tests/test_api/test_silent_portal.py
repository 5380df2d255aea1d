"""A portal that refuses with `200 []`: nothing is concluded from an empty answer.

Every assertion is against the simulator's ground truth. The dialects are the live one
(FLUVIUS_API.md §2.1), its variant for code 3, and seeded random silent dialects (random code
meanings and range limits of 1 to 31 days), so the tests prove the principle, not one table.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest

from custom_components.fluvius.api import FluviusClient, Interval, Resolution
from tests.simulator import FluviusSimulator, resolve_dialect
from tests.simulator.demo import (
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    SINGLE_EAN,
    SINGLE_SERIAL,
)

from .conftest import ClientFactory

BRUSSELS = ZoneInfo("Europe/Brussels")
SILENT = ["live", "live_3qh", "random:1", "random:2", "random:42", "random:2026"]
METERS = {
    "dual": (ELEC_EAN, ELEC_SERIAL),
    "single": (SINGLE_EAN, SINGLE_SERIAL),
    "gas": (GAS_EAN, GAS_SERIAL),
}
FIRST, LAST = date(2026, 2, 20), date(2026, 4, 14)  # over the spring DST change, to "today"


def finest(dialect: str, gas: bool) -> Resolution:
    """The finest resolution the simulated portal serves this meter."""
    offered = {Resolution(resolution) for resolution, _ in resolve_dialect(dialect).values()}
    if gas and Resolution.QUARTER_HOUR in offered:
        offered.add(Resolution.HOUR)  # gas answers hourly periods to a quarter-hour code
        offered.discard(Resolution.QUARTER_HOUR)
    return next(
        r for r in (Resolution.QUARTER_HOUR, Resolution.HOUR, Resolution.DAY) if r in offered
    )


def served(sim: FluviusSimulator, ean: str, resolution: Resolution) -> list[tuple]:
    """What the portal serves now for FIRST..LAST, as comparable tuples."""
    truth = sim.truth(ean)
    start = truth.day_bounds(FIRST)[0]
    end = truth.day_bounds(LAST)[1]
    return [
        (p.start, p.end, p.values)
        for p in truth.periods(start, end, resolution.value, sim.clock.now())
    ]


def got(intervals: list[Interval]) -> list[tuple]:
    return [(i.start, i.end, {r.value: v.value for r, v in i.readings.items()}) for i in intervals]


@pytest.mark.parametrize("meter", sorted(METERS))
@pytest.mark.parametrize("dialect", SILENT)
async def test_every_published_hour_arrives(
    simulator: FluviusSimulator, client: FluviusClient, dialect: str, meter: str
) -> None:
    """Measurements at the finest resolution equal the truth, period by period, and the
    request log says what was learnt."""
    simulator.options.dialect = dialect
    ean, serial = METERS[meter]
    intervals = await client.measurements(ean, serial, FIRST, LAST)
    resolution = finest(dialect, gas=meter == "gas")
    assert got(intervals) == served(simulator, ean, resolution)
    assert client.resolution_in_use(ean, serial) is resolution
    log = client.request_log(ean, serial)
    assert len(log) <= 50
    assert all(record["conclusion"] for record in log), [r for r in log if not r["conclusion"]]
    text = repr(log)
    assert ean not in text
    assert serial not in text


CHUNK_DAYS = 31  # what the history import asks for at a time


@pytest.mark.parametrize("dialect", SILENT)
async def test_backfill_requests_near_the_physical_limit(
    simulator: FluviusSimulator, client: FluviusClient, dialect: str
) -> None:
    """A year at the finest resolution costs what the portal's range limit forces, plus the
    discovery: within 4 % of that on the live portal, a small allowance elsewhere."""
    simulator.options.dialect = dialect
    resolution = finest(dialect, gas=False)
    longest = max(
        days for res, days in resolve_dialect(dialect).values() if Resolution(res) is resolution
    )
    start, end = date(2025, 4, 14), date(2026, 4, 13)  # 365 published days
    await client.probe(ELEC_EAN, ELEC_SERIAL)
    before = simulator.stats.requests["measurements"]
    fetched: list[Interval] = []
    physical = 0
    cursor = start
    while cursor <= end:
        last = min(cursor + timedelta(days=CHUNK_DAYS - 1), end)
        fetched += await client.measurements(ELEC_EAN, ELEC_SERIAL, cursor, last)
        physical += -(-((last - cursor).days + 1) // longest)
        cursor = last + timedelta(days=1)
    used = simulator.stats.requests["measurements"] - before
    print(f"{dialect}: {used} requests for 365 days; physical limit {physical}")
    assert {i.resolution for i in fetched} == {resolution}
    assert len({i.start for i in fetched}) == len(fetched)
    if dialect == "live":
        assert used <= 1.04 * 365, used  # ⌈365 / 1⌉ plus the range search, within 4 %
    assert used <= 1.04 * physical + 16, (used, physical)


async def test_request_shapes_are_the_portals(
    simulator: FluviusSimulator, client: FluviusClient
) -> None:
    """Electricity: 00:00:00.000 to 23:59:59.999 local; gas sub-daily: 06:00:00.000 to
    05:59:59.999 the next day; mandateDisplayMode=1, asServiceProvider=false and the serial
    on every interval request."""
    await client.probe(ELEC_EAN, ELEC_SERIAL)
    await client.probe(GAS_EAN, GAS_SERIAL)  # a meter's first request cannot know it is gas
    simulator.reset_stats()
    await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2026, 3, 28), date(2026, 3, 30))
    await client.measurements(GAS_EAN, GAS_SERIAL, date(2026, 3, 28), date(2026, 3, 30))
    records = [r for r in simulator.request_log if r.endpoint == "measurements"]
    assert records
    for record in records:
        query = {k: v[0] for k, v in parse_qs(record.query).items()}
        assert query["mandateDisplayMode"] == "1"
        assert query["asServiceProvider"] == "false"
        assert query["meterSerialNumber"] in (ELEC_SERIAL, GAS_SERIAL)
        first = datetime.fromisoformat(query["historyFrom"])
        until = datetime.fromisoformat(query["historyUntil"])
        daily = resolve_dialect("live")[query["granularity"]][0] == "day"
        gas = query["meterSerialNumber"] == GAS_SERIAL and not daily
        assert first.time() == time(6 if gas else 0)
        assert until.time() == time(5 if gas else 23, 59, 59, 999000)
        assert first.utcoffset() == first.astimezone(BRUSSELS).utcoffset()


async def test_a_fine_code_that_skips_a_published_day_is_rescued(
    simulator: FluviusSimulator, make_client: ClientFactory
) -> None:
    """The quarter-hour code answers `[]` for one published day (a glitch or a history limit):
    the day comes in from another code, else as its daily total; never left out."""
    client = make_client()
    await client.probe(ELEC_EAN, ELEC_SERIAL)
    day = date(2026, 4, 10)
    # Every quarter-hour-capable request of that day answers `[]` (live: only code 1 is QH).
    simulator.faults.inject("measurements", "empty", count=1)
    intervals = await client.measurements(ELEC_EAN, ELEC_SERIAL, day, day)
    truth = simulator.truth(ELEC_EAN)
    start, end = truth.day_bounds(day)
    assert intervals, "a published day must never be left out"
    total = sum(sum(i.readings[r].value for r in i.readings) for i in intervals)
    expected = sum(
        sum(p.values.values()) for p in truth.periods(start, end, "day", simulator.clock.now())
    )
    assert total == pytest.approx(expected, abs=1e-6)
    assert intervals[0].start == start
    assert intervals[-1].end == end


async def test_empty_everywhere_is_nothing_published(
    simulator: FluviusSimulator, client: FluviusClient
) -> None:
    """When even the daily code has nothing, nothing is invented and nothing is learnt."""
    await client.probe(ELEC_EAN, ELEC_SERIAL)
    learnt = client.export_dialects()
    simulator.faults.inject("measurements", "empty", count=None)
    assert (
        await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2026, 4, 1), date(2026, 4, 10)) == []
    )
    simulator.faults.clear()
    assert client.export_dialects() == learnt


async def test_peaks_shrink_a_silently_refused_range(
    simulator: FluviusSimulator, client: FluviusClient
) -> None:
    """The spikes endpoint answers `[]` for ranges over its limit: months with published data
    and no peak mean the range was refused, so it is shrunk down to what works."""
    simulator.options.dialect = "random:2"  # spikes limit 31 days: one month per request
    await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2025, 5, 1), date(2026, 4, 14))
    peaks = await client.peaks(ELEC_EAN, ELEC_SERIAL, date(2025, 5, 1), date(2026, 4, 14))
    truth = simulator.truth(ELEC_EAN)
    now = simulator.clock.now()
    expected = {}
    month = date(2025, 5, 1)
    while month <= date(2026, 4, 1):
        if (peak := truth.monthly_peak(month.year, month.month, as_of=now)) is not None:
            expected[month] = peak[0]
        month = (month + timedelta(days=32)).replace(day=1)
    assert {p.month: p.power_kw for p in peaks} == expected
    assert len(expected) == 12
