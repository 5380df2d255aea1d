"""What a loaded entry holds: its account, and one coordinator per meter subentry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .api.models import MeterType
from .const import (
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_IMPORT_UNTIL,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DEFAULT_HISTORY_DAYS,
)
from .names import meter_title
from .price_timeline import Timeline, capacity_timeline, energy_timeline
from .pricing import PriceSettings

if TYPE_CHECKING:
    from .account import FluviusAccount
    from .coordinator import FluviusCoordinator


@dataclass(slots=True)
class FluviusRuntime:
    """The account's client and state, and the coordinator of each meter by subentry ID."""

    account: FluviusAccount
    meters: dict[str, FluviusCoordinator]
    # The entry's data and options it was set up with (a change of either reloads it).
    entry_data: dict[str, Any] = field(default_factory=dict)
    entry_options: dict[str, Any] = field(default_factory=dict)


type FluviusConfigEntry = ConfigEntry[FluviusRuntime]


@dataclass(frozen=True, slots=True)
class MeterConfig:
    """One meter subentry's settings."""

    subentry_id: str
    ean: str
    serial: str
    meter_type: MeterType
    history_days: int
    import_until: date | None
    # Its energy prices and its capacity tariff's price (per kW per year) over time.
    prices: Timeline[PriceSettings] = field(default_factory=lambda: Timeline.of(PriceSettings()))
    capacity: Timeline[float | None] = field(
        default_factory=lambda: Timeline.of(None, monthly=True)
    )

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> MeterConfig:
        """Read a meter subentry."""
        until = subentry.data.get(CONF_IMPORT_UNTIL)
        meter_type = MeterType(subentry.data[CONF_METER_TYPE])
        return cls(
            subentry_id=subentry.subentry_id,
            ean=subentry.data[CONF_EAN],
            serial=subentry.data[CONF_METER_SERIAL],
            meter_type=meter_type,
            history_days=int(subentry.data.get(CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS)),
            import_until=date.fromisoformat(until) if until else None,
            prices=energy_timeline(subentry.data, meter_type),
            capacity=capacity_timeline(subentry.data),
        )

    @property
    def capacity_priced(self) -> bool:
        """Whether any month has a capacity tariff price (the capacity cost sensor)."""
        return any(period.prices is not None for period in self.capacity.periods)

    @property
    def title(self) -> str:
        """How the meter is named in logs and issues (EAN masked)."""
        return meter_title(self.meter_type, self.ean)
