"""Energy-dashboard statistics end to end: real recorder, simulator ground truth, restarts.

Every expectation comes from the simulator (`sim.truth`), never from the integration.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import Resolution
from custom_components.fluvius.backfill import StatisticsBackfill
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.peaks import month_peaks
from tests.entries import coordinator
from tests.recorded import statistics_rows
from tests.restartable import HomeAssistantRuns
from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN, GAS_EAN, GAS_SERIAL

from .conftest import meter_entry

ELEC_REGISTERS = ("consumption_high", "consumption_low", "injection_high", "injection_low")
GAS_REGISTERS = ("gas_volume", "gas_energy")
# 60 days back from each of these covers one DST change (2026-03-29 and 2025-10-26).
SPRING = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
AUTUMN = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)
TOLERANCE = 1e-6

Runs = Callable[[list[MockConfigEntry]], HomeAssistantRuns]


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _assert_hours_match(
    rows: dict[str, list[dict]], expected: dict[datetime, dict[str, float]]
) -> None:
    """Every expected hour exactly once, with its change and a running sum from zero."""
    for register, series in rows.items():
        hours = [_utc(row["start"]) for row in series]
        assert len(hours) == len(set(hours)), f"{register}: an hour is doubled"
        missing = sorted(set(expected) - set(hours))
        extra = sorted(set(hours) - set(expected))
        assert not missing, f"{register}: {len(missing)} hours missing, e.g. {missing[:3]}"
        assert not extra, f"{register}: {len(extra)} unexpected hours, e.g. {extra[:3]}"
        total = 0.0
        for row in series:
            want = expected[_utc(row["start"])][register]
            total += want
            assert row["state"] >= 0, f"{register}: negative change"
            assert abs(row["state"] - want) < TOLERANCE, (register, _utc(row["start"]))
            assert abs(row["sum"] - total) < TOLERANCE, (register, _utc(row["start"]))


def _local_day(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("now", [SPRING, AUTUMN], ids=["spring_dst", "autumn_dst"])
async def test_backfill_equals_truth(
    now: datetime, fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """A 60-day backfill over a DST change agrees with the simulator per hour, day and month."""
    freezer.move_to(now)
    truth = fluvius.truth(ELEC_EAN)
    async with runs([meter_entry(60)]).run() as hass:
        first_day = _local_day(now) - timedelta(days=60)
        start = truth.day_bounds(first_day)[0]
        end = truth.published_until(now)
        expected = truth.hourly(start, end, as_of=now)
        assert len(expected) > 59 * 24
        hourly = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
        _assert_hours_match(hourly, expected)
        # The DST day has 23 (spring) or 25 (autumn) hourly rows.
        dst_day = date(2026, 3, 29) if now is SPRING else date(2025, 10, 26)
        dst_start, dst_end = truth.day_bounds(dst_day)
        dst_hours = [h for h in expected if dst_start <= h < dst_end]
        assert len(dst_hours) == (23 if now is SPRING else 25)

        daily = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS, "day")
        for register, series in daily.items():
            assert series
            for row in series:
                day = _local_day(_utc(row["start"]))
                want = (truth.daily(day, as_of=now) or {}).get(register, 0.0)
                assert abs(row["change"] - want) < TOLERANCE, (register, day)

        monthly = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS, "month")
        for register, series in monthly.items():
            for row in series:
                month = _local_day(_utc(row["start"]))
                want = sum(
                    values[register]
                    for hour, values in expected.items()
                    if (_local_day(hour).year, _local_day(hour).month) == (month.year, month.month)
                )
                assert abs(row["change"] - want) < TOLERANCE, (register, month)
            total = sum(values[register] for values in expected.values())
            assert abs(hourly[register][-1]["sum"] - total) < TOLERANCE


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("reading", ["start", "inside"])
async def test_gas_backfill_equals_truth(
    fluvius: FluviusSimulator, runs: Runs, reading: str
) -> None:
    """Gas gets volume and energy statistics, hour by hour equal to the simulator, whichever
    gas days the daily code serves for a window (docs/PORTAL.md: unknown)."""
    fluvius.options.gas_daily_window = reading
    truth = fluvius.truth(GAS_EAN)
    entry = meter_entry(20, GAS_EAN, GAS_SERIAL, meter_type=_gas())
    async with runs([entry]).run() as hass:
        now = datetime.now(UTC)
        first_day = _local_day(now) - timedelta(days=20)
        start = truth.day_bounds(first_day)[0]  # the horizon is counted in gas days (06:00)
        expected = truth.hourly(start, truth.published_until(now), as_of=now)
        _assert_hours_match(await statistics_rows(hass, GAS_EAN, GAS_REGISTERS), expected)


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
@pytest.mark.parametrize("reading", ["start", "inside"])
async def test_gas_year_equals_truth(
    fluvius: FluviusSimulator, runs: Runs, reading: str, freezer: FrozenDateTimeFactory
) -> None:
    """A year of gas history (365 gas days) through the integration on the live portal:
    every hour once, m³ and kWh equal to the truth, under both daily gas window readings."""
    fluvius.options.gas_daily_window = reading
    truth = fluvius.truth(GAS_EAN)
    async with runs([meter_entry(365, GAS_EAN, GAS_SERIAL, meter_type=_gas())]).run() as hass:
        now = datetime.now(UTC)
        first_day = _local_day(now) - timedelta(days=365)
        start = truth.day_bounds(first_day)[0]
        expected = truth.hourly(start, truth.published_until(now), as_of=now)
        assert len(expected) > 360 * 24
        _assert_hours_match(await statistics_rows(hass, GAS_EAN, GAS_REGISTERS), expected)


def _gas():
    from custom_components.fluvius.api.models import MeterType

    return MeterType.GAS


@pytest.mark.parametrize("persistent_database", [True])
async def test_revisions_are_corrected(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """Provisional values imported first end up exactly equal to the final values."""
    start_time = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
    freezer.move_to(start_time)
    truth = fluvius.truth(ELEC_EAN)
    ha = runs([meter_entry(14)])
    async with ha.run() as hass:
        window_start = truth.day_bounds(_local_day(start_time) - timedelta(days=14))[0]
        served_then = truth.hourly(window_start, truth.published_until(start_time), start_time)
        final = truth.hourly(window_start, truth.published_until(start_time))
        revised = [h for h in served_then if served_then[h] != final[h]]
        assert revised, "the simulator should have provisional values to revise"
        for _ in range(4 * 24):
            await ha.tick(timedelta(hours=1))
        now = datetime.now(UTC)
        expected = truth.hourly(window_start, truth.published_until(now), as_of=now)
        rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
        _assert_hours_match(rows, expected)
        for register, series in rows.items():
            by_hour = {_utc(row["start"]): row["state"] for row in series}
            for hour in revised:
                assert abs(by_hour[hour] - final[hour][register]) < TOLERANCE


@pytest.mark.parametrize("persistent_database", [True])
async def test_short_history_stays_short(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """A history shorter than the days Fluvius may revise: the daily re-read of revisions
    corrects the imported days but never imports days before the history asked for."""
    start_time = SPRING
    freezer.move_to(start_time)
    truth = fluvius.truth(ELEC_EAN)
    ha = runs([meter_entry(3)])
    async with ha.run() as hass:
        first_hour = truth.day_bounds(_local_day(start_time) - timedelta(days=3))[0]
        for _ in range(2 * 24):
            await ha.tick(timedelta(hours=1))
        now = datetime.now(UTC)
        expected = truth.hourly(first_hour, truth.published_until(now), as_of=now)
        _assert_hours_match(await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS), expected)


@pytest.mark.parametrize("persistent_database", [True])
async def test_restart_mid_backfill_resumes(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Home Assistant stops during the backfill; the next start resumes with nothing lost."""
    now = SPRING
    freezer.move_to(now)
    original = StatisticsBackfill._fetch
    calls = 0

    async def fetch_then_portal_goes_down(self: StatisticsBackfill, start: date, end: date):
        nonlocal calls
        calls += 1
        if calls == 3:
            fluvius.faults.inject("measurements", "server_error", count=None)
        return await original(self, start, end)

    monkeypatch.setattr(StatisticsBackfill, "_fetch", fetch_then_portal_goes_down)
    ha = runs([meter_entry(120)])
    async with ha.run() as hass:
        entry = hass.config_entries.async_entries(DOMAIN)[0]
        backfill = coordinator(entry).backfill
        assert not backfill.done
        assert 0 < backfill.progress < 100
        partial = await statistics_rows(hass, ELEC_EAN, ("consumption_high",))
        assert partial["consumption_high"], "part of the history was imported"
    fluvius.faults.clear()
    monkeypatch.setattr(StatisticsBackfill, "_fetch", original)
    async with ha.run() as hass:
        entry = hass.config_entries.async_entries(DOMAIN)[0]
        assert coordinator(entry).backfill.done
        truth = fluvius.truth(ELEC_EAN)
        start = truth.day_bounds(_local_day(now) - timedelta(days=120))[0]
        expected = truth.hourly(start, truth.published_until(now), as_of=now)
        _assert_hours_match(await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS), expected)


def _expected_announcements(fluvius: FluviusSimulator, request_times: list[datetime]) -> int:
    """Count new peaks in what the portal served at each peaks request.

    The rule from the issue: a month's peak rising above that month's previous peak, or the
    first peak of a new month. On first setup the newest month's peak is the baseline: it is
    not announced.
    """
    truth = fluvius.truth(ELEC_EAN)
    known: tuple[date, float] | None = None
    count = 0
    for moment in request_times:
        local = _local_day(moment)
        months = [date(local.year, local.month, 1)]
        previous = months[0] - timedelta(days=1)
        months.insert(0, date(previous.year, previous.month, 1))
        served = []
        for month in months:
            peak = truth.monthly_peak(month.year, month.month, as_of=moment)
            if peak is not None:
                served.append((month, peak[0]))
        if not served:
            continue
        if known is None:
            known = served[-1]  # the baseline
            continue
        for month, kw in served:
            if month > known[0] or (month == known[0] and kw > known[1] + 1e-9):
                known = (month, kw)
                count += 1
    return count


@pytest.mark.parametrize("persistent_database", [True])
async def test_peak_event_over_three_months_with_restarts(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """The event fires once per real new peak over 3 months and two restarts, and so do
    automations listening to it."""
    freezer.move_to(datetime(2026, 1, 20, 9, 0, tzinfo=UTC))
    ha = runs([meter_entry(14)])
    fired: list[dict] = []
    automations_ran = 0
    entity_id = f"event.electricity_meter_{ELEC_EAN[-4:]}_new_monthly_peak"

    async def listen(hass: HomeAssistant) -> None:
        """Count state changes and automation runs from before the entry loads."""

        def on_state(event: Event) -> None:
            old, new = event.data["old_state"], event.data["new_state"]
            if event.data["entity_id"] != entity_id or new is None or old is None:
                return
            if new.state != old.state and new.attributes.get("event_type") == "new_peak":
                fired.append(dict(new.attributes))

        def on_automation(_event: Event) -> None:
            nonlocal automations_ran
            automations_ran += 1

        hass.bus.async_listen("state_changed", on_state)
        hass.bus.async_listen("fluvius_test_new_peak", on_automation)
        assert await async_setup_component(
            hass,
            "automation",
            {
                "automation": {
                    "triggers": [
                        {"trigger": "state", "entity_id": entity_id, "not_from": "unavailable"}
                    ],
                    "conditions": [
                        {
                            "condition": "template",
                            "value_template": "{{ trigger.from_state is not none and "
                            "trigger.to_state.attributes.event_type == 'new_peak' }}",
                        }
                    ],
                    "actions": [{"event": "fluvius_test_new_peak"}],
                }
            },
        )

    for _ in range(3):
        async with ha.run(prepare=listen) as hass:
            registry = er.async_get(hass)
            assert (
                registry.async_get_entity_id("event", DOMAIN, f"{ELEC_EAN}_monthly_peak_event")
                == entity_id
            )
            for _ in range(30 * 24):
                await ha.tick(timedelta(hours=1))
            # The portal's peaks agree with the quarter-hours imported (where there are any).
            meter = coordinator(hass.config_entries.async_entries(DOMAIN)[0])
            assert meter.peak_disagreements == {}
            measured = month_peaks(meter.backfill.day_peaks)
            quarter_hours = meter.data.resolution is Resolution.QUARTER_HOUR
            assert bool(measured) == quarter_hours
            for month, seen in measured.items():
                served = fluvius.truth(ELEC_EAN).monthly_peak(
                    month.year, month.month, as_of=datetime.now(UTC)
                )
                assert served is not None
                assert seen.power_kw <= served[0] + 0.0045
    peak_requests = [
        r.time for r in fluvius.request_log if r.endpoint == "peaks" and r.status == 200
    ]
    expected = _expected_announcements(fluvius, peak_requests)
    assert expected >= 3  # at least one per month
    assert len(fired) == expected
    assert automations_ran == expected
    assert len({(f["month"], f["peak_kw"]) for f in fired}) == expected


@pytest.mark.parametrize("persistent_database", [True])
async def test_capacity_tariff_equals_hand_computation(
    fluvius: FluviusSimulator, runs: Runs
) -> None:
    """The capacity-tariff sensor is the floored average of the last 12 monthly peaks."""
    async with runs([meter_entry(14)]).run() as hass:
        now = datetime.now(UTC)
        local = _local_day(now)
        truth = fluvius.truth(ELEC_EAN)
        months = []
        year, month = local.year, local.month
        for _ in range(12):
            months.append((year, month))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        peaks = {
            f"{y:04d}-{m:02d}": max(peak[0], 2.5)
            for y, m in months
            if (peak := truth.monthly_peak(y, m, as_of=now)) is not None
        }
        assert len(peaks) == 12
        registry = er.async_get(hass)
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{ELEC_EAN}_capacity_tariff")
        state = hass.states.get(entity_id)
        assert float(state.state) == pytest.approx(sum(peaks.values()) / 12, abs=5e-4)
        assert state.attributes["months"] == pytest.approx(peaks)
