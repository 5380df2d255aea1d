"""The price sections of a meter's settings form: fields, validation, and how the flat
subentry data is written from them (pricing.py reads that data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
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
import probatio

from .api.models import MeterType, Register
from .const import (
    CONF_CAPACITY_PRICE,
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
from .prices import PER_KWH, PER_M3, parse_price_unit
from .pricing import ELECTRICITY, GAS_UNITS

# A meter's price settings: two sections of its settings form, stored flat in its data.
SECTION_COSTS = "costs"
SECTION_CAPACITY = "capacity"
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
# Every key the costs section may store: saving it replaces them all.
COST_KEYS = frozenset(
    {
        CONF_PRICE_SOURCE,
        CONF_PRICE_ENTITY,
        CONF_OFFTAKE_FACTOR,
        CONF_OFFTAKE_OFFSET,
        CONF_INJECTION_FACTOR,
        CONF_INJECTION_OFFSET,
        CONF_GAS_PRICE,
        CONF_GAS_PRICE_UNIT,
        *(f"{CONF_PRICE_PREFIX}{register.value}" for register in ELECTRICITY),
    }
)
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
PRICE_ENTITY_SELECTOR = EntitySelector(EntitySelectorConfig(domain="sensor"))
FACTOR_SELECTOR = NumberSelector(NumberSelectorConfig(step="any", mode=NumberSelectorMode.BOX))


def _amount(unit: str | None = None, *, minimum: float | None = None) -> NumberSelector:
    """A number box for an amount of money (any precision)."""
    config = NumberSelectorConfig(step="any", mode=NumberSelectorMode.BOX)
    if minimum is not None:
        config["min"] = minimum
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def fixed_price_keys(meter_type: MeterType, single: bool) -> tuple[str, ...]:
    """The fixed prices a meter's form asks for."""
    if meter_type is MeterType.GAS:
        return (CONF_GAS_PRICE,)
    return SINGLE_PRICES if single else DUAL_PRICES


def price_sections(
    meter_type: MeterType, single: bool, currency: str
) -> dict[probatio.Marker, section]:
    """The price sections of a meter's settings form (electricity: also the capacity).

    A form cannot change with the chosen source, so it shows the fields of both; the
    ones of the other source are ignored. A section left out of a submitted form keeps
    its saved settings. (No default on a section: the frontend would then show the
    default instead of the section's own suggested values and defaults.)
    """
    per_kwh = f"{currency}/kWh"
    gas = meter_type is MeterType.GAS
    costs: dict[probatio.Marker, Any] = {
        probatio.Required(CONF_PRICE_SOURCE, default=PRICE_SOURCE_NONE): PRICE_SOURCE_SELECTOR
    }
    for key in fixed_price_keys(meter_type, single):
        costs[probatio.Optional(key)] = _amount(None if gas else per_kwh, minimum=0)
    if gas:
        costs[probatio.Optional(CONF_GAS_PRICE_UNIT, default=GAS_VOLUME_UNIT)] = GAS_UNIT_SELECTOR
    costs[probatio.Optional(CONF_PRICE_ENTITY)] = PRICE_ENTITY_SELECTOR
    formulas = (
        ((CONF_OFFTAKE_FACTOR, CONF_OFFTAKE_OFFSET),)
        if gas
        else (
            (CONF_OFFTAKE_FACTOR, CONF_OFFTAKE_OFFSET),
            (CONF_INJECTION_FACTOR, CONF_INJECTION_OFFSET),
        )
    )
    for factor, offset in formulas:
        costs[probatio.Optional(factor, default=1.0)] = FACTOR_SELECTOR
        costs[probatio.Optional(offset, default=0.0)] = _amount(None if gas else per_kwh)
    sections: dict[probatio.Marker, section] = {
        probatio.Optional(SECTION_COSTS): section(probatio.Schema(costs))
    }
    if not gas:
        capacity = {probatio.Optional(CONF_CAPACITY_PRICE): _amount(f"{currency}/kW", minimum=0)}
        sections[probatio.Optional(SECTION_CAPACITY)] = section(probatio.Schema(capacity))
    return sections


def price_suggestions(data: Mapping[str, Any], sections: Mapping[Any, section]) -> dict[str, Any]:
    """The saved price settings, as the sections' suggested values."""
    return {
        str(name): {
            str(key): data[str(key)] for key in form.schema.schema if data.get(str(key)) is not None
        }
        for name, form in sections.items()
    }


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


def price_error(
    hass: HomeAssistant, costs: Mapping[str, Any], meter_type: MeterType, fixed: tuple[str, ...]
) -> str | None:
    """The translated error of the price section, if any."""
    source = costs.get(CONF_PRICE_SOURCE) or PRICE_SOURCE_NONE
    if source == PRICE_SOURCE_FIXED and all(costs.get(key) is None for key in fixed):
        return "fixed_price_missing"
    if source != PRICE_SOURCE_ENTITY:
        return None
    entity_id = costs.get(CONF_PRICE_ENTITY)
    if not entity_id or (state := hass.states.get(entity_id)) is None:
        return "price_entity_missing"
    allowed = GAS_PRICE_UNITS if meter_type is MeterType.GAS else ENERGY_PRICE_UNITS
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if price_unit(unit, allowed) is None:
        return "price_entity_unit"
    if price_unit(unit, allowed, hass.config.currency) is None:
        return "price_entity_currency"  # the costing would price nothing with it
    return None


def with_prices(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    user_input: Mapping[str, Any],
    meter_type: MeterType,
    fixed: tuple[str, ...],
) -> dict[str, Any]:
    """The subentry data with the submitted (validated) price sections, flat.

    The costs section replaces every cost key: only the chosen source's are stored (none:
    no cost keys at all). The capacity price does not depend on the source. A section not
    submitted keeps its saved keys.
    """
    out = dict(data)
    if (costs := user_input.get(SECTION_COSTS)) is not None:
        out = {key: value for key, value in out.items() if key not in COST_KEYS}
        out |= _cost_data(hass, costs, meter_type, fixed)
    if (capacity := user_input.get(SECTION_CAPACITY)) is not None:
        out.pop(CONF_CAPACITY_PRICE, None)
        if (price := capacity.get(CONF_CAPACITY_PRICE)) is not None:
            out[CONF_CAPACITY_PRICE] = float(price)
    return out


def _cost_data(
    hass: HomeAssistant, costs: Mapping[str, Any], meter_type: MeterType, fixed: tuple[str, ...]
) -> dict[str, Any]:
    """The cost keys of a validated costs section."""
    data: dict[str, Any] = {}
    source = costs.get(CONF_PRICE_SOURCE) or PRICE_SOURCE_NONE
    gas = meter_type is MeterType.GAS
    if source == PRICE_SOURCE_FIXED:
        data[CONF_PRICE_SOURCE] = source
        data |= {key: float(costs[key]) for key in fixed if costs.get(key) is not None}
        if gas:
            data[CONF_GAS_PRICE_UNIT] = costs.get(CONF_GAS_PRICE_UNIT) or GAS_VOLUME_UNIT
    elif source == PRICE_SOURCE_ENTITY:
        entity_id = costs[CONF_PRICE_ENTITY]
        data[CONF_PRICE_SOURCE] = source
        data[CONF_PRICE_ENTITY] = entity_id
        keys = [CONF_OFFTAKE_FACTOR, CONF_OFFTAKE_OFFSET]
        if not gas:
            keys += [CONF_INJECTION_FACTOR, CONF_INJECTION_OFFSET]
        for key in keys:
            default = 1.0 if key in (CONF_OFFTAKE_FACTOR, CONF_INJECTION_FACTOR) else 0.0
            value = costs.get(key)
            data[key] = default if value is None else float(value)
        if gas:
            # The entity's unit decides which gas register it prices.
            state = hass.states.get(entity_id)
            unit = price_unit(
                state and state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), GAS_PRICE_UNITS
            )
            data[CONF_GAS_PRICE_UNIT] = (
                GAS_VOLUME_UNIT if unit == GAS_VOLUME_UNIT else GAS_ENERGY_UNIT
            )
    return data
