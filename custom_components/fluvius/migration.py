"""From one entry per meter (version 1) to one entry per account with meter subentries.

Version-1 entries of one account (same e-mail) are merged into the first of them, which
becomes the account's entry; every meter becomes a subentry of it. What the user built on
the meters stays as it was: entity unique IDs and entity IDs (so automations and the
recorder's history), devices, statistic IDs (`fluvius:<ean>_<register>`: they never named
an entry), token state, learnt dialects and the history-import progress (the statistics
themselves). Modelled on core's openai_conversation `async_migrate_integration`.
"""

from __future__ import annotations

from collections import defaultdict
import logging
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.storage import Store

from .account import account_store, fingerprint, merge_dialects
from .const import (
    CONF_DIALECTS,
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DEFAULT_HISTORY_DAYS,
    DOMAIN,
    STORAGE_VERSION,
    SUBENTRY_METER,
)
from .names import account_title

_LOGGER = logging.getLogger(__name__)

VERSION = 2


def _v1_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where a version-1 entry kept its token state and dialects."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True)


def meter_data(entry: ConfigEntry) -> dict[str, Any]:
    """A version-1 entry's meter, as subentry data."""
    return {
        CONF_EAN: entry.data[CONF_EAN],
        CONF_METER_SERIAL: entry.data[CONF_METER_SERIAL],
        CONF_METER_TYPE: entry.data[CONF_METER_TYPE],
        CONF_HISTORY_DAYS: entry.options.get(CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS),
    }


async def _async_merge_stores(hass: HomeAssistant, email: str, entries: list[ConfigEntry]) -> None:
    """One account store from the entries' stores: the first token state of this account,
    every dialect learnt (the entries' own and those the config flow wrote into them)."""
    tag = fingerprint(email)
    merged: dict[str, Any] = {"account": tag, "tokens": None, "dialects": None, "blocked": None}
    for entry in entries:
        store = _v1_store(hass, entry.entry_id)
        stored = await store.async_load() or {}
        mine = stored.get("account") == tag
        for dialects in (entry.data.get(CONF_DIALECTS), stored.get("dialects") if mine else None):
            if dialects:
                merged["dialects"] = merge_dialects(merged["dialects"], dialects)
        if mine and merged["tokens"] is None and stored.get("tokens"):
            merged["tokens"] = stored["tokens"]
        await store.async_remove()
    await account_store(hass, email).async_save(merged)


async def async_migrate_entries(hass: HomeAssistant) -> None:
    """Merge version-1 entries per account; a no-op once every entry is version 2."""
    entries = sorted(
        (e for e in hass.config_entries.async_entries(DOMAIN) if e.version == 1),
        # Enabled entries first: the account's entry keeps the state of the first of them.
        key=lambda e: e.disabled_by is not None,
    )
    if not entries:
        return
    accounts: dict[str, list[ConfigEntry]] = defaultdict(list)
    for entry in entries:
        accounts[entry.data[CONF_EMAIL].strip().casefold()].append(entry)
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    for members in accounts.values():
        parent = members[0]
        email = parent.data[CONF_EMAIL].strip()
        await _async_merge_stores(hass, email, members)
        for entry in members:
            subentry = ConfigSubentry(
                data=MappingProxyType(meter_data(entry)),
                subentry_type=SUBENTRY_METER,
                title=entry.title,
                unique_id=entry.data[CONF_EAN],
            )
            hass.config_entries.async_add_subentry(parent, subentry)
            for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
                entity_registry.async_update_entity(
                    entity.entity_id,
                    config_entry_id=parent.entry_id,
                    config_subentry_id=subentry.subentry_id,
                )
            for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
                device_registry.async_update_device(
                    device.id,
                    new_config_entry_id=parent.entry_id,
                    new_config_subentry_id=subentry.subentry_id,
                )
            for issue in ("meter_not_accessible", "no_data"):
                ir.async_delete_issue(hass, DOMAIN, f"{issue}_{entry.entry_id}")
        hass.config_entries.async_update_entry(
            parent,
            title=account_title(email),
            data={CONF_EMAIL: email, CONF_PASSWORD: parent.data[CONF_PASSWORD]},
            options={},
            unique_id=fingerprint(email),
            version=VERSION,
            minor_version=1,
        )
        for entry in members[1:]:
            # Version 1 still: async_remove_entry leaves the moved meter's data alone.
            await hass.config_entries.async_remove(entry.entry_id)
        _LOGGER.info(
            "Merged %d Fluvius meter entries into one entry for the account %s",
            len(members),
            account_title(email),
        )
