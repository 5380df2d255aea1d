"""Config flow of the Fluvius integration: one entry per account (e-mail and password,
checked by logging in), its first meter asked for with it.

A meter's own flows (adding one to an account, its settings) are the subentry flow,
subentry_flow.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import callback
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
import probatio

from .account import account_store, async_login, async_probe, fingerprint
from .api.models import MeterProbe
from .const import CONF_EAN, CONF_METER_SERIAL, DOMAIN, SUBENTRY_METER
from .failures import error_key
from .migration import VERSION
from .names import account_title
from .subentry_flow import METER_SCHEMA, MeterSubentryFlow, async_check_meter

EMAIL_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
)
PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
ACCOUNT_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_EMAIL): EMAIL_SELECTOR,
        probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR,
    }
)


class FluviusConfigFlow(ConfigFlow, domain=DOMAIN):
    """One entry per Fluvius account; its meters are subentries."""

    VERSION = VERSION
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with no account."""
        self._account: dict[str, str] = {}

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Meters are added, and their settings changed, as subentries."""
        return {SUBENTRY_METER: MeterSubentryFlow}

    async def _async_login(
        self, user_input: dict[str, Any], errors: dict[str, str]
    ) -> dict[str, str] | None:
        """Log in with the form's credentials; fill errors, or return them cleaned."""
        account = {
            CONF_EMAIL: user_input[CONF_EMAIL].strip(),
            CONF_PASSWORD: user_input[CONF_PASSWORD],
        }
        try:
            await async_login(self.hass, account[CONF_EMAIL], account[CONF_PASSWORD])
        except Exception as err:
            errors["base"] = error_key(err)
            return None
        return account

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the account: e-mail and password (checked by logging in)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            await self.async_set_unique_id(fingerprint(user_input[CONF_EMAIL]))
            self._abort_if_unique_id_configured()
            if account := await self._async_login(user_input, errors):
                self._account = account
                return await self.async_step_meter()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(ACCOUNT_SCHEMA, user_input or {}),
            errors=errors,
        )

    async def async_step_meter(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the first meter: EAN and serial (checked by a small data request)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            checked = await async_check_meter(self.hass, self._probe, user_input, errors)
            if checked is not None:
                return self.async_create_entry(
                    title=account_title(self._account[CONF_EMAIL]),
                    data=self._account,
                    subentries=[checked],
                )
            if errors.get("base") == "already_configured":
                return self.async_abort(reason="already_configured_meter")
        return self.async_show_form(
            step_id="meter",
            data_schema=self.add_suggested_values_to_schema(METER_SCHEMA, user_input or {}),
            errors=errors,
        )

    async def _probe(self, ean: str, serial: str) -> MeterProbe:
        """Probe a meter with the token state the user step just stored."""
        return await async_probe(
            self.hass, self._account[CONF_EMAIL], self._account[CONF_PASSWORD], ean, serial
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after the password stopped working."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask only for the password of the shown e-mail address."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            account = {**user_input, CONF_EMAIL: entry.data[CONF_EMAIL]}
            if await self._async_login(account, errors):
                return self._async_update_reload_and_abort(
                    entry, data={**entry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema({probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR}),
                user_input or {},
            ),
            errors=errors,
            description_placeholders={CONF_EMAIL: entry.data[CONF_EMAIL]},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the account's e-mail address or password; its meters must stay reachable."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            new_id = fingerprint(user_input[CONF_EMAIL])
            await self.async_set_unique_id(new_id)
            if new_id != entry.unique_id:
                self._abort_if_unique_id_configured()
            if (account := await self._async_login(user_input, errors)) and (
                await self._async_meters_reachable(entry, account, errors)
            ):
                if new_id != entry.unique_id:
                    await account_store(self.hass, entry.data[CONF_EMAIL]).async_remove()
                return self._async_update_reload_and_abort(
                    entry,
                    unique_id=new_id,
                    title=account_title(account[CONF_EMAIL]),
                    data=account,
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                ACCOUNT_SCHEMA, user_input or {CONF_EMAIL: entry.data[CONF_EMAIL]}
            ),
            errors=errors,
        )

    def _async_update_reload_and_abort(
        self, entry: ConfigEntry, **changes: Any
    ) -> ConfigFlowResult:
        """Update the entry and reload it once.

        A loaded entry's update listener reloads it when its data changed; the flow reloads
        it otherwise (unchanged credentials after a verification step, or an entry that is
        not loaded). HA's async_update_reload_and_abort would reload a changed, loaded entry
        twice (and warns about integrations with an update listener).
        """
        listening = bool(entry.update_listeners)  # read first: a listener unloads eagerly
        if not (self.hass.config_entries.async_update_entry(entry, **changes) and listening):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        if self.source == SOURCE_RECONFIGURE:
            return self.async_abort(reason="reconfigure_successful")
        return self.async_abort(reason="reauth_successful")

    async def _async_meters_reachable(
        self, entry: ConfigEntry, account: dict[str, str], errors: dict[str, str]
    ) -> bool:
        """Whether the (new) account still reaches every meter of the entry."""
        for subentry in entry.subentries.values():
            data = subentry.data
            try:
                await async_probe(
                    self.hass,
                    account[CONF_EMAIL],
                    account[CONF_PASSWORD],
                    data[CONF_EAN],
                    data[CONF_METER_SERIAL],
                )
            except Exception as err:
                errors["base"] = error_key(err)
                return False
        return True
