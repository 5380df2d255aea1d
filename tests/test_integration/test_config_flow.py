"""Config flow of an account entry: every path against the simulator over real HTTP.

The entry is one Fluvius account (e-mail and password, checked by logging in); its first
meter (EAN and serial, checked by a probe) becomes its first meter subentry. Re-authentication
asks for the password alone; reconfiguring the entry changes e-mail or password. Adding meters
and meter settings are the subentry flows (test_subentry_flow.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import copy
from datetime import timedelta
import hashlib
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components import fluvius as fluvius_init
from custom_components.fluvius.api.errors import FluviusNoDataError
from custom_components.fluvius.api.security import InvalidEan, normalize_ean
from custom_components.fluvius.const import (
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DEFAULT_HISTORY_DAYS,
    DOMAIN,
)
from tests.entries import ELEC, GAS, account_entry, coordinator
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
    MFA_EMAIL,
    MFA_PASSWORD,
    OTHER_EAN,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    OTHER_SERIAL,
    make_ean,
)

from .conftest import TEST_HISTORY_DAYS, make_entry

Tick = Callable[[timedelta], Awaitable[None]]
# From the demo's noon (Brussels) to 09:00 the next day: the next day has been published.
NEXT_PUBLICATION = timedelta(hours=21)
NEW_PASSWORD = "Nieuw&Wachtwoord+2027"
WRONG_EAN = ELEC_EAN[:-1] + str((int(ELEC_EAN[-1]) + 1) % 10)  # check digit off by one


# --- helpers ------------------------------------------------------------------------------


def account_input(email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    """The account step's form, filled in."""
    return {CONF_EMAIL: email, CONF_PASSWORD: password}


def meter_input(ean: str = ELEC_EAN, serial: str = ELEC_SERIAL) -> dict[str, Any]:
    """A meter form (first meter, or a meter added later), filled in."""
    return {CONF_EAN: ean, CONF_METER_SERIAL: serial}


def suggested(result: FlowResult) -> dict[str, Any]:
    """What a shown form pre-fills: each field's suggested value (absent: not pre-filled)."""
    values: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        description = getattr(key, "description", None) or {}
        if "suggested_value" in description:
            values[str(key)] = description["suggested_value"]
    return values


def fields(result: FlowResult) -> set[str]:
    """The names of a shown form's fields."""
    return {str(key) for key in result["data_schema"].schema}


def expected_fingerprint(email: str) -> str:
    """The account's unique ID as documented: sha256 of the casefolded e-mail, 16 hex."""
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:16]


def expected_meter_type(sim: FluviusSimulator, ean: str) -> str:
    """The meter's type as the portal knows it."""
    return sim.truth(ean).meter.kind


def requests_sent(sim: FluviusSimulator) -> int:
    """Every request the simulator answered (or dropped) so far."""
    return len(sim.request_log)


async def start(hass: HomeAssistant) -> str:
    """Open the account step; return the flow id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert fields(result) == {CONF_EMAIL, CONF_PASSWORD}
    return result["flow_id"]


async def signed_in(hass: HomeAssistant, **account: str) -> str:
    """Open the flow and pass the account step; return the flow id (at the meter step)."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, account_input(**account))
    assert result["type"] is FlowResultType.FORM, result
    assert result["step_id"] == "meter"
    assert result["errors"] == {}
    assert fields(result) == {CONF_EAN, CONF_METER_SERIAL}
    return flow_id


async def create(
    hass: HomeAssistant, ean: str = ELEC_EAN, serial: str = ELEC_SERIAL
) -> ConfigEntry:
    """The whole user flow for a demo meter; returns the created (and set up) entry."""
    flow_id = await signed_in(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, meter_input(ean, serial))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    return result["result"]


def assert_sensors_match_truth(hass: HomeAssistant, sim: FluviusSimulator, ean: str) -> None:
    """Every register's sensor shows the newest published day the portal serves, and the
    freshness sensor its end."""
    truth = sim.truth(ean)
    day = truth.last_published_day()
    served = truth.daily(day, as_of=dt_util.utcnow())
    assert served
    registry = er.async_get(hass)
    for key, value in served.items():
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")
        assert entity_id is not None, key
        state = hass.states.get(entity_id)
        assert state is not None, key
        assert float(state.state) == pytest.approx(value, abs=1e-9), key
        assert state.attributes["day"] == day.isoformat(), key
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{ean}_newest_data")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert dt_util.parse_datetime(state.state) == truth.published_until()


def count_setups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the entry ID of every setup of a Fluvius entry from now on (a reload is one)."""
    setups: list[str] = []
    original = fluvius_init.async_setup_entry

    async def counting(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        setups.append(entry.entry_id)
        return await original(hass, entry)

    monkeypatch.setattr(fluvius_init, "async_setup_entry", counting)
    return setups


async def set_up(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Set an entry up and check it loaded."""
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def next_day_published(tick: Tick) -> None:
    """Let the clocks run, in one step, to the morning the next day is published (as after
    a night Home Assistant was suspended): every meter's next update asks the portal."""
    await tick(NEXT_PUBLICATION)


# --- user flow ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ean", "serial", "title"),
    [
        (ELEC_EAN, ELEC_SERIAL, f"Electricity meter …{ELEC_EAN[-4:]}"),
        (GAS_EAN, GAS_SERIAL, f"Gas meter …{GAS_EAN[-4:]}"),
    ],
)
async def test_user_flow_creates_account_entry(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    ean: str,
    serial: str,
    title: str,
) -> None:
    """Login, then a probe: one entry per account (masked e-mail as title) holding the
    meter, whose type the portal told; it loads without a second login, sensors true."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, account_input(email=f" {DEMO_EMAIL} ")
    )
    assert result["step_id"] == "meter"
    assert fluvius.stats.logins == 1
    spaced = " ".join(ean[i : i + 3] for i in range(0, 18, 3))
    result = await hass.config_entries.flow.async_configure(
        flow_id, meter_input(spaced, f" {serial} ")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "d…@fluvius.test"
    assert result["data"] == {CONF_EMAIL: DEMO_EMAIL, CONF_PASSWORD: DEMO_PASSWORD}
    entry = result["result"]
    assert entry.version == 2
    assert entry.unique_id == expected_fingerprint(DEMO_EMAIL)
    assert DEMO_EMAIL.split("@")[0] not in entry.title
    assert entry.options == {}

    assert len(entry.subentries) == 1
    meter = next(iter(entry.subentries.values()))
    assert meter.subentry_type == "meter"
    assert meter.unique_id == ean
    assert meter.title == title
    assert ean not in meter.title
    assert dict(meter.data) == {
        CONF_EAN: ean,
        CONF_METER_SERIAL: serial,
        CONF_METER_TYPE: expected_meter_type(fluvius, ean),
        CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS,
    }

    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert list(entry.runtime_data.meters) == [meter.subentry_id]
    assert_sensors_match_truth(hass, fluvius, ean)
    # The entry reused the flow's token: the account logged in once in total.
    assert fluvius.stats.logins == 1
    assert fluvius.stats.failed_logins == 0


@pytest.mark.parametrize(
    ("account", "error"),
    [
        (account_input(password="wrong-password"), "invalid_auth"),
        (account_input(email="nobody@fluvius.test"), "invalid_auth"),
        (account_input(DISABLED_EMAIL, DISABLED_PASSWORD), "account_locked"),
        (account_input(MFA_EMAIL, MFA_PASSWORD), "interaction_required"),
    ],
)
async def test_user_account_errors(
    hass: HomeAssistant, fluvius: FluviusSimulator, account: dict[str, Any], error: str
) -> None:
    """Account problems are translated form errors; the form keeps what the user typed,
    password included; then the user recovers."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, account)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    assert suggested(result) == account
    assert fluvius.stats.logins == 0
    assert fluvius.stats.requests["self_asserted"] == 1  # typed once, submitted once
    result = await hass.config_entries.flow.async_configure(flow_id, account_input())
    assert result["step_id"] == "meter"
    result = await hass.config_entries.flow.async_configure(flow_id, meter_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == account_input()


@pytest.mark.parametrize(
    ("endpoint", "kind", "params", "error"),
    [
        ("msal_config", "rate_limit", {"seconds": 30}, "rate_limited"),
        ("self_asserted", "b2c_error", {"code": "AADB2C90244"}, "rate_limited"),
        ("authorize", "reset", {}, "cannot_connect"),
        ("token", "server_error", {"status": 503}, "cannot_connect"),
        ("msal_config", "invalid_json", {}, "cannot_connect"),
        ("self_asserted", "b2c_error", {"code": "AADB2C99999"}, "invalid_auth"),
    ],
)
async def test_user_login_service_errors(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    endpoint: str,
    kind: str,
    params: dict[str, Any],
    error: str,
) -> None:
    """Faults of the login service become translated errors; the next try succeeds."""
    flow_id = await start(hass)
    fluvius.faults.inject(endpoint, kind, count=None, **params)
    result = await hass.config_entries.flow.async_configure(flow_id, account_input())
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    assert suggested(result) == account_input()
    fluvius.faults.clear()
    result = await hass.config_entries.flow.async_configure(flow_id, account_input())
    assert result["step_id"] == "meter"
    result = await hass.config_entries.flow.async_configure(flow_id, meter_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("kind", "params", "error"),
    [
        ("rate_limit", {"seconds": 30}, "rate_limited"),
        ("reset", {}, "cannot_connect"),
    ],
)
async def test_user_probe_service_errors(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    kind: str,
    params: dict[str, Any],
    error: str,
) -> None:
    """Faults of the portal while probing the meter: translated errors at the meter step;
    the typed meter is kept; the next try succeeds without logging in again."""
    flow_id = await signed_in(hass)
    fluvius.faults.inject("measurements", kind, count=None, **params)
    result = await hass.config_entries.flow.async_configure(flow_id, meter_input())
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    assert result["errors"] == {"base": error}
    assert suggested(result) == meter_input()
    fluvius.faults.clear()
    result = await hass.config_entries.flow.async_configure(flow_id, meter_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert fluvius.stats.logins == 1


async def test_user_confirm_error(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """A confirm step that redirects with an error does not get past the account step."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, account_input(CONFIRM_ERROR_EMAIL, CONFIRM_ERROR_PASSWORD)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"]["base"] in {"invalid_auth", "cannot_connect"}
    assert fluvius.stats.logins == 0


@pytest.mark.parametrize(
    "typed",
    [
        meter_input(OTHER_EAN, OTHER_SERIAL),  # another household's meter
        meter_input(ELEC_EAN, GAS_SERIAL),  # the account's meter, another serial
    ],
)
async def test_user_meter_not_found(
    hass: HomeAssistant, fluvius: FluviusSimulator, typed: dict[str, Any]
) -> None:
    """A meter the (correctly signed-in) account cannot read: meter_not_found, the typed
    meter kept; the right one then creates the entry, still with one login."""
    flow_id = await signed_in(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    assert result["errors"] == {"base": "meter_not_found"}
    assert suggested(result) == typed
    result = await hass.config_entries.flow.async_configure(flow_id, meter_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1


@pytest.mark.parametrize(
    "ean",
    [
        "123",  # too short
        WRONG_EAN,  # wrong check digit
        "44" + ELEC_EAN[2:],  # not Belgian
        ELEC_EAN[:-1] + "X",  # not digits
    ],
)
async def test_user_invalid_ean(hass: HomeAssistant, fluvius: FluviusSimulator, ean: str) -> None:
    """A mistyped EAN is refused offline: no request reaches Fluvius; the form keeps it."""
    flow_id = await signed_in(hass)
    before = requests_sent(fluvius)
    result = await hass.config_entries.flow.async_configure(flow_id, meter_input(ean))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    assert result["errors"] == {CONF_EAN: "invalid_ean"}
    assert suggested(result) == meter_input(ean)
    assert requests_sent(fluvius) == before


async def test_user_no_data_and_unexpected(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """A meter without data yet, and an unexpected exception, are reported."""
    flow_id = await start(hass)
    with patch(
        "custom_components.fluvius.api.client.FluviusClient.login",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, account_input())
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(flow_id, account_input())
    assert result["step_id"] == "meter"
    with patch(
        "custom_components.fluvius.api.client.FluviusClient.probe",
        side_effect=FluviusNoDataError("nothing yet"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, meter_input())
    assert result["step_id"] == "meter"
    assert result["errors"] == {"base": "no_data"}


@pytest.mark.parametrize("email", [DEMO_EMAIL, f" {DEMO_EMAIL.upper()} "])
async def test_user_same_account_twice(
    hass: HomeAssistant, fluvius: FluviusSimulator, email: str
) -> None:
    """A second entry for the same account (any spelling of its e-mail) aborts before any
    request; its meters are added to the existing entry instead."""
    make_entry(hass)
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, account_input(email=email))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert requests_sent(fluvius) == 0
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_user_meter_of_another_entry(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """An EAN already held by any entry (here another account's) aborts after the login,
    without probing it."""
    other = account_entry([GAS], TEST_HISTORY_DAYS, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    other.add_to_hass(hass)
    flow_id = await signed_in(hass)
    before = requests_sent(fluvius)
    spaced = f" {GAS_EAN[:9]} {GAS_EAN[9:]} "
    result = await hass.config_entries.flow.async_configure(
        flow_id, meter_input(spaced, GAS_SERIAL)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured_meter"
    assert requests_sent(fluvius) == before
    assert hass.config_entries.async_entries(DOMAIN) == [other]


def test_normalize_ean() -> None:
    """Spaces are stripped, the check digit is verified."""
    assert normalize_ean(f" {ELEC_EAN[:9]} {ELEC_EAN[9:]} ") == ELEC_EAN
    assert normalize_ean(make_ean("54000000000000000"))
    for bad in ("541448823000123450", WRONG_EAN, "5414488230001234", ""):
        with pytest.raises(InvalidEan):
            normalize_ean(bad)


# --- re-authentication ------------------------------------------------------------------


async def test_reauth(
    hass: HomeAssistant, fluvius: FluviusSimulator, tick: Tick, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portal's password changed: the entry asks for reauth once and does not try the
    rejected password again; reauth asks only for the password (e-mail shown), keeps a
    wrong one typed, and the right one updates and reloads the entry, whose next updates
    use the flow's token."""
    entry = make_entry(hass)
    await set_up(hass, entry)
    assert fluvius.stats.logins == 1
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.password = NEW_PASSWORD
    fluvius.revoke_tokens(DEMO_EMAIL)
    await next_day_published(tick)
    assert fluvius.stats.failed_logins == 1
    assert not coordinator(entry).last_update_success

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert flows[0]["context"]["entry_id"] == entry.entry_id
    # A rejected password is not tried again by the entry on its own.
    await tick(timedelta(hours=2))
    assert fluvius.stats.requests["self_asserted"] == 2  # the setup's and the rejected one

    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"][CONF_EMAIL] == DEMO_EMAIL
    assert fields(result) == {CONF_PASSWORD}
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PASSWORD: DEMO_PASSWORD})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result) == {CONF_PASSWORD: DEMO_PASSWORD}
    assert entry.data[CONF_PASSWORD] == DEMO_PASSWORD

    setups = count_setups(monkeypatch)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PASSWORD: NEW_PASSWORD})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {CONF_EMAIL: DEMO_EMAIL, CONF_PASSWORD: NEW_PASSWORD}
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert setups == [entry.entry_id]  # reloaded, once
    assert coordinator(entry).last_update_success
    assert fluvius.stats.logins == 2  # the setup's and the flow's; the reload used it
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    # The next update: no login either, the flow's token was stored and adopted.
    await next_day_published(tick)
    assert coordinator(entry).last_update_success
    assert fluvius.stats.logins == 2
    assert_sensors_match_truth(hass, fluvius, ELEC_EAN)


async def test_reauth_of_entry_that_never_loaded(
    hass: HomeAssistant, fluvius: FluviusSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry whose stored password is wrong fails its setup; reauth fixes it, and the
    setup after it uses the flow's login."""
    entry = make_entry(hass, password="old-password")
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert fluvius.stats.failed_logins == 1
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert fields(result) == {CONF_PASSWORD}
    setups = count_setups(monkeypatch)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == DEMO_PASSWORD
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert setups == [entry.entry_id]
    assert fluvius.stats.logins == 1
    assert fluvius.stats.failed_logins == 1


async def test_reauth_same_password_after_verification_step(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    tick: Tick,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fluvius wanted an interactive step: one reauth for the account (both meters), one
    login attempt; once the step is done on the portal, reauth with the same password
    brings both meters back, on one shared client."""
    await set_up(hass, both_entry)
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.kind = "interactive"
    fluvius.revoke_tokens(DEMO_EMAIL)
    await next_day_published(tick)
    assert not coordinator(both_entry, ELEC_EAN).last_update_success
    assert not coordinator(both_entry, GAS_EAN).last_update_success
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["entry_id"] for flow in flows] == [both_entry.entry_id]
    # The setup's login and the one that met the verification step; neither meter tried
    # again, hour after hour.
    assert fluvius.stats.requests["self_asserted"] == 2

    account.kind = "normal"  # the user finished the step on mijn.fluvius.be
    setups = count_setups(monkeypatch)
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert both_entry.state is ConfigEntryState.LOADED
    assert setups == [both_entry.entry_id]  # unchanged data, reloaded all the same
    elec, gas = coordinator(both_entry, ELEC_EAN), coordinator(both_entry, GAS_EAN)
    assert elec.account.client is gas.account.client
    assert elec.last_update_success
    assert gas.last_update_success
    assert fluvius.stats.logins == 2  # the setup's and the reauth's
    assert_sensors_match_truth(hass, fluvius, ELEC_EAN)
    assert_sensors_match_truth(hass, fluvius, GAS_EAN)


# --- reconfiguring the account ------------------------------------------------------------


async def test_reconfigure_password(
    hass: HomeAssistant, fluvius: FluviusSimulator, tick: Tick, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reconfigure asks for e-mail and password (no EAN); errors keep what was typed;
    a changed password is saved and the entry reloads without another login."""
    entry = make_entry(hass)
    await set_up(hass, entry)
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.password = NEW_PASSWORD
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert fields(result) == {CONF_EMAIL, CONF_PASSWORD}
    assert suggested(result) == {CONF_EMAIL: DEMO_EMAIL}
    flow_id = result["flow_id"]

    result = await hass.config_entries.flow.async_configure(flow_id, account_input())
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result) == account_input()
    assert entry.data[CONF_PASSWORD] == DEMO_PASSWORD

    setups = count_setups(monkeypatch)
    logins = fluvius.stats.logins
    result = await hass.config_entries.flow.async_configure(
        flow_id, account_input(password=NEW_PASSWORD)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_EMAIL: DEMO_EMAIL, CONF_PASSWORD: NEW_PASSWORD}
    assert entry.unique_id == expected_fingerprint(DEMO_EMAIL)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert setups == [entry.entry_id]  # reloaded, once
    assert fluvius.stats.logins == logins + 1  # the flow's; the reload reused it
    # Without any token left, the entry logs in with the new password.
    fluvius.revoke_tokens(DEMO_EMAIL)
    await next_day_published(tick)
    assert coordinator(entry).last_update_success
    assert fluvius.stats.logins == logins + 2
    assert fluvius.stats.failed_logins == 1  # the wrong password typed above
    assert_sensors_match_truth(hass, fluvius, ELEC_EAN)


async def test_reconfigure_account_without_the_meters(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    monkeypatch: pytest.MonkeyPatch,
    hass_storage: dict[str, Any],
) -> None:
    """Another account that cannot read the entry's meters: an error, nothing saved (the
    entry and its account's stored token state are as they were)."""
    entry = make_entry(hass)
    await set_up(hass, entry)
    store_key = f"{DOMAIN}.{expected_fingerprint(DEMO_EMAIL)}"
    stored = copy.deepcopy(hass_storage[store_key])
    before = (dict(entry.data), entry.unique_id, entry.title)
    setups = count_setups(monkeypatch)
    result = await entry.start_reconfigure_flow(hass)
    typed = account_input(OTHER_EMAIL, OTHER_PASSWORD)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "meter_not_found"}
    assert suggested(result) == typed
    await hass.async_block_till_done()
    assert (dict(entry.data), entry.unique_id, entry.title) == before
    assert entry.state is ConfigEntryState.LOADED
    assert setups == []  # not reloaded
    assert hass_storage[store_key] == stored


async def test_reconfigure_to_configured_account(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """The e-mail of an account that has its own entry aborts before any request."""
    entry = make_entry(hass)
    make_entry(hass, OTHER_EAN, OTHER_SERIAL, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], account_input(OTHER_EMAIL, OTHER_PASSWORD)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert requests_sent(fluvius) == 0
    assert entry.data == account_input()


async def test_user_flow_then_meters_of_both_kinds(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """The demo account's electricity meter through the user flow; its gas meter through
    "Add meter": one entry, both meters with the portal's types, one login."""
    entry = await create(hass)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "meter"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], meter_input(GAS_EAN, GAS_SERIAL)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert hass.config_entries.async_entries(DOMAIN) == [entry]
    types = {sub.unique_id: sub.data[CONF_METER_TYPE] for sub in entry.subentries.values()}
    assert types == {ean: expected_meter_type(fluvius, ean) for ean in (ELEC[0], GAS[0])}
    assert entry.state is ConfigEntryState.LOADED
    assert_sensors_match_truth(hass, fluvius, ELEC_EAN)
    assert_sensors_match_truth(hass, fluvius, GAS_EAN)
    assert fluvius.stats.logins == 1
