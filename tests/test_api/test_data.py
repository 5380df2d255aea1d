"""Measurements and peaks against the simulator's ground truth, in every dialect."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest

from custom_components.fluvius.api import (
    FluviusClient,
    FluviusMeterNotAccessibleError,
    FluviusNoDataError,
    Interval,
    MeterProbe,
    MeterType,
    Resolution,
    ValueStatus,
)
from tests.simulator import DIALECTS, FluviusSimulator, SimMeter, make_ean
from tests.simulator.demo import (
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    OTHER_EAN,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    OTHER_SERIAL,
    RECENT_EAN,
    RECENT_SERIAL,
    SINGLE_EAN,
    SINGLE_SERIAL,
)

from .conftest import ClientFactory

BRUSSELS = ZoneInfo("Europe/Brussels")
FINEST_FIRST = (Resolution.QUARTER_HOUR, Resolution.HOUR, Resolution.DAY)
LAST_PUBLISHED = date(2026, 4, 11)  # gas too (DEMO_NOW is 2026-04-15)
# Ranges long enough for the range-limit search to settle at each resolution.
RANGES = {
    Resolution.QUARTER_HOUR: (date(2026, 2, 10), LAST_PUBLISHED),  # holds 2026-03-29
    Resolution.HOUR: (date(2025, 10, 20), date(2026, 3, 31)),  # both DST days
    Resolution.DAY: (date(2024, 10, 1), LAST_PUBLISHED),  # 558 days: > 366 after a search
}
MODES = ["current", "legacy404", "legacy410"]
MATRIX_MODES = ["current", "legacy404"]  # 404 and 410 take the same path; both tested below


def set_mode(sim: FluviusSimulator, mode: str) -> None:
    sim.options.legacy = mode != "current"
    sim.options.legacy_status = 410 if mode == "legacy410" else 404


def local_span(start: date, end: date) -> tuple[datetime, datetime]:
    first = datetime.combine(start, time(), BRUSSELS).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(), BRUSSELS).astimezone(UTC)
    return first, after


def expected_capability(dialect: str, wanted: Resolution, gas: bool) -> tuple[Resolution, int]:
    """From the simulator's dialect table: the finest resolution not finer than wanted, and
    the longest range any code delivering it accepts."""
    offered: dict[Resolution, int] = {}
    for resolution, max_days in DIALECTS[dialect].values():
        delivered = Resolution(resolution)
        if gas and delivered is Resolution.QUARTER_HOUR:
            delivered = Resolution.HOUR  # gas meters answer hourly to quarter-hour codes
        offered[delivered] = max(offered.get(delivered, 0), max_days)
    allowed = FINEST_FIRST[FINEST_FIRST.index(wanted) :]
    target = next(r for r in allowed if r in offered)
    return target, offered[target]


def assert_equals_truth(
    sim: FluviusSimulator,
    ean: str,
    intervals: list[Interval],
    *,
    days: tuple[date, date],
    resolution: Resolution,
) -> None:
    """Every interval and every register equal what the portal serves now, exactly."""
    start, end = days
    truth = sim.truth(ean)  # calendar days, or gas days (06:00 to 06:00) for gas
    span = truth.day_bounds(start)[0], truth.day_bounds(end)[1]
    periods = truth.periods(*span, resolution.value, sim.clock.now())
    assert periods, "the test range should hold published data"
    assert [i.start for i in intervals] == [p.start for p in periods]
    for interval, period in zip(intervals, periods, strict=True):
        assert interval.end == period.end
        assert {r.value: v.value for r, v in interval.readings.items()} == period.values
        expected = ValueStatus.MEASURED if period.status == 2 else ValueStatus.ESTIMATED
        assert {v.status for v in interval.readings.values()} == {expected}
        assert interval.start.tzinfo is UTC


@pytest.mark.parametrize("mode", MATRIX_MODES)
@pytest.mark.parametrize("wanted", FINEST_FIRST)
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
async def test_electricity_in_every_dialect(
    client: FluviusClient,
    simulator: FluviusSimulator,
    dialect: str,
    wanted: Resolution,
    mode: str,
) -> None:
    simulator.options.dialect = dialect
    set_mode(simulator, mode)
    target, max_days = expected_capability(dialect, wanted, gas=False)
    start, end = RANGES[target]
    intervals = await client.measurements(ELEC_EAN, ELEC_SERIAL, start, end, wanted)
    assert {i.resolution for i in intervals} == {target}
    assert_equals_truth(simulator, ELEC_EAN, intervals, days=(start, end), resolution=target)
    best = [c for c in client.capabilities(ELEC_EAN, ELEC_SERIAL) if c.resolution is target]
    assert max(c.max_days for c in best) == max_days
    exported = client.export_dialects()["meters"]
    assert next(iter(exported.values()))["legacy"] is (mode != "current")


@pytest.mark.parametrize("mode", MATRIX_MODES)
@pytest.mark.parametrize("wanted", [Resolution.QUARTER_HOUR, Resolution.DAY])
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
async def test_gas_in_every_dialect(
    client: FluviusClient,
    simulator: FluviusSimulator,
    dialect: str,
    wanted: Resolution,
    mode: str,
) -> None:
    simulator.options.dialect = dialect
    set_mode(simulator, mode)
    target, max_days = expected_capability(dialect, wanted, gas=True)
    start, end = RANGES[target]
    intervals = await client.measurements(GAS_EAN, GAS_SERIAL, start, end, wanted)
    if wanted is Resolution.QUARTER_HOUR and dialect != "daily_only":
        assert target is Resolution.HOUR  # gas is hourly at best
    assert_equals_truth(simulator, GAS_EAN, intervals, days=(start, end), resolution=target)
    best = [c for c in client.capabilities(GAS_EAN, GAS_SERIAL) if c.resolution is target]
    assert max(c.max_days for c in best) == max_days


@pytest.mark.parametrize("mode", MODES)
async def test_single_tariff_meter(
    client: FluviusClient, simulator: FluviusSimulator, mode: str
) -> None:
    set_mode(simulator, mode)
    start, end = date(2026, 3, 25), LAST_PUBLISHED
    intervals = await client.measurements(SINGLE_EAN, SINGLE_SERIAL, start, end)
    assert_equals_truth(
        simulator, SINGLE_EAN, intervals, days=(start, end), resolution=Resolution.QUARTER_HOUR
    )
    assert {r.value for r in intervals[0].readings} == {"consumption_single", "injection_single"}


@pytest.mark.parametrize("mode", MODES)
async def test_dst_days(client: FluviusClient, simulator: FluviusSimulator, mode: str) -> None:
    set_mode(simulator, mode)
    for day, quarters in ((date(2025, 10, 26), 100), (date(2026, 3, 29), 92)):
        qh = await client.measurements(ELEC_EAN, ELEC_SERIAL, day, day)
        hours = await client.measurements(ELEC_EAN, ELEC_SERIAL, day, day, Resolution.HOUR)
        (whole,) = await client.measurements(ELEC_EAN, ELEC_SERIAL, day, day, Resolution.DAY)
        assert len(qh) == quarters
        assert len(hours) == quarters // 4
        assert whole.end - whole.start == timedelta(hours=quarters // 4)
        assert (qh[0].start, qh[-1].end) == local_span(day, day)
        assert_equals_truth(
            simulator, ELEC_EAN, qh, days=(day, day), resolution=Resolution.QUARTER_HOUR
        )
        assert_equals_truth(simulator, ELEC_EAN, hours, days=(day, day), resolution=Resolution.HOUR)


async def test_shuffled_and_duplicated_periods(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    simulator.options.shuffle_periods = True
    start, end = date(2026, 3, 20), LAST_PUBLISHED
    intervals = await client.measurements(ELEC_EAN, ELEC_SERIAL, start, end)
    assert_equals_truth(
        simulator, ELEC_EAN, intervals, days=(start, end), resolution=Resolution.QUARTER_HOUR
    )
    peaks = await client.peaks(ELEC_EAN, ELEC_SERIAL, date(2025, 1, 1), date(2026, 4, 15))
    assert [p.month for p in peaks] == sorted({p.month for p in peaks})


@pytest.mark.parametrize("mode", MODES)
async def test_peaks_equal_truth(
    client: FluviusClient, simulator: FluviusSimulator, mode: str
) -> None:
    set_mode(simulator, mode)
    peaks = await client.peaks(ELEC_EAN, ELEC_SERIAL, date(2023, 6, 10), date(2026, 4, 15))
    truth = simulator.truth(ELEC_EAN)
    now = simulator.clock.now()
    expected = {}
    month = date(2023, 6, 1)
    while month <= date(2026, 4, 1):
        found = truth.monthly_peak(month.year, month.month, now)
        if found is not None:
            expected[month] = found
        month = (month + timedelta(days=32)).replace(day=1)
    assert {p.month: (p.power_kw, p.start, p.end) for p in peaks} == expected
    assert len(expected) == 32  # September 2023 (installation) .. April 2026
    assert client.export_dialects()["meters"][f"{ELEC_EAN}:{ELEC_SERIAL}"]["legacy_peaks"] is (
        mode != "current"
    )


async def test_peaks_of_a_partial_range_and_gas(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    (peak,) = await client.peaks(ELEC_EAN, ELEC_SERIAL, date(2026, 2, 10), date(2026, 2, 12))
    kw, start, end = simulator.truth(ELEC_EAN).monthly_peak(2026, 2, simulator.clock.now())
    assert (peak.month, peak.power_kw, peak.start, peak.end) == (date(2026, 2, 1), kw, start, end)
    assert await client.peaks(GAS_EAN, GAS_SERIAL, date(2026, 1, 1), date(2026, 3, 31)) == []


@pytest.mark.parametrize(
    ("ean", "serial", "expected"),
    [
        (ELEC_EAN, ELEC_SERIAL, MeterProbe(MeterType.ELECTRICITY, Resolution.QUARTER_HOUR, False)),
        (GAS_EAN, GAS_SERIAL, MeterProbe(MeterType.GAS, Resolution.HOUR, False)),
    ],
)
async def test_probe(
    client: FluviusClient, simulator: FluviusSimulator, ean: str, serial: str, expected: Any
) -> None:
    assert await client.probe(ean, serial) == expected
    assert simulator.stats.logins == 1
    data = [r for r in simulator.request_log if r.endpoint == "measurements"]
    assert all(len(set(parse_qs(r.query)["historyFrom"])) == 1 for r in data)
    # One small request per candidate code; on a gas meter the sub-daily codes once more in a
    # gas-day window, once the first answer showed it is gas (the portal refuses sub-daily gas
    # in calendar windows).
    assert len(data) <= (6 if expected.meter_type is MeterType.GAS else 4)


@pytest.mark.parametrize(
    ("dialect", "legacy", "expected"),
    [
        ("daily_only", False, MeterProbe(MeterType.ELECTRICITY, Resolution.DAY, False)),
        ("dialect_b", True, MeterProbe(MeterType.ELECTRICITY, Resolution.QUARTER_HOUR, True)),
    ],
)
async def test_probe_variants(
    client: FluviusClient,
    simulator: FluviusSimulator,
    dialect: str,
    legacy: bool,
    expected: MeterProbe,
) -> None:
    simulator.options.dialect = dialect
    simulator.options.legacy = legacy
    assert await client.probe(ELEC_EAN, ELEC_SERIAL) == expected


async def test_ranges_are_brussels_local_time_on_the_wire(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2025, 6, 30), date(2025, 7, 6))
    await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2026, 1, 5), date(2026, 1, 5))
    queries = [parse_qs(r.query) for r in simulator.request_log if r.endpoint == "measurements"]
    windows = {(q["historyFrom"][0], q["historyUntil"][0]) for q in queries}
    # However the week is split into requests, it starts and ends on local day boundaries.
    assert "2025-06-30T00:00:00.000+02:00" in {first for first, _ in windows}
    assert "2025-07-06T23:59:59.999+02:00" in {until for _, until in windows}
    assert all(first.endswith("T00:00:00.000+02:00") for first, _ in windows if "2025" in first)
    assert ("2026-01-05T00:00:00.000+01:00", "2026-01-05T23:59:59.999+01:00") in windows
    assert all(q["meterSerialNumber"] == [ELEC_SERIAL] for q in queries)
    assert all(q["asServiceProvider"] == ["false"] for q in queries)


async def test_legacy_ranges_are_utc(client: FluviusClient, simulator: FluviusSimulator) -> None:
    simulator.options.legacy = True
    await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2025, 6, 30), date(2025, 7, 6))
    queries = [
        parse_qs(r.query) for r in simulator.request_log if r.endpoint == "legacy_measurements"
    ]
    windows = {(q["historyFrom"][0], q["historyUntil"][0]) for q in queries}
    assert "2025-06-29T22:00:00.000Z" in {first for first, _ in windows}
    assert "2025-07-06T21:59:59.999Z" in {until for _, until in windows}
    # The legacy answer was chosen once: later calls go straight to it.
    current = simulator.stats.requests["measurements"]
    await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2025, 7, 7), date(2025, 7, 7))
    assert simulator.stats.requests["measurements"] == current


@pytest.mark.parametrize("mode", MODES)
async def test_without_a_serial(
    client: FluviusClient, simulator: FluviusSimulator, mode: str
) -> None:
    set_mode(simulator, mode)
    day = date(2026, 3, 29)
    intervals = await client.measurements(ELEC_EAN, "", day, day)
    assert_equals_truth(
        simulator, ELEC_EAN, intervals, days=(day, day), resolution=Resolution.QUARTER_HOUR
    )
    assert (await client.probe(ELEC_EAN, "")).meter_type is MeterType.ELECTRICITY


@pytest.mark.parametrize(
    ("dialect", "code", "days_per_request"), [("live", "1", 1), ("dialect_a", "3", 7)]
)
async def test_imported_dialect_skips_discovery(
    make_client: ClientFactory,
    simulator: FluviusSimulator,
    dialect: str,
    code: str,
    days_per_request: int,
) -> None:
    simulator.options.dialect = dialect
    start, end = RANGES[Resolution.QUARTER_HOUR]
    first = make_client()
    reference = await first.measurements(ELEC_EAN, ELEC_SERIAL, start, end)
    learnt = first.export_dialects()
    simulator.reset_stats()

    second = make_client()
    second.import_dialects(learnt)
    assert await second.measurements(ELEC_EAN, ELEC_SERIAL, start, end) == reference
    data = [r for r in simulator.request_log if r.endpoint == "measurements"]
    assert all(r.status == 200 for r in data)
    assert all(r.refused is None for r in data)
    assert {parse_qs(r.query)["granularity"][0] for r in data} == {code}
    assert len(data) == -(-((end - start).days + 1) // days_per_request)


async def test_recent_meter_history_before_installation(
    make_client: ClientFactory, simulator: FluviusSimulator
) -> None:
    client = make_client(OTHER_EMAIL, OTHER_PASSWORD)
    assert (
        await client.measurements(RECENT_EAN, RECENT_SERIAL, date(2026, 1, 1), date(2026, 1, 31))
        == []
    )
    assert client.capabilities(RECENT_EAN, RECENT_SERIAL)  # judged from recent days
    start, end = date(2026, 3, 1), date(2026, 3, 15)
    intervals = await client.measurements(RECENT_EAN, RECENT_SERIAL, start, end)
    assert_equals_truth(
        simulator,
        RECENT_EAN,
        intervals,
        days=(date(2026, 3, 10), end),
        resolution=Resolution.QUARTER_HOUR,
    )


@pytest.mark.parametrize("dialect", ["dialect_a", "daily_only"])
async def test_meter_without_published_data(
    make_client: ClientFactory, simulator: FluviusSimulator, dialect: str
) -> None:
    simulator.options.dialect = dialect
    ean = make_ean("54144882300055555")
    meter = SimMeter(ean, "1SAG9900000001", "electricity", installed=date(2026, 4, 15))
    simulator.add_account("new@fluvius.test", "Nieuw-2026!", meters=[meter])
    client = make_client("new@fluvius.test", "Nieuw-2026!")
    assert await client.measurements(ean, meter.serial, date(2026, 4, 1), date(2026, 4, 15)) == []
    with pytest.raises(FluviusNoDataError):
        await client.probe(ean, meter.serial)
    assert client.capabilities(ean, meter.serial) == []  # nothing concluded from silence
    codes = client.export_dialects()["meters"][f"{ean}:{meter.serial}"]["current"]
    unsupported = {code for code, known in codes.items() if known["unsupported"]}
    assert unsupported == set(codes) - set(DIALECTS[dialect])  # only the 400s concluded
    assert all(known["resolution"] is None for known in codes.values())


async def test_meter_of_another_account(client: FluviusClient) -> None:
    with pytest.raises(FluviusMeterNotAccessibleError):
        await client.measurements(OTHER_EAN, OTHER_SERIAL, date(2026, 4, 1), date(2026, 4, 1))
    with pytest.raises(FluviusMeterNotAccessibleError):
        await client.peaks(OTHER_EAN, OTHER_SERIAL, date(2026, 4, 1), date(2026, 4, 1))


async def test_failed_probe_leaves_nothing(client: FluviusClient) -> None:
    """A probe of another account's meter, or with a mistyped serial, fails and leaves no
    trace: no dialect to store, no request log. A meter the client knew keeps its own."""
    await client.probe(ELEC_EAN, ELEC_SERIAL)
    for ean, serial in ((OTHER_EAN, OTHER_SERIAL), (GAS_EAN, "1KFM0020571243")):
        with pytest.raises(FluviusMeterNotAccessibleError):
            await client.probe(ean, serial)
        assert client.request_log(ean, serial) == []
    assert list(client.export_dialects()["meters"]) == [f"{ELEC_EAN}:{ELEC_SERIAL}"]
    assert client.request_log(ELEC_EAN, ELEC_SERIAL)


@pytest.mark.parametrize("legacy", [False, True])
async def test_unknown_meter(
    client: FluviusClient, simulator: FluviusSimulator, legacy: bool
) -> None:
    simulator.options.legacy = legacy
    unknown = make_ean("54144882300099999")
    with pytest.raises(FluviusMeterNotAccessibleError):
        await client.measurements(unknown, "1SAG0", date(2026, 4, 1), date(2026, 4, 1))
    with pytest.raises(FluviusMeterNotAccessibleError):
        await client.peaks(unknown, "1SAG0", date(2026, 4, 1), date(2026, 4, 1))
    with pytest.raises(FluviusMeterNotAccessibleError):  # wrong serial: 404, then sn mismatch
        await client.measurements(ELEC_EAN, "1SAG0", date(2026, 4, 1), date(2026, 4, 1))
    meters = client.export_dialects()["meters"]
    assert not any(m["legacy"] for m in meters.values())  # nothing concluded


async def test_future_and_empty_ranges(client: FluviusClient, simulator: FluviusSimulator) -> None:
    assert (
        await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2026, 5, 1), date(2026, 5, 2)) == []
    )
    assert (
        await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2026, 4, 2), date(2026, 4, 1)) == []
    )
    assert simulator.stats.requests["measurements"] == 0
    today = await client.measurements(ELEC_EAN, ELEC_SERIAL, date(2026, 4, 14), date(2026, 6, 1))
    assert_equals_truth(
        simulator,
        ELEC_EAN,
        today,
        days=(date(2026, 4, 14), date(2026, 4, 15)),
        resolution=Resolution.QUARTER_HOUR,
    )
