"""Monthly peak event: fires `new_peak` when the capacity-tariff peak rises."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.start import async_at_started

from .api.models import MeterType, MonthlyPeak
from .coordinator import FluviusConfigEntry, FluviusCoordinator
from .entity import FluviusEntity
from .peaks import KnownPeak, month_key, new_peaks

PARALLEL_UPDATES = 0

EVENT_NEW_PEAK = "new_peak"
DESCRIPTION = EventEntityDescription(
    key="monthly_peak_event", translation_key="monthly_peak", event_types=[EVENT_NEW_PEAK]
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FluviusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Electricity meters get the peak event; gas has no capacity tariff."""
    coordinator = entry.runtime_data
    if coordinator.meter_type is MeterType.ELECTRICITY:
        async_add_entities([FluviusPeakEvent(coordinator)])


def _known_from_attributes(attributes: dict) -> KnownPeak | None:
    """The last announced peak, from the event's own (restored) attributes."""
    try:
        year, month = (int(part) for part in attributes["month"].split("-"))
        return KnownPeak(date(year, month, 1), float(attributes["peak_kw"]))
    except KeyError, TypeError, ValueError:
        return None


class FluviusPeakEvent(FluviusEntity, EventEntity):
    """Announces each new monthly peak once, also across restarts and re-polls."""

    def __init__(self, coordinator: FluviusCoordinator) -> None:
        """Initialise from the shared description."""
        super().__init__(coordinator, DESCRIPTION)
        self._known: KnownPeak | None = None

    async def async_added_to_hass(self) -> None:
        """Restore the last announced peak; look at the current data once added."""
        await super().async_added_to_hass()
        if (state := await self.async_get_last_state()) is not None:
            self._known = _known_from_attributes(dict(state.attributes))
        # Announce once Home Assistant has started (automations attach their triggers then),
        # and after the restored (or unknown) state is written, so an automation sees a change
        # from that state and can tell a restart's restore from a new peak.
        self.async_on_remove(async_at_started(self.hass, self._started))

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
        """Announce whatever the new data raised."""
        self._announce(self.coordinator.data.peaks.values())
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
