"""`fluvius export`: every value, unit, status and interval equals the simulator's truth, in
named and random dialects, electricity and gas (both readings of a daily gas window), CSV and
JSON, at the finest resolution served and at the coarser ones asked for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import csv
from datetime import date, datetime, timedelta
import math

import pytest

from custom_components.fluvius.api import Resolution
from tests.simulator import BRUSSELS, FluviusSimulator, SimMeter, make_ean, resolve_dialect
from tests.simulator.demo import ELEC_EAN, GAS_EAN, GAS_SERIAL, INSTALLED

from .conftest import Cli, instant

# DEMO_NOW is 2026-04-15 10:00 UTC: electricity is published up to the 14th, gas up to the 12th.
FIRST, LAST = date(2026, 4, 12), date(2026, 4, 14)
GAS_FIRST, GAS_LAST = date(2026, 4, 10), date(2026, 4, 12)

Table = dict[tuple[datetime, datetime], dict[str, tuple[float, str, str, str]]]


def finest(dialect: str, *, gas: bool) -> str:
    """The finest resolution the dialect's codes serve (gas: hourly at best)."""
    offered = {resolution for resolution, _ in resolve_dialect(dialect).values()}
    order = ["hour", "day"] if gas else ["quarter_hour", "hour", "day"]
    if gas and "quarter_hour" in offered:
        offered.add("hour")
    return next(r for r in order if r in offered)


def table(rows: Iterable[Mapping[str, object]]) -> Table:
    """Rows by interval: register -> (value, unit, status, resolution)."""
    out: Table = {}
    for row in rows:
        key = (instant(str(row["start"])), instant(str(row["end"])))
        register = str(row["register"])
        assert register not in out.setdefault(key, {}), row
        out[key][register] = (
            float(str(row["value"])),
            str(row["unit"]),
            str(row["status"]),
            str(row["resolution"]),
        )
    return out


def truth_table(sim: FluviusSimulator, ean: str, first: date, last: date, resolution: str) -> Table:
    """What the portal has published now for first..last, from the simulator's truth."""
    truth = sim.truth(ean)
    start, end = truth.day_bounds(first)[0], truth.day_bounds(last)[1]
    return {
        (p.start, p.end): {
            register: (
                value,
                "m³" if register == "gas_volume" else "kWh",
                "measured" if p.status == 2 else "estimated",
                resolution,
            )
            for register, value in p.values.items()
        }
        for p in truth.periods(start, end, resolution, sim.clock.now())
    }


@pytest.mark.parametrize("dialect", ["live", "live_3qh", "dialect_a", "random:1", "random:2"])
async def test_csv_equals_the_truth(simulator: FluviusSimulator, cli: Cli, dialect: str) -> None:
    """Default resolution: the finest the meter is served in, whatever the codes mean."""
    simulator.options.dialect = dialect
    result = await cli("export", "--from", str(FIRST), "--until", str(LAST))
    assert result.code == 0, result.err
    expected = truth_table(simulator, ELEC_EAN, FIRST, LAST, finest(dialect, gas=False))
    assert len(expected) == {"quarter_hour": 288, "hour": 72, "day": 3}[finest(dialect, gas=False)]
    assert table(result.csv()) == expected


@pytest.mark.parametrize(
    ("dialect", "resolution"),
    [("live", "hour"), ("live", "day"), ("random:3", "hour"), ("live_3qh", "quarter-hour")],
)
async def test_json_at_a_coarser_resolution(
    simulator: FluviusSimulator, cli: Cli, dialect: str, resolution: str
) -> None:
    """--resolution hour on a meter whose codes serve no hours (random:3): its quarter-hours
    summed, exactly the truth's hours; times written in FLUVIUS_TIMEZONE."""
    simulator.options.dialect = dialect
    assert dialect != "random:3" or "hour" not in {r for r, _ in resolve_dialect(dialect).values()}
    result = await cli(
        "export", "--days-back", "3", "--resolution", resolution, "--format", "json",
        timezone="America/New_York",
    )  # fmt: skip
    assert result.code == 0, result.err
    document = result.json()
    assert document["resolution"] == Resolution[resolution.upper().replace("-", "_")].value
    assert (document["from"], document["until"]) == (str(FIRST), str(LAST))
    assert document["meter"] == "…" + ELEC_EAN[-4:]
    assert all(row["start"].endswith("-04:00") for row in document["rows"])
    wanted = document["resolution"]
    assert table(document["rows"]) == truth_table(simulator, ELEC_EAN, FIRST, LAST, wanted)


@pytest.mark.parametrize("reading", ["start", "inside"])
@pytest.mark.parametrize(("dialect", "resolution"), [("live", None), ("random:7", "day")])
async def test_gas_days_under_both_readings(
    simulator: FluviusSimulator, cli: Cli, reading: str, dialect: str, resolution: str | None
) -> None:
    """Gas: hours, and gas days 06:00 to 06:00, in m³ and kWh, whichever way the daily
    code reads its window."""
    simulator.options.dialect = dialect
    simulator.options.gas_daily_window = reading
    args = ["export", "--from", str(GAS_FIRST), "--until", str(GAS_LAST)]
    result = await cli(
        *args, *(["--resolution", resolution] if resolution else []),
        ean=GAS_EAN, meter_serial=GAS_SERIAL,
    )  # fmt: skip
    assert result.code == 0, result.err
    wanted = resolution or finest(dialect, gas=True)
    expected = truth_table(simulator, GAS_EAN, GAS_FIRST, GAS_LAST, wanted)
    assert len(expected) == (72 if wanted == "hour" else 3)
    assert table(result.csv()) == expected
    if wanted == "day":
        starts = sorted(start for start, _ in expected)
        assert all(s.astimezone(BRUSSELS).hour == 6 for s in starts)
    # The days past the last published gas day: said on stderr, not made up.
    assert simulator.truth(GAS_EAN).last_published_day() == GAS_LAST
    late = await cli(
        "export", "--days-back", "5", "--resolution", wanted.replace("_", "-"),
        ean=GAS_EAN, meter_serial=GAS_SERIAL,
    )  # fmt: skip
    assert late.code == 0
    assert table(late.csv()) == truth_table(simulator, GAS_EAN, GAS_FIRST, LAST, wanted)
    assert "no data published for 2 day(s), 2026-04-13 to 2026-04-14" in late.err


async def test_a_meter_with_daily_values_only(simulator: FluviusSimulator, cli: Cli) -> None:
    """Its quarter-hours were never requested: daily totals, exactly, and the steps to take."""
    ean = make_ean("54144882300055555")
    simulator.add_account(
        "daily@fluvius.test",
        "Dagelijks-2026",
        meters=[SimMeter(ean, "1SAG1100055555", "electricity", INSTALLED, access="daily")],
    )
    account = {"ean": ean, "meter_serial": "1SAG1100055555", "login": "daily@fluvius.test"}
    result = await cli("export", "--days-back", "3", password="Dagelijks-2026", **account)
    assert result.code == 0, result.err
    assert table(result.csv()) == truth_table(simulator, ean, FIRST, LAST, "day")
    asked = await cli(
        "export", "--days-back", "3", "--resolution", "quarter-hour",
        password="Dagelijks-2026", **account,
    )  # fmt: skip
    assert asked.code == 0
    assert table(asked.csv()) == truth_table(simulator, ean, FIRST, LAST, "day")
    assert "only daily values" in asked.err
    assert "Verbruik → Aanvragen" in asked.err


async def test_a_year_of_quarter_hours_within_the_budget(
    simulator: FluviusSimulator, cli: Cli, tmp_path
) -> None:
    """365 days on the live portal (one day per quarter-hour request): every value, about one
    request per day as the integration's history import, progress on stderr."""
    simulator.reset_stats()
    out = tmp_path / "year.csv"
    result = await cli("export", "--days-back", "365", "--output", str(out))
    assert result.code == 0, result.err
    assert result.out == ""
    first = LAST - timedelta(days=364)
    with out.open(encoding="utf-8") as handle:
        rows = table(csv.DictReader(handle))
    expected = truth_table(simulator, ELEC_EAN, first, LAST, "quarter_hour")
    assert len(expected) == 365 * 96
    assert rows == expected
    data = simulator.stats.requests["measurements"]
    print(f"365-day export: {data} data requests, {sum(simulator.stats.requests.values())} in all")
    # One request per day, one daily request per 31-day step, a few to judge the codes.
    assert data <= 365 + math.ceil(365 / 31) + 10, data
    progress = [line for line in result.err.splitlines() if "requests" in line]
    assert len(progress) == math.ceil(365 / 31)
    assert progress[-1].startswith(f"fluvius: {LAST} (12/12)")
