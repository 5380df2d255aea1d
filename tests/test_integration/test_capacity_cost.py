"""The capacity cost sensor and the long-term statistics of the peak sensors, compared
with the simulator's ground truth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import CONF_CAPACITY_PERIODS, CONF_CAPACITY_PRICE, DOMAIN
from tests.entries import ELEC, GAS, account_entry, coordinator
from tests.simulator import FluviusSimulator
from tests.simulator.data import SimMeter
from tests.simulator.demo import ELEC_EAN, GAS_EAN, INSTALLED, make_ean

from .conftest import TEST_HISTORY_DAYS

# A frugal household with much solar: some months peak under the 2.5 kW floor.
LOW_EMAIL = "zuinig@fluvius.test"
LOW_PASSWORD = "Zuinig-2026!"
LOW_EAN = make_ean("54144882300055555")
LOW_SERIAL = "1SAG1100055555"

# A yearly capacity price per kW (Fluvius Antwerpen 2026 is about this, incl. VAT).
PRICE = 53.7894
FLOOR_KW = 2.5  # the Flemish minimum per month, stated here independently of the code


async def setup_all(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set the domain up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def entity_id_of(hass: HomeAssistant, ean: str, key: str) -> str | None:
    return er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")


def state_of(hass: HomeAssistant, ean: str, key: str) -> State:
    entity_id = entity_id_of(hass, ean, key)
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def expected_cost(sim: FluviusSimulator, ean: str, price: float) -> tuple[float, dict[str, float]]:
    """(cost, floored peak per month) by the truth: this month and the 11 before, each
    month's peak floored at 2.5 kW, averaged over the months that have a peak."""
    now = dt_util.utcnow()
    month = now.astimezone(BRUSSELS).date().replace(day=1)
    counted: dict[str, float] = {}
    for _ in range(12):
        if (peak := sim.truth(ean).monthly_peak(month.year, month.month, as_of=now)) is not None:
            counted[f"{month:%Y-%m}"] = max(peak[0], FLOOR_KW)
        month = (month - timedelta(days=1)).replace(day=1)
    assert counted
    average = sum(counted.values()) / len(counted)
    return average * price / 12, counted


def assert_cost_matches(
    hass: HomeAssistant, sim: FluviusSimulator, ean: str = ELEC_EAN, price: float = PRICE
) -> None:
    cost, counted = expected_cost(sim, ean, price)
    state = state_of(hass, ean, "capacity_cost")
    # The bill rounds to cents; the code rounds the average to 3 decimals first.
    assert float(state.state) == pytest.approx(cost, abs=0.006)
    assert state.attributes["months"] == pytest.approx(counted)
    assert state.attributes["average_kw"] == pytest.approx(
        sum(counted.values()) / len(counted), abs=5e-4
    )
    assert state.attributes["price_per_kw_year"] == price
    # The yearly projection at this average, to the cent (the average is rounded to 3
    # decimals first: 0.0005 kW × the price at most).
    yearly = state.attributes["cost_per_year"]
    assert yearly == round(yearly, 2)
    assert yearly == pytest.approx(cost * 12, abs=0.0005 * price + 0.005)


async def test_capacity_cost_equals_the_truth(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    move_to: Callable[[datetime], Awaitable[None]],
) -> None:
    """Average of the floored peaks of the last 12 months × price ÷ 12, in the instance's
    currency; for the electricity meter only, and again after a month change."""
    hass.config.currency = "EUR"
    entry = account_entry([ELEC, GAS], TEST_HISTORY_DAYS, prices={CONF_CAPACITY_PRICE: PRICE})
    await setup_all(hass, entry)
    state = state_of(hass, ELEC_EAN, "capacity_cost")
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "EUR"
    assert state.attributes[ATTR_DEVICE_CLASS] == "monetary"
    assert ATTR_STATE_CLASS not in state.attributes
    assert state.attributes["friendly_name"] == (
        f"Electricity meter …{ELEC_EAN[-4:]} Capacity cost per month"
    )
    assert_cost_matches(hass, fluvius)
    # The demo meter has a year of data: 12 months counted, some of them under the floor
    # or not is the truth's business, but the floor must be applied where it applies.
    assert len(expected_cost(fluvius, ELEC_EAN, PRICE)[1]) == 12
    # Gas has no capacity tariff, whatever its settings hold.
    assert entity_id_of(hass, GAS_EAN, "capacity_cost") is None

    # Into the next month: the window moves, the cost follows.
    await move_to(datetime(2026, 5, 3, 9, 0, tzinfo=BRUSSELS))
    assert coordinator(entry, ELEC_EAN).data.peak_for(date(2026, 5, 1)) is not None
    assert_cost_matches(hass, fluvius)


async def test_each_month_uses_the_capacity_price_in_force_then(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    move_to: Callable[[datetime], Awaitable[None]],
) -> None:
    """The capacity price changes every 1 January: December's cost uses the old yearly
    price, January's the new one (a price per month, from the meter's capacity periods)."""
    hass.config.currency = "EUR"
    await move_to(datetime(2026, 12, 30, 9, 0, tzinfo=BRUSSELS))
    periods = [
        {"from": None, "capacity_price": PRICE},
        {"from": "2027-01-01", "capacity_price": 57.1234},
    ]
    entry = account_entry([ELEC], TEST_HISTORY_DAYS, prices={CONF_CAPACITY_PERIODS: periods})
    await setup_all(hass, entry)
    assert_cost_matches(hass, fluvius, price=PRICE)
    await move_to(datetime(2027, 1, 2, 9, 0, tzinfo=BRUSSELS))
    assert coordinator(entry, ELEC_EAN).data.peak_for(date(2027, 1, 1)) is not None
    assert_cost_matches(hass, fluvius, price=57.1234)


async def test_months_under_the_floor_count_as_the_floor(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """A month whose peak stayed under 2.5 kW counts as 2.5 kW."""
    fluvius.add_account(
        LOW_EMAIL,
        LOW_PASSWORD,
        meters=[
            SimMeter(
                LOW_EAN, LOW_SERIAL, "electricity", INSTALLED, base_load_kw=0.05, solar_kwp=8.0
            )
        ],
    )
    entry = account_entry(
        [(LOW_EAN, LOW_SERIAL, MeterType.ELECTRICITY)],
        TEST_HISTORY_DAYS,
        email=LOW_EMAIL,
        password=LOW_PASSWORD,
        prices={CONF_CAPACITY_PRICE: PRICE},
    )
    await setup_all(hass, entry)
    now = dt_util.utcnow()
    month = now.astimezone(BRUSSELS).date().replace(day=1)
    raw: list[float] = []
    for _ in range(12):
        peak = fluvius.truth(LOW_EAN).monthly_peak(month.year, month.month, as_of=now)
        assert peak is not None
        raw.append(peak[0])
        month = (month - timedelta(days=1)).replace(day=1)
    assert min(raw) < FLOOR_KW < max(raw)  # the premise: the floor matters here
    assert_cost_matches(hass, fluvius, LOW_EAN)


async def test_no_capacity_cost_without_a_price(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """Without a capacity price in the meter's settings there is no capacity cost sensor."""
    await hass.config_entries.async_setup(elec_entry.entry_id)
    await hass.async_block_till_done()
    assert entity_id_of(hass, ELEC_EAN, "monthly_peak") is not None
    assert entity_id_of(hass, ELEC_EAN, "capacity_cost") is None


async def test_capacity_cost_unavailable_before_the_first_data(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    tick: Callable[[timedelta], Awaitable[None]],
) -> None:
    """A meter out of reach at setup has the sensor (its settings give it a price),
    unavailable like its other sensors until its data arrives."""
    fluvius.faults.inject("token", "reset")
    entry = account_entry([ELEC, GAS], TEST_HISTORY_DAYS, prices={CONF_CAPACITY_PRICE: PRICE})
    await setup_all(hass, entry)
    assert coordinator(entry, ELEC_EAN).data is None
    assert state_of(hass, ELEC_EAN, "capacity_cost").state == STATE_UNAVAILABLE
    await tick(timedelta(minutes=15))
    await tick(timedelta(hours=1))
    assert_cost_matches(hass, fluvius)


async def test_peak_sensors_have_long_term_statistics(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """The monthly peak and the average monthly peak are measurements in kW: the recorder
    compiles their statistics (mean, min, max), so they can be graphed over months."""
    await hass.config_entries.async_setup(elec_entry.entry_id)
    await hass.async_block_till_done()
    now = dt_util.utcnow()
    local = now.astimezone(BRUSSELS)
    peak_truth = fluvius.truth(ELEC_EAN).monthly_peak(local.year, local.month, as_of=now)
    assert peak_truth is not None
    _, counted = expected_cost(fluvius, ELEC_EAN, PRICE)
    truth = {
        "monthly_peak": peak_truth[0],
        "capacity_tariff": sum(counted.values()) / len(counted),
    }
    ids = {key: entity_id_of(hass, ELEC_EAN, key) for key in truth}
    for entity_id in ids.values():
        assert entity_id is not None
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.MEASUREMENT
        assert state.attributes[ATTR_DEVICE_CLASS] == "power"
        assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kW"

    # Compile the 5-minute statistics of the period the states were written in.
    period = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=period)
    await async_wait_recording_done(hass)
    wanted = {entity_id for entity_id in ids.values() if entity_id is not None}
    rows: dict[str, list[dict[str, Any]]] = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        period,
        None,
        wanted,
        "5minute",
        None,
        {"mean", "max"},
    )
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids=wanted)
    )
    for key, entity_id in ids.items():
        assert entity_id is not None
        assert entity_id in rows, key
        assert rows[entity_id][0]["max"] == pytest.approx(truth[key], abs=5e-4), key
        assert metadata[entity_id][1]["unit_of_measurement"] == "kW"
