"""Measurement scenarios for bench_integration, run as pytest tests in their own process.

Not collected by the normal suite (the file name does not start with test_); the bench runs
`python -m pytest tests/benchmarks/integration_scenarios.py -k <scenario>` once per scenario,
so that each gets a fresh process (peak RSS means something), and reads the figures back from
the JSON file named by BENCH_OUT. Parameters come from BENCH_* environment variables.

The simulator runs on its own event loop in a second thread, so the CPU time measured on Home
Assistant's thread is the integration's (plus Home Assistant's own), not the simulator's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, time as clock_time, timedelta
import json
import os
from pathlib import Path
import resource
import statistics
import sys
import threading
import time
from typing import Any

from freezegun import api as freezegun_api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.price_timeline import energy_timeline, with_timelines
from custom_components.fluvius.pricing import PriceSettings
from tests.entries import ELEC, GAS, account_entry, coordinator as meter_coordinator
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_NOW, ELEC_EAN, GAS_EAN
from tests.test_hardening.conftest import settle


def _param(name: str, default: int) -> int:
    return int(os.environ.get(f"BENCH_{name}", default))


def _dialect() -> str:
    """The simulated portal's dialect: the live one unless BENCH_DIALECT says otherwise."""
    return os.environ.get("BENCH_DIALECT", "live")


def _record(section: str, values: dict[str, Any]) -> None:
    """Merge one scenario's figures into the JSON file the bench reads."""
    out = os.environ.get("BENCH_OUT")
    if not out:
        print(section, json.dumps(values, indent=1))
        return
    path = Path(out)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[section] = values
    path.write_text(json.dumps(data, indent=1))


def _rss_mib() -> float:
    """Current resident set size of this process (Linux), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


class ThreadedSimulator:
    """The simulator on its own event loop in a second thread."""

    def __init__(self, clock: SimClock, **options: Any) -> None:
        self.sim = FluviusSimulator.demo(clock=clock, **options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fluvius-simulator", daemon=True
        )

    def __enter__(self) -> FluviusSimulator:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.sim.start(), self._loop).result(30)
        return self.sim

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()


@pytest.fixture
def threaded_sim(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FluviusSimulator]:
    """The simulator (its clock follows Home Assistant's), and the integration pointed at it."""
    clock = SimClock(dt_util.utcnow(), source=dt_util.utcnow)
    with ThreadedSimulator(clock, dialect=_dialect()) as sim:
        monkeypatch.setenv("FLUVIUS_PORTAL_URL", sim.portal_url)
        yield sim


class PollTimer:
    """Main-thread CPU time of every coordinator update, split by whether it sent requests."""

    def __init__(self, sim: FluviusSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
        self.busy: list[float] = []
        self.idle: list[float] = []
        update = FluviusCoordinator._async_update_data
        timer = self

        async def timed(coordinator: FluviusCoordinator):
            requests = sum(sim.stats.requests.values())
            began = time.thread_time()
            try:
                return await update(coordinator)
            finally:
                spent = time.thread_time() - began
                sent = sum(sim.stats.requests.values()) > requests
                (timer.busy if sent else timer.idle).append(spent)

        monkeypatch.setattr(FluviusCoordinator, "_async_update_data", timed)


# --------------------------------------------------------------------------- steady state


@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_steady_state(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    threaded_sim: FluviusSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An electricity and a gas meter of one account (one entry, a subentry each), hourly
    ticks for BENCH_DAYS days after a day of warm-up: requests per meter per day, logins per
    day, CPU time per poll."""
    days = _param("DAYS", 14)
    monkeypatch.setattr("custom_components.fluvius.backfill.PAUSE_SECONDS", 0)
    sim = threaded_sim
    freezer.move_to(DEMO_NOW + timedelta(minutes=37))
    entry = account_entry([ELEC, GAS], 14)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, freezer)
    assert len(entry.runtime_data.meters) == 2

    async def tick() -> None:
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(hass)
        await settle(hass, freezer)

    for _ in range(24):
        await tick()
    sim.reset_stats()
    timer = PollTimer(sim, monkeypatch)
    for _ in range(days * 24):
        await tick()
    per_meter = {ELEC_EAN: 0, GAS_EAN: 0}
    shared = 0
    for record in sim.request_log:
        owner = next((ean for ean in per_meter if ean in record.path), None)
        if owner is None:
            shared += 1
        else:
            per_meter[owner] += 1
    _record(
        f"steady_state:{_dialect()}",
        {
            "days": days,
            "elec_requests_per_day": per_meter[ELEC_EAN] / days,
            "gas_requests_per_day": per_meter[GAS_EAN] / days,
            "shared_auth_requests_per_day": shared / days,
            "logins_per_day": sim.stats.logins / days,
            "refreshes_per_day": sim.stats.refreshes / days,
            "polls_with_requests": len(timer.busy),
            "polls_idle": len(timer.idle),
            "cpu_ms_poll_with_requests_median": 1000 * statistics.median(timer.busy),
            "cpu_ms_poll_idle_median": 1000 * statistics.median(timer.idle),
            "cpu_ms_poll_all_median": 1000 * statistics.median(timer.busy + timer.idle),
        },
    )


# --------------------------------------------------------------------------- backfill


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_backfill(hass: HomeAssistant, threaded_sim: FluviusSimulator) -> None:
    """A BENCH_BACKFILL_DAYS backfill of one electricity meter through the integration, on
    an on-disk SQLite recorder, at the real pace (backfill.PAUSE_SECONDS untouched)."""
    from custom_components.fluvius import backfill

    days = _param("BACKFILL_DAYS", 365)
    sim = threaded_sim
    now = dt_util.utcnow()
    first = datetime.combine(
        now.astimezone(BRUSSELS).date() - timedelta(days=days), clock_time(), BRUSSELS
    )
    sim.truth(ELEC_EAN).intervals(first.astimezone(UTC), now, as_of=now)  # warm its cache
    entry = account_entry([ELEC], days)
    entry.add_to_hass(hass)
    rss_before = _rss_mib()
    wall = freezegun_api.real_perf_counter()
    cpu = time.thread_time()
    await hass.config_entries.async_setup(entry.entry_id)
    coordinator = meter_coordinator(entry)
    while not coordinator.backfill.done:
        await asyncio.sleep(0.05)
    await async_wait_recording_done(hass)
    wall = freezegun_api.real_perf_counter() - wall
    cpu = time.thread_time() - cpu
    assert coordinator.backfill.progress == 100
    store_kib = len(json.dumps(coordinator.quarter_hours.as_dict())) / 1024
    rows = await _row_count(hass)
    # Fixed prices set afterwards: no reload; the whole history is re-costed from the store
    # in a background task. Wait for that task itself (the import was already done, so
    # `backfill.done` says nothing), then for the recorder to have written every cost row.
    recost = freezegun_api.real_perf_counter()
    subentry = next(iter(entry.subentries.values()))
    hass.config_entries.async_update_subentry(
        entry,
        subentry,
        data={**subentry.data, "price_source": "fixed", "price_consumption_high": 0.3},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    recost = freezegun_api.real_perf_counter() - recost
    assert meter_coordinator(entry) is coordinator, "a price change must not reload"
    assert coordinator.statistics.costs.report.recosted is not None, "no re-cost ran"
    cost_rows = await _row_count(hass, "_cost")
    assert cost_rows > 0, "the re-cost wrote no cost row"
    # New prices from today (issue #21): the past keeps its costs, nothing is re-costed; and
    # new prices from the 1st of last month: that month and this one are re-costed.
    recosted_at = coordinator.statistics.costs.report.recosted
    from_today = await _timed_new_prices(hass, entry, None)
    assert coordinator.statistics.costs.report.recosted == recosted_at, "today re-costed"
    last_month = dt_util.utcnow().astimezone(BRUSSELS).date().replace(day=1) - timedelta(days=1)
    from_last_month = await _timed_new_prices(hass, entry, last_month.replace(day=1))
    assert coordinator.statistics.costs.report.recosted != recosted_at, "no re-cost ran"
    _record(
        f"backfill:{_dialect()}",
        {
            "store_kib": store_kib,
            "recost_seconds": recost,
            "new_prices_from_today_seconds": from_today,
            "new_prices_from_last_month_seconds": from_last_month,
            "cost_rows": cost_rows,
            "days": days,
            "pause_seconds": backfill.PAUSE_SECONDS,
            "wall_seconds": wall,
            "main_thread_cpu_seconds": cpu,
            "requests": sum(sim.stats.requests.values()),
            "measurement_requests": sim.stats.requests["measurements"],
            "logins": sim.stats.logins,
            "rss_before_mib": rss_before,
            "peak_rss_mib": _peak_rss_mib(),
            "statistic_rows": rows,
        },
    )


async def _timed_new_prices(hass: HomeAssistant, entry: Any, start: date | None) -> float:
    """Seconds from saving new fixed prices from a day (None: today) as the settings flow
    does to the end of what that re-costs (background task and recorder included)."""
    subentry = next(iter(entry.subentries.values()))
    timeline = energy_timeline(subentry.data, MeterType.ELECTRICITY)
    prices = PriceSettings.from_data(
        {"price_source": "fixed", "price_consumption_high": 0.25 + len(timeline.periods) / 100},
        MeterType.ELECTRICITY,
    )
    new = timeline.added(prices, now=dt_util.utcnow(), start=start)
    wall = freezegun_api.real_perf_counter()
    hass.config_entries.async_update_subentry(
        entry, subentry, data=with_timelines(subentry.data, MeterType.ELECTRICITY, energy=new)
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    return freezegun_api.real_perf_counter() - wall


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.usefixtures("recorder_mock")
async def test_recorder_floor(hass: HomeAssistant) -> None:
    """Home Assistant's recorder alone importing as many hourly rows as that backfill (four
    registers, BENCH_BACKFILL_DAYS days, in 31-day batches): the floor under its wall time."""
    from homeassistant.components.recorder.models import (
        StatisticData,
        StatisticMeanType,
        StatisticMetaData,
    )
    from homeassistant.components.recorder.statistics import async_add_external_statistics
    from homeassistant.const import UnitOfEnergy

    days = _param("BACKFILL_DAYS", 365)
    first = datetime.combine(
        dt_util.utcnow().astimezone(BRUSSELS).date() - timedelta(days=days),
        clock_time(),
        BRUSSELS,
    ).astimezone(UTC)
    hours = [first + timedelta(hours=h) for h in range(days * 24)]
    wall = freezegun_api.real_perf_counter()
    rows = 0
    for register in ("consumption_high", "consumption_low", "injection_high", "injection_low"):
        metadata = StatisticMetaData(
            has_sum=True,
            mean_type=StatisticMeanType.NONE,
            name=f"floor {register}",
            source=DOMAIN,
            statistic_id=f"{DOMAIN}:floor_{register}",
            unit_class="energy",
            unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        )
        for batch in range(0, len(hours), 31 * 24):
            chunk = hours[batch : batch + 31 * 24]
            data = [
                StatisticData(start=hour, state=0.25, sum=0.25 * (batch + i + 1))
                for i, hour in enumerate(chunk)
            ]
            async_add_external_statistics(hass, metadata, data)
            rows += len(data)
    await async_wait_recording_done(hass)
    _record(
        "recorder_floor",
        {"rows": rows, "wall_seconds": freezegun_api.real_perf_counter() - wall},
    )


async def _row_count(hass: HomeAssistant, suffix: str = "") -> int:
    """Hourly rows of our statistics (those whose ID ends with `suffix`, if given)."""
    from homeassistant.components.recorder import get_instance
    from homeassistant.components.recorder.statistics import statistics_during_period

    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        None,
        "hour",
        None,
        {"sum"},
    )
    return sum(
        len(rows)
        for stat_id, rows in found.items()
        if stat_id.startswith(DOMAIN) and stat_id.endswith(suffix)
    )


# --------------------------------------------------------------------------- setup time


@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_setup_time(hass: HomeAssistant, threaded_sim: FluviusSimulator) -> None:
    """Time for async_setup_entry to return: cold (login, discovery, first fetch) and warm
    (a reload with the stored token and dialect), BENCH_SETUP_RUNS times each."""
    runs = _param("SETUP_RUNS", 5)
    sim = threaded_sim
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    requests: dict[str, list[int]] = {"cold": [], "warm": []}
    for _ in range(runs):
        entry: MockConfigEntry = account_entry([ELEC], 1)
        entry.add_to_hass(hass)
        for kind in ("cold", "warm"):
            before = sum(sim.stats.requests.values())
            began = freezegun_api.real_perf_counter()
            assert await hass.config_entries.async_setup(entry.entry_id)
            times[kind].append(freezegun_api.real_perf_counter() - began)
            requests[kind].append(sum(sim.stats.requests.values()) - before)
            await hass.async_block_till_done(wait_background_tasks=True)
            assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    _record(
        "setup",
        {
            "runs": runs,
            "cold_ms_median": 1000 * statistics.median(times["cold"]),
            "warm_ms_median": 1000 * statistics.median(times["warm"]),
            "cold_requests_median": statistics.median(requests["cold"]),
            "warm_requests_median": statistics.median(requests["warm"]),
        },
    )
