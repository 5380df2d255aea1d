"""The Fluvius integration: daily energy data of Flemish digital meters."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .coordinator import (
    FluviusConfigEntry,
    FluviusCoordinator,
    async_acquire_account,
    async_release_account,
    entry_store,
)

PLATFORMS: list[Platform] = [Platform.SENSOR]


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
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> bool:
    """Unload a meter; the account's client closes with its last entry."""
    if unload_ok := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await entry.runtime_data.async_shutdown()
        await async_release_account(hass, entry)
    return unload_ok


async def async_remove_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> None:
    """Forget the entry's stored token state and dialect."""
    await entry_store(hass, entry.entry_id).async_remove()
