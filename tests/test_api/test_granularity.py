"""Range-limit search and dialect bookkeeping (no HTTP)."""

from __future__ import annotations

from datetime import date

import pytest

from custom_components.fluvius.api.granularity import (
    CodeKnowledge,
    EndpointDialect,
    MeterDialect,
    RangeLimit,
    export_dialects,
    import_dialects,
    judge_days,
)
from custom_components.fluvius.api.models import MeterType, Register, Resolution


def walk(limit_days: int, total: int, known: RangeLimit | None = None) -> tuple[RangeLimit, int]:
    """Fetch `total` days against a server accepting at most `limit_days`; count 400s."""
    limit = known or RangeLimit()
    done = failures = 0
    while done < total:
        length = limit.next_length(total - done)
        if length > limit_days:
            limit.record_fail(length)
            failures += 1
            assert length > 1
            continue
        limit.record_ok(length)
        done += length
    return limit, failures


@pytest.mark.parametrize("limit_days", [1, 2, 3, 7, 14, 31, 62, 92, 200, 366])
def test_search_finds_the_exact_limit(limit_days: int) -> None:
    limit, failures = walk(limit_days, 3000)
    assert limit.max_ok == limit_days
    if limit_days < 366:
        assert limit.settled
    assert failures <= 12


def test_known_limit_makes_no_failures() -> None:
    limit, _ = walk(7, 100)
    _, failures = walk(7, 100, limit)
    assert failures == 0


def test_short_range_does_not_probe_beyond() -> None:
    limit = RangeLimit()
    assert limit.next_length(3) == 3
    limit.record_ok(3)
    assert limit.next_length(2) == 2


def test_limit_shrinks_when_server_gets_stricter() -> None:
    limit = RangeLimit(max_ok=10, min_fail=11)
    limit.record_fail(8)
    assert (limit.max_ok, limit.min_fail) == (7, 8)
    assert limit.next_length(100) == 7


def test_single_day_failure_means_unsupported() -> None:
    code = CodeKnowledge()
    code.record_fail(1)
    assert code.unsupported
    assert code.judged


def test_best_resolution_never_finer_than_asked() -> None:
    dialect = EndpointDialect()
    dialect.codes["1"] = CodeKnowledge(Resolution.QUARTER_HOUR)
    dialect.codes["2"] = CodeKnowledge(unsupported=True)
    dialect.codes["3"] = CodeKnowledge(Resolution.DAY)
    dialect.codes["4"] = CodeKnowledge(Resolution.DAY)
    assert dialect.best_resolution(Resolution.QUARTER_HOUR) is Resolution.QUARTER_HOUR
    assert dialect.best_resolution(Resolution.HOUR) is Resolution.DAY
    assert dialect.best_resolution(Resolution.DAY) is Resolution.DAY


def test_choose_prefers_the_longest_possible_range() -> None:
    dialect = EndpointDialect()
    dialect.codes["1"] = CodeKnowledge(Resolution.QUARTER_HOUR, limit=RangeLimit(1, 1, 2))
    dialect.codes["3"] = CodeKnowledge(Resolution.QUARTER_HOUR, limit=RangeLimit(max_ok=1))
    assert dialect.choose(Resolution.QUARTER_HOUR) == "3"
    dialect.codes["3"].limit.record_fail(2)
    dialect.codes["3"].limit.record_fail(2)
    dialect.codes["1"].limit = RangeLimit(max_ok=1)
    assert dialect.choose(Resolution.QUARTER_HOUR) == "1"
    assert dialect.choose(Resolution.HOUR) is None


def test_export_import_round_trip() -> None:
    meter = MeterDialect(meter_type=MeterType.GAS, legacy=True)
    meter.legacy_codes.codes["3"] = CodeKnowledge(Resolution.HOUR, limit=RangeLimit(max_ok=31))
    meter.peak_months.record_ok(12)
    meter.registers = frozenset({Register.CONSUMPTION_HIGH, Register.INJECTION_LOW})
    data = export_dialects({"5414:SER": meter})
    restored = import_dialects(data)["5414:SER"]
    assert restored.to_dict() == meter.to_dict()
    assert restored.measurements.capabilities()[0].max_days == 31
    assert restored.registers == meter.registers


def test_dialect_stored_before_registers_were_kept() -> None:
    """A dialect stored by an earlier version (no registers) loads, knowing none yet."""
    data = export_dialects({"5414:SER": MeterDialect(meter_type=MeterType.GAS)})
    del data["meters"]["5414:SER"]["registers"]
    assert import_dialects(data)["5414:SER"].registers == frozenset()


def test_import_skips_garbage() -> None:
    assert import_dialects({"version": 99}) == {}
    assert import_dialects({"version": 1, "meters": {"a": {"meter_type": "steam"}}}) == {}
    assert import_dialects("nope") == {}  # type: ignore[arg-type]


def test_judge_days_are_published_and_distinct() -> None:
    today = date(2025, 7, 10)
    assert judge_days(date(2025, 7, 1), date(2025, 7, 9), today) == [
        date(2025, 7, 6),
        date(2025, 6, 29),
        date(2025, 7, 1),
    ]
    days = judge_days(date(2024, 1, 1), date(2024, 1, 31), today)
    assert days[0] == date(2024, 1, 31)
    assert all(day < today for day in days)
