"""The statistics importer against the real recorder (SQLite), with hand-made intervals.

Expected values are computed here from the intervals themselves, by hour, independently of
the importer's code path; simulator-driven tests live in test_energy.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.api.models import (
    Interval,
    MeterType,
    Reading,
    Register,
    ValueStatus,
)
from custom_components.fluvius.statistics import FluviusStatistics, statistic_id

EAN = "541448820000000011"
START = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # Brussels midnight before the spring DST day
QH = timedelta(minutes=15)
ELEC = (
    Register.CONSUMPTION_HIGH,
    Register.CONSUMPTION_LOW,
    Register.INJECTION_HIGH,
    Register.INJECTION_LOW,
)


def _interval(start: datetime, length: timedelta, values: dict[Register, float]) -> Interval:
    return Interval(
        start=start,
        end=start + length,
        readings={r: Reading(v, ValueStatus.MEASURED, 2) for r, v in values.items()},
    )


def _quarter_hours(start: datetime, count: int, scale: float = 1.0) -> list[Interval]:
    """Distinct, recognisable values per quarter-hour and register."""
    return [
        _interval(
            start + i * QH,
            QH,
            {reg: round(scale * (0.001 * (i % 97) + 0.01 * n), 3) for n, reg in enumerate(ELEC)},
        )
        for i in range(count)
    ]


def _expected_hourly(intervals: list[Interval], register: Register) -> dict[float, float]:
    out: dict[float, float] = {}
    for iv in intervals:
        hour = iv.start.replace(minute=0).timestamp()
        out[hour] = out.get(hour, 0.0) + (iv.value(register) or 0.0)
    return out


async def _rows(hass: HomeAssistant, register: Register) -> list[dict]:
    await async_wait_recording_done(hass)
    stat_id = statistic_id(EAN, register)
    found = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        START - timedelta(days=30),
        None,
        {stat_id},
        "hour",
        None,
        {"state", "sum", "change"},
    )
    return found.get(stat_id, [])


async def _assert_matches(hass: HomeAssistant, intervals: list[Interval]) -> None:
    for register in ELEC:
        rows = await _rows(hass, register)
        expected = _expected_hourly(intervals, register)
        assert [row["start"] for row in rows] == sorted(expected)
        running = 0.0
        for row in rows:
            running += expected[row["start"]]
            assert abs(row["change"] - expected[row["start"]]) < 1e-6
            assert row["change"] >= 0
            assert abs(row["sum"] - running) < 1e-6


async def test_dst_day_books_23_hours(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """The spring DST day (92 quarter-hours) becomes 23 distinct UTC hours."""
    intervals = _quarter_hours(START, 92)
    stats = FluviusStatistics(hass, EAN, MeterType.ELECTRICITY, "test")
    result = await stats.async_import(intervals)
    assert result.first_hour == START
    assert result.last_hour == START + timedelta(hours=22)
    await _assert_matches(hass, intervals)
    assert len(await _rows(hass, Register.CONSUMPTION_HIGH)) == 23


async def test_metadata_and_ids(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """IDs and metadata are exactly what the Energy dashboard and other tools expect."""
    stats = FluviusStatistics(hass, EAN, MeterType.ELECTRICITY, "test")
    await stats.async_import(_quarter_hours(START, 8))
    await async_wait_recording_done(hass)
    listed = await hass.async_add_executor_job(list_statistic_ids, hass)
    by_id = {item["statistic_id"]: item for item in listed}
    for register in ELEC:
        item = by_id[f"fluvius:{EAN}_{register.value}"]
        assert item["source"] == "fluvius"
        assert item["has_sum"] is True
        assert item["mean_type"] == 0
        assert item["unit_class"] == "energy"
        assert item["statistics_unit_of_measurement"] == "kWh"
    # A dual-tariff meter never gets the single-register statistics.
    assert f"fluvius:{EAN}_consumption_single" not in by_id


async def test_revision_rewrites_later_sums(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """Re-importing an earlier day with new values keeps every later sum consistent."""
    day1 = _quarter_hours(START, 92)
    day2 = _quarter_hours(START + 92 * QH, 96)
    stats = FluviusStatistics(hass, EAN, MeterType.ELECTRICITY, "test")
    await stats.async_import(day1 + day2)
    revised = _quarter_hours(START, 92, scale=1.7)
    await stats.async_import(revised)
    await _assert_matches(hass, revised + day2)


async def test_out_of_order_equals_in_order(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """Importing the newer day first ends identical to importing in order."""
    day1 = _quarter_hours(START, 92)
    day2 = _quarter_hours(START + 92 * QH, 96)
    stats = FluviusStatistics(hass, EAN, MeterType.ELECTRICITY, "test")
    await stats.async_import(day2)
    await stats.async_import(day1)
    await _assert_matches(hass, day1 + day2)


async def test_gap_in_batch_keeps_stored_hours(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """A batch with a missing day leaves that day's stored change intact and re-sums it."""
    days = [_quarter_hours(START + timedelta(days=d, hours=-1 if d else 0), 96) for d in range(3)]
    days[0] = _quarter_hours(START, 92)
    stats = FluviusStatistics(hass, EAN, MeterType.ELECTRICITY, "test")
    await stats.async_import(days[0] + days[1] + days[2])
    revised0 = _quarter_hours(START, 92, scale=2.0)
    revised2 = _quarter_hours(days[2][0].start, 96, scale=0.5)
    await stats.async_import(revised0 + revised2)
    await _assert_matches(hass, revised0 + days[1] + revised2)


async def test_daily_total_replaced_by_finer(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """A daily total lands in the day's first hour; quarter-hours later replace it exactly."""
    day = START + timedelta(hours=23)  # 2026-03-30 00:00 Brussels (summer time)
    fine = _quarter_hours(day, 96)
    total = {reg: sum(iv.value(reg) or 0.0 for iv in fine) for reg in ELEC}
    stats = FluviusStatistics(hass, EAN, MeterType.ELECTRICITY, "test")
    await stats.async_import([_interval(day, timedelta(days=1), total)])
    rows = await _rows(hass, Register.CONSUMPTION_LOW)
    assert len(rows) == 24
    assert abs(rows[0]["change"] - total[Register.CONSUMPTION_LOW]) < 1e-6
    assert all(row["change"] == 0 for row in rows[1:])
    assert abs(rows[-1]["sum"] - total[Register.CONSUMPTION_LOW]) < 1e-6
    await stats.async_import(fine)
    await _assert_matches(hass, fine)


async def test_gas_units(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """Gas gets a volume statistic in m³ and an energy statistic in kWh."""
    gas = [
        _interval(
            START + timedelta(hours=h),
            timedelta(hours=1),
            {Register.GAS_VOLUME: 0.1 * h, Register.GAS_ENERGY: 1.1 * h},
        )
        for h in range(24)
    ]
    stats = FluviusStatistics(hass, EAN, MeterType.GAS, "gas")
    await stats.async_import(gas)
    await async_wait_recording_done(hass)
    listed = {
        item["statistic_id"]: item
        for item in await hass.async_add_executor_job(list_statistic_ids, hass)
    }
    volume = listed[f"fluvius:{EAN}_gas_volume"]
    assert (volume["unit_class"], volume["statistics_unit_of_measurement"]) == ("volume", "m³")
    energy = listed[f"fluvius:{EAN}_gas_energy"]
    assert (energy["unit_class"], energy["statistics_unit_of_measurement"]) == ("energy", "kWh")
    assert await stats.async_last_hour() == START + timedelta(hours=23)


async def test_clear_removes_everything(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """Removing the entry clears its statistics."""
    stats = FluviusStatistics(hass, EAN, MeterType.ELECTRICITY, "test")
    await stats.async_import(_quarter_hours(START, 8))
    await async_wait_recording_done(hass)
    stats.async_clear()
    await async_wait_recording_done(hass)
    listed = await hass.async_add_executor_job(list_statistic_ids, hass)
    assert not [item for item in listed if item["statistic_id"].startswith(f"fluvius:{EAN}")]
    assert await stats.async_last_hour() is None
