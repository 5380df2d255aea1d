"""Prices over time: each hour costed with the period it falls in, and a change re-costs only
the hours it changes, with the running sums continuous (issue #21).

Real recorder, simulator ground truth, real price history; every expected cost is computed
here from the simulator's quarter-hours and the prices this test chose (per Brussels day),
never from the integration's output. Which rows a change rewrites is watched at the
recorder's door (async_add_external_statistics).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius import recosting, statistics as fluvius_statistics
from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.price_timeline import (
    Timeline,
    energy_timeline,
    midnight,
    with_timelines,
)
from custom_components.fluvius.pricing import PriceSettings
from tests.entries import ELEC, account_entry, coordinator, copy_entry, subentry_id
from tests.restartable import HomeAssistantRuns
from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN

from .test_cost_history import ATTRS, HALF, record_prices
from .test_costs import (
    FIXED,
    INJECTION,
    OFFTAKE,
    PRICE_ENTITY,
    SPRING,
    assert_costs,
    cost_rows,
    expected_costs,
    market_price,
)

Runs = Callable[[list[MockConfigEntry]], HomeAssistantRuns]
REGISTERS = (*OFFTAKE, *INJECTION)
ELECTRICITY = MeterType.ELECTRICITY
TODAY = SPRING.astimezone(BRUSSELS).date()
DAYS = 14
NEW = {
    "price_consumption_high": 0.2999,
    "price_consumption_low": 0.2222,
    "price_injection_high": 0.061,
    "price_injection_low": 0.015,
}
THIRD = {
    "price_consumption_high": 0.35,
    "price_consumption_low": 0.3,
    "price_injection_high": 0.02,
    "price_injection_low": 0.01,
}
CORRECTED = {**NEW, "price_consumption_high": 0.2899}


def fixed(prices: dict[str, float]) -> PriceSettings:
    return PriceSettings.from_data({"price_source": "fixed", **prices}, ELECTRICITY)


def local_day(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


def by_day(periods: list[tuple[date | None, dict[str, float]]]) -> Callable[[datetime, str], float]:
    """The fixed price of a quarter-hour under periods starting on Brussels days."""

    def price(quarter: datetime, register: str) -> float:
        found = periods[0][1]
        for start, prices in periods[1:]:
            if start is not None and local_day(quarter) >= start:
                found = prices
        return found[f"price_{register}"]

    return price


class Writes:
    """The hours each cost statistic was written at, since the last reset."""

    def __init__(self) -> None:
        self.hours: dict[str, list[datetime]] = {}

    def first(self) -> datetime | None:
        found = [min(hours) for hours in self.hours.values() if hours]
        return min(found) if found else None

    def reset(self) -> None:
        self.hours.clear()


@contextmanager
def watching(monkeypatch: pytest.MonkeyPatch) -> Iterator[Writes]:
    """Record the cost rows written (the energy rows are not re-written by a re-cost)."""
    writes = Writes()
    real = fluvius_statistics.async_add_external_statistics

    def spy(hass: HomeAssistant, metadata: Any, rows: Any) -> None:
        stat_id = metadata["statistic_id"]
        if stat_id.endswith(("_cost", "_compensation")):
            writes.hours.setdefault(stat_id, []).extend(row["start"] for row in rows)
        real(hass, metadata, rows)

    monkeypatch.setattr(fluvius_statistics, "async_add_external_statistics", spy)
    yield writes


async def save(
    hass: HomeAssistant, entry: MockConfigEntry, timeline: Timeline[PriceSettings]
) -> None:
    """Save a new price timeline as the settings flow does, and let the re-cost run."""
    own = hass.config_entries.async_get_entry(entry.entry_id)
    assert own is not None
    subentry = own.subentries[subentry_id(ELEC_EAN)]
    data = with_timelines(subentry.data, ELECTRICITY, energy=timeline)
    hass.config_entries.async_update_subentry(own, subentry, data=data)
    await hass.async_block_till_done(wait_background_tasks=True)


def current(hass: HomeAssistant, entry: MockConfigEntry) -> Timeline[PriceSettings]:
    own = hass.config_entries.async_get_entry(entry.entry_id)
    assert own is not None
    return energy_timeline(own.subentries[subentry_id(ELEC_EAN)].data, ELECTRICITY)


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live", "random:42"], indirect=True)
async def test_periods_added_corrected_and_removed_recost_their_hours_only(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Fixed day/night prices, then: the flat settings stored as a timeline (nothing
    re-costed); new prices from a day mid-history (before it the old prices, from it the new
    ones); a third period; a correction of the middle one; its removal. After each change
    every hour equals the truth × the prices of its Brussels day, to 1e-6, with sums running
    from zero; and nothing before the changed period is written again."""
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(recosting, "_RECOST_STEP", timedelta(days=3))  # many chunks
    freezer.move_to(SPRING)
    truth = fluvius.truth(ELEC_EAN)
    entry = account_entry([ELEC], DAYS, prices={"price_source": "fixed", **FIXED})
    ha = runs([entry])
    start = truth.day_bounds(TODAY - timedelta(days=DAYS))[0]
    quarters = truth.intervals(start, truth.published_until(SPRING), as_of=SPRING)
    assert local_day(min(quarters)) <= TODAY - timedelta(days=DAYS - 1)
    d1, d2 = TODAY - timedelta(days=10), TODAY - timedelta(days=4)

    async def check(periods: list[tuple[date | None, dict[str, float]]]) -> None:
        assert_costs(
            await cost_rows(hass, ELEC_EAN, REGISTERS),
            expected_costs(quarters, REGISTERS, by_day(periods)),
        )

    with watching(monkeypatch) as writes:
        async with ha.run() as hass:
            await check([(None, FIXED)])

            # The settings of before, stored as one period: no cost row is written again.
            writes.reset()
            await save(hass, entry, current(hass, entry))
            assert writes.hours == {}
            assert "re-costing" not in caplog.text

            # New prices from a past day: the hours before it stay as they were.
            writes.reset()
            await save(hass, entry, current(hass, entry).added(fixed(NEW), now=SPRING, start=d1))
            await check([(None, FIXED), (d1, NEW)])
            assert writes.first() == midnight(d1)

            writes.reset()
            await save(hass, entry, current(hass, entry).added(fixed(THIRD), now=SPRING, start=d2))
            await check([(None, FIXED), (d1, NEW), (d2, THIRD)])
            assert writes.first() == midnight(d2)

            # A typo corrected in the middle period: its hours are re-costed, and the later
            # rows carry the new sums; nothing before it is written.
            writes.reset()
            await save(hass, entry, current(hass, entry).corrected(d1, fixed(CORRECTED)))
            await check([(None, FIXED), (d1, CORRECTED), (d2, THIRD)])
            assert writes.first() == midnight(d1)

            # Removed: the first period reaches on to the third.
            writes.reset()
            await save(hass, entry, current(hass, entry).removed(d1))
            await check([(None, FIXED), (d2, THIRD)])
            assert writes.first() == midnight(d1)
            own = hass.config_entries.async_get_entry(entry.entry_id)
            assert own is not None
            assert coordinator(own, ELEC_EAN).statistics.costs.report.missing_quarter_hours == 0


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_a_price_sensor_from_today_keeps_every_past_cost(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue #21's household: day/night prices, then a price sensor without history from
    today, with the fallback pre-filled from the day tariff. Every past night hour keeps the
    night price (nothing past is written again); from today the sensor's price through the
    formula prices each quarter-hour, the fallback where it has none yet."""
    freezer.move_to(SPRING)
    truth = fluvius.truth(ELEC_EAN)
    entry = account_entry([ELEC], DAYS, prices={"price_source": "fixed", **FIXED})
    ha = runs([entry])
    dynamic = PriceSettings.from_data(
        {
            "price_source": "entity",
            "price_entity": PRICE_ENTITY,
            "offtake_factor": 1.1,
            "offtake_offset": 0.02,
            "fallback_offtake": FIXED["price_consumption_high"],
            "fallback_injection": FIXED["price_injection_high"],
        },
        ELECTRICITY,
    )
    start = truth.day_bounds(TODAY - timedelta(days=DAYS))[0]
    with watching(monkeypatch) as writes:
        async with ha.run() as hass:
            before = await cost_rows(hass, ELEC_EAN, REGISTERS)
            writes.reset()
            await save(hass, entry, current(hass, entry).added(dynamic, now=SPRING))
            assert await cost_rows(hass, ELEC_EAN, REGISTERS) == before
            assert writes.hours == {}

            first_state = SPRING + timedelta(seconds=3)
            await record_prices(hass, freezer, SPRING, SPRING + timedelta(days=2))
            await hass.async_block_till_done(wait_background_tasks=True)
            moment = datetime.now(UTC)
            quarters = truth.intervals(start, truth.published_until(moment), as_of=moment)
            assert max(quarters) > SPRING + timedelta(hours=12)
            assert (
                hass.states.get(PRICE_ENTITY).attributes["unit_of_measurement"]
                == ATTRS["unit_of_measurement"]
            )

            def price(quarter: datetime, register: str) -> float:
                if local_day(quarter) < TODAY:
                    return FIXED[f"price_{register}"]
                if quarter + HALF < first_state:  # the sensor had no state yet
                    side = "injection_high" if register in INJECTION else "consumption_high"
                    return FIXED[f"price_{side}"]
                market = market_price(quarter) / 1000
                return market if register in INJECTION else market * 1.1 + 0.02

            assert_costs(
                await cost_rows(hass, ELEC_EAN, REGISTERS),
                expected_costs(quarters, REGISTERS, price),
            )


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_a_restart_during_a_recost_resumes_it(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New prices from a past day, re-costed a few days at a time; Home Assistant stops
    after two of its chunks. After the restart the re-cost goes on from where it stopped
    (the chunks done are not written again) and every hour and sum equals the truth."""
    monkeypatch.setattr(recosting, "_RECOST_STEP", timedelta(days=2))
    freezer.move_to(SPRING)
    truth = fluvius.truth(ELEC_EAN)
    entry = account_entry([ELEC], DAYS, prices={"price_source": "fixed", **FIXED})
    d1 = TODAY - timedelta(days=11)
    start = truth.day_bounds(TODAY - timedelta(days=DAYS))[0]
    quarters = truth.intervals(start, truth.published_until(SPRING), as_of=SPRING)
    chunks = 0
    real_write = fluvius_statistics.FluviusStatistics.async_write

    async def stopping_write(self: Any, batch: Any, replaced: Any = None, **kw: Any) -> int:
        nonlocal chunks
        if replaced is not None:
            chunks += 1
            if chunks == 3:  # Home Assistant stops while the third chunk is written
                raise asyncio.CancelledError
        return await real_write(self, batch, replaced, **kw)

    async with runs([entry]).run() as hass:
        timeline = current(hass, entry).added(fixed(NEW), now=SPRING, start=d1)
        monkeypatch.setattr(fluvius_statistics.FluviusStatistics, "async_write", stopping_write)
        await save(hass, entry, timeline)
        assert chunks == 3
        own = hass.config_entries.async_get_entry(entry.entry_id)
        assert own is not None
        restarted = copy_entry(own)  # with the new prices, as saved
    monkeypatch.setattr(fluvius_statistics.FluviusStatistics, "async_write", real_write)
    with watching(monkeypatch) as writes:
        async with runs([restarted]).run() as hass:
            assert writes.first() == midnight(d1 + timedelta(days=4))  # two chunks were done
            assert_costs(
                await cost_rows(hass, ELEC_EAN, REGISTERS),
                expected_costs(quarters, REGISTERS, by_day([(None, FIXED), (d1, NEW)])),
            )
