"""Fixtures for the Energy tests: a clock shared by Home Assistant and the simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.models import MeterType
from tests.entries import account_entry
from tests.restartable import HomeAssistantRuns
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_NOW, ELEC_EAN, ELEC_SERIAL


@pytest.fixture(autouse=True)
def no_backfill_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """The polite pause between backfill steps would never end on a frozen loop clock."""
    monkeypatch.setattr("custom_components.fluvius.backfill.PAUSE_SECONDS", 0)


@pytest.fixture
def sim_clock(freezer: FrozenDateTimeFactory) -> SimClock:
    """Home Assistant's frozen clock drives the simulator too."""
    freezer.move_to(DEMO_NOW)
    return SimClock(DEMO_NOW, source=dt_util.utcnow)


# The live portal (refusals are `200 []`, one day per sub-daily request), three seeded random
# silent dialects (random code meanings, limits of 1 to 31 days: quarter-hours in 1- and
# 25-day ranges with a 2-day daily code; quarter-hours in 4-day ranges; hourly data only) and
# one 400-refusing dialect: every Energy test holds in each.
PORTAL_DIALECTS = ["live", "random:2", "random:42", "random:1", "dialect_a"]


@pytest.fixture(params=PORTAL_DIALECTS)
def fluvius(
    simulator: FluviusSimulator, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> FluviusSimulator:
    """The simulator, in each dialect, with the integration pointed at it."""
    simulator.options.dialect = request.param
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", simulator.portal_url)
    return simulator


def meter_entry(
    history_days: int,
    ean: str = ELEC_EAN,
    serial: str = ELEC_SERIAL,
    meter_type: MeterType = MeterType.ELECTRICITY,
) -> MockConfigEntry:
    """The demo account's entry with one meter, as the config flow writes it (not yet added
    to any instance)."""
    return account_entry([(ean, serial, meter_type)], history_days)


@pytest.fixture
def runs(
    async_test_recorder: Any,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    fluvius: FluviusSimulator,
) -> Callable[[list[MockConfigEntry]], HomeAssistantRuns]:
    """Home Assistant lifetimes on one database, for the given entries."""
    return lambda entries: HomeAssistantRuns(async_test_recorder, freezer, entries)
