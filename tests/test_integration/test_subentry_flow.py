"""Meter subentry flows: "Add meter" to an account entry, and a meter's settings.

Adding a meter reuses the loaded account's sign-in (no password asked, no new login). A
meter's settings open as a menu: "meter" (serial, days of history, where statistics imports
stop; never the EAN, which identifies the meter), "costs" (the price timeline: here mostly its
one period corrected, the price source first, then a form with only that source's fields) and,
for electricity, "capacity". The meter's own settings are stored flat in its subentry data, its
prices only as timelines (price_periods, capacity_periods). The periods themselves (new prices
from a date, removing one, the capacity tariff's months) are test_price_periods_flow.py's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.helpers import entity_registry as er, issue_registry as ir, translation
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import (
    CONF_CAPACITY_PRICE,
    CONF_EAN,
    CONF_FALLBACK_GAS,
    CONF_FALLBACK_INJECTION,
    CONF_FALLBACK_OFFTAKE,
    CONF_GAS_PRICE,
    CONF_GAS_PRICE_UNIT,
    CONF_HISTORY_DAYS,
    CONF_IMPORT_UNTIL,
    CONF_INJECTION_FACTOR,
    CONF_INJECTION_OFFSET,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    CONF_OFFTAKE_FACTOR,
    CONF_OFFTAKE_OFFSET,
    CONF_PRICE_ENTITY,
    CONF_PRICE_SOURCE,
    DEFAULT_HISTORY_DAYS,
    DOMAIN,
)
from custom_components.fluvius.pricing import PriceSettings
from tests.entries import ELEC, GAS, account_entry, coordinator, subentry_id
from tests.recorded import statistics_rows
from tests.simulator import FluviusSimulator
from tests.simulator.demo import (
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    OTHER_EAN,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    OTHER_SERIAL,
    SINGLE_EAN,
    SINGLE_SERIAL,
)

from .conftest import TEST_HISTORY_DAYS, make_entry
from .test_config_flow import (
    WRONG_EAN,
    assert_sensors_match_truth,
    count_setups,
    expected_meter_type,
    fields,
    meter_input,
    requests_sent,
    set_up,
    suggested,
)

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "fluvius"
WRONG_SERIAL = "1KFM0020571243"  # two digits swapped


def watch_unavailable(hass: HomeAssistant) -> list[str]:
    """The entity IDs that become unavailable from now on, in order."""
    unavailable: list[str] = []

    def watch(event: Event) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == "unavailable":
            unavailable.append(event.data["entity_id"])

    hass.bus.async_listen("state_changed", watch)
    return unavailable


async def add_meter(hass: HomeAssistant, entry: ConfigEntry) -> FlowResult:
    """Open "Add meter" on an entry."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, "meter"), context={"source": SOURCE_USER}
    )


async def meter_settings(hass: HomeAssistant, entry: ConfigEntry, ean: str) -> FlowResult:
    """Open the settings of one meter of an entry: its menu."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, "meter"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id(ean)},
    )


async def configure(hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]) -> FlowResult:
    """Submit a subentry flow's form (or choose a menu option: ``{"next_step_id": …}``)."""
    return await hass.config_entries.subentries.async_configure(flow_id, user_input)


async def settings_step(hass: HomeAssistant, entry: ConfigEntry, ean: str, step: str) -> FlowResult:
    """Open a meter's settings and choose one option of its menu."""
    result = await meter_settings(hass, entry, ean)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reconfigure"
    return await configure(hass, result["flow_id"], {"next_step_id": step})


async def price_form(hass: HomeAssistant, entry: ConfigEntry, ean: str, source: str) -> FlowResult:
    """Open a meter's energy costs, correct its only period and choose the price source: that
    source's form."""
    result = await settings_step(hass, entry, ean, "costs")
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "costs"
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_correct"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "costs_source"  # one period: no choice of the period
    result = await configure(hass, result["flow_id"], {CONF_PRICE_SOURCE: source})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"costs_{source}"
    return result


async def new_prices_form(
    hass: HomeAssistant, entry: ConfigEntry, ean: str, day: date, source: str
) -> FlowResult:
    """Open a meter's energy costs, new prices from ``day``, the price source: its form."""
    result = await settings_step(hass, entry, ean, "costs")
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_add"})
    assert result["step_id"] == "costs_add"
    result = await configure(hass, result["flow_id"], {"start": day.isoformat()})
    assert result["step_id"] == "costs_source", result.get("errors")
    result = await configure(hass, result["flow_id"], {CONF_PRICE_SOURCE: source})
    assert result["step_id"] == f"costs_{source}"
    return result


async def correct_form(
    hass: HomeAssistant, entry: ConfigEntry, ean: str, start: date | None, source: str
) -> FlowResult:
    """Open a meter's energy costs (several periods), correct the period from ``start``
    (None: the first), the price source: its form."""
    result = await settings_step(hass, entry, ean, "costs")
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_correct"})
    assert result["step_id"] == "costs_correct"
    period = "start" if start is None else start.isoformat()
    result = await configure(hass, result["flow_id"], {"period": period})
    assert result["step_id"] == "costs_source"
    result = await configure(hass, result["flow_id"], {CONF_PRICE_SOURCE: source})
    assert result["step_id"] == f"costs_{source}"
    return result


def settings_input(
    serial: str = GAS_SERIAL, history_days: float = TEST_HISTORY_DAYS, **extra: Any
) -> dict[str, Any]:
    """The meter settings form, filled in."""
    return {CONF_METER_SERIAL: serial, CONF_HISTORY_DAYS: history_days, **extra}


# The fields of each price form.
HIGH_LOW = {
    "price_consumption_high",
    "price_consumption_low",
    "price_injection_high",
    "price_injection_low",
}
SINGLE = {"price_consumption_single", "price_injection_single"}
GAS_FIXED = {CONF_GAS_PRICE, CONF_GAS_PRICE_UNIT}
ELEC_FORMULA = {
    CONF_OFFTAKE_FACTOR,
    CONF_OFFTAKE_OFFSET,
    CONF_INJECTION_FACTOR,
    CONF_INJECTION_OFFSET,
}
ELEC_FALLBACKS = {CONF_FALLBACK_OFFTAKE, CONF_FALLBACK_INJECTION}
ELEC_ENTITY = {CONF_PRICE_ENTITY, *ELEC_FORMULA, *ELEC_FALLBACKS}
GAS_ENTITY = {CONF_PRICE_ENTITY, CONF_OFFTAKE_FACTOR, CONF_OFFTAKE_OFFSET, CONF_FALLBACK_GAS}
PRICE_ENTITY = "sensor.nordpool_be"
# A price sensor with long-term statistics (no confirmation about its state class).
MEASURED = {"state_class": "measurement"}
FALLBACKS = {CONF_FALLBACK_OFFTAKE: 0.3, CONF_FALLBACK_INJECTION: 0.04}
DUAL_PRICES = {
    "price_consumption_high": 0.32,
    "price_consumption_low": 0.27,
    "price_injection_high": 0.05,
    "price_injection_low": 0.03,
}
CONFIRMATIONS = {"entity_unpriced", "entity_no_state_class", "entity_unpriced_no_state_class"}


def selector(result: FlowResult, name: str) -> Any:
    """The selector of one field of a shown form."""
    for key, value in result["data_schema"].schema.items():
        if str(key) == name:
            return value
    raise KeyError(name)


def offered(result: FlowResult) -> list[str]:
    """The sensors the price entity picker offers."""
    return list(selector(result, CONF_PRICE_ENTITY).config["include_entities"])


def defaults(result: FlowResult) -> dict[str, Any]:
    """The defaults of a shown form's fields."""
    return {
        str(key): key.default()
        for key in result["data_schema"].schema
        if callable(getattr(key, "default", None))
    }


def price_sensor(
    hass: HomeAssistant,
    unit: str,
    state: str = "0.1234",
    entity_id: str = PRICE_ENTITY,
    **attrs: Any,
) -> None:
    """A price sensor in the state machine (and so in the recorder)."""
    hass.states.async_set(entity_id, state, {"unit_of_measurement": unit, **attrs})


def saved(entry: ConfigEntry, ean: str) -> dict[str, Any]:
    """A meter's subentry data."""
    return dict(entry.subentries[subentry_id(ean)].data)


def only_period(entry: ConfigEntry, ean: str) -> dict[str, Any]:
    """The stored keys of a meter's one energy price period (from the start of the history)."""
    (period,) = saved(entry, ean)["price_periods"]
    assert period["from"] is None
    return {key: value for key, value in period.items() if key != "from"}


def stored_settings(entry: ConfigEntry, ean: str, kind: MeterType) -> PriceSettings:
    """The price settings of a meter's one energy price period."""
    return PriceSettings.from_data(only_period(entry, ean), kind)


# What a period of each source stores besides its own keys (PriceSettings.as_data): the
# formula and the gas unit, at their defaults unless the source sets them.
DEFAULT_FORMULA = {
    CONF_OFFTAKE_FACTOR: 1.0,
    CONF_OFFTAKE_OFFSET: 0.0,
    CONF_INJECTION_FACTOR: 1.0,
    CONF_INJECTION_OFFSET: 0.0,
}
ELEC_PERIOD = {CONF_GAS_PRICE_UNIT: "m³", **DEFAULT_FORMULA}
NO_CAPACITY = [{"from": None, CONF_CAPACITY_PRICE: None}]


def with_prices(
    ean: str, serial: str, kind: MeterType, period: dict[str, Any], capacity: Any = None
) -> dict[str, Any]:
    """A meter's subentry data with one energy price period from the start (its stored keys
    ``period``) and the capacity periods (none: no capacity price)."""
    return {
        **without_prices(ean, serial, kind),
        "price_periods": [{"from": None, **period}],
        "capacity_periods": NO_CAPACITY if capacity is None else capacity,
    }


def without_prices(ean: str, serial: str, kind: MeterType) -> dict[str, Any]:
    """A meter's subentry data with no price settings, as the test entries start (price
    steps change nothing else)."""
    return {
        CONF_EAN: ean,
        CONF_METER_SERIAL: serial,
        CONF_METER_TYPE: kind.value,
        CONF_HISTORY_DAYS: TEST_HISTORY_DAYS,
    }


# --- adding a meter -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "added"),
    [(ELEC, GAS), (GAS, ELEC)],
    ids=["gas_to_electricity", "electricity_to_gas"],
)
async def test_add_meter(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    monkeypatch: pytest.MonkeyPatch,
    first: tuple[str, str, MeterType],
    added: tuple[str, str, MeterType],
) -> None:
    """The second meter of a loaded account: EAN and serial only, probed with the entry's
    client; one subentry more, set up without reloading the entry, both meters on one
    client, their sensors true, and still the one login of the setup."""
    entry = make_entry(hass, *first)
    await set_up(hass, entry)
    assert fluvius.stats.logins == 1
    ean, serial, _ = added

    result = await add_meter(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert fields(result) == {CONF_EAN, CONF_METER_SERIAL}  # no password

    setups = count_setups(monkeypatch)
    spaced = " ".join(ean[i : i + 6] for i in range(0, 18, 6))
    result = await configure(hass, result["flow_id"], meter_input(spaced, f" {serial} "))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    kind = expected_meter_type(fluvius, ean)
    assert result["title"] == f"{kind.capitalize()} meter …{ean[-4:]}"
    await hass.async_block_till_done()

    assert len(entry.subentries) == 2
    meter = next(sub for sub in entry.subentries.values() if sub.unique_id == ean)
    assert meter.subentry_type == "meter"
    assert meter.title == result["title"]
    assert dict(meter.data) == {
        CONF_EAN: ean,
        CONF_METER_SERIAL: serial,
        CONF_METER_TYPE: kind,
        CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS,
    }
    assert entry.state is ConfigEntryState.LOADED
    assert setups == []  # the new meter is set up alone, the entry not reloaded
    assert set(entry.runtime_data.meters) == set(entry.subentries)
    assert coordinator(entry, first[0]).account.client is coordinator(entry, ean).account.client
    assert_sensors_match_truth(hass, fluvius, first[0])
    assert_sensors_match_truth(hass, fluvius, ean)
    assert fluvius.stats.logins == 1
    assert fluvius.stats.requests["self_asserted"] == 1


async def test_add_and_remove_meter_leave_the_other_meters_alone(
    hass: HomeAssistant, fluvius: FluviusSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a meter sets up that meter only, and removing one unloads that meter only: the
    account is not reloaded, the other meters' entities never become unavailable and their
    coordinators stay the same objects (issue #23, item 2); the added meter shows the truth,
    the removed one leaves no entity, device or statistic behind."""
    monkeypatch.setattr(
        "custom_components.fluvius.subentry_flow.DEFAULT_HISTORY_DAYS", TEST_HISTORY_DAYS
    )
    entry = account_entry([ELEC, (SINGLE_EAN, SINGLE_SERIAL, MeterType.ELECTRICITY)], 7)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    elec, single = coordinator(entry, ELEC_EAN), coordinator(entry, SINGLE_EAN)
    setups = count_setups(monkeypatch)
    unavailable = watch_unavailable(hass)
    result = await add_meter(hass, entry)
    result = await configure(hass, result["flow_id"], meter_input(GAS_EAN, GAS_SERIAL))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)

    assert setups == []
    assert entry.state is ConfigEntryState.LOADED
    assert unavailable == []
    assert coordinator(entry, ELEC_EAN) is elec
    assert coordinator(entry, SINGLE_EAN) is single
    assert set(entry.runtime_data.meters) == set(entry.subentries)
    gas = coordinator(entry, GAS_EAN)
    assert gas.account is elec.account
    assert_sensors_match_truth(hass, fluvius, GAS_EAN)
    assert_sensors_match_truth(hass, fluvius, ELEC_EAN)
    assert gas.backfill.done
    assert all((await statistics_rows(hass, GAS_EAN, ("gas_volume", "gas_energy"))).values())
    registry = er.async_get(hass)
    gas_entities = [
        e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if e.unique_id.startswith(f"{GAS_EAN}_")
    ]
    assert gas_entities

    gas_subentry = next(s for s in entry.subentries.values() if s.unique_id == GAS_EAN)
    assert hass.config_entries.async_remove_subentry(entry, gas_subentry.subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert setups == []
    assert entry.state is ConfigEntryState.LOADED
    assert unavailable == []
    assert set(entry.runtime_data.meters) == {subentry_id(ELEC_EAN), subentry_id(SINGLE_EAN)}
    assert coordinator(entry, ELEC_EAN) is elec
    assert coordinator(entry, SINGLE_EAN) is single
    assert all(hass.states.get(entity_id) is None for entity_id in gas_entities)
    assert not list(gas.async_contexts())  # no entity of the removed meter listens any more
    stored = await statistics_rows(hass, GAS_EAN, ("gas_volume", "gas_energy"))
    assert stored == {"gas_volume": [], "gas_energy": []}
    assert_sensors_match_truth(hass, fluvius, ELEC_EAN)
    assert_sensors_match_truth(hass, fluvius, SINGLE_EAN)


@pytest.mark.parametrize("dialect", ["live", "random:2", "random:42"])
@pytest.mark.parametrize("reading", ["start", "inside"])
async def test_add_gas_meter_whatever_the_daily_gas_window(
    hass: HomeAssistant, fluvius: FluviusSimulator, reading: str, dialect: str
) -> None:
    """Add meter accepts the gas meter whether the daily code serves the gas days that start
    in a calendar-day window or only those wholly inside it (then a calendar day holds none),
    and its sensors equal the truth."""
    fluvius.options.dialect = dialect
    fluvius.options.gas_daily_window = reading
    entry = make_entry(hass, *ELEC)
    await set_up(hass, entry)
    result = await add_meter(hass, entry)
    result = await configure(hass, result["flow_id"], meter_input(GAS_EAN, GAS_SERIAL))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Gas meter …{GAS_EAN[-4:]}"
    await hass.async_block_till_done()
    meter = next(sub for sub in entry.subentries.values() if sub.unique_id == GAS_EAN)
    assert meter.data[CONF_METER_TYPE] == MeterType.GAS
    assert_sensors_match_truth(hass, fluvius, GAS_EAN)


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        (meter_input("123", GAS_SERIAL), {CONF_EAN: "invalid_ean"}),
        (meter_input(WRONG_EAN, GAS_SERIAL), {CONF_EAN: "invalid_ean"}),
        (meter_input(OTHER_EAN, OTHER_SERIAL), {"base": "meter_not_found"}),
        (meter_input(GAS_EAN, ELEC_SERIAL), {"base": "meter_not_found"}),
    ],
)
async def test_add_meter_errors(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    typed: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """An invalid EAN is refused offline; a meter the account cannot read is reported;
    the form keeps what was typed; then the right meter is added, without a login."""
    await set_up(hass, elec_entry)
    result = await add_meter(hass, elec_entry)
    before = requests_sent(fluvius)
    result = await configure(hass, result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    assert suggested(result) == typed
    if CONF_EAN in errors:
        assert requests_sent(fluvius) == before
    else:
        assert requests_sent(fluvius) > before
    assert len(elec_entry.subentries) == 1

    result = await configure(hass, result["flow_id"], meter_input(GAS_EAN, GAS_SERIAL))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert {sub.unique_id for sub in elec_entry.subentries.values()} == {ELEC_EAN, GAS_EAN}
    assert fluvius.stats.logins == 1


async def test_add_meter_portal_busy(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """The portal rate-limits the probe: a translated error, the typed meter kept."""
    await set_up(hass, elec_entry)
    result = await add_meter(hass, elec_entry)
    fluvius.faults.inject("measurements", "rate_limit", count=None, seconds=30)
    result = await configure(hass, result["flow_id"], meter_input(GAS_EAN, GAS_SERIAL))
    assert result["errors"] == {"base": "rate_limited"}
    assert suggested(result) == meter_input(GAS_EAN, GAS_SERIAL)
    fluvius.faults.clear()
    result = await configure(hass, result["flow_id"], meter_input(GAS_EAN, GAS_SERIAL))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_add_meter_already_configured(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """A meter of this entry, or of any other entry, aborts without a request."""
    other = account_entry([GAS], TEST_HISTORY_DAYS, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    other.add_to_hass(hass)
    await set_up(hass, elec_entry)
    before = requests_sent(fluvius)
    for ean, serial in ((ELEC_EAN, ELEC_SERIAL), (f" {GAS_EAN} ", GAS_SERIAL)):
        result = await add_meter(hass, elec_entry)
        result = await configure(hass, result["flow_id"], meter_input(ean, serial))
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured_meter"
    assert requests_sent(fluvius) == before
    assert len(elec_entry.subentries) == 1
    assert len(other.subentries) == 1


async def test_add_meter_to_entry_not_loaded(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """An account that is not signed in (never set up, or its password rejected) cannot
    add a meter: the flow aborts before any request."""
    idle = make_entry(hass)
    result = await add_meter(hass, idle)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_not_loaded"
    assert requests_sent(fluvius) == 0

    rejected = make_entry(
        hass, OTHER_EAN, OTHER_SERIAL, email=OTHER_EMAIL, password="not-the-password"
    )
    await hass.config_entries.async_setup(rejected.entry_id)
    await hass.async_block_till_done()
    assert rejected.state is ConfigEntryState.SETUP_ERROR
    before = requests_sent(fluvius)
    result = await add_meter(hass, rejected)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_not_loaded"
    assert requests_sent(fluvius) == before


# --- a meter's settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ean", "options"),
    [(ELEC_EAN, ["meter", "costs", "capacity"]), (GAS_EAN, ["meter", "costs"])],
    ids=["electricity", "gas"],
)
async def test_settings_menu(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    ean: str,
    options: list[str],
) -> None:
    """A meter's ⚙ opens a menu: the meter, its energy costs and, for electricity only, the
    capacity tariff; it names the meter."""
    await set_up(hass, both_entry)
    result = await meter_settings(hass, both_entry, ean)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reconfigure"
    assert list(result["menu_options"]) == options
    title = both_entry.subentries[subentry_id(ean)].title
    assert result["description_placeholders"] == {"meter": title}


async def test_settings_form(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """The meter: serial, days of history and the optional import stop, pre-filled; no EAN
    and no price."""
    await set_up(hass, both_entry)
    result = await settings_step(hass, both_entry, GAS_EAN, "meter")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    assert fields(result) == {CONF_METER_SERIAL, CONF_HISTORY_DAYS, CONF_IMPORT_UNTIL}
    markers = {str(key): type(key).__name__ for key in result["data_schema"].schema}
    assert markers[CONF_IMPORT_UNTIL] == "Optional"
    assert markers[CONF_METER_SERIAL] == markers[CONF_HISTORY_DAYS] == "Required"
    assert suggested(result) == {
        CONF_METER_SERIAL: GAS_SERIAL,
        CONF_HISTORY_DAYS: TEST_HISTORY_DAYS,
    }
    assert result["description_placeholders"]["meter"] == f"Gas meter …{GAS_EAN[-4:]}"


@pytest.mark.parametrize(
    ("meters", "state"),
    [
        # The other meter keeps the account loaded; the mistyped one is unavailable.
        ([ELEC, (GAS_EAN, WRONG_SERIAL, MeterType.GAS)], ConfigEntryState.LOADED),
        # The account's only meter cannot be read: the entry does not load at all.
        ([(GAS_EAN, WRONG_SERIAL, MeterType.GAS)], ConfigEntryState.SETUP_RETRY),
    ],
    ids=["with_another_meter", "only_meter"],
)
async def test_settings_fix_serial_typo(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    monkeypatch: pytest.MonkeyPatch,
    meters: list[tuple[str, str, MeterType]],
    state: ConfigEntryState,
) -> None:
    """A meter with a mistyped serial cannot be read; its settings take the right serial
    (probed, also when the account could not load because of it), the entry is set up
    again, once, and every meter's sensors are true, the access issue gone, no new login."""
    entry = account_entry(meters, TEST_HISTORY_DAYS)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is state
    assert [issue for (domain, issue) in ir.async_get(hass).issues if domain == DOMAIN]

    result = await settings_step(hass, entry, GAS_EAN, "meter")
    assert result["type"] is FlowResultType.FORM
    assert suggested(result)[CONF_METER_SERIAL] == WRONG_SERIAL
    flow_id = result["flow_id"]
    # Still wrong (another typo): refused, nothing saved.
    typed = settings_input(ELEC_SERIAL)
    result = await configure(hass, flow_id, typed)
    assert result["errors"] == {"base": "meter_not_found"}
    assert suggested(result) == typed
    assert entry.subentries[subentry_id(GAS_EAN)].data[CONF_METER_SERIAL] == WRONG_SERIAL

    setups = count_setups(monkeypatch)
    result = await configure(hass, flow_id, settings_input(f" {GAS_SERIAL} "))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.subentries[subentry_id(GAS_EAN)].data) == {
        CONF_EAN: GAS_EAN,
        CONF_METER_SERIAL: GAS_SERIAL,
        CONF_METER_TYPE: MeterType.GAS.value,
        CONF_HISTORY_DAYS: TEST_HISTORY_DAYS,
        CONF_IMPORT_UNTIL: None,
    }
    await hass.async_block_till_done()
    assert setups == [entry.entry_id]
    assert entry.state is ConfigEntryState.LOADED
    for ean, _, _ in meters:
        assert_sensors_match_truth(hass, fluvius, ean)
    assert not [issue for (domain, issue) in ir.async_get(hass).issues if domain == DOMAIN]
    assert fluvius.stats.logins == 1  # the first setup's; the probe and reload reused it


async def test_settings_change_applies_without_a_reload(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New days of history and an import stop are saved (the EAN and type kept) and applied
    in place: no reload, no login, the account's other meter never unavailable, and the
    longer history imported in the background."""
    await set_up(hass, both_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    setups = count_setups(monkeypatch)
    before = requests_sent(fluvius)
    elec, gas = coordinator(both_entry, ELEC_EAN), coordinator(both_entry, GAS_EAN)
    unavailable = watch_unavailable(hass)
    result = await settings_step(hass, both_entry, ELEC_EAN, "meter")
    result = await configure(
        hass,
        result["flow_id"],
        settings_input(ELEC_SERIAL, 30, **{CONF_IMPORT_UNTIL: "2026-04-01"}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(both_entry.subentries[subentry_id(ELEC_EAN)].data) == {
        CONF_EAN: ELEC_EAN,
        CONF_METER_SERIAL: ELEC_SERIAL,
        CONF_METER_TYPE: MeterType.ELECTRICITY.value,
        CONF_HISTORY_DAYS: 30,
        CONF_IMPORT_UNTIL: "2026-04-01",
    }
    assert requests_sent(fluvius) == before  # the serial did not change: no probe
    await hass.async_block_till_done(wait_background_tasks=True)
    assert setups == []
    assert both_entry.state is ConfigEntryState.LOADED
    assert coordinator(both_entry, ELEC_EAN) is elec
    assert coordinator(both_entry, GAS_EAN) is gas
    assert elec.meter.history_days == 30
    assert unavailable == []
    assert fluvius.stats.logins == 1
    # The 16 older days are imported: the statistics now start 30 days back.
    today = dt_util.now().date()
    first = await elec.statistics.async_first_hour()
    assert first == fluvius.truth(ELEC_EAN).day_bounds(today - timedelta(days=30))[0]
    assert elec.backfill.done

    # The form shows the saved settings; the import stop can be cleared again.
    result = await settings_step(hass, both_entry, ELEC_EAN, "meter")
    assert suggested(result) == {
        CONF_METER_SERIAL: ELEC_SERIAL,
        CONF_HISTORY_DAYS: 30,
        CONF_IMPORT_UNTIL: "2026-04-01",
    }
    result = await configure(hass, result["flow_id"], settings_input(ELEC_SERIAL, 30))
    assert result["reason"] == "reconfigure_successful"
    assert not both_entry.subentries[subentry_id(ELEC_EAN)].data[CONF_IMPORT_UNTIL]


@pytest.mark.parametrize("days", [0, 2000, 1.5, -3])
async def test_settings_history_days_out_of_range(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    days: float,
) -> None:
    """Days of history outside 1..1095 (or not whole): a translated error on that field,
    what was typed kept, nothing saved, no reload."""
    await set_up(hass, both_entry)
    setups = count_setups(monkeypatch)
    saved = dict(both_entry.subentries[subentry_id(GAS_EAN)].data)
    result = await settings_step(hass, both_entry, GAS_EAN, "meter")
    typed = settings_input(GAS_SERIAL, days)
    result = await configure(hass, result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    assert result["errors"] == {CONF_HISTORY_DAYS: "history_days_range"}
    assert suggested(result) == typed
    assert result["description_placeholders"]["max_days"] == "1095"
    await hass.async_block_till_done()
    assert dict(both_entry.subentries[subentry_id(GAS_EAN)].data) == saved
    assert setups == []


# What the flows can show: every key error_key() returns, and each flow's own.
PRICE_ERRORS = {
    "fixed_price_missing",
    "price_entity_missing",
    "price_entity_unit",
    "price_entity_currency",
    "fallback_gas_unit",
    "period_exists",
    "first_of_month",
}
FLOW_ERRORS = {
    "invalid_auth",
    "account_locked",
    "interaction_required",
    "rate_limited",
    "cannot_connect",
    "meter_not_found",
    "no_data",
    "invalid_ean",
    "unknown",
}


@pytest.mark.parametrize(
    "path",
    ["strings.json", "translations/en.json", "translations/nl.json", "translations/fr.json"],
)
def test_flow_texts_translated(path: str) -> None:
    """Every error and abort the account and meter flows can show has a text in each
    language, the range error with its placeholder; the settings name their fields."""
    texts = json.loads((INTEGRATION / path).read_text(encoding="utf-8"))
    account = texts["config"]
    assert {key for key, text in account["error"].items() if text} >= FLOW_ERRORS
    for key in (
        "already_configured",
        "already_configured_meter",
        "reauth_successful",
        "reconfigure_successful",
    ):
        assert account["abort"][key]
    assert "{email}" in account["step"]["reauth_confirm"]["description"]
    assert CONF_EAN not in account["step"]["reconfigure"]["data"]

    meter = texts["config_subentries"]["meter"]
    assert "{max_days}" in meter["error"]["history_days_range"]
    assert {key for key, text in meter["error"].items() if text} >= FLOW_ERRORS | PRICE_ERRORS
    steps = meter["step"]
    assert set(steps["reconfigure"]["menu_options"]) == {"meter", "costs", "capacity"}
    # Every field of every settings step is named and explained.
    for step, shown in (
        ("meter", {CONF_METER_SERIAL, CONF_HISTORY_DAYS, CONF_IMPORT_UNTIL}),
        ("costs_add", {"start"}),
        ("costs_correct", {"period"}),
        ("costs_remove", {"period"}),
        ("costs_source", {CONF_PRICE_SOURCE}),
        ("costs_fixed", HIGH_LOW | SINGLE | GAS_FIXED),
        ("costs_entity", ELEC_ENTITY | GAS_ENTITY),
        ("capacity_price", {CONF_CAPACITY_PRICE, "start"}),
        ("capacity_remove", {"period"}),
    ):
        assert steps[step]["title"]
        assert steps[step]["description"]
        for part in ("data", "data_description"):
            assert {key for key, text in steps[step][part].items() if text} == shown, (step, part)
    assert steps["costs_none"]["description"]
    assert "{currency}" in steps["capacity_price"]["data_description"][CONF_CAPACITY_PRICE]
    # The timelines' menus show their periods, and the steps of one period name it.
    menus = {
        "costs": {"costs_add", "costs_correct", "costs_remove"},
        "capacity": {"capacity_price", "capacity_remove"},
    }
    for step, options in menus.items():
        assert {key for key, text in steps[step]["menu_options"].items() if text} == options
        assert "{periods}" in steps[step]["description"]
    assert "{periods}" in steps["capacity_price"]["description"]
    for step in ("costs_source", "costs_none", "costs_fixed", "costs_entity"):
        assert "{period}" in steps[step]["description"], step
    for placeholder in ("{period}", "{prices}"):
        assert placeholder in steps["costs_remove_confirm"]["description"]
    # The words a timeline is shown in, with their placeholders.
    words = texts["common"]
    assert all(words.values())
    for key, placeholders in {
        "period_from": ("{day}",),
        "fixed": ("{prices}", "{unit}"),
        "injection": ("{prices}",),
        "entity": ("{formula}",),
        "fallback": ("{price}",),
        "capacity": ("{price}", "{currency}"),
    }.items():
        for placeholder in placeholders:
            assert placeholder in words[key], (key, placeholder)
    for step in CONFIRMATIONS:
        assert set(steps[step]["menu_options"]) == {"costs_save", "costs_entity"}
        assert "{entity}" in steps[step]["description"]
        if "unpriced" in step:
            for placeholder in ("{days}", "{first}", "{last}"):
                assert placeholder in steps[step]["description"]
    options = texts["selector"][CONF_PRICE_SOURCE]["options"]
    assert {key for key, text in options.items() if text} == {"none", "fixed", "entity"}
    for key in ("already_configured_meter", "account_not_loaded", "recosting"):
        assert meter["abort"][key]


async def test_settings_of_meter_with_rejected_password(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """An account whose password the portal rejected does not try it again to check a new
    serial: the settings flow asks to re-authenticate first, nothing saved."""
    entry = make_entry(hass, GAS_EAN, WRONG_SERIAL, MeterType.GAS, password="not-the-password")
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    attempts = fluvius.stats.requests["self_asserted"]
    result = await settings_step(hass, entry, GAS_EAN, "meter")
    result = await configure(hass, result["flow_id"], settings_input(GAS_SERIAL))
    assert result["errors"] == {"base": "invalid_auth"}
    assert fluvius.stats.requests["self_asserted"] == attempts
    assert entry.subentries[subentry_id(GAS_EAN)].data[CONF_METER_SERIAL] == WRONG_SERIAL


# --- a meter's prices ---------------------------------------------------------------------


async def test_price_source_step(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """Energy costs are a menu that shows the timeline (a meter without prices: no costs
    from the start of the history) and offers new prices from a date or a corrected period
    (no removal of the only period). Correcting the only period asks first where its prices
    come from, its source chosen (none at first); nothing is saved by that choice alone.
    Saved, the period shows in the menu."""
    await set_up(hass, both_entry)
    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "costs"
    assert list(result["menu_options"]) == ["costs_add", "costs_correct"]
    assert result["description_placeholders"] == {
        "meter": f"Electricity meter …{ELEC_EAN[-4:]}",
        "periods": "- **Start of the history**: no costs",
    }
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_correct"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "costs_source"
    assert result["description_placeholders"]["period"] == "Start of the history"
    assert fields(result) == {CONF_PRICE_SOURCE}
    assert defaults(result) == {CONF_PRICE_SOURCE: "none"}
    assert selector(result, CONF_PRICE_SOURCE).config["options"] == ["none", "fixed", "entity"]
    before = saved(both_entry, ELEC_EAN)
    result = await configure(hass, result["flow_id"], {CONF_PRICE_SOURCE: "fixed"})
    assert saved(both_entry, ELEC_EAN) == before
    result = await configure(hass, result["flow_id"], DUAL_PRICES)
    assert result["reason"] == "recosting"
    assert saved(both_entry, ELEC_EAN) == {
        **before,
        "price_periods": [
            {
                "from": None,
                "price_source": "fixed",
                "gas_price_unit": "m³",
                "offtake_factor": 1.0,
                "offtake_offset": 0.0,
                "injection_factor": 1.0,
                "injection_offset": 0.0,
                "price_consumption_high": 0.32,
                "price_consumption_low": 0.27,
                "price_injection_high": 0.05,
                "price_injection_low": 0.03,
            }
        ],
        "capacity_periods": [{"from": None, "capacity_price": None}],
    }
    await hass.async_block_till_done()
    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    assert result["description_placeholders"]["periods"] == (
        "- **Start of the history**: fixed: day 0.32, night 0.27; injection day 0.05,"
        " night 0.03 EUR/kWh"
    )
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_correct"})
    assert defaults(result) == {CONF_PRICE_SOURCE: "fixed"}


@pytest.mark.parametrize(
    ("ean", "source", "shown", "preset"),
    [
        (ELEC_EAN, "fixed", HIGH_LOW, {}),
        (
            ELEC_EAN,
            "entity",
            ELEC_ENTITY,
            {
                CONF_OFFTAKE_FACTOR: 1.0,
                CONF_OFFTAKE_OFFSET: 0.0,
                CONF_INJECTION_FACTOR: 1.0,
                CONF_INJECTION_OFFSET: 0.0,
            },
        ),
        (GAS_EAN, "fixed", GAS_FIXED, {CONF_GAS_PRICE_UNIT: "m³"}),
        (GAS_EAN, "entity", GAS_ENTITY, {CONF_OFFTAKE_FACTOR: 1.0, CONF_OFFTAKE_OFFSET: 0.0}),
    ],
    ids=["electricity_fixed", "electricity_entity", "gas_fixed", "gas_entity"],
)
async def test_price_forms_show_only_their_fields(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    ean: str,
    source: str,
    shown: set[str],
    preset: dict[str, Any],
) -> None:
    """Each source's form has only its own fields: fixed prices (dual tariff four, gas one
    and its unit), or the entity with its formula and fallback per direction (gas one);
    nothing is pre-filled for a meter without prices, prices are in EUR per kWh."""
    await set_up(hass, both_entry)
    result = await price_form(hass, both_entry, ean, source)
    assert fields(result) == shown
    assert defaults(result) == preset
    assert suggested(result) == ({CONF_GAS_PRICE_UNIT: "m³"} if shown == GAS_FIXED else {})
    assert result["description_placeholders"]["currency"] == "EUR"
    if ean == ELEC_EAN:
        prices = HIGH_LOW if source == "fixed" else {CONF_OFFTAKE_OFFSET, *ELEC_FALLBACKS}
        for key in prices:
            assert selector(result, key).config["unit_of_measurement"] == "EUR/kWh", key


async def test_price_source_none_is_a_confirmation(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """No costs: a step without fields; saving it stores a period without costs (the
    capacity tariff's price stays), and nothing is costed any more."""
    price_sensor(hass, "EUR/kWh", **MEASURED)
    await set_up(hass, both_entry)
    result = await price_form(hass, both_entry, ELEC_EAN, "fixed")
    await configure(hass, result["flow_id"], DUAL_PRICES)
    entity = {CONF_PRICE_ENTITY: PRICE_ENTITY, **FALLBACKS}
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    await configure(hass, result["flow_id"], entity)
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    await configure(hass, result["flow_id"], {CONF_CAPACITY_PRICE: 53.55})
    before = saved(both_entry, ELEC_EAN)
    assert only_period(both_entry, ELEC_EAN)[CONF_PRICE_SOURCE] == "entity"

    result = await price_form(hass, both_entry, ELEC_EAN, "none")
    assert result["data_schema"] is None
    assert result["description_placeholders"] == {
        "meter": f"Electricity meter …{ELEC_EAN[-4:]}",
        "period": "Start of the history",
    }
    result = await configure(hass, result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, ELEC_EAN) == {
        **before,
        "price_periods": [{"from": None, CONF_PRICE_SOURCE: "none", **ELEC_PERIOD}],
    }
    assert before["capacity_periods"] == [{"from": None, CONF_CAPACITY_PRICE: 53.55}]
    settings = stored_settings(both_entry, ELEC_EAN, MeterType.ELECTRICITY)
    assert not settings.enabled
    assert settings.priced(MeterType.ELECTRICITY) == ()


async def test_price_form_single_tariff(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """A meter whose data has single registers only is priced on them: its fixed form asks
    for one consumption and one injection price, and saves them under those registers; they
    are the fallback prices offered when it switches to a price entity."""
    entry = make_entry(hass, SINGLE_EAN, SINGLE_SERIAL)
    await set_up(hass, entry)
    assert fluvius.truth(SINGLE_EAN).meter.tariff == "single"
    result = await price_form(hass, entry, SINGLE_EAN, "fixed")
    assert fields(result) == SINGLE
    prices = {"price_consumption_single": 0.31, "price_injection_single": 0.04}
    result = await configure(hass, result["flow_id"], prices)
    assert result["reason"] == "recosting"
    assert saved(entry, SINGLE_EAN) == with_prices(
        SINGLE_EAN,
        SINGLE_SERIAL,
        MeterType.ELECTRICITY,
        {CONF_PRICE_SOURCE: "fixed", **ELEC_PERIOD, **prices},
    )
    await hass.async_block_till_done()
    result = await price_form(hass, entry, SINGLE_EAN, "fixed")
    assert suggested(result) == prices
    result = await price_form(hass, entry, SINGLE_EAN, "entity")
    assert suggested(result) == {CONF_FALLBACK_OFFTAKE: 0.31, CONF_FALLBACK_INJECTION: 0.04}


async def test_price_fixed_saved(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """Fixed prices are stored as the meter's one period, with nothing else changed, without
    a request or login; the entry stays loaded; the form shows them again."""
    # The history imports first: their requests are not the flow's (the flow reads the
    # imported hours from the recorder, which lets a running import go on meanwhile).
    await set_up_imported(hass, both_entry)
    before = requests_sent(fluvius)
    gas = saved(both_entry, GAS_EAN)
    prices = {**DUAL_PRICES, "price_injection_low": 0}
    result = await price_form(hass, both_entry, ELEC_EAN, "fixed")
    result = await configure(hass, result["flow_id"], prices)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "recosting"
    assert saved(both_entry, ELEC_EAN) == with_prices(
        ELEC_EAN,
        ELEC_SERIAL,
        MeterType.ELECTRICITY,
        {CONF_PRICE_SOURCE: "fixed", **ELEC_PERIOD, **prices},
    )
    assert saved(both_entry, GAS_EAN) == gas  # the other meter untouched
    assert requests_sent(fluvius) == before  # the serial did not change: no probe
    await hass.async_block_till_done()
    assert both_entry.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1

    result = await price_form(hass, both_entry, ELEC_EAN, "fixed")
    assert suggested(result) == prices
    result = await configure(hass, result["flow_id"], prices)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    # A price left empty is removed; at least one stays.
    result = await price_form(hass, both_entry, ELEC_EAN, "fixed")
    result = await configure(hass, result["flow_id"], {"price_consumption_high": 0.3})
    assert {key for key in only_period(both_entry, ELEC_EAN) if key.startswith("price_")} == {
        "price_consumption_high",
        "price_source",
    }


async def test_saving_prices_says_the_history_is_recosted(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """Prices that change the costs close the settings with a message of their own (issue
    #23, item 3): the history is re-costed in the background, to follow on the History import
    sensor, whose activity then is "recosting" until the cost statistics are written. In
    every language the message names that sensor and activity as the device page shows
    them. Unchanged prices, no costs and a capacity price re-cost nothing: Home Assistant's
    "successful"."""
    await set_up_imported(hass, both_entry)
    progress = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{ELEC_EAN}_backfill_progress"
    )
    assert progress is not None
    activities: list[str] = []

    def watch(event: Event) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == progress and new is not None:
            activities.append(new.attributes.get("activity", new.state))

    hass.bus.async_listen("state_changed", watch)
    result = await price_form(hass, both_entry, ELEC_EAN, "fixed")
    result = await configure(hass, result["flow_id"], DUAL_PRICES)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "recosting"
    assert result.get("translation_domain") is None  # ours: config_subentries.meter.abort
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "recosting" in activities
    assert hass.states.get(progress).attributes["activity"] == "idle"
    costs = await statistics_rows(hass, ELEC_EAN, ("consumption_high_cost",))
    assert costs["consumption_high_cost"]

    activities.clear()
    for step, typed in (
        ("fixed", DUAL_PRICES),  # the same prices again
        ("none", {}),
    ):
        result = await price_form(hass, both_entry, ELEC_EAN, step)
        result = await configure(hass, result["flow_id"], typed)
        assert result["reason"] == "reconfigure_successful", step
        assert result.get("translation_domain") == "homeassistant"
        await hass.async_block_till_done(wait_background_tasks=True)
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    result = await configure(hass, result["flow_id"], {CONF_CAPACITY_PRICE: 53.55})
    assert result["reason"] == "reconfigure_successful"

    for language in ("en", "nl", "fr"):
        flows = await translation.async_get_translations(
            hass, language, "config_subentries", [DOMAIN]
        )
        entities = await translation.async_get_translations(hass, language, "entity", [DOMAIN])
        text = flows[f"component.{DOMAIN}.config_subentries.meter.abort.recosting"]
        sensor = f"component.{DOMAIN}.entity.sensor.backfill_progress"
        assert entities[f"{sensor}.name"] in text, language
        assert entities[f"{sensor}.state_attributes.activity.state.recosting"] in text, language


@pytest.mark.parametrize(
    ("ean", "typed", "field"),
    [
        (ELEC_EAN, {}, "price_consumption_high"),
        (SINGLE_EAN, {}, "price_consumption_single"),
        (GAS_EAN, {CONF_GAS_PRICE_UNIT: "kWh"}, CONF_GAS_PRICE),
    ],
    ids=["dual", "single", "gas"],
)
async def test_fixed_price_missing(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    monkeypatch: pytest.MonkeyPatch,
    ean: str,
    typed: dict[str, Any],
    field: str,
) -> None:
    """Fixed prices with no price at all: the error on the first price field, what was typed
    shown again, nothing saved, no reload."""
    meters = {
        ELEC_EAN: ELEC,
        GAS_EAN: GAS,
        SINGLE_EAN: (SINGLE_EAN, SINGLE_SERIAL, MeterType.ELECTRICITY),
    }
    entry = account_entry([meters[ean]], TEST_HISTORY_DAYS)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    setups = count_setups(monkeypatch)
    before = saved(entry, ean)
    result = await price_form(hass, entry, ean, "fixed")
    result = await configure(hass, result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "costs_fixed"
    assert result["errors"] == {field: "fixed_price_missing"}
    assert suggested(result).items() >= typed.items()
    await hass.async_block_till_done()
    assert saved(entry, ean) == before
    assert setups == []


@pytest.mark.parametrize(
    ("state", "unit"),
    [
        ("0.1234", "EUR/kWh"),
        ("-0.0125", "€/kWh"),  # market prices go negative
        ("123.4", "EUR/MWh"),
        ("-12.5", "€/MWh"),
        ("12.34", "c€/kWh"),
        ("12.34", "ct/kWh"),
    ],
)
async def test_price_entity_saved(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    state: str,
    unit: str,
) -> None:
    """A price entity in a currency per kWh or MWh (euro cents too), with the contract's
    formula per direction (negative offsets allowed) and a fallback price per direction, is
    stored as typed; with long-term statistics and fallbacks there is nothing to confirm;
    the form shows it again."""
    price_sensor(hass, unit, state, **MEASURED)
    await set_up(hass, both_entry)
    formula = {
        CONF_OFFTAKE_FACTOR: 1.1,
        CONF_OFFTAKE_OFFSET: 0.012,
        CONF_INJECTION_FACTOR: 0.9,
        CONF_INJECTION_OFFSET: -0.015,
    }
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    assert PRICE_ENTITY in offered(result)
    typed = {CONF_PRICE_ENTITY: PRICE_ENTITY, **formula, **FALLBACKS}
    result = await configure(hass, result["flow_id"], typed)
    assert result["reason"] == "recosting"
    assert saved(both_entry, ELEC_EAN) == with_prices(
        ELEC_EAN,
        ELEC_SERIAL,
        MeterType.ELECTRICITY,
        {CONF_PRICE_SOURCE: "entity", CONF_GAS_PRICE_UNIT: "m³", **typed},
    )
    await hass.async_block_till_done()
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    assert suggested(result) == typed


async def test_price_entity_default_formula(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A formula left empty is the entity's price as is: factor 1, offset 0; a fallback
    left empty is not stored."""
    price_sensor(hass, "EUR/kWh", **MEASURED)
    await set_up_imported(hass, both_entry)
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    typed = {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_FALLBACK_OFFTAKE: 0.3}
    result = await configure(hass, result["flow_id"], typed)
    assert result["type"] is FlowResultType.MENU  # no injection fallback: days without cost
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_save"})
    assert result["reason"] == "recosting"
    assert saved(both_entry, ELEC_EAN) == with_prices(
        ELEC_EAN,
        ELEC_SERIAL,
        MeterType.ELECTRICITY,
        {
            CONF_PRICE_SOURCE: "entity",
            CONF_PRICE_ENTITY: PRICE_ENTITY,
            **ELEC_PERIOD,
            CONF_FALLBACK_OFFTAKE: 0.3,
        },
    )


@pytest.mark.parametrize(
    ("currency", "kind", "units"),
    [
        (
            "EUR",
            MeterType.ELECTRICITY,
            {
                "EUR/kWh": True,
                "€/MWh": True,
                "eur/wh": True,
                "c€/kWh": True,
                "ct/kWh": True,
                "°C": False,
                "USD/kWh": False,
                "$/MWh": False,
                "kWh": False,
                "EUR/kW": False,
                "EUR/m³": False,
            },
        ),
        (
            "EUR",
            MeterType.GAS,
            {
                "EUR/m³": True,
                "EUR/kWh": True,
                "c€/m³": True,
                "€/MWh": True,
                "°C": False,
                "GBP/m³": False,
                "m³": False,
            },
        ),
        ("USD", MeterType.ELECTRICITY, {"USD/kWh": True, "$/MWh": True, "ct/kWh": False}),
    ],
    ids=["electricity_eur", "gas_eur", "electricity_usd"],
)
async def test_price_entities_offered(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    currency: str,
    kind: MeterType,
    units: dict[str, bool],
) -> None:
    """The entity picker offers only sensors whose unit is a price in Home Assistant's
    currency per kWh, MWh or Wh (gas: also per m³), read by the costing's parser (cents
    converted); a sensor it does not offer cannot be submitted either."""
    hass.config.currency = currency
    expected = []
    for index, (unit, ok) in enumerate(units.items()):
        entity_id = f"sensor.price_{index}"
        price_sensor(hass, unit, entity_id=entity_id)
        if ok:
            expected.append(entity_id)
    hass.states.async_set("input_number.price", "0.3", {"unit_of_measurement": "EUR/kWh"})
    await set_up(hass, both_entry)
    ean = GAS_EAN if kind is MeterType.GAS else ELEC_EAN
    result = await price_form(hass, both_entry, ean, "entity")
    assert offered(result) == sorted(expected)
    assert selector(result, CONF_PRICE_ENTITY).config["domain"] == ["sensor"]
    refused = next(f"sensor.price_{i}" for i, ok in enumerate(units.values()) if not ok)
    with pytest.raises(InvalidData):
        await configure(hass, result["flow_id"], {CONF_PRICE_ENTITY: refused})


@pytest.mark.parametrize(
    ("kind", "unit", "error"),
    [
        (MeterType.ELECTRICITY, "W", "price_entity_unit"),
        (MeterType.ELECTRICITY, "kWh", "price_entity_unit"),
        (MeterType.ELECTRICITY, "c€/kW", "price_entity_unit"),
        (MeterType.ELECTRICITY, "EUR/m³", "price_entity_unit"),
        (MeterType.ELECTRICITY, "USD/kWh", "price_entity_currency"),
        (MeterType.ELECTRICITY, "$/MWh", "price_entity_currency"),
        (MeterType.GAS, "EUR/kW", "price_entity_unit"),
        (MeterType.GAS, "GBP/m³", "price_entity_currency"),
        (MeterType.ELECTRICITY, None, "price_entity_missing"),
        (MeterType.GAS, None, "price_entity_missing"),
    ],
    ids=[
        "unit_power",
        "unit_without_currency",
        "unit_cents_power",
        "electricity_per_m3",
        "currency_usd",
        "currency_dollar_symbol",
        "gas_per_kw",
        "gas_currency_gbp",
        "entity_removed",
        "gas_entity_removed",
    ],
)
async def test_price_entity_errors_on_submit(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    kind: MeterType,
    unit: str | None,
    error: str,
) -> None:
    """The entity is checked again on submit: one whose unit changed to no price, or to
    another currency, since the form was shown, or that is gone, gets a translated error on
    the entity field; what was typed is shown again; nothing saved, no reload, no request."""
    price_sensor(hass, "EUR/kWh" if kind is MeterType.ELECTRICITY else "EUR/m³", **MEASURED)
    await set_up(hass, both_entry)
    ean = GAS_EAN if kind is MeterType.GAS else ELEC_EAN
    setups = count_setups(monkeypatch)
    before = (saved(both_entry, ean), requests_sent(fluvius))
    result = await price_form(hass, both_entry, ean, "entity")
    assert offered(result) == [PRICE_ENTITY]
    if unit is None:
        hass.states.async_remove(PRICE_ENTITY)
    else:
        price_sensor(hass, unit, **MEASURED)
    typed = {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_OFFTAKE_OFFSET: 0.01}
    result = await configure(hass, result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "costs_entity"
    assert result["errors"] == {CONF_PRICE_ENTITY: error}
    assert suggested(result).items() >= typed.items()
    assert PRICE_ENTITY in offered(result)  # shown as typed, with its error
    await hass.async_block_till_done()
    assert (saved(both_entry, ean), requests_sent(fluvius)) == before
    assert setups == []


async def test_price_entity_not_chosen_or_gone(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """No entity chosen: the error on the entity field. A saved entity that no longer exists
    is still shown (and offered), with the error on submit."""
    await set_up(hass, both_entry)
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    result = await configure(hass, result["flow_id"], {CONF_FALLBACK_OFFTAKE: 0.3})
    assert result["errors"] == {CONF_PRICE_ENTITY: "price_entity_missing"}
    assert suggested(result).items() >= {CONF_FALLBACK_OFFTAKE: 0.3}.items()

    subentry = both_entry.subentries[subentry_id(ELEC_EAN)]
    gone = {CONF_PRICE_SOURCE: "entity", CONF_PRICE_ENTITY: "sensor.nordpool_nl"}
    hass.config_entries.async_update_subentry(both_entry, subentry, data={**subentry.data, **gone})
    await hass.async_block_till_done()
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    assert offered(result) == ["sensor.nordpool_nl"]
    assert suggested(result)[CONF_PRICE_ENTITY] == "sensor.nordpool_nl"
    result = await configure(hass, result["flow_id"], {CONF_PRICE_ENTITY: "sensor.nordpool_nl"})
    assert result["errors"] == {CONF_PRICE_ENTITY: "price_entity_missing"}


async def test_price_negative_refused(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """Fixed prices, fallback prices and the capacity price are never negative (injection
    is paid as a positive compensation): the form's own bounds refuse them."""
    price_sensor(hass, "EUR/kWh", **MEASURED)
    await set_up(hass, both_entry)
    before = saved(both_entry, ELEC_EAN)
    for source, typed in (
        ("fixed", {"price_injection_high": -0.05}),
        ("entity", {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_FALLBACK_INJECTION: -0.01}),
    ):
        result = await price_form(hass, both_entry, ELEC_EAN, source)
        with pytest.raises(InvalidData):
            await configure(hass, result["flow_id"], typed)
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    with pytest.raises(InvalidData):
        await configure(hass, result["flow_id"], {CONF_CAPACITY_PRICE: -1})
    assert saved(both_entry, ELEC_EAN) == before


async def test_correcting_a_period_replaces_its_prices(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """Fixed prices, then the same period corrected to a price entity: its fallback prices
    are pre-filled from the period's fixed prices (day tariff), and the period holds the
    entity's settings only. Corrected back to fixed prices, the form pre-fills what the
    period holds (the fallbacks are not fixed prices): the period's prices, not another's."""
    price_sensor(hass, "EUR/kWh", **MEASURED)
    await set_up(hass, both_entry)
    result = await price_form(hass, both_entry, ELEC_EAN, "fixed")
    await configure(hass, result["flow_id"], DUAL_PRICES)
    await hass.async_block_till_done()

    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    assert suggested(result) == {CONF_FALLBACK_OFFTAKE: 0.32, CONF_FALLBACK_INJECTION: 0.05}
    formula = {CONF_OFFTAKE_FACTOR: 1.21, CONF_OFFTAKE_OFFSET: 0.1}
    entity = {CONF_PRICE_ENTITY: PRICE_ENTITY, **formula, **suggested(result)}
    result = await configure(hass, result["flow_id"], entity)
    assert result["reason"] == "recosting"
    entity_keys = {**entity, CONF_INJECTION_FACTOR: 1, CONF_INJECTION_OFFSET: 0}
    assert saved(both_entry, ELEC_EAN) == with_prices(
        ELEC_EAN,
        ELEC_SERIAL,
        MeterType.ELECTRICITY,
        {CONF_PRICE_SOURCE: "entity", CONF_GAS_PRICE_UNIT: "m³", **entity_keys},
    )
    settings = stored_settings(both_entry, ELEC_EAN, MeterType.ELECTRICITY)
    assert settings.fixed == {}
    assert settings.entity_id == PRICE_ENTITY
    assert (settings.fallback_offtake, settings.fallback_injection) == (0.32, 0.05)
    await hass.async_block_till_done()

    result = await price_form(hass, both_entry, ELEC_EAN, "fixed")
    assert suggested(result) == {}
    result = await configure(hass, result["flow_id"], {"price_consumption_high": 0.35})
    assert only_period(both_entry, ELEC_EAN) == {
        CONF_PRICE_SOURCE: "fixed",
        **ELEC_PERIOD,
        "price_consumption_high": 0.35,
    }

    # Back to the entity: the period is fixed again, its day tariff the fallback.
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    assert suggested(result) == {CONF_FALLBACK_OFFTAKE: 0.35}


async def test_gas_entity_from_a_day_checks_the_fallback_unit(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A gas meter with a fixed price per m³ gets, from a past day on, an entity in €/MWh
    (gas priced per kWh): the fixed price in force that day pre-fills the fallback, but left
    as it is (a price per m³ where one per kWh is needed) it is refused on its field. The
    period before keeps its fixed price per m³, and shows it when corrected."""
    price_sensor(hass, "EUR/MWh", "45.2", **MEASURED)
    await set_up(hass, both_entry)
    result = await price_form(hass, both_entry, GAS_EAN, "fixed")
    await configure(hass, result["flow_id"], {CONF_GAS_PRICE: 1.25})
    await hass.async_block_till_done()
    day = dt_util.now().date() - timedelta(days=3)
    result = await new_prices_form(hass, both_entry, GAS_EAN, day, "entity")
    assert suggested(result) == {CONF_FALLBACK_GAS: 1.25}
    prefilled = {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_FALLBACK_GAS: 1.25}
    result = await configure(hass, result["flow_id"], prefilled)
    assert result["errors"] == {CONF_FALLBACK_GAS: "fallback_gas_unit"}
    typed = {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_FALLBACK_GAS: 0.11}
    result = await configure(hass, result["flow_id"], typed)
    assert result["reason"] == "recosting"
    first, second = saved(both_entry, GAS_EAN)["price_periods"]
    assert (first["from"], first[CONF_GAS_PRICE], first[CONF_GAS_PRICE_UNIT]) == (None, 1.25, "m³")
    assert (second["from"], second[CONF_GAS_PRICE_UNIT]) == (day.isoformat(), "kWh")
    assert (second[CONF_PRICE_ENTITY], second[CONF_FALLBACK_GAS]) == (PRICE_ENTITY, 0.11)
    assert CONF_GAS_PRICE not in second
    await hass.async_block_till_done()

    result = await correct_form(hass, both_entry, GAS_EAN, None, "fixed")
    assert suggested(result) == {CONF_GAS_PRICE: 1.25, CONF_GAS_PRICE_UNIT: "m³"}


async def set_up_imported(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Set an entry up and let its history imports finish."""
    await set_up(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_gas_fallback_prefilled_in_the_same_unit_is_kept(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A fixed gas price per m³, then an entity per m³: the pre-filled fallback is right as
    it is, and saved."""
    price_sensor(hass, "EUR/m³", "1.1", **MEASURED)
    await set_up(hass, both_entry)
    result = await price_form(hass, both_entry, GAS_EAN, "fixed")
    await configure(hass, result["flow_id"], {CONF_GAS_PRICE: 1.25})
    await hass.async_block_till_done()
    result = await price_form(hass, both_entry, GAS_EAN, "entity")
    typed = {CONF_PRICE_ENTITY: PRICE_ENTITY, **suggested(result)}
    result = await configure(hass, result["flow_id"], typed)
    assert result["reason"] == "recosting"
    data = only_period(both_entry, GAS_EAN)
    assert (data[CONF_FALLBACK_GAS], data[CONF_GAS_PRICE_UNIT]) == (1.25, "m³")


async def _first_and_last_imported_hour(hass: HomeAssistant) -> tuple[datetime, datetime]:
    """The electricity meter's oldest and newest hours in the recorder's statistics."""
    registers = ("consumption_high", "consumption_low", "injection_high", "injection_low")
    rows = await statistics_rows(hass, ELEC_EAN, registers)
    starts = [row["start"] for series in rows.values() for row in series]
    assert starts
    return datetime.fromtimestamp(min(starts), UTC), datetime.fromtimestamp(max(starts), UTC)


async def test_entity_without_history_confirmed(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A price sensor whose recorded history starts 5 days and 6 hours after the imported
    history's first hour, saved without fallback prices: before saving, a confirmation
    names the days that will have no cost (6: the day its history starts has unpriced
    hours). Going back shows the form as typed; with one fallback only it still warns; with
    both it saves without asking."""
    await set_up_imported(hass, both_entry)
    first, _ = await _first_and_last_imported_hour(hass)
    first_day = first.astimezone(BRUSSELS).date()
    assert first.astimezone(BRUSSELS).hour == 0  # the history starts with a whole day
    appeared = first + timedelta(days=5, hours=6)
    hass.states.async_set(
        PRICE_ENTITY,
        "0.25",
        {"unit_of_measurement": "EUR/kWh", **MEASURED},
        timestamp=appeared.timestamp(),
    )
    before = saved(both_entry, ELEC_EAN)

    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    typed = {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_OFFTAKE_OFFSET: 0.02}
    result = await configure(hass, result["flow_id"], typed)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "entity_unpriced"
    assert list(result["menu_options"]) == ["costs_save", "costs_entity"]
    assert result["description_placeholders"] == {
        "entity": PRICE_ENTITY,
        "days": "6",
        "first": first_day.isoformat(),
        "last": (first_day + timedelta(days=5)).isoformat(),
    }
    assert saved(both_entry, ELEC_EAN) == before

    # Back to the form: as typed.
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_entity"})
    assert result["step_id"] == "costs_entity"
    assert suggested(result).items() >= typed.items()
    assert CONF_FALLBACK_OFFTAKE not in suggested(result)
    result = await configure(hass, result["flow_id"], {**typed, CONF_FALLBACK_OFFTAKE: 0.3})
    assert result["step_id"] == "entity_unpriced"
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_entity"})
    assert suggested(result)[CONF_FALLBACK_OFFTAKE] == 0.3
    result = await configure(hass, result["flow_id"], {**typed, **FALLBACKS})
    assert result["reason"] == "recosting"
    assert only_period(both_entry, ELEC_EAN)[CONF_FALLBACK_INJECTION] == 0.04


@pytest.mark.parametrize("recorded", [True, False], ids=["appears_today", "never_recorded"])
async def test_entity_with_no_history_confirmed_then_saved(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    recorded: bool,
) -> None:
    """A price sensor added today (or never recorded): every imported day would have no
    cost, from the first imported day to the newest; "Save anyway" saves it as typed."""
    price_sensor(hass, "EUR/kWh", **MEASURED)
    if not recorded:

        async def nothing(_hass: HomeAssistant, _entity_id: str) -> None:
            return None

        monkeypatch.setattr("custom_components.fluvius.price_form.async_history_start", nothing)
    await set_up_imported(hass, both_entry)
    first, last = await _first_and_last_imported_hour(hass)
    first_day, last_day = first.astimezone(BRUSSELS).date(), last.astimezone(BRUSSELS).date()
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    result = await configure(hass, result["flow_id"], {CONF_PRICE_ENTITY: PRICE_ENTITY})
    assert result["step_id"] == "entity_unpriced"
    assert result["description_placeholders"] == {
        "entity": PRICE_ENTITY,
        "days": str((last_day - first_day).days + 1),
        "first": first_day.isoformat(),
        "last": last_day.isoformat(),
    }
    assert (last_day - first_day).days + 1 >= TEST_HISTORY_DAYS
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_save"})
    assert result["reason"] == "recosting"
    data = only_period(both_entry, ELEC_EAN)
    assert (data[CONF_PRICE_SOURCE], data[CONF_PRICE_ENTITY]) == ("entity", PRICE_ENTITY)
    assert not set(data) & ELEC_FALLBACKS


async def test_entity_covering_the_history_needs_no_confirmation(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A price sensor recorded since before the imported history starts, with long-term
    statistics: saved without a fallback and without a confirmation."""
    await set_up_imported(hass, both_entry)
    first, _ = await _first_and_last_imported_hour(hass)
    hass.states.async_set(
        PRICE_ENTITY,
        "0.25",
        {"unit_of_measurement": "EUR/kWh", **MEASURED},
        timestamp=(first - timedelta(hours=1)).timestamp(),
    )
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    result = await configure(hass, result["flow_id"], {CONF_PRICE_ENTITY: PRICE_ENTITY})
    assert result["reason"] == "recosting"


@pytest.mark.parametrize(
    ("fallbacks", "step"),
    [(FALLBACKS, "entity_no_state_class"), ({}, "entity_unpriced_no_state_class")],
    ids=["with_fallbacks", "without_fallbacks"],
)
async def test_entity_without_state_class_confirmed(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    fallbacks: dict[str, float],
    step: str,
) -> None:
    """A price sensor without a state class (Home Assistant keeps no long-term statistics of
    it): a confirmation says so, with fallbacks or without (then with the days too)."""
    hass.states.async_set(
        PRICE_ENTITY, "0.25", {"unit_of_measurement": "EUR/kWh", "friendly_name": "Price"}
    )
    await set_up_imported(hass, both_entry)
    result = await price_form(hass, both_entry, ELEC_EAN, "entity")
    result = await configure(
        hass, result["flow_id"], {CONF_PRICE_ENTITY: PRICE_ENTITY, **fallbacks}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == step
    placeholders = result["description_placeholders"]
    assert placeholders["entity"] == f"Price ({PRICE_ENTITY})"
    assert ("days" in placeholders) is not bool(fallbacks)
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_save"})
    assert result["reason"] == "recosting"
    assert only_period(both_entry, ELEC_EAN)[CONF_PRICE_ENTITY] == PRICE_ENTITY


async def test_capacity_tariff(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """The capacity tariff of a meter without one: a form (one period, nothing to remove)
    with a price in EUR per kW per year and the month it applies from (this month by
    default); without a month, from the start of the history: that period is corrected.
    Stored as capacity periods only, whatever the energy prices' source."""
    await set_up(hass, both_entry)
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "capacity_price"
    assert fields(result) == {CONF_CAPACITY_PRICE, "start"}
    assert selector(result, CONF_CAPACITY_PRICE).config["unit_of_measurement"] == "eur_per_kw_year"
    assert result["description_placeholders"]["currency"] == "EUR"
    assert result["description_placeholders"]["periods"] == (
        "- **Start of the history**: no capacity price"
    )
    month = dt_util.now().date().replace(day=1)
    assert suggested(result) == {"start": month.isoformat()}
    result = await configure(hass, result["flow_id"], {CONF_CAPACITY_PRICE: 53.55})
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, ELEC_EAN) == {
        **without_prices(ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY),
        "price_periods": [{"from": None, CONF_PRICE_SOURCE: "none", **ELEC_PERIOD}],
        "capacity_periods": [{"from": None, CONF_CAPACITY_PRICE: 53.55}],
    }
    await hass.async_block_till_done()
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    assert suggested(result) == {CONF_CAPACITY_PRICE: 53.55, "start": month.isoformat()}
    result = await configure(hass, result["flow_id"], {})
    assert saved(both_entry, ELEC_EAN)["capacity_periods"] == NO_CAPACITY


@pytest.mark.parametrize(
    ("source", "typed", "unit", "stored"),
    [
        (
            "fixed",
            {CONF_GAS_PRICE: 1.25},
            None,
            {CONF_PRICE_SOURCE: "fixed", CONF_GAS_PRICE: 1.25, CONF_GAS_PRICE_UNIT: "m³"},
        ),
        (
            "fixed",
            {CONF_GAS_PRICE: 0.11, CONF_GAS_PRICE_UNIT: "kWh"},
            None,
            {CONF_PRICE_SOURCE: "fixed", CONF_GAS_PRICE: 0.11, CONF_GAS_PRICE_UNIT: "kWh"},
        ),
        # The entity's unit decides the gas register it prices.
        (
            "entity",
            {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_FALLBACK_GAS: 1.2},
            "EUR/m³",
            {
                CONF_PRICE_SOURCE: "entity",
                CONF_PRICE_ENTITY: PRICE_ENTITY,
                CONF_OFFTAKE_FACTOR: 1,
                CONF_OFFTAKE_OFFSET: 0,
                CONF_FALLBACK_GAS: 1.2,
                CONF_GAS_PRICE_UNIT: "m³",
            },
        ),
        (
            "entity",
            {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_OFFTAKE_OFFSET: 0.004, CONF_FALLBACK_GAS: 0.1},
            "EUR/MWh",
            {
                CONF_PRICE_SOURCE: "entity",
                CONF_PRICE_ENTITY: PRICE_ENTITY,
                CONF_OFFTAKE_FACTOR: 1,
                CONF_OFFTAKE_OFFSET: 0.004,
                CONF_FALLBACK_GAS: 0.1,
                CONF_GAS_PRICE_UNIT: "kWh",
            },
        ),
        (
            "entity",
            {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_FALLBACK_GAS: 1.2},
            "c€/m³",
            {
                CONF_PRICE_SOURCE: "entity",
                CONF_PRICE_ENTITY: PRICE_ENTITY,
                CONF_OFFTAKE_FACTOR: 1,
                CONF_OFFTAKE_OFFSET: 0,
                CONF_FALLBACK_GAS: 1.2,
                CONF_GAS_PRICE_UNIT: "m³",
            },
        ),
    ],
    ids=["fixed_per_m3", "fixed_per_kwh", "entity_per_m3", "entity_per_mwh", "entity_cents_m3"],
)
async def test_price_gas_saved(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    source: str,
    typed: dict[str, Any],
    unit: str | None,
    stored: dict[str, Any],
) -> None:
    """A gas meter's price: fixed per m³ or kWh, or an entity per m³, kWh or MWh with its
    fallback; no electricity keys, no capacity tariff."""
    if unit is not None:
        price_sensor(hass, unit, "0.9", **MEASURED)
    await set_up(hass, both_entry)
    result = await price_form(hass, both_entry, GAS_EAN, source)
    result = await configure(hass, result["flow_id"], typed)
    assert result["reason"] == "recosting"
    formula = {CONF_OFFTAKE_FACTOR: 1, CONF_OFFTAKE_OFFSET: 0, **DEFAULT_FORMULA}
    period = {**formula, **stored} if source == "entity" else {**DEFAULT_FORMULA, **stored}
    assert saved(both_entry, GAS_EAN) == with_prices(GAS_EAN, GAS_SERIAL, MeterType.GAS, period)
