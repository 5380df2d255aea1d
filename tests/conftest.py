"""Fixtures shared by every test: the simulator and Home Assistant plumbing."""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant
import pytest

from custom_components.fluvius.const import DOMAIN
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_NOW


@pytest.fixture
def sim_clock() -> SimClock:
    """A manual simulator clock, stopped at the demo's reference time."""
    return SimClock(DEMO_NOW)


@pytest.fixture
async def simulator(socket_enabled, sim_clock: SimClock) -> AsyncIterator[FluviusSimulator]:
    """The fake Fluvius (portal and B2C) on real loopback HTTP, with the demo accounts."""
    sim = FluviusSimulator.demo(clock=sim_clock)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def recorder_mock(recorder_mock: Recorder, hass: HomeAssistant) -> AsyncIterator[Recorder]:
    """The test plugin's recorder, with our entries unloaded before it shuts down.

    The plugin shuts its recorder down before the `hass` fixture stops Home Assistant, so an
    import of ours still running at the end of a test would read from a closed database
    (SQLite used after close: a segfault, seen once in CI). Home Assistant itself stops the
    integrations before its recorder; unloading our entries here keeps that order.
    """
    yield recorder_mock
    if hass.state is not CoreState.running:
        return
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
