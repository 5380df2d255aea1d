"""Monthly peak bookkeeping: new-peak detection, the Flemish capacity tariff, and the check of
the portal's peaks against the measured quarter-hours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .api.brussels import BRUSSELS
from .api.models import Interval, MonthlyPeak, Register, Resolution

# Flemish rule: every monthly peak counts as at least 2.5 kW, and the bill uses the
# average of the last 12 monthly peaks.
CAPACITY_FLOOR_KW = 2.5
CAPACITY_MONTHS = 12
# Peaks are published with 3 decimals; ignore float noise when comparing.
_EPSILON = 1e-9


def month_key(month: date) -> str:
    """`2026-04` for any day of April 2026."""
    return f"{month.year:04d}-{month.month:02d}"


@dataclass(frozen=True, slots=True)
class KnownPeak:
    """The last peak we announced: its month and power."""

    month: date
    power_kw: float


def capacity_start(today: date) -> date:
    """The first day of the oldest month the capacity tariff averages (11 months back)."""
    start = today.replace(day=1)
    for _ in range(CAPACITY_MONTHS - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def baseline(peaks: Iterable[MonthlyPeak]) -> KnownPeak | None:
    """What a new event entity starts from: the newest month's peak (not announced)."""
    ordered = sorted(peaks, key=lambda peak: peak.month)
    return KnownPeak(ordered[-1].month, ordered[-1].power_kw) if ordered else None


def new_peaks(peaks: Iterable[MonthlyPeak], known: KnownPeak | None) -> list[MonthlyPeak]:
    """Peaks to announce, oldest first, given the last announced one.

    A month's peak is announced when it rises above the announced peak of that month, and
    the first peak of a later month is always announced. Months before the last announced
    one are history and never announced. With nothing announced yet, only the newest
    month's peak is.
    """
    ordered = sorted(peaks, key=lambda peak: peak.month)
    if not ordered:
        return []
    if known is None:
        return [ordered[-1]]
    out: list[MonthlyPeak] = []
    for peak in ordered:
        if peak.month < known.month:
            continue
        if peak.month > known.month or peak.power_kw > known.power_kw + _EPSILON:
            out.append(peak)
            known = KnownPeak(peak.month, peak.power_kw)
    return out


@dataclass(frozen=True, slots=True)
class CapacityTariff:
    """The capacity-tariff basis: the floored average of the last 12 monthly peaks."""

    average_kw: float
    months: dict[str, float]  # month -> the peak as counted (floored)


def capacity_tariff(peaks: Mapping[date, MonthlyPeak], until: date) -> CapacityTariff | None:
    """Average of the last 12 monthly peaks up to and including `until`'s month.

    Months without data (a new meter, or older than the portal serves) are left out rather
    than guessed.
    """
    last_month = until.replace(day=1)
    index = last_month.year * 12 + last_month.month - 1 - (CAPACITY_MONTHS - 1)
    first_month = date(index // 12, index % 12 + 1, 1)
    recent = sorted(
        (peak for month, peak in peaks.items() if first_month <= month <= last_month),
        key=lambda peak: peak.month,
    )
    if not recent:
        return None
    counted = {month_key(p.month): max(p.power_kw, CAPACITY_FLOOR_KW) for p in recent}
    return CapacityTariff(average_kw=round(sum(counted.values()) / len(counted), 3), months=counted)


# Offtake registers: the peak is the highest quarter-hour of their sum, as average power.
OFFTAKE = (Register.CONSUMPTION_HIGH, Register.CONSUMPTION_LOW, Register.CONSUMPTION_SINGLE)
# Peaks and energies have 3 decimals; energy × 4 may differ from the peak by rounding.
PEAK_TOLERANCE_KW = 0.0045


@dataclass(frozen=True, slots=True)
class MeasuredPeak:
    """The highest quarter-hour offtake power seen in imported measurements."""

    power_kw: float
    start: datetime


def day_peaks(intervals: Iterable[Interval]) -> dict[date, MeasuredPeak]:
    """Per Brussels day, the highest quarter-hour offtake × 4 in these intervals. Kept per
    day, so that a revised day re-imported replaces its own figure."""
    best: dict[date, MeasuredPeak] = {}
    for interval in intervals:
        if interval.resolution is not Resolution.QUARTER_HOUR:
            continue  # hours and days hide the quarter-hour peak
        kw = 4 * sum(interval.value(register) or 0.0 for register in OFFTAKE)
        day = interval.start.astimezone(BRUSSELS).date()
        if (known := best.get(day)) is None or kw > known.power_kw:
            best[day] = MeasuredPeak(kw, interval.start)
    return best


def month_peaks(days: Mapping[date, MeasuredPeak]) -> dict[date, MeasuredPeak]:
    """The highest of the days' peaks per month."""
    best: dict[date, MeasuredPeak] = {}
    for day, peak in days.items():
        month = day.replace(day=1)
        if (known := best.get(month)) is None or peak.power_kw > known.power_kw:
            best[month] = peak
    return best


def peak_disagreements(
    portal: Mapping[date, MonthlyPeak], measured: Mapping[date, MeasuredPeak]
) -> dict[str, dict[str, Any]]:
    """Months where the portal's peak and the measurements cannot both be right.

    The measurements may cover only part of a month (they are never above its peak), but a
    quarter-hour above the portal's peak, or the peak's own quarter-hour with another power,
    means a wrong register mapping or a wrong peak.
    """
    out: dict[str, dict[str, Any]] = {}
    for month, seen in measured.items():
        peak = portal.get(month)
        if peak is None:
            continue
        above = seen.power_kw > peak.power_kw + PEAK_TOLERANCE_KW
        same_quarter = seen.start == peak.start
        off = same_quarter and abs(seen.power_kw - peak.power_kw) > PEAK_TOLERANCE_KW
        if above or off:
            out[month_key(month)] = {
                "portal_kw": peak.power_kw,
                "portal_start": peak.start.isoformat(),
                "measured_kw": round(seen.power_kw, 3),
                "measured_start": seen.start.isoformat(),
            }
    return out
