"""Payload → model parsing, current and legacy, on hand-written samples."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.fluvius.api.errors import (
    FluviusMeterNotAccessibleError,
    FluviusPayloadError,
)
from custom_components.fluvius.api.models import (
    Interval,
    MeterType,
    Reading,
    Register,
    Resolution,
    ValueStatus,
)
from custom_components.fluvius.api.parsing import (
    absent_as_zero,
    judge_resolution,
    load_json,
    merge_intervals,
    merge_peaks,
    parse_legacy_measurements,
    parse_legacy_peaks,
    parse_measurements,
    parse_peaks,
)

T0 = datetime(2025, 6, 30, 22, tzinfo=UTC)


def z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def period(start: datetime, minutes: int, values: list[dict]) -> dict:
    return {"d": z(start), "de": z(start + timedelta(minutes=minutes)), "v": values}


def reading(t: int, dc: int, v: float, *, u: int = 3, vs: int = 2) -> dict:
    return {"dc": dc, "t": t, "st": 0, "v": v, "vs": vs, "u": u, "gcuv": None}


def test_electricity_registers_t_direction_dc_tariff() -> None:
    payload = [
        period(
            T0,
            15,
            [reading(1, 1, 0.1), reading(1, 2, 0.2), reading(2, 1, 0.3), reading(2, 2, 0.4, vs=1)],
        ),
    ]
    parsed = parse_measurements(payload)
    assert parsed.meter_type is MeterType.ELECTRICITY
    assert parsed.resolution is Resolution.QUARTER_HOUR
    (interval,) = parsed.intervals
    assert interval.start == T0
    assert interval.end == T0 + timedelta(minutes=15)
    assert interval.value(Register.CONSUMPTION_HIGH) == 0.1
    assert interval.value(Register.CONSUMPTION_LOW) == 0.2
    assert interval.value(Register.INJECTION_HIGH) == 0.3
    assert interval.value(Register.INJECTION_LOW) == 0.4
    assert interval.readings[Register.INJECTION_LOW].status is ValueStatus.ESTIMATED
    assert interval.readings[Register.CONSUMPTION_HIGH].status is ValueStatus.MEASURED
    assert not interval.final


def test_single_register_electricity() -> None:
    parsed = parse_measurements([period(T0, 60, [reading(1, 0, 1.5), reading(2, 0, 0.5)])])
    (interval,) = parsed.intervals
    assert interval.readings.keys() == {Register.CONSUMPTION_SINGLE, Register.INJECTION_SINGLE}
    assert parsed.resolution is Resolution.HOUR


def test_gas_detected_from_cubic_metres() -> None:
    payload = [period(T0, 60, [reading(1, 0, 11.2), reading(1, 0, 1.0, u=5)])]
    parsed = parse_measurements(payload)
    assert parsed.meter_type is MeterType.GAS
    (interval,) = parsed.intervals
    assert interval.value(Register.GAS_ENERGY) == 11.2
    assert interval.value(Register.GAS_VOLUME) == 1.0


def test_numbers_as_strings_and_unknown_units() -> None:
    payload = [
        period(
            T0,
            15,
            [
                {"t": "1", "dc": "1", "v": "0.25", "vs": "2", "u": "3"},
                reading(1, 1, 9.0, u=99),
                {"t": 1, "dc": 2, "v": None, "u": 3},
            ],
        )
    ]
    (interval,) = parse_measurements(payload).intervals
    assert interval.readings == {
        Register.CONSUMPTION_HIGH: interval.readings[Register.CONSUMPTION_HIGH]
    }
    assert interval.value(Register.CONSUMPTION_HIGH) == 0.25
    assert interval.final


def test_day_periods_including_dst() -> None:
    days = [
        period(datetime(2025, 10, 25, 22, tzinfo=UTC), 25 * 60, [reading(1, 1, 5)]),
        period(datetime(2025, 10, 26, 23, tzinfo=UTC), 24 * 60, [reading(1, 1, 5)]),
    ]
    assert parse_measurements(days).resolution is Resolution.DAY


def test_empty_answer_is_inconclusive() -> None:
    parsed = parse_measurements([])
    assert parsed.intervals == []
    assert parsed.resolution is None
    assert parsed.meter_type is None


def test_unknown_period_length() -> None:
    month = period(T0, 31 * 24 * 60, [reading(1, 1, 1)])
    assert judge_resolution(parse_measurements([month]).intervals) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"d": "x"},
        [{"d": "nonsense", "de": "2025-07-01T00:00:00Z", "v": []}],
        [{"de": "2025-07-01T00:00:00Z", "v": []}],
        [{"d": "2025-07-01T00:00:00Z", "de": "2025-06-01T00:00:00Z", "v": []}],
        [{"d": "2025-07-01T00:00:00Z", "de": "2025-07-01T00:15:00Z", "v": "x"}],
        ["not an object"],
    ],
)
def test_wrong_shapes(payload: object) -> None:
    with pytest.raises(FluviusPayloadError):
        parse_measurements(payload)


def test_load_json_reports_html_and_garbage() -> None:
    assert load_json(b'[{"a": 1}]', "x") == [{"a": 1}]
    with pytest.raises(FluviusPayloadError, match="HTML"):
        load_json(b"<html><body>Onderhoud</body></html>", "x")
    with pytest.raises(FluviusPayloadError, match="invalid JSON"):
        load_json(b'[{"d": "2025-', "x")
    with pytest.raises(FluviusPayloadError):
        load_json(b"[" * 100_000 + b"]" * 100_000, "x")
    with pytest.raises(FluviusPayloadError):
        load_json(b"\xff\xfe", "x")


def legacy_row(start: datetime, minutes: int, **values: float | int | None) -> dict:
    return {"d": z(start), "de": z(start + timedelta(minutes=minutes)), **values}


def test_legacy_picks_the_matching_serial() -> None:
    payload = [
        {
            "sn": "DECOY",
            "mdf": None,
            "mdu": None,
            "val": [legacy_row(T0, 15, oh=9.9, ol=9.9, ih=9.9, il=9.9)],
        },
        {
            "sn": "1sag1100000001",
            "val": [
                legacy_row(
                    T0,
                    15,
                    oh=0.1,
                    ohvs=2,
                    ol=0.0,
                    olvs=2,
                    ih=0.3,
                    ihvs=1,
                    il=0.0,
                    ilvs=2,
                    ok=None,
                    om=None,
                )
            ],
        },
    ]
    parsed = parse_legacy_measurements(payload, "1SAG1100000001")
    (interval,) = parsed.intervals
    assert parsed.meter_type is MeterType.ELECTRICITY
    assert interval.value(Register.CONSUMPTION_HIGH) == 0.1
    assert interval.value(Register.INJECTION_HIGH) == 0.3
    assert interval.readings[Register.INJECTION_HIGH].status is ValueStatus.ESTIMATED
    assert Register.GAS_ENERGY not in interval.readings


def test_legacy_single_register_uses_the_high_keys() -> None:
    row = legacy_row(T0, 15, oh=0.4, ohvs=2, ol=None, ih=0.1, ihvs=3, il=None, ok=None, om=None)
    parsed = parse_legacy_measurements([{"sn": "S", "val": [row]}], "S")
    (interval,) = parsed.intervals
    assert interval.readings.keys() == {Register.CONSUMPTION_SINGLE, Register.INJECTION_SINGLE}
    assert interval.readings[Register.INJECTION_SINGLE].status is ValueStatus.ESTIMATED


def test_legacy_gas() -> None:
    payload = [{"sn": "1KFM", "val": [legacy_row(T0, 60, ok=10.5, okvs=2, om=0.95, omvs=2)]}]
    parsed = parse_legacy_measurements(payload, "1KFM")
    assert parsed.meter_type is MeterType.GAS
    (interval,) = parsed.intervals
    assert interval.value(Register.GAS_ENERGY) == 10.5
    assert interval.value(Register.GAS_VOLUME) == 0.95


def test_legacy_without_serial_takes_the_meter_in_service() -> None:
    payload = [
        {"sn": "OLD", "mdu": "2023-08-31T22:00:00Z", "val": [legacy_row(T0, 15, oh=9.0, ol=1.0)]},
        {"sn": "NEW", "mdu": None, "val": [legacy_row(T0, 15, oh=0.5, ol=0.0)]},
    ]
    (interval,) = parse_legacy_measurements(payload, "").intervals
    assert interval.value(Register.CONSUMPTION_HIGH) == 0.5
    with pytest.raises(FluviusMeterNotAccessibleError):
        parse_legacy_measurements([*payload, {"sn": "X", "mdu": None, "val": []}], " ")


def test_legacy_unknown_serial() -> None:
    with pytest.raises(FluviusMeterNotAccessibleError):
        parse_legacy_measurements([{"sn": "OTHER", "val": []}], "MINE")
    assert parse_legacy_measurements([], "MINE").intervals == []


def test_peaks_current_and_legacy() -> None:
    current = [
        {
            "d": "2023-12-31T23:00:00Z",
            "de": "2024-01-31T23:00:00Z",
            "v": [{"v": 5.432, "sst": "2024-01-14T11:00:00Z", "set": "2024-01-14T11:15:00Z"}],
        },
        {"d": "2024-01-31T23:00:00Z", "de": "2024-02-29T23:00:00Z", "v": []},
    ]
    (peak,) = parse_peaks(current)
    assert peak.month == date(2024, 1, 1)
    assert peak.power_kw == 5.432
    assert peak.start == datetime(2024, 1, 14, 11, tzinfo=UTC)
    assert peak.end == datetime(2024, 1, 14, 11, 15, tzinfo=UTC)
    legacy = [
        {
            "sn": "X",
            "val": [
                {
                    "d": "2024-06-30T22:00:00Z",
                    "de": "2024-07-31T22:00:00Z",
                    "o": "3.1",
                    "ovs": 2,
                    "tscs": "2024-07-02T18:00:00Z",
                    "tecs": "2024-07-02T18:15:00Z",
                }
            ],
        }
    ]
    (old,) = parse_legacy_peaks(legacy, "x")
    assert (old.month, old.power_kw) == (date(2024, 7, 1), 3.1)


def test_merge_sorts_dedupes_and_clips() -> None:
    first = parse_measurements(
        [
            period(T0 + timedelta(minutes=15), 15, [reading(1, 1, 1)]),
            period(T0, 15, [reading(1, 1, 2)]),
        ]
    ).intervals
    second = parse_measurements(
        [
            period(T0 + timedelta(minutes=15), 15, [reading(1, 1, 3)]),
            period(T0 - timedelta(minutes=15), 15, [reading(1, 1, 4)]),
        ]
    ).intervals
    merged = merge_intervals([first, second], T0, T0 + timedelta(hours=1))
    assert [i.start for i in merged] == [T0, T0 + timedelta(minutes=15)]
    assert merged[1].value(Register.CONSUMPTION_HIGH) == 3


def test_merge_peaks_one_per_month() -> None:
    a = parse_peaks(
        [
            {
                "d": "2024-01-31T23:00:00Z",
                "de": "2024-02-29T23:00:00Z",
                "v": [{"v": 2, "sst": "2024-02-01T10:00:00Z", "set": "2024-02-01T10:15:00Z"}],
            }
        ]
    )
    b = parse_peaks(
        [
            {
                "d": "2024-01-31T23:00:00Z",
                "de": "2024-02-29T23:00:00Z",
                "v": [{"v": 4, "sst": "2024-02-02T10:00:00Z", "set": "2024-02-02T10:15:00Z"}],
            }
        ]
    )
    assert [p.power_kw for p in merge_peaks([a, b])] == [4]


def test_absent_register_reads_zero() -> None:
    """A register the meter is known to have, left out of a period (a Saturday's day tariff,
    a night's injection, a gas hour without use), reads 0 with the period's status; a
    register never seen is not added; a period listing everything is kept as it is."""
    high, low = Register.CONSUMPTION_HIGH, Register.CONSUMPTION_LOW
    parsed = parse_measurements(
        [
            period(T0, 15, [reading(1, 2, 0.25)]),
            period(T0 + timedelta(minutes=15), 15, [reading(1, 2, 0.5, vs=1)]),
            period(T0 + timedelta(minutes=30), 15, []),
            period(T0 + timedelta(minutes=45), 15, [reading(1, 1, 0.1), reading(1, 2, 0.2)]),
        ]
    )
    filled = absent_as_zero(parsed.intervals, [high, low])
    assert [{r: v.value for r, v in i.readings.items()} for i in filled] == [
        {high: 0.0, low: 0.25},
        {high: 0.0, low: 0.5},
        {high: 0.0, low: 0.0},
        {high: 0.1, low: 0.2},
    ]
    assert [i.readings[high].status for i in filled[:3]] == [
        ValueStatus.MEASURED,
        ValueStatus.ESTIMATED,
        ValueStatus.MEASURED,
    ]
    assert filled[3] is parsed.intervals[3]
    assert absent_as_zero(parsed.intervals, []) == parsed.intervals
    unseen = absent_as_zero([Interval(T0, T0 + timedelta(hours=1))], [Register.GAS_VOLUME])
    assert unseen[0].readings == {Register.GAS_VOLUME: Reading(0.0, ValueStatus.MEASURED)}
