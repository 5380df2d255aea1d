"""Typed models returned by the Fluvius client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum


class Resolution(StrEnum):
    """Length of one measurement interval."""

    QUARTER_HOUR = "quarter_hour"
    HOUR = "hour"
    DAY = "day"

    @property
    def duration(self) -> timedelta:
        """Nominal length (a local day can be 23 or 25 hours long)."""
        return _DURATIONS[self]


_DURATIONS = {
    Resolution.QUARTER_HOUR: timedelta(minutes=15),
    Resolution.HOUR: timedelta(hours=1),
    Resolution.DAY: timedelta(days=1),
}


class MeterType(StrEnum):
    """What a meter measures."""

    ELECTRICITY = "electricity"
    GAS = "gas"


class Register(StrEnum):
    """One metered quantity. The values double as statistic ID suffixes."""

    CONSUMPTION_HIGH = "consumption_high"
    CONSUMPTION_LOW = "consumption_low"
    CONSUMPTION_SINGLE = "consumption_single"
    INJECTION_HIGH = "injection_high"
    INJECTION_LOW = "injection_low"
    INJECTION_SINGLE = "injection_single"
    GAS_VOLUME = "gas_volume"  # m³
    GAS_ENERGY = "gas_energy"  # kWh

    @property
    def unit(self) -> str:
        """The unit this register's values are in: m³ for the gas volume, else kWh."""
        return "m³" if self is Register.GAS_VOLUME else "kWh"


class ValueStatus(StrEnum):
    """Whether a value is final (`vs` 2) or may still be revised."""

    MEASURED = "measured"
    ESTIMATED = "estimated"


@dataclass(frozen=True, slots=True)
class Reading:
    """One register's value in one interval."""

    value: float
    status: ValueStatus
    status_code: int | None = None


@dataclass(frozen=True, slots=True)
class Interval:
    """All register values for one interval; start/end are aware UTC datetimes."""

    start: datetime
    end: datetime
    readings: dict[Register, Reading] = field(default_factory=dict)

    @property
    def resolution(self) -> Resolution:
        """Resolution judged from the interval's length."""
        length = self.end - self.start
        if length <= timedelta(minutes=15):
            return Resolution.QUARTER_HOUR
        if length <= timedelta(hours=1):
            return Resolution.HOUR
        return Resolution.DAY

    def value(self, register: Register) -> float | None:
        """Value of one register, or None when absent."""
        reading = self.readings.get(register)
        return None if reading is None else reading.value

    @property
    def final(self) -> bool:
        """True when every value is measured (not estimated or provisional)."""
        return all(r.status is ValueStatus.MEASURED for r in self.readings.values())


@dataclass(frozen=True, slots=True)
class MonthlyPeak:
    """The highest quarter-hour average offtake power of one month."""

    month: date  # first day of the month, Brussels calendar
    power_kw: float
    start: datetime  # quarter-hour start, aware UTC
    end: datetime  # quarter-hour end, aware UTC


@dataclass(frozen=True, slots=True)
class GranularityCapability:
    """What one granularity code was found to deliver for one meter."""

    code: str
    resolution: Resolution
    max_days: int


@dataclass(frozen=True, slots=True)
class MeterProbe:
    """What a quick look at a meter revealed."""

    meter_type: MeterType
    resolution: Resolution  # the finest resolution the portal delivers for it
    legacy: bool  # True when only the legacy endpoints answer


@dataclass(frozen=True, slots=True)
class ClientStats:
    """Counters since the client was created."""

    requests: int  # HTTP requests sent, login and data
    logins: int  # full logins that produced tokens
    refreshes: int  # refresh-token grants that produced tokens
    last_login: datetime | None
