"""Config flow: every path against the simulator over real HTTP."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.errors import FluviusNoDataError
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.config_flow import InvalidEan, normalize_ean
from custom_components.fluvius.const import (
    CONF_DIALECTS,
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DEFAULT_HISTORY_DAYS,
    DOMAIN,
    MAX_HISTORY_DAYS,
)
from custom_components.fluvius.coordinator import DATA_ACCOUNTS
from tests.simulator import FluviusSimulator
from tests.simulator.demo import (
    CONFIRM_ERROR_EMAIL,
    CONFIRM_ERROR_PASSWORD,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DISABLED_EMAIL,
    DISABLED_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    MFA_EAN,
    MFA_EMAIL,
    MFA_PASSWORD,
    MFA_SERIAL,
    OTHER_EAN,
    OTHER_SERIAL,
    make_ean,
)

from .conftest import make_entry


def user_input(
    ean: str = ELEC_EAN,
    serial: str = ELEC_SERIAL,
    email: str = DEMO_EMAIL,
    password: str = DEMO_PASSWORD,
) -> dict[str, Any]:
    """The user step's form, filled in."""
    return {CONF_EMAIL: email, CONF_PASSWORD: password, CONF_EAN: ean, CONF_METER_SERIAL: serial}


async def start(hass: HomeAssistant) -> str:
    """Open the user step; return the flow id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result["flow_id"]


@pytest.mark.parametrize(
    ("ean", "serial", "meter_type", "title"),
    [
        (ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY, f"Electricity meter …{ELEC_EAN[-4:]}"),
        (GAS_EAN, GAS_SERIAL, MeterType.GAS, f"Gas meter …{GAS_EAN[-4:]}"),
    ],
)
async def test_user_success(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    ean: str,
    serial: str,
    meter_type: MeterType,
    title: str,
) -> None:
    """One login and a probe detect the meter type; the title hides the EAN."""
    flow_id = await start(hass)
    spaced = " ".join(ean[i : i + 3] for i in range(0, 18, 3))
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(spaced, f" {serial} ")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert ean not in result["title"]
    data = result["data"]
    assert data[CONF_EAN] == ean
    assert data[CONF_METER_SERIAL] == serial
    assert data[CONF_METER_TYPE] == meter_type.value
    assert data[CONF_DIALECTS]["meters"]  # the discovered dialect is recorded
    assert result["options"] == {CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS}
    assert result["result"].unique_id == ean
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    # The entry reused the flow's token: the account logged in once in total.
    assert fluvius.stats.logins == 1


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (user_input(password="wrong-password"), "invalid_auth"),
        (user_input(email="nobody@fluvius.test"), "invalid_auth"),
        (user_input(email=DISABLED_EMAIL, password=DISABLED_PASSWORD), "account_locked"),
        (user_input(MFA_EAN, MFA_SERIAL, MFA_EMAIL, MFA_PASSWORD), "interaction_required"),
        (user_input(OTHER_EAN, OTHER_SERIAL), "meter_not_found"),
    ],
)
async def test_user_account_errors(
    hass: HomeAssistant, fluvius: FluviusSimulator, form: dict[str, Any], error: str
) -> None:
    """Account problems are reported as translated form errors; then the user recovers."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    result = await hass.config_entries.flow.async_configure(flow_id, user_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("endpoint", "kind", "params", "error"),
    [
        ("msal_config", "rate_limit", {"seconds": 30}, "rate_limited"),
        ("self_asserted", "b2c_error", {"code": "AADB2C90244"}, "rate_limited"),
        ("measurements", "rate_limit", {"seconds": 30}, "rate_limited"),
        ("authorize", "reset", {}, "cannot_connect"),
        ("token", "server_error", {"status": 503}, "cannot_connect"),
        ("msal_config", "invalid_json", {}, "cannot_connect"),
        ("self_asserted", "b2c_error", {"code": "AADB2C99999"}, "invalid_auth"),
    ],
)
async def test_user_service_errors(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    endpoint: str,
    kind: str,
    params: dict[str, Any],
    error: str,
) -> None:
    """Faults of the service become translated errors; the next try succeeds."""
    flow_id = await start(hass)
    fluvius.faults.inject(endpoint, kind, count=None, **params)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input())
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    fluvius.faults.clear()
    result = await hass.config_entries.flow.async_configure(flow_id, user_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_confirm_error(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """A confirm step that redirects with an error does not create an entry."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(email=CONFIRM_ERROR_EMAIL, password=CONFIRM_ERROR_PASSWORD)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"]["base"] in {"invalid_auth", "cannot_connect"}


@pytest.mark.parametrize(
    "ean",
    [
        "123",  # too short
        ELEC_EAN[:-1] + str((int(ELEC_EAN[-1]) + 1) % 10),  # wrong check digit
        "44" + ELEC_EAN[2:],  # not Belgian
        ELEC_EAN[:-1] + "X",  # not digits
    ],
)
async def test_user_invalid_ean(hass: HomeAssistant, fluvius: FluviusSimulator, ean: str) -> None:
    """A mistyped EAN is refused offline: no request reaches Fluvius."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(ean))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_EAN: "invalid_ean"}
    assert sum(fluvius.stats.requests.values()) == 0


async def test_user_no_data_and_unexpected(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """A meter without data yet, and an unexpected exception, are reported."""
    flow_id = await start(hass)
    with patch(
        "custom_components.fluvius.api.client.FluviusClient.probe",
        side_effect=FluviusNoDataError("nothing yet"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, user_input())
    assert result["errors"] == {"base": "no_data"}
    with patch(
        "custom_components.fluvius.api.client.FluviusClient.login",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, user_input())
    assert result["errors"] == {"base": "unknown"}


async def test_user_duplicate(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """A second entry for the same EAN aborts before any request."""
    MockConfigEntry(domain=DOMAIN, unique_id=ELEC_EAN, data={}).add_to_hass(hass)
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input())
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sum(fluvius.stats.requests.values()) == 0


def test_normalize_ean() -> None:
    """Spaces are stripped, the check digit is verified."""
    assert normalize_ean(f" {ELEC_EAN[:9]} {ELEC_EAN[9:]} ") == ELEC_EAN
    assert normalize_ean(make_ean("54000000000000000"))
    with pytest.raises(InvalidEan):
        normalize_ean("541448823000123450")


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """Reauth asks only for the password, shows the e-mail, and updates the entry."""
    entry = make_entry(hass, password="old-password")
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"][CONF_EMAIL] == DEMO_EMAIL
    assert list(result["data_schema"].schema) == [CONF_PASSWORD]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == DEMO_PASSWORD
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_updates_other_meters_of_the_account(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """Meters of the same account get the new password too (one account, one login)."""
    elec = make_entry(hass, password="old-password")
    gas = make_entry(hass, GAS_EAN, GAS_SERIAL, MeterType.GAS, password="old-password")
    result = await elec.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert gas.data[CONF_PASSWORD] == DEMO_PASSWORD
    assert elec.state is ConfigEntryState.LOADED
    assert gas.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1


async def test_reconfigure(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """Reconfigure changes credentials and serial; errors first, then success."""
    entry = make_entry(hass, serial="1SAG0000000000", password="old-password")
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    flow_id = result["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(ELEC_EAN, ELEC_SERIAL, password="wrong")
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input("5400", ELEC_SERIAL)
    )
    assert result["errors"] == {CONF_EAN: "invalid_ean"}

    result = await hass.config_entries.flow.async_configure(flow_id, user_input())
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PASSWORD] == DEMO_PASSWORD
    assert entry.data[CONF_METER_SERIAL] == ELEC_SERIAL
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_ean_mismatch(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """Another (valid) EAN aborts: that is another meter, not this entry."""
    entry = make_entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(GAS_EAN, GAS_SERIAL)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "ean_mismatch"
    assert sum(fluvius.stats.requests.values()) == 0


async def test_options(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """Days of history: shows the current value, limited to the documented maximum."""
    entry = make_entry(hass)
    await _setup(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    key = next(iter(schema.schema))
    assert key.description["suggested_value"] == entry.options[CONF_HISTORY_DAYS]
    assert schema.schema[key].config["max"] == MAX_HISTORY_DAYS
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HISTORY_DAYS: 30}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_HISTORY_DAYS: 30}


async def test_second_meter_of_loaded_account(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """Adding a meter to an account already in use: the flow's own login, nothing more."""
    elec = make_entry(hass)
    await _setup(hass, elec)
    assert fluvius.stats.logins == 1
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(GAS_EAN, GAS_SERIAL)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    gas = result["result"]
    assert gas.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 2  # the setup's and the flow's
    assert gas.runtime_data.client is elec.runtime_data.client
    assert not hass.data[DATA_ACCOUNTS].handoff


async def test_reauth_same_password_after_verification_step(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """Fluvius wanted an interactive step; once done on the portal, reauth with the
    same password brings both meters of the account back."""
    elec = make_entry(hass)
    gas = make_entry(hass, GAS_EAN, GAS_SERIAL, MeterType.GAS)
    await _setup(hass, elec)
    assert gas.state is ConfigEntryState.LOADED
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.kind = "interactive"
    fluvius.revoke_tokens(DEMO_EMAIL)
    for coordinator in (elec.runtime_data, gas.runtime_data):
        coordinator._intervals.clear()  # force a fetch now
        coordinator._complete = None
        coordinator._published.clear()
        await coordinator.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert {f["context"]["entry_id"] for f in flows} == {elec.entry_id, gas.entry_id}
    attempts = fluvius.stats.requests["self_asserted"]
    assert attempts == 2  # the setup's login and the one that met the verification step

    account.kind = "normal"  # the user finished the step on mijn.fluvius.be
    flow = next(f for f in flows if f["context"]["entry_id"] == elec.entry_id)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert elec.state is ConfigEntryState.LOADED
    assert gas.state is ConfigEntryState.LOADED
    assert elec.runtime_data.client is gas.runtime_data.client
    assert elec.runtime_data.last_update_success
    assert gas.runtime_data.last_update_success
    assert fluvius.stats.logins == 2  # the setup's and the reauth's
