"""`fluvius export`: one row per interval and register, as CSV or JSON."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
import contextlib
import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import json
import os
from pathlib import Path
import sys
import tempfile
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from ..api import Interval, MeterProbe, MeterType, Reading, Register, Resolution, ValueStatus
from ..api.brussels import GAS_DAY_START_HOUR, day_of
from ..api.security import mask_ean
from .session import CHUNK_DAYS, Session

COLUMNS = ("start", "end", "resolution", "register", "value", "unit", "status")
# What --resolution accepts, and the client's names for them.
RESOLUTIONS = {
    "quarter-hour": Resolution.QUARTER_HOUR,
    "hour": Resolution.HOUR,
    "day": Resolution.DAY,
}


def steps(first: date, last: date, days: int) -> list[tuple[date, date]]:
    """first..last in steps of at most `days` days, both ends inclusive."""
    out: list[tuple[date, date]] = []
    while first <= last:
        end = min(first + timedelta(days=days - 1), last)
        out.append((first, end))
        first = end + timedelta(days=1)
    return out


@dataclass(frozen=True, slots=True)
class Plan:
    """How to get the wanted resolution: the resolution asked of the client, and whether
    its quarter-hours are summed into hours (no code serves hours on this meter)."""

    wanted: Resolution
    fetch: Resolution
    to_hours: bool


def plan(session: Session, probe: MeterProbe, wanted: Resolution | None) -> Plan:
    wanted = wanted or probe.resolution
    served = {c.resolution for c in session.client.capabilities(session.ean, session.serial)}
    if (
        wanted is Resolution.HOUR
        and Resolution.HOUR not in served
        and Resolution.QUARTER_HOUR in served
    ):
        return Plan(wanted, Resolution.QUARTER_HOUR, to_hours=True)
    return Plan(wanted, wanted, to_hours=False)


def hours(intervals: Iterable[Interval]) -> list[Interval]:
    """Quarter-hours summed per clock hour (rounded to the portal's 3 decimals; final only
    when all four are); hours and days as they are."""
    parts: dict[datetime, list[Interval]] = defaultdict(list)
    out: list[Interval] = []
    for interval in intervals:
        if interval.resolution is Resolution.QUARTER_HOUR:
            hour = interval.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            parts[hour].append(interval)
        else:
            out.append(interval)
    for hour, quarters in parts.items():
        readings: dict[Register, Reading] = {}
        for register in Register:
            values = [q.readings[register] for q in quarters if register in q.readings]
            if values:
                final = all(v.status is ValueStatus.MEASURED for v in values)
                readings[register] = Reading(
                    round(sum(v.value for v in values), 3),
                    ValueStatus.MEASURED if final else ValueStatus.ESTIMATED,
                )
        out.append(Interval(hour, hour + timedelta(hours=1), readings))
    return sorted(out, key=lambda interval: interval.start)


async def fetch(session: Session, plan: Plan, first: date, last: date) -> list[Interval]:
    """The intervals of first..last, in the integration's steps: per step the daily totals
    (one request), then the finer values of the days they show (which spares the client's
    own checks of empty answers)."""
    client, ean, serial = session.client, session.ean, session.serial
    parts = steps(first, last, 366 if plan.wanted is Resolution.DAY else CHUNK_DAYS)
    out: list[Interval] = []
    for number, (start, end) in enumerate(parts, 1):
        if number > 1:
            await session.pause()
        daily = await client.measurements(ean, serial, start, end, Resolution.DAY)
        if plan.wanted is Resolution.DAY:
            found = daily
        else:
            found = await client.measurements(ean, serial, start, end, plan.fetch, daily=daily)
        out += hours(found) if plan.to_hours else found
        session.show_requests()
        if len(parts) > 1:
            session.progress.update(
                f"fluvius: {end.isoformat()} ({number}/{len(parts)}), "
                f"{client.stats.requests} requests"
            )
    session.progress.done()
    return out


def rows(intervals: Iterable[Interval], zone: ZoneInfo) -> Iterator[dict[str, Any]]:
    """One row per interval and register, times in `zone` with their offset."""
    for interval in intervals:
        start = interval.start.astimezone(zone).isoformat()
        end = interval.end.astimezone(zone).isoformat()
        for register in Register:
            if (reading := interval.readings.get(register)) is not None:
                yield {
                    "start": start,
                    "end": end,
                    "resolution": interval.resolution.value,
                    "register": register.value,
                    "value": reading.value,
                    "unit": register.unit,
                    "status": reading.status.value,
                }


def write_csv(out: TextIO, data: Iterable[dict[str, Any]]) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)


def write_json(out: TextIO, header: dict[str, Any], data: Iterable[dict[str, Any]]) -> None:
    """One object: the header's fields, then "rows", one row per line."""
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "rows": [')
    for number, row in enumerate(data):
        out.write(("\n" if number == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
    out.write("\n]}\n")


@contextlib.contextmanager
def output(path: str | None) -> Iterator[TextIO]:
    """stdout, or a file written whole or not at all."""
    if path in (None, "-"):
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path).expanduser()
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


async def run(session: Session, args: Any, first: date, last: date) -> int:
    client = session.client
    probe = await client.probe(session.ean, session.serial)
    how = plan(session, probe, RESOLUTIONS.get(args.resolution or ""))
    intervals = await fetch(session, how, first, last)
    if how.wanted is not Resolution.DAY and client.daily_only(session.ean, session.serial):
        session.note(
            "Fluvius gives only daily values for this meter: request its quarter-hours once "
            "in Mijn Fluvius (Verbruik → Aanvragen, “Kwartier” or “Alle”)"
        )
    gas = probe.meter_type is MeterType.GAS
    start_hour = GAS_DAY_START_HOUR if gas else 0
    session.missing(first, last, (day_of(i.start, start_hour) for i in intervals), gas=gas)
    header = {
        "meter": mask_ean(session.ean),
        "meter_type": probe.meter_type.value,
        "from": first.isoformat(),
        "until": last.isoformat(),
        "resolution": how.wanted.value,
        "timezone": session.settings.timezone.key,
    }
    data = rows(intervals, session.settings.timezone)
    with output(args.output) as out:
        if args.format == "json":
            write_json(out, header, data)
        else:
            write_csv(out, data)
    return 0
