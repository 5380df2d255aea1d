"""A redacted log of recent data requests, per meter, for the diagnostics download.

The real portal's behaviour is only known from reports, so the first thing a bug report
needs is how the portal answered this user. A record says what was asked (endpoint name,
granularity code, span length and alignment), what came back (status, number of periods and
their length) and what the client concluded. It never holds an EAN, serial, token or cookie.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

LOG_SIZE = 50


@dataclass(slots=True)
class RequestRecord:
    """One data request and what the client made of it."""

    at: datetime
    endpoint: str  # route name, e.g. "meter-measurement-history"
    code: str | None  # granularity code, None for the spikes endpoint
    span: int  # days (measurements) or months (spikes) asked for
    alignment: str  # "calendar day", "gas day" or "month"
    status: int = 0  # HTTP status; 0 while no answer was read
    periods: int = 0  # periods (or months) in the answer
    period_length: str | None = None  # "15 min", "1 h", "1 day", "1 month", "mixed", …
    conclusion: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


def describe_lengths(lengths: Iterable[timedelta]) -> str | None:
    """The period length of an answer, in words; None for an empty answer."""
    words = Counter(_word(length) for length in lengths)
    if not words:
        return None
    if len(words) == 1:
        return next(iter(words))
    return "mixed: " + ", ".join(f"{count}×{word}" for word, count in words.most_common())


def _word(length: timedelta) -> str:
    minutes = length.total_seconds() / 60
    if minutes < 60:
        return f"{minutes:g} min"
    if minutes < 23 * 60:
        return f"{minutes / 60:g} h"
    if minutes <= 25 * 60:
        return "1 day"
    if minutes >= 27 * 24 * 60:
        return "1 month"
    return f"{minutes / 1440:g} days"


class RequestLog:
    """The last LOG_SIZE records of each meter."""

    def __init__(self, size: int = LOG_SIZE) -> None:
        self._size = size
        self._by_meter: dict[str, deque[RequestRecord]] = {}

    def add(self, meter: str, record: RequestRecord) -> RequestRecord:
        self._by_meter.setdefault(meter, deque(maxlen=self._size)).append(record)
        return record

    def forget(self, meter: str) -> None:
        """Drop a meter's records (a meter that turned out not to be the user's)."""
        self._by_meter.pop(meter, None)

    def records(self, meter: str) -> list[dict[str, Any]]:
        return [record.as_dict() for record in self._by_meter.get(meter, ())]
