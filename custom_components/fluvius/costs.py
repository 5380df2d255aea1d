"""One meter's cost statistics: their IDs and metadata, the cost of an import batch, and
what the costs were made from (for diagnostics).

The arithmetic is pricing.py's (pure); the price entity's history is prices.py's. The cost
series go through the same writer as the energy (statistics.py, which also re-costs the
history when the price settings change), so revisions are re-costed and re-summed the same
way and nothing is doubled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
import logging
from typing import Any

from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api.models import Interval, MeterType, Register
from .const import DOMAIN, PRICE_SOURCE_ENTITY
from .price_timeline import HourRange, Period, Timeline
from .prices import PER_KWH, PER_M3, async_price_history
from .pricing import (
    HOUR,
    QUARTER,
    HourlyCosts,
    PriceSettings,
    hourly_costs,
    interval_costs,
    is_compensation,
)

_LOGGER = logging.getLogger(__name__)
_MISSING_KEPT = 24  # missing hours listed in diagnostics (the newest)


def cost_statistic_id(ean: str, register: Register) -> str:
    """e.g. fluvius:541448820000000003_consumption_high_cost (injection: _compensation)."""
    kind = "compensation" if is_compensation(register) else "cost"
    return f"{DOMAIN}:{ean}_{register.value}_{kind}"


def cost_metadata(
    ean: str, label: str, name: str, register: Register, currency: str
) -> StatisticMetaData:
    """Metadata of a cost statistic, in Home Assistant's currency."""
    kind = "compensation" if is_compensation(register) else "cost"
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=f"{name} {kind} (Fluvius {label})",
        source=DOMAIN,
        statistic_id=cost_statistic_id(ean, register),
        unit_class=None,
        unit_of_measurement=currency,
    )


@dataclass(slots=True)
class CostReport:
    """What the costs were made from, for diagnostics."""

    hours: int = 0  # hourly cost rows written
    from_states: int = 0  # quarter-hours priced from the entity's state history
    from_statistics: int = 0  # ... from its hourly mean statistics (history purged)
    from_fallback: int = 0  # ... by the fallback price (the entity had none)
    missing_quarter_hours: int = 0  # quarter-hours imported and still without a price
    unpriced_ranges: list[list[str]] = field(default_factory=list)  # their newest runs
    missing_hours: list[str] = field(default_factory=list)  # the newest unpriced hours
    recosted: str | None = None  # when the history was last re-costed

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics."""
        return {
            "hours": self.hours,
            "quarter_hours_from_state_history": self.from_states,
            "quarter_hours_from_hourly_statistics": self.from_statistics,
            "quarter_hours_from_fallback_price": self.from_fallback,
            "quarter_hours_without_price": self.missing_quarter_hours,
            "ranges_without_price": self.unpriced_ranges,
            "newest_hours_without_price": self.missing_hours,
            "recosted": self.recosted,
        }


class MeterCosts:
    """Cost series of one meter, each hour priced by the period of its price timeline."""

    def __init__(
        self,
        hass: HomeAssistant,
        ean: str,
        meter_type: MeterType,
        prices: Timeline[PriceSettings] | PriceSettings,
        name: str = "Fluvius meter",
    ) -> None:
        """For one meter and its prices over time (one PriceSettings: from the start);
        ``name`` names it in logs (EAN masked)."""
        self._hass = hass
        self._name = name
        # Said once per setup: a history import meets the same gap chunk after chunk.
        self._said_statistics = False
        self._said_unpriced = 0  # the unpriced quarter-hours last counted in the log
        self._ean = ean
        self._meter_type = meter_type
        self.timeline = prices if isinstance(prices, Timeline) else Timeline.of(prices)
        self.report = CostReport()

    @property
    def enabled(self) -> bool:
        """True when any period of the meter's timeline has a price source."""
        return any(period.prices.enabled for period in self.timeline.periods)

    @property
    def signatures(self) -> Timeline[str]:
        """What the costs of each period's hours are made with (``PriceSettings.signature``
        per period, neighbours with the same one joined)."""
        periods: list[Period[str]] = []
        for period in self.timeline.periods:
            signature = period.prices.signature
            if not periods or periods[-1].prices != signature:
                periods.append(Period(period.start, signature))
        return Timeline(tuple(periods))

    def entity_periods(self) -> list[tuple[str, HourRange]]:
        """The price entity of each period priced by one, and that period's UTC hours."""
        return [
            (period.prices.entity_id, self.timeline.bounds(period))
            for period in self.timeline.periods
            if period.prices.source == PRICE_SOURCE_ENTITY
            and period.prices.entity_id
            and period.prices.enabled
        ]

    def statistic_ids(self, registers: tuple[Register, ...]) -> list[str]:
        """Every cost statistic ID the meter may own (whatever its settings)."""
        return [cost_statistic_id(self._ean, register) for register in registers]

    def _by_period(self, intervals: list[Interval]) -> list[tuple[PriceSettings, list[Interval]]]:
        """The intervals of each period with a price source, by the local day they start
        in (a period's hours are whole local days, so a daily value lies in one)."""
        groups: dict[date | None, list[Interval]] = {}
        for interval in intervals:
            groups.setdefault(self.timeline.at(interval.start).start, []).append(interval)
        return [
            (settings, groups[period.start])
            for period in self.timeline.periods
            if period.start in groups and (settings := period.prices).enabled
        ]

    async def async_interval_costs(
        self, intervals: list[Interval]
    ) -> list[dict[Register, float | None]]:
        """The cost of each interval per priced register (empty rows without a source)."""
        rows: dict[int, dict[Register, float | None]] = {}
        for settings, group in self._by_period(intervals):
            prices = await self._async_prices(group, settings)
            for interval, row in zip(
                group, interval_costs(group, settings, self._meter_type, prices), strict=True
            ):
                rows[id(interval)] = row
        return [rows.get(id(interval), {}) for interval in intervals]

    async def _async_prices(
        self, intervals: list[Interval], settings: PriceSettings
    ) -> dict[datetime, float] | None:
        if settings.source != PRICE_SOURCE_ENTITY or not settings.entity_id:
            return None
        start = min(interval.start for interval in intervals)
        end = max(interval.end for interval in intervals)
        entity_id = settings.entity_id
        # A gas volume is priced per m³, everything else per kWh.
        gas_volume = (
            self._meter_type is MeterType.GAS and settings.gas_register is Register.GAS_VOLUME
        )
        per = PER_M3 if gas_volume else PER_KWH
        history = await async_price_history(self._hass, entity_id, start, end, per)
        self.report.from_states += history.from_states
        self.report.from_statistics += history.from_statistics
        if (settings.fallback_offtake, settings.fallback_injection) != (None, None):
            self.report.from_fallback += history.missing
        if history.from_statistics and not self._said_statistics:
            self._said_statistics = True
            _LOGGER.info(
                "%s: the state history of %s before %s is purged; its hourly mean statistics "
                "price those hours",
                self._name,
                entity_id,
                end.date(),
            )
        return history.prices

    async def async_costs(self, intervals: list[Interval]) -> HourlyCosts:
        """Cost per register and hour of these intervals, each by its period's prices (none
        where a period has no price source), and the quarter-hours they span and could not
        price."""
        costs = HourlyCosts()
        for settings, group in self._by_period(intervals):
            prices = await self._async_prices(group, settings)
            part = hourly_costs(group, settings, self._meter_type, prices)
            for register, series in part.series.items():
                costs.series.setdefault(register, {}).update(series)
            costs.missing |= part.missing
            costs.covered |= part.covered
            costs.unpriced |= part.unpriced
        costs.series = {
            register: dict(sorted(rows.items())) for register, rows in costs.series.items()
        }
        if costs.missing:
            missing = sorted(costs.missing)
            _LOGGER.debug(
                "%s: no price for %d hours (%s to %s)",
                self._name,
                len(missing),
                missing[0].isoformat(),
                (missing[-1] + HOUR).isoformat(),
            )
            known = set(self.report.missing_hours)
            known.update(hour.isoformat() for hour in missing)
            self.report.missing_hours = sorted(known)[-_MISSING_KEPT:]
        self.report.hours += len({hour for rows in costs.series.values() for hour in rows})
        return costs

    def summarise_unpriced(self, unpriced: list[datetime]) -> None:
        """Count the quarter-hours still without a price (for diagnostics), and say it in
        the log once per change: after a history import, a re-cost or the daily pricing of
        late prices, never batch by batch."""
        ranges = unpriced_ranges(unpriced)
        self.report.missing_quarter_hours = len(unpriced)
        self.report.unpriced_ranges = [
            [first.isoformat(), last.isoformat()] for first, last in ranges[-_MISSING_KEPT:]
        ]
        if len(unpriced) == self._said_unpriced:
            return
        self._said_unpriced = len(unpriced)
        if not unpriced:
            _LOGGER.info("%s: every imported quarter-hour has a price now", self._name)
            return
        _LOGGER.warning(
            "%s: %d quarter-hours from %s to %s have no price (%s has none recorded for "
            "them), so they have no cost; a fallback price in the meter's settings prices "
            "them (the repair issue and diagnostics list the ranges)",
            self._name,
            len(unpriced),
            dt_util.as_local(unpriced[0]).date(),
            dt_util.as_local(unpriced[-1]).date(),
            ", ".join(sorted({entity for entity, _ in self.entity_periods()}))
            or "the price source",
        )


def unpriced_ranges(quarters: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Sorted quarter-hour starts grouped into [first start, last end) runs."""
    ranges: list[tuple[datetime, datetime]] = []
    for start in quarters:
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], start + QUARTER)
        else:
            ranges.append((start, start + QUARTER))
    return ranges
