"""`fluvius summary` (per day and in total: consumption, injection, net, the month's peak) and
`fluvius peaks` (monthly peaks and the capacity tariff's 12-month average)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
import json
import sys
from typing import Any
from zoneinfo import ZoneInfo

from ..api import Interval, MeterType, MonthlyPeak, Register, Resolution
from ..api.brussels import GAS_DAY_START_HOUR, day_of, month_end
from ..api.security import mask_ean
from ..peaks import CAPACITY_FLOOR_KW, CAPACITY_MONTHS, capacity_tariff, month_key
from .export import steps
from .session import Session, UsageError

CONSUMPTION = (Register.CONSUMPTION_HIGH, Register.CONSUMPTION_LOW, Register.CONSUMPTION_SINGLE)
INJECTION = (Register.INJECTION_HIGH, Register.INJECTION_LOW, Register.INJECTION_SINGLE)
# Column titles: the words of a Fluvius bill.
TITLES = {
    Register.CONSUMPTION_HIGH: "consumption day",
    Register.CONSUMPTION_LOW: "consumption night",
    Register.CONSUMPTION_SINGLE: "consumption",
    Register.INJECTION_HIGH: "injection day",
    Register.INJECTION_LOW: "injection night",
    Register.INJECTION_SINGLE: "injection",
    Register.GAS_VOLUME: "gas m³",
    Register.GAS_ENERGY: "gas kWh",
}


def _sum(values: Iterable[float]) -> float:
    return round(sum(values), 3)


def day_record(interval: Interval, start_hour: int) -> dict[str, Any]:
    """One day's totals per register; on electricity also consumption, injection and net."""
    record: dict[str, Any] = {"day": day_of(interval.start, start_hour).isoformat()}
    record |= {r.value: reading.value for r, reading in interval.readings.items()}
    if start_hour == 0:
        record["consumption"] = _sum(interval.value(r) or 0.0 for r in CONSUMPTION)
        record["injection"] = _sum(interval.value(r) or 0.0 for r in INJECTION)
        record["net"] = round(record["consumption"] - record["injection"], 3)
    record["final"] = interval.final
    return record


def totals(days: Sequence[dict[str, Any]], keys: Sequence[str]) -> dict[str, float]:
    return {key: _sum(day.get(key) or 0.0 for day in days) for key in keys}


def peak_record(peak: MonthlyPeak, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "month": month_key(peak.month),
        "kw": peak.power_kw,
        "start": peak.start.astimezone(zone).isoformat(),
        "end": peak.end.astimezone(zone).isoformat(),
    }


def peak_line(peak: dict[str, Any]) -> str:
    start, end = peak["start"], peak["end"]
    return f"{peak['month']}  {peak['kw']:8.3f} kW  {start[:10]} {start[11:16]} to {end[11:16]}"


def table(head: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in (head, *body)
    ]


async def run_summary(session: Session, args: Any, first: date, last: date) -> int:
    client, ean, serial = session.client, session.ean, session.serial
    probe = await client.probe(ean, serial)
    gas = probe.meter_type is MeterType.GAS
    start_hour = GAS_DAY_START_HOUR if gas else 0
    daily: list[Interval] = []
    for start, end in steps(first, last, 366):
        daily += await client.measurements(ean, serial, start, end, Resolution.DAY)
        session.show_requests()
    days = [day_record(interval, start_hour) for interval in daily]
    session.missing(first, last, (date.fromisoformat(day["day"]) for day in days), gas=gas)
    registers = [r for r in Register if any(r.value in day for day in days)]
    keys = [r.value for r in registers] + ([] if gas else ["consumption", "injection", "net"])
    total = totals(days, keys)
    peaks = [] if gas else await client.peaks(ean, serial, first, last)
    session.show_requests()
    zone = session.settings.timezone
    peak_records = [peak_record(peak, zone) for peak in peaks]
    result = {
        "meter": mask_ean(ean),
        "meter_type": probe.meter_type.value,
        "from": first.isoformat(),
        "until": last.isoformat(),
        "units": {r.value: r.unit for r in registers},
        "days": days,
        "total": total,
        "peaks": peak_records,
    }
    if args.format == "json":
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        return 0
    kind = "gas days (06:00 to 06:00)" if gas else "days"
    lines = [
        f"{probe.meter_type.value.capitalize()} meter {mask_ean(ean)}, {kind} "
        f"{first.isoformat()} to {last.isoformat()}; kWh (gas volume in m³)"
    ]
    head = ["day", *(TITLES[r] for r in registers), *([] if gas else ["net"]), "final"]
    shown = [r.value for r in registers] + ([] if gas else ["net"])
    body = [
        [day["day"], *(f"{day.get(k) or 0.0:.3f}" for k in shown), "yes" if day["final"] else "no"]
        for day in days
    ]
    body.append(["total", *(f"{total[k]:.3f}" for k in shown), ""])
    lines += table(head, body)
    if not gas:
        lines.append(
            f"consumption {total['consumption']:.3f} kWh, injection {total['injection']:.3f} kWh, "
            f"net usage {total['net']:.3f} kWh"
        )
        lines += ["monthly peak (highest quarter-hour):"] + [
            "  " + peak_line(peak) for peak in peak_records
        ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def month_range(args: Any, today: date) -> tuple[date, date]:
    """The first day of the first month and the last day asked (--months, or --from/--until
    as YYYY-MM), up to today."""

    def month(raw: str, option: str) -> date:
        try:
            return date.fromisoformat(f"{raw}-01")
        except ValueError:
            raise UsageError(f"{option} wants a month as YYYY-MM, not {raw!r}") from None

    last_month = month(args.until, "--until") if args.until else today.replace(day=1)
    if args.from_:
        first = month(args.from_, "--from")
    else:
        count = args.months or CAPACITY_MONTHS
        if count < 1:
            raise UsageError("--months wants at least 1")
        first = last_month
        for _ in range(count - 1):
            first = (first - timedelta(days=1)).replace(day=1)
    if first > last_month:
        raise UsageError("--from is after --until")
    return first, min(month_end(last_month), today)


async def run_peaks(session: Session, args: Any) -> int:
    client, ean, serial = session.client, session.ean, session.serial
    first, last = month_range(args, session.today())
    probe = await client.probe(ean, serial)
    if probe.meter_type is MeterType.GAS:
        raise UsageError("monthly peaks (the capacity tariff) are for electricity meters only")
    found = await client.peaks(ean, serial, first, last)
    session.show_requests()
    zone = session.settings.timezone
    tariff = capacity_tariff({peak.month: peak for peak in found}, last)
    months = [peak_record(peak, zone) for peak in found]
    result = {
        "meter": mask_ean(ean),
        "from": month_key(first),
        "until": month_key(last),
        "months": months,
        "floor_kw": CAPACITY_FLOOR_KW,
        "average_kw": tariff.average_kw if tariff else None,
        "average_of": tariff.months if tariff else {},
    }
    if args.format == "json":
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        return 0
    lines = [f"Monthly peaks of meter {mask_ean(ean)} (highest quarter-hour offtake):"]
    lines += ["  " + peak_line(peak) for peak in months] or ["  none published"]
    if tariff is not None:
        lines.append(
            f"Average of the last {len(tariff.months)} monthly peaks up to {month_key(last)}, "
            f"each counted as at least {CAPACITY_FLOOR_KW} kW: {tariff.average_kw:.3f} kW"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
