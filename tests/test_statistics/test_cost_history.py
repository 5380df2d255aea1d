"""No cost history is ever dropped silently.

A household switches from fixed prices to a price entity created today (no history: the
normal case for a new Nord Pool or ENTSO-e sensor). With a fallback price every past hour
keeps a cost; without one a repair issue names the days. Quarter-hours whose price is
recorded later are priced by themselves the next day. New prices apply without a reload:
the account's other meters stay available. Every expected cost is computed here from the
simulator's quarter-hours and the prices this test chose.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.const import DOMAIN
from tests.entries import ELEC, GAS, account_entry, coordinator, subentry_id
from tests.restartable import HomeAssistantRuns
from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN, GAS_EAN

from .test_costs import (
    FIXED,
    INJECTION,
    OFFTAKE,
    PRICE_ENTITY,
    QUARTER,
    SPRING,
    assert_costs,
    cost_rows,
    expected_costs,
    market_price,
)

Runs = Callable[[list[MockConfigEntry]], HomeAssistantRuns]
REGISTERS = (*OFFTAKE, *INJECTION)
FALLBACK = {"fallback_offtake": 0.2874, "fallback_injection": 0.0412}
ATTRS = {"unit_of_measurement": "EUR/MWh", "state_class": "measurement"}
HALF = timedelta(minutes=7, seconds=30)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


def fallback(register: str) -> float:
    return FALLBACK["fallback_injection" if register in INJECTION else "fallback_offtake"]


def no_cost_issue(hass: HomeAssistant) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"no_cost_{subentry_id(ELEC_EAN)}")


async def record_prices(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, start: datetime, end: datetime
) -> None:
    """The price entity's state every quarter-hour (3 s late, as Nord Pool), with Home
    Assistant's hourly tick, so the integration polls meanwhile."""
    quarter = start
    while quarter < end:
        freezer.move_to(quarter + timedelta(seconds=3))
        hass.states.async_set(PRICE_ENTITY, str(market_price(quarter)), ATTRS)
        if quarter.minute == 0:
            async_fire_time_changed(hass)
            await hass.async_block_till_done(wait_background_tasks=True)
        quarter += QUARTER
    await async_wait_recording_done(hass)


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_switch_to_an_entity_without_history_keeps_every_cost(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """Fixed prices, then a price entity with no history and a fallback: every past hour's
    cost is energy × fallback; hours after the entity's first state are energy × its price.
    No reload: the other meter's entities, and this one's, never become unavailable, and the
    History import sensor says "recosting", not a new import."""
    freezer.move_to(SPRING)
    truth = fluvius.truth(ELEC_EAN)
    entry = account_entry([ELEC, GAS], 20, prices={"price_source": "fixed", **FIXED})
    ha = runs([entry])
    async with ha.run() as hass:
        own = hass.config_entries.async_get_entry(entry.entry_id)
        assert own is not None
        elec, gas = coordinator(own, ELEC_EAN), coordinator(own, GAS_EAN)
        unavailable: list[str] = []
        activities: list[str] = []
        progress: list[str] = []

        def watch(event: Event) -> None:
            new = event.data["new_state"]
            if new is None or not event.data["entity_id"].startswith(
                ("sensor.electricity_meter", "sensor.gas_meter", "event.", "calendar.")
            ):
                return
            if new.state == "unavailable":
                unavailable.append(event.data["entity_id"])
            if "activity" in new.attributes and "electricity" in event.data["entity_id"]:
                activities.append(new.attributes["activity"])
                progress.append(new.state)

        hass.bus.async_listen("state_changed", watch)
        subentry = own.subentries[subentry_id(ELEC_EAN)]
        switched = {
            **subentry.data,
            "price_source": "entity",
            "price_entity": PRICE_ENTITY,
            **FALLBACK,
        }
        hass.config_entries.async_update_subentry(own, subentry, data=switched)
        await ha.settle(hass)
        assert coordinator(own, ELEC_EAN) is elec  # no reload
        assert coordinator(own, GAS_EAN) is gas
        assert unavailable == []
        assert "recosting" in activities
        assert set(progress) == {"100.0"}  # the import's progress stays where it was

        start = truth.day_bounds(_local_day(SPRING) - timedelta(days=20))[0]
        quarters = truth.intervals(start, truth.published_until(SPRING), as_of=SPRING)
        assert_costs(
            await cost_rows(hass, ELEC_EAN, REGISTERS),
            expected_costs(quarters, REGISTERS, lambda _q, r: fallback(r)),
        )
        assert no_cost_issue(hass) is None

        # The entity starts recording now; two days later its prices cost the new hours.
        first_state = SPRING + timedelta(seconds=3)
        await record_prices(hass, freezer, SPRING, SPRING + timedelta(days=2))
        await ha.settle(hass)
        moment = datetime.now(UTC)
        quarters = truth.intervals(start, truth.published_until(moment), as_of=moment)
        assert max(quarters) > SPRING + timedelta(hours=12)

        def price(quarter: datetime, register: str) -> float:
            if quarter + HALF < first_state:
                return fallback(register)
            return market_price(quarter) / 1000

        assert_costs(
            await cost_rows(hass, ELEC_EAN, REGISTERS), expected_costs(quarters, REGISTERS, price)
        )
        assert unavailable == []
        report = elec.statistics.costs.report
        assert report.missing_quarter_hours == 0
        assert report.from_fallback > 0


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_without_a_fallback_the_days_without_cost_are_named(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """A price entity with no history and no fallback: no cost row (never a zero that looks
    like free energy), and a repair issue naming the days and counting every quarter-hour
    (all of them, not a first batch); it goes once a fallback is set."""
    freezer.move_to(SPRING)
    truth = fluvius.truth(ELEC_EAN)
    days = 20
    prices = {"price_source": "entity", "price_entity": PRICE_ENTITY}
    entry = account_entry([ELEC], days, prices=prices)
    async with runs([entry]).run() as hass:
        assert all(not rows for rows in (await cost_rows(hass, ELEC_EAN, REGISTERS)).values())
        start = truth.day_bounds(_local_day(SPRING) - timedelta(days=days))[0]
        quarters = truth.intervals(start, truth.published_until(SPRING), as_of=SPRING)
        issue = no_cost_issue(hass)
        assert issue is not None
        assert issue.translation_key == "no_cost"
        local_days = sorted({_local_day(q) for q in quarters})
        assert issue.translation_placeholders == {
            "meter": f"Electricity meter …{ELEC_EAN[-4:]}",
            "quarter_hours": str(len(quarters)),
            "days": str(len(local_days)),
            "first": local_days[0].isoformat(),
            "last": local_days[-1].isoformat(),
        }
        own = hass.config_entries.async_get_entry(entry.entry_id)
        assert own is not None
        report = coordinator(own, ELEC_EAN).statistics.costs.report
        assert report.missing_quarter_hours == len(quarters)

        subentry = own.subentries[subentry_id(ELEC_EAN)]
        hass.config_entries.async_update_subentry(own, subentry, data={**subentry.data, **FALLBACK})
        await hass.async_block_till_done(wait_background_tasks=True)
        assert no_cost_issue(hass) is None
        assert_costs(
            await cost_rows(hass, ELEC_EAN, REGISTERS),
            expected_costs(quarters, REGISTERS, lambda _q, r: fallback(r)),
        )


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize("fluvius", ["live"], indirect=True)
async def test_prices_recorded_later_are_used_the_next_day(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """The price sensor was unavailable for three hours; their hourly statistics come later
    (imported by the price integration). The quarter-hours imported without a price get
    their cost by themselves at the latest the next day, and the issue goes."""
    days = 10  # the daily re-read looks 8 days back: the history covers it
    first = SPRING - timedelta(days=days + 1)
    gap = (SPRING - timedelta(days=2, hours=5), SPRING - timedelta(days=2, hours=2))
    freezer.move_to(first)
    truth = fluvius.truth(ELEC_EAN)
    prices = {"price_source": "entity", "price_entity": PRICE_ENTITY}
    ha = runs([account_entry([ELEC], days, prices=prices)])
    async with ha.run(setup=False) as hass:
        quarter = first
        while quarter < SPRING:
            freezer.move_to(quarter + timedelta(seconds=3))
            state = "unavailable" if gap[0] <= quarter < gap[1] else str(market_price(quarter))
            hass.states.async_set(PRICE_ENTITY, state, ATTRS)
            if quarter.minute == 45:
                await hass.async_block_till_done()
            quarter += QUARTER
        await async_wait_recording_done(hass)
    freezer.move_to(SPRING)
    async with ha.run() as hass:
        start = truth.day_bounds(_local_day(SPRING) - timedelta(days=days))[0]
        quarters = truth.intervals(start, truth.published_until(SPRING), as_of=SPRING)
        issue = no_cost_issue(hass)
        assert issue is not None
        assert issue.translation_placeholders["quarter_hours"] == str(3 * 4)
        assert issue.translation_placeholders["first"] == _local_day(gap[0]).isoformat()

        # The price integration imports the missing hours' statistics afterwards.
        means = {gap[0] + timedelta(hours=n): 111.0 + 7 * n for n in range(3)}
        metadata = StatisticMetaData(
            mean_type=StatisticMeanType.ARITHMETIC,
            has_sum=False,
            name=None,
            source="recorder",
            statistic_id=PRICE_ENTITY,
            unit_class=None,
            unit_of_measurement="EUR/MWh",
        )
        async_import_statistics(
            hass,
            metadata,
            [
                {"start": hour, "mean": mean, "min": mean, "max": mean}
                for hour, mean in means.items()
            ],
        )
        await async_wait_recording_done(hass)
        for _ in range(24):
            await ha.tick(timedelta(hours=1))

        def price(quarter: datetime, _register: str) -> float:
            hour = quarter.replace(minute=0)
            if hour in means:
                return means[hour] / 1000
            # After the last state the sensor recorded, its last price holds.
            return market_price(min(quarter, SPRING - QUARTER)) / 1000

        moment = datetime.now(UTC)
        quarters = truth.intervals(start, truth.published_until(moment), as_of=moment)
        assert_costs(
            await cost_rows(hass, ELEC_EAN, REGISTERS), expected_costs(quarters, REGISTERS, price)
        )
        assert no_cost_issue(hass) is None
