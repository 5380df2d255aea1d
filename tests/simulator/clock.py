"""The simulator's notion of "now": manual, wall-clock driven, or delegated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import time


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("SimClock needs timezone-aware datetimes")
    return value.astimezone(UTC)


class SimClock:
    """Aware-UTC clock shared by every part of the simulator.

    - manual (default): stands still at `start` until `advance()` or `set()`.
    - realtime: starts at `start` and advances with the wall clock (monotonic).
    - source: asks a callable (e.g. Home Assistant's `dt_util.utcnow`, which tests freeze and
      move); `advance()`/`set()` then shift an offset on top of it.
    """

    def __init__(
        self,
        start: datetime,
        *,
        realtime: bool = False,
        source: Callable[[], datetime] | None = None,
    ) -> None:
        if realtime and source is not None:
            raise ValueError("choose realtime or source, not both")
        self._base = _aware_utc(start)
        self._realtime = realtime
        self._source = source
        self._wall_base = time.monotonic()
        self._offset = timedelta()
        if source is not None:
            self._offset = self._base - _aware_utc(source())

    @property
    def mode(self) -> str:
        """ "manual", "realtime" or "source"."""
        if self._source is not None:
            return "source"
        return "realtime" if self._realtime else "manual"

    def now(self) -> datetime:
        """The current simulated instant, aware UTC."""
        if self._source is not None:
            return _aware_utc(self._source()) + self._offset
        if self._realtime:
            return self._base + timedelta(seconds=time.monotonic() - self._wall_base)
        return self._base

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back, with a negative delta); returns the new now."""
        if self._source is not None:
            self._offset += delta
        else:
            self._base += delta
        return self.now()

    def set(self, value: datetime) -> datetime:
        """Jump to an instant; a realtime clock keeps running from there."""
        value = _aware_utc(value)
        if self._source is not None:
            self._offset = value - _aware_utc(self._source())
        else:
            self._base = value
            self._wall_base = time.monotonic()
        return self.now()

    def __repr__(self) -> str:
        return f"SimClock({self.now().isoformat()}, mode={self.mode})"
