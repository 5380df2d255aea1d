"""Fixtures for the client tests: clients bound to the running simulator, closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from custom_components.fluvius.api import FluviusClient
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_EMAIL, DEMO_PASSWORD

ClientFactory = Callable[..., FluviusClient]


@pytest.fixture
async def make_client(
    simulator: FluviusSimulator, sim_clock: SimClock
) -> AsyncIterator[ClientFactory]:
    """Build clients for the simulator (demo account, sim clock, short timeout)."""
    clients: list[FluviusClient] = []

    def factory(
        email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD, **kwargs: Any
    ) -> FluviusClient:
        kwargs.setdefault("portal_url", simulator.portal_url)
        kwargs.setdefault("clock", sim_clock.now)
        kwargs.setdefault("request_timeout", 5.0)
        client = FluviusClient(email, password, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: ClientFactory) -> FluviusClient:
    """A cold client for the demo account."""
    return make_client()
