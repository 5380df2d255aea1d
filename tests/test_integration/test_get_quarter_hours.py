"""The action fluvius.get_quarter_hours, against the simulator's ground truth.

Every expected value comes from `fluvius.truth(ean)` (what the portal serves now) and the
prices the test chose, never from what the integration produced.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.security import mask_ean
from custom_components.fluvius.const import DOMAIN
from tests.entries import ELEC, account_entry, coordinator
from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN, GAS_EAN

from .conftest import TEST_HISTORY_DAYS

ACTION = "get_quarter_hours"
ELEC_REGISTERS = ("consumption_high", "consumption_low", "injection_high", "injection_low")
GAS_REGISTERS = ("gas_volume", "gas_energy")
FIXED = {
    "price_consumption_high": 0.3123,
    "price_consumption_low": 0.2456,
    "price_injection_high": 0.0521,
    "price_injection_low": 0.0387,
}
OFFTAKE = ("consumption_high", "consumption_low")
MEASUREMENT_ENDPOINTS = ("measurements", "legacy_measurements")


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up and let its history import finish."""
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED


def device_id(hass: HomeAssistant, entry: MockConfigEntry, ean: str) -> str:
    """The device of a meter (identified by its EAN within the account's entry)."""
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, ean), entry.entry_id)
    assert device is not None
    return device.id


async def call(hass: HomeAssistant, device: str, start: date, end: date) -> dict[str, Any]:
    """Call the action and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        ACTION,
        {"device_id": device, "start": start.isoformat(), "end": end.isoformat()},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


def today() -> date:
    return dt_util.utcnow().astimezone(BRUSSELS).date()


def measurement_requests(sim: FluviusSimulator) -> int:
    return sum(sim.stats.requests[endpoint] for endpoint in MEASUREMENT_ENDPOINTS)


def truth_of(
    sim: FluviusSimulator, ean: str, first: date, last: date
) -> dict[datetime, dict[str, float]]:
    """What the portal serves now for the (measurement) days first..last."""
    truth = sim.truth(ean)
    return truth.intervals(
        truth.day_bounds(first)[0], truth.day_bounds(last)[1], as_of=dt_util.utcnow()
    )


def assert_rows_equal_truth(
    response: dict[str, Any],
    expected: dict[datetime, dict[str, float]],
    registers: tuple[str, ...],
    length: timedelta,
) -> None:
    """Same intervals (count, starts, length), every register's value, and the totals."""
    rows = response["quarter_hours"]
    starts = [dt_util.parse_datetime(row["start"]) for row in rows]
    assert starts == sorted(expected)
    for row, start in zip(rows, starts, strict=True):
        assert start is not None
        assert dt_util.parse_datetime(row["end"]) == start + length
        want = expected[start]
        for register in registers:
            assert row[register] == pytest.approx(want[register], abs=1e-9), (start, register)
    for register in registers:
        total = sum(values[register] for values in expected.values())
        assert response["totals"][register] == pytest.approx(total, abs=1e-5), register


async def test_imported_range_comes_from_the_store(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """Days the history import fetched are answered from disk: the same quarter-hours the
    portal serves, and no request to Fluvius."""
    await setup(hass, elec_entry)
    first, last = today() - timedelta(days=10), today() - timedelta(days=2)
    store = coordinator(elec_entry).quarter_hours
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert all(store.has_day(day) for day in days)
    fluvius.reset_stats()

    response = await call(hass, device_id(hass, elec_entry, ELEC_EAN), first, last)

    assert measurement_requests(fluvius) == 0
    expected = truth_of(fluvius, ELEC_EAN, first, last)
    assert len(expected) == len(days) * 96
    assert_rows_equal_truth(response, expected, ELEC_REGISTERS, timedelta(minutes=15))
    assert ELEC_EAN not in str(response)
    assert mask_ean(ELEC_EAN) in response["meter"]
    assert response["unit"] == "kWh"
    assert response["units"] == dict.fromkeys(ELEC_REGISTERS, "kWh")
    assert response["resolution"] == "quarter_hour"
    assert {row["resolution"] for row in response["quarter_hours"]} == {"quarter_hour"}
    # Without a price source: no costs at all.
    assert response["currency"] is None
    assert "cost_totals" not in response
    assert all("cost" not in row for row in response["quarter_hours"])
    start, end = (
        fluvius.truth(ELEC_EAN).day_bounds(first)[0],
        fluvius.truth(ELEC_EAN).day_bounds(last)[1],
    )
    assert dt_util.parse_datetime(response["start"]) == start
    assert dt_util.parse_datetime(response["end"]) == end


async def test_older_range_is_fetched_from_the_portal(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """31 days before the imported history (with the spring DST day: 92 quarter-hours) come
    from Fluvius, equal what it serves, and are not kept."""
    await setup(hass, elec_entry)
    last = today() - timedelta(days=TEST_HISTORY_DAYS + 2)
    first = last - timedelta(days=30)
    assert first <= date(2026, 3, 29) <= last
    store = coordinator(elec_entry).quarter_hours
    before = store.days()
    assert not any(store.has_day(first + timedelta(days=n)) for n in range(31))
    fluvius.reset_stats()

    response = await call(hass, device_id(hass, elec_entry, ELEC_EAN), first, last)

    assert measurement_requests(fluvius) > 0
    expected = truth_of(fluvius, ELEC_EAN, first, last)
    assert len(expected) == 31 * 96 - 4
    assert_rows_equal_truth(response, expected, ELEC_REGISTERS, timedelta(minutes=15))
    assert store.days() == before  # the statistics import owns the store


async def test_fixed_prices_cost_every_quarter_hour(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """With fixed prices each row's cost is energy × price, over imported days and days
    fetched from the portal alike; the totals add up."""
    entry = account_entry([ELEC], TEST_HISTORY_DAYS, prices={"price_source": "fixed", **FIXED})
    entry.add_to_hass(hass)
    await setup(hass, entry)
    # Three days before the imported history, four inside it.
    first = today() - timedelta(days=TEST_HISTORY_DAYS + 3)
    last = today() - timedelta(days=TEST_HISTORY_DAYS - 3)

    response = await call(hass, device_id(hass, entry, ELEC_EAN), first, last)

    expected = truth_of(fluvius, ELEC_EAN, first, last)
    assert_rows_equal_truth(response, expected, ELEC_REGISTERS, timedelta(minutes=15))
    assert response["currency"] == hass.config.currency
    totals = dict.fromkeys(ELEC_REGISTERS, 0.0)
    for row in response["quarter_hours"]:
        want = expected[dt_util.parse_datetime(row["start"])]
        assert set(row["cost"]) == set(ELEC_REGISTERS)
        for register in ELEC_REGISTERS:
            cost = want[register] * FIXED[f"price_{register}"]
            assert row["cost"][register] == pytest.approx(cost, abs=1e-6), register
            totals[register] += cost
    for register in ELEC_REGISTERS:
        assert response["cost_totals"][register] == pytest.approx(totals[register], abs=1e-5)
    assert response["unpriced"] == 0

    # The README's script example: average price, and the evening offtake.
    kwh = sum(values[r] for values in expected.values() for r in OFFTAKE)
    average = Template(
        "{{ ((qh.cost_totals.consumption_high + qh.cost_totals.consumption_low)"
        " / (qh.totals.consumption_high + qh.totals.consumption_low)) | round(6) }}",
        hass,
    ).async_render({"qh": response})
    assert average == pytest.approx(sum(totals[r] for r in OFFTAKE) / kwh, abs=1e-6)
    evening = Template(
        "{{ qh.quarter_hours | selectattr('start', 'search', 'T(17|18|19|20):')"
        " | sum(attribute='consumption_high') | round(6) }}",
        hass,
    ).async_render({"qh": response})
    local_evening = sum(
        values["consumption_high"]
        for start, values in expected.items()
        if 17 <= start.astimezone(dt_util.get_default_time_zone()).hour < 21
    )
    assert evening == pytest.approx(local_evening, abs=1e-6)


async def test_gas_rows_are_hours(
    hass: HomeAssistant, fluvius: FluviusSimulator, gas_entry: MockConfigEntry
) -> None:
    """Gas has hourly data only: the rows are the gas days' hours (06:00 to 06:00), volume
    in m³ and energy in kWh, imported days and older ones alike."""
    await setup(hass, gas_entry)
    first = today() - timedelta(days=TEST_HISTORY_DAYS + 2)
    last = today() - timedelta(days=3)

    response = await call(hass, device_id(hass, gas_entry, GAS_EAN), first, last)

    expected = truth_of(fluvius, GAS_EAN, first, last)
    assert len(expected) == ((last - first).days + 1) * 24
    assert_rows_equal_truth(response, expected, GAS_REGISTERS, timedelta(hours=1))
    assert response["resolution"] == "hour"
    assert response["units"] == {"gas_volume": "m³", "gas_energy": "kWh"}
    assert response["unit"] is None
    first_start = dt_util.parse_datetime(response["quarter_hours"][0]["start"])
    assert first_start is not None
    assert first_start.astimezone(BRUSSELS).hour == 6


async def test_both_meters_of_one_account(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """The device picks the meter: each answers its own data."""
    await setup(hass, both_entry)
    day = today() - timedelta(days=4)
    elec = await call(hass, device_id(hass, both_entry, ELEC_EAN), day, day)
    gas = await call(hass, device_id(hass, both_entry, GAS_EAN), day, day)
    assert_rows_equal_truth(
        elec, truth_of(fluvius, ELEC_EAN, day, day), ELEC_REGISTERS, timedelta(minutes=15)
    )
    assert_rows_equal_truth(
        gas, truth_of(fluvius, GAS_EAN, day, day), GAS_REGISTERS, timedelta(hours=1)
    )


@pytest.mark.parametrize(
    ("offsets", "key"),
    [
        ((-40, -9), "range_too_long"),  # 32 days
        ((-3, -5), "range_reversed"),
        ((-3, 1), "range_in_future"),
    ],
)
async def test_invalid_ranges(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    offsets: tuple[int, int],
    key: str,
) -> None:
    """A range of more than 31 days, reversed or reaching past today is refused, translated,
    before anything is asked of Fluvius."""
    await setup(hass, elec_entry)
    fluvius.reset_stats()
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            device_id(hass, elec_entry, ELEC_EAN),
            today() + timedelta(days=offsets[0]),
            today() + timedelta(days=offsets[1]),
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert sum(fluvius.stats.requests.values()) == 0


async def test_31_days_ending_today_is_accepted(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """The longest range, up to today: the published days are answered, today (not yet
    published) has no rows."""
    await setup(hass, elec_entry)
    first, last = today() - timedelta(days=30), today()
    response = await call(hass, device_id(hass, elec_entry, ELEC_EAN), first, last)
    expected = truth_of(fluvius, ELEC_EAN, first, last)
    assert expected
    assert_rows_equal_truth(response, expected, ELEC_REGISTERS, timedelta(minutes=15))


async def test_unknown_meter_and_unloaded_entry(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device that is not a Fluvius meter, or whose account is not loaded, is refused."""
    await setup(hass, elec_entry)
    day = today() - timedelta(days=3)
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    foreign = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    for device in ("no-such-device", foreign.id):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, device, day, day)
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == "unknown_meter"

    meter = device_id(hass, elec_entry, ELEC_EAN)
    assert await hass.config_entries.async_unload(elec_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, meter, day, day)
    assert err.value.translation_key == "entry_not_loaded"


async def test_portal_error_is_translated(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """Days not held while Fluvius fails: a translated error, and the next call works."""
    await setup(hass, elec_entry)
    day = today() - timedelta(days=TEST_HISTORY_DAYS + 5)
    fluvius.faults.inject("measurements", "server_error", count=None)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, device_id(hass, elec_entry, ELEC_EAN), day, day)
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "portal_unavailable"
    fluvius.faults.clear()
    response = await call(hass, device_id(hass, elec_entry, ELEC_EAN), day, day)
    assert_rows_equal_truth(
        response, truth_of(fluvius, ELEC_EAN, day, day), ELEC_REGISTERS, timedelta(minutes=15)
    )


async def test_action_is_described_and_response_only(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """The action is registered once for the integration, answers with response data only,
    and services.yaml describes its fields."""
    await setup(hass, elec_entry)
    assert hass.services.supports_response(DOMAIN, ACTION) is SupportsResponse.ONLY
    descriptions = await async_get_all_descriptions(hass)
    assert set(descriptions[DOMAIN][ACTION]["fields"]) == {"device_id", "start", "end"}
    assert await hass.config_entries.async_unload(elec_entry.entry_id)
    assert hass.services.has_service(DOMAIN, ACTION)
