"""Monthly peak bookkeeping: new-peak detection and the Flemish capacity tariff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from .api.models import MonthlyPeak

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
