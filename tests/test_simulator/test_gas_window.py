"""The daily codes' window on gas meters: gas days starting in it, or wholly inside it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.simulator import (
    BRUSSELS,
    DAILY,
    DIALECTS,
    GAS_DAILY_WINDOWS,
    REGISTER_CODES,
    FluviusSimulator,
    SimClock,
    SimOptions,
    gas_daily_window_of,
    random_dialect,
    random_gas_daily_window,
)
from tests.simulator.data import GAS_ENERGY, GAS_VOLUME
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_NOW,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
)

from .conftest import SimFactory
from .reference import RefClient, day_window, gas_day_window

WINTER = date(2026, 1, 14)  # long final at DEMO_NOW
SPRING_DST = date(2026, 3, 28)  # gas day 2026-03-28 has 23 hours
GAS_PATH = f"/verbruik/api/meter-measurement-history/{GAS_EAN}"
LEGACY_GAS_PATH = f"/verbruik/api/consumption-histories/{GAS_EAN}"
ELEC_PATH = f"/verbruik/api/meter-measurement-history/{ELEC_EAN}"
INSIDE_SEEDS = [1, 3, 4, 7, 8, 12, 15, 21, 22, 23, 27, 29, 30, 37, 38, 39, 41, 42, 44, 45, 46, 50]
REGISTER_OF = {codes: register for register, codes in REGISTER_CODES.items()}


def to_utc(stamp: str) -> str:
    """A local stamp with offset as the legacy endpoints' UTC `...Z` form."""
    value = datetime.fromisoformat(stamp).astimezone(UTC)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def logged_in(sim: FluviusSimulator) -> tuple[RefClient, str]:
    client = RefClient(sim)
    tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    return client, tokens["access_token"]


async def gas_daily(
    client: RefClient, token: str, window: tuple[str, str], code: str, *, legacy: bool
) -> dict[date, dict[str, float]]:
    """{gas day: register values} a daily request serves, on either endpoint."""
    start, end = window
    query = {"granularity": code, "asServiceProvider": "false"}
    if legacy:
        query |= {"historyFrom": to_utc(start), "historyUntil": to_utc(end)}
        resp = await client.get(LEGACY_GAS_PATH, token, query)
        assert resp.status == 200, await resp.text()
        (meter,) = await resp.json()
        rows: list[dict[str, Any]] = meter["val"]
        served = {row["d"]: {GAS_VOLUME: row["om"], GAS_ENERGY: row["ok"]} for row in rows}
    else:
        query |= {"historyFrom": start, "historyUntil": end, "meterSerialNumber": GAS_SERIAL}
        resp = await client.get(GAS_PATH, token, query)
        assert resp.status == 200, await resp.text()
        served = {
            period["d"]: {REGISTER_OF[(e["t"], e["dc"], e["u"])]: e["v"] for e in period["v"]}
            for period in await resp.json()
        }
    days: dict[date, dict[str, float]] = {}
    for start_z, values in served.items():
        local = datetime.fromisoformat(start_z).astimezone(BRUSSELS)
        assert local.hour == 6  # a gas day
        days[local.date()] = values
    return days


# --- tables and options --------------------------------------------------------------------


def test_readings_of_dialects() -> None:
    assert GAS_DAILY_WINDOWS == ("start", "inside")
    assert all(gas_daily_window_of(name) == "start" for name in DIALECTS)
    assert gas_daily_window_of({"9": (DAILY, 3)}) == "start"
    inside = [seed for seed in range(1, 51) if random_gas_daily_window(seed) == "inside"]
    assert inside == INSIDE_SEEDS
    assert random_gas_daily_window(42) == "inside"
    assert random_gas_daily_window(2) == "start"
    for seed in (0, 2, 42, "abc"):
        assert gas_daily_window_of(f"random:{seed}") == random_gas_daily_window(seed)
        assert random_gas_daily_window(seed) == random_gas_daily_window(str(seed))
    with pytest.raises(ValueError, match="unknown dialect"):
        gas_daily_window_of("nope")


def test_option() -> None:
    options = SimOptions()
    assert options.gas_daily_window is None
    assert options.gas_daily_window_style() == "start"
    with pytest.raises(ValueError, match="gas_daily_window"):
        options.gas_daily_window = "outside"
    with pytest.raises(ValueError, match="gas_daily_window"):
        SimOptions(gas_daily_window="calendar")
    options.dialect = "random:42"
    assert options.gas_daily_window_style() == "inside"
    options.gas_daily_window = "start"  # the option wins
    assert options.gas_daily_window_style() == "start"
    options.dialect = "random:2"
    options.gas_daily_window = "inside"
    assert options.gas_daily_window_style() == "inside"
    options.gas_daily_window = None
    assert options.gas_daily_window_style() == "start"
    assert FluviusSimulator(SimClock(DEMO_NOW)).options.gas_daily_window_style() == "start"


# --- over HTTP -----------------------------------------------------------------------------


def expected_days(reading: str, shape: str, first: date, count: int) -> list[date]:
    """The gas days a window of `count` days from `first` holds under a reading."""
    held = count - 1 if reading == "inside" and shape == "calendar" else count
    return [first + timedelta(days=i) for i in range(held)]


def window_of(shape: str, first: date, count: int) -> tuple[str, str]:
    last = first + timedelta(days=count - 1)
    if shape == "calendar":
        return day_window(first, last)
    if shape == "gas":
        return gas_day_window(first, last)
    # A gas-day window ending at 06:00:00.000 holds the same gas days.
    start, _ = gas_day_window(first, last)
    return start, gas_day_window(last + timedelta(days=1), last + timedelta(days=1))[0]


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
@pytest.mark.parametrize("reading", ["start", "inside"])
async def test_windows_against_the_truth(make_sim: SimFactory, reading: str, legacy: bool) -> None:
    sim = await make_sim(gas_daily_window=reading)
    assert sim.options.gas_daily_window_style() == reading
    truth = sim.truth(GAS_EAN)
    client, token = await logged_in(sim)
    async with client:
        for first in (WINTER, SPRING_DST):
            for shape in ("calendar", "gas", "gas_0600"):
                for count in (1, 2, 5):
                    for code in ("3", "4"):
                        window = window_of(shape, first, count)
                        got = await gas_daily(client, token, window, code, legacy=legacy)
                        days = expected_days(reading, shape, first, count)
                        assert list(got) == days, (shape, count, code)
                        assert got == {day: truth.daily(day) for day in days}
                        record = sim.request_log[-1]
                        assert record.refused is None
                        assert record.withheld is None


@pytest.mark.parametrize("reading", ["start", "inside"])
async def test_odd_windows(make_sim: SimFactory, reading: str) -> None:
    sim = await make_sim(gas_daily_window=reading)
    client, token = await logged_in(sim)
    async with client:
        # 03:00 on the 14th to 12:00 on the 15th: gas days 14 and 15 start inside, 14 only
        # lies wholly inside.
        window = ("2026-01-14T03:00:00.000+01:00", "2026-01-15T12:00:00.000+01:00")
        got = await gas_daily(client, token, window, "4", legacy=False)
        whole = [WINTER] if reading == "inside" else [WINTER, WINTER + timedelta(days=1)]
        assert list(got) == whole
        # Only 05:59:59.999 counts as the next instant; 05:59:59.998 ends short of 06:00.
        short = ("2026-01-14T06:00:00.000+01:00", "2026-01-15T05:59:59.998+01:00")
        got = await gas_daily(client, token, short, "4", legacy=False)
        assert list(got) == ([] if reading == "inside" else [WINTER])


async def test_sub_daily_gas_codes_and_electricity_keep_their_rules(make_sim: SimFactory) -> None:
    sim = await make_sim(gas_daily_window="inside")
    client, token = await logged_in(sim)
    async with client:
        query = {"granularity": "2", "asServiceProvider": "false", "meterSerialNumber": GAS_SERIAL}
        start, end = gas_day_window(WINTER, WINTER)
        resp = await client.get(
            GAS_PATH, token, query | {"historyFrom": start, "historyUntil": end}
        )
        assert len(await resp.json()) == 24
        start, end = day_window(WINTER, WINTER)
        resp = await client.get(
            GAS_PATH, token, query | {"historyFrom": start, "historyUntil": end}
        )
        assert resp.status == 200
        assert await resp.json() == []
        assert "whole gas days" in (sim.request_log[-1].refused or "")
        # Electricity days are calendar days: a calendar window holds its day.
        resp = await client.measurements(
            token, ELEC_EAN, ELEC_SERIAL, WINTER, WINTER, granularity="4"
        )
        (period,) = await resp.json()
        assert period["d"] == "2026-01-13T23:00:00Z"


@pytest.mark.parametrize(("seed", "reading"), [(42, "inside"), (2, "start")])
async def test_random_dialects_pick_a_reading(
    make_sim: SimFactory, seed: int, reading: str
) -> None:
    sim = await make_sim(dialect=f"random:{seed}")
    assert sim.options.gas_daily_window_style() == reading
    code = next(c for c, (res, _) in random_dialect(seed).items() if res == DAILY)
    client, token = await logged_in(sim)
    async with client:
        for legacy in (False, True):
            calendar = await gas_daily(
                client, token, day_window(WINTER, WINTER), code, legacy=legacy
            )
            assert list(calendar) == ([] if reading == "inside" else [WINTER])
            gas = await gas_daily(
                client, token, gas_day_window(WINTER, WINTER), code, legacy=legacy
            )
            assert list(gas) == [WINTER]
        # A live change of the option takes effect at once.
        sim.options.gas_daily_window = "start" if reading == "inside" else "inside"
        calendar = await gas_daily(client, token, day_window(WINTER, WINTER), code, legacy=False)
        assert list(calendar) == ([WINTER] if reading == "inside" else [])
