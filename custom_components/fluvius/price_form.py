"""The price steps of a meter's settings: their fields, validation, and the price settings
of one period they make (pricing.PriceSettings; price_timeline.py puts them in a period).

A period's prices pre-fill the forms as their flat keys (``period_data``, from
``PriceSettings.as_data``); each source's form asks only for its own keys and is read back
into a PriceSettings (``fixed_settings``, ``entity_settings``). The dates of the periods
are period_form.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    DateSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.util import dt as dt_util
import probatio

from .api.brussels import BRUSSELS
from .api.models import MeterType, Register
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
from .period_form import CONF_START
from .price_timeline import Timeline
from .prices import PER_KWH, PER_M3, async_history_start, parse_price_unit
from .pricing import GAS_UNITS, HOUR, PriceSettings

DUAL_PRICES = tuple(
    f"{CONF_PRICE_PREFIX}{register.value}"
    for register in (
        Register.CONSUMPTION_HIGH,
        Register.CONSUMPTION_LOW,
        Register.INJECTION_HIGH,
        Register.INJECTION_LOW,
    )
)
SINGLE_PRICES = tuple(
    f"{CONF_PRICE_PREFIX}{register.value}"
    for register in (Register.CONSUMPTION_SINGLE, Register.INJECTION_SINGLE)
)
SINGLE_REGISTERS = {Register.CONSUMPTION_SINGLE, Register.INJECTION_SINGLE}
DUAL_REGISTERS = {Register.CONSUMPTION_HIGH, Register.CONSUMPTION_LOW}
# The closing message of a price change that re-costs the history in the background.
RECOSTING = "recosting"

# A sensor's state class: without one, Home Assistant keeps no long-term statistics of it.
ATTR_STATE_CLASS = "state_class"
# The fixed prices a fallback price is prefilled from (the first one saved).
FALLBACK_FROM_FIXED = {
    CONF_FALLBACK_OFFTAKE: (
        f"{CONF_PRICE_PREFIX}{Register.CONSUMPTION_HIGH.value}",
        f"{CONF_PRICE_PREFIX}{Register.CONSUMPTION_SINGLE.value}",
    ),
    CONF_FALLBACK_INJECTION: (
        f"{CONF_PRICE_PREFIX}{Register.INJECTION_HIGH.value}",
        f"{CONF_PRICE_PREFIX}{Register.INJECTION_SINGLE.value}",
    ),
    CONF_FALLBACK_GAS: (CONF_GAS_PRICE,),
}
GAS_VOLUME_UNIT = "m³"
GAS_ENERGY_UNIT = "kWh"
# What a price entity's price may be per (prices.py's parser reads MWh and Wh as per kWh);
# a gas price may also be per m³.
ENERGY_PRICE_UNITS = (PER_KWH,)
GAS_PRICE_UNITS = (PER_KWH, PER_M3)
PRICE_SOURCE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[PRICE_SOURCE_NONE, PRICE_SOURCE_FIXED, PRICE_SOURCE_ENTITY],
        translation_key=CONF_PRICE_SOURCE,
        mode=SelectSelectorMode.LIST,
    )
)
GAS_UNIT_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[SelectOptionDict(value=unit, label=unit) for unit in GAS_UNITS],
        mode=SelectSelectorMode.LIST,
    )
)
# The capacity price's unit in euro, translated (selector.capacity_price.unit_of_measurement).
EURO_PER_KW_YEAR = "eur_per_kw_year"
FACTOR_SELECTOR = NumberSelector(NumberSelectorConfig(step="any", mode=NumberSelectorMode.BOX))


def _amount(
    unit: str | None = None, *, minimum: float | None = None, translation_key: str | None = None
) -> NumberSelector:
    """A number box for an amount of money (any precision). With a translation key, the
    frontend shows the unit as translated in selector.<key>.unit_of_measurement.<unit>."""
    config = NumberSelectorConfig(step="any", mode=NumberSelectorMode.BOX)
    if minimum is not None:
        config["min"] = minimum
    if unit is not None:
        config["unit_of_measurement"] = unit
    if translation_key is not None:
        config["translation_key"] = translation_key
    return NumberSelector(config)


def fixed_price_keys(meter_type: MeterType, single: bool) -> tuple[str, ...]:
    """The fixed prices a meter's form asks for."""
    if meter_type is MeterType.GAS:
        return (CONF_GAS_PRICE,)
    return SINGLE_PRICES if single else DUAL_PRICES


def formula_keys(meter_type: MeterType) -> tuple[tuple[str, str, str], ...]:
    """(factor, offset, fallback) per direction of a meter's price entity (gas: one)."""
    offtake = (
        CONF_OFFTAKE_FACTOR,
        CONF_OFFTAKE_OFFSET,
        CONF_FALLBACK_GAS if meter_type is MeterType.GAS else CONF_FALLBACK_OFFTAKE,
    )
    if meter_type is MeterType.GAS:
        return (offtake,)
    return offtake, (CONF_INJECTION_FACTOR, CONF_INJECTION_OFFSET, CONF_FALLBACK_INJECTION)


def fallback_keys(meter_type: MeterType) -> tuple[str, ...]:
    """The fallback prices of a meter's price entity (gas: one)."""
    return tuple(fallback for _, _, fallback in formula_keys(meter_type))


def source_schema(current: str) -> probatio.Schema:
    """The first step of the energy costs: where the prices come from."""
    return probatio.Schema(
        {probatio.Required(CONF_PRICE_SOURCE, default=current): PRICE_SOURCE_SELECTOR}
    )


def fixed_schema(meter_type: MeterType, single: bool, currency: str) -> probatio.Schema:
    """The fixed prices of a meter: dual tariff four, single two, gas one and its unit."""
    gas = meter_type is MeterType.GAS
    fields: dict[probatio.Marker, Any] = {
        probatio.Optional(key): _amount(None if gas else f"{currency}/kWh", minimum=0)
        for key in fixed_price_keys(meter_type, single)
    }
    if gas:
        fields[probatio.Required(CONF_GAS_PRICE_UNIT, default=GAS_VOLUME_UNIT)] = GAS_UNIT_SELECTOR
    return probatio.Schema(fields)


def entity_schema(meter_type: MeterType, currency: str, entities: list[str]) -> probatio.Schema:
    """A price entity (picked from ``entities``), and per direction its contract formula
    and the fallback price of quarter-hours the entity has no price for."""
    per_kwh = None if meter_type is MeterType.GAS else f"{currency}/kWh"
    picker = EntitySelectorConfig(domain="sensor", include_entities=entities)
    fields: dict[probatio.Marker, Any] = {
        probatio.Optional(CONF_PRICE_ENTITY): EntitySelector(picker)
    }
    for factor, offset, fallback in formula_keys(meter_type):
        fields[probatio.Optional(factor, default=1.0)] = FACTOR_SELECTOR
        fields[probatio.Optional(offset, default=0.0)] = _amount(per_kwh)
        fields[probatio.Optional(fallback)] = _amount(per_kwh, minimum=0)
    return probatio.Schema(fields)


def capacity_schema(currency: str) -> probatio.Schema:
    """The capacity tariff's price, per kW per year (the unit in the user's language for
    euro, the currency of a Fluvius bill), and the month it applies from (empty: from the
    start of the history)."""
    # A selector's unit is a translation key (hassfest: lowercase, no slash): euro, the
    # currency of a Fluvius bill, has one; any other currency is shown as it is.
    unit = EURO_PER_KW_YEAR if currency == "EUR" else f"{currency}/kW/year"
    price = _amount(unit, minimum=0, translation_key=CONF_CAPACITY_PRICE)
    return probatio.Schema(
        {
            probatio.Optional(CONF_CAPACITY_PRICE): price,
            probatio.Optional(CONF_START): DateSelector(),
        }
    )


def period_data(settings: PriceSettings, meter_type: MeterType) -> dict[str, Any]:
    """A period's prices as the flat keys its forms are pre-filled from (the formula only
    for a price entity: elsewhere it is the default)."""
    data = settings.as_data(meter_type)
    if settings.source != PRICE_SOURCE_ENTITY:
        for factor, offset, _ in formula_keys(meter_type):
            data.pop(factor, None)
            data.pop(offset, None)
    return data


def single_tariff(timeline: Timeline[PriceSettings]) -> bool:
    """Whether a period has fixed prices on the single registers."""
    return any(
        register in SINGLE_REGISTERS
        for period in timeline.periods
        for register in period.prices.fixed
    )


def price_entities(hass: HomeAssistant, meter_type: MeterType, *also: str | None) -> list[str]:
    """The sensors that can price a meter: a price in Home Assistant's currency per kWh
    (MWh, Wh; gas also per m³), read by the costing's parser. ``also``: entities offered
    anyway (the saved or typed one: the form shows it, and says what is wrong with it)."""
    allowed = GAS_PRICE_UNITS if meter_type is MeterType.GAS else ENERGY_PRICE_UNITS
    currency = hass.config.currency
    found = {
        state.entity_id
        for state in hass.states.async_all("sensor")
        if price_unit(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), allowed, currency)
    }
    return sorted(found | {entity_id for entity_id in also if entity_id})


def capacity_suggestions(price: float | None, start: date) -> dict[str, Any]:
    """A capacity price and the month it applies from, to pre-fill its form."""
    shown: dict[str, Any] = {CONF_START: start.isoformat()}
    return shown if price is None else shown | {CONF_CAPACITY_PRICE: price}


def fixed_suggestions(data: Mapping[str, Any], fixed: tuple[str, ...]) -> dict[str, Any]:
    """A period's fixed prices, to pre-fill the form."""
    values = {key: data[key] for key in fixed if data.get(key) is not None}
    if CONF_GAS_PRICE in fixed:
        values[CONF_GAS_PRICE_UNIT] = data.get(CONF_GAS_PRICE_UNIT) or GAS_VOLUME_UNIT
    return values


def entity_suggestions(data: Mapping[str, Any], meter_type: MeterType) -> dict[str, Any]:
    """A period's price entity settings, to pre-fill the form. A period of fixed prices
    offers them as fallback prices (consumption and injection: the day tariff's or the
    single one; gas: the gas price): they price only the hours of the new or corrected
    period the entity has no price for."""
    keys = [CONF_PRICE_ENTITY, *(key for keys in formula_keys(meter_type) for key in keys)]
    values = {key: data[key] for key in keys if data.get(key) is not None}
    source = data.get(CONF_PRICE_SOURCE) or PRICE_SOURCE_NONE
    if source == PRICE_SOURCE_ENTITY:
        return values
    fixed: dict[str, Any] = {}
    for key in fallback_keys(meter_type):
        prices = (data.get(price) for price in FALLBACK_FROM_FIXED[key])
        if (price := next((p for p in prices if p is not None), None)) is not None:
            fixed[key] = price
    return values | fixed if source == PRICE_SOURCE_FIXED else fixed | values


def price_unit(unit: Any, allowed: tuple[str, ...], currency: str | None = None) -> str | None:
    """What a price unit such as EUR/kWh, €/MWh or c€/kWh is per: "kWh" or "m³".

    None when it is not a price per an allowed unit, or (with ``currency``) not in that
    currency. The parser is the costing's (prices.parse_price_unit): cents are converted.
    """
    parsed = parse_price_unit(unit)
    if parsed is None or parsed.per not in allowed:
        return None
    if currency is not None and parsed.currency != currency.upper():
        return None
    return parsed.per


def fixed_errors(user_input: Mapping[str, Any], fixed: tuple[str, ...]) -> dict[str, str]:
    """The fixed prices' error, on the first price: at least one price is needed."""
    if all(user_input.get(key) is None for key in fixed):
        return {fixed[0]: "fixed_price_missing"}
    return {}


def entity_errors(
    hass: HomeAssistant, user_input: Mapping[str, Any], meter_type: MeterType
) -> dict[str, str]:
    """The price entity's error, on its field: missing, not a price, another currency."""
    entity_id = user_input.get(CONF_PRICE_ENTITY)
    if not entity_id or (state := hass.states.get(entity_id)) is None:
        return {CONF_PRICE_ENTITY: "price_entity_missing"}
    allowed = GAS_PRICE_UNITS if meter_type is MeterType.GAS else ENERGY_PRICE_UNITS
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if price_unit(unit, allowed) is None:
        return {CONF_PRICE_ENTITY: "price_entity_unit"}
    if price_unit(unit, allowed, hass.config.currency) is None:
        return {CONF_PRICE_ENTITY: "price_entity_currency"}  # the costing would price nothing
    return {}


def gas_fallback_errors(
    hass: HomeAssistant, data: Mapping[str, Any], user_input: Mapping[str, Any]
) -> dict[str, str]:
    """A gas fallback price left as pre-filled from the fixed gas price while the entity
    prices gas per the other unit (m³ or kWh: about ten times apart) is refused."""
    fallback, fixed = user_input.get(CONF_FALLBACK_GAS), data.get(CONF_GAS_PRICE)
    if fallback is None or fixed is None or float(fallback) != float(fixed):
        return {}
    fixed_unit = data.get(CONF_GAS_PRICE_UNIT) or GAS_VOLUME_UNIT
    state = hass.states.get(user_input[CONF_PRICE_ENTITY])
    unit = price_unit(state and state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), GAS_PRICE_UNITS)
    entity_unit = GAS_VOLUME_UNIT if unit == GAS_VOLUME_UNIT else GAS_ENERGY_UNIT
    return {} if entity_unit == fixed_unit else {CONF_FALLBACK_GAS: "fallback_gas_unit"}


def has_fallbacks(user_input: Mapping[str, Any], meter_type: MeterType) -> bool:
    """Whether every direction has a fallback price (then every quarter-hour is priced)."""
    return all(user_input.get(key) is not None for key in fallback_keys(meter_type))


def fixed_settings(
    user_input: Mapping[str, Any], meter_type: MeterType, fixed: tuple[str, ...]
) -> PriceSettings:
    """The (validated) fixed prices of a period; a price left empty is not one."""
    data: dict[str, Any] = {CONF_PRICE_SOURCE: PRICE_SOURCE_FIXED}
    for key in fixed:
        if (value := user_input.get(key)) is not None:
            data[key] = float(value)
    if meter_type is MeterType.GAS:
        data[CONF_GAS_PRICE_UNIT] = user_input.get(CONF_GAS_PRICE_UNIT) or GAS_VOLUME_UNIT
    return PriceSettings.from_data(data, meter_type)


def entity_settings(
    hass: HomeAssistant, user_input: Mapping[str, Any], meter_type: MeterType
) -> PriceSettings:
    """The (validated) price entity of a period: its formula (empty: the entity's price as
    is) and fallback prices (empty: none)."""
    entity_id = user_input[CONF_PRICE_ENTITY]
    data: dict[str, Any] = {CONF_PRICE_SOURCE: PRICE_SOURCE_ENTITY, CONF_PRICE_ENTITY: entity_id}
    for factor, offset, fallback in formula_keys(meter_type):
        value = user_input.get(factor)
        data[factor] = 1.0 if value is None else float(value)
        value = user_input.get(offset)
        data[offset] = 0.0 if value is None else float(value)
        if (value := user_input.get(fallback)) is not None:
            data[fallback] = float(value)
    if meter_type is MeterType.GAS:
        # The entity's unit decides which gas register it prices.
        state = hass.states.get(entity_id)
        unit = price_unit(state and state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), GAS_PRICE_UNITS)
        data[CONF_GAS_PRICE_UNIT] = GAS_VOLUME_UNIT if unit == GAS_VOLUME_UNIT else GAS_ENERGY_UNIT
    return PriceSettings.from_data(data, meter_type)


def capacity_price(user_input: Mapping[str, Any]) -> float | None:
    """The capacity price typed (empty: no price)."""
    price = user_input.get(CONF_CAPACITY_PRICE)
    return None if price is None else float(price)


@dataclass(frozen=True, slots=True)
class Unpriced:
    """The days (Brussels, as the imported ones) of the imported history a price entity
    cannot price."""

    days: int
    first: date
    last: date


async def async_unpriced_days(
    hass: HomeAssistant, entity_id: str, first_hour: datetime | None, last_hour: datetime | None
) -> Unpriced | None:
    """The imported days (from ``first_hour`` to ``last_hour``: the meter's oldest and newest
    imported hours within the period priced) before the entity's recorded history starts,
    or all of them when it has none; None when it covers them (or there are none). A day the
    history starts in counts when its start is not priced."""
    if first_hour is None or (last_hour is not None and last_hour < first_hour):
        return None
    start = await async_history_start(hass, entity_id)
    if start is not None and start <= first_hour:
        return None
    end = dt_util.utcnow() if last_hour is None else last_hour + HOUR
    if start is not None:
        end = min(end, start)
    first = first_hour.astimezone(BRUSSELS).date()
    last = (end - timedelta(microseconds=1)).astimezone(BRUSSELS).date()
    if last < first:
        return None
    return Unpriced((last - first).days + 1, first, last)
