"""The Fluvius integration: what Flemish digital meters recorded, in Home Assistant.

One config entry per Fluvius account; each of its meters is a config subentry with its own
coordinator, device and statistics.
"""

from __future__ import annotations

from dataclasses import replace
import logging

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.typing import ConfigType

from .account import FluviusAccount, account_store
from .const import DOMAIN, SUBENTRY_METER
from .coordinator import FluviusCoordinator
from .entity import meter_added_signal
from .issues import async_delete_meter_issues
from .migration import VERSION, async_migrate_entries
from .models import FluviusConfigEntry, FluviusRuntime, MeterConfig
from .quarter_hours import QuarterHourStore
from .services import async_setup_services
from .statistics import FluviusStatistics

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [Platform.CALENDAR, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Merge entries of the one-entry-per-meter era into one entry per account, and
    register the integration's actions (once, whatever entries are loaded)."""
    await async_migrate_entries(hass)
    async_setup_services(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Version-1 entries were merged in async_setup; a newer version is not ours to read."""
    return entry.version <= VERSION


async def async_setup_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> bool:
    """Set up an account: its client, then one coordinator per meter, then the entities."""
    account = await FluviusAccount.async_open(
        hass, entry.data[CONF_EMAIL], entry.data[CONF_PASSWORD]
    )
    meters: dict[str, FluviusCoordinator] = {}
    not_ready: list[tuple[str, ConfigEntryNotReady]] = []
    try:
        for subentry_id, subentry in _meter_subentries(entry).items():
            meter = MeterConfig.from_subentry(subentry)
            coordinator = meters[subentry_id] = FluviusCoordinator(hass, entry, account, meter)
            try:
                await coordinator.async_config_entry_first_refresh()
            except ConfigEntryNotReady as err:
                not_ready.append((meter.title, err))
        if not_ready and len(not_ready) == len(meters):
            raise not_ready[0][1]  # nothing reachable: Home Assistant retries the setup
        for title, reason in not_ready:
            # One meter out of reach (its access lost, say) must not take the account's
            # other meters down: it is set up unavailable and retries on its own.
            _LOGGER.warning("%s is not reachable yet: %s", title, reason)
    except BaseException:
        await account.async_close()
        raise
    entry.runtime_data = FluviusRuntime(account, meters, dict(entry.data), dict(entry.options))
    # Added and removed meters, changed prices and history settings apply in place; a changed
    # serial, credentials and options take effect by reloading.
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # History imports run in the background: startup and the config flow never wait for them.
    for coordinator in meters.values():
        coordinator.async_start_backfill()
    return True


def _meter_subentries(entry: FluviusConfigEntry) -> dict[str, ConfigSubentry]:
    """The entry's meter subentries, by subentry ID."""
    return {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_METER
    }


async def _async_entry_updated(hass: HomeAssistant, entry: FluviusConfigEntry) -> None:
    """Apply changed settings. A meter added or removed is set up or unloaded alone, and a
    meter's new prices, days of history or import cut-off apply in place (its history is
    re-costed or imported in the background): the account's other meters, their entities
    and coordinators, are left as they are. Anything else reloads the entry. A meter whose
    subentry was deleted takes its statistics and issues along."""
    runtime = entry.runtime_data
    subentries = _meter_subentries(entry)
    for subentry_id in [s for s in runtime.meters if s not in subentries]:
        coordinator = runtime.meters.pop(subentry_id)
        await coordinator.async_stop()
        await async_remove_meter(hass, subentry_id, coordinator.meter, coordinator.quarter_hours)
    if (changed := _changed_in_place(entry)) is None:
        await hass.config_entries.async_reload(entry.entry_id)
        return
    for coordinator, meter in changed:
        coordinator.async_apply(meter)
    for subentry_id, subentry in subentries.items():
        if subentry_id not in runtime.meters:
            await _async_add_meter(hass, entry, subentry)


async def _async_add_meter(
    hass: HomeAssistant, entry: FluviusConfigEntry, subentry: ConfigSubentry
) -> None:
    """Set up a meter added to the loaded account: its coordinator (on the account's
    client), its entities on each platform, its history import."""
    coordinator = FluviusCoordinator(
        hass, entry, entry.runtime_data.account, MeterConfig.from_subentry(subentry)
    )
    entry.runtime_data.meters[subentry.subentry_id] = coordinator
    await coordinator.async_refresh()
    if not coordinator.last_update_success:
        # Set up unavailable, like a meter out of reach at setup: it retries on its own.
        _LOGGER.warning("%s is not reachable yet", coordinator.meter.title)
    async_dispatcher_send(hass, meter_added_signal(entry.entry_id), subentry.subentry_id)
    coordinator.async_start_backfill()


def _changed_in_place(
    entry: FluviusConfigEntry,
) -> list[tuple[FluviusCoordinator, MeterConfig]] | None:
    """The set-up meters whose settings changed in ways applied without a reload (prices,
    days of history, where imports stop), with their new settings; None when anything else
    changed (credentials, options, a serial, or a capacity price set or removed: its sensor
    comes or goes). Meters added or removed are not changes of this kind."""
    runtime = entry.runtime_data
    if dict(entry.data) != runtime.entry_data or dict(entry.options) != runtime.entry_options:
        return None
    subentries = _meter_subentries(entry)
    changed: list[tuple[FluviusCoordinator, MeterConfig]] = []
    for subentry_id, coordinator in runtime.meters.items():
        if subentry_id not in subentries:
            continue
        old, new = coordinator.meter, MeterConfig.from_subentry(subentries[subentry_id])
        if new == old:
            continue
        in_place = replace(
            old,
            prices=new.prices,
            capacity=new.capacity,
            history_days=new.history_days,
            import_until=new.import_until,
        )
        if in_place != new or old.capacity_priced != new.capacity_priced:
            return None
        changed.append((coordinator, new))
    return changed


async def async_unload_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> bool:
    """Unload the meters, then close the account (saving its token state)."""
    if unload_ok := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        for coordinator in entry.runtime_data.meters.values():
            await coordinator.async_shutdown()
            await coordinator.quarter_hours.async_flush()
        await entry.runtime_data.account.async_close()
    return unload_ok


async def async_remove_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> None:
    """Forget the account's stored state and every meter's statistics and issues."""
    if entry.version < VERSION:
        return  # merged into its account's entry by the migration, which owns it all now
    await account_store(hass, entry.data[CONF_EMAIL]).async_remove()
    for subentry in entry.subentries.values():
        await async_remove_meter(hass, subentry.subentry_id, MeterConfig.from_subentry(subentry))


async def async_remove_meter(
    hass: HomeAssistant,
    subentry_id: str,
    meter: MeterConfig,
    store: QuarterHourStore | None = None,
) -> None:
    """Forget one meter's statistics (energy and cost), kept quarter-hours and repair issues
    (the meter was removed). ``store``: the loaded meter's own store, so that it does not
    write the file again when the entry unloads."""
    async_delete_meter_issues(hass, subentry_id)
    FluviusStatistics(hass, meter.ean, meter.meter_type, "").async_clear()
    await (store or QuarterHourStore(hass, subentry_id, 0)).async_remove()
