"""Sensor states compared with the simulator's ground truth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from homeassistant.components.sensor import ATTR_STATE_CLASS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNKNOWN,
    EntityCategory,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import DOMAIN
from tests.entries import coordinator
from tests.simulator import FluviusSimulator
from tests.simulator.demo import (
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    RECENT_EAN,
    RECENT_SERIAL,
    SINGLE_EAN,
    SINGLE_SERIAL,
)

from .conftest import make_entry

ELECTRICITY_KEYS = {
    "consumption_high",
    "consumption_low",
    "injection_high",
    "injection_low",
    "net_usage",
    "monthly_peak",
    "capacity_tariff",
    "newest_data",
    "backfill_progress",
}


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up (with any other entry of the domain) and check it loaded."""
    if entry.state is ConfigEntryState.NOT_LOADED:
        await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


def state_of(hass: HomeAssistant, ean: str, key: str) -> State:
    """The state of one sensor, found by its unique ID."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def newest_day(sim: FluviusSimulator, ean: str) -> date:
    """The newest published day (electricity day or gas day), by the simulator's truth."""
    until = sim.truth(ean).published_until()
    assert until is not None
    local = until.astimezone(BRUSSELS)
    # The day ends at local midnight (electricity) or 06:00 (gas day).
    return (local - timedelta(hours=local.hour, minutes=1)).date()


def assert_electricity_matches(hass: HomeAssistant, sim: FluviusSimulator, ean: str) -> None:
    """Every electricity sensor equals the truth of the newest day and current month."""
    now = dt_util.utcnow()
    day = newest_day(sim, ean)
    truth = sim.truth(ean).daily(day, as_of=now)
    assert truth is not None
    for key in ("consumption_high", "consumption_low", "injection_high", "injection_low"):
        state = state_of(hass, ean, key)
        assert float(state.state) == pytest.approx(truth[key], abs=1e-9), key
        assert state.attributes["day"] == day.isoformat()
    net = state_of(hass, ean, "net_usage")
    expected_net = (
        truth["consumption_high"]
        + truth["consumption_low"]
        - truth["injection_high"]
        - truth["injection_low"]
    )
    assert float(net.state) == pytest.approx(expected_net, abs=1e-6)
    assert net.attributes["day"] == day.isoformat()

    local_now = now.astimezone(BRUSSELS)
    peak_truth = sim.truth(ean).monthly_peak(local_now.year, local_now.month, as_of=now)
    peak = state_of(hass, ean, "monthly_peak")
    assert peak_truth is not None
    kw, start, end = peak_truth
    assert float(peak.state) == pytest.approx(kw, abs=1e-9)
    assert peak.attributes["start"] == start.isoformat()
    assert peak.attributes["end"] == end.isoformat()

    newest = state_of(hass, ean, "newest_data")
    assert dt_util.parse_datetime(newest.state) == sim.truth(ean).published_until()


async def test_electricity_sensors(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Day values, net usage, monthly peak and freshness equal the truth; metadata right."""
    await setup_entry(hass, elec_entry)
    assert_electricity_matches(hass, fluvius, ELEC_EAN)

    entries = [
        e
        for e in er.async_entries_for_config_entry(entity_registry, elec_entry.entry_id)
        if e.domain == "sensor"
    ]
    assert {e.unique_id for e in entries} == {f"{ELEC_EAN}_{k}" for k in ELECTRICITY_KEYS}
    for entity in entries:
        state = hass.states.get(entity.entity_id)
        assert state is not None
        # No long-term statistics from late day values; the peaks are measurements (graphs).
        key = entity.unique_id.removeprefix(f"{ELEC_EAN}_")
        expected = "measurement" if key in ("monthly_peak", "capacity_tariff") else None
        assert state.attributes.get(ATTR_STATE_CLASS) == expected
        assert entity.translation_key == entity.unique_id.removeprefix(f"{ELEC_EAN}_")
        assert entity.has_entity_name
    newest = entity_registry.async_get(
        entity_registry.async_get_entity_id("sensor", DOMAIN, f"{ELEC_EAN}_newest_data")
    )
    assert newest is not None
    assert newest.entity_category is EntityCategory.DIAGNOSTIC
    assert state_of(hass, ELEC_EAN, "monthly_peak").attributes[ATTR_UNIT_OF_MEASUREMENT] == "kW"
    assert state_of(hass, ELEC_EAN, "net_usage").attributes[ATTR_DEVICE_CLASS] == "energy"

    device = device_registry.async_get_device_by_identifier((DOMAIN, ELEC_EAN), elec_entry.entry_id)
    assert device is not None
    assert device.manufacturer == "Fluvius"
    assert device.model == "Electricity meter"
    assert device.serial_number == ELEC_SERIAL
    assert device.configuration_url == "https://mijn.fluvius.be/"
    assert device.name == f"Electricity meter …{ELEC_EAN[-4:]}"


async def test_gas_sensors(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    gas_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Gas m³ and kWh equal the truth of the newest gas day."""
    await setup_entry(hass, gas_entry)
    now = dt_util.utcnow()
    day = newest_day(fluvius, GAS_EAN)
    truth = fluvius.truth(GAS_EAN).daily(day, as_of=now)
    assert truth is not None
    volume = state_of(hass, GAS_EAN, "gas_volume")
    energy = state_of(hass, GAS_EAN, "gas_energy")
    assert float(volume.state) == pytest.approx(truth["gas_volume"], abs=1e-9)
    assert float(energy.state) == pytest.approx(truth["gas_energy"], abs=1e-9)
    assert volume.attributes["day"] == energy.attributes["day"] == day.isoformat()
    assert volume.attributes[ATTR_UNIT_OF_MEASUREMENT] == "m³"
    assert energy.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    assert ATTR_STATE_CLASS not in volume.attributes
    newest = state_of(hass, GAS_EAN, "newest_data")
    assert dt_util.parse_datetime(newest.state) == fluvius.truth(GAS_EAN).published_until()

    entries = er.async_entries_for_config_entry(entity_registry, gas_entry.entry_id)
    # No peak event and no capacity tariff for gas.
    assert {e.unique_id for e in entries} == {
        f"{GAS_EAN}_{k}" for k in ("gas_volume", "gas_energy", "newest_data", "backfill_progress")
    }
    device = device_registry.async_get_device_by_identifier((DOMAIN, GAS_EAN), gas_entry.entry_id)
    assert device is not None
    assert device.model == "Gas meter"
    assert device.serial_number == GAS_SERIAL


async def test_single_tariff_sensors(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """A single-register meter gets single consumption/injection sensors, not high/low."""
    entry = make_entry(hass, SINGLE_EAN, SINGLE_SERIAL)
    await setup_entry(hass, entry)
    day = newest_day(fluvius, SINGLE_EAN)
    truth = fluvius.truth(SINGLE_EAN).daily(day, as_of=dt_util.utcnow())
    assert truth is not None
    for key in ("consumption_single", "injection_single"):
        assert float(state_of(hass, SINGLE_EAN, key).state) == pytest.approx(truth[key])
    net = state_of(hass, SINGLE_EAN, "net_usage")
    assert float(net.state) == pytest.approx(
        truth["consumption_single"] - truth["injection_single"], abs=1e-6
    )
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{SINGLE_EAN}_consumption_high") is None


async def test_values_follow_new_days_and_revisions(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    tick: Callable[[timedelta], Awaitable[None]],
) -> None:
    """Over several days of hourly ticks the sensors keep matching the truth.

    Also across a month change, and the coordinator's recent days end up equal to the
    revised (final) values once Fluvius has finalised them.
    """
    await setup_entry(hass, both_entry)
    for _ in range(4 * 24):
        await tick(timedelta(hours=1))
    assert_electricity_matches(hass, fluvius, ELEC_EAN)
    gas_day = newest_day(fluvius, GAS_EAN)
    gas_truth = fluvius.truth(GAS_EAN).daily(gas_day, as_of=dt_util.utcnow())
    assert gas_truth is not None
    assert float(state_of(hass, GAS_EAN, "gas_volume").state) == pytest.approx(
        gas_truth["gas_volume"]
    )
    # Revisions: every day the coordinator holds equals what the portal serves now.
    now = dt_util.utcnow()
    for ean in (ELEC_EAN, GAS_EAN):
        days = coordinator(both_entry, ean).data.days
        assert len(days) >= 7
        for day, totals in days.items():
            served = fluvius.truth(ean).daily(day, as_of=now)
            assert served is not None
            assert {str(k): v for k, v in totals.values.items()} == pytest.approx(served), day


async def test_unknown_before_month_has_a_peak(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    move_to: Callable[[datetime], Awaitable[None]],
) -> None:
    """On the first of a month, before its first day is published, the peak is unknown."""
    await move_to(datetime(2026, 4, 30, 22, 30, tzinfo=dt_util.UTC))  # 1 May 00:30 Brussels
    await setup_entry(hass, elec_entry)
    assert state_of(hass, ELEC_EAN, "monthly_peak").state == STATE_UNKNOWN
    assert coordinator(elec_entry).data.peak_for(date(2026, 4, 1)) is not None
    assert MeterType.ELECTRICITY is coordinator(elec_entry).meter_type


async def test_meter_without_data_yet(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    move_to: Callable[[datetime], Awaitable[None]],
) -> None:
    """A meter installed today has no published day: sensors are unknown, not wrong."""
    await move_to(datetime(2026, 3, 10, 12, 0, tzinfo=BRUSSELS))
    entry = make_entry(hass, RECENT_EAN, RECENT_SERIAL, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    await setup_entry(hass, entry)
    assert coordinator(entry).data.latest_day is None
    for key in ("consumption_high", "net_usage", "monthly_peak", "newest_data"):
        assert state_of(hass, RECENT_EAN, key).state == STATE_UNKNOWN
    assert "day" not in state_of(hass, RECENT_EAN, "net_usage").attributes
