"""Shared plumbing of the hardening tests: a clock-aware settle, restartable runs, checks.

Config entries come from tests/entries.py: one entry per account, a subentry per meter.

Home Assistant's clock is frozen (`freezer`), and so is the event loop's: `asyncio.sleep` and
every `asyncio.timeout` only move when the test moves the clock. A request the simulator leaves
hanging (the `timeout` fault) would therefore hang forever. `settle` waits for Home Assistant
to go idle and, when nothing progresses for a moment of wall time, moves the clock forward in
growing steps, so that the client's own request timeout (30 s) expires as it would in real
life.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
import logging
import time
from typing import Any

from freezegun import api as freezegun_api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.fluvius.api.brussels import BRUSSELS
from tests.restartable import HomeAssistantRuns
from tests.simulator import MeterTruth

# Loggers whose records may name an EAN by design: the simulator's own server (URLs), the
# recorder and SQLAlchemy (they print the statistic IDs `fluvius:<ean>_<register>` that the
# Energy dashboard mandates), and the harness's in-memory `.storage` stand-in (it dumps what
# it stores; the real Store does not log contents).
FOREIGN_LOGGERS = (
    "tests.simulator",
    "aiohttp.access",
    "aiohttp.server",
    "homeassistant.components.recorder",
    "sqlalchemy",
)
HARNESS_STORAGE_LOGGER = "pytest_homeassistant_custom_component.common"
OUR_LOGGER = "custom_components.fluvius"
TOLERANCE = 1e-6


@pytest.fixture(autouse=True)
def no_backfill_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """The polite pause between backfill steps would never end on a frozen loop clock."""
    monkeypatch.setattr("custom_components.fluvius.backfill.PAUSE_SECONDS", 0)


async def settle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    patience: float = 0.2,
    max_step: timedelta = timedelta(seconds=32),
) -> timedelta:
    """Wait until Home Assistant is idle; returns how far the clock had to move.

    While nothing runs for `patience` seconds of wall time (the event loop has no callback
    queued), the frozen clock moves on by 1 s, 2 s, 4 s, ... (at most `max_step`), which
    releases sleeps and request timeouts. Work that keeps the loop busy (a long backfill on a
    loaded machine) never moves the clock, so it cannot time out requests in flight.
    """
    waiter = asyncio.ensure_future(hass.async_block_till_done(wait_background_tasks=True))
    moved = timedelta()
    step = timedelta(seconds=1)
    since = freezegun_api.real_perf_counter()
    loop = asyncio.get_running_loop()
    while not waiter.done():
        await asyncio.sleep(0)
        if loop._ready:  # callbacks queued: work is progressing, not waiting on the clock
            since = freezegun_api.real_perf_counter()
            step = timedelta(seconds=1)
            continue
        if freezegun_api.real_perf_counter() - since < patience:
            # Real time for the recorder thread and the sockets: asyncio.sleep(>0) would wait
            # on the frozen loop clock.
            time.sleep(0.0005)  # noqa: ASYNC251
            continue
        freezer.tick(step)
        async_fire_time_changed(hass)
        moved += step
        step = min(step * 2, max_step)
        since = freezegun_api.real_perf_counter()
    waiter.result()
    return moved


class SettlingRuns(HomeAssistantRuns):
    """HomeAssistantRuns whose waits survive requests that hang on the frozen clock."""

    def __init__(
        self,
        async_test_recorder: Callable[..., Any],
        freezer: FrozenDateTimeFactory,
        entries: list[MockConfigEntry],
    ) -> None:
        """As HomeAssistantRuns; counts how far `settle` had to move the clock."""
        super().__init__(async_test_recorder, freezer, entries)
        self.clock_moved = timedelta()

    async def settle(self, hass: HomeAssistant) -> None:
        """Wait until idle, moving the clock on while requests hang (see `settle`)."""
        self.clock_moved += await settle(hass, self._freezer)

    async def move_to(self, when: datetime) -> None:
        """Jump the clock to an instant and let the running instance do what fell due."""
        assert self.hass is not None
        self._freezer.move_to(when)
        async_fire_time_changed(self.hass)
        await self.settle(self.hass)


def unhandled(records: list[logging.LogRecord]) -> list[str]:
    """ERROR records of ours or Home Assistant's that show an unhandled exception."""
    bad: list[str] = []
    for record in records:
        if record.levelno < logging.ERROR:
            continue
        if not record.name.startswith((OUR_LOGGER, "homeassistant", "asyncio", "aiohttp")):
            continue
        message = record.getMessage()
        if (
            record.exc_info
            or "Traceback" in message
            or "Unexpected" in message
            or "never retrieved" in message
        ):
            bad.append(f"{record.name}: {message[:300]}")
    return bad


def assert_statistics_match(
    rows: dict[str, list[dict[str, Any]]],
    truth: MeterTruth,
    start: datetime,
    now: datetime,
    prices: Mapping[str, float] | None = None,
) -> int:
    """Every published hour since `start` exactly once, equal to the final values when final,
    else to what the portal serves now; running sums from zero. Returns the hours checked.

    With `prices` (per register), the rows are cost rows: the truth's energy × the price."""
    end = truth.published_until(now)
    assert end is not None
    served = truth.hourly(start, end, as_of=now)
    final = truth.hourly(start, end)
    last_final_day = max(d for d in local_days(start, end) if truth.final_time(d) <= now)
    final_until = truth.day_bounds(last_final_day)[1]
    for register, series in rows.items():
        hours = [datetime.fromtimestamp(row["start"], UTC) for row in series]
        assert len(hours) == len(set(hours)), f"{register}: an hour is doubled"
        missing = sorted(set(served) - set(hours))
        extra = sorted(set(hours) - set(served))
        assert not missing, f"{register}: {len(missing)} hours missing, e.g. {missing[:3]}"
        assert not extra, f"{register}: {len(extra)} hours not served, e.g. {extra[:3]}"
        total = 0.0
        for hour, row in zip(hours, series, strict=True):
            want = (final if hour < final_until else served)[hour][register]
            want *= prices[register] if prices is not None else 1.0
            total += want
            assert abs(row["state"] - want) < TOLERANCE, (register, hour, row["state"], want)
            assert abs(row["sum"] - total) < TOLERANCE, (register, hour)
    return len(served)


def local_days(start: datetime, end: datetime) -> Iterator[date]:
    """Brussels dates from the day before `start` to the day of `end`."""
    day = start.astimezone(BRUSSELS).date() - timedelta(days=1)
    while day <= end.astimezone(BRUSSELS).date():
        yield day
        day += timedelta(days=1)
