"""Home Assistant instances that stop and start again on the same database and storage.

pytest-homeassistant-custom-component's `hass` fixture lives for one test; a restart needs a
second instance. `HomeAssistantRuns` starts one after another with the plugin's
`async_test_home_assistant`, the persistent SQLite recorder (`persistent_database`), and the
shared mock `.storage` (`hass_storage`), so the recorder's statistics, the entries' stored
tokens and the restored entity states all survive, as in a real restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import restore_state
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from tests.entries import copy_entry


class HomeAssistantRuns:
    """Starts Home Assistant again and again with the same config entries."""

    def __init__(
        self,
        async_test_recorder: Callable[..., Any],
        freezer: FrozenDateTimeFactory,
        entries: list[MockConfigEntry],
    ) -> None:
        """Remember the recorder factory, the clock and the entries to load each time."""
        self._recorder = async_test_recorder
        self._freezer = freezer
        self._entries = entries
        self.hass: HomeAssistant | None = None
        self.starts = 0

    @asynccontextmanager
    async def run(
        self,
        prepare: Callable[[HomeAssistant], Awaitable[None]] | None = None,
        *,
        setup: bool = True,
    ) -> AsyncIterator[HomeAssistant]:
        """One Home Assistant lifetime: start, set the entries up, yield, stop cleanly.

        `prepare` runs before the entries load, like automations set up at startup. Without
        `setup` the entries are added but not loaded (a world built by hand).
        """
        async with async_test_home_assistant() as hass, self._recorder(hass):
            await hass.config.async_set_time_zone("Europe/Brussels")
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # load ours from the repo
            if prepare is not None:
                await prepare(hass)
            for entry in self._entries:
                copy_entry(entry).add_to_hass(hass)
            for entry in self._entries if setup else ():
                if (
                    own := hass.config_entries.async_get_entry(entry.entry_id)
                ) is not None and own.state is ConfigEntryState.NOT_LOADED:
                    setup = hass.async_create_task(hass.config_entries.async_setup(entry.entry_id))
                    await self.settle(hass)
                    await setup
            await self.settle(hass)
            self.hass = hass
            self.starts += 1
            try:
                yield hass
            finally:
                await self.settle(hass)
                await async_wait_recording_done(hass)
                # Home Assistant dumps restorable states at its final write; the test plugin
                # patches that out, so do it here as a real stop would.
                await restore_state.async_get(hass).async_dump_states()
                await hass.async_stop()
                self.hass = None

    async def tick(self, delta: timedelta) -> None:
        """Move the clock and let the running instance do what fell due."""
        assert self.hass is not None
        self._freezer.tick(delta)
        async_fire_time_changed(self.hass)
        await self.settle(self.hass)

    async def settle(self, hass: HomeAssistant) -> None:
        """Wait until Home Assistant is idle (subclasses may move the clock meanwhile)."""
        await hass.async_block_till_done(wait_background_tasks=True)
