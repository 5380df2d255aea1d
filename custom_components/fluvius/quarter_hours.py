"""The measurements already fetched for one meter, at their finest resolution, on disk.

The statistics hold hours; costs with quarter-hour prices and the action
``fluvius.get_quarter_hours`` need the quarter-hours themselves. Every imported day is kept
here (a re-imported day replaces its own), so that a changed price source re-costs the
history without asking Fluvius again, and the action answers from disk where it can.

One ``.storage`` file per meter subentry: per day, the first interval's start, the interval
length and one list of values per register (null where the interval was absent). A day held
as one daily total (a meter whose quarter-hours Fluvius did not serve) is re-imported once
finer data is served; the days for which Fluvius still had nothing finer are remembered, so
that they are not asked for again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .api.brussels import day_of
from .api.models import Interval, Reading, Register, ValueStatus
from .const import DOMAIN, MAX_HISTORY_DAYS, STORAGE_VERSION
from .price_timeline import Period, Timeline

# Days kept: the longest history the settings allow, and a month for the action's range.
KEEP = timedelta(days=MAX_HISTORY_DAYS + 31)
_SAVE_DELAY = 30  # seconds; a history import writes many days in a row
_QUARTER_SECONDS = 900


def store_key(subentry_id: str) -> str:
    """The `.storage` key of one meter's quarter-hours."""
    return f"{DOMAIN}.{subentry_id}.quarter_hours"


class QuarterHourStore:
    """One meter's fetched intervals, by measurement day."""

    def __init__(self, hass: HomeAssistant, subentry_id: str, day_start_hour: int) -> None:
        """Nothing is read before async_load."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, store_key(subentry_id), private=True
        )
        self._start_hour = day_start_hour
        self._days: dict[str, list[Any]] = {}
        # What the cost statistics were made with: a price signature per period (None:
        # nothing is known, e.g. never costed).
        self.costed_with: Timeline[str] | None = None
        # Daily-total days a finer re-import found nothing finer for.
        self._still_daily: set[str] = set()
        # Quarter-hours (UTC starts, epoch seconds) imported without a price: priced later
        # where the price source can, named by a repair issue meanwhile.
        self._unpriced: set[int] = set()
        self._loaded = False
        self._removed = False

    async def async_load(self) -> None:
        """Read the file once."""
        if self._loaded or self._removed:
            return
        stored = await self._store.async_load() or {}
        self._days = dict(stored.get("days", {}))
        self.costed_with = _read_costed(stored.get("costed_with"))
        self._still_daily = set(stored.get("still_daily", []))
        self._unpriced = {
            start + n * _QUARTER_SECONDS
            for start, count in stored.get("unpriced", [])
            for n in range(int(count))
        }
        self._loaded = True

    @property
    def loaded(self) -> bool:
        """The file was read (what it says of unpriced hours is known)."""
        return self._loaded

    def as_dict(self) -> dict[str, Any]:
        """What is written to the file."""
        return {
            "costed_with": None
            if self.costed_with is None
            else [
                [None if p.start is None else p.start.isoformat(), p.prices]
                for p in self.costed_with.periods
            ],
            "days": self._days,
            "still_daily": sorted(self._still_daily),
            "unpriced": _runs(self._unpriced),
        }

    def schedule_save(self) -> None:
        """Write soon (coalesced)."""
        if not self._removed:
            self._store.async_delay_save(self.as_dict, _SAVE_DELAY)

    async def async_save(self) -> None:
        """Write now (re-cost done)."""
        if not self._removed:
            await self._store.async_save(self.as_dict())

    async def async_flush(self) -> None:
        """Write what is pending (unload: the next instance reads the file)."""
        if self._loaded:
            await self._store.async_save(self.as_dict())

    async def async_remove(self) -> None:
        """Delete the file (meter removed); pending writes are dropped and no later one
        happens."""
        self._loaded = False
        self._removed = True
        await self._store.async_remove()

    def put(self, intervals: Iterable[Interval]) -> None:
        """Keep the intervals; each day present replaces what was kept for it."""
        by_day: dict[date, list[Interval]] = defaultdict(list)
        for interval in intervals:
            by_day[day_of(interval.start, self._start_hour)].append(interval)
        for day, items in by_day.items():
            self._days[day.isoformat()] = _encode(items)
            if not _is_daily(self._days[day.isoformat()]):
                self._still_daily.discard(day.isoformat())
        if by_day:
            oldest = (max(by_day) - KEEP).isoformat()
            for key in [key for key in self._days if key < oldest]:
                del self._days[key]
            self._still_daily = {key for key in self._still_daily if key in self._days}
            self.schedule_save()

    def days(self) -> list[date]:
        """The days held, oldest first."""
        return sorted(date.fromisoformat(key) for key in self._days)

    def get(self, start: datetime, end: datetime) -> list[Interval]:
        """The intervals starting in [start, end), oldest first."""
        first = day_of(start, self._start_hour) - timedelta(days=1)
        last = day_of(end, self._start_hour)
        out: list[Interval] = []
        for key in sorted(self._days):
            if not first.isoformat() <= key <= last.isoformat():
                continue
            out.extend(i for i in _decode(self._days[key]) if start <= i.start < end)
        return out

    def has_day(self, day: date) -> bool:
        """True when the day is held."""
        return day.isoformat() in self._days

    def daily_days(self) -> list[date]:
        """Days held as one daily total that finer data may still replace, oldest first."""
        return sorted(
            date.fromisoformat(key)
            for key, encoded in self._days.items()
            if _is_daily(encoded) and key not in self._still_daily
        )

    def still_daily(self, days: Iterable[date]) -> None:
        """A finer re-import of these days found nothing finer: do not ask again."""
        self._still_daily.update(day.isoformat() for day in days)
        self.schedule_save()

    @property
    def unpriced(self) -> list[datetime]:
        """The quarter-hours imported without a price, oldest first."""
        return [datetime.fromtimestamp(start, UTC) for start in sorted(self._unpriced)]

    def mark_costed(self, covered: Iterable[datetime], unpriced: Iterable[datetime]) -> None:
        """Costs of the quarter-hours `covered` were written; those in `unpriced` had no
        price."""
        before = set(self._unpriced)
        self._unpriced.difference_update(int(start.timestamp()) for start in covered)
        self._unpriced.update(int(start.timestamp()) for start in unpriced)
        if self._unpriced != before:
            self.schedule_save()

    def clear_unpriced(self) -> None:
        """No price source (any more): no quarter-hour is waiting for a price."""
        if self._unpriced:
            self._unpriced.clear()
            self.schedule_save()


def _read_costed(raw: Any) -> Timeline[str] | None:
    """The stored signatures: [[from, signature], ...]; one signature (before the price
    timelines) covered the whole history."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return Timeline.of(raw)
    return Timeline(
        tuple(
            Period(None if start is None else date.fromisoformat(start), str(signature))
            for start, signature in raw
        )
    )


def _runs(starts: set[int]) -> list[list[int]]:
    """Consecutive quarter-hours as [first start, count] pairs (compact on disk)."""
    runs: list[list[int]] = []
    for start in sorted(starts):
        if runs and runs[-1][0] + runs[-1][1] * _QUARTER_SECONDS == start:
            runs[-1][1] += 1
        else:
            runs.append([start, 1])
    return runs


def _is_daily(encoded: list[Any]) -> bool:
    """Whether an encoded day is one daily total (its interval longer than an hour)."""
    return bool(encoded[1] > 3600)


def _encode(intervals: list[Interval]) -> list[Any]:
    ordered = sorted(intervals, key=lambda interval: interval.start)
    first = ordered[0].start
    step = ordered[0].end - ordered[0].start
    registers = sorted({register for interval in ordered for register in interval.readings})
    slots = int((ordered[-1].start - first) / step) + 1
    values: dict[str, list[float | None]] = {r.value: [None] * slots for r in registers}
    for interval in ordered:
        slot = int((interval.start - first) / step)
        for register, reading in interval.readings.items():
            values[register.value][slot] = reading.value
    return [int(first.timestamp()), int(step.total_seconds()), values]


def _decode(encoded: list[Any]) -> list[Interval]:
    start_ts, step_s, values = encoded
    step = timedelta(seconds=step_s)
    first = datetime.fromtimestamp(start_ts, UTC)
    slots = max((len(series) for series in values.values()), default=0)
    out: list[Interval] = []
    for slot in range(slots):
        readings = {
            Register(register): Reading(series[slot], ValueStatus.MEASURED)
            for register, series in values.items()
            if series[slot] is not None
        }
        if readings:
            start = first + slot * step
            out.append(Interval(start, start + step, readings))
    return out
