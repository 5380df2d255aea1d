"""A meter's prices over time, as periods: which prices cost an hour, and what a change to
them re-costs. Pure: no I/O, no Home Assistant.

A timeline is a run of periods. Each starts on a local day (Europe/Brussels, at midnight) and
has its own prices; the first reaches back to the start of the history (its start is None),
and each reaches on until the next one starts. An hour is priced by the period of the local
day it lies in, so every boundary is a Brussels midnight (22:00 UTC in summer, 23:00 UTC in
winter) and a day of 23 or 25 hours lies wholly in one period, as does a daily value.

A meter has two timelines, stored in its subentry data:
- its energy prices, one ``pricing.PriceSettings`` per period (no costs, fixed prices per
  register, or a price entity with its formula and fallbacks), under CONF_PRICE_PERIODS;
- its capacity tariff's price per kW per year (None: no price), under CONF_CAPACITY_PERIODS.
  Its periods start on the first of a month, so that each month has one price.

What it provides:
- ``Timeline.at`` (a UTC hour), ``Timeline.on`` (a local day): the period that prices it;
  ``Timeline.bounds``: a period's UTC hours;
- the changes: ``added`` (new prices from a day: today by default, or any other day),
  ``corrected`` (a period's prices), ``removed`` (the previous period then reaches on);
- ``recosted(old, new)``: the UTC hour ranges whose cost differs between two timelines (by
  ``PriceSettings.signature``, the rule for "the costs would change"), and ``before`` to keep
  what lies in the imported history;
- ``energy_timeline``, ``capacity_timeline``: the timelines of a meter's subentry data, where
  flat settings of before (no periods stored) are one period from the start, identical;
  ``energy_data``, ``capacity_data``: their stored form; ``with_timelines``: the migration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from .api.brussels import day_of, day_start, local_today
from .api.models import MeterType
from .const import CONF_CAPACITY_PERIODS, CONF_CAPACITY_PRICE, CONF_PRICE_PERIODS
from .pricing import PRICE_KEYS, PriceSettings

# The stored key of a period's first day (ISO date; null for the first period).
START = "from"


class PeriodError(ValueError):
    """A change a timeline cannot take; ``key`` names it (for a form's error)."""

    def __init__(self, key: str) -> None:
        """Name the refused change."""
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Period[T]:
    """Prices from a local day on (None: from the start of the history)."""

    start: date | None
    prices: T


@dataclass(frozen=True, slots=True)
class HourRange:
    """UTC hours [start, end): None at either side reaches without limit."""

    start: datetime | None
    end: datetime | None

    def __contains__(self, hour: datetime) -> bool:
        """Whether the hour (a UTC instant) lies in the range."""
        return (self.start is None or hour >= self.start) and (self.end is None or hour < self.end)


def midnight(day: date) -> datetime:
    """The UTC instant a local (Brussels) day starts."""
    return day_start(day).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Timeline[T]:
    """A meter's prices as periods, oldest first; ``monthly``: they start on a month's
    first day (the capacity tariff)."""

    periods: tuple[Period[T], ...]
    monthly: bool = False

    def __post_init__(self) -> None:
        """One period at least, the first from the start, then in order of their days."""
        if not self.periods or self.periods[0].start is not None:
            raise PeriodError("first_period")
        starts = [period.start for period in self.periods[1:]]
        days = [day for day in starts if day is not None]
        if len(days) != len(starts) or days != sorted(set(days)):
            raise PeriodError("period_order")
        if self.monthly and any(day.day != 1 for day in days):
            raise PeriodError("first_of_month")

    @classmethod
    def of(cls, prices: T, *, monthly: bool = False) -> Timeline[T]:
        """One period, from the start of the history."""
        return cls((Period(None, prices),), monthly)

    def on(self, day: date | None) -> Period[T]:
        """The period of a local day (None: the first day of the history)."""
        found = self.periods[0]
        for period in self.periods[1:]:
            if day is None or period.start is None or period.start > day:
                break
            found = period
        return found

    def at(self, hour: datetime) -> Period[T]:
        """The period that prices an hour (an aware instant): that of its local day."""
        return self.on(day_of(hour))

    def bounds(self, period: Period[T]) -> HourRange:
        """A period's UTC hours, until the next period starts."""
        index = self._index(period.start)
        after = self.periods[index + 1].start if index + 1 < len(self.periods) else None
        return HourRange(
            None if period.start is None else midnight(period.start),
            None if after is None else midnight(after),
        )

    def added(self, prices: T, *, now: datetime, start: date | None = None) -> Timeline[T]:
        """New prices from a local day on (by default today, or this month for a monthly
        timeline); the period it falls in ends the day before."""
        day = local_today(now) if start is None else start
        if start is None and self.monthly:
            day = day.replace(day=1)
        if any(period.start == day for period in self.periods):
            raise PeriodError("period_exists")
        periods = sorted((*self.periods, Period(day, prices)), key=lambda p: p.start or date.min)
        return Timeline(tuple(periods), self.monthly)

    def corrected(self, start: date | None, prices: T) -> Timeline[T]:
        """The period starting on that day (None: the first) with other prices."""
        periods = list(self.periods)
        periods[self._index(start)] = Period(start, prices)
        return Timeline(tuple(periods), self.monthly)

    def removed(self, start: date | None) -> Timeline[T]:
        """Without the period starting on that day: the one before reaches on (after removing
        the first, the next one reaches back to the start of the history)."""
        if len(self.periods) == 1:
            raise PeriodError("only_period")
        periods = list(self.periods)
        del periods[self._index(start)]
        periods[0] = Period(None, periods[0].prices)
        return Timeline(tuple(periods), self.monthly)

    def _index(self, start: date | None) -> int:
        for index, period in enumerate(self.periods):
            if period.start == start:
                return index
        raise PeriodError("no_such_period")


def _costs_key(prices: object) -> object:
    """What the costs of a period's hours depend on: two prices with the same key cost the
    same."""
    return prices.signature if isinstance(prices, PriceSettings) else prices


def recosted[T](old: Timeline[T], new: Timeline[T]) -> tuple[HourRange, ...]:
    """The UTC hour ranges whose cost differs between two timelines, oldest first, adjacent
    ones joined: nothing when the costs stay the same everywhere."""
    days = sorted({p.start for p in (*old.periods, *new.periods) if p.start is not None})
    edges: list[date | None] = [None, *days]
    ranges: list[HourRange] = []
    for index, day in enumerate(edges):
        if _costs_key(old.on(day).prices) == _costs_key(new.on(day).prices):
            continue
        start = None if day is None else midnight(day)
        following = edges[index + 1] if index + 1 < len(edges) else None
        end = None if following is None else midnight(following)
        if ranges and ranges[-1].end == start:
            ranges[-1] = HourRange(ranges[-1].start, end)
        else:
            ranges.append(HourRange(start, end))
    return tuple(ranges)


def spliced[T](
    old: Timeline[T], new: Timeline[T], start: date | None, end: date | None
) -> Timeline[T]:
    """``new``'s prices on the local days [start, end) (None: without limit), ``old``'s
    elsewhere, adjacent periods with the same costs joined: what the cost statistics were
    made with after re-costing those days (a re-cost records its progress this way)."""
    days = sorted(
        {p.start for p in (*old.periods, *new.periods) if p.start is not None}
        | {day for day in (start, end) if day is not None}
    )
    periods: list[Period[T]] = []
    for day in [None, *days]:
        inside = (start is None or (day is not None and day >= start)) and (
            end is None or day is None or day < end
        )
        prices = (new if inside else old).on(day).prices
        if periods and _costs_key(periods[-1].prices) == _costs_key(prices):
            continue
        periods.append(Period(day, prices))
    return Timeline(tuple(periods), old.monthly)


def before(ranges: Sequence[HourRange], end: datetime) -> tuple[HourRange, ...]:
    """The parts of the ranges before an instant (e.g. the end of the imported history)."""
    return tuple(
        HourRange(r.start, end if r.end is None else min(r.end, end))
        for r in ranges
        if r.start is None or r.start < end
    )


def imported(
    ranges: Sequence[HourRange], first: datetime | None, end: datetime
) -> tuple[HourRange, ...]:
    """The parts of the ranges in the imported hours [first, end) (``first`` None: not
    known, from the start): what a change re-costs of the history."""
    return tuple(r for r in before(ranges, end) if first is None or r.end is None or r.end > first)


def _energy_prices(data: Mapping[str, Any], meter_type: MeterType) -> PriceSettings:
    """A period's energy prices (the capacity price has a timeline of its own)."""
    return replace(PriceSettings.from_data(data, meter_type), capacity_price=None)


def _capacity_price(data: Mapping[str, Any]) -> float | None:
    return PriceSettings.from_data(data, MeterType.ELECTRICITY).capacity_price


def _start(raw: Any) -> date | None:
    return None if raw is None else date.fromisoformat(str(raw))


def energy_timeline(data: Mapping[str, Any], meter_type: MeterType) -> Timeline[PriceSettings]:
    """A meter's energy price timeline from its subentry data; without stored periods, its
    flat price settings from the start of the history."""
    stored = data.get(CONF_PRICE_PERIODS)
    if stored is None:
        return Timeline.of(_energy_prices(data, meter_type))
    return Timeline(
        tuple(Period(_start(item.get(START)), _energy_prices(item, meter_type)) for item in stored)
    )


def capacity_timeline(data: Mapping[str, Any]) -> Timeline[float | None]:
    """A meter's capacity tariff prices (per kW per year) from its subentry data; without
    stored periods, its flat capacity price from the start of the history."""
    stored = data.get(CONF_CAPACITY_PERIODS)
    if stored is None:
        return Timeline.of(_capacity_price(data), monthly=True)
    periods = (Period(_start(item.get(START)), _capacity_price(item)) for item in stored)
    return Timeline(tuple(periods), monthly=True)


def _stored(start: date | None) -> str | None:
    return None if start is None else start.isoformat()


def energy_data(timeline: Timeline[PriceSettings], meter_type: MeterType) -> dict[str, Any]:
    """The stored form of an energy price timeline (JSON: ISO days, the settings' keys)."""
    return {
        CONF_PRICE_PERIODS: [
            {START: _stored(p.start), **p.prices.as_data(meter_type)} for p in timeline.periods
        ]
    }


def capacity_data(timeline: Timeline[float | None]) -> dict[str, Any]:
    """The stored form of a capacity price timeline."""
    return {
        CONF_CAPACITY_PERIODS: [
            {START: _stored(p.start), CONF_CAPACITY_PRICE: p.prices} for p in timeline.periods
        ]
    }


def with_timelines(
    data: Mapping[str, Any],
    meter_type: MeterType,
    energy: Timeline[PriceSettings] | None = None,
    capacity: Timeline[float | None] | None = None,
) -> dict[str, Any]:
    """A meter's subentry data with both timelines stored (the given ones, else those the
    data holds) and no flat price key left: flat settings of before become one period each
    from the start, with the same costs (``recosted`` finds nothing)."""
    energy = energy_timeline(data, meter_type) if energy is None else energy
    capacity = capacity_timeline(data) if capacity is None else capacity
    return {
        **{key: value for key, value in data.items() if key not in PRICE_KEYS},
        **energy_data(energy, meter_type),
        **capacity_data(capacity),
    }
