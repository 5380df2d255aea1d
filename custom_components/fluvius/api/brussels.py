"""Europe/Brussels calendar arithmetic, independent of the host's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
_LAST_MS = time(23, 59, 59, 999_000)


def day_start(day: date) -> datetime:
    """Local midnight starting `day`, as an aware Brussels datetime."""
    return datetime.combine(day, time(), tzinfo=BRUSSELS)


def day_span_utc(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants covering the local days start..end inclusive (end exclusive)."""
    return (
        day_start(start).astimezone(UTC),
        day_start(end + timedelta(days=1)).astimezone(UTC),
    )


def format_local(moment: datetime) -> str:
    """2025-06-30T00:00:00.000+02:00: local wall time with offset and milliseconds."""
    return moment.astimezone(BRUSSELS).isoformat(timespec="milliseconds")


def format_utc(moment: datetime) -> str:
    """2025-06-29T22:00:00.000Z, as the legacy endpoints expect."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_range(start: date, end: date) -> tuple[str, str]:
    """historyFrom/historyUntil for local days start..end inclusive."""
    return (
        format_local(day_start(start)),
        format_local(datetime.combine(end, _LAST_MS, tzinfo=BRUSSELS)),
    )


def utc_range(start: date, end: date) -> tuple[str, str]:
    """The same span as local_range, written in UTC (legacy endpoints)."""
    first, after = day_span_utc(start, end)
    return format_utc(first), format_utc(after - timedelta(milliseconds=1))


def local_today(now: datetime) -> date:
    """The Brussels calendar date at an aware instant."""
    return now.astimezone(BRUSSELS).date()


def month_of(start: datetime, end: datetime) -> date:
    """First day of the Brussels month containing the middle of [start, end)."""
    middle = start + (end - start) / 2
    return middle.astimezone(BRUSSELS).date().replace(day=1)


def month_end(day: date) -> date:
    """Last day of the month containing `day`."""
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def parse_instant(raw: object) -> datetime:
    """An ISO-8601 instant from a payload as aware UTC; naive input is taken as UTC."""
    if not isinstance(raw, str):
        raise TypeError("instant is not a string")
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
