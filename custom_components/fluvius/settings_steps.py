"""The base of a meter's settings steps (subentry_flow.py, cost_flow.py,
capacity_flow.py): the meter's type and price timelines, what it has imported, and how its
settings are saved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.typing import UNDEFINED, UndefinedType

from .api.models import MeterType
from .const import CONF_METER_TYPE
from .models import FluviusConfigEntry
from .price_form import DUAL_REGISTERS, SINGLE_REGISTERS, single_tariff
from .price_timeline import Timeline, capacity_timeline, energy_timeline
from .pricing import PriceSettings
from .snapshot import FluviusData


class MeterSettingsSteps(ConfigSubentryFlow):
    """What every step of a meter's settings reads and how it saves."""

    def _meter_type(self) -> MeterType:
        return MeterType(self._get_reconfigure_subentry().data[CONF_METER_TYPE])

    def _energy(self) -> Timeline[PriceSettings]:
        return energy_timeline(self._get_reconfigure_subentry().data, self._meter_type())

    def _capacity(self) -> Timeline[float | None]:
        return capacity_timeline(self._get_reconfigure_subentry().data)

    def _async_save(
        self, data: dict[str, Any], reason: str | UndefinedType = UNDEFINED
    ) -> SubentryFlowResult:
        """Save the meter's settings and end the flow (with ``reason``'s message, else Home
        Assistant's "successful")."""
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        listening = bool(entry.update_listeners)  # read first: a listener unloads
        result = self.async_update_and_abort(entry, subentry, data=data, reason=reason)
        # A loaded entry's update listener reloads it if the settings changed; an entry
        # that is not loaded is set up again with them now.
        if not listening:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result

    async def _async_imported_hours(self) -> tuple[datetime | None, datetime | None]:
        """The meter's oldest and newest imported hours (None, None: the entry is not
        loaded, or nothing is imported yet)."""
        entry: FluviusConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return None, None
        coordinator = entry.runtime_data.meters.get(self._get_reconfigure_subentry().subentry_id)
        if coordinator is None:
            return None, None
        statistics = coordinator.statistics
        return await statistics.async_first_hour(), await statistics.async_last_hour()

    def _single_tariff(self) -> bool:
        """Whether the meter's prices are single-register ones: saved that way, or its data
        (of a loaded entry) shows single registers only. Otherwise high and low."""
        if single_tariff(self._energy()):
            return True
        entry: FluviusConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return False
        coordinator = entry.runtime_data.meters.get(self._get_reconfigure_subentry().subentry_id)
        # None before the meter's first data (HA types it as always present).
        data: FluviusData | None = None if coordinator is None else coordinator.data
        if data is None:
            return False
        seen = {register for day in data.days.values() for register in day.values}
        return bool(seen & SINGLE_REGISTERS) and not seen & DUAL_REGISTERS
