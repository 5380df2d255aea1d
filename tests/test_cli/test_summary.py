"""`fluvius summary` and `fluvius peaks`: totals, net usage and peaks equal the truth."""

from __future__ import annotations

from datetime import date

import pytest

from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN, GAS_EAN, GAS_SERIAL, SINGLE_EAN, SINGLE_SERIAL

from .conftest import Cli, days, instant

FIRST, LAST = date(2026, 3, 29), date(2026, 4, 14)  # across the DST change and a month end
CONSUMPTION = ("consumption_high", "consumption_low", "consumption_single")
INJECTION = ("injection_high", "injection_low", "injection_single")


@pytest.mark.parametrize(
    ("ean", "serial"), [(ELEC_EAN, None), (SINGLE_EAN, SINGLE_SERIAL)], ids=["dual", "single"]
)
@pytest.mark.parametrize("dialect", ["live", "random:5"])
async def test_summary_equals_the_truth(
    simulator: FluviusSimulator, cli: Cli, ean: str, serial: str | None, dialect: str
) -> None:
    simulator.options.dialect = dialect
    extra = {"ean": ean, "meter_serial": serial} if serial else {}
    args = ("summary", "--from", str(FIRST), "--until", str(LAST))
    result = await cli(*args, "--format", "json", **extra)
    assert result.code == 0, result.err
    summary = result.json()
    truth = simulator.truth(ean)
    now = simulator.clock.now()
    expected = {day.isoformat(): truth.daily(day, as_of=now) for day in days(FIRST, LAST)}
    assert [d["day"] for d in summary["days"]] == list(expected)
    registers = sorted(next(iter(expected.values())))
    for day in summary["days"]:
        assert {r: day[r] for r in registers} == expected[day["day"]]
        consumption = round(sum(expected[day["day"]].get(r, 0) for r in CONSUMPTION), 3)
        injection = round(sum(expected[day["day"]].get(r, 0) for r in INJECTION), 3)
        assert (day["consumption"], day["injection"]) == (consumption, injection)
        assert day["net"] == round(consumption - injection, 3)
    total = {r: round(sum(v[r] for v in expected.values()), 3) for r in registers}
    assert {r: summary["total"][r] for r in registers} == total
    consumption = round(sum(total.get(r, 0) for r in CONSUMPTION), 3)
    injection = round(sum(total.get(r, 0) for r in INJECTION), 3)
    assert summary["total"]["consumption"] == consumption
    assert summary["total"]["injection"] == injection
    assert summary["total"]["net"] == round(consumption - injection, 3)
    # The peak of each month of the range.
    peaks = {
        (p["month"], p["kw"], instant(p["start"]), instant(p["end"])) for p in summary["peaks"]
    }
    assert peaks == {
        (f"2026-{month:02d}", *truth.monthly_peak(2026, month, as_of=now)) for month in (3, 4)
    }

    text = await cli(*args, **extra)
    assert text.code == 0
    lines = text.out.splitlines()
    total_line = next(line for line in lines if line.startswith("total"))
    columns = [f"{total[r]:.3f}" for r in sorted(total, key=order)]
    assert total_line.split() == ["total", *columns, f"{summary['total']['net']:.3f}"]
    assert f"net usage {summary['total']['net']:.3f} kWh" in text.out
    assert any(
        line.split()[:2] == ["2026-04", f"{peaks_kw(summary, '2026-04'):.3f}"] for line in lines
    )


def order(register: str) -> int:
    return [*CONSUMPTION, *INJECTION].index(register)


def peaks_kw(summary: dict, month: str) -> float:
    return next(p["kw"] for p in summary["peaks"] if p["month"] == month)


@pytest.mark.parametrize("reading", ["start", "inside"])
async def test_gas_summary_in_gas_days(simulator: FluviusSimulator, cli: Cli, reading: str) -> None:
    simulator.options.gas_daily_window = reading
    first, last = date(2026, 3, 20), date(2026, 4, 12)
    result = await cli(
        "summary", "--from", str(first), "--until", str(last), "--format", "json",
        ean=GAS_EAN, meter_serial=GAS_SERIAL,
    )  # fmt: skip
    assert result.code == 0, result.err
    summary = result.json()
    truth, now = simulator.truth(GAS_EAN), simulator.clock.now()
    expected = {day.isoformat(): truth.daily(day, as_of=now) for day in days(first, last)}
    assert {d["day"]: {"gas_volume": d["gas_volume"], "gas_energy": d["gas_energy"]}
            for d in summary["days"]} == expected  # fmt: skip
    for register in ("gas_volume", "gas_energy"):
        total = round(sum(v[register] for v in expected.values()), 3)
        assert summary["total"][register] == total
    assert summary["units"] == {"gas_volume": "m³", "gas_energy": "kWh"}
    assert summary["peaks"] == []


async def test_peaks_and_the_capacity_average(simulator: FluviusSimulator, cli: Cli) -> None:
    """Twelve months of peaks as the truth has them; the average counts each month as at
    least 2.5 kW."""
    result = await cli("peaks", "--format", "json")
    assert result.code == 0, result.err
    report = result.json()
    truth, now = simulator.truth(ELEC_EAN), simulator.clock.now()
    months = [(2025, m) for m in range(5, 13)] + [(2026, m) for m in range(1, 5)]
    expected = [(f"{y}-{m:02d}", *truth.monthly_peak(y, m, as_of=now)) for y, m in months]
    got = [(p["month"], p["kw"], instant(p["start"]), instant(p["end"])) for p in report["months"]]
    assert got == expected
    counted = [max(kw, 2.5) for _, kw, _, _ in expected]
    assert report["average_kw"] == round(sum(counted) / 12, 3)
    assert report["floor_kw"] == 2.5

    text = await cli("peaks", "--from", "2025-11", "--until", "2026-02")
    assert text.code == 0
    lines = text.out.splitlines()
    assert [line.split()[0] for line in lines[1:5]] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    expected_four = [
        max(kw, 2.5) for month, kw, _, _ in expected if "2025-11" <= month <= "2026-02"
    ]
    assert lines[5].endswith(f"{round(sum(expected_four) / 4, 3):.3f} kW")

    gas = await cli("peaks", ean=GAS_EAN, meter_serial=GAS_SERIAL)
    assert gas.code == 2
    assert "electricity meters only" in gas.err
