"""Brussels local time formatting, whatever the host time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
import time

import pytest

from custom_components.fluvius.api.brussels import (
    day_span_utc,
    local_range,
    local_today,
    month_end,
    month_of,
    parse_instant,
    utc_range,
)


def test_summer_week() -> None:
    assert local_range(date(2025, 6, 30), date(2025, 7, 6)) == (
        "2025-06-30T00:00:00.000+02:00",
        "2025-07-06T23:59:59.999+02:00",
    )


def test_winter_day() -> None:
    assert local_range(date(2025, 1, 15), date(2025, 1, 15)) == (
        "2025-01-15T00:00:00.000+01:00",
        "2025-01-15T23:59:59.999+01:00",
    )


@pytest.mark.parametrize(
    ("day", "expected", "hours"),
    [
        (
            date(2025, 10, 26),
            ("2025-10-26T00:00:00.000+02:00", "2025-10-26T23:59:59.999+01:00"),
            25,
        ),
        (date(2026, 3, 29), ("2026-03-29T00:00:00.000+01:00", "2026-03-29T23:59:59.999+02:00"), 23),
    ],
)
def test_dst_days(day: date, expected: tuple[str, str], hours: int) -> None:
    assert local_range(day, day) == expected
    first, after = day_span_utc(day, day)
    assert (after - first).total_seconds() == hours * 3600


def test_utc_range_for_legacy() -> None:
    assert utc_range(date(2025, 6, 30), date(2025, 7, 6)) == (
        "2025-06-29T22:00:00.000Z",
        "2025-07-06T21:59:59.999Z",
    )


def test_host_time_zone_does_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert local_range(date(2025, 6, 30), date(2025, 6, 30))[0] == (
            "2025-06-30T00:00:00.000+02:00"
        )
    finally:
        monkeypatch.undo()
        time.tzset()


def test_local_today_and_months() -> None:
    assert local_today(datetime(2025, 6, 30, 22, 30, tzinfo=UTC)) == date(2025, 7, 1)
    assert month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert month_end(date(2025, 12, 31)) == date(2025, 12, 31)
    start = parse_instant("2023-12-31T23:00:00Z")
    end = parse_instant("2024-01-31T23:00:00Z")
    assert month_of(start, end) == date(2024, 1, 1)


def test_parse_instant() -> None:
    assert parse_instant("2025-06-30T22:00:00Z") == datetime(2025, 6, 30, 22, tzinfo=UTC)
    assert parse_instant("2025-07-01T00:00:00+02:00") == datetime(2025, 6, 30, 22, tzinfo=UTC)
    assert parse_instant("2025-06-30T22:00:00") == datetime(2025, 6, 30, 22, tzinfo=UTC)
    with pytest.raises(TypeError):
        parse_instant(None)
