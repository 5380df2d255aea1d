"""A meter's subentry flow: adding a meter to an account (EAN and serial, checked by a
probe with the account's sign-in), and a meter's settings as a menu: the meter itself
(serial, days of history, where imports stop), its energy costs and, for electricity, its
capacity tariff. The price forms and their validation are price_form.py's.

The account flow (config_flow.py) offers this flow through
``FluviusConfigFlow.async_get_supported_subentry_types``, and checks its first meter with
``async_check_meter``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import ATTR_FRIENDLY_NAME, CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    DateSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
)
from homeassistant.helpers.typing import UNDEFINED
import probatio

from .account import async_probe
from .api.models import MeterProbe, MeterType
from .api.security import InvalidEan, normalize_ean
from .const import (
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_IMPORT_UNTIL,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    CONF_PRICE_ENTITY,
    CONF_PRICE_SOURCE,
    DEFAULT_HISTORY_DAYS,
    DOMAIN,
    MAX_HISTORY_DAYS,
    PRICE_SOURCE_ENTITY,
    PRICE_SOURCE_FIXED,
    PRICE_SOURCE_NONE,
    SUBENTRY_METER,
)
from .failures import error_key
from .models import FluviusConfigEntry
from .names import meter_title
from .price_form import (
    ATTR_STATE_CLASS,
    DUAL_REGISTERS,
    RECOSTING,
    SINGLE_PRICES,
    SINGLE_REGISTERS,
    async_unpriced_days,
    capacity_schema,
    capacity_suggestions,
    entity_errors,
    entity_schema,
    entity_suggestions,
    fixed_errors,
    fixed_price_keys,
    fixed_schema,
    fixed_suggestions,
    gas_fallback_errors,
    has_fallbacks,
    price_entities,
    recosts,
    source_schema,
    with_capacity,
    with_entity,
    with_fixed,
    with_no_costs,
)
from .snapshot import FluviusData

TEXT_SELECTOR = TextSelector()
# No min/max here: out-of-range values get our translated error, not a raw schema error.
# The unit is translated (selector.history_days.unit_of_measurement.days).
HISTORY_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        step=1,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement="days",
        translation_key=CONF_HISTORY_DAYS,
    )
)
METER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_EAN): TEXT_SELECTOR,
        probatio.Required(CONF_METER_SERIAL): TEXT_SELECTOR,
    }
)
METER_SETTINGS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_METER_SERIAL): TEXT_SELECTOR,
        probatio.Required(CONF_HISTORY_DAYS): HISTORY_SELECTOR,
        probatio.Optional(CONF_IMPORT_UNTIL): DateSelector(),
    }
)


def meter_subentry(probe: MeterProbe, ean: str, serial: str) -> ConfigSubentryData:
    """The subentry of a probed meter, with the default history."""
    return ConfigSubentryData(
        data={
            CONF_EAN: ean,
            CONF_METER_SERIAL: serial,
            CONF_METER_TYPE: probe.meter_type.value,
            CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS,
        },
        subentry_type=SUBENTRY_METER,
        title=meter_title(probe.meter_type, ean),
        unique_id=ean,
    )


def configured_meter(hass: HomeAssistant, ean: str) -> bool:
    """Whether any Fluvius entry already holds this meter."""
    return any(
        subentry.unique_id == ean
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        for subentry in entry.subentries.values()
    )


type Prober = Callable[[str, str], Awaitable[MeterProbe]]


async def async_check_meter(
    hass: HomeAssistant, probe_meter: Prober, user_input: Mapping[str, Any], errors: dict[str, str]
) -> ConfigSubentryData | None:
    """Validate an EAN (offline first) and probe the meter; fill errors, or return the
    meter's subentry."""
    try:
        ean = normalize_ean(user_input[CONF_EAN])
    except InvalidEan:
        errors[CONF_EAN] = "invalid_ean"
        return None
    if configured_meter(hass, ean):
        errors["base"] = "already_configured"
        return None
    serial = user_input[CONF_METER_SERIAL].strip()
    try:
        probe = await probe_meter(ean, serial)
    except Exception as err:
        errors["base"] = error_key(err)
        return None
    return meter_subentry(probe, ean, serial)


class MeterSubentryFlow(ConfigSubentryFlow):
    """Add a meter of the account, or change a meter's settings."""

    # The price entity form as typed (shown again when going back from its confirmation),
    # and the subentry data it would save.
    _entity_input: dict[str, Any] | None = None
    _pending: dict[str, Any] | None = None

    async def _probe(self, ean: str, serial: str) -> MeterProbe:
        """Probe a meter with the loaded account's own client: no second sign-in.

        An entry that is not loaded (a meter it cannot reach, e.g. by a wrong serial, keeps
        it from loading, so the meter's settings must be fixable) probes with the account's
        stored token state, and never with a password the portal rejected.
        """
        entry: FluviusConfigEntry = self._get_entry()
        if entry.state is ConfigEntryState.LOADED:
            return await entry.runtime_data.account.client.probe(ean, serial)
        return await async_probe(
            self.hass, entry.data[CONF_EMAIL], entry.data[CONF_PASSWORD], ean, serial, typed=False
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the meter's EAN and serial; the account's sign-in is reused."""
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="account_not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            checked = await async_check_meter(self.hass, self._probe, user_input, errors)
            if checked is not None:
                return self.async_create_entry(
                    title=checked["title"], data=checked["data"], unique_id=checked["unique_id"]
                )
            if errors.get("base") == "already_configured":
                return self.async_abort(reason="already_configured_meter")
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(METER_SCHEMA, user_input or {}),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The meter's settings, as a menu: the meter itself, its energy costs and, for
        electricity, its capacity tariff."""
        subentry = self._get_reconfigure_subentry()
        options = ["meter", "costs"]
        if MeterType(subentry.data[CONF_METER_TYPE]) is not MeterType.GAS:
            options.append("capacity")
        return self.async_show_menu(
            step_id="reconfigure",
            menu_options=options,
            description_placeholders={"meter": subentry.title},
        )

    async def async_step_meter(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Serial number (probed when changed), days of history, where imports stop."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            days = user_input[CONF_HISTORY_DAYS]
            serial = user_input[CONF_METER_SERIAL].strip()
            until = user_input.get(CONF_IMPORT_UNTIL) or None
            if not 1 <= days <= MAX_HISTORY_DAYS or days != int(days):
                errors[CONF_HISTORY_DAYS] = "history_days_range"
            elif until is not None and not _valid_date(until):
                errors[CONF_IMPORT_UNTIL] = "invalid_date"
            elif serial != subentry.data[CONF_METER_SERIAL]:
                try:
                    await self._probe(subentry.data[CONF_EAN], serial)
                except Exception as err:
                    errors["base"] = error_key(err)
            if not errors:
                return self._async_save(
                    {
                        **subentry.data,
                        CONF_METER_SERIAL: serial,
                        CONF_HISTORY_DAYS: int(days),
                        CONF_IMPORT_UNTIL: until,
                    }
                )
        current: dict[str, Any] = {
            CONF_METER_SERIAL: subentry.data[CONF_METER_SERIAL],
            CONF_HISTORY_DAYS: subentry.data.get(CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS),
        }
        if subentry.data.get(CONF_IMPORT_UNTIL):
            current[CONF_IMPORT_UNTIL] = subentry.data[CONF_IMPORT_UNTIL]
        return self.async_show_form(
            step_id="meter",
            data_schema=self.add_suggested_values_to_schema(
                METER_SETTINGS_SCHEMA, user_input if user_input is not None else current
            ),
            errors=errors,
            description_placeholders={"meter": subentry.title, "max_days": str(MAX_HISTORY_DAYS)},
        )

    async def async_step_costs(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Where the prices come from; the next step asks only for that source's fields."""
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            source = user_input[CONF_PRICE_SOURCE]
            if source == PRICE_SOURCE_FIXED:
                return await self.async_step_costs_fixed()
            if source == PRICE_SOURCE_ENTITY:
                self._entity_input = None  # the saved settings, not what was typed before
                return await self.async_step_costs_entity()
            return await self.async_step_costs_none()
        current = subentry.data.get(CONF_PRICE_SOURCE) or PRICE_SOURCE_NONE
        return self.async_show_form(
            step_id="costs",
            data_schema=source_schema(current),
            description_placeholders={"meter": subentry.title},
        )

    async def async_step_costs_none(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """No costs: a confirmation; the prices of both sources stay for later."""
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            return self._async_save(with_no_costs(subentry.data))
        return self.async_show_form(
            step_id="costs_none", description_placeholders={"meter": subentry.title}
        )

    async def async_step_costs_fixed(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Fixed prices: dual tariff four, single tariff two, gas one (per m³ or kWh)."""
        subentry = self._get_reconfigure_subentry()
        meter_type = MeterType(subentry.data[CONF_METER_TYPE])
        single = self._single_tariff(subentry)
        fixed = fixed_price_keys(meter_type, single)
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = fixed_errors(user_input, fixed)
            if not errors:
                return self._async_save(with_fixed(subentry.data, user_input, meter_type, fixed))
        shown = user_input if user_input is not None else fixed_suggestions(subentry.data, fixed)
        currency = self.hass.config.currency
        return self.async_show_form(
            step_id="costs_fixed",
            data_schema=self.add_suggested_values_to_schema(
                fixed_schema(meter_type, single, currency), shown
            ),
            errors=errors,
            description_placeholders={"meter": subentry.title, "currency": currency},
        )

    async def async_step_costs_entity(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A price entity (only sensors that can be prices are offered), the contract
        formula and the fallback price per direction. Before saving an entity that leaves
        days without cost, or has no long-term statistics, a confirmation says so."""
        subentry = self._get_reconfigure_subentry()
        meter_type = MeterType(subentry.data[CONF_METER_TYPE])
        errors: dict[str, str] = {}
        if user_input is not None:
            self._entity_input = user_input
            errors = entity_errors(self.hass, user_input, meter_type)
            if not errors and meter_type is MeterType.GAS:
                errors = gas_fallback_errors(self.hass, subentry.data, user_input)
            if not errors:
                self._pending = with_entity(self.hass, subentry.data, user_input, meter_type)
                if confirmation := await self._async_entity_confirmation(user_input, meter_type):
                    return confirmation
                return self._async_save(self._pending)
        shown = self._entity_input
        if shown is None:
            shown = entity_suggestions(subentry.data, meter_type)
        currency = self.hass.config.currency
        entities = price_entities(self.hass, meter_type, shown.get(CONF_PRICE_ENTITY))
        return self.async_show_form(
            step_id="costs_entity",
            data_schema=self.add_suggested_values_to_schema(
                entity_schema(meter_type, currency, entities), shown
            ),
            errors=errors,
            description_placeholders={"meter": subentry.title, "currency": currency},
        )

    async def _async_entity_confirmation(
        self, user_input: Mapping[str, Any], meter_type: MeterType
    ) -> SubentryFlowResult | None:
        """The confirmation before saving a price entity: days of the imported history it
        cannot price (when a fallback price is missing), and a sensor without a state class.
        None when there is nothing to confirm."""
        entity_id = user_input[CONF_PRICE_ENTITY]
        state = self.hass.states.get(entity_id)
        no_state_class = state is None or state.attributes.get(ATTR_STATE_CLASS) is None
        unpriced = None
        if not has_fallbacks(user_input, meter_type):
            first, last = await self._async_imported_hours()
            unpriced = await async_unpriced_days(self.hass, entity_id, first, last)
        if unpriced is None and not no_state_class:
            return None
        name = state and state.attributes.get(ATTR_FRIENDLY_NAME)
        placeholders = {"entity": f"{name} ({entity_id})" if name else entity_id}
        if unpriced is not None:
            placeholders |= {
                "days": str(unpriced.days),
                "first": unpriced.first.isoformat(),
                "last": unpriced.last.isoformat(),
            }
        if unpriced is None:
            step_id = "entity_no_state_class"
        elif no_state_class:
            step_id = "entity_unpriced_no_state_class"
        else:
            step_id = "entity_unpriced"
        return self.async_show_menu(
            step_id=step_id,
            menu_options=["costs_save", "costs_entity"],
            description_placeholders=placeholders,
        )

    async def async_step_entity_unpriced(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The confirmations are menus (their options lead on); should one be submitted
        itself, the form is shown again as typed."""
        return await self.async_step_costs_entity()

    async_step_entity_no_state_class = async_step_entity_unpriced
    async_step_entity_unpriced_no_state_class = async_step_entity_unpriced

    async def _async_imported_hours(self) -> tuple[datetime | None, datetime | None]:
        """The meter's oldest and newest imported hours (None, None: the entry is not
        loaded, or nothing is imported yet)."""
        entry: FluviusConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return None, None
        subentry_id = self._get_reconfigure_subentry().subentry_id
        coordinator = entry.runtime_data.meters.get(subentry_id)
        if coordinator is None:
            return None, None
        statistics = coordinator.statistics
        return await statistics.async_first_hour(), await statistics.async_last_hour()

    async def async_step_costs_save(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Save the confirmed price entity."""
        if self._pending is None:  # only reached from the confirmation
            return await self.async_step_costs_entity()
        return self._async_save(self._pending)

    async def async_step_capacity(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The capacity tariff's price, per kW per year (electricity)."""
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            return self._async_save(with_capacity(subentry.data, user_input))
        currency = self.hass.config.currency
        return self.async_show_form(
            step_id="capacity",
            data_schema=self.add_suggested_values_to_schema(
                capacity_schema(currency), capacity_suggestions(subentry.data)
            ),
            description_placeholders={"meter": subentry.title, "currency": currency},
        )

    def _async_save(self, data: dict[str, Any]) -> SubentryFlowResult:
        """Save the meter's settings and end the flow: with a message that the history is
        being re-costed in the background when the prices changed, else Home Assistant's
        "successful"."""
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        meter_type = MeterType(subentry.data[CONF_METER_TYPE])
        reason = RECOSTING if recosts(subentry.data, data, meter_type) else UNDEFINED
        listening = bool(entry.update_listeners)  # read first: a listener unloads
        result = self.async_update_and_abort(entry, subentry, data=data, reason=reason)
        # A loaded entry's update listener reloads it if the settings changed; an entry
        # that is not loaded is set up again with them now.
        if not listening:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result

    def _single_tariff(self, subentry: ConfigSubentry) -> bool:
        """Whether the meter's prices are single-register ones: saved that way, or its data
        (of a loaded entry) shows single registers only. Otherwise high and low."""
        if any(key in subentry.data for key in SINGLE_PRICES):
            return True
        entry: FluviusConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return False
        coordinator = entry.runtime_data.meters.get(subentry.subentry_id)
        # None before the meter's first data (HA types it as always present).
        data: FluviusData | None = None if coordinator is None else coordinator.data
        if data is None:
            return False
        seen = {register for day in data.days.values() for register in day.values}
        return bool(seen & SINGLE_REGISTERS) and not seen & DUAL_REGISTERS


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
