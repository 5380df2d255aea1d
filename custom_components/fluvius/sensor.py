"""Sensors of the Fluvius integration: day values and their measurement day, monthly peak,
capacity cost, data freshness."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfVolume,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api.brussels import BRUSSELS
from .api.models import MeterType, Register
from .coordinator import FluviusCoordinator
from .days import DayTotals
from .entity import FluviusEntity, async_add_meter_entities
from .models import FluviusConfigEntry
from .peaks import capacity_tariff, month_key
from .price_timeline import Timeline
from .pricing import capacity_cost
from .snapshot import FluviusData

# Coordinator-based: the coordinator serialises all requests.
PARALLEL_UPDATES = 0

CONSUMPTION = (Register.CONSUMPTION_HIGH, Register.CONSUMPTION_LOW, Register.CONSUMPTION_SINGLE)
INJECTION = (Register.INJECTION_HIGH, Register.INJECTION_LOW, Register.INJECTION_SINGLE)


@dataclass(frozen=True, kw_only=True)
class FluviusSensorEntityDescription(SensorEntityDescription):
    """Describes one Fluvius sensor."""

    value_fn: Callable[[FluviusData], float | date | datetime | None]
    attrs_fn: Callable[[FluviusData], Mapping[str, Any] | None] = lambda _: None
    # Created only when the meter reports this register (None: always created).
    register: Register | None = None


def _day_attrs(data: FluviusData) -> Mapping[str, Any] | None:
    """The measurement day the value belongs to, and whether Fluvius validated its values
    ("final"; provisional values may still be revised for a few days)."""
    if (day := data.latest_day) is None:
        return None
    return {"day": day.day.isoformat(), "final": day.final}


def _measurement_day(data: FluviusData) -> date | None:
    """The latest complete measurement day (gas: the gas day, 06:00 to 06:00, by its start)."""
    return None if data.latest_day is None else data.latest_day.day


def _validated_attrs(data: FluviusData) -> Mapping[str, Any] | None:
    """Whether Fluvius validated that day's values (None: not known)."""
    return None if data.latest_day is None else {"final": data.latest_day.final}


def _register_value(register: Register) -> Callable[[FluviusData], float | None]:
    def value(data: FluviusData) -> float | None:
        return None if data.latest_day is None else data.latest_day.value(register)

    return value


def _net_usage(data: FluviusData) -> float | None:
    """Consumption minus injection over every register of the latest day."""
    day: DayTotals | None = data.latest_day
    if day is None:
        return None
    consumed = [v for r in CONSUMPTION if (v := day.value(r)) is not None]
    injected = [v for r in INJECTION if (v := day.value(r)) is not None]
    if not consumed and not injected:
        return None
    return round(sum(consumed) - sum(injected), 3)


def _current_peak(data: FluviusData) -> float | None:
    """This month's peak; until it has one (the 1st), the newest month's before it."""
    peak = data.newest_peak(dt_util.utcnow().astimezone(BRUSSELS).date())
    return None if peak is None else peak.power_kw


def _peak_attrs(data: FluviusData) -> Mapping[str, Any] | None:
    """The peak's month ("2026-11", as the event has it), whether that is this month (not
    on the 1st, while last month's is shown), and its quarter-hour."""
    today = dt_util.utcnow().astimezone(BRUSSELS).date()
    peak = data.newest_peak(today)
    if peak is None:
        return None
    return {
        "month": month_key(peak.month),
        "current_month": peak.month == today.replace(day=1),
        "start": peak.start.isoformat(),
        "end": peak.end.isoformat(),
    }


def _capacity_value(data: FluviusData) -> float | None:
    tariff = capacity_tariff(data.peaks, dt_util.utcnow().astimezone(BRUSSELS).date())
    return None if tariff is None else tariff.average_kw


def _capacity_attrs(data: FluviusData) -> Mapping[str, Any] | None:
    tariff = capacity_tariff(data.peaks, dt_util.utcnow().astimezone(BRUSSELS).date())
    return None if tariff is None else {"months": tariff.months}


def _capacity_cost_value(data: FluviusData, prices: Timeline[float | None]) -> float | None:
    """This month's capacity cost: the 12-month average of floored peaks × the price in
    force this month ÷ 12."""
    today = dt_util.utcnow().astimezone(BRUSSELS).date()
    tariff = capacity_tariff(data.peaks, today)
    price = prices.on(today).prices
    if tariff is None or price is None:
        return None
    return capacity_cost(tariff.average_kw, price)


def _capacity_cost_attrs(
    data: FluviusData, prices: Timeline[float | None]
) -> Mapping[str, Any] | None:
    """What the cost is made of (the average, this month's yearly price, the months
    counted) and the cost over a year at this average: average kW × price per kW per
    year, to the cent."""
    today = dt_util.utcnow().astimezone(BRUSSELS).date()
    tariff = capacity_tariff(data.peaks, today)
    if tariff is None:
        return None
    price = prices.on(today).prices
    return {
        "average_kw": tariff.average_kw,
        "price_per_kw_year": price,
        "cost_per_year": None if price is None else round(tariff.average_kw * price, 2),
        "months": tariff.months,
    }


def _day_energy(key: str, register: Register) -> FluviusSensorEntityDescription:
    # No state_class: the value belongs to a past day and arrives late; recording it
    # as a long-term statistic at poll time would book it in the wrong hour. Correctly
    # timed statistics are imported separately.
    return FluviusSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=_register_value(register),
        attrs_fn=_day_attrs,
        register=register,
    )


# The day the day sensors' values belong to, shown on the device page (their "day" attribute
# is visible only in the entity's details): a date, and whether Fluvius validated it.
MEASUREMENT_DAY = FluviusSensorEntityDescription(
    key="measurement_day",
    translation_key="measurement_day",
    device_class=SensorDeviceClass.DATE,
    value_fn=_measurement_day,
    attrs_fn=_validated_attrs,
)

NEWEST_DATA = FluviusSensorEntityDescription(
    key="newest_data",
    translation_key="newest_data",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda data: data.newest_data,
    # Which resolution is imported (the daily total where Fluvius sends nothing finer), and
    # since when due data has stayed away: what a user needs to see why values lag.
    attrs_fn=lambda data: {"resolution": data.resolution, "overdue_since": data.overdue_since},
)

ELECTRICITY_SENSORS: tuple[FluviusSensorEntityDescription, ...] = (
    _day_energy("consumption_high", Register.CONSUMPTION_HIGH),
    _day_energy("consumption_low", Register.CONSUMPTION_LOW),
    _day_energy("injection_high", Register.INJECTION_HIGH),
    _day_energy("injection_low", Register.INJECTION_LOW),
    FluviusSensorEntityDescription(
        key="net_usage",
        translation_key="net_usage",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=_net_usage,
        attrs_fn=_day_attrs,
    ),
    MEASUREMENT_DAY,
    FluviusSensorEntityDescription(
        key="monthly_peak",
        translation_key="monthly_peak",
        device_class=SensorDeviceClass.POWER,
        # A measurement: the recorder keeps its long-term statistics, so it can be graphed
        # over months. It is the month's peak so far, not a late value of a past hour; on
        # the 1st (no peak for the month yet) last month's, carried over and marked so.
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=3,
        value_fn=_current_peak,
        attrs_fn=_peak_attrs,
    ),
    FluviusSensorEntityDescription(
        key="capacity_tariff",
        translation_key="capacity_tariff",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=3,
        value_fn=_capacity_value,
        attrs_fn=_capacity_attrs,
    ),
    NEWEST_DATA,
)


@dataclass(frozen=True, kw_only=True)
class FluviusCostSensorEntityDescription(SensorEntityDescription):
    """Describes a Fluvius sensor that needs the meter's price settings."""

    value_fn: Callable[[FluviusData, Timeline[float | None]], float | None]
    attrs_fn: Callable[[FluviusData, Timeline[float | None]], Mapping[str, Any] | None]
    # Created only for meters where this returns True (their settings give it a price).
    has_fn: Callable[[FluviusCoordinator], bool]


COST_SENSORS: tuple[FluviusCostSensorEntityDescription, ...] = (
    FluviusCostSensorEntityDescription(
        key="capacity_cost",
        translation_key="capacity_cost",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        # The unit is Home Assistant's currency, set per entity.
        value_fn=_capacity_cost_value,
        attrs_fn=_capacity_cost_attrs,
        has_fn=lambda coordinator: (
            coordinator.meter_type is MeterType.ELECTRICITY and coordinator.meter.capacity_priced
        ),
    ),
)

BACKFILL_PROGRESS = SensorEntityDescription(
    key="backfill_progress",
    translation_key="backfill_progress",
    native_unit_of_measurement=PERCENTAGE,
    entity_category=EntityCategory.DIAGNOSTIC,
    suggested_display_precision=0,
)

# Single-register meters report consumption/injection without a tariff split.
ELECTRICITY_SINGLE_SENSORS: tuple[FluviusSensorEntityDescription, ...] = (
    _day_energy("consumption_single", Register.CONSUMPTION_SINGLE),
    _day_energy("injection_single", Register.INJECTION_SINGLE),
)

GAS_SENSORS: tuple[FluviusSensorEntityDescription, ...] = (
    FluviusSensorEntityDescription(
        key="gas_volume",
        translation_key="gas_volume",
        device_class=SensorDeviceClass.GAS,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        suggested_display_precision=3,
        value_fn=_register_value(Register.GAS_VOLUME),
        attrs_fn=_day_attrs,
    ),
    FluviusSensorEntityDescription(
        key="gas_energy",
        translation_key="gas_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=_register_value(Register.GAS_ENERGY),
        attrs_fn=_day_attrs,
    ),
    MEASUREMENT_DAY,
    NEWEST_DATA,
)


def _descriptions(
    coordinator: FluviusCoordinator, registered: set[str]
) -> list[FluviusSensorEntityDescription]:
    """Gas sensors, or the electricity registers this meter actually has (known from its
    data, or, for a meter out of reach at setup, from the sensors it had before)."""
    if coordinator.meter_type is MeterType.GAS:
        return list(GAS_SENSORS)
    # None when the meter was out of reach at setup (HA types it as always present).
    data: FluviusData | None = coordinator.data
    if data is not None:
        seen = {r for day in data.days.values() for r in day.values}
    else:
        seen = {
            d.register
            for d in (*ELECTRICITY_SENSORS, *ELECTRICITY_SINGLE_SENSORS)
            if d.register is not None and f"{coordinator.ean}_{d.key}" in registered
        }
    dual = not seen or bool(seen & {Register.CONSUMPTION_HIGH, Register.CONSUMPTION_LOW})
    return [
        d
        for d in (*ELECTRICITY_SENSORS, *ELECTRICITY_SINGLE_SENSORS)
        if d.register is None or (d.register in seen if d in ELECTRICITY_SINGLE_SENSORS else dual)
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FluviusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the sensors of each meter, on its subentry (also of a meter added later)."""

    def sensors(coordinator: FluviusCoordinator) -> list[SensorEntity]:
        registered = {
            registry_entry.unique_id
            for registry_entry in er.async_entries_for_config_entry(
                er.async_get(hass), entry.entry_id
            )
        }
        return [
            *(
                FluviusSensor(coordinator, description)
                for description in _descriptions(coordinator, registered)
            ),
            *(
                FluviusCostSensor(coordinator, description, hass.config.currency)
                for description in COST_SENSORS
                if description.has_fn(coordinator)
            ),
            BackfillProgressSensor(coordinator, BACKFILL_PROGRESS),
        ]

    async_add_meter_entities(hass, entry, async_add_entities, sensors)


class FluviusSensor(FluviusEntity, SensorEntity):
    """A value derived from the meter's latest data."""

    entity_description: FluviusSensorEntityDescription

    @property
    def native_value(self) -> float | date | datetime | None:
        """The latest value (None while the meter has never been reached)."""
        data: FluviusData | None = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The day or quarter-hour the value belongs to."""
        data: FluviusData | None = self.coordinator.data
        return None if data is None else self.entity_description.attrs_fn(data)


class FluviusCostSensor(FluviusEntity, SensorEntity):
    """A cost derived from the meter's latest data and its price settings."""

    entity_description: FluviusCostSensorEntityDescription

    def __init__(
        self,
        coordinator: FluviusCoordinator,
        description: FluviusCostSensorEntityDescription,
        currency: str,
    ) -> None:
        """Initialise; the cost is in Home Assistant's currency."""
        super().__init__(coordinator, description)
        self._attr_native_unit_of_measurement = currency

    @property
    def native_value(self) -> float | None:
        """The cost (None while the meter has never been reached or has no peak yet)."""
        data: FluviusData | None = self.coordinator.data
        if data is None:
            return None
        return self.entity_description.value_fn(data, self.coordinator.meter.capacity)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """What the cost is made of."""
        data: FluviusData | None = self.coordinator.data
        if data is None:
            return None
        return self.entity_description.attrs_fn(data, self.coordinator.meter.capacity)


class BackfillProgressSensor(FluviusEntity, SensorEntity):
    """How much of the configured history is in the Energy statistics, in percent."""

    @property
    def native_value(self) -> float:
        """Percent of the history horizon imported."""
        return self.coordinator.backfill.progress

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """What runs: the import, the re-import of daily totals at a finer resolution, or
        the re-cost after new prices (the percentage stays the import's)."""
        return {"activity": self.coordinator.backfill.activity or "idle"}

    @property
    def available(self) -> bool:
        """Progress is known even while the portal is unreachable."""
        return True
