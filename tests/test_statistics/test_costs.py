"""Cost statistics end to end: real recorder, simulator ground truth, real price history.

Every expected cost is computed here from the simulator's quarter-hours (`sim.truth`) and
the prices this test chose, never from the integration's output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
import logging
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_purge_done,
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.const import DOMAIN
from tests.entries import ELEC, GAS, account_entry, coordinator, subentry_id
from tests.recorded import statistics_rows
from tests.restartable import HomeAssistantRuns
from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN, GAS_EAN

SPRING = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)  # 60 days back: 2026-03-29 (spring DST)
AUTUMN = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)  # 60 days back: 2025-10-26 (autumn DST)
TOLERANCE = 1e-6
FIXED = {
    "price_consumption_high": 0.3123,
    "price_consumption_low": 0.2456,
    "price_injection_high": 0.0521,
    "price_injection_low": 0.0387,
}
OFFTAKE = ("consumption_high", "consumption_low")
INJECTION = ("injection_high", "injection_low")
PRICE_ENTITY = "sensor.day_ahead_price_be"
QUARTER = timedelta(minutes=15)

Runs = Callable[[list[MockConfigEntry]], HomeAssistantRuns]


def cost_id(ean: str, register: str) -> str:
    kind = "compensation" if register.startswith("injection") else "cost"
    return f"{DOMAIN}:{ean}_{register}_{kind}"


async def cost_rows(
    hass: HomeAssistant, ean: str, registers: tuple[str, ...]
) -> dict[str, list[dict[str, Any]]]:
    """The stored hourly cost rows of each register."""
    suffixes = {cost_id(ean, r).removeprefix(f"{DOMAIN}:{ean}_"): r for r in registers}
    rows = await statistics_rows(hass, ean, tuple(suffixes))
    return {register: rows[suffix] for suffix, register in suffixes.items()}


def assert_costs(
    rows: dict[str, list[dict[str, Any]]], expected: dict[str, dict[datetime, float]]
) -> None:
    """Every expected hour exactly once, its cost to 1e-6 and a running sum from zero."""
    for register, series in rows.items():
        hours = [datetime.fromtimestamp(row["start"], UTC) for row in series]
        assert len(hours) == len(set(hours)), f"{register}: an hour is doubled"
        want = expected[register]
        missing = sorted(set(want) - set(hours))
        extra = sorted(set(hours) - set(want))
        assert not missing, f"{register}: {len(missing)} hours missing, e.g. {missing[:3]}"
        assert not extra, f"{register}: {len(extra)} unexpected hours, e.g. {extra[:3]}"
        total = 0.0
        for hour, row in zip(hours, series, strict=True):
            total += want[hour]
            assert abs(row["state"] - want[hour]) < TOLERANCE, (register, hour, row, want[hour])
            assert abs(row["sum"] - total) < TOLERANCE, (register, hour)


def expected_costs(
    quarters: dict[datetime, dict[str, float]],
    registers: tuple[str, ...],
    price: Callable[[datetime, str], float | None],
) -> dict[str, dict[datetime, float]]:
    """Σ (quarter-hour energy × that quarter-hour's price) per register and UTC hour."""
    out: dict[str, dict[datetime, float]] = {register: {} for register in registers}
    for start, values in quarters.items():
        hour = start.replace(minute=0)
        for register in registers:
            unit_price = price(start, register)
            if unit_price is None:
                continue
            row = out[register]
            row[hour] = row.get(hour, 0.0) + values.get(register, 0.0) * unit_price
    return out


def _local_day(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live", "random:42"], indirect=True)
@pytest.mark.parametrize("now", [SPRING, AUTUMN], ids=["spring_dst", "autumn_dst"])
async def test_fixed_prices_equal_truth_then_recost_once(
    now: datetime,
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """60 days over a DST change and four days of revisions: every hourly cost row is
    Σ quarter-hour energy × price. New prices then re-cost the history exactly once."""
    caplog.set_level(logging.INFO)
    freezer.move_to(now)
    truth = fluvius.truth(ELEC_EAN)
    entry = account_entry([ELEC], 60, prices={"price_source": "fixed", **FIXED})
    ha = runs([entry])
    registers = (*OFFTAKE, *INJECTION)
    start = truth.day_bounds(_local_day(now) - timedelta(days=60))[0]
    async with ha.run() as hass:
        for _ in range(4 * 24):  # revisions of the newest days land
            await ha.tick(timedelta(hours=1))
        moment = datetime.now(UTC)
        quarters = truth.intervals(start, truth.published_until(moment), as_of=moment)
        assert len(quarters) > 59 * 96
        served_first = truth.hourly(start, truth.published_until(now), as_of=now)
        final = truth.hourly(start, truth.published_until(now))
        assert any(served_first[h] != final[h] for h in served_first), "no revision happened"
        expected = expected_costs(quarters, registers, lambda _q, r: FIXED[f"price_{r}"])
        assert_costs(await cost_rows(hass, ELEC_EAN, registers), expected)

        # New prices: the history is re-costed once, nothing doubled.
        new = {**FIXED, "price_consumption_high": 0.4, "price_injection_low": 0.01}
        own = hass.config_entries.async_get_entry(entry.entry_id)
        assert own is not None
        subentry = own.subentries[subentry_id(ELEC_EAN)]
        hass.config_entries.async_update_subentry(own, subentry, data={**subentry.data, **new})
        await ha.settle(hass)
        expected = expected_costs(quarters, registers, lambda _q, r: new[f"price_{r}"])
        assert_costs(await cost_rows(hass, ELEC_EAN, registers), expected)
    # A restart (with the entry as now saved) does not re-cost again.
    saved = account_entry(
        [ELEC], 60, entry_id=entry.entry_id, prices={"price_source": "fixed", **new}
    )
    async with runs([saved]).run() as hass:
        assert_costs(await cost_rows(hass, ELEC_EAN, registers), expected)
    assert caplog.text.count("re-costing") == 1


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_gas_fixed_price_per_m3(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Gas priced per m³: one cost statistic on the volume, hour by hour; gone with the
    meter."""
    freezer.move_to(SPRING)
    truth = fluvius.truth(GAS_EAN)
    entry = account_entry([GAS], 20, prices={"price_source": "fixed", "price_gas": 1.234})
    async with runs([entry]).run() as hass:
        start = truth.day_bounds(_local_day(SPRING) - timedelta(days=20))[0]
        quarters = truth.intervals(start, truth.published_until(SPRING), as_of=SPRING)
        expected = expected_costs(quarters, ("gas_volume",), lambda _q, _r: 1.234)
        assert_costs(await cost_rows(hass, GAS_EAN, ("gas_volume",)), expected)
        assert not (await cost_rows(hass, GAS_EAN, ("gas_energy",)))["gas_energy"]
        key = f"{DOMAIN}.{subentry_id(GAS_EAN)}.quarter_hours"
        assert key in hass_storage
        # Deleting the meter takes its cost statistics and kept quarter-hours along.
        own = hass.config_entries.async_entries(DOMAIN)[0]
        assert hass.config_entries.async_remove_subentry(own, subentry_id(GAS_EAN))
        await hass.async_block_till_done()
        assert not (await cost_rows(hass, GAS_EAN, ("gas_volume",)))["gas_volume"]
        assert key not in hass_storage


def market_price(quarter: datetime) -> float:
    """A made-up quarter-hour market price in €/MWh, negative some afternoons."""
    index = int(quarter.timestamp() // 900)
    return round(95 + 80 * math.sin(index / 7.3) + 13 * math.cos(index / 2.1), 2)


def _quarters(start: datetime, end: datetime) -> Iterator[datetime]:
    moment = start
    while moment < end:
        yield moment
        moment += QUARTER


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_price_entity_with_formula_and_purged_history(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A price sensor in €/MWh changing every quarter-hour (a few seconds late, as Nord Pool
    does) is recorded by the recorder over 12 simulated days; costs are Σ energy × (price ×
    a + b) per quarter-hour, offtake and injection with their own formula. With the older
    state history purged, the hourly mean statistics are used, and diagnostics say so."""
    days = 12
    now = SPRING
    first = now - timedelta(days=days + 1)
    freezer.move_to(first)
    truth = fluvius.truth(ELEC_EAN)
    formulas = {"offtake": (1.12, 0.0213), "injection": (0.87, -0.0115)}
    prices = {
        "price_source": "entity",
        "price_entity": PRICE_ENTITY,
        "offtake_factor": formulas["offtake"][0],
        "offtake_offset": formulas["offtake"][1],
        "injection_factor": formulas["injection"][0],
        "injection_offset": formulas["injection"][1],
    }
    ha = runs([account_entry([ELEC], days - 2, prices=prices)])
    attrs = {"unit_of_measurement": "EUR/MWh", "state_class": "measurement"}
    async with ha.run(setup=False) as hass:
        for quarter in _quarters(first, now):
            freezer.move_to(quarter + timedelta(seconds=3))
            hass.states.async_set(PRICE_ENTITY, str(market_price(quarter)), attrs)
            if quarter.minute == 45:
                await hass.async_block_till_done()
        await async_wait_recording_done(hass)
        # Home Assistant's own statistics of the sensor (5-minute, then hourly means), as the
        # recorder compiles them every 5 minutes: the fallback once the states are purged.
        assert await async_setup_component(hass, "sensor", {})
        period = first + timedelta(minutes=5)
        while period < now - timedelta(minutes=5):
            do_adhoc_statistics(hass, start=period)
            period += timedelta(minutes=5)
            if period.minute == 0:
                await async_wait_recording_done(hass)
        await async_wait_recording_done(hass)
    freezer.move_to(now)

    def price(quarter: datetime, register: str) -> float:
        factor, offset = formulas["injection" if register in INJECTION else "offtake"]
        return market_price(quarter) / 1000 * factor + offset

    registers = (*OFFTAKE, *INJECTION)
    start = truth.day_bounds(_local_day(now) - timedelta(days=days - 2))[0]
    quarters = truth.intervals(start, truth.published_until(now), as_of=now)
    async with ha.run() as hass:
        assert_costs(
            await cost_rows(hass, ELEC_EAN, registers), expected_costs(quarters, registers, price)
        )
        report = coordinator(hass.config_entries.async_entries(DOMAIN)[0]).statistics.costs.report
        assert report.from_states == len(quarters)
        assert report.from_statistics == 0
        assert report.missing_quarter_hours == 0

    # Purge the state history older than 5 days (the statistics stay).
    purged_before = now - timedelta(days=5)
    async with ha.run(setup=False) as hass:
        await hass.services.async_call(
            "recorder", "purge", {"keep_days": 5, "repack": False}, blocking=True
        )
        await async_wait_purge_done(hass)
        await async_wait_recording_done(hass)

    def compiled_mean(hour: datetime) -> float:
        """The hour's time-weighted mean state, as the recorder compiles it: each quarter's
        price holds from 3 s into its quarter-hour to 3 s into the next."""
        lag = 3
        total = lag * market_price(hour - QUARTER)
        for index, quarter in enumerate(_quarters(hour, hour + timedelta(hours=1))):
            total += (900 - lag if index == 3 else 900) * market_price(quarter)
        return total / 3600

    def hourly_price(quarter: datetime, register: str) -> float:
        if quarter + timedelta(minutes=7, seconds=30) >= purged_before + timedelta(seconds=3):
            return price(quarter, register)
        factor, offset = formulas["injection" if register in INJECTION else "offtake"]
        return compiled_mean(quarter.replace(minute=0)) / 1000 * factor + offset

    # A new formula re-costs the history: the purged part from the hourly means.
    formulas["offtake"] = (formulas["offtake"][0], 0.0301)
    async with ha.run() as hass:
        own = hass.config_entries.async_entries(DOMAIN)[0]
        subentry = own.subentries[subentry_id(ELEC_EAN)]
        hass.config_entries.async_update_subentry(
            own, subentry, data={**subentry.data, "offtake_offset": 0.0301}
        )
        await ha.settle(hass)
        assert_costs(
            await cost_rows(hass, ELEC_EAN, registers),
            expected_costs(quarters, registers, hourly_price),
        )
        report = coordinator(hass.config_entries.async_entries(DOMAIN)[0]).statistics.costs.report
        assert report.from_statistics > 0
        assert report.recosted is not None
        assert "its hourly mean statistics price those hours" in caplog.text


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
@pytest.mark.parametrize("unit", ["c€/kWh", "ct/kWh", "USD/kWh"])
async def test_price_entity_in_cents_or_another_currency(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory, unit: str
) -> None:
    """A price sensor in euro cents per kWh (c€/kWh or ct/kWh), recorded every quarter-hour:
    each hourly cost row is Σ quarter-hour energy × price / 100 (the settings form's parser
    is the costing's). In another currency than Home Assistant's (EUR) it prices nothing:
    no cost row, every quarter-hour counted as missing."""
    days = 4
    now = SPRING
    first = now - timedelta(days=days + 1)
    freezer.move_to(first)
    truth = fluvius.truth(ELEC_EAN)
    prices = {"price_source": "entity", "price_entity": PRICE_ENTITY}
    ha = runs([account_entry([ELEC], days - 2, prices=prices)])

    def cents(quarter: datetime) -> float:
        return round(market_price(quarter) / 10, 4)  # €/MWh → c€/kWh, e.g. 9.5

    async with ha.run(setup=False) as hass:
        for quarter in _quarters(first, now):
            freezer.move_to(quarter + timedelta(seconds=3))
            hass.states.async_set(PRICE_ENTITY, str(cents(quarter)), {"unit_of_measurement": unit})
            if quarter.minute == 45:
                await hass.async_block_till_done()
        await async_wait_recording_done(hass)
    freezer.move_to(now)
    registers = (*OFFTAKE, *INJECTION)
    start = truth.day_bounds(_local_day(now) - timedelta(days=days - 2))[0]
    quarters = truth.intervals(start, truth.published_until(now), as_of=now)
    async with ha.run() as hass:
        rows = await cost_rows(hass, ELEC_EAN, registers)
        report = coordinator(hass.config_entries.async_entries(DOMAIN)[0]).statistics.costs.report
        if unit.startswith("USD"):
            assert all(not series for series in rows.values())
            assert report.missing_quarter_hours == len(quarters)
            return
        expected = expected_costs(quarters, registers, lambda q, _r: cents(q) / 100)
        assert any(expected[register] for register in registers)
        assert_costs(rows, expected)
        assert report.from_states == len(quarters)
        assert report.missing_quarter_hours == 0


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_hours_without_any_price_get_no_cost_and_are_reported(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A price entity with neither state history nor statistics: no cost row at all (never
    a zero that would look like free energy), a warning, and the hours in diagnostics."""
    freezer.move_to(SPRING)
    truth = fluvius.truth(ELEC_EAN)
    prices = {"price_source": "entity", "price_entity": "sensor.never_recorded_price"}
    async with runs([account_entry([ELEC], 3, prices=prices)]).run() as hass:
        registers = (*OFFTAKE, *INJECTION)
        assert all(not rows for rows in (await cost_rows(hass, ELEC_EAN, registers)).values())
        start = truth.day_bounds(_local_day(SPRING) - timedelta(days=3))[0]
        quarters = truth.intervals(start, truth.published_until(SPRING), as_of=SPRING)
        report = coordinator(hass.config_entries.async_entries(DOMAIN)[0]).statistics.costs.report
        assert report.missing_quarter_hours == len(quarters)
        newest = max(quarters).replace(minute=0)
        assert report.missing_hours[-1] == newest.isoformat()
        # One warning, counting every unpriced quarter-hour of the import (not a first batch).
        assert f"{len(quarters)} quarter-hours from" in caplog.text
        assert caplog.text.count("have no price") == 1


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_gas_priced_by_an_entity_per_m3_with_formula(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """A gas price sensor in EUR/m³ that changes every hour: each hour's volume × (that
    hour's price × factor + offset); the energy register gets no cost."""
    days = 6
    first = SPRING - timedelta(days=days + 2)
    freezer.move_to(first)
    truth = fluvius.truth(GAS_EAN)
    entity = "sensor.gas_price"
    prices = {
        "price_source": "entity",
        "price_entity": entity,
        "gas_price_unit": "m³",
        "offtake_factor": 1.06,
        "offtake_offset": 0.05,
    }

    def gas_price(hour: datetime) -> float:
        return round(0.9 + 0.2 * math.sin(hour.timestamp() / 7200), 4)

    ha = runs([account_entry([GAS], days - 2, prices=prices)])
    async with ha.run(setup=False) as hass:
        hour = first
        while hour < SPRING:
            freezer.move_to(hour + timedelta(seconds=3))
            hass.states.async_set(entity, str(gas_price(hour)), {"unit_of_measurement": "EUR/m³"})
            await hass.async_block_till_done()
            hour += timedelta(hours=1)
        await async_wait_recording_done(hass)
    freezer.move_to(SPRING)
    async with ha.run() as hass:
        start = truth.day_bounds(_local_day(SPRING) - timedelta(days=days - 2))[0]
        hours = truth.intervals(start, truth.published_until(SPRING), as_of=SPRING)
        expected = expected_costs(hours, ("gas_volume",), lambda h, _r: gas_price(h) * 1.06 + 0.05)
        assert_costs(await cost_rows(hass, GAS_EAN, ("gas_volume",)), expected)
        assert not (await cost_rows(hass, GAS_EAN, ("gas_energy",)))["gas_energy"]
