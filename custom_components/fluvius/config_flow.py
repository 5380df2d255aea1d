"""Config flow of the Fluvius integration."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api.errors import (
    FluviusAccountLockedError,
    FluviusConnectionError,
    FluviusError,
    FluviusInteractionRequiredError,
    FluviusInvalidCredentialsError,
    FluviusLoginRejectedError,
    FluviusMeterNotAccessibleError,
    FluviusNoDataError,
    FluviusRateLimitError,
)
from .api.models import MeterProbe, MeterType
from .const import (
    CONF_DIALECTS,
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DEFAULT_HISTORY_DAYS,
    DOMAIN,
    MAX_HISTORY_DAYS,
)
from .coordinator import account_key, create_client, mask, registry

_LOGGER = logging.getLogger(__name__)

EMAIL_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
)
PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
TEXT_SELECTOR = TextSelector()

TITLES = {MeterType.ELECTRICITY: "Electricity meter", MeterType.GAS: "Gas meter"}


class InvalidEan(ValueError):
    """The EAN is not a Belgian 18-digit GSRN with a valid check digit."""


def normalize_ean(raw: str) -> str:
    """Strip white space and check length, prefix and GS1 mod-10 check digit."""
    ean = "".join(raw.split())
    if len(ean) != 18 or not ean.isdigit() or not ean.startswith("54"):
        raise InvalidEan
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(ean[:-1]))
    )
    if (10 - total % 10) % 10 != int(ean[-1]):
        raise InvalidEan
    return ean


def entry_title(meter_type: MeterType, ean: str) -> str:
    """Name the meter without its full EAN, e.g. "Electricity meter …1234"."""
    return f"{TITLES[meter_type]} {mask(ean)}"


def error_key(err: Exception) -> str:
    """The translated error key for an exception raised by login or probe."""
    match err:
        case FluviusInvalidCredentialsError():
            return "invalid_auth"
        case FluviusAccountLockedError():
            return "account_locked"
        case FluviusInteractionRequiredError():
            return "interaction_required"
        case FluviusRateLimitError():
            return "rate_limited"
        case FluviusMeterNotAccessibleError():
            return "meter_not_found"
        case FluviusNoDataError():
            return "no_data"
        case FluviusLoginRejectedError():
            _LOGGER.warning("Fluvius rejected the login with code %s", err.code)
            return "invalid_auth"
        case FluviusConnectionError():
            return "cannot_connect"
        case FluviusError():
            _LOGGER.debug("Fluvius answered unexpectedly: %s", type(err).__name__)
            return "cannot_connect"
    _LOGGER.error("Unexpected error while validating the Fluvius account", exc_info=err)
    return "unknown"


async def validate(
    hass: HomeAssistant, email: str, password: str, ean: str | None, serial: str | None
) -> MeterProbe | None:
    """One login, then (with an EAN) one small data probe; hand the tokens over.

    Returns the probe, or None when only the login was checked.
    """
    client = create_client(hass, email, password)
    try:
        await client.login()
        probe = None if ean is None else await client.probe(ean, serial or "")
        reg = registry(hass)
        reg.failed.discard(account_key(email, password))
        reg.reasons.pop(account_key(email, password), None)
        reg.handoff[account_key(email, password)] = {
            "tokens": client.export_tokens(),
            "dialects": client.export_dialects(),
        }
        return probe
    finally:
        await client.close()


class FluviusConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one Fluvius meter (one EAN) per entry."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> FluviusOptionsFlow:
        """Options: how much history to import on first setup."""
        return FluviusOptionsFlow()

    async def _async_check(
        self, user_input: dict[str, Any], errors: dict[str, str]
    ) -> tuple[dict[str, Any], MeterProbe] | None:
        """Validate a full form (EAN offline first); fill errors, or return data."""
        try:
            ean = normalize_ean(user_input[CONF_EAN])
        except InvalidEan:
            errors[CONF_EAN] = "invalid_ean"
            return None
        email = user_input[CONF_EMAIL].strip()
        serial = user_input[CONF_METER_SERIAL].strip()
        password = user_input[CONF_PASSWORD]
        await self.async_set_unique_id(ean)
        if self.source == SOURCE_USER:
            self._abort_if_unique_id_configured()
        else:
            self._abort_if_unique_id_mismatch(reason="ean_mismatch")
        try:
            probe = await validate(self.hass, email, password, ean, serial)
        except Exception as err:
            errors["base"] = error_key(err)
            return None
        assert probe is not None
        return (
            {
                CONF_EMAIL: email,
                CONF_PASSWORD: password,
                CONF_EAN: ean,
                CONF_METER_SERIAL: serial,
                CONF_METER_TYPE: probe.meter_type.value,
                CONF_DIALECTS: registry(self.hass).handoff[account_key(email, password)][
                    "dialects"
                ],
            },
            probe,
        )

    def _schema(self, with_ean: bool = True) -> probatio.Schema:
        fields: dict[Any, Any] = {probatio.Required(CONF_EMAIL): EMAIL_SELECTOR}
        fields[probatio.Required(CONF_PASSWORD)] = PASSWORD_SELECTOR
        if with_ean:
            fields[probatio.Required(CONF_EAN)] = TEXT_SELECTOR
        fields[probatio.Required(CONF_METER_SERIAL)] = TEXT_SELECTOR
        return probatio.Schema(fields)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the account and the meter."""
        errors: dict[str, str] = {}
        if user_input is not None and (checked := await self._async_check(user_input, errors)):
            data, probe = checked
            return self.async_create_entry(
                title=entry_title(probe.meter_type, data[CONF_EAN]),
                data=data,
                options={CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS},
            )
        suggested = {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD}
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(self._schema(), suggested),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after the password stopped working."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask only for the password of the shown e-mail address."""
        entry = self._get_reauth_entry()
        email: str = entry.data[CONF_EMAIL]
        errors: dict[str, str] = {}
        if user_input is not None:
            password = user_input[CONF_PASSWORD]
            try:
                await validate(self.hass, email, password, None, None)
            except Exception as err:
                errors["base"] = error_key(err)
            else:
                self._async_update_account_siblings(entry, password)
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_PASSWORD: password}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema({probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR}),
            errors=errors,
            description_placeholders={CONF_EMAIL: email},
        )

    @callback
    def _async_update_account_siblings(self, entry: ConfigEntry, password: str) -> None:
        """Other meters of the same account get the new password too."""
        email = entry.data[CONF_EMAIL].strip().casefold()
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and (
                other.data[CONF_EMAIL].strip().casefold() == email
            ):
                self.hass.config_entries.async_update_entry(
                    other, data={**other.data, CONF_PASSWORD: password}
                )
                self.hass.config_entries.async_schedule_reload(other.entry_id)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change e-mail, password or meter serial of an existing meter."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None and (checked := await self._async_check(user_input, errors)):
            data, probe = checked
            return self.async_update_reload_and_abort(
                entry,
                title=entry_title(probe.meter_type, data[CONF_EAN]),
                data_updates=data,
            )
        suggested = {
            k: v
            for k, v in (user_input or entry.data).items()
            if k in (CONF_EMAIL, CONF_EAN, CONF_METER_SERIAL)
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(self._schema(), suggested),
            errors=errors,
        )


class FluviusOptionsFlow(OptionsFlow):
    """How many days of history to import when the meter is first set up."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_HISTORY_DAYS: int(user_input[CONF_HISTORY_DAYS])}
            )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_HISTORY_DAYS): NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=MAX_HISTORY_DAYS,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="days",
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema,
                {
                    CONF_HISTORY_DAYS: self.config_entry.options.get(
                        CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS
                    )
                },
            ),
        )
