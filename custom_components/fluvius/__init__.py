"""The Fluvius integration: daily energy data of Flemish digital meters."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .api.models import MeterType
from .const import CONF_EAN, CONF_METER_TYPE, DOMAIN
from .coordinator import (
    FluviusConfigEntry,
    FluviusCoordinator,
    access_issue_id,
    async_acquire_account,
    async_release_account,
    entry_store,
    no_data_issue_id,
)
from .statistics import FluviusStatistics

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> bool:
    """Set up one meter: share the account's client, poll, create entities."""
    account = await async_acquire_account(hass, entry)
    coordinator = FluviusCoordinator(hass, entry, account)
    entry.runtime_data = coordinator
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        await async_release_account(hass, entry)
        raise

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # History import runs in the background: startup and the config flow never wait for it.
    coordinator.async_start_backfill()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> bool:
    """Unload a meter; the account's client closes with its last entry."""
    if unload_ok := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await entry.runtime_data.async_shutdown()
        await async_release_account(hass, entry)
    return unload_ok


async def async_remove_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> None:
    """Forget the entry's stored token state, dialect, imported statistics and issues."""
    await entry_store(hass, entry.entry_id).async_remove()
    ir.async_delete_issue(hass, DOMAIN, access_issue_id(entry.entry_id))
    ir.async_delete_issue(hass, DOMAIN, no_data_issue_id(entry.entry_id))
    meter_type = MeterType(entry.data[CONF_METER_TYPE])
    FluviusStatistics(hass, entry.data[CONF_EAN], meter_type, "").async_clear()
