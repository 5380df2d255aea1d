"""One meter being worked on: its identity, what was learnt about it, and its day alignment
(calendar days on electricity, gas days from 06:00 on gas, per code where it was seen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .brussels import GAS_DAY_START_HOUR, day_of
from .granularity import MeterDialect, meter_key
from .models import MeterType


@dataclass(frozen=True, slots=True)
class Meter:
    """One meter being worked on: its identity and what was learnt about it."""

    ean: str
    serial: str
    dialect: MeterDialect

    @property
    def key(self) -> str:
        return meter_key(self.ean, self.serial)

    @property
    def serial_param(self) -> dict[str, str]:
        """meterSerialNumber, left out when the serial is not known."""
        return {"meterSerialNumber": self.serial} if self.serial else {}

    @property
    def gas(self) -> bool:
        return self.dialect.meter_type is MeterType.GAS

    @property
    def day_start_hour(self) -> int:
        """Gas days run from 06:00 to 06:00 local time."""
        return GAS_DAY_START_HOUR if self.gas else 0

    def day_of(self, instant: datetime) -> date:
        """The calendar day (gas day on a gas meter) an instant belongs to."""
        return day_of(instant, self.day_start_hour)

    def start_hour(self, code: str) -> int:
        """The local hour this code's windows start at: calendar days on electricity; on gas
        the alignment the code delivered data in, else gas days (06:00 to 05:59:59.999),
        which both readings of a daily gas window serve completely (docs/PORTAL.md)."""
        if not self.gas:
            return 0
        known = self.dialect.measurements.codes.get(code)
        if known is not None and known.day_start is not None:
            return known.day_start
        return GAS_DAY_START_HOUR
