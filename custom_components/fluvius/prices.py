"""A price entity's price at each quarter-hour, from the recorder.

The price valid in a quarter-hour is the entity's state at the middle of that quarter-hour:
a quarter-hour price sensor (Nord Pool area BE) changes its state a moment after the
quarter-hour starts, so its state at the start would still be the previous quarter's. Where
the state history is already purged, the entity's hourly mean statistics give the price of
each quarter-hour of that hour. Where neither exists, the quarter-hour has no price.

Units: currency per kWh, per MWh (divided by 1000), per Wh, or per m³ (gas volume).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder.history import state_changes_during_period
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from .pricing import floor_hour, quarter_hours

HALF_QUARTER = timedelta(minutes=7, seconds=30)
_PER_UNIT = {"kwh": 1.0, "mwh": 0.001, "wh": 1000.0, "m³": 1.0, "m3": 1.0}


def unit_factor(unit: str | None) -> float | None:
    """What turns a price in ``unit`` (e.g. EUR/MWh) into a price per kWh (or m³); None
    when the unit is not a currency per energy or volume."""
    if not unit or "/" not in unit:
        return None
    currency, per = unit.rsplit("/", 1)
    if not currency.strip():
        return None
    return _PER_UNIT.get(per.strip().lower())


@dataclass(slots=True)
class PriceHistory:
    """Prices per quarter-hour start (UTC), and where each came from."""

    prices: dict[datetime, float] = field(default_factory=dict)
    from_states: int = 0
    from_statistics: int = 0
    missing: int = 0


async def async_price_history(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> PriceHistory:
    """The entity's price at every quarter-hour in [start, end)."""
    recorder = get_instance(hass)
    await recorder.async_block_till_done()
    return await recorder.async_add_executor_job(_price_history, hass, entity_id, start, end)


def _price_history(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> PriceHistory:
    out = PriceHistory()
    found = state_changes_during_period(
        hass, start, end + HALF_QUARTER, entity_id, include_start_time_state=True
    ).get(entity_id, [])
    changes: list[tuple[datetime, float | None]] = []
    for state in found:
        factor = unit_factor(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT))
        try:
            value = float(state.state) * factor if factor is not None else None
        except ValueError:
            value = None  # unavailable, unknown
        changes.append((state.last_changed.astimezone(UTC), value))
    changes.sort(key=lambda change: change[0])
    moments = [moment for moment, _ in changes]
    uncovered: list[datetime] = []
    for quarter in quarter_hours(start, end):
        index = bisect_right(moments, quarter + HALF_QUARTER) - 1
        value = changes[index][1] if index >= 0 else None
        if value is None:
            uncovered.append(quarter)
        else:
            out.prices[quarter] = value
            out.from_states += 1
    if uncovered:
        hourly = _hourly_means(hass, entity_id, floor_hour(uncovered[0]), end)
        for quarter in uncovered:
            if (value := hourly.get(floor_hour(quarter))) is None:
                out.missing += 1
            else:
                out.prices[quarter] = value
                out.from_statistics += 1
    return out


def _hourly_means(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> dict[datetime, float]:
    """The entity's hourly mean statistics, per kWh (or m³)."""
    metadata = get_metadata(hass, statistic_ids={entity_id})
    if entity_id not in metadata:
        return {}
    factor = unit_factor(metadata[entity_id][1]["unit_of_measurement"])
    if factor is None:
        return {}
    rows = statistics_during_period(hass, start, end, {entity_id}, "hour", None, {"mean"})
    return {
        datetime.fromtimestamp(row["start"], UTC): mean * factor
        for row in rows.get(entity_id, [])
        if (mean := row.get("mean")) is not None
    }
