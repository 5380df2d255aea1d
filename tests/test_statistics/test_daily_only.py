"""A household that never requested its quarter-hours in Mijn Fluvius, then does.

Until then Fluvius serves daily values only: the integration books each day exactly (at the
day's first hour), says so in a repair issue with what to do, and asks no more than for a
meter with quarter-hours. Once Fluvius serves them, every day booked as a daily total is
re-imported at the finer resolution, energy and cost, replacing the midnight bookings hour
by hour, and the issue goes. Every expectation comes from the simulator's truth.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.quarter_hours import QuarterHourStore
from tests.entries import ELEC, account_entry, coordinator, subentry_id
from tests.recorded import statistics_rows
from tests.restartable import HomeAssistantRuns
from tests.simulator import FluviusSimulator, SimMeter, make_ean
from tests.simulator.demo import ELEC_EAN, INSTALLED

from .test_costs import FIXED, assert_costs, cost_rows, expected_costs
from .test_energy import _assert_hours_match

EMAIL, PASSWORD = "dagwaarden@fluvius.test", "Alleen-Dagen-2026"
EAN, SERIAL = make_ean("54144882300055501"), "1SAG1100055501"
METER = (EAN, SERIAL, MeterType.ELECTRICITY)
REGISTERS = ("consumption_high", "consumption_low", "injection_high", "injection_low")
OFFTAKE = ("consumption_high", "consumption_low")
INJECTION = ("injection_high", "injection_low")
START = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
HISTORY_DAYS = 60
PRICES = {"price_source": "fixed", **FIXED}
TITLE = f"Electricity meter …{EAN[-4:]}"

Runs = Callable[[list[MockConfigEntry]], HomeAssistantRuns]


def _local_day(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


def household(fluvius: FluviusSimulator) -> MockConfigEntry:
    """The account with a meter that serves daily values only, and its entry."""
    fluvius.add_account(
        EMAIL,
        PASSWORD,
        meters=[SimMeter(EAN, SERIAL, installed=INSTALLED, solar_kwp=4.0, ev=True, access="daily")],
    )
    return account_entry([METER], HISTORY_DAYS, email=EMAIL, password=PASSWORD, prices=PRICES)


def daily_truth(
    fluvius: FluviusSimulator, first: date, last: date, as_of: datetime
) -> dict[datetime, dict[str, float]]:
    """Hourly rows of days booked as daily totals: the total in the day's first hour."""
    truth = fluvius.truth(EAN)
    out: dict[datetime, dict[str, float]] = {}
    day = first
    while day <= last:
        totals = truth.daily(day, as_of=as_of)
        assert totals is not None
        start, end = truth.day_bounds(day)
        hour = start
        while hour < end:
            out[hour] = {r: (totals[r] if hour == start else 0.0) for r in REGISTERS}
            hour += timedelta(hours=1)
        day += timedelta(days=1)
    return out


def costs_of(hourly: dict[datetime, dict[str, float]]) -> dict[str, dict[datetime, float]]:
    """Σ energy × fixed price per hour (the daily totals' hours as booked)."""
    return expected_costs(hourly, REGISTERS, lambda _h, r: FIXED[f"price_{r}"])


def requests_for(fluvius: FluviusSimulator, ean: str, since: int) -> int:
    """Data requests for one meter after the first `since` entries of the request log."""
    return sum(
        1
        for r in fluvius.request_log[since:]
        if ean in r.path and r.endpoint in ("measurements", "peaks")
    )


def daily_only_issue(hass: Any) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"daily_only_{subentry_id(EAN)}")


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live", "random:42", "dialect_a"], indirect=True)
async def test_daily_only_then_access_granted(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """Daily totals exact and an issue that says what to do; no more requests a day than a
    meter with quarter-hours; after the grant the whole history equals the quarter-hour
    truth, energy and cost, within two days, and the issue is gone."""
    freezer.move_to(START)
    # The demo account's meter, with its quarter-hours, beside it for the request count.
    ha = runs([household(fluvius), account_entry([ELEC], 14)])
    truth = fluvius.truth(EAN)
    first = _local_day(START) - timedelta(days=HISTORY_DAYS)
    async with ha.run() as hass:
        last = _local_day(truth.published_until(START) - timedelta(hours=1))
        expected = daily_truth(fluvius, first, last, START)
        _assert_hours_match(await statistics_rows(hass, EAN, REGISTERS), expected)
        assert_costs(await cost_rows(hass, EAN, REGISTERS), costs_of(expected))
        issue = daily_only_issue(hass)
        assert issue is not None
        assert issue.translation_key == "daily_only"
        assert issue.translation_placeholders == {
            "meter": TITLE,
            "url": "https://mijn.fluvius.be/verbruik/aanvragen",
        }
        assert issue.learn_more_url == "https://mijn.fluvius.be/verbruik/aanvragen"
        assert issue.severity is ir.IssueSeverity.WARNING

        # Three days of the usual hourly polling, as a household would run it.
        since = len(fluvius.request_log)
        for _ in range(3 * 24):
            await ha.tick(timedelta(hours=1))
        daily_only = requests_for(fluvius, EAN, since)
        detailed = requests_for(fluvius, ELEC_EAN, since)
        print(f"3 days: daily-only meter {daily_only} requests, detailed meter {detailed}")
        assert daily_only <= detailed
        if fluvius.options.dialect == "live":
            # A day: the overview when the day falls due and once more when it is published,
            # one re-check for finer data, the peaks.
            assert daily_only <= 3 * 4
        assert daily_only_issue(hass) is not None

        # The household requests its data ("Alle verbruiken vanaf" the installation).
        granted = datetime.now(UTC)
        fluvius.grant_detailed(EAN, at=granted)
        for _ in range(2 * 24):
            await ha.tick(timedelta(hours=1))
            if (
                daily_only_issue(hass) is None
                and coordinator(hass.config_entries.async_entries(DOMAIN)[0], EAN).backfill.progress
                == 100
            ):
                break
        took = datetime.now(UTC) - granted
        print(f"quarter-hours in the statistics {took} after the grant")
        assert took <= timedelta(days=2)
        assert daily_only_issue(hass) is None
        await ha.tick(timedelta(hours=1))
        now = datetime.now(UTC)
        start = truth.day_bounds(first)[0]
        quarters = truth.intervals(start, truth.published_until(now), as_of=now)
        hourly = truth.hourly(start, truth.published_until(now), as_of=now)
        _assert_hours_match(await statistics_rows(hass, EAN, REGISTERS), hourly)
        assert_costs(
            await cost_rows(hass, EAN, REGISTERS),
            expected_costs(quarters, REGISTERS, lambda _q, r: FIXED[f"price_{r}"]),
        )


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_restart_during_the_reimport_loses_nothing(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fluvius fails in the middle of the re-import and Home Assistant restarts: the next
    start re-imports the days still held as daily totals, and the history equals the truth
    hour by hour, with none missing or doubled. Days before "Alle verbruiken vanaf" stay
    exact daily totals."""
    freezer.move_to(START)
    entry = household(fluvius)
    truth = fluvius.truth(EAN)
    first = _local_day(START) - timedelta(days=HISTORY_DAYS)
    since = first + timedelta(days=10)
    monkeypatch.setattr("custom_components.fluvius.backfill.CHUNK_DAYS", 7)
    ha = runs([entry])
    chunks = 0
    original = QuarterHourStore.still_daily

    def fail_after_two_chunks(self: QuarterHourStore, days: Any) -> None:
        nonlocal chunks
        chunks += 1
        if chunks == 2:
            fluvius.faults.inject("measurements", "server_error", count=None)
        original(self, days)

    monkeypatch.setattr(QuarterHourStore, "still_daily", fail_after_two_chunks)
    async with ha.run() as hass:
        assert daily_only_issue(hass) is not None
        fluvius.grant_detailed(EAN, at=datetime.now(UTC), since=since)
        for _ in range(30):
            await ha.tick(timedelta(hours=1))
            if chunks >= 2:
                break
        backfill = coordinator(hass.config_entries.async_entries(DOMAIN)[0], EAN).backfill
        assert chunks == 2
        assert 0 < backfill.progress < 100  # the History import sensor shows the re-import
        assert backfill.refine_due
    fluvius.faults.clear()
    async with ha.run() as hass:
        await ha.tick(timedelta(minutes=5))
        backfill = coordinator(hass.config_entries.async_entries(DOMAIN)[0], EAN).backfill
        assert not backfill.refine_due
        assert backfill.progress == 100
        assert daily_only_issue(hass) is None
        now = datetime.now(UTC)
        start, split = truth.day_bounds(first)[0], truth.day_bounds(since)[0]
        expected = daily_truth(fluvius, first, since - timedelta(days=1), now)
        expected |= truth.hourly(split, truth.published_until(now), as_of=now)
        _assert_hours_match(await statistics_rows(hass, EAN, REGISTERS), expected)
        assert_costs(await cost_rows(hass, EAN, REGISTERS), costs_of(expected))
        assert start < split
