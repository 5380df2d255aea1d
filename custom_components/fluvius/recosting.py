"""Re-costing a meter's imported history: what new prices change, and the prices that come
late.

A change of the price timeline (price_timeline.py) re-costs only the hours whose period's
prices differ (``price_timeline.recosted``): a month of local days at a time, each month's
cost rows replaced (a row without a price any more becomes a change of 0) and every later
sum carried on by the last month, so the cumulative sums stay continuous. What the cost
statistics were made with is recorded per day range after every month
(``price_timeline.spliced``, in the meter's quarter-hour store), so a restart re-costs only
what is left. A new source for the whole history (or none) clears the cost statistics and
writes them again.

Once a day, the quarter-hours imported without a price are costed where the price entity of
their period has recorded a price since (a sensor that was unavailable, statistics imported
later).

The history comes from the kept intervals (quarter_hours.py); hours imported before they were
kept are costed from their hourly energy (statistics.py, ``async_history``). The writing
itself is statistics.py's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
import logging
from typing import TYPE_CHECKING

from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .api.brussels import day_of as local_day
from .costs import unpriced_ranges
from .price_timeline import HourRange, Timeline, imported, midnight, recosted, spliced
from .prices import async_history_start
from .pricing import HourlyCosts
from .quarter_hours import QuarterHourStore

if TYPE_CHECKING:
    from .statistics import FluviusStatistics

_LOGGER = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
# A re-cost goes a month of local days at a time (and so does costing late prices).
_RECOST_STEP = timedelta(days=31)
_COST_STEP = timedelta(days=32)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class Recosting:
    """Re-costs one meter's imported history."""

    def __init__(self, statistics: FluviusStatistics, store: QuarterHourStore) -> None:
        """For the meter's statistics writer and its kept intervals."""
        self._statistics = statistics
        self._store = store

    async def async_recost_if_changed(self) -> bool:
        """Re-cost what the price timeline changed since the cost statistics were written:
        the hours whose period's prices differ (``price_timeline.recosted``), nothing else.

        A new source for the whole history (or none any more) clears the cost statistics and
        writes them again; otherwise each changed range is re-costed a month at a time, its
        hours replaced and every later sum carried on, so the cumulative sums stay
        continuous. Progress is recorded per month (``price_timeline.spliced``): a restart
        re-costs only what is left. The history comes from the kept intervals; hours
        imported before they were kept are costed from their hourly energy. True when
        anything was re-costed.
        """
        await self._store.async_load()
        wanted = self._statistics.costs.signatures
        costed = self._store.costed_with or Timeline.of("unknown")
        ranges = recosted(costed, wanted)
        if not ranges:
            return False
        first = await self._statistics.async_first_hour()
        last = await self._statistics.async_last_hour()
        whole = ranges == (HourRange(None, None),)
        costs = self._statistics.costs
        if (
            not whole
            and costs.enabled
            and (last is None or not imported(ranges, first, last + HOUR))
        ):
            # Nothing imported is priced differently (new prices from today): nothing to do.
            self._store.costed_with = wanted
            await self._store.async_save()
            return False
        if whole or not costs.enabled:
            get_instance(self._statistics.hass).async_clear_statistics(self._statistics.cost_ids)
            self._store.clear_unpriced()
        if costs.enabled and first is not None and last is not None:
            _LOGGER.info("Fluvius: re-costing %s (%d ranges)", self._statistics.label, len(ranges))
            for hours in ranges:
                costed = await self._async_recost(hours, first, last + HOUR, costed, wanted, whole)
            costs.report.recosted = dt_util.utcnow().isoformat()
        costs.summarise_unpriced(self._store.unpriced)
        self._store.costed_with = wanted
        await self._store.async_save()
        return True

    async def _async_recost(  # noqa: PLR0917
        self,
        hours: HourRange,
        first: datetime,
        end: datetime,
        costed: Timeline[str],
        wanted: Timeline[str],
        whole: bool,
    ) -> Timeline[str]:
        """Re-cost one changed range of the history [first, end), a month of local days at a
        time, recording each month as done; returns what the costs are made with then."""
        start = first if hours.start is None else max(hours.start, first)
        stop = end if hours.end is None else min(hours.end, end)
        day: date | None = None if hours.start is None else local_day(hours.start)
        cursor = start
        while cursor < stop:
            next_day = local_day(cursor) + _RECOST_STEP
            chunk_end = min(midnight(next_day), stop)
            costs = await self._async_costs(cursor, chunk_end)
            last_chunk = chunk_end >= stop
            if whole:
                await self._statistics.async_write(self._statistics.cost_batch(costs.series))
            else:
                batch = self._statistics.cost_batch(costs.series, every_register=True)
                await self._statistics.async_write(batch, (cursor, chunk_end), resum=last_chunk)
            self._store.mark_costed(costs.covered, costs.unpriced)
            done_until: date | None = next_day
            if last_chunk:
                done_until = None if hours.end is None else local_day(hours.end)
            costed = spliced(costed, wanted, day, done_until)
            self._store.costed_with = costed
            self._store.schedule_save()  # written at the latest when Home Assistant stops
            day, cursor = next_day, chunk_end
        return costed

    async def _async_costs(self, start: datetime, end: datetime) -> HourlyCosts:
        """The costs of the history's hours [start, end), by the current prices."""
        history = await self._statistics.async_history(start, end)
        return await self._statistics.costs.async_costs(history)

    async def _async_cost(self, start: datetime, end: datetime) -> None:
        """Write the cost rows of [start, end) from the history, a month at a time, and
        remember which quarter-hours stayed without a price."""
        while start < end:
            chunk_end = min(start + _COST_STEP, end)
            costs = await self._async_costs(start, chunk_end)
            await self._statistics.async_write(self._statistics.cost_batch(costs.series))
            self._store.mark_costed(costs.covered, costs.unpriced)
            start = chunk_end

    async def async_price_unpriced(self) -> int:
        """Cost the hours imported without a price where the price source now has one (a
        sensor that was unavailable, whose statistics came later); returns how many
        quarter-hours are still without a price."""
        if not self._statistics.costs.enabled:
            return 0
        await self._store.async_load()
        ranges = unpriced_ranges(self._store.unpriced)
        # Only a price entity prices hours later, and only those of its own periods since
        # its recorded history starts.
        since: dict[str, datetime | None] = {}
        pending: list[tuple[datetime, datetime]] = []
        for entity_id, bounds in self._statistics.costs.entity_periods() if ranges else []:
            if entity_id not in since:
                since[entity_id] = await async_history_start(self._statistics.hass, entity_id)
            if (recorded := since[entity_id]) is None:
                continue
            low = recorded if bounds.start is None else max(bounds.start, recorded)
            for start, end in ranges:
                high = end if bounds.end is None else min(end, bounds.end)
                if max(start, low) < high:
                    pending.append((max(start, low), high))
        for first, last in pending:
            await self._async_cost(_floor_hour(first), _floor_hour(last - QUARTER) + HOUR)
        self._statistics.costs.summarise_unpriced(self._store.unpriced)
        return len(self._store.unpriced)
