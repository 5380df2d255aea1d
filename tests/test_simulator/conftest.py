"""Fixtures for the simulator's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_EMAIL, DEMO_PASSWORD

from .reference import RefClient

SimFactory = Callable[..., Awaitable[FluviusSimulator]]


@pytest.fixture
async def make_sim(socket_enabled: None, sim_clock: SimClock) -> AsyncIterator[SimFactory]:
    """Start demo simulators with options; all are stopped after the test."""
    started: list[FluviusSimulator] = []

    async def factory(**options: Any) -> FluviusSimulator:
        sim = FluviusSimulator.demo(clock=options.pop("clock", sim_clock), **options)
        await sim.start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        await sim.stop()


@pytest.fixture
async def client(simulator: FluviusSimulator) -> AsyncIterator[RefClient]:
    """A reference client on the default demo simulator."""
    async with RefClient(simulator) as ref:
        yield ref


@pytest.fixture
async def token(client: RefClient) -> str:
    """A valid access token of the demo account."""
    tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    return tokens["access_token"]
