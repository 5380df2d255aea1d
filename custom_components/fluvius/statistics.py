"""External statistics for the Energy dashboard, booked at the hour the energy was used.

Fluvius publishes a day late and revises recent days, so a plain sensor would book energy
at poll time. Like core's opower, we write hourly external statistics ourselves. Each
import batch owns every hour its intervals span: those rows are rewritten from the stored
running sum just before the batch, and every stored row after the batch is re-summed, so
revisions and out-of-order imports never make the sum jump or drift.

Cost statistics (costs.py) are written the same way, in the same batch as their energy. The
imported intervals are also kept on disk (quarter_hours.py), so that new price settings
re-cost the whole history once (async_recost_if_changed) without asking Fluvius again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import logging

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    statistics_during_period,
)
from homeassistant.const import UnitOfEnergy, UnitOfVolume
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .api.brussels import day_of
from .api.models import Interval, MeterType, Reading, Register, Resolution, ValueStatus
from .const import DOMAIN
from .costs import MeterCosts, cost_metadata
from .days import DayTotals, day_bounds
from .pricing import PriceSettings
from .quarter_hours import QuarterHourStore
from .recorded import EPOCH, async_read, first_hour
from .recosting import Recosting

_LOGGER = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
# Where to look for the running sum before a batch: a month first, then all history.
_BASELINE_LOOKBACK = timedelta(days=32)
# A re-cost of part of the history goes a month of local days at a time.
_RECOST_STEP = timedelta(days=31)

REGISTERS: dict[MeterType, tuple[Register, ...]] = {
    MeterType.ELECTRICITY: (
        Register.CONSUMPTION_HIGH,
        Register.CONSUMPTION_LOW,
        Register.INJECTION_HIGH,
        Register.INJECTION_LOW,
        Register.CONSUMPTION_SINGLE,
        Register.INJECTION_SINGLE,
    ),
    MeterType.GAS: (Register.GAS_VOLUME, Register.GAS_ENERGY),
}
# The same words as the matching sensor's English name (strings.json): the words of a Fluvius
# bill (the statistic IDs keep high/low).
_NAMES = {
    Register.CONSUMPTION_HIGH: "Consumption day tariff",
    Register.CONSUMPTION_LOW: "Consumption night tariff",
    Register.CONSUMPTION_SINGLE: "Consumption",
    Register.INJECTION_HIGH: "Injection day tariff",
    Register.INJECTION_LOW: "Injection night tariff",
    Register.INJECTION_SINGLE: "Injection",
    Register.GAS_VOLUME: "Gas volume",
    Register.GAS_ENERGY: "Gas energy",
}


def statistic_id(ean: str, register: Register) -> str:
    """The external statistic ID of one register, e.g. fluvius:541448820000000003_gas_volume."""
    return f"{DOMAIN}:{ean}_{register.value}"


def statistic_metadata(ean: str, label: str, register: Register) -> StatisticMetaData:
    """Metadata with every field explicit, as the recorder wants since 2025.11."""
    volume = register is Register.GAS_VOLUME
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        # The distinguishing part first: the Energy dashboard's legend cuts long names short.
        name=f"{_NAMES[register]} (Fluvius {label})",
        source=DOMAIN,
        statistic_id=statistic_id(ean, register),
        unit_class=VolumeConverter.UNIT_CLASS if volume else EnergyConverter.UNIT_CLASS,
        unit_of_measurement=UnitOfVolume.CUBIC_METERS if volume else UnitOfEnergy.KILO_WATT_HOUR,
    )


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hours(start: datetime, end: datetime) -> Iterable[datetime]:
    hour = _floor_hour(start)
    while hour < end:
        yield hour
        hour += HOUR


def hourly_changes(
    intervals: Iterable[Interval], registers: Iterable[Register]
) -> dict[Register, dict[datetime, float]]:
    """Sum intervals into top-of-hour UTC rows, one series per register.

    Every hour an interval spans gets a row, zero where nothing was used, so a batch
    replaces whatever an earlier import wrote there. A daily total lands in the first
    hour of its day; finer data for the same hours replaces it.
    """
    wanted = tuple(registers)
    fine: dict[Register, dict[datetime, float]] = defaultdict(dict)
    daily: list[Interval] = []
    for interval in intervals:
        if interval.resolution is Resolution.DAY:
            daily.append(interval)
            continue
        hour = _floor_hour(interval.start)
        for register in wanted:
            series = fine[register]
            series[hour] = series.get(hour, 0.0) + (interval.value(register) or 0.0)
    covered = {hour for series in fine.values() for hour in series}
    for interval in daily:
        hours = list(_hours(interval.start, interval.end))
        if any(hour in covered for hour in hours):
            continue  # finer data for this day is better
        for register in wanted:
            series = fine[register]
            for hour in hours:
                series[hour] = 0.0
            series[hours[0]] = interval.value(register) or 0.0
    return {register: dict(sorted(fine[register].items())) for register in wanted}


@dataclass(slots=True)
class ImportResult:
    """What one import wrote."""

    first_hour: datetime | None = None
    last_hour: datetime | None = None
    rows: int = 0


class FluviusStatistics:
    """Writes and clears one meter's external statistics."""

    def __init__(
        self,
        hass: HomeAssistant,
        ean: str,
        meter_type: MeterType,
        label: str,
        *,
        costs: MeterCosts | None = None,
        store: QuarterHourStore | None = None,
    ) -> None:
        """Prepare the importer for one meter; label names it in statistic names.

        ``costs``: the meter's cost series (none without a price source); ``store``: where
        the imported intervals are kept for re-costing and the quarter-hour action.
        """
        self._hass = hass
        self._ean = ean
        self._label = label
        self._registers = REGISTERS[meter_type]
        self._costs = costs or MeterCosts(hass, ean, meter_type, PriceSettings())
        self._store = store
        self.recosting = Recosting(self, store) if store is not None else None

    @property
    def hass(self) -> HomeAssistant:
        """The instance the statistics are written to."""
        return self._hass

    @property
    def label(self) -> str:
        """The meter's name in statistic names and logs (EAN masked)."""
        return self._label

    @property
    def energy_ids(self) -> list[str]:
        """The energy (and gas volume) statistic IDs this meter may own."""
        return [statistic_id(self._ean, register) for register in self._registers]

    @property
    def cost_ids(self) -> list[str]:
        """The cost and compensation statistic IDs this meter may own."""
        return self._costs.statistic_ids(self._registers)

    @property
    def statistic_ids(self) -> list[str]:
        """Every statistic ID this meter may own."""
        return [*self.energy_ids, *self.cost_ids]

    @property
    def unpriced(self) -> list[datetime]:
        """The quarter-hours imported without a price (none before the store is read)."""
        return self._store.unpriced if self._store is not None else []

    @property
    def costs(self) -> MeterCosts:
        """The meter's cost series and their report."""
        return self._costs

    async def async_last_hour(self) -> datetime | None:
        """Start of the newest imported hour, or None before the first import."""
        newest: datetime | None = None
        for stat_id in self.energy_ids:
            rows = await async_read(self._hass, get_last_statistics, 1, stat_id, False, set())
            if rows.get(stat_id):
                start = datetime.fromtimestamp(rows[stat_id][0]["start"], UTC)
                newest = start if newest is None else max(newest, start)
        return newest

    async def async_first_hour(self) -> datetime | None:
        """Start of the oldest imported hour, or None before the first import."""
        return await async_read(self._hass, first_hour, self.energy_ids)

    async def async_import(self, intervals: list[Interval]) -> ImportResult:
        """Book intervals into hourly statistics (energy, and cost where priced); returns
        the energy hours written."""
        if self._store is not None and intervals:
            await self._store.async_load()
            self._store.put(intervals)
        # Only registers the meter reports: a dual-tariff meter gets no "single" statistic.
        seen = {register for interval in intervals for register in interval.readings}
        changes = hourly_changes(intervals, [r for r in self._registers if r in seen])
        present = {register: series for register, series in changes.items() if series}
        if not present:
            return ImportResult()
        first = min(next(iter(series)) for series in present.values())
        last = max(next(reversed(series)) for series in present.values())
        batch = [
            (statistic_metadata(self._ean, self._label, register), series)
            for register, series in present.items()
        ]
        costs = await self._costs.async_costs(intervals)
        batch += self.cost_batch(costs.series)
        result = ImportResult(first_hour=first, last_hour=last)
        result.rows = await self.async_write(batch)
        if self._store is not None and self._costs.enabled:
            self._store.mark_costed(costs.covered, costs.unpriced)
        _LOGGER.debug(
            "Imported %d statistic rows from %s to %s", result.rows, first.isoformat(), last
        )
        return result

    def cost_batch(
        self, costs: dict[Register, dict[datetime, float]], *, every_register: bool = False
    ) -> list[tuple[StatisticMetaData, dict[datetime, float]]]:
        """The cost series to write; ``every_register``: an entry for each register the
        meter may have, empty where nothing is priced (a re-cost zeroes what was there)."""
        currency = self._hass.config.currency
        registers = self._registers if every_register else tuple(costs)
        return [
            (
                cost_metadata(self._ean, self._label, _NAMES[register], register, currency),
                costs.get(register, {}),
            )
            for register in registers
            if every_register or costs.get(register)
        ]

    async def async_write(
        self,
        batch: list[tuple[StatisticMetaData, dict[datetime, float]]],
        replaced: tuple[datetime, datetime] | None = None,
        *,
        resum: bool = True,
    ) -> int:
        """Write each series over the hours it covers, re-summing every later stored row.

        ``replaced``: hours [start, end) the batch replaces as a whole, so a stored row
        there that the batch has no value for becomes a change of 0 (no price any more);
        ``resum``: False leaves the stored rows after ``replaced`` as they are (a re-cost
        writes its chunks in order and re-sums what follows with its last one).
        """
        if not batch:
            return 0
        starts = [next(iter(series)) for _, series in batch if series]
        if replaced is not None:
            starts.append(replaced[0])
        if not starts:
            return 0
        first = min(starts)
        ids = {metadata["statistic_id"] for metadata, _ in batch}
        # The recorder writes from a queue: let earlier imports land before reading sums.
        baselines, stored = await async_read(self._hass, _read_stored, ids, first)
        written = 0
        for metadata, series in batch:
            stat_id = metadata["statistic_id"]
            kept = stored.get(stat_id, {})
            if replaced is not None:
                start, end = replaced
                kept = {
                    hour: 0.0 if start <= hour < end else change
                    for hour, change in kept.items()
                    if resum or hour < end
                }
            # Stored hours the batch does not cover (after it, or in a gap) keep their change
            # but get their sum recomputed.
            merged = dict(kept) | series
            if not merged:
                continue
            rows = _running_sums(baselines.get(stat_id, 0.0), dict(sorted(merged.items())))
            async_add_external_statistics(self._hass, metadata, rows)
            written += len(rows)
        return written

    async def async_recost_if_changed(self) -> bool:
        """Re-cost what new prices changed in the imported history (recosting.py)."""
        return False if self.recosting is None else await self.recosting.async_recost_if_changed()

    async def async_price_unpriced(self) -> int:
        """Cost what was imported without a price where the source has one now
        (recosting.py); returns how many quarter-hours still have none."""
        return 0 if self.recosting is None else await self.recosting.async_price_unpriced()

    async def async_history(self, start: datetime, end: datetime) -> list[Interval]:
        """Intervals of [start, end): the kept ones, else hours from the energy statistics."""
        assert self._store is not None
        kept = self._store.get(start, end)
        covered = {hour for interval in kept for hour in _hours(interval.start, interval.end)}
        ids = {statistic_id(self._ean, register): register for register in self._registers}
        found = await async_read(
            self._hass, statistics_during_period, start, end, set(ids), "hour", None, {"state"}
        )
        hourly: dict[datetime, dict[Register, Reading]] = defaultdict(dict)
        for stat_id, rows in found.items():
            for row in rows:
                hour = datetime.fromtimestamp(row["start"], UTC)
                if hour not in covered:
                    value = float(row.get("state") or 0.0)
                    hourly[hour][ids[stat_id]] = Reading(value, ValueStatus.MEASURED)
        extra = [Interval(hour, hour + HOUR, readings) for hour, readings in hourly.items()]
        return sorted([*kept, *extra], key=lambda interval: interval.start)

    async def async_day_totals(
        self, first: date, last: date, start_hour: int
    ) -> dict[date, DayTotals]:
        """What the statistics hold for the days first..last: the hourly changes summed per
        day (days without any row are left out)."""
        start, _ = day_bounds(first, start_hour)
        _, end = day_bounds(last, start_hour)
        ids = {statistic_id(self._ean, register): register for register in self._registers}
        found = await async_read(
            self._hass, statistics_during_period, start, end, set(ids), "hour", None, {"state"}
        )
        sums: dict[date, dict[Register, float]] = defaultdict(dict)
        for stat_id, rows in found.items():
            register = ids[stat_id]
            for row in rows:
                day = day_of(datetime.fromtimestamp(row["start"], UTC), start_hour)
                totals = sums[day]
                totals[register] = totals.get(register, 0.0) + float(row.get("state") or 0.0)
        return {
            day: DayTotals(day, {r: round(v, 3) for r, v in totals.items()}, final=None)
            for day, totals in sums.items()
        }

    def async_clear(self) -> None:
        """Remove every statistic of this meter (meter removed)."""
        get_instance(self._hass).async_clear_statistics(self.statistic_ids)


def _running_sums(baseline: float, series: dict[datetime, float]) -> list[StatisticData]:
    """Hourly rows whose sums run on from the baseline."""
    total = baseline
    rows: list[StatisticData] = []
    for hour, change in series.items():
        total += change
        rows.append(StatisticData(start=hour, state=change, sum=total))
    return rows


def _read_stored(
    hass: HomeAssistant, ids: set[str], first: datetime
) -> tuple[dict[str, float], dict[str, dict[datetime, float]]]:
    """The running sum just before `first`, and the stored changes from `first` on."""
    baselines: dict[str, float] = {}
    missing = set(ids)
    for start in (first - _BASELINE_LOOKBACK, EPOCH):
        if not missing:
            break
        found = statistics_during_period(hass, start, first, missing, "hour", None, {"sum"})
        for stat_id, rows in found.items():
            if rows and (last_sum := rows[-1].get("sum")) is not None:
                baselines[stat_id] = float(last_sum)
                missing.discard(stat_id)
    found = statistics_during_period(hass, first, None, ids, "hour", None, {"state"})
    stored = {
        stat_id: {
            datetime.fromtimestamp(row["start"], UTC): float(row.get("state") or 0.0)
            for row in rows
        }
        for stat_id, rows in found.items()
    }
    return baselines, stored
