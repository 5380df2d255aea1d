"""A price entity's price at each quarter-hour, from the recorder.

The price valid in a quarter-hour is the entity's state at the middle of that quarter-hour:
a quarter-hour price sensor (Nord Pool area BE) changes its state a moment after the
quarter-hour starts, so its state at the start would still be the previous quarter's. Where
the state history is already purged, the entity's hourly mean statistics give the price of
each quarter-hour of that hour. Where neither exists, the quarter-hour has no price.

Units are read by `parse_price_unit`, the one parser of price units: the settings form
validates a price entity with it and the costing converts each recorded price with it, so a
unit the form accepts is costed exactly as the form understood it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import re
import unicodedata

from homeassistant.components.recorder.history import state_changes_during_period
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant

from .pricing import floor_hour, quarter_hours
from .recorded import async_read, first_hour, first_number_state

HALF_QUARTER = timedelta(minutes=7, seconds=30)

PER_KWH = "kWh"
PER_M3 = "m³"
# What a price is per (case-insensitive): its base unit and the factor to it.
_PER = {
    "kwh": (PER_KWH, 1.0),
    "mwh": (PER_KWH, 0.001),
    "wh": (PER_KWH, 1000.0),
    "m³": (PER_M3, 1.0),
    "m3": (PER_M3, 1.0),
}
# Currency symbols read as their code. Any other symbol is a currency this integration
# cannot compare with Home Assistant's, so it is refused as another currency.
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
CENT = 0.01
# Cents without a currency code are euro cents (case-insensitive): c€ as on a Belgian bill,
# ct, cent(s), and c as the Nord Pool custom integration writes euro cents. ¢ is a US cent.
_EURO_CENTS = frozenset({"c€", "€c", "ct", "cts", "ct€", "€ct", "c", "cent", "cents"})
_CODE = re.compile(r"[A-Za-z]{3}")
# A code with a cent suffix is a cent of that currency: EURc, EUR ct, EURcent.
_CODE_CENTS = re.compile(r"([A-Za-z]{3})\s*(?:c|ct|cts|cent|cents)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PriceUnit:
    """What a price unit says: a price in ``currency`` per ``per`` is the state × ``factor``."""

    currency: str  # ISO 4217 code (a symbol or cents: the code of their currency)
    per: str  # PER_KWH or PER_M3
    factor: float  # e.g. c€/MWh: 0.01 / 1000 (to EUR per kWh)


def parse_price_unit(unit: object) -> PriceUnit | None:
    """Parse a price unit such as EUR/kWh, €/MWh, c€/kWh or ct/kWh; None when it is not one
    currency amount per kWh, MWh, Wh or m³.

    The currency is an ISO code (EUR, any case), a symbol (€, $, £), or cents converted
    × 0.01: c€, €c, ct, cts, ct€, €ct, c, cent, cents (euro cents), ¢ (US cents), or a code
    with a cent suffix (EURc, EUR ct, EUR cent). Whether the currency is Home Assistant's is
    for the caller to check (see `price_factor`).
    """
    if not isinstance(unit, str) or unit.count("/") != 1:
        return None
    raw_currency, raw_per = (part.strip() for part in unit.split("/"))
    if (per := _PER.get(raw_per.lower())) is None:
        return None
    currency = _currency(" ".join(raw_currency.split()))
    if currency is None:
        return None
    code, cents = currency
    return PriceUnit(code, per[0], cents * per[1])


def _currency(text: str) -> tuple[str, float] | None:
    """(ISO code, factor to it) of a price unit's currency part."""
    if text.lower() in _EURO_CENTS:
        return "EUR", CENT
    if text == "¢":
        return "USD", CENT
    if text in _SYMBOLS:
        return _SYMBOLS[text], 1.0
    if _CODE.fullmatch(text):
        return text.upper(), 1.0
    if match := _CODE_CENTS.fullmatch(text):
        return match.group(1).upper(), CENT
    if len(text) == 1 and unicodedata.category(text) == "Sc":
        return text, 1.0  # a currency symbol of no known code: never Home Assistant's
    return None


def price_factor(unit: object, currency: str, per: str = PER_KWH) -> float | None:
    """What turns a price in ``unit`` into ``currency`` per ``per`` (kWh or m³); None when
    the unit is not a price in that currency per that unit (cents count as their currency)."""
    parsed = parse_price_unit(unit)
    if parsed is None or parsed.per != per or parsed.currency != currency.upper():
        return None
    return parsed.factor


@dataclass(slots=True)
class PriceHistory:
    """Prices per quarter-hour start (UTC), and where each came from."""

    prices: dict[datetime, float] = field(default_factory=dict)
    from_states: int = 0
    from_statistics: int = 0
    missing: int = 0


async def async_price_history(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime, per: str = PER_KWH
) -> PriceHistory:
    """The entity's price in Home Assistant's currency per ``per`` (kWh, or m³ for a gas
    volume) at every quarter-hour in [start, end). A state (or statistic) in another unit
    or currency prices nothing: its quarter-hours count as missing."""
    return await async_read(hass, _price_history, entity_id, start, end, per)


def _price_history(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime, per: str
) -> PriceHistory:
    out = PriceHistory()
    currency = hass.config.currency
    found = state_changes_during_period(
        hass, start, end + HALF_QUARTER, entity_id, include_start_time_state=True
    ).get(entity_id, [])
    changes: list[tuple[datetime, float | None]] = []
    for state in found:
        factor = price_factor(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), currency, per)
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
        hourly = _hourly_means(hass, entity_id, floor_hour(uncovered[0]), end, currency, per)
        for quarter in uncovered:
            if (value := hourly.get(floor_hour(quarter))) is None:
                out.missing += 1
            else:
                out.prices[quarter] = value
                out.from_statistics += 1
    return out


def _hourly_means(  # noqa: PLR0917
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime, currency: str, per: str
) -> dict[datetime, float]:
    """The entity's hourly mean statistics, in ``currency`` per kWh (or m³)."""
    metadata = get_metadata(hass, statistic_ids={entity_id})
    if entity_id not in metadata:
        return {}
    factor = price_factor(metadata[entity_id][1]["unit_of_measurement"], currency, per)
    if factor is None:
        return {}
    rows = statistics_during_period(hass, start, end, {entity_id}, "hour", None, {"mean"})
    return {
        datetime.fromtimestamp(row["start"], UTC): mean * factor
        for row in rows.get(entity_id, [])
        if (mean := row.get("mean")) is not None
    }


async def async_history_start(hass: HomeAssistant, entity_id: str) -> datetime | None:
    """From when the entity can price quarter-hours: its oldest recorded number state or
    its oldest hourly statistic, whichever is earlier (None: it has recorded no price)."""
    starts = [
        await async_read(hass, first_number_state, entity_id),
        await async_read(hass, first_hour, [entity_id]),
    ]
    found = [start for start in starts if start is not None]
    return min(found) if found else None
