"""A meter's price timeline: which period prices an hour, what a change re-costs, its stored
form and the migration of flat settings. Pure, against hand-made timelines. The stored keys
are written out: they are what users' settings hold, and must not change unnoticed.

Instants are written in UTC; the comments give Brussels wall-clock time. Europe/Brussels is
UTC+1 in winter and UTC+2 in summer: 2025-03-30 has 23 hours, 2025-10-26 has 25.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import json
from typing import Any

import pytest

from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.price_timeline import (
    HourRange,
    Period,
    PeriodError,
    Timeline,
    before,
    capacity_data,
    capacity_timeline,
    energy_data,
    energy_timeline,
    imported,
    midnight,
    recosted,
    spliced,
    with_timelines,
)
from custom_components.fluvius.pricing import PriceSettings, capacity_cost

HOUR = timedelta(hours=1)
ELEC, GAS = MeterType.ELECTRICITY, MeterType.GAS

DAY_NIGHT = {  # the household's day/night contract of issue #21
    "price_source": "fixed",
    "price_consumption_high": 0.3127,
    "price_consumption_low": 0.2391,
    "price_injection_high": 0.04,
    "price_injection_low": 0.03,
}
NEW_FIXED = {**DAY_NIGHT, "price_consumption_high": 0.2999, "price_consumption_low": 0.2222}
SINGLE = {"price_source": "fixed", "price_consumption_single": 0.28}
DYNAMIC = {
    "price_source": "entity",
    "price_entity": "sensor.nord_pool_be",
    "offtake_factor": 1.1,
    "offtake_offset": 0.02,
    "injection_factor": 0.9,
    "fallback_offtake": 0.3127,
    "fallback_injection": 0.04,
}
NONE = {"price_source": "none"}
GAS_FIXED = {"price_source": "fixed", "price_gas": 0.11, "gas_price_unit": "kWh"}
GAS_ENTITY = {
    "price_source": "entity",
    "price_entity": "sensor.gas_price",
    "gas_price_unit": "m³",
    "fallback_gas": 1.05,
}


def prices(data: dict[str, Any], meter_type: MeterType = ELEC) -> PriceSettings:
    """Energy price settings as a meter's settings would hold them."""
    return PriceSettings.from_data(data, meter_type)


A, B, C, D = prices(DAY_NIGHT), prices(NEW_FIXED), prices(DYNAMIC), prices(SINGLE)
MARCH, JUNE, SEPTEMBER = date(2025, 3, 1), date(2025, 6, 1), date(2025, 9, 1)


def three_periods() -> Timeline[PriceSettings]:
    """A from the start, B from 1 March 2025, C from 1 June 2025."""
    return Timeline((Period(None, A), Period(MARCH, B), Period(JUNE, C)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours(start: datetime, end: datetime) -> list[datetime]:
    out, hour = [], start
    while hour < end:
        out.append(hour)
        hour += HOUR
    return out


# Which period prices an hour


def test_one_period_prices_every_hour() -> None:
    timeline = Timeline.of(A)
    for hour in (utc(2020, 1, 1), utc(2025, 3, 30, 1), utc(2030, 12, 31, 23)):
        assert timeline.at(hour) == Period(None, A)
    assert timeline.bounds(timeline.periods[0]) == HourRange(None, None)


def test_an_hour_exactly_at_a_period_start_is_the_new_period() -> None:
    """1 March 2025 starts at 00:00 CET = 28 February 23:00 UTC."""
    timeline = three_periods()
    assert midnight(MARCH) == utc(2025, 2, 28, 23)
    assert timeline.at(utc(2025, 2, 28, 23)).prices is B  # 00:00 local: the new period
    assert timeline.at(utc(2025, 2, 28, 22, 59)).prices is A  # 23:59 local: the one before
    assert timeline.at(utc(2025, 2, 28, 22)).prices is A
    # A summer boundary: 1 June starts at 00:00 CEST = 31 May 22:00 UTC.
    assert timeline.at(utc(2025, 5, 31, 22)).prices is C
    assert timeline.at(utc(2025, 5, 31, 21)).prices is B
    assert timeline.on(date(2025, 5, 31)).prices is B
    assert timeline.on(JUNE).prices is C
    assert timeline.on(date(1999, 1, 1)).prices is A


def test_bounds_are_brussels_midnights() -> None:
    timeline = three_periods()
    first, middle, last = timeline.periods
    assert timeline.bounds(first) == HourRange(None, utc(2025, 2, 28, 23))
    assert timeline.bounds(middle) == HourRange(utc(2025, 2, 28, 23), utc(2025, 5, 31, 22))
    assert timeline.bounds(last) == HourRange(utc(2025, 5, 31, 22), None)
    assert utc(2025, 2, 28, 23) in timeline.bounds(middle)
    assert utc(2025, 5, 31, 22) not in timeline.bounds(middle)
    assert utc(2025, 5, 31, 21) in timeline.bounds(middle)


@pytest.mark.parametrize(
    ("day", "first_hour", "length"),
    [
        (date(2025, 3, 30), utc(2025, 3, 29, 23), 23),  # CET → CEST: 23 hours
        (date(2025, 10, 26), utc(2025, 10, 25, 22), 25),  # CEST → CET: 25 hours
        (date(2025, 7, 14), utc(2025, 7, 13, 22), 24),
    ],
)
def test_a_dst_day_lies_wholly_in_its_period(day: date, first_hour: datetime, length: int) -> None:
    """A period from a DST day covers exactly that day's 23 or 25 hours, and the next period
    starts at the next local midnight."""
    timeline = Timeline((Period(None, A), Period(day, B), Period(day + timedelta(days=1), C)))
    span = timeline.bounds(timeline.periods[1])
    assert span.start == first_hour
    assert span.end == first_hour + length * HOUR
    in_b = [h for h in hours(first_hour - 3 * HOUR, first_hour + 30 * HOUR) if h in span]
    assert len(in_b) == length
    assert all(timeline.at(h).prices is B for h in in_b)
    assert timeline.at(first_hour - HOUR).prices is A
    assert timeline.at(first_hour + length * HOUR).prices is C


# The changes


NOW = utc(2025, 8, 20, 9, 30)  # 20 August 2025, 11:30 CEST
TODAY = date(2025, 8, 20)


def test_new_prices_from_today_recost_nothing_in_the_past() -> None:
    """By default the new period starts today; the hours it changes start at today's local
    midnight, and nothing before today (the imported history ends there at the latest)."""
    old = three_periods()
    new = old.added(B, now=NOW)
    assert new.periods[-1] == Period(TODAY, B)
    assert recosted(old, new) == (HourRange(midnight(TODAY), None),)
    assert before(recosted(old, new), midnight(TODAY)) == ()
    assert old.added(B, now=utc(2025, 8, 20, 21, 59)).periods[-1].start == TODAY  # 23:59
    assert old.added(B, now=utc(2025, 8, 20, 22)).periods[-1].start == date(2025, 8, 21)


def test_new_prices_from_a_past_day_recost_from_it_to_the_next_period() -> None:
    old = three_periods()
    april = date(2025, 4, 15)
    new = old.added(D, now=NOW, start=april)
    assert [p.start for p in new.periods] == [None, MARCH, april, JUNE]
    assert new.at(utc(2025, 4, 14, 21)).prices is B  # 14 April 23:00 CEST
    assert new.at(utc(2025, 4, 14, 22)).prices is D  # 15 April 00:00 CEST
    assert recosted(old, new) == (HourRange(midnight(april), midnight(JUNE)),)
    # Before every period: the first one ends that day, and reaches back no more.
    early = old.added(D, now=NOW, start=date(2019, 1, 1))
    assert early.periods[1] == Period(date(2019, 1, 1), D)
    assert recosted(old, early) == (HourRange(midnight(date(2019, 1, 1)), midnight(MARCH)),)


def test_new_prices_on_a_period_start_are_refused() -> None:
    with pytest.raises(PeriodError) as raised:
        three_periods().added(D, now=NOW, start=MARCH)
    assert raised.value.key == "period_exists"


def test_correcting_a_period_recosts_its_hours_only() -> None:
    old = three_periods()
    middle = old.corrected(MARCH, D)
    assert [p.prices for p in middle.periods] == [A, D, C]
    assert recosted(old, middle) == (HourRange(midnight(MARCH), midnight(JUNE)),)
    first = old.corrected(None, D)
    assert recosted(old, first) == (HourRange(None, midnight(MARCH)),)
    last = old.corrected(JUNE, D)
    assert recosted(old, last) == (HourRange(midnight(JUNE), None),)
    with pytest.raises(PeriodError) as raised:
        old.corrected(date(2025, 4, 1), D)
    assert raised.value.key == "no_such_period"


def test_a_correction_that_changes_nothing_recosts_nothing() -> None:
    """The same prices, or settings that cost the same (a fixed period's formula and
    fallbacks kept from an entity it once had; no costs either way)."""
    old = three_periods()
    assert recosted(old, old.corrected(MARCH, prices(NEW_FIXED))) == ()
    kept = prices({**NEW_FIXED, "offtake_factor": 2.0, "fallback_offtake": 0.5})
    assert kept != B
    assert recosted(old, old.corrected(MARCH, kept)) == ()
    unpriced = Timeline.of(prices(NONE))
    assert recosted(unpriced, unpriced.corrected(None, prices({**DYNAMIC, **NONE}))) == ()


def test_removing_the_first_period_recosts_it_with_the_next() -> None:
    old = three_periods()
    new = old.removed(None)
    assert new.periods == (Period(None, B), Period(JUNE, C))
    assert new.at(utc(2020, 1, 1)).prices is B
    assert recosted(old, new) == (HourRange(None, midnight(MARCH)),)


def test_removing_a_middle_period_lets_the_previous_reach_on() -> None:
    old = three_periods()
    new = old.removed(MARCH)
    assert new.periods == (Period(None, A), Period(JUNE, C))
    assert new.at(utc(2025, 4, 1)).prices is A
    assert recosted(old, new) == (HourRange(midnight(MARCH), midnight(JUNE)),)


def test_removing_the_last_period_lets_the_previous_reach_on() -> None:
    old = three_periods()
    new = old.removed(JUNE)
    assert new.periods == (Period(None, A), Period(MARCH, B))
    assert new.at(utc(2026, 1, 1)).prices is B
    assert recosted(old, new) == (HourRange(midnight(JUNE), None),)


def test_removing_a_period_with_its_neighbours_prices_recosts_nothing() -> None:
    old = Timeline((Period(None, A), Period(MARCH, prices(DAY_NIGHT)), Period(JUNE, C)))
    assert recosted(old, old.removed(MARCH)) == ()


def test_removing_the_only_or_an_unknown_period_is_refused() -> None:
    for timeline, start in ((Timeline.of(A), None), (three_periods(), SEPTEMBER)):
        with pytest.raises(PeriodError) as raised:
            timeline.removed(start)
        assert raised.value.key == ("only_period" if start is None else "no_such_period")


def test_changes_across_periods_are_joined_oldest_first() -> None:
    """Ranges that touch are one; separate ones stay separate, in order."""
    old = Timeline((Period(None, A), Period(MARCH, B), Period(JUNE, C), Period(SEPTEMBER, D)))
    joined = old.corrected(None, D).corrected(MARCH, D)
    assert recosted(old, joined) == (HourRange(None, midnight(JUNE)),)
    apart = old.corrected(None, D).corrected(JUNE, A)
    assert recosted(old, apart) == (
        HourRange(None, midnight(MARCH)),
        HourRange(midnight(JUNE), midnight(SEPTEMBER)),
    )
    assert before(recosted(old, apart), utc(2025, 7, 1)) == (
        HourRange(None, midnight(MARCH)),
        HourRange(midnight(JUNE), utc(2025, 7, 1)),
    )


def test_a_timeline_is_in_order_from_the_start() -> None:
    for periods, key in (
        ((), "first_period"),
        ((Period(MARCH, A),), "first_period"),
        ((Period(None, A), Period(JUNE, B), Period(MARCH, C)), "period_order"),
        ((Period(None, A), Period(MARCH, B), Period(MARCH, C)), "period_order"),
        ((Period(None, A), Period(None, B)), "period_order"),
    ):
        with pytest.raises(PeriodError) as raised:
            Timeline(periods)
        assert raised.value.key == key


# The capacity tariff


def test_capacity_price_per_year_across_1_january() -> None:
    """Each month's capacity cost uses the price in force in that month: December 2025 the
    2025 price, January 2026 the new one, from 00:00 on 1 January (23:00 UTC)."""
    old = Timeline.of(52.0, monthly=True)
    new = old.added(55.5, now=NOW, start=date(2026, 1, 1))
    assert new.on(date(2025, 12, 1)).prices == 52.0
    assert new.on(date(2026, 1, 1)).prices == 55.5
    assert new.at(utc(2025, 12, 31, 22, 59)).prices == 52.0
    assert new.at(utc(2025, 12, 31, 23)).prices == 55.5
    assert capacity_cost(3.6, new.on(date(2025, 12, 1)).prices or 0) == 15.6
    assert capacity_cost(3.6, new.on(date(2026, 1, 1)).prices or 0) == 16.65
    assert recosted(old, new) == (HourRange(utc(2025, 12, 31, 23), None),)
    # A correction of 2025's price re-costs 2025's months only.
    corrected = new.corrected(None, 51.0)
    assert recosted(new, corrected) == (HourRange(None, utc(2025, 12, 31, 23)),)


def test_capacity_prices_start_on_the_first_of_a_month() -> None:
    old = Timeline.of(52.0, monthly=True)
    assert old.added(55.5, now=NOW).periods[-1].start == date(2025, 8, 1)  # this month
    with pytest.raises(PeriodError) as raised:
        old.added(55.5, now=NOW, start=date(2026, 1, 15))
    assert raised.value.key == "first_of_month"
    no_price = Timeline.of(None, monthly=True).added(55.5, now=NOW, start=date(2026, 1, 1))
    assert no_price.on(date(2025, 12, 1)).prices is None


# The stored form, and the migration of flat settings


ENERGY_CASES = [
    (DAY_NIGHT, ELEC),
    (SINGLE, ELEC),
    (DYNAMIC, ELEC),
    (NONE, ELEC),
    ({**DYNAMIC, **NEW_FIXED}, ELEC),  # fixed, with an entity's keys kept
    (GAS_FIXED, GAS),
    (GAS_ENTITY, GAS),
    ({}, ELEC),  # never set
]


@pytest.mark.parametrize(("data", "meter_type"), ENERGY_CASES)
def test_price_settings_as_data_read_back_the_same(
    data: dict[str, Any], meter_type: MeterType
) -> None:
    settings = PriceSettings.from_data({**data, "capacity_price": 52.0}, meter_type)
    assert PriceSettings.from_data(settings.as_data(meter_type), meter_type) == settings


@pytest.mark.parametrize(("data", "meter_type"), ENERGY_CASES)
def test_stored_timelines_read_back_the_same(data: dict[str, Any], meter_type: MeterType) -> None:
    energy = (
        Timeline.of(prices(data, meter_type))
        .added(prices(DAY_NIGHT if meter_type is ELEC else GAS_FIXED, meter_type), now=NOW)
        .added(prices(NONE, meter_type), now=NOW, start=MARCH)
    )
    stored = json.loads(json.dumps(energy_data(energy, meter_type)))
    assert energy_timeline(stored, meter_type) == energy
    assert stored["price_periods"][1]["from"] == "2025-03-01"
    capacity = Timeline.of(None, monthly=True).added(55.5, now=NOW, start=date(2026, 1, 1))
    stored = json.loads(json.dumps(capacity_data(capacity)))
    assert capacity_timeline(stored) == capacity


@pytest.mark.parametrize(("data", "meter_type"), ENERGY_CASES)
def test_flat_settings_become_one_period_from_the_start(
    data: dict[str, Any], meter_type: MeterType
) -> None:
    """Today's settings: one period from the start with the same costs, and the capacity
    price as one period; reading before or after the migration gives the same timelines."""
    flat = {"ean": "541448820044159229", **data, "capacity_price": 52.0}
    settings = PriceSettings.from_data(flat, meter_type)
    energy, capacity = energy_timeline(flat, meter_type), capacity_timeline(flat)
    assert len(energy.periods) == 1
    assert energy.at(utc(2024, 1, 1)).prices == replace(settings, capacity_price=None)
    assert energy.at(utc(2024, 1, 1)).prices.signature == settings.signature
    assert energy.periods[0].prices.priced(meter_type) == settings.priced(meter_type)
    assert capacity == Timeline.of(52.0, monthly=True)
    migrated = json.loads(json.dumps(with_timelines(flat, meter_type)))
    assert migrated["capacity_periods"] == [{"from": None, "capacity_price": 52.0}]
    assert [period["from"] for period in migrated["price_periods"]] == [None]
    assert migrated["ean"] == flat["ean"]
    assert energy_timeline(migrated, meter_type) == energy
    assert capacity_timeline(migrated) == capacity
    assert recosted(energy_timeline(flat, meter_type), energy_timeline(migrated, meter_type)) == ()
    assert with_timelines(migrated, meter_type) == migrated  # once is enough


def test_no_capacity_price_stays_none() -> None:
    assert capacity_timeline({}) == Timeline.of(None, monthly=True)
    assert capacity_timeline(with_timelines({}, ELEC)) == Timeline.of(None, monthly=True)


def test_flat_price_keys_leave_the_stored_data() -> None:
    """Stored with its timelines, a meter's data holds no flat price key any more (the
    periods hold them), and given timelines replace those the data held."""
    flat = {"ean": "541448820044159229", **DYNAMIC, "price_consumption_high": 0.3}
    flat["capacity_price"] = 52.0
    stored = with_timelines(flat, ELEC)
    assert set(stored) == {"ean", "price_periods", "capacity_periods"}
    new = energy_timeline(stored, ELEC).added(A, now=utc(2026, 12, 7, 12))
    again = with_timelines(stored, ELEC, energy=new)
    assert energy_timeline(again, ELEC) == new
    assert capacity_timeline(again) == Timeline.of(52.0, monthly=True)


# Recording a re-cost's progress


def test_splicing_days_takes_the_new_prices_there_only() -> None:
    """A re-cost of [start, end) records the new prices on those days and keeps the old
    ones elsewhere; what is left to re-cost is the rest, and after the last step nothing."""
    old = Timeline.of("a")
    new = Timeline((Period(None, "a"), Period(MARCH, "b"), Period(SEPTEMBER, "c")))
    step = spliced(old, new, MARCH, date(2025, 4, 1))
    assert step == Timeline((Period(None, "a"), Period(MARCH, "b"), Period(date(2025, 4, 1), "a")))
    assert recosted(step, new) == (HourRange(midnight(date(2025, 4, 1)), None),)
    step = spliced(step, new, date(2025, 4, 1), SEPTEMBER)
    assert recosted(step, new) == (HourRange(midnight(SEPTEMBER), None),)
    step = spliced(step, new, SEPTEMBER, None)
    assert step == new
    assert recosted(step, new) == ()


def test_splicing_from_the_start_and_joining_equal_neighbours() -> None:
    old = Timeline((Period(None, "a"), Period(MARCH, "b")))
    new = Timeline.of("b")
    assert spliced(old, new, None, MARCH) == Timeline.of("b")
    assert spliced(old, new, None, JUNE) == Timeline.of("b")
    assert spliced(old, new, None, None) == new
    assert spliced(old, new, JUNE, None) == old


def test_imported_keeps_what_lies_in_the_imported_hours() -> None:
    """What a change re-costs of a history [first, end): ranges after its end or before its
    first hour re-cost nothing; an unknown first hour reaches back to the start."""
    first, end = midnight(MARCH), midnight(SEPTEMBER)
    early = HourRange(None, midnight(date(2025, 2, 1)))
    middle = HourRange(midnight(JUNE), midnight(date(2025, 7, 1)))
    late = HourRange(midnight(date(2025, 10, 1)), None)
    assert imported((early, middle, late), first, end) == (middle,)
    assert imported((early, middle, late), None, end) == (early, middle)
    assert imported((HourRange(midnight(JUNE), None),), first, end) == (
        HourRange(midnight(JUNE), end),
    )
    assert imported((late,), first, end) == ()
