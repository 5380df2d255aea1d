"""Steady-state polling cost and freshness, counted by the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.const import CONF_EAN
from tests.entries import coordinator
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_NOW, ELEC_EAN, GAS_EAN

Tick = Callable[[timedelta], Awaitable[None]]
MoveTo = Callable[[datetime], Awaitable[None]]

DAYS = 4
BUDGET_PER_METER_PER_DAY = 30


async def run_days(
    hass: HomeAssistant,
    sim: FluviusSimulator,
    entry: MockConfigEntry,
    tick: Tick,
    move_to: MoveTo,
) -> dict[str, list[timedelta]]:
    """Set up the account, warm up for a day, then tick hourly for DAYS days.

    Returns, per EAN of its meters, how long after its publication each new day showed up.
    """
    # Start at an odd minute, like a real Home Assistant start.
    await move_to(DEMO_NOW + timedelta(minutes=37))
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    for _ in range(24):
        await tick(timedelta(hours=1))
    sim.reset_stats()
    eans = [subentry.data[CONF_EAN] for subentry in entry.subentries.values()]
    delays: dict[str, list[timedelta]] = {ean: [] for ean in eans}
    seen: dict[str, date | None] = {}
    for ean in eans:
        latest = coordinator(entry, ean).data.latest_day
        seen[ean] = latest.day if latest else None
    for _ in range(DAYS * 24):
        await tick(timedelta(hours=1))
        for ean in eans:
            latest = coordinator(entry, ean).data.latest_day
            assert latest is not None
            if latest.day != seen[ean]:
                seen[ean] = latest.day
                delays[ean].append(dt_util.utcnow() - sim.truth(ean).publish_time(latest.day))
    return delays


async def test_cost_and_freshness_one_meter(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    tick: Tick,
    move_to: MoveTo,
) -> None:
    """A lone electricity meter (its own logins): ≤ 30 requests a day, data within 1 h."""
    delays = await run_days(hass, fluvius, elec_entry, tick, move_to)
    total = sum(fluvius.stats.requests.values())
    assert len(fluvius.request_log) == total
    per_day = total / DAYS
    print(f"one meter: {per_day:.1f} requests/day; {dict(fluvius.stats.requests)}")
    assert per_day <= BUDGET_PER_METER_PER_DAY
    assert len(delays[ELEC_EAN]) == DAYS  # one new day per day
    assert all(timedelta(0) <= d <= timedelta(hours=1) for d in delays[ELEC_EAN]), delays


async def test_cost_and_freshness_two_meters(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    tick: Tick,
    move_to: MoveTo,
) -> None:
    """Electricity and gas of one account: per meter well within budget, both fresh."""
    delays = await run_days(hass, fluvius, both_entry, tick, move_to)
    per_meter: dict[str, int] = {ELEC_EAN: 0, GAS_EAN: 0}
    shared = 0
    for record in fluvius.request_log:
        owner = next((ean for ean in per_meter if ean in record.path), None)
        if owner is None:
            shared += 1  # login and token requests serve both meters
        else:
            per_meter[owner] += 1
    for ean, count in per_meter.items():
        per_day = (count + shared) / DAYS
        print(f"{ean[-4:]}: {per_day:.1f} requests/day (incl. all shared auth requests)")
        assert per_day <= BUDGET_PER_METER_PER_DAY
        assert len(delays[ean]) == DAYS
        assert all(timedelta(0) <= d <= timedelta(hours=1) for d in delays[ean]), delays
    assert fluvius.stats.logins <= DAYS + 1


async def test_month_change_fetches_peaks(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    tick: Tick,
    move_to: MoveTo,
) -> None:
    """At the turn of the month the new month's peak appears once its first day is in."""
    await move_to(datetime(2026, 4, 30, 12, 0, tzinfo=BRUSSELS))
    await hass.config_entries.async_setup(elec_entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(48):
        await tick(timedelta(hours=1))
    data = coordinator(elec_entry).data
    may = fluvius.truth(ELEC_EAN).monthly_peak(2026, 5, as_of=dt_util.utcnow())
    assert may is not None
    peak = data.peak_for(date(2026, 5, 1))
    assert peak is not None
    assert peak.power_kw == may[0]
    april = fluvius.truth(ELEC_EAN).monthly_peak(2026, 4, as_of=dt_util.utcnow())
    assert april is not None
    april_peak = data.peak_for(date(2026, 4, 1))
    assert april_peak is not None
    assert april_peak.power_kw == april[0]


@pytest.fixture(params=[{"publish_hour": 16}, {"elec_delay_days": 2}], ids=["16h", "2days"])
async def late_fluvius(
    socket_enabled: None,
    sim_clock: SimClock,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> AsyncIterator[FluviusSimulator]:
    """A Fluvius that publishes late: in the afternoon (16:00), or a day later."""
    sim = FluviusSimulator.demo(clock=sim_clock, **request.param)
    await sim.start()
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", sim.portal_url)
    try:
        yield sim
    finally:
        await sim.stop()


async def test_late_publication_stays_in_budget(
    hass: HomeAssistant,
    late_fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    tick: Tick,
    move_to: MoveTo,
) -> None:
    """When Fluvius is late, polling slows down but still finds the day; daily re-read
    happens regardless; the budget holds."""
    delays = await run_days(hass, late_fluvius, elec_entry, tick, move_to)
    per_day = sum(late_fluvius.stats.requests.values()) / DAYS
    print(f"late publication: {per_day:.1f} requests/day; delays {delays}")
    assert per_day <= BUDGET_PER_METER_PER_DAY
    assert len(delays[ELEC_EAN]) == DAYS
    assert all(timedelta(0) <= d <= timedelta(hours=3) for d in delays[ELEC_EAN])
    # The newest day is what Fluvius serves now; days finalised more than a day ago
    # (so before the last daily re-read) hold their final values.
    data = coordinator(elec_entry).data
    now = dt_util.utcnow()
    truth = late_fluvius.truth(ELEC_EAN)
    assert data.latest_day is not None
    checked = 0
    for day, totals in data.days.items():
        if day == data.latest_day.day:
            served = truth.daily(day, as_of=now)
        elif truth.final_time(day) <= now - timedelta(days=1):
            served = truth.daily(day)
        else:
            continue
        assert served is not None
        assert {str(k): v for k, v in totals.values.items()} == pytest.approx(served), day
        checked += 1
    assert checked >= 4
