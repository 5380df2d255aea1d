"""Payloads → models. The only place that knows what `t`, `dc`, `u` and the legacy keys mean."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
import json
from typing import Any

from .brussels import month_of, parse_instant
from .errors import FluviusMeterNotAccessibleError, FluviusPayloadError
from .models import Interval, MeterType, MonthlyPeak, Reading, Register, Resolution, ValueStatus

# Register mapping of the current API (FLUVIUS_API.md §2.1, first reading):
# `t` is the direction (1 offtake, 2 injection), `dc` the tariff (1 high, 2 low, 0 single).
# Swap these two names to apply the other published reading.
DIRECTION_KEY = "t"
TARIFF_KEY = "dc"

_ELECTRICITY: dict[tuple[int, int], Register] = {
    (1, 1): Register.CONSUMPTION_HIGH,
    (1, 2): Register.CONSUMPTION_LOW,
    (1, 0): Register.CONSUMPTION_SINGLE,
    (2, 1): Register.INJECTION_HIGH,
    (2, 2): Register.INJECTION_LOW,
    (2, 0): Register.INJECTION_SINGLE,
}
UNIT_KWH = 3
UNIT_M3 = 5
_GAS_BY_UNIT = {UNIT_KWH: Register.GAS_ENERGY, UNIT_M3: Register.GAS_VOLUME}
MEASURED_STATUS = 2

# Legacy consumption-histories keys; each has a sibling `<key>vs` status. A meter with one
# tariff register reports it under the "high" key and leaves the "low" key null.
_LEGACY_ELECTRICITY = (
    ("oh", "ol", Register.CONSUMPTION_HIGH, Register.CONSUMPTION_LOW, Register.CONSUMPTION_SINGLE),
    ("ih", "il", Register.INJECTION_HIGH, Register.INJECTION_LOW, Register.INJECTION_SINGLE),
)
_LEGACY_GAS = {"ok": Register.GAS_ENERGY, "om": Register.GAS_VOLUME}
_GAS_REGISTERS = frozenset(_LEGACY_GAS.values())


@dataclass(frozen=True, slots=True)
class ParsedPeriods:
    """One measurement answer, already typed."""

    intervals: list[Interval]
    resolution: Resolution | None  # judged from d/de; None when there are no periods
    meter_type: MeterType | None  # None when no reading tells


def load_json(body: bytes | str, what: str) -> Any:
    """Decode JSON, reporting HTML and garbage as an unexpected payload."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        text = body[:200].decode(errors="replace") if isinstance(body, bytes) else body[:200]
        kind = "HTML" if "<" in text else "invalid JSON"
        raise FluviusPayloadError(f"{what}: answer is {kind}, not JSON") from None


def status_of(code: object) -> ValueStatus:
    """`vs` 2 is a validated measurement; anything else may still change."""
    return ValueStatus.MEASURED if _int(code) == MEASURED_STATUS else ValueStatus.ESTIMATED


def classify_length(length: timedelta) -> Resolution | None:
    """Period length → resolution; a local day lasts 23 to 25 hours."""
    if length == timedelta(minutes=15):
        return Resolution.QUARTER_HOUR
    if length == timedelta(hours=1):
        return Resolution.HOUR
    if timedelta(hours=23) <= length <= timedelta(hours=25):
        return Resolution.DAY
    return None


def judge_resolution(intervals: Iterable[Interval]) -> Resolution | None:
    """The resolution most periods have; None if there are none or none is recognised."""
    votes = Counter(classify_length(i.end - i.start) for i in intervals)
    votes.pop(None, None)
    return votes.most_common(1)[0][0] if votes else None


def _int(value: object) -> int | None:
    if type(value) is int:  # the common case first: this runs for every reading
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def to_float(value: object) -> float | None:
    """A JSON number, or a number sent as a string; None for anything else."""
    if type(value) is float:
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _list(payload: object, what: str) -> list[Any]:
    if not isinstance(payload, list):
        raise FluviusPayloadError(f"{what}: expected a list, got {type(payload).__name__}")
    return payload


def _span(
    entry: dict[str, Any], start_key: str, end_key: str, what: str
) -> tuple[datetime, datetime]:
    try:
        start, end = parse_instant(entry[start_key]), parse_instant(entry[end_key])
    except (KeyError, TypeError, ValueError):
        raise FluviusPayloadError(f"{what}: period without valid {start_key}/{end_key}") from None
    if end <= start:
        raise FluviusPayloadError(f"{what}: period ends before it starts")
    return start, end


def _reading_register(reading: dict[str, Any], gas: bool) -> Register | None:
    unit = _int(reading.get("u"))
    if gas:
        return _GAS_BY_UNIT.get(unit) if unit is not None else None
    if unit != UNIT_KWH:
        return None
    direction, tariff = _int(reading.get(DIRECTION_KEY)), _int(reading.get(TARIFF_KEY))
    if direction is None or tariff is None:
        return None
    return _ELECTRICITY.get((direction, tariff))


def _detect_current_type(periods: list[Any]) -> MeterType | None:
    """m³ readings only exist on gas meters; kWh alone means electricity."""
    saw_kwh = False
    for period in periods:
        values = period.get("v") if isinstance(period, dict) else None
        for reading in values if isinstance(values, list) else ():
            unit = _int(reading.get("u")) if isinstance(reading, dict) else None
            if unit == UNIT_M3:
                return MeterType.GAS
            saw_kwh = saw_kwh or unit == UNIT_KWH
    return MeterType.ELECTRICITY if saw_kwh else None


def parse_measurements(payload: object, meter_type: MeterType | None = None) -> ParsedPeriods:
    """Current meter-measurement-history answer → intervals."""
    what = "measurement history"
    periods = _list(payload, what)
    detected = _detect_current_type(periods)
    gas = (meter_type or detected) is MeterType.GAS
    intervals: list[Interval] = []
    for period in periods:
        if not isinstance(period, dict):
            raise FluviusPayloadError(f"{what}: period is not an object")
        start, end = _span(period, "d", "de", what)
        values = period.get("v") or []
        if not isinstance(values, list):
            raise FluviusPayloadError(f"{what}: period values are not a list")
        readings: dict[Register, Reading] = {}
        for reading in values:
            if not isinstance(reading, dict):
                raise FluviusPayloadError(f"{what}: reading is not an object")
            register = _reading_register(reading, gas)
            value = to_float(reading.get("v"))
            if register is None or value is None:
                continue
            code = _int(reading.get("vs"))
            readings[register] = Reading(value=value, status=status_of(code), status_code=code)
        intervals.append(Interval(start=start, end=end, readings=readings))
    return ParsedPeriods(intervals, judge_resolution(intervals), detected)


def absent_as_zero(intervals: Iterable[Interval], registers: Iterable[Register]) -> list[Interval]:
    """The registers the meter is known to have, absent from a period, read 0 there.

    Whether the portal lists a register without energy (a weekend day's day tariff, a
    night's injection) with 0 or leaves it out is unknown (docs/PORTAL.md); either way it
    had none. The zero takes the period's status. A register never seen is not added.
    """
    known = frozenset(registers)
    filled: list[Interval] = []
    for interval in intervals:
        missing = known - interval.readings.keys()
        if not missing:
            filled.append(interval)
            continue
        status = ValueStatus.MEASURED if interval.final else ValueStatus.ESTIMATED
        zeros = dict.fromkeys(missing, Reading(value=0.0, status=status))
        filled.append(Interval(interval.start, interval.end, {**interval.readings, **zeros}))
    return filled


def _same_serial(left: object, right: str) -> bool:
    return isinstance(left, str) and left.strip().upper() == right.strip().upper()


def pick_serial(payload: object, serial: str, what: str) -> list[Any]:
    """The `val` list of the legacy entry whose `sn` is our meter serial.

    Without a serial, the one entry still in service is taken: its `mdu` (meter date until)
    is absent, or far in the future (the real sample has "9999-12-30T23:00:00Z").
    """
    entries = [e for e in _list(payload, what) if isinstance(e, dict)]
    if serial.strip():
        chosen = [e for e in entries if _same_serial(e.get("sn"), serial)]
    else:
        in_service = [e for e in entries if _in_service(e.get("mdu"))]
        chosen = in_service if len(in_service) == 1 else []
    if chosen:
        return _list(chosen[0].get("val") or [], what)
    if entries:
        raise FluviusMeterNotAccessibleError(f"{what}: the meter serial is not on this EAN")
    return []


def _in_service(until: object) -> bool:
    """A legacy entry's `mdu`: None or the 9999 placeholder while the meter is in use."""
    return until is None or (isinstance(until, str) and until.startswith("9999"))


def _legacy_reading(row: dict[str, Any], key: str) -> Reading | None:
    value = to_float(row.get(key))
    if value is None:
        return None
    code = _int(row.get(f"{key}vs"))
    return Reading(value=value, status=status_of(code), status_code=code)


def _legacy_readings(row: dict[str, Any]) -> dict[Register, Reading]:
    readings: dict[Register, Reading] = {}
    for high, low, high_register, low_register, single_register in _LEGACY_ELECTRICITY:
        high_reading, low_reading = _legacy_reading(row, high), _legacy_reading(row, low)
        if high_reading is not None and low_reading is None:
            readings[single_register] = high_reading
            continue
        if high_reading is not None:
            readings[high_register] = high_reading
        if low_reading is not None:
            readings[low_register] = low_reading
    for key, register in _LEGACY_GAS.items():
        if (reading := _legacy_reading(row, key)) is not None:
            readings[register] = reading
    return readings


def _legacy_type(intervals: list[Interval]) -> MeterType | None:
    """Gas when gas values are there (and non-zero if electricity values are too)."""
    gas = [r.value for i in intervals for g, r in i.readings.items() if g in _GAS_REGISTERS]
    electricity = any(g not in _GAS_REGISTERS for i in intervals for g in i.readings)
    if gas and (not electricity or any(gas)):
        return MeterType.GAS
    return MeterType.ELECTRICITY if electricity else None


def _only(interval: Interval, *, gas: bool) -> Interval:
    """Drop placeholders a legacy row may carry for the other energy carrier."""
    keep = {k: v for k, v in interval.readings.items() if (k in _GAS_REGISTERS) == gas}
    if len(keep) == len(interval.readings):
        return interval
    return Interval(start=interval.start, end=interval.end, readings=keep)


def parse_legacy_measurements(
    payload: object, serial: str, meter_type: MeterType | None = None
) -> ParsedPeriods:
    """Legacy consumption-histories answer → intervals, for the entry matching `serial`."""
    what = "consumption history"
    intervals: list[Interval] = []
    for row in pick_serial(payload, serial, what):
        if not isinstance(row, dict):
            raise FluviusPayloadError(f"{what}: period is not an object")
        start, end = _span(row, "d", "de", what)
        intervals.append(Interval(start=start, end=end, readings=_legacy_readings(row)))
    detected = _legacy_type(intervals)
    kind = meter_type or detected
    if kind is not None:
        intervals = [_only(i, gas=kind is MeterType.GAS) for i in intervals]
    return ParsedPeriods(intervals, judge_resolution(intervals), detected)


def _peak(
    month: tuple[datetime, datetime], *, value: object, start: object, end: object, what: str
) -> MonthlyPeak | None:
    power = to_float(value)
    if power is None:
        return None
    try:
        peak_start, peak_end = parse_instant(start), parse_instant(end)
    except (TypeError, ValueError):
        raise FluviusPayloadError(f"{what}: peak without valid start/end") from None
    return MonthlyPeak(month=month_of(*month), power_kw=power, start=peak_start, end=peak_end)


def parse_peaks(payload: object) -> list[MonthlyPeak]:
    """Current meter-measurement-spikes answer → one peak per month (the highest value)."""
    what = "measurement spikes"
    peaks: list[MonthlyPeak] = []
    for month in _list(payload, what):
        if not isinstance(month, dict):
            raise FluviusPayloadError(f"{what}: month is not an object")
        span = _span(month, "d", "de", what)
        values = month.get("v") or []
        if not isinstance(values, list):
            raise FluviusPayloadError(f"{what}: month values are not a list")
        candidates = [
            _peak(span, value=v.get("v"), start=v.get("sst"), end=v.get("set"), what=what)
            for v in values
            if isinstance(v, dict)
        ]
        best = max((p for p in candidates if p), key=lambda p: p.power_kw, default=None)
        if best is not None:
            peaks.append(best)
    return peaks


def parse_legacy_peaks(payload: object, serial: str) -> list[MonthlyPeak]:
    """Legacy consumption-spikes answer → one peak per month, for the matching serial."""
    what = "consumption spikes"
    peaks: list[MonthlyPeak] = []
    for month in pick_serial(payload, serial, what):
        if not isinstance(month, dict):
            raise FluviusPayloadError(f"{what}: month is not an object")
        span = _span(month, "d", "de", what)
        peak = _peak(
            span, value=month.get("o"), start=month.get("tscs"), end=month.get("tecs"), what=what
        )
        if peak is not None:
            peaks.append(peak)
    return peaks


def merge_intervals(
    batches: Iterable[Iterable[Interval]], start: datetime, end: datetime
) -> list[Interval]:
    """Sorted, one interval per start inside [start, end); later batches win on overlap."""
    by_start: dict[datetime, Interval] = {}
    for batch in batches:
        for interval in batch:
            if start <= interval.start < end:
                by_start[interval.start] = interval
    return [by_start[key] for key in sorted(by_start)]


def merge_peaks(batches: Iterable[Iterable[MonthlyPeak]]) -> list[MonthlyPeak]:
    """One peak per month, sorted; the highest wins when chunks overlap."""
    by_month: dict[Any, MonthlyPeak] = {}
    for batch in batches:
        for peak in batch:
            known = by_month.get(peak.month)
            if known is None or peak.power_kw > known.power_kw:
                by_month[peak.month] = peak
    return [by_month[key] for key in sorted(by_month)]
