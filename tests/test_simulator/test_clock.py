"""SimClock modes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import time

import pytest

from tests.simulator import SimClock

START = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)


def test_manual() -> None:
    clock = SimClock(START)
    assert clock.mode == "manual"
    assert clock.now() == START
    assert clock.now() == START
    assert clock.advance(timedelta(hours=2)) == START + timedelta(hours=2)
    assert clock.set(START) == START
    assert clock.now().tzinfo is UTC


def test_converts_to_utc_and_refuses_naive() -> None:
    brussels = timezone(timedelta(hours=2))
    clock = SimClock(datetime(2026, 4, 15, 12, 0, tzinfo=brussels))
    assert clock.now() == START
    assert clock.now().utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="aware"):
        SimClock(datetime(2026, 4, 15))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 4, 15))  # noqa: DTZ001


def test_realtime() -> None:
    clock = SimClock(START, realtime=True)
    assert clock.mode == "realtime"
    time.sleep(0.05)
    elapsed = clock.now() - START
    assert timedelta(seconds=0.04) < elapsed < timedelta(seconds=10)
    clock.advance(timedelta(days=1))
    assert clock.now() - START > timedelta(days=1)
    clock.set(START)
    assert clock.now() - START < timedelta(seconds=1)


def test_source() -> None:
    current = [START]
    clock = SimClock(START, source=lambda: current[0])
    assert clock.mode == "source"
    assert clock.now() == START
    current[0] += timedelta(minutes=5)
    assert clock.now() == START + timedelta(minutes=5)
    clock.advance(timedelta(hours=1))
    assert clock.now() == START + timedelta(hours=1, minutes=5)
    clock.set(START)
    assert clock.now() == START
    current[0] += timedelta(seconds=1)
    assert clock.now() == START + timedelta(seconds=1)


def test_source_starting_elsewhere() -> None:
    # `start` wins: the source only drives the passing of time.
    clock = SimClock(START, source=lambda: START + timedelta(days=3))
    assert clock.now() == START


def test_not_both() -> None:
    with pytest.raises(ValueError, match="realtime or source"):
        SimClock(START, realtime=True, source=lambda: START)
