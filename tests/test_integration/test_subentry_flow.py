"""Meter subentry flows: "Add meter" to an account entry, and a meter's settings.

Adding a meter reuses the loaded account's sign-in (no password asked, no new login). The
settings (serial, days of history, where statistics imports stop) never include the EAN,
which identifies the meter. Its prices are two sections of the settings form ("costs", and
for electricity "capacity"), stored flat in the meter's subentry data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import (
    CONF_CAPACITY_PRICE,
    CONF_EAN,
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
from tests.entries import ELEC, GAS, account_entry, coordinator, subentry_id
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


async def add_meter(hass: HomeAssistant, entry: ConfigEntry) -> FlowResult:
    """Open "Add meter" on an entry."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, "meter"), context={"source": SOURCE_USER}
    )


async def meter_settings(hass: HomeAssistant, entry: ConfigEntry, ean: str) -> FlowResult:
    """Open the settings of one meter of an entry."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, "meter"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id(ean)},
    )


async def configure(hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]) -> FlowResult:
    """Submit a subentry flow's form."""
    return await hass.config_entries.subentries.async_configure(flow_id, user_input)


def settings_input(
    serial: str = GAS_SERIAL, history_days: float = TEST_HISTORY_DAYS, **extra: Any
) -> dict[str, Any]:
    """The meter settings form, filled in."""
    return {CONF_METER_SERIAL: serial, CONF_HISTORY_DAYS: history_days, **extra}


# The price sections of the settings form, and the fields each meter's form shows.
COSTS = "costs"
CAPACITY = "capacity"
HIGH_LOW = {
    "price_consumption_high",
    "price_consumption_low",
    "price_injection_high",
    "price_injection_low",
}
SINGLE = {"price_consumption_single", "price_injection_single"}
ELEC_FORMULA = {
    CONF_OFFTAKE_FACTOR,
    CONF_OFFTAKE_OFFSET,
    CONF_INJECTION_FACTOR,
    CONF_INJECTION_OFFSET,
}
GAS_COSTS = {
    CONF_PRICE_SOURCE,
    CONF_GAS_PRICE,
    CONF_GAS_PRICE_UNIT,
    CONF_PRICE_ENTITY,
    CONF_OFFTAKE_FACTOR,
    CONF_OFFTAKE_OFFSET,
}
PRICE_ENTITY = "sensor.nordpool_be"


def section_schema(result: FlowResult, name: str) -> Any:
    """The schema of one section of a shown form."""
    for key, value in result["data_schema"].schema.items():
        if str(key) == name:
            return value.schema
    raise KeyError(name)


def section_fields(result: FlowResult, name: str) -> set[str]:
    """The names of the fields of one section of a shown form."""
    return {str(key) for key in section_schema(result, name).schema}


def section_suggested(result: FlowResult, name: str) -> dict[str, Any]:
    """What one section of a shown form pre-fills."""
    values: dict[str, Any] = {}
    for key in section_schema(result, name).schema:
        description = getattr(key, "description", None) or {}
        if "suggested_value" in description:
            values[str(key)] = description["suggested_value"]
    return values


def costs(source: str, **values: Any) -> dict[str, Any]:
    """The costs section, filled in."""
    return {CONF_PRICE_SOURCE: source, **values}


def price_input(
    serial: str, cost: dict[str, Any], capacity: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The settings form with its price sections (the days of history unchanged)."""
    typed = settings_input(serial, **{COSTS: cost})
    if capacity is not None:
        typed[CAPACITY] = capacity
    return typed


def saved(entry: ConfigEntry, ean: str) -> dict[str, Any]:
    """A meter's subentry data."""
    return dict(entry.subentries[subentry_id(ean)].data)


def without_prices(ean: str, serial: str, kind: MeterType) -> dict[str, Any]:
    """A meter's subentry data with no price settings, as the test entries start."""
    return {
        CONF_EAN: ean,
        CONF_METER_SERIAL: serial,
        CONF_METER_TYPE: kind.value,
        CONF_HISTORY_DAYS: TEST_HISTORY_DAYS,
        CONF_IMPORT_UNTIL: None,
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
    client; one subentry more, the entry reloaded once with both meters on one client, its
    sensors true, and still the one login of the setup."""
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
    assert setups == [entry.entry_id]  # reloaded once, with the new meter
    assert set(entry.runtime_data.meters) == set(entry.subentries)
    assert coordinator(entry, first[0]).account.client is coordinator(entry, ean).account.client
    assert_sensors_match_truth(hass, fluvius, first[0])
    assert_sensors_match_truth(hass, fluvius, ean)
    assert fluvius.stats.logins == 1
    assert fluvius.stats.requests["self_asserted"] == 1


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


async def test_settings_form(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """Serial, days of history and the optional import stop, pre-filled; no EAN; then
    the prices: a gas meter's form has gas prices only, and no capacity tariff."""
    await set_up(hass, both_entry)
    result = await meter_settings(hass, both_entry, GAS_EAN)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert fields(result) == {CONF_METER_SERIAL, CONF_HISTORY_DAYS, CONF_IMPORT_UNTIL, COSTS}
    assert section_fields(result, COSTS) == GAS_COSTS
    assert section_suggested(result, COSTS) == {}  # no prices yet: the defaults show
    assert CONF_EAN not in fields(result)
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

    result = await meter_settings(hass, entry, GAS_EAN)
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


async def test_settings_change_reloads_loaded_entry(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New days of history and an import stop are saved (the EAN and type kept), and the
    entry reloads once with them, without a login."""
    await set_up(hass, both_entry)
    setups = count_setups(monkeypatch)
    before = requests_sent(fluvius)
    result = await meter_settings(hass, both_entry, ELEC_EAN)
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
    await hass.async_block_till_done()
    assert setups == [both_entry.entry_id]
    assert both_entry.state is ConfigEntryState.LOADED
    assert coordinator(both_entry, ELEC_EAN).meter.history_days == 30
    assert fluvius.stats.logins == 1

    # The form shows the saved settings; the import stop can be cleared again.
    result = await meter_settings(hass, both_entry, ELEC_EAN)
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
    result = await meter_settings(hass, both_entry, GAS_EAN)
    typed = settings_input(GAS_SERIAL, days)
    result = await configure(hass, result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
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
    sections = meter["step"]["reconfigure"]["sections"]
    for name, shown in (
        (COSTS, GAS_COSTS | HIGH_LOW | SINGLE | ELEC_FORMULA),
        (CAPACITY, {CONF_CAPACITY_PRICE}),
    ):
        assert sections[name]["name"]
        assert sections[name]["description"]
        for part in ("data", "data_description"):
            assert {key for key, text in sections[name][part].items() if text} == shown, part
    options = texts["selector"][CONF_PRICE_SOURCE]["options"]
    assert {key for key, text in options.items() if text} == {"none", "fixed", "entity"}
    for key in ("already_configured_meter", "account_not_loaded", "reconfigure_successful"):
        assert meter["abort"][key]
    assert set(meter["step"]["reconfigure"]["data"]) == {
        CONF_METER_SERIAL,
        CONF_HISTORY_DAYS,
        CONF_IMPORT_UNTIL,
    }


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
    result = await meter_settings(hass, entry, GAS_EAN)
    result = await configure(hass, result["flow_id"], settings_input(GAS_SERIAL))
    assert result["errors"] == {"base": "invalid_auth"}
    assert fluvius.stats.requests["self_asserted"] == attempts
    assert entry.subentries[subentry_id(GAS_EAN)].data[CONF_METER_SERIAL] == WRONG_SERIAL


# --- a meter's prices ---------------------------------------------------------------------


async def test_price_form_electricity(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A dual-tariff meter's prices: high and low, the price entity with a formula per
    direction, and the capacity tariff; the sections do not change the other fields."""
    await set_up(hass, both_entry)
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    assert fields(result) == {
        CONF_METER_SERIAL,
        CONF_HISTORY_DAYS,
        CONF_IMPORT_UNTIL,
        COSTS,
        CAPACITY,
    }
    assert section_fields(result, COSTS) == {
        CONF_PRICE_SOURCE,
        *HIGH_LOW,
        CONF_PRICE_ENTITY,
        *ELEC_FORMULA,
    }
    assert section_fields(result, CAPACITY) == {CONF_CAPACITY_PRICE}
    assert suggested(result) == {
        CONF_METER_SERIAL: ELEC_SERIAL,
        CONF_HISTORY_DAYS: TEST_HISTORY_DAYS,
    }
    assert section_suggested(result, COSTS) == section_suggested(result, CAPACITY) == {}
    defaults = {
        str(key): key.default()
        for key in section_schema(result, COSTS).schema
        if callable(key.default)
    }
    assert defaults == {
        CONF_PRICE_SOURCE: "none",
        CONF_OFFTAKE_FACTOR: 1,
        CONF_OFFTAKE_OFFSET: 0,
        CONF_INJECTION_FACTOR: 1,
        CONF_INJECTION_OFFSET: 0,
    }


async def test_price_form_single_tariff(
    hass: HomeAssistant, fluvius: FluviusSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A meter whose data has single registers only is priced on them: its form asks for
    one offtake and one injection price, and saves them under those registers."""
    entry = make_entry(hass, SINGLE_EAN, SINGLE_SERIAL)
    await set_up(hass, entry)
    assert fluvius.truth(SINGLE_EAN).meter.tariff == "single"
    result = await meter_settings(hass, entry, SINGLE_EAN)
    assert section_fields(result, COSTS) == {
        CONF_PRICE_SOURCE,
        *SINGLE,
        CONF_PRICE_ENTITY,
        *ELEC_FORMULA,
    }
    setups = count_setups(monkeypatch)
    prices = {"price_consumption_single": 0.31, "price_injection_single": 0.04}
    result = await configure(
        hass, result["flow_id"], price_input(SINGLE_SERIAL, costs("fixed", **prices), {})
    )
    assert result["reason"] == "reconfigure_successful"
    assert saved(entry, SINGLE_EAN) == {
        **without_prices(SINGLE_EAN, SINGLE_SERIAL, MeterType.ELECTRICITY),
        CONF_PRICE_SOURCE: "fixed",
        **prices,
    }
    await hass.async_block_till_done()
    assert setups == [entry.entry_id]
    result = await meter_settings(hass, entry, SINGLE_EAN)
    assert section_suggested(result, COSTS) == {CONF_PRICE_SOURCE: "fixed", **prices}


async def test_price_fixed_saved_and_reloaded(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fixed prices (and a capacity price) are stored flat in the meter's data, with nothing
    else changed; changing only prices reloads the entry once, without a request or login;
    the form shows them again."""
    await set_up(hass, both_entry)
    setups = count_setups(monkeypatch)
    before = requests_sent(fluvius)
    gas = saved(both_entry, GAS_EAN)
    prices = {
        "price_consumption_high": 0.32,
        "price_consumption_low": 0.27,
        "price_injection_high": 0.05,
        "price_injection_low": 0,
    }
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    result = await configure(
        hass,
        result["flow_id"],
        price_input(ELEC_SERIAL, costs("fixed", **prices), {CONF_CAPACITY_PRICE: 53.55}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, ELEC_EAN) == {
        **without_prices(ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY),
        CONF_PRICE_SOURCE: "fixed",
        **prices,
        CONF_CAPACITY_PRICE: 53.55,
    }
    assert saved(both_entry, GAS_EAN) == gas  # the other meter untouched
    assert requests_sent(fluvius) == before  # the serial did not change: no probe
    await hass.async_block_till_done()
    assert setups == [both_entry.entry_id]
    assert both_entry.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1

    result = await meter_settings(hass, both_entry, ELEC_EAN)
    assert section_suggested(result, COSTS) == {CONF_PRICE_SOURCE: "fixed", **prices}
    assert section_suggested(result, CAPACITY) == {CONF_CAPACITY_PRICE: 53.55}

    # Saving the same again changes nothing, so nothing reloads.
    result = await configure(
        hass,
        result["flow_id"],
        price_input(ELEC_SERIAL, costs("fixed", **prices), {CONF_CAPACITY_PRICE: 53.55}),
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setups == [both_entry.entry_id]


@pytest.mark.parametrize(
    ("state", "unit"),
    [
        ("0.1234", "EUR/kWh"),
        ("-0.0125", "€/kWh"),  # market prices go negative
        ("123.4", "EUR/MWh"),
        ("-12.5", "€/MWh"),
    ],
)
async def test_price_entity_saved(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    state: str,
    unit: str,
) -> None:
    """A price entity in a currency per kWh or MWh, with the contract's formula per
    direction (negative offsets allowed), is stored with the formula; fixed prices typed
    too are not (they belong to the other source); the entry reloads once."""
    hass.states.async_set(PRICE_ENTITY, state, {"unit_of_measurement": unit})
    await set_up(hass, both_entry)
    setups = count_setups(monkeypatch)
    formula = {
        CONF_OFFTAKE_FACTOR: 1.1,
        CONF_OFFTAKE_OFFSET: 0.012,
        CONF_INJECTION_FACTOR: 0.9,
        CONF_INJECTION_OFFSET: -0.015,
    }
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    typed = costs(
        "entity", **{CONF_PRICE_ENTITY: PRICE_ENTITY, "price_consumption_high": 0.3}, **formula
    )
    result = await configure(hass, result["flow_id"], price_input(ELEC_SERIAL, typed, {}))
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, ELEC_EAN) == {
        **without_prices(ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY),
        CONF_PRICE_SOURCE: "entity",
        CONF_PRICE_ENTITY: PRICE_ENTITY,
        **formula,
    }
    await hass.async_block_till_done()
    assert setups == [both_entry.entry_id]

    result = await meter_settings(hass, both_entry, ELEC_EAN)
    assert section_suggested(result, COSTS) == {
        CONF_PRICE_SOURCE: "entity",
        CONF_PRICE_ENTITY: PRICE_ENTITY,
        **formula,
    }


async def test_price_entity_default_formula(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A formula left empty is the entity's price as is: factor 1, offset 0."""
    hass.states.async_set(PRICE_ENTITY, "0.1234", {"unit_of_measurement": "EUR/kWh"})
    await set_up(hass, both_entry)
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    typed = costs("entity", **{CONF_PRICE_ENTITY: PRICE_ENTITY})
    result = await configure(hass, result["flow_id"], price_input(ELEC_SERIAL, typed, {}))
    assert result["reason"] == "reconfigure_successful"
    data = saved(both_entry, ELEC_EAN)
    assert {key: data[key] for key in ELEC_FORMULA} == {
        CONF_OFFTAKE_FACTOR: 1,
        CONF_OFFTAKE_OFFSET: 0,
        CONF_INJECTION_FACTOR: 1,
        CONF_INJECTION_OFFSET: 0,
    }


@pytest.mark.parametrize(
    ("kind", "typed", "unit", "error"),
    [
        (MeterType.ELECTRICITY, costs("fixed"), None, "fixed_price_missing"),
        (
            MeterType.GAS,
            costs("fixed", **{CONF_GAS_PRICE_UNIT: "kWh"}),
            None,
            "fixed_price_missing",
        ),
        (
            MeterType.ELECTRICITY,
            costs("entity", price_consumption_high=0.3),
            None,
            "price_entity_missing",
        ),
        (
            MeterType.ELECTRICITY,
            costs("entity", price_entity="sensor.nordpool_nl"),
            None,
            "price_entity_missing",
        ),
        (MeterType.GAS, costs("entity"), None, "price_entity_missing"),
        (
            MeterType.ELECTRICITY,
            costs("entity", price_entity=PRICE_ENTITY),
            "W",
            "price_entity_unit",
        ),
        (
            MeterType.ELECTRICITY,
            costs("entity", price_entity=PRICE_ENTITY),
            "kWh",
            "price_entity_unit",
        ),
        (
            MeterType.ELECTRICITY,
            costs("entity", price_entity=PRICE_ENTITY),
            "USD/kWh",
            "price_entity_currency",
        ),
        (
            MeterType.ELECTRICITY,
            costs("entity", price_entity=PRICE_ENTITY),
            "$/MWh",
            "price_entity_currency",
        ),
        (
            MeterType.GAS,
            costs("entity", price_entity=PRICE_ENTITY),
            "GBP/m³",
            "price_entity_currency",
        ),
        (
            MeterType.ELECTRICITY,
            costs("entity", price_entity=PRICE_ENTITY),
            "c€/kW",
            "price_entity_unit",
        ),
        (
            MeterType.ELECTRICITY,
            costs("entity", price_entity=PRICE_ENTITY),
            "EUR/m³",
            "price_entity_unit",
        ),
        (MeterType.GAS, costs("entity", price_entity=PRICE_ENTITY), "EUR/kW", "price_entity_unit"),
    ],
    ids=[
        "fixed_without_price",
        "gas_fixed_without_price",
        "entity_not_chosen",
        "entity_not_existing",
        "gas_entity_not_chosen",
        "unit_power",
        "unit_without_currency",
        "currency_usd",
        "currency_dollar_symbol",
        "gas_currency_gbp",
        "unit_cents_power",
        "electricity_per_m3",
        "gas_per_kw",
    ],
)
async def test_price_errors(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    kind: MeterType,
    typed: dict[str, Any],
    unit: str | None,
    error: str,
) -> None:
    """Prices that cannot work: a translated error on the costs section, what was typed
    shown again, nothing saved, no reload, no request."""
    if unit is not None:
        hass.states.async_set(PRICE_ENTITY, "0.1234", {"unit_of_measurement": unit})
    await set_up(hass, both_entry)
    ean, serial = (GAS_EAN, GAS_SERIAL) if kind is MeterType.GAS else (ELEC_EAN, ELEC_SERIAL)
    setups = count_setups(monkeypatch)
    before = (saved(both_entry, ean), requests_sent(fluvius))
    result = await meter_settings(hass, both_entry, ean)
    form = price_input(serial, typed)
    result = await configure(hass, result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {COSTS: error}
    assert suggested(result) == settings_input(serial)
    assert section_suggested(result, COSTS).items() >= typed.items()
    await hass.async_block_till_done()
    assert (saved(both_entry, ean), requests_sent(fluvius)) == before
    assert setups == []


@pytest.mark.parametrize(
    ("currency", "unit", "error"),
    [
        ("EUR", "c€/kWh", None),
        ("EUR", "ct/kWh", None),
        ("EUR", "c€/MWh", None),
        ("EUR", "€/kWh", None),
        ("EUR", "USD/kWh", "price_entity_currency"),
        ("USD", "USD/kWh", None),
        ("USD", "ct/kWh", "price_entity_currency"),
    ],
)
async def test_price_entity_unit_and_currency(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    currency: str,
    unit: str,
    error: str | None,
) -> None:
    """A price entity in euro cents (c€, ct) is accepted as the costing reads it (the same
    parser, × 0.01); one in another currency than Home Assistant's is refused, with the
    error on the costs section."""
    hass.config.currency = currency
    hass.states.async_set(PRICE_ENTITY, "12.34", {"unit_of_measurement": unit})
    await set_up(hass, both_entry)
    before = saved(both_entry, ELEC_EAN)
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    typed = costs("entity", **{CONF_PRICE_ENTITY: PRICE_ENTITY})
    result = await configure(hass, result["flow_id"], price_input(ELEC_SERIAL, typed))
    if error is None:
        assert result["reason"] == "reconfigure_successful"
        assert saved(both_entry, ELEC_EAN)[CONF_PRICE_ENTITY] == PRICE_ENTITY
    else:
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {COSTS: error}
        assert saved(both_entry, ELEC_EAN) == before
    await hass.async_block_till_done()


async def test_price_negative_fixed_refused(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """Fixed prices and the capacity price are never negative (injection is paid as a
    positive compensation): the form's own bounds refuse them."""
    await set_up(hass, both_entry)
    for typed, capacity in (
        (costs("fixed", price_injection_high=-0.05), {}),
        (costs("none"), {CONF_CAPACITY_PRICE: -1}),
    ):
        result = await meter_settings(hass, both_entry, ELEC_EAN)
        with pytest.raises(InvalidData):
            await configure(hass, result["flow_id"], price_input(ELEC_SERIAL, typed, capacity))
    assert CONF_PRICE_SOURCE not in saved(both_entry, ELEC_EAN)


async def test_price_source_none_removes_prices(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Switching back to no costs removes every price key, and the capacity price once
    its field is cleared; the meter's other settings stay; each change reloads once."""
    hass.states.async_set(PRICE_ENTITY, "0.1234", {"unit_of_measurement": "EUR/kWh"})
    await set_up(hass, both_entry)
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    entity = costs("entity", **{CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_OFFTAKE_OFFSET: 0.01})
    result = await configure(
        hass,
        result["flow_id"],
        price_input(ELEC_SERIAL, entity, {CONF_CAPACITY_PRICE: 53.55}),
    )
    assert saved(both_entry, ELEC_EAN)[CONF_PRICE_SOURCE] == "entity"
    await hass.async_block_till_done()

    setups = count_setups(monkeypatch)
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    result = await configure(
        hass,
        result["flow_id"],
        price_input(ELEC_SERIAL, costs("none"), {CONF_CAPACITY_PRICE: 53.55}),
    )
    assert result["reason"] == "reconfigure_successful"
    # The capacity tariff does not depend on the energy prices' source.
    assert saved(both_entry, ELEC_EAN) == {
        **without_prices(ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY),
        CONF_CAPACITY_PRICE: 53.55,
    }
    await hass.async_block_till_done()
    assert setups == [both_entry.entry_id]

    result = await meter_settings(hass, both_entry, ELEC_EAN)
    assert section_suggested(result, COSTS) == {}
    result = await configure(hass, result["flow_id"], price_input(ELEC_SERIAL, costs("none"), {}))
    assert saved(both_entry, ELEC_EAN) == without_prices(
        ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY
    )
    await hass.async_block_till_done()
    assert setups == [both_entry.entry_id] * 2


async def test_price_form_without_sections_keeps_prices(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A settings form submitted without its price sections (as before they existed)
    changes the other settings only: the saved prices stay."""
    await set_up(hass, both_entry)
    prices = {"price_consumption_high": 0.32}
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    result = await configure(
        hass,
        result["flow_id"],
        price_input(ELEC_SERIAL, costs("fixed", **prices), {CONF_CAPACITY_PRICE: 53.55}),
    )
    await hass.async_block_till_done()
    result = await meter_settings(hass, both_entry, ELEC_EAN)
    result = await configure(hass, result["flow_id"], settings_input(ELEC_SERIAL, 30))
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, ELEC_EAN) == {
        **without_prices(ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY),
        CONF_HISTORY_DAYS: 30,
        CONF_PRICE_SOURCE: "fixed",
        **prices,
        CONF_CAPACITY_PRICE: 53.55,
    }


@pytest.mark.parametrize(
    ("typed", "unit", "stored"),
    [
        (
            costs("fixed", **{CONF_GAS_PRICE: 1.25}),
            None,
            {CONF_PRICE_SOURCE: "fixed", CONF_GAS_PRICE: 1.25, CONF_GAS_PRICE_UNIT: "m³"},
        ),
        (
            costs("fixed", **{CONF_GAS_PRICE: 0.11, CONF_GAS_PRICE_UNIT: "kWh"}),
            None,
            {CONF_PRICE_SOURCE: "fixed", CONF_GAS_PRICE: 0.11, CONF_GAS_PRICE_UNIT: "kWh"},
        ),
        # The entity's unit decides the gas register it prices, whatever the unit field.
        (
            costs("entity", **{CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_GAS_PRICE_UNIT: "kWh"}),
            "EUR/m³",
            {
                CONF_PRICE_SOURCE: "entity",
                CONF_PRICE_ENTITY: PRICE_ENTITY,
                CONF_OFFTAKE_FACTOR: 1,
                CONF_OFFTAKE_OFFSET: 0,
                CONF_GAS_PRICE_UNIT: "m³",
            },
        ),
        (
            costs("entity", **{CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_OFFTAKE_OFFSET: 0.004}),
            "EUR/MWh",
            {
                CONF_PRICE_SOURCE: "entity",
                CONF_PRICE_ENTITY: PRICE_ENTITY,
                CONF_OFFTAKE_FACTOR: 1,
                CONF_OFFTAKE_OFFSET: 0.004,
                CONF_GAS_PRICE_UNIT: "kWh",
            },
        ),
        (
            costs("entity", **{CONF_PRICE_ENTITY: PRICE_ENTITY}),
            "c€/m³",
            {
                CONF_PRICE_SOURCE: "entity",
                CONF_PRICE_ENTITY: PRICE_ENTITY,
                CONF_OFFTAKE_FACTOR: 1,
                CONF_OFFTAKE_OFFSET: 0,
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
    typed: dict[str, Any],
    unit: str | None,
    stored: dict[str, Any],
) -> None:
    """A gas meter's price: fixed per m³ or kWh, or an entity per m³, kWh or MWh; no
    electricity keys, no capacity tariff."""
    if unit is not None:
        hass.states.async_set(PRICE_ENTITY, "0.9", {"unit_of_measurement": unit})
    await set_up(hass, both_entry)
    result = await meter_settings(hass, both_entry, GAS_EAN)
    result = await configure(hass, result["flow_id"], price_input(GAS_SERIAL, typed))
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, GAS_EAN) == {
        **without_prices(GAS_EAN, GAS_SERIAL, MeterType.GAS),
        **stored,
    }
