"""A meter's subentry flow: adding a meter to an account (EAN and serial, checked by a
probe with the account's sign-in), and a meter's settings as a menu: the meter itself
(serial, days of history, where imports stop), its energy costs and, for electricity, its
capacity tariff. The price steps are cost_flow.py's and capacity_flow.py's (their fields and
validation price_form.py's and period_form.py's).

The account flow (config_flow.py) offers this flow through
``FluviusConfigFlow.async_get_supported_subentry_types``, and checks its first meter with
``async_check_meter``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigSubentryData,
    SubentryFlowResult,
)
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    DateSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
)
import probatio

from .account import async_probe
from .api.models import MeterProbe, MeterType
from .api.security import InvalidEan, normalize_ean
from .capacity_flow import CapacitySteps
from .const import (
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_IMPORT_UNTIL,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DEFAULT_HISTORY_DAYS,
    DOMAIN,
    MAX_HISTORY_DAYS,
    SUBENTRY_METER,
)
from .cost_flow import CostSteps
from .failures import error_key
from .models import FluviusConfigEntry
from .names import meter_title

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


class MeterSubentryFlow(CostSteps, CapacitySteps):
    """Add a meter of the account, or change a meter's settings (the energy costs' steps are
    cost_flow.py's, the capacity tariff's capacity_flow.py's)."""

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


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
