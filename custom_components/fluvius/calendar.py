"""Monthly peaks calendar: each month's capacity-tariff peak as a quarter-hour event.

One calendar per electricity meter (gas has no capacity tariff). Past months stay visible
for as long as the coordinator holds their peak (this month and the 11 before, the months
the capacity tariff averages).
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api.models import MonthlyPeak
from .coordinator import FluviusCoordinator
from .entity import FluviusEntity, async_add_meter_entities, electricity_only
from .models import FluviusConfigEntry
from .peaks import month_key
from .snapshot import FluviusData

PARALLEL_UPDATES = 0

DESCRIPTION = CalendarEntityDescription(key="monthly_peaks", translation_key="monthly_peaks")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FluviusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Electricity meters get the peaks calendar, on their subentry."""
    async_add_meter_entities(hass, entry, async_add_entities, electricity_only(FluviusPeakCalendar))


def peak_event(peak: MonthlyPeak) -> CalendarEvent:
    """A month's peak as a calendar event over its quarter-hour."""
    month = month_key(peak.month)
    return CalendarEvent(
        start=dt_util.as_local(peak.start),
        end=dt_util.as_local(peak.end),
        summary=f"Monthly peak {peak.power_kw:.2f} kW",
        description=(
            f"Highest quarter-hour consumption of {month}: {peak.power_kw:.3f} kW "
            "(counts towards the capacity tariff)."
        ),
        uid=f"monthly_peak_{month}",
    )


class FluviusPeakCalendar(FluviusEntity, CalendarEntity):
    """The meter's monthly peaks, one quarter-hour event per month."""

    def __init__(self, coordinator: FluviusCoordinator) -> None:
        """Initialise from the shared description."""
        super().__init__(coordinator, DESCRIPTION)

    def _peaks(self) -> list[MonthlyPeak]:
        """The peaks the coordinator holds, oldest first (none before the first data)."""
        data: FluviusData | None = self.coordinator.data
        if data is None:
            return []
        return sorted(data.peaks.values(), key=lambda peak: peak.start)

    @property
    def event(self) -> CalendarEvent | None:
        """The newest peak while it is ongoing or still ahead; otherwise None.

        Home Assistant reads this property as the calendar's current or next event: the
        state is on while it runs, and its summary and times become the state attributes.
        A peak is only known once Fluvius publishes the day it fell in, so in practice it
        is always over: showing it here would present a past quarter-hour as the "next"
        event and schedule nothing. The calendar therefore keeps the core meaning (state
        off, no event attributes); the newest peak is the Monthly peak sensor's value and
        attributes, and every peak is listed by the calendar's events.
        """
        peaks = self._peaks()
        if not peaks:
            return None
        newest = peaks[-1]
        return peak_event(newest) if dt_util.utcnow() < newest.end else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The peaks whose quarter-hour overlaps [start_date, end_date), oldest first."""
        return [
            peak_event(peak)
            for peak in self._peaks()
            if peak.start < end_date and peak.end > start_date
        ]
