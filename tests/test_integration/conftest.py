"""Home Assistant fixtures for the integration tests.

Home Assistant's clock is frozen at the simulator's reference time and the simulator's
clock follows Home Assistant's, so moving time with `freezer` moves both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import (
    CONF_EAN,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DOMAIN,
)
from tests.entries import ELEC, GAS, account_entry
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_NOW,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
)

# A short history keeps each test's background backfill quick; test_energy.py covers long ones.
TEST_HISTORY_DAYS = 14


@pytest.fixture(autouse=True)
def no_backfill_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """The polite pause between backfill steps would never end on a frozen loop clock."""
    monkeypatch.setattr("custom_components.fluvius.backfill.PAUSE_SECONDS", 0)


@pytest.fixture(autouse=True)
def frozen_now(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze Home Assistant at the demo's reference time (before hass starts)."""
    freezer.move_to(DEMO_NOW)
    return freezer


@pytest.fixture(autouse=True)
def integration_env(
    frozen_now: FrozenDateTimeFactory, recorder_mock: Any, enable_custom_integrations: None
) -> None:
    """Frozen time, then the recorder (a dependency), then hass with custom integrations."""


@pytest.fixture
def sim_clock(frozen_now: FrozenDateTimeFactory) -> SimClock:
    """The simulator's clock follows Home Assistant's (frozen) clock."""
    return SimClock(DEMO_NOW, source=dt_util.utcnow)


@pytest.fixture
async def fluvius(
    hass: HomeAssistant,
    simulator: FluviusSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[FluviusSimulator]:
    """The simulator, with the integration pointed at it (recorder set up first).

    At teardown our entries are unloaded while the simulator still answers: a request
    still in flight (a history import, a retry) would otherwise reach a closing server,
    and asyncio fails the test on the connection it can no longer attach."""
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", simulator.portal_url)
    yield simulator
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_RETRY):
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def entry_data(
    ean: str = ELEC_EAN,
    serial: str = ELEC_SERIAL,
    meter_type: MeterType = MeterType.ELECTRICITY,
    email: str = DEMO_EMAIL,
    password: str = DEMO_PASSWORD,
) -> dict[str, Any]:
    """Config entry data as the config flow writes it (without a dialect)."""
    return {
        CONF_EMAIL: email,
        CONF_PASSWORD: password,
        CONF_EAN: ean,
        CONF_METER_SERIAL: serial,
        CONF_METER_TYPE: meter_type.value,
    }


def make_entry(
    hass: HomeAssistant,
    ean: str = ELEC_EAN,
    serial: str = ELEC_SERIAL,
    meter_type: MeterType = MeterType.ELECTRICITY,
    **kwargs: Any,
) -> MockConfigEntry:
    """An account entry holding one meter, added to hass."""
    entry = account_entry([(ean, serial, meter_type)], TEST_HISTORY_DAYS, **kwargs)
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def elec_entry(hass: HomeAssistant) -> MockConfigEntry:
    """The demo account with its dual-tariff electricity meter."""
    return make_entry(hass)


@pytest.fixture
def gas_entry(hass: HomeAssistant) -> MockConfigEntry:
    """The demo account with its gas meter."""
    return make_entry(hass, GAS_EAN, GAS_SERIAL, MeterType.GAS)


@pytest.fixture
def both_entry(hass: HomeAssistant) -> MockConfigEntry:
    """The demo account with both its meters: the common Flemish household."""
    entry = account_entry([ELEC, GAS], TEST_HISTORY_DAYS)
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def tick(
    hass: HomeAssistant, frozen_now: FrozenDateTimeFactory
) -> Callable[[timedelta], Awaitable[None]]:
    """Move both clocks forward and let Home Assistant run what fell due."""

    async def _tick(delta: timedelta) -> None:
        frozen_now.tick(delta)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    return _tick


@pytest.fixture
def move_to(
    hass: HomeAssistant, frozen_now: FrozenDateTimeFactory
) -> Callable[[datetime], Awaitable[None]]:
    """Jump both clocks to an instant and let Home Assistant run what fell due."""

    async def _move(when: datetime) -> None:
        frozen_now.move_to(when)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    return _move


@pytest.fixture
def no_sessions_left_open(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Record every aiohttp ClientSession created during the test."""
    import aiohttp

    created: list[aiohttp.ClientSession] = []
    original = aiohttp.ClientSession.__init__

    def tracking_init(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        created.append(self)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", tracking_init)
    return created
