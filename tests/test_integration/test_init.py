"""Setup, one client per account, token persistence, adding and removing meters, errors at
runtime (a rejected password is never retried on its own), unload and removal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import dataclasses
from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.account import fingerprint
from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.client import FluviusClient
from custom_components.fluvius.const import DOMAIN, SUBENTRY_METER
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.issues import access_issue_id
from tests.entries import coordinator, subentry_id
from tests.recorded import statistics_rows
from tests.simulator import FluviusSimulator
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    ELEC_EAN,
    GAS_EAN,
    GAS_SERIAL,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    RECENT_EAN,
    RECENT_SERIAL,
)

from .conftest import TEST_HISTORY_DAYS, make_entry

Tick = Callable[[timedelta], Awaitable[None]]
MoveTo = Callable[[datetime], Awaitable[None]]

ELEC_REGISTERS = ("consumption_high", "consumption_low", "injection_high", "injection_low")
GAS_REGISTERS = ("gas_volume", "gas_energy")
NEW_PASSWORD = "changed-on-the-portal"


async def setup_all(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the domain (all its entries)."""
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def login_attempts(sim: FluviusSimulator) -> int:
    """Credential submissions the simulator saw (successful or not)."""
    return sim.stats.requests["self_asserted"]


def all_requests(sim: FluviusSimulator) -> int:
    """Every request the simulated portal and sign-in received."""
    return sum(sim.stats.requests.values())


def store_key() -> str:
    """The demo account's store (named by the account's fingerprint)."""
    return f"{DOMAIN}.{fingerprint(DEMO_EMAIL)}"


def sensor_state(hass: HomeAssistant, ean: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def meter_of(entry: MockConfigEntry, ean: str) -> FluviusCoordinator:
    """The coordinator of a meter, whatever its subentry ID (a flow picks a random one)."""
    found = [c for c in entry.runtime_data.meters.values() if c.ean == ean]
    assert len(found) == 1, ean
    return found[0]


def reauth_flows(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Reauth flows in progress for our entries."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


def assert_day_values_match(hass: HomeAssistant, sim: FluviusSimulator, ean: str) -> None:
    """The meter's day sensors equal what the portal serves for its newest day."""
    now = dt_util.utcnow()
    truth = sim.truth(ean)
    day = truth.last_published_day(now)
    served = truth.daily(day, as_of=now)
    assert served is not None
    keys = GAS_REGISTERS if truth.meter.kind == "gas" else ELEC_REGISTERS
    for key in keys:
        assert float(sensor_state(hass, ean, key)) == pytest.approx(served[key], abs=1e-9), key


async def statistic_ids(hass: HomeAssistant) -> set[str]:
    """The statistic IDs of ours the recorder holds."""
    await async_wait_recording_done(hass)
    listed = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    return {s["statistic_id"] for s in listed if s["statistic_id"].startswith(f"{DOMAIN}:")}


def assert_rows_match_truth(
    rows: dict[str, list[dict[str, Any]]], sim: FluviusSimulator, ean: str
) -> None:
    """Every hour from the first imported one to the newest published one, as served now."""
    now = dt_util.utcnow()
    truth = sim.truth(ean)
    end = truth.published_until(now)
    assert end is not None
    for register, series in rows.items():
        assert series, register
        hours = [datetime.fromtimestamp(row["start"], UTC) for row in series]
        served = truth.hourly(hours[0], end, as_of=now)
        assert hours == sorted(served), register
        for hour, row in zip(hours, series, strict=True):
            assert row["state"] == pytest.approx(served[hour][register], abs=1e-6)


async def test_one_client_per_account(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    tick: Tick,
) -> None:
    """Both meters of an account share its one client and token: one login in total."""
    await setup_all(hass, both_entry)
    assert both_entry.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1
    assert login_attempts(fluvius) == 1
    account = both_entry.runtime_data.account
    assert set(both_entry.runtime_data.meters) == {subentry_id(ELEC_EAN), subentry_id(GAS_EAN)}
    for ean in (ELEC_EAN, GAS_EAN):
        assert coordinator(both_entry, ean).account is account
        assert coordinator(both_entry, ean).backfill is not None
    # Another account's entry logs in separately, with a client of its own.
    other = make_entry(hass, RECENT_EAN, RECENT_SERIAL, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    assert other.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 2
    assert other.runtime_data.account.client is not account.client
    # Unloading that account leaves ours alone: no new login, both meters keep updating.
    assert await hass.config_entries.async_unload(other.entry_id)
    await tick(timedelta(hours=1))
    assert fluvius.stats.logins == 2
    assert login_attempts(fluvius) == 2
    for ean in (ELEC_EAN, GAS_EAN):
        assert coordinator(both_entry, ean).last_update_success
        assert_day_values_match(hass, fluvius, ean)


async def test_restart_reuses_stored_token(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    tick: Tick,
) -> None:
    """Token state and dialect survive a restart: no login until the token expires."""
    await setup_all(hass, elec_entry)
    # The history import runs in the background: let it finish, so that what the restart
    # re-reads does not depend on how far it got.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert fluvius.stats.logins == 1
    stored = hass_storage[store_key()]["data"]
    assert stored["account"] == fingerprint(DEMO_EMAIL)
    assert stored["tokens"]["refresh_token"] in fluvius.b2c.tokens.refresh
    assert stored["dialects"]["meters"]
    assert stored["blocked"] is None
    measurement_requests = fluvius.stats.requests["measurements"]
    old_account = elec_entry.runtime_data.account

    assert await hass.config_entries.async_unload(elec_entry.entry_id)
    await hass.config_entries.async_setup(elec_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert elec_entry.state is ConfigEntryState.LOADED
    assert elec_entry.runtime_data.account is not old_account  # state came from the store
    assert fluvius.stats.logins == 1
    assert fluvius.stats.refreshes == 0
    # The stored dialect spares the granularity discovery, and nothing changed on the portal
    # meanwhile: one daily-code request over the re-read window (its totals equal what the
    # statistics hold, so no day is fetched again) and one for the history import's resume
    # check of the days Fluvius may have revised. On the live portal a day costs a request,
    # so re-reading them (the first start took 32 requests) would cost 17.
    assert fluvius.stats.requests["measurements"] - measurement_requests == 2

    # After the access token expires, it is refreshed, not a new login...
    for _ in range(20):
        await tick(timedelta(hours=1))
    assert fluvius.stats.logins == 1
    assert fluvius.stats.refreshes >= 1
    # ...until the refresh token (24 hours) has run out, noticed at the next due poll.
    for _ in range(28):
        await tick(timedelta(hours=1))
    assert fluvius.stats.logins == 2


async def test_start_with_token_in_storage(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant starting with token state in .storage does not log in."""
    client = FluviusClient(DEMO_EMAIL, DEMO_PASSWORD, portal_url=fluvius.portal_url)
    try:
        await client.login()
        tokens = client.export_tokens()
    finally:
        await client.close()
    entry = make_entry(hass)
    hass_storage[store_key()] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(),
        "data": {"account": fingerprint(DEMO_EMAIL), "tokens": tokens, "dialects": {}},
    }
    await setup_all(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    await hass.async_block_till_done(wait_background_tasks=True)  # the history import too
    assert fluvius.stats.logins == 1  # the one above
    assert login_attempts(fluvius) == 1


async def test_stored_token_of_other_account_ignored(
    hass: HomeAssistant, fluvius: FluviusSimulator, hass_storage: dict[str, Any]
) -> None:
    """Stored state that belongs to another account (or is unreadable) is not used."""
    entry = make_entry(hass)
    hass_storage[store_key()] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(),
        "data": {
            "account": fingerprint("old@x.test"),
            "tokens": {"x": 1},
            "blocked": "auth_failed",
        },
    }
    await setup_all(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1
    await hass.async_block_till_done(wait_background_tasks=True)
    stored = hass_storage[store_key()]["data"]
    assert stored["account"] == fingerprint(DEMO_EMAIL)
    assert stored["tokens"]["refresh_token"] in fluvius.b2c.tokens.refresh
    assert stored["blocked"] is None


async def test_add_meter_does_not_log_in_again(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second meter added through the subentry flow reuses the account's sign-in: no
    login at all, and its entities show what the portal serves."""
    # A short history, so that the new meter's import is quick (the flow's default is a year).
    monkeypatch.setattr(
        "custom_components.fluvius.subentry_flow.DEFAULT_HISTORY_DAYS", TEST_HISTORY_DAYS
    )
    await setup_all(hass, elec_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert fluvius.stats.logins == 1
    attempts = login_attempts(fluvius)
    authorizations = fluvius.stats.requests["authorize"]

    result = await hass.config_entries.subentries.async_init(
        (elec_entry.entry_id, SUBENTRY_METER), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"ean": GAS_EAN, "meter_serial": GAS_SERIAL}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)

    assert fluvius.stats.logins == 1
    assert login_attempts(fluvius) == attempts
    assert fluvius.stats.requests["authorize"] == authorizations
    assert fluvius.stats.failed_logins == 0
    assert elec_entry.state is ConfigEntryState.LOADED
    (added,) = [s for s in elec_entry.subentries.values() if s.unique_id == GAS_EAN]
    assert added.data["meter_type"] == fluvius.truth(GAS_EAN).meter.kind
    assert added.data["history_days"] == TEST_HISTORY_DAYS
    gas = meter_of(elec_entry, GAS_EAN)
    assert gas.account is meter_of(elec_entry, ELEC_EAN).account
    assert gas.last_update_success
    assert_day_values_match(hass, fluvius, GAS_EAN)
    assert_day_values_match(hass, fluvius, ELEC_EAN)
    device = device_registry.async_get_device_by_identifier((DOMAIN, GAS_EAN), elec_entry.entry_id)
    assert device is not None
    assert device.config_subentry_id == added.subentry_id
    gas_entities = [
        e
        for e in er.async_entries_for_config_entry(entity_registry, elec_entry.entry_id)
        if e.unique_id.startswith(f"{GAS_EAN}_")
    ]
    assert gas_entities
    assert {e.config_subentry_id for e in gas_entities} == {added.subentry_id}
    # Its history is imported too, equal to the truth.
    assert_rows_match_truth(await statistics_rows(hass, GAS_EAN, GAS_REGISTERS), fluvius, GAS_EAN)


async def test_remove_meter_removes_its_statistics_device_and_entities(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Removing a meter's subentry takes its statistics, device and entities along; the
    other meter of the account keeps all of its own, unchanged."""
    await setup_all(hass, both_entry)
    await hass.async_block_till_done(wait_background_tasks=True)  # both history imports
    gas_ids = {f"{DOMAIN}:{GAS_EAN}_{r}" for r in GAS_REGISTERS}
    elec_ids = {f"{DOMAIN}:{ELEC_EAN}_{r}" for r in ELEC_REGISTERS}
    assert gas_ids | elec_ids <= await statistic_ids(hass)
    elec_rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_rows_match_truth(elec_rows, fluvius, ELEC_EAN)
    assert_rows_match_truth(await statistics_rows(hass, GAS_EAN, GAS_REGISTERS), fluvius, GAS_EAN)
    gas_entity_ids = [
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, both_entry.entry_id)
        if e.unique_id.startswith(f"{GAS_EAN}_")
    ]
    assert gas_entity_ids
    assert (
        device_registry.async_get_device_by_identifier((DOMAIN, GAS_EAN), both_entry.entry_id)
        is not None
    )
    logins = fluvius.stats.logins

    assert hass.config_entries.async_remove_subentry(both_entry, subentry_id(GAS_EAN))
    await hass.async_block_till_done(wait_background_tasks=True)

    assert both_entry.state is ConfigEntryState.LOADED
    assert set(both_entry.runtime_data.meters) == {subentry_id(ELEC_EAN)}
    ours = await statistic_ids(hass)
    assert not ours & gas_ids
    assert elec_ids <= ours
    assert await statistics_rows(hass, GAS_EAN, GAS_REGISTERS) == {r: [] for r in GAS_REGISTERS}
    assert (
        device_registry.async_get_device_by_identifier((DOMAIN, GAS_EAN), both_entry.entry_id)
        is None
    )
    assert not [
        e
        for e in er.async_entries_for_config_entry(entity_registry, both_entry.entry_id)
        if e.unique_id.startswith(f"{GAS_EAN}_")
    ]
    assert all(hass.states.get(entity_id) is None for entity_id in gas_entity_ids)
    # The electricity meter: statistics unchanged, device, entities and values in place.
    assert await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS) == elec_rows
    assert (
        device_registry.async_get_device_by_identifier((DOMAIN, ELEC_EAN), both_entry.entry_id)
        is not None
    )
    assert_day_values_match(hass, fluvius, ELEC_EAN)
    assert fluvius.stats.logins == logins


async def test_wrong_password_at_runtime_starts_reauth_once(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    tick: Tick,
) -> None:
    """A changed password starts one reauth flow for the account; nobody tries to log in
    again afterwards, and both meters stop."""
    await setup_all(hass, both_entry)
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.password = NEW_PASSWORD
    fluvius.revoke_tokens(DEMO_EMAIL)
    # Run into the morning, when new data is due and the revoked token is noticed.
    for _ in range(24):
        await tick(timedelta(hours=1))
    flows = reauth_flows(hass)
    assert [f["context"]["entry_id"] for f in flows] == [both_entry.entry_id]
    assert fluvius.stats.failed_logins == 1
    attempts = login_attempts(fluvius)
    requests = all_requests(fluvius)
    for _ in range(3 * 24):
        await tick(timedelta(hours=1))
    assert fluvius.stats.failed_logins == 1
    assert login_attempts(fluvius) == attempts
    assert all_requests(fluvius) == requests
    assert len(reauth_flows(hass)) == 1
    assert sensor_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE
    assert sensor_state(hass, GAS_EAN, "gas_volume") == STATE_UNAVAILABLE


async def test_rejected_password_not_retried_after_restart(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    tick: Tick,
) -> None:
    """A rejected password: one reauth flow, both meters stop without further logins, and
    after a restart still no login attempt until the user re-authenticates; then one login
    brings both meters back."""
    await setup_all(hass, both_entry)
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.password = NEW_PASSWORD
    fluvius.revoke_tokens(DEMO_EMAIL)
    for _ in range(24):
        await tick(timedelta(hours=1))
    assert [f["context"]["entry_id"] for f in reauth_flows(hass)] == [both_entry.entry_id]
    assert fluvius.stats.failed_logins == 1
    assert login_attempts(fluvius) == 2  # the first login, and the rejected one
    for ean in (ELEC_EAN, GAS_EAN):
        meter = coordinator(both_entry, ean)
        assert not meter.last_update_success
        assert getattr(meter.last_exception, "translation_key", None) == "auth_failed"
    assert hass_storage[store_key()]["data"]["blocked"] == "auth_failed"
    requests = all_requests(fluvius)
    for _ in range(24):
        await tick(timedelta(hours=1))
    assert all_requests(fluvius) == requests

    # A restart: the entry unloads, the flow in progress is gone; the entry starts again
    # from the same storage.
    assert await hass.config_entries.async_unload(both_entry.entry_id)
    for flow in reauth_flows(hass):
        hass.config_entries.flow.async_abort(flow["flow_id"])
    await hass.config_entries.async_setup(both_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert both_entry.state is ConfigEntryState.SETUP_ERROR
    assert [f["context"]["entry_id"] for f in reauth_flows(hass)] == [both_entry.entry_id]
    for _ in range(2 * 24):
        await tick(timedelta(hours=1))
    assert all_requests(fluvius) == requests
    assert fluvius.stats.failed_logins == 1

    # The user re-authenticates: one login, then both meters are back, as the portal serves.
    (flow,) = reauth_flows(hass)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"password": NEW_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert both_entry.state is ConfigEntryState.LOADED
    assert login_attempts(fluvius) == 3
    assert fluvius.stats.logins == 2
    assert fluvius.stats.failed_logins == 1
    for ean in (ELEC_EAN, GAS_EAN):
        assert coordinator(both_entry, ean).last_update_success
        assert_day_values_match(hass, fluvius, ean)
    assert hass_storage[store_key()]["data"]["blocked"] is None


async def test_wrong_password_at_setup(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """Rejected credentials at setup: reauth, and the account is not retried."""
    entry = make_entry(hass, password="wrong")
    await setup_all(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert [f["context"]["entry_id"] for f in reauth_flows(hass)] == [entry.entry_id]
    assert fluvius.stats.failed_logins == 1
    requests = all_requests(fluvius)
    # Setting the account up again (a restart) does not try the same credentials again...
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert fluvius.stats.failed_logins == 1
    # ...and no meter can be added to it meanwhile (that would need its sign-in).
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_not_loaded"
    assert all_requests(fluvius) == requests


async def test_setup_not_ready_when_unreachable(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    no_sessions_left_open: list[Any],
    tick: Tick,
) -> None:
    """A connection failure during setup means: retry later (nothing of ours left open
    meanwhile), and the retry logs in once the portal answers."""
    fluvius.faults.inject("msal_config", "reset", count=None)
    await setup_all(hass, elec_entry)
    assert elec_entry.state is ConfigEntryState.SETUP_RETRY
    assert fluvius.stats.requests["msal_config"] >= 1
    shared = async_get_clientsession(hass)
    assert all(s.closed for s in no_sessions_left_open if s is not shared)
    fluvius.faults.clear()
    await tick(timedelta(minutes=5))
    assert elec_entry.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1
    assert_day_values_match(hass, fluvius, ELEC_EAN)


async def test_rate_limit_honours_retry_after(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    move_to: MoveTo,
    tick: Tick,
) -> None:
    """429 makes the entities unavailable and the next try waits Retry-After, not an hour."""
    await setup_all(hass, elec_entry)
    meter = coordinator(elec_entry)
    await move_to(datetime(2026, 4, 16, 5, 59, tzinfo=BRUSSELS))
    fluvius.faults.inject("measurements", "rate_limit", count=1, seconds=600)
    await tick(timedelta(hours=1))  # the 06:59 poll: day 15 is due, answered 429
    assert not meter.last_update_success
    assert meter.last_exception is not None
    assert getattr(meter.last_exception, "translation_key", None) == "rate_limited"
    assert sensor_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE
    await tick(timedelta(seconds=601))
    assert meter.last_update_success
    assert meter.data.latest_day is not None
    assert meter.data.latest_day.day.isoformat() == "2026-04-15"
    assert_day_values_match(hass, fluvius, ELEC_EAN)


async def test_unavailable_and_back_logged_once(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    move_to: MoveTo,
    tick: Tick,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Several failing polls log one error; recovery logs one info line."""
    await setup_all(hass, elec_entry)
    await move_to(datetime(2026, 4, 16, 5, 30, tzinfo=BRUSSELS))
    fluvius.faults.inject("measurements", "server_error", count=None, status=503)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="custom_components.fluvius"):
        for _ in range(4):
            await tick(timedelta(hours=1))
        assert sensor_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE
        fluvius.faults.clear()
        for _ in range(3):
            await tick(timedelta(hours=1))
    ours = [r for r in caplog.records if r.name.startswith("custom_components.fluvius")]
    errors = [r for r in ours if r.levelno >= logging.ERROR]
    recovered = [r for r in ours if "recovered" in r.getMessage()]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "Fetching data from Fluvius failed" in errors[0].getMessage()
    assert len(recovered) == 1
    assert sensor_state(hass, ELEC_EAN, "net_usage") != STATE_UNAVAILABLE


async def test_meter_access_lost(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    move_to: MoveTo,
) -> None:
    """A 403 at runtime is a translated update failure and a repair issue of that meter."""
    await setup_all(hass, elec_entry)
    meter = coordinator(elec_entry)
    # An EAN of another account: 403.
    meter.meter = dataclasses.replace(meter.meter, ean=RECENT_EAN, serial=RECENT_SERIAL)
    await move_to(datetime(2026, 4, 16, 7, 30, tzinfo=BRUSSELS))
    await meter.async_refresh()
    assert getattr(meter.last_exception, "translation_key", None) == "meter_not_found"
    refused = [r for r in fluvius.request_log if RECENT_EAN in r.path]
    assert refused
    assert {r.status for r in refused} == {403}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, access_issue_id(subentry_id(ELEC_EAN)))
    assert issue is not None
    assert issue.translation_key == "meter_not_accessible"


async def test_unload_closes_everything(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    no_sessions_left_open: list[Any],
    move_to: MoveTo,
) -> None:
    """After unload no session of ours is open, no task or timer of ours is left."""
    await setup_all(hass, both_entry)
    await move_to(datetime(2026, 4, 16, 7, 30, tzinfo=BRUSSELS))
    assert no_sessions_left_open  # login sessions were created
    coordinators = list(both_entry.runtime_data.meters.values())
    assert len(coordinators) == 2
    assert await hass.config_entries.async_unload(both_entry.entry_id)
    assert both_entry.state is ConfigEntryState.NOT_LOADED
    await hass.async_block_till_done(wait_background_tasks=True)
    shared = async_get_clientsession(hass)
    ours = [s for s in no_sessions_left_open if s is not shared]
    assert ours
    assert all(s.closed for s in ours)
    # Nothing reaches the portal after unload.
    requests = all_requests(fluvius)
    await move_to(datetime(2026, 4, 17, 9, 30, tzinfo=BRUSSELS))
    assert all_requests(fluvius) == requests
    leftovers = [
        t for t in asyncio.all_tasks() if not t.done() and "fluvius" in repr(t.get_coro()).lower()
    ]
    assert not leftovers
    for meter in coordinators:
        assert meter._unsub_refresh is None
        assert not meter._listeners


async def test_remove_entry_removes_store(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Removing the account's entry deletes its stored token state and the statistics of
    every meter it held."""
    await setup_all(hass, both_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert store_key() in hass_storage
    assert await statistic_ids(hass)
    await hass.config_entries.async_remove(both_entry.entry_id)
    await hass.async_block_till_done()
    assert store_key() not in hass_storage
    assert not await statistic_ids(hass)


async def test_newest_data_matches_truth_after_restart_in_dst(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    move_to: MoveTo,
) -> None:
    """Setting up right after the spring DST day still yields complete days (92 quarters)."""
    await move_to(datetime(2026, 3, 30, 9, 0, tzinfo=BRUSSELS))
    await setup_all(hass, elec_entry)
    data = coordinator(elec_entry).data
    assert data.latest_day is not None
    assert data.latest_day.day.isoformat() == "2026-03-29"
    truth = fluvius.truth(ELEC_EAN).daily(data.latest_day.day, as_of=dt_util.utcnow())
    assert truth is not None
    assert {str(k): v for k, v in data.latest_day.values.items()} == pytest.approx(truth)
    await hass.async_block_till_done(wait_background_tasks=True)  # the history import too


async def test_meter_out_of_reach_at_setup_while_another_is_set_up(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    tick: Tick,
) -> None:
    """The first meter's login fails at setup, the second meter's succeeds: the entry loads,
    the first meter's entities wait without data (its history import already reports
    progress to them), and its next update brings the data and the peak baseline."""
    fluvius.faults.inject("token", "reset")
    await setup_all(hass, both_entry)
    assert both_entry.state is ConfigEntryState.LOADED
    assert "is not reachable yet" in caplog.text
    assert fluvius.faults.fired == [("token", "reset")]
    assert meter_of(both_entry, ELEC_EAN).data is None
    assert meter_of(both_entry, GAS_EAN).data is not None
    await tick(timedelta(minutes=15))
    await tick(timedelta(hours=1))
    assert "Unexpected error" not in caplog.text
    assert_day_values_match(hass, fluvius, ELEC_EAN)
    event = hass.states.get(f"event.electricity_meter_{ELEC_EAN[-4:]}_new_monthly_peak")
    assert event is not None
    assert event.state == "unknown"  # the first data is the baseline, not a new peak
