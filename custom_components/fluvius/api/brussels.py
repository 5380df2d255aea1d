"""Europe/Brussels calendar arithmetic, independent of the host's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


# A gas day runs from 06:00 to 06:00 local time; the portal only serves sub-daily gas
# periods for windows that line up with it.
GAS_DAY_START_HOUR = 6


def day_start(day: date, start_hour: int = 0) -> datetime:
    """Local start (midnight, or 06:00 for a gas day) of `day`, aware Brussels datetime."""
    return datetime.combine(day, time(start_hour), tzinfo=BRUSSELS)


def day_span_utc(start: date, end: date, start_hour: int = 0) -> tuple[datetime, datetime]:
    """UTC instants covering the days start..end inclusive (end exclusive)."""
    return (
        day_start(start, start_hour).astimezone(UTC),
        day_start(end + timedelta(days=1), start_hour).astimezone(UTC),
    )


@lru_cache(maxsize=1 << 16)
def day_of(instant: datetime, start_hour: int = 0) -> date:
    """The (calendar or gas) day an instant belongs to (remembered: the same quarter-hours
    are placed in their day again at every poll, merge and import)."""
    return (instant.astimezone(BRUSSELS) - timedelta(hours=start_hour)).date()


def format_local(moment: datetime) -> str:
    """2025-06-30T00:00:00.000+02:00: local wall time with offset and milliseconds."""
    return moment.astimezone(BRUSSELS).isoformat(timespec="milliseconds")


def format_utc(moment: datetime) -> str:
    """2025-06-29T22:00:00.000Z, as the legacy endpoints expect."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_range(start: date, end: date, start_hour: int = 0) -> tuple[str, str]:
    """historyFrom/historyUntil for days start..end inclusive, as the portal writes them:
    00:00:00.000 to 23:59:59.999 local, or 06:00:00.000 to 05:59:59.999 for gas days."""
    first, after = day_span_utc(start, end, start_hour)
    return format_local(first), format_local(after - timedelta(milliseconds=1))


def utc_range(start: date, end: date, start_hour: int = 0) -> tuple[str, str]:
    """The same span as local_range, written in UTC (legacy endpoints)."""
    first, after = day_span_utc(start, end, start_hour)
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
