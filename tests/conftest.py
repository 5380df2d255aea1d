"""Fixtures shared by every test: the simulator and Home Assistant plumbing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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
