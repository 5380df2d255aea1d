"""Soak: two months of unattended hourly polling against a misbehaving portal.

60 simulated days (2026-10-05 to 2026-12-04: the autumn DST change, two month changes) of an
electricity and a gas meter of one account (one config entry, a subentry per meter), on the
live portal's behaviour (a refusal is an empty `200 []`, a sub-daily request covers one day),
on the simulator's clock, with seeded random faults on every endpoint (timeouts, resets, 429
with Retry-After, 5xx, truncated JSON, an HTML maintenance page, 401 in the middle of a
session), refresh tokens that expire every 24 h, provisional values revised two days after
publication, and three Home Assistant restarts on the same database and `.storage`.

Every expectation comes from the simulator: the hourly statistics from `sim.truth(ean)`, the
expected `new_peak` events from the monthly peaks the portal served at each poll time (the
peak served when the meter is first set up is the baseline, not announced).

The clock ticks one hour at a time, day and night (about 1,480 ticks, two minutes of wall
time on a 2-core machine): most ticks send no request, so hourly ticks are cheap enough that
no shortcut is needed. A request the simulator leaves hanging (`timeout`) is released by
`settle`, which moves the clock on until the client's own 30 s timeout fires.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import logging
import os
from typing import Any

from freezegun import api as freezegun_api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import pytest

from custom_components.fluvius.api.brussels import BRUSSELS
from tests.entries import ELEC, GAS, account_entry
from tests.recorded import statistics_rows
from tests.simulator import FluviusSimulator, MeterTruth, SimClock
from tests.simulator.demo import ELEC_EAN, GAS_EAN

from .conftest import (
    SettlingRuns,
    assert_statistics_match,
    local_days,
    unhandled,
)

START = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
DAYS = 60
HISTORY_DAYS = 14
FAULT_RATE = 0.1
FAULT_KINDS = (
    "timeout",
    "reset",
    "rate_limit",
    "server_error",
    "invalid_json",
    "html",
    "unauthorized",
    "latency",
)
# Restarts: (day of the run, local time HA stops, how long it stays down).
RESTARTS = (
    (15, time(3, 30), timedelta(hours=2)),  # a quiet night
    (30, time(7, 30), timedelta(hours=3)),  # in the middle of the publication window
    (45, time(20, 30), timedelta(hours=30)),  # down over a whole publication day
)
HOUR = timedelta(hours=1)
MAX_EVENT_DELAY = timedelta(hours=12)  # same publication day, whatever the faults
SETTLE_DAYS = 3  # fault-free days at the end, so that revisions of the last days land
ELEC_REGISTERS = ("consumption_high", "consumption_low", "injection_high", "injection_low")
GAS_REGISTERS = ("gas_volume", "gas_energy")
PRICES = {
    "consumption_high": 0.3123,
    "consumption_low": 0.2456,
    "injection_high": 0.0521,
    "injection_low": 0.0387,
    "gas_volume": 1.234,
}
PRICE_SETTINGS = {
    "price_source": "fixed",
    **{f"price_{r}": PRICES[r] for r in ELEC_REGISTERS},
    "price_gas": PRICES["gas_volume"],
}
COST_KIND = {r: "compensation" if r.startswith("injection") else "cost" for r in ELEC_REGISTERS}


@dataclass(slots=True)
class PeakWatch:
    """Expected events, from what the portal serves, and the events the entity fired."""

    truth: MeterTruth
    expected: list[tuple[str, float, datetime]] = field(default_factory=list)
    fired: list[tuple[str, float, datetime]] = field(default_factory=list)
    _month: tuple[int, int] | None = None
    _max: dict[tuple[int, int], float] = field(default_factory=dict)
    _seen: set[tuple[str, str, float]] = field(default_factory=set)

    def sample(self, now: datetime) -> None:
        """What the portal serves now: a new latest month, or a higher peak, is a new peak.
        The first peak sampled (at the first setup) is the baseline: not announced."""
        day = self.truth.last_published_day(now)
        month = (day.year, day.month)
        served = self.truth.monthly_peak(*month, as_of=now)
        if served is None:
            return
        kw = served[0]
        key = f"{month[0]:04d}-{month[1]:02d}"
        if self._month is None:
            self._month = month
            self._max[month] = kw
        elif month > self._month:
            self._month = month
            self._max[month] = kw
            self.expected.append((key, kw, now))
        elif month == self._month and kw > self._max[month] + 1e-9:
            self._max[month] = kw
            self.expected.append((key, kw, now))

    @callback
    def on_state(self, event: Event[EventStateChangedData]) -> None:
        """Count a fired event once: a restored state is one already seen."""
        entity_id = event.data["entity_id"]
        new = event.data["new_state"]
        if not entity_id.startswith("event.") or not entity_id.endswith("_monthly_peak"):
            return
        if new is None or new.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            return
        identity = (new.state, str(new.attributes.get("month")), new.attributes.get("peak_kw"))
        if identity in self._seen:
            return
        self._seen.add(identity)
        self.fired.append((identity[1], float(identity[2]), dt_util.utcnow()))


def _local(moment: datetime) -> datetime:
    return moment.astimezone(BRUSSELS)


def _at_local(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, BRUSSELS).astimezone(UTC)


def _ticks(now: datetime, until: datetime) -> Iterator[datetime]:
    """Hourly ticks from `now` up to `until` (the last one may be shorter)."""
    moment = now
    while moment < until:
        moment = min(moment + timedelta(hours=1), until)
        yield moment


def _revised_hours(truth: MeterTruth, start: datetime, end: datetime) -> int:
    """Hours whose first published value differs from the final one (revisions)."""
    revised = 0
    for day in local_days(start, end):
        bounds = truth.day_bounds(day)
        if bounds[0] < start or bounds[1] > end:
            continue
        first = truth.hourly(*bounds, as_of=truth.publish_time(day))
        final = truth.hourly(*bounds)
        revised += sum(1 for hour, values in first.items() if values != final[hour])
    return revised


@pytest.mark.soak
@pytest.mark.parametrize("persistent_database", [True])
async def test_soak_sixty_days(  # noqa: PLR0917
    async_test_recorder: Any,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Statistics equal truth, one event per new peak, no unhandled error, ≤ 2 logins/day."""
    began = freezegun_api.real_perf_counter()
    caplog.set_level(logging.INFO)
    freezer.move_to(START)
    # The live portal (refusals are `200 []`, a sub-daily request covers one day) unless
    # FLUVIUS_SOAK_DIALECT names another, e.g. random:42.
    sim = FluviusSimulator.demo(
        clock=SimClock(START, source=dt_util.utcnow),
        dialect=os.environ.get("FLUVIUS_SOAK_DIALECT", "live"),
    )
    await sim.start()
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", sim.portal_url)
    # Another seed (FLUVIUS_SOAK_SEED) gives other faults at other moments: for bug hunts.
    sim.faults.random(os.environ.get("FLUVIUS_SOAK_SEED", "soak"), FAULT_RATE, kinds=FAULT_KINDS)
    watch = PeakWatch(sim.truth(ELEC_EAN))
    # Fixed prices on both meters: their cost statistics must follow every revision too.
    entries = [account_entry([ELEC, GAS], HISTORY_DAYS, prices=PRICE_SETTINGS)]

    async def on_start(hass: HomeAssistant) -> None:
        hass.bus.async_listen(EVENT_STATE_CHANGED, watch.on_state)

    ha = SettlingRuns(async_test_recorder, freezer, entries)
    first_day = _local(START).date()
    stops = [_at_local(first_day + timedelta(days=d), at) for d, at, _ in RESTARTS]
    downtimes = [down for _, _, down in RESTARTS]
    end = START + timedelta(days=DAYS)
    ticks = 0
    try:
        for segment in range(len(RESTARTS) + 1):
            segment_end = stops[segment] if segment < len(RESTARTS) else end
            async with ha.run(prepare=on_start) as hass:
                # Besides the random ones: a 401 in the middle of a session, for sure.
                sim.faults.inject("measurements", "unauthorized")
                sim.faults.inject("peaks", "unauthorized")
                watch.sample(dt_util.utcnow())
                for moment in _ticks(dt_util.utcnow(), segment_end):
                    await ha.tick(moment - dt_util.utcnow())
                    watch.sample(dt_util.utcnow())
                    ticks += 1
                if segment == len(RESTARTS):
                    sim.faults.clear()
                    for _ in range(SETTLE_DAYS * 24):
                        await ha.tick(timedelta(hours=1))
                        watch.sample(dt_util.utcnow())
                    # Past the next publication and its re-read.
                    await ha.move_to(_at_local(_local(dt_util.utcnow()).date(), time(9, 30)))
                    watch.sample(dt_util.utcnow())
                    now = dt_util.utcnow()
                    elec = sim.truth(ELEC_EAN)
                    gas = sim.truth(GAS_EAN)
                    elec_start = elec.day_bounds(first_day - timedelta(days=HISTORY_DAYS))[0]
                    # The history horizon is counted in gas days (06:00 to 06:00).
                    gas_start = gas.day_bounds(first_day - timedelta(days=HISTORY_DAYS))[0]
                    elec_hours = assert_statistics_match(
                        await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS), elec, elec_start, now
                    )
                    gas_hours = assert_statistics_match(
                        await statistics_rows(hass, GAS_EAN, GAS_REGISTERS), gas, gas_start, now
                    )
                    elec_costs = await statistics_rows(
                        hass, ELEC_EAN, tuple(f"{r}_{COST_KIND[r]}" for r in ELEC_REGISTERS)
                    )
                    assert_statistics_match(
                        {r: elec_costs[f"{r}_{COST_KIND[r]}"] for r in ELEC_REGISTERS},
                        elec,
                        elec_start,
                        now,
                        PRICES,
                    )
                    gas_costs = await statistics_rows(hass, GAS_EAN, ("gas_volume_cost",))
                    assert_statistics_match(
                        {"gas_volume": gas_costs["gas_volume_cost"]}, gas, gas_start, now, PRICES
                    )
                    # Revisions did happen, and the statistics hold the revised values.
                    revised = _revised_hours(elec, elec_start, now) + _revised_hours(
                        gas, gas_start, now
                    )
            if segment < len(RESTARTS):
                freezer.tick(downtimes[segment])
    finally:
        await sim.stop()

    seconds = freezegun_api.real_perf_counter() - began
    simulated_days = (dt_util.utcnow() - START) / timedelta(days=1)
    fired_faults = len(sim.faults.fired)
    print(
        f"\nsoak: {simulated_days:.1f} days, {ticks} ticks, {seconds:.0f} s; "
        f"{ha.starts} starts; {fired_faults} faults {_count(sim.faults.fired)}; "
        f"logins {sim.stats.logins}, refreshes {sim.stats.refreshes}, "
        f"failed logins {sim.stats.failed_logins}; requests {sum(sim.stats.requests.values())} "
        f"{dict(sim.stats.requests)}; clock moved by settle {ha.clock_moved}; "
        f"hours checked elec {elec_hours} gas {gas_hours} (revised {revised}); "
        f"events {len(watch.fired)}"
    )
    assert ha.starts == len(RESTARTS) + 1
    assert revised > 100
    # Every kind of fault hit, on the portal and on the login; 401s in the middle of a session.
    assert fired_faults >= 50
    assert {kind for _, kind in sim.faults.fired} >= set(FAULT_KINDS)
    assert {endpoint for endpoint, _ in sim.faults.fired} >= {"measurements", "token", "authorize"}
    assert ("measurements", "unauthorized") in sim.faults.fired
    expected = [(month, kw) for month, kw, _ in watch.expected]
    fired = [(month, kw) for month, kw, _ in watch.fired]
    assert fired == expected, (watch.expected, watch.fired)
    # ... and each soon after the portal served it (hourly retries through the faults).
    for (_, _, served_at), (_, _, fired_at) in zip(watch.expected, watch.fired, strict=True):
        # (an event fires during the tick after which the portal's answer is sampled)
        assert -HOUR <= fired_at - served_at <= MAX_EVENT_DELAY, (served_at, fired_at)
    # Refresh tokens expire after 24 h: about one login a day, refreshes do the rest.
    assert sim.stats.logins / simulated_days <= 2
    assert sim.stats.refreshes > sim.stats.logins
    assert sim.stats.failed_logins == 0
    assert not unhandled(caplog.records)


def _count(fired: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, kind in fired:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("down_days", [10, 20])
async def test_home_assistant_down_for_days(  # noqa: PLR0917
    async_test_recorder: Any,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
    down_days: int,
) -> None:
    """Home Assistant is off for days; days still provisional when it stopped were revised
    meanwhile. After the restart the statistics hold the revised values, no gap, also when
    the downtime is longer than the configured history (14 days).
    (Before the fixes the resume re-read only the newest imported day, and started no earlier
    than the history horizon, leaving the days between behind.)"""
    start = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
    freezer.move_to(start)
    sim = FluviusSimulator.demo(clock=SimClock(start, source=dt_util.utcnow))
    await sim.start()
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", sim.portal_url)
    ha = SettlingRuns(async_test_recorder, freezer, [account_entry([ELEC], HISTORY_DAYS)])
    truth = sim.truth(ELEC_EAN)
    try:
        async with ha.run():
            pass
        freezer.tick(timedelta(days=down_days))
        async with ha.run() as hass:
            await ha.move_to(_at_local(_local(dt_util.utcnow()).date(), time(9, 30)))
            first = truth.day_bounds(_local(start).date() - timedelta(days=HISTORY_DAYS))[0]
            rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
            assert_statistics_match(rows, truth, first, dt_util.utcnow())
            assert _revised_hours(truth, first, start) > 0
    finally:
        await sim.stop()
