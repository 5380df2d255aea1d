"""Setup, account sharing, token persistence, errors at runtime, unload and removal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.client import FluviusClient
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import BRUSSELS, DOMAIN
from custom_components.fluvius.coordinator import DATA_ACCOUNTS, account_fingerprint
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

from .conftest import make_entry

Tick = Callable[[timedelta], Awaitable[None]]
MoveTo = Callable[[datetime], Awaitable[None]]


async def setup_all(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the domain (all its entries)."""
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def login_attempts(sim: FluviusSimulator) -> int:
    """Credential submissions the simulator saw (successful or not)."""
    return sim.stats.requests["self_asserted"]


def sensor_state(hass: HomeAssistant, ean: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_two_meters_one_login(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    gas_entry: MockConfigEntry,
    tick: Tick,
) -> None:
    """Entries of one account share a client and a token: one login in total."""
    await setup_all(hass, elec_entry)
    assert elec_entry.state is ConfigEntryState.LOADED
    assert gas_entry.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1
    assert elec_entry.runtime_data.client is gas_entry.runtime_data.client
    assert elec_entry.runtime_data.account.refs == 2
    # A third meter of another account logs in separately.
    other = make_entry(hass, RECENT_EAN, RECENT_SERIAL, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    assert fluvius.stats.logins == 2
    assert other.runtime_data.client is not elec_entry.runtime_data.client
    # Unloading one meter keeps the shared client for the other.
    assert await hass.config_entries.async_unload(gas_entry.entry_id)
    assert elec_entry.runtime_data.account.refs == 1
    await tick(timedelta(hours=1))
    assert fluvius.stats.logins == 2


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
    stored = hass_storage[f"{DOMAIN}.{elec_entry.entry_id}"]["data"]
    assert stored["tokens"]["refresh_token"]
    assert stored["dialects"]["meters"]
    measurement_requests = fluvius.stats.requests["measurements"]

    assert await hass.config_entries.async_unload(elec_entry.entry_id)
    assert not hass.data[DATA_ACCOUNTS].accounts  # the client is gone
    await hass.config_entries.async_setup(elec_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert elec_entry.state is ConfigEntryState.LOADED
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
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {"account": account_fingerprint(DEMO_EMAIL), "tokens": tokens, "dialects": {}},
    }
    await setup_all(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1  # the one above


async def test_stored_token_of_other_account_ignored(
    hass: HomeAssistant, fluvius: FluviusSimulator, hass_storage: dict[str, Any]
) -> None:
    """After the e-mail changed, stored token state of the old account is not used."""
    entry = make_entry(hass)
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {"account": account_fingerprint("old@x.test"), "tokens": {"x": 1}},
    }
    await setup_all(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert fluvius.stats.logins == 1


async def test_wrong_password_at_runtime_starts_reauth_once(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    gas_entry: MockConfigEntry,
    tick: Tick,
) -> None:
    """A changed password starts reauth; nobody tries to log in again afterwards."""
    await setup_all(hass, elec_entry)
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.password = "changed-on-the-portal"
    fluvius.revoke_tokens(DEMO_EMAIL)
    # Run into the morning, when new data is due and the revoked token is noticed.
    for _ in range(24):
        await tick(timedelta(hours=1))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert {f["context"]["source"] for f in flows} == {SOURCE_REAUTH}
    assert {f["context"]["entry_id"] for f in flows} == {elec_entry.entry_id, gas_entry.entry_id}
    assert fluvius.stats.failed_logins == 1
    attempts = login_attempts(fluvius)
    requests = sum(fluvius.stats.requests.values())
    for _ in range(3 * 24):
        await tick(timedelta(hours=1))
    assert fluvius.stats.failed_logins == 1
    assert login_attempts(fluvius) == attempts
    assert sum(fluvius.stats.requests.values()) == requests
    assert sensor_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE


async def test_wrong_password_at_setup(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """Rejected credentials at setup: reauth, and the account is not retried."""
    entry = make_entry(hass, password="wrong")
    await setup_all(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert fluvius.stats.failed_logins == 1
    # Another meter of the same (wrong) credentials does not try again.
    gas = make_entry(hass, GAS_EAN, GAS_SERIAL, MeterType.GAS, password="wrong")
    await hass.config_entries.async_setup(gas.entry_id)
    await hass.async_block_till_done()
    assert gas.state is ConfigEntryState.SETUP_ERROR
    assert fluvius.stats.failed_logins == 1


async def test_setup_not_ready_when_unreachable(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """A connection failure during setup means: retry later."""
    fluvius.faults.inject("msal_config", "reset", count=None)
    await setup_all(hass, elec_entry)
    assert elec_entry.state is ConfigEntryState.SETUP_RETRY
    assert DATA_ACCOUNTS in hass.data
    assert not hass.data[DATA_ACCOUNTS].accounts  # released again


async def test_rate_limit_honours_retry_after(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    move_to: MoveTo,
    tick: Tick,
) -> None:
    """429 makes the entities unavailable and the next try waits Retry-After, not an hour."""
    await setup_all(hass, elec_entry)
    coordinator = elec_entry.runtime_data
    await move_to(datetime(2026, 4, 16, 5, 59, tzinfo=BRUSSELS))
    fluvius.faults.inject("measurements", "rate_limit", count=1, seconds=600)
    await tick(timedelta(hours=1))  # the 06:59 poll: day 15 is due, answered 429
    assert not coordinator.last_update_success
    assert coordinator.last_exception is not None
    assert getattr(coordinator.last_exception, "translation_key", None) == "rate_limited"
    assert sensor_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE
    await tick(timedelta(seconds=601))
    assert coordinator.last_update_success
    assert coordinator.data.latest_day is not None
    assert coordinator.data.latest_day.day.isoformat() == "2026-04-15"


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
    """A 403 at runtime is a translated update failure."""
    await setup_all(hass, elec_entry)
    coordinator = elec_entry.runtime_data
    coordinator.ean = RECENT_EAN  # an EAN of another account: 403
    await move_to(datetime(2026, 4, 16, 7, 30, tzinfo=BRUSSELS))
    await coordinator.async_refresh()
    assert getattr(coordinator.last_exception, "translation_key", None) == "meter_not_found"


async def test_unload_closes_everything(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    gas_entry: MockConfigEntry,
    no_sessions_left_open: list[Any],
    move_to: MoveTo,
) -> None:
    """After unload no session of ours is open, no task or timer of ours is left."""
    await setup_all(hass, elec_entry)
    await move_to(datetime(2026, 4, 16, 7, 30, tzinfo=BRUSSELS))
    assert no_sessions_left_open  # login sessions were created
    coordinators = [elec_entry.runtime_data, gas_entry.runtime_data]
    for entry in (elec_entry, gas_entry):
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert entry.state is ConfigEntryState.NOT_LOADED
    await hass.async_block_till_done(wait_background_tasks=True)
    shared = async_get_clientsession(hass)
    ours = [s for s in no_sessions_left_open if s is not shared]
    assert ours
    assert all(s.closed for s in ours)
    assert not hass.data[DATA_ACCOUNTS].accounts
    leftovers = [
        t for t in asyncio.all_tasks() if not t.done() and "fluvius" in repr(t.get_coro()).lower()
    ]
    assert not leftovers
    for coordinator in coordinators:
        assert coordinator._unsub_refresh is None
        assert not coordinator._listeners


async def test_remove_entry_removes_store(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Removing the entry deletes its stored token state."""
    await setup_all(hass, elec_entry)
    key = f"{DOMAIN}.{elec_entry.entry_id}"
    assert key in hass_storage
    await hass.config_entries.async_remove(elec_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_newest_data_matches_truth_after_restart_in_dst(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    move_to: MoveTo,
) -> None:
    """Setting up right after the spring DST day still yields complete days (92 quarters)."""
    await move_to(datetime(2026, 3, 30, 9, 0, tzinfo=BRUSSELS))
    await setup_all(hass, elec_entry)
    data = elec_entry.runtime_data.data
    assert data.latest_day is not None
    assert data.latest_day.day.isoformat() == "2026-03-29"
    truth = fluvius.truth(ELEC_EAN).daily(data.latest_day.day, as_of=dt_util.utcnow())
    assert truth is not None
    assert {str(k): v for k, v in data.latest_day.values.items()} == pytest.approx(truth)
