"""Fixtures shared by every test: the simulator and Home Assistant plumbing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant
import pytest

from custom_components.fluvius.const import DOMAIN
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_NOW

# asyncio's debug mode (a stack captured for every callback, coroutine and future, checks of
# the loop's thread) stays on where Home Assistant's flows, entities and simulator are tested,
# as the test plugin sets it for every test. It is off for the long simulations: the Energy
# statistics (weeks to months hour by hour, against the truth), the hardening runs (soak,
# fault matrix, security review) and the client and command line against the simulator,
# where it costs about a fifth of the time (the three-month peak-event test: 68 s with it,
# 55 s without) and those tests are most of the suite's. The same integration code runs under
# debug mode in tests/test_integration, and Home Assistant's own checks (loop-thread
# verification of its async APIs; the cleanup check of tasks, timers and threads) hold
# everywhere.
_NO_LOOP_DEBUG = (
    "tests/test_statistics/",
    "tests/test_hardening/",
    "tests/test_api/",
    "tests/test_cli/",
)


@pytest.fixture(autouse=True)
async def enable_event_loop_debug(request: pytest.FixtureRequest) -> None:
    """The test plugin's fixture of that name, except in the long simulations above."""
    if not request.node.nodeid.startswith(_NO_LOOP_DEBUG):
        asyncio.get_running_loop().set_debug(True)


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


# The suite runs on every core (pytest-xdist, `--dist load --maxschedchunk 1` in scripts/test):
# each worker takes the next test when it is free. Handing out the longest tests first keeps
# the workers' last tests short, so they finish together. The weights are rough seconds on a
# 2-core machine (measured with --durations=0); the order within a weight is pytest's own.
_SLOW_FIRST = (
    ("tests/test_hardening/test_soak.py::test_soak_sixty_days", 110),
    ("tests/e2e/", 100),
    ("tests/test_statistics/test_energy.py::test_peak_event_over_three_months_with_restarts", 50),
    ("tests/test_statistics/test_daily_only.py::test_daily_only_then_access_granted", 40),
    ("tests/test_statistics/test_daily_only.py::test_restart_during_the_reimport", 55),
    ("tests/test_statistics/test_costs.py::test_fixed_prices_equal_truth_then_recost_once", 25),
    ("tests/test_statistics/test_energy.py::test_restart_mid_backfill_resumes", 25),
    ("tests/test_statistics/test_account.py::test_readding_a_meter_fires_no_event", 30),
    ("tests/test_hardening/test_bench.py", 25),
    ("tests/test_statistics/test_costs.py::test_price_entity_with_formula_and_purged", 20),
    ("tests/test_cli/test_process.py::test_what_the_cli_loads_is_python_3_12", 20),
    ("tests/test_packaging.py::test_mypy_strict", 20),
    ("tests/test_statistics/", 10),
    ("tests/test_hardening/", 5),
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest tests first (a stable sort: otherwise pytest's order)."""

    def weight(item: pytest.Item) -> int:
        return next((w for prefix, w in _SLOW_FIRST if item.nodeid.startswith(prefix)), 0)

    items.sort(key=weight, reverse=True)
