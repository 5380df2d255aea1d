"""What energy costs: a meter's price settings and the cost of each hour. Pure: no I/O.

A price source is set per meter (in its settings): none, fixed prices per register, or a
price entity (e.g. Nord Pool area BE at quarter-hour resolution) with an optional contract
formula ``price × factor + offset``, separately for offtake and injection. Offtake registers
get a cost statistic, injection registers a compensation statistic, gas one cost statistic
on the register it is priced in (m³ or kWh).

The cost of an interval is its energy × the mean of the quarter-hour prices it spans: for
quarter-hour data that is exactly that quarter-hour's price; an hourly or daily value (where
the portal has nothing finer) gets the mean price of its hours. An interval with any
quarter-hour unpriced gets no cost, and its hour is reported as missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import json
from typing import Any

from .api.models import Interval, MeterType, Register, Resolution
from .const import (
    CONF_CAPACITY_PRICE,
    CONF_FALLBACK_GAS,
    CONF_FALLBACK_INJECTION,
    CONF_FALLBACK_OFFTAKE,
    CONF_GAS_PRICE,
    CONF_GAS_PRICE_UNIT,
    CONF_INJECTION_FACTOR,
    CONF_INJECTION_OFFSET,
    CONF_OFFTAKE_FACTOR,
    CONF_OFFTAKE_OFFSET,
    CONF_PRICE_ENTITY,
    CONF_PRICE_PREFIX,
    CONF_PRICE_SOURCE,
    PRICE_SOURCE_ENTITY,
    PRICE_SOURCE_FIXED,
    PRICE_SOURCE_NONE,
)

QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)

OFFTAKE = (Register.CONSUMPTION_HIGH, Register.CONSUMPTION_LOW, Register.CONSUMPTION_SINGLE)
INJECTION = (Register.INJECTION_HIGH, Register.INJECTION_LOW, Register.INJECTION_SINGLE)
ELECTRICITY = (*OFFTAKE, *INJECTION)
GAS_UNITS = {"m³": Register.GAS_VOLUME, "kWh": Register.GAS_ENERGY}

# Every key a meter's price settings are read from (``PriceSettings.from_data``); a
# subentry holds them only inside its price timelines (price_timeline.py).
PRICE_KEYS = frozenset(
    {
        CONF_PRICE_SOURCE,
        CONF_PRICE_ENTITY,
        CONF_OFFTAKE_FACTOR,
        CONF_OFFTAKE_OFFSET,
        CONF_INJECTION_FACTOR,
        CONF_INJECTION_OFFSET,
        CONF_GAS_PRICE,
        CONF_GAS_PRICE_UNIT,
        CONF_FALLBACK_OFFTAKE,
        CONF_FALLBACK_INJECTION,
        CONF_FALLBACK_GAS,
        CONF_CAPACITY_PRICE,
        *(f"{CONF_PRICE_PREFIX}{register.value}" for register in ELECTRICITY),
    }
)


@dataclass(frozen=True, slots=True)
class Formula:
    """A contract's price from a market price: ``price × factor + offset``."""

    factor: float = 1.0
    offset: float = 0.0

    def apply(self, price: float) -> float:
        """The contract price for a market price."""
        return price * self.factor + self.offset


@dataclass(frozen=True, slots=True)
class PriceSettings:
    """One meter's price settings (from its subentry data)."""

    source: str = PRICE_SOURCE_NONE
    fixed: Mapping[Register, float] = field(default_factory=dict)
    entity_id: str | None = None
    offtake: Formula = Formula()
    injection: Formula = Formula()
    gas_register: Register = Register.GAS_VOLUME
    capacity_price: float | None = None  # currency per kW per year
    # With an entity: the price of a quarter-hour the entity has none for, per direction
    # (gas: offtake), as a contract price (no formula applied); None: such hours get no cost.
    fallback_offtake: float | None = None
    fallback_injection: float | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any], meter_type: MeterType) -> PriceSettings:
        """Read the price settings of a meter subentry (absent keys: no costs)."""
        source = str(data.get(CONF_PRICE_SOURCE) or PRICE_SOURCE_NONE)
        gas_register = GAS_UNITS.get(str(data.get(CONF_GAS_PRICE_UNIT, "m³")), Register.GAS_VOLUME)
        # Each source's keys stay in the data when another source is chosen (the settings
        # keep what was typed for it): only the chosen source's are read.
        fixed: dict[Register, float] = {}
        if source == PRICE_SOURCE_FIXED and meter_type is MeterType.GAS:
            if (value := data.get(CONF_GAS_PRICE)) is not None:
                fixed[gas_register] = float(value)
        elif source == PRICE_SOURCE_FIXED:
            for register in ELECTRICITY:
                if (value := data.get(f"{CONF_PRICE_PREFIX}{register.value}")) is not None:
                    fixed[register] = float(value)
        entity_id = data.get(CONF_PRICE_ENTITY) if source == PRICE_SOURCE_ENTITY else None
        capacity = data.get(CONF_CAPACITY_PRICE)
        gas = meter_type is MeterType.GAS
        fallback_offtake = data.get(CONF_FALLBACK_GAS if gas else CONF_FALLBACK_OFFTAKE)
        fallback_injection = None if gas else data.get(CONF_FALLBACK_INJECTION)
        return cls(
            source=source,
            fixed=fixed,
            entity_id=entity_id or None,
            offtake=Formula(
                float(data.get(CONF_OFFTAKE_FACTOR, 1.0)), float(data.get(CONF_OFFTAKE_OFFSET, 0.0))
            ),
            injection=Formula(
                float(data.get(CONF_INJECTION_FACTOR, 1.0)),
                float(data.get(CONF_INJECTION_OFFSET, 0.0)),
            ),
            gas_register=gas_register,
            capacity_price=None if capacity is None else float(capacity),
            fallback_offtake=None if fallback_offtake is None else float(fallback_offtake),
            fallback_injection=None if fallback_injection is None else float(fallback_injection),
        )

    def as_data(self, meter_type: MeterType) -> dict[str, Any]:
        """The subentry keys these settings are read from: ``from_data`` gives them back."""
        gas = meter_type is MeterType.GAS
        unit = next(u for u, r in GAS_UNITS.items() if r is self.gas_register)
        data: dict[str, Any] = {
            CONF_PRICE_SOURCE: self.source,
            CONF_GAS_PRICE_UNIT: unit,
            CONF_OFFTAKE_FACTOR: self.offtake.factor,
            CONF_OFFTAKE_OFFSET: self.offtake.offset,
            CONF_INJECTION_FACTOR: self.injection.factor,
            CONF_INJECTION_OFFSET: self.injection.offset,
        }
        for register, price in self.fixed.items():
            data[CONF_GAS_PRICE if gas else f"{CONF_PRICE_PREFIX}{register.value}"] = price
        optional = {
            CONF_PRICE_ENTITY: self.entity_id,
            CONF_CAPACITY_PRICE: self.capacity_price,
            CONF_FALLBACK_GAS if gas else CONF_FALLBACK_OFFTAKE: self.fallback_offtake,
            CONF_FALLBACK_INJECTION: None if gas else self.fallback_injection,
        }
        return data | {key: value for key, value in optional.items() if value is not None}

    @property
    def enabled(self) -> bool:
        """True when the meter's energy gets costs."""
        if self.source == PRICE_SOURCE_FIXED:
            return bool(self.fixed)
        return self.source == PRICE_SOURCE_ENTITY and self.entity_id is not None

    def priced(self, meter_type: MeterType) -> tuple[Register, ...]:
        """The registers that get a cost (or compensation) statistic."""
        if not self.enabled:
            return ()
        if self.source == PRICE_SOURCE_FIXED:
            return tuple(self.fixed)
        if meter_type is MeterType.GAS:
            return (self.gas_register,)
        return ELECTRICITY

    def formula(self, register: Register) -> Formula:
        """The contract formula of a register's direction (gas: offtake)."""
        return self.injection if register in INJECTION else self.offtake

    def fallback(self, register: Register) -> float | None:
        """The price of a quarter-hour the entity has no price for (None: no cost)."""
        return self.fallback_injection if register in INJECTION else self.fallback_offtake

    @property
    def signature(self) -> str:
        """Changes whenever the costs would: the stored costs were made with another one."""
        if not self.enabled:
            return PRICE_SOURCE_NONE
        blob: dict[str, Any] = {
            "source": self.source,
            "fixed": {r.value: v for r, v in sorted(self.fixed.items())},
            "entity": self.entity_id if self.source == PRICE_SOURCE_ENTITY else None,
            "formula": (self.offtake, self.injection)
            if self.source == PRICE_SOURCE_ENTITY
            else None,
            "gas": self.gas_register.value,
        }
        fallbacks = (self.fallback_offtake, self.fallback_injection)
        if self.source == PRICE_SOURCE_ENTITY and fallbacks != (None, None):
            blob["fallback"] = fallbacks  # absent otherwise: earlier signatures stay valid
        text = json.dumps(blob, sort_keys=True, default=lambda f: [f.factor, f.offset])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_compensation(register: Register) -> bool:
    """Injection earns a compensation; everything else costs."""
    return register in INJECTION


def quarter_hours(start: datetime, end: datetime) -> Iterable[datetime]:
    """The quarter-hour starts (UTC) in [start, end)."""
    moment = start.astimezone(UTC)
    moment = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    while moment < end:
        yield moment
        moment += QUARTER


def _hours(start: datetime, end: datetime) -> list[datetime]:
    hour = floor_hour(start)
    out: list[datetime] = []
    while hour < end:
        out.append(hour)
        hour += HOUR
    return out


def floor_hour(moment: datetime) -> datetime:
    """The UTC hour a moment lies in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(slots=True)
class HourlyCosts:
    """Cost per register and hour, and the hours that could not be priced."""

    series: dict[Register, dict[datetime, float]] = field(default_factory=dict)
    missing: set[datetime] = field(default_factory=set)
    # Every quarter-hour the intervals span, and those of them left without a price.
    covered: set[datetime] = field(default_factory=set)
    unpriced: set[datetime] = field(default_factory=set)


def hourly_costs(
    intervals: Iterable[Interval],
    settings: PriceSettings,
    meter_type: MeterType,
    prices: Mapping[datetime, float] | None = None,
) -> HourlyCosts:
    """Cost of each register in each hour (UTC, top of the hour), for the given intervals.

    ``prices``: the price entity's price (currency per kWh, or per m³ for a gas volume)
    valid at each quarter-hour start; only read when the source is an entity. An interval
    lands in the hour it starts in (a daily value, like its energy, in its first hour).
    Hours where any priced interval is unpriced get no row and are listed as missing.
    """
    registers = settings.priced(meter_type)
    out = HourlyCosts()
    if not registers:
        return out
    series: dict[Register, dict[datetime, float]] = defaultdict(dict)
    intervals = list(intervals)
    # As for the energy: finer data replaces a daily value of the same hours, and a daily
    # value is booked in its first hour, its other hours zero.
    fine = {floor_hour(i.start) for i in intervals if i.resolution is not Resolution.DAY}
    for interval in intervals:
        hour = floor_hour(interval.start)
        if interval.resolution is Resolution.DAY:
            hours = _hours(interval.start, interval.end)
            if any(h in fine for h in hours):
                continue
            for register in registers:
                if interval.value(register) is not None:
                    for other in hours[1:]:
                        series[register][other] = 0.0
        price_of = _unit_prices(interval, settings, prices)
        spanned = set(quarter_hours(interval.start, interval.end))
        out.covered |= spanned
        for register in registers:
            value = interval.value(register)
            if value is None:
                continue
            if (price := price_of(register)) is None:
                out.missing.add(hour)
                out.unpriced |= spanned
                continue
            row = series[register]
            row[hour] = row.get(hour, 0.0) + value * price
    for register, rows in series.items():
        kept = {hour: cost for hour, cost in sorted(rows.items()) if hour not in out.missing}
        if kept:
            out.series[register] = kept
    return out


def interval_costs(
    intervals: Iterable[Interval],
    settings: PriceSettings,
    meter_type: MeterType,
    prices: Mapping[datetime, float] | None = None,
) -> list[dict[Register, float | None]]:
    """The cost of each interval per priced register (None: no price for it)."""
    registers = settings.priced(meter_type)
    out: list[dict[Register, float | None]] = []
    for interval in intervals:
        price_of = _unit_prices(interval, settings, prices)
        row: dict[Register, float | None] = {}
        for register in registers:
            value = interval.value(register)
            if value is not None:
                price = price_of(register)
                row[register] = None if price is None else value * price
        out.append(row)
    return out


def _unit_prices(
    interval: Interval, settings: PriceSettings, prices: Mapping[datetime, float] | None
) -> Any:
    """A function register -> price per unit for this interval (None: unpriced)."""
    if settings.source == PRICE_SOURCE_FIXED:
        return settings.fixed.get
    seen = [prices.get(q) if prices else None for q in quarter_hours(interval.start, interval.end)]
    if not seen:
        return lambda _register: None

    def price(register: Register) -> float | None:
        """The mean contract price of the interval's quarter-hours: the entity's through
        the formula, the fallback where the entity has none."""
        formula, fallback = settings.formula(register), settings.fallback(register)
        if fallback is None and any(p is None for p in seen):
            return None
        total = sum(formula.apply(p) if p is not None else fallback or 0.0 for p in seen)
        return total / len(seen)

    return price


def capacity_cost(average_kw: float, price_per_kw_year: float) -> float:
    """This month's capacity cost: the 12-month average of floored peaks × price ÷ 12."""
    return round(average_kw * price_per_kw_year / 12, 2)
