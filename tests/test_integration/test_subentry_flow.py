"""Meter subentry flows: "Add meter" to an account entry, and a meter's settings.

Adding a meter reuses the loaded account's sign-in (no password asked, no new login). The
settings (serial, days of history, where statistics imports stop) never include the EAN,
which identifies the meter.
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
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import (
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_IMPORT_UNTIL,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
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
    """Serial, days of history and the optional import stop, pre-filled; no EAN."""
    await set_up(hass, both_entry)
    result = await meter_settings(hass, both_entry, GAS_EAN)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert fields(result) == {CONF_METER_SERIAL, CONF_HISTORY_DAYS, CONF_IMPORT_UNTIL}
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
    assert {key for key, text in meter["error"].items() if text} >= FLOW_ERRORS
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
