"""The "New monthly peak" event: fires `new_peak` when the capacity-tariff peak rises.

The peak found when the entity is first added (a new meter, or one added again) is the
baseline and is not announced; restarts and reloads never announce a peak already
announced. The baseline and the last announced peak are kept in the entity's restore data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from homeassistant.components.event import (
    EventEntity,
    EventEntityDescription,
    EventExtraStoredData,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.start import async_at_started

from .api.models import MonthlyPeak
from .coordinator import FluviusCoordinator
from .entity import FluviusEntity, async_add_meter_entities, electricity_only
from .models import FluviusConfigEntry
from .peaks import KnownPeak, baseline, month_key, new_peaks
from .snapshot import FluviusData

PARALLEL_UPDATES = 0

EVENT_NEW_PEAK = "new_peak"
# The translation key stays "monthly_peak" (registry entries keep it); the name is "New monthly
# peak", distinct from the Monthly peak sensor.
DESCRIPTION = EventEntityDescription(
    key="monthly_peak_event", translation_key="monthly_peak", event_types=[EVENT_NEW_PEAK]
)
_STORED_KEY = "fluvius_known_peak"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FluviusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Electricity meters get the peak event; gas has no capacity tariff."""
    async_add_meter_entities(hass, entry, async_add_entities, electricity_only(FluviusPeakEvent))


def _known_from(stored: Mapping[str, Any] | None) -> KnownPeak | None:
    """A peak from stored data or the event's attributes: {"month": "2026-11", "peak_kw": …}."""
    if not stored:
        return None
    try:
        year, month = (int(part) for part in stored["month"].split("-"))
        return KnownPeak(date(year, month, 1), float(stored["peak_kw"]))
    except KeyError, TypeError, ValueError, AttributeError:
        return None


@dataclass
class PeakEventStoredData(EventExtraStoredData):
    """The event's own restore data, plus the peak this entity knows of."""

    known: KnownPeak | None = None

    def as_dict(self) -> dict[str, Any]:
        """The event's data with the known peak next to it."""
        known = self.known
        return {
            "last_event_type": self.last_event_type,
            "last_event_attributes": self.last_event_attributes,
            _STORED_KEY: {"month": month_key(known.month), "peak_kw": known.power_kw}
            if known
            else {},
        }


class FluviusPeakEvent(FluviusEntity, EventEntity):
    """Announces each new monthly peak once, also across restarts and re-polls."""

    def __init__(self, coordinator: FluviusCoordinator) -> None:
        """Initialise from the shared description."""
        super().__init__(coordinator, DESCRIPTION)
        self._known: KnownPeak | None = None
        self._has_baseline = False

    async def async_added_to_hass(self) -> None:
        """Restore what was announced, or take the current peak as the baseline."""
        await super().async_added_to_hass()
        extra = await self.async_get_last_extra_data()
        stored = extra.as_dict() if extra is not None else {}
        if _STORED_KEY in stored:
            self._known = _known_from(stored[_STORED_KEY])
            self._has_baseline = True
        elif (state := await self.async_get_last_state()) is not None:
            # Written before the baseline was stored: the last event's attributes.
            self._known = _known_from(state.attributes)
            self._has_baseline = self._known is not None
        if not self._has_baseline and self.coordinator.data is not None:
            self._known = baseline(self.coordinator.data.peaks.values())
            self._has_baseline = True
        # Announce once Home Assistant has started (automations attach their triggers then),
        # and after the restored (or unknown) state is written, so an automation sees a change
        # from that state and can tell a restart's restore from a new peak.
        self.async_on_remove(async_at_started(self.hass, self._started))

    @property
    def extra_restore_state_data(self) -> PeakEventStoredData:
        """Keep the known peak (the baseline included) across restarts."""
        event = super().extra_restore_state_data
        return PeakEventStoredData(event.last_event_type, event.last_event_attributes, self._known)

    @property
    def available(self) -> bool:
        """Always: an event is a past occurrence, not a reading that can go stale."""
        return True

    @callback
    def _started(self, _hass: HomeAssistant) -> None:
        self.hass.loop.call_soon(self._announce_current)

    @callback
    def _announce_current(self) -> None:
        if self.hass is not None and self.coordinator.data is not None:
            self._announce(self.coordinator.data.peaks.values())

    @callback
    def _handle_coordinator_update(self) -> None:
        """Announce whatever the new data raised (the first data of a meter that was out of
        reach when it was added is its baseline). The history import also updates the
        listeners, before any data when the meter was out of reach at setup."""
        data: FluviusData | None = self.coordinator.data
        if data is not None:
            if not self._has_baseline:
                self._known = baseline(data.peaks.values())
                self._has_baseline = True
            self._announce(data.peaks.values())
        super()._handle_coordinator_update()

    @callback
    def _announce(self, peaks: Iterable[MonthlyPeak]) -> None:
        for peak in new_peaks(peaks, self._known):
            self._trigger_event(EVENT_NEW_PEAK, _attributes(peak))
            self._known = KnownPeak(peak.month, peak.power_kw)
            self.async_write_ha_state()


def _attributes(peak: MonthlyPeak) -> dict[str, object]:
    return {
        "peak_kw": peak.power_kw,
        "start": peak.start.isoformat(),
        "end": peak.end.isoformat(),
        "month": month_key(peak.month),
    }
