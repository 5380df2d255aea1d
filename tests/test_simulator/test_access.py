"""Per-meter data access: nothing, daily values only, or detailed data from a date on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.simulator import (
    ACCESS_LEVELS,
    BRUSSELS,
    FluviusSimulator,
    SimClock,
    SimMeter,
    make_ean,
)
from tests.simulator.demo import DEMO_NOW, ELEC_EAN, ELEC_SERIAL, INSTALLED

from .conftest import SimFactory
from .reference import RefClient, day_window, gas_day_window

EMAIL = "aanvraag@fluvius.test"
PASSWORD = "Kwartier-Alle-2026!"
ELEC = {
    "none": (make_ean("54144882300055501"), "1SAG1100055501"),
    "daily": (make_ean("54144882300055502"), "1SAG1100055502"),
    "detailed": (make_ean("54144882300055503"), "1SAG1100055503"),
}
GAS = {
    "none": (make_ean("54144882300055511"), "1KFM0020055511"),
    "daily": (make_ean("54144882300055512"), "1KFM0020055512"),
    "detailed": (make_ean("54144882300055513"), "1KFM0020055513"),
}
DAY = date(2026, 4, 1)  # final at DEMO_NOW, electricity and gas
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
WITHHELD = {
    "none": "no access",
    "daily": "daily access only",
    "since": "before the detailed history start",
}
STYLES = [("live", "empty"), ("dialect_a", "400")]
REASONS = {"no access", "daily access only", "before the detailed history start"}


def meters() -> list[SimMeter]:
    """One electricity and one gas meter per access level."""
    return [
        *(SimMeter(ean, sn, "electricity", INSTALLED, access=lv) for lv, (ean, sn) in ELEC.items()),
        *(SimMeter(ean, sn, "gas", INSTALLED, access=lv) for lv, (ean, sn) in GAS.items()),
    ]


async def access_sim(
    make_sim: SimFactory, **options: Any
) -> tuple[FluviusSimulator, RefClient, str]:
    """A demo simulator plus an account holding `meters()`, logged in."""
    sim = await make_sim(**options)
    sim.add_account(EMAIL, PASSWORD, meters=meters())
    client = RefClient(sim)
    tokens = await client.login(EMAIL, PASSWORD)
    return sim, client, tokens["access_token"]


def utc_stamp(stamp: str) -> str:
    value = datetime.fromisoformat(stamp).astimezone(UTC)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def history(
    client: RefClient,
    token: str,
    meter: tuple[str, str],
    window: tuple[str, str],
    code: str,
    *,
    legacy: bool = False,
) -> aiohttp.ClientResponse:
    """A measurement request on the current or the legacy endpoint."""
    ean, serial = meter
    start, end = window
    if legacy:
        query = {
            "historyFrom": utc_stamp(start),
            "historyUntil": utc_stamp(end),
            "granularity": code,
            "asServiceProvider": "false",
        }
        return await client.get(f"/verbruik/api/consumption-histories/{ean}", token, query)
    query = {
        "historyFrom": start,
        "historyUntil": end,
        "granularity": code,
        "asServiceProvider": "false",
        "meterSerialNumber": serial,
    }
    return await client.get(f"/verbruik/api/meter-measurement-history/{ean}", token, query)


async def spikes(
    client: RefClient, token: str, meter: tuple[str, str], *, legacy: bool = False
) -> aiohttp.ClientResponse:
    ean, serial = meter
    start, end = day_window(*MARCH)
    if legacy:
        query = {
            "historyFrom": utc_stamp(start),
            "historyUntil": utc_stamp(end),
            "granularity": "3",
            "asServiceProvider": "false",
        }
        return await client.get(f"/verbruik/api/consumption-spikes/{ean}", token, query)
    query = {
        "historyFrom": start,
        "historyUntil": end,
        "asServiceProvider": "false",
        "meterSerialNumber": serial,
    }
    return await client.get(f"/verbruik/api/meter-measurement-spikes/{ean}", token, query)


async def rows(resp: aiohttp.ClientResponse, *, legacy: bool) -> list[dict[str, Any]]:
    """The periods (legacy: the real meter's rows) of a 200 answer; [] for a bare `[]`."""
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    if legacy and body:
        (meter,) = body
        return meter["val"]
    return body


def starts(body: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(p["d"]) for p in body]


def last(sim: FluviusSimulator) -> tuple[str | None, str | None]:
    """(refused, withheld) of the last logged request."""
    record = sim.request_log[-1]
    return record.refused, record.withheld


# --- validation and bookkeeping ------------------------------------------------------------


def test_meter_access_is_validated() -> None:
    assert ACCESS_LEVELS == ("none", "daily", "detailed")
    ean, serial = ELEC["none"]
    assert SimMeter(ean, serial).access == "detailed"
    for bad in ("all", "Detailed", "", None):
        with pytest.raises(ValueError, match="access"):
            SimMeter(ean, serial, access=bad)  # type: ignore[arg-type]


def test_grant_and_access_of_are_validated() -> None:
    sim = FluviusSimulator.demo(SimClock(DEMO_NOW))
    unknown = make_ean("54144882300099999")
    with pytest.raises(KeyError):
        sim.grant_detailed(unknown)
    with pytest.raises(KeyError):
        sim.access_of(unknown)
    naive = DEMO_NOW.replace(tzinfo=None)
    with pytest.raises(ValueError, match="aware"):
        sim.grant_detailed(ELEC_EAN, at=naive)
    with pytest.raises(ValueError, match="aware"):
        sim.access_of(ELEC_EAN, at=naive)
    for bad in (datetime(2026, 4, 1, tzinfo=UTC), "2026-04-01"):
        with pytest.raises(ValueError, match="since"):
            sim.grant_detailed(ELEC_EAN, since=bad)  # type: ignore[arg-type]
    # Nothing was recorded by the failed calls.
    assert sim.access_of(ELEC_EAN) == ("detailed", None)


def test_access_of_follows_the_grants() -> None:
    clock = SimClock(DEMO_NOW)
    sim = FluviusSimulator(clock)
    sim.add_account(EMAIL, PASSWORD, meters=meters())
    for level, (ean, _) in ELEC.items():
        assert sim.access_of(ean) == (level, None)
    ean = ELEC["daily"][0]
    first, second = DEMO_NOW + timedelta(hours=1), DEMO_NOW + timedelta(days=2)
    sim.grant_detailed(ean, at=second)  # granted first, in force later
    sim.grant_detailed(ean, at=first, since=date(2026, 1, 1))
    assert sim.access_of(ean) == ("daily", None)
    assert sim.access_of(ean, first - timedelta(microseconds=1)) == ("daily", None)
    assert sim.access_of(ean, first) == ("detailed", date(2026, 1, 1))
    assert sim.access_of(ean, second - timedelta(seconds=1)) == ("detailed", date(2026, 1, 1))
    assert sim.access_of(ean, second) == ("detailed", None)
    # `at` in any time zone; on a tie the grant made last wins.
    sim.grant_detailed(ean, at=second.astimezone(BRUSSELS), since=date(2026, 3, 1))
    assert sim.access_of(ean, second + timedelta(days=9)) == ("detailed", date(2026, 3, 1))
    # Default `at`: the sim clock's now.
    none_ean = ELEC["none"][0]
    sim.grant_detailed(none_ean, since=date(2026, 2, 1))
    assert sim.access_of(none_ean) == ("detailed", date(2026, 2, 1))
    assert sim.access_of(none_ean, DEMO_NOW - timedelta(seconds=1)) == ("none", None)
    clock.advance(timedelta(days=1))
    assert sim.access_of(none_ean) == ("detailed", date(2026, 2, 1))
    # The meter itself (frozen) is unchanged.
    assert sim.series(none_ean).meter.access == "none"


# --- levels over HTTP ----------------------------------------------------------------------


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
@pytest.mark.parametrize(("dialect", "style"), STYLES)
async def test_no_access_answers_nothing(
    make_sim: SimFactory, dialect: str, style: str, legacy: bool
) -> None:
    sim, client, token = await access_sim(make_sim, dialect=dialect)
    async with client:
        for meter, window, codes in [
            (ELEC["none"], day_window(DAY, DAY), ("1", "2", "3", "4")),
            (GAS["none"], gas_day_window(DAY, DAY), ("1", "2", "3", "4")),
            (ELEC["none"], day_window(DAY - timedelta(days=30), DAY), ("4",)),
        ]:
            for code in codes:
                resp = await history(client, token, meter, window, code, legacy=legacy)
                assert resp.status == 200
                assert await resp.json() == []
                assert last(sim) == (None, "no access")
        for meter in (ELEC["none"], GAS["none"]):
            resp = await spikes(client, token, meter, legacy=legacy)
            assert resp.status == 200
            assert await resp.json() == []
            assert last(sim) == (None, "no access")
    # The truth is what the meter measured.
    assert sim.truth(ELEC["none"][0]).daily(DAY)
    gas_truth = sim.truth(GAS["none"][0])
    assert len(gas_truth.intervals(*gas_truth.day_bounds(DAY))) == 24


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
@pytest.mark.parametrize(("dialect", "style"), STYLES)
async def test_daily_access_serves_daily_values_only(
    make_sim: SimFactory, dialect: str, style: str, legacy: bool
) -> None:
    sim, client, token = await access_sim(make_sim, dialect=dialect)
    async with client:
        for meter, window in [
            (ELEC["daily"], day_window(DAY, DAY)),
            (GAS["daily"], gas_day_window(DAY, DAY)),
        ]:
            truth = sim.truth(meter[0])
            daily = await rows(
                await history(client, token, meter, window, "4", legacy=legacy), legacy=legacy
            )
            assert starts(daily) == [truth.day_bounds(DAY)[0]]
            assert last(sim) == (None, None)
            for code in ("1", "2"):  # sub-daily in both dialects: 200 [], not a refusal
                resp = await history(client, token, meter, window, code, legacy=legacy)
                assert resp.status == 200
                assert await resp.json() == []
                assert last(sim) == (None, "daily access only")
            # The truth still holds the intervals.
            assert truth.intervals(*truth.day_bounds(DAY))
        # Spikes are served as usual (assumption: the capacity peak is on the bill anyway).
        body = await rows(await spikes(client, token, ELEC["daily"], legacy=legacy), legacy=legacy)
        peak = sim.truth(ELEC["daily"][0]).monthly_peak(2026, 3)
        assert peak is not None
        (month,) = body
        assert (month["o"] if legacy else month["v"][0]["v"]) == peak[0]
        assert last(sim) == (None, None)


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
@pytest.mark.parametrize(("dialect", "style"), STYLES)
async def test_detailed_access_serves_everything(
    make_sim: SimFactory, dialect: str, style: str, legacy: bool
) -> None:
    sim, client, token = await access_sim(make_sim, dialect=dialect)
    async with client:
        elec = await rows(
            await history(
                client, token, ELEC["detailed"], day_window(DAY, DAY), "1", legacy=legacy
            ),
            legacy=legacy,
        )
        truth = sim.truth(ELEC["detailed"][0])
        assert starts(elec) == list(truth.intervals(*truth.day_bounds(DAY)))
        assert last(sim) == (None, None)
        gas = await rows(
            await history(
                client, token, GAS["detailed"], gas_day_window(DAY, DAY), "2", legacy=legacy
            ),
            legacy=legacy,
        )
        assert len(gas) == 24
        assert last(sim) == (None, None)
        body = await rows(
            await spikes(client, token, ELEC["detailed"], legacy=legacy), legacy=legacy
        )
        assert len(body) == 1


@pytest.mark.parametrize("level", ["none", "daily"])
@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
@pytest.mark.parametrize(("dialect", "style"), STYLES)
async def test_refusals_come_first(
    make_sim: SimFactory, dialect: str, style: str, legacy: bool, level: str
) -> None:
    sim, client, token = await access_sim(make_sim, dialect=dialect)
    async with client:
        meter = ELEC[level]
        for window, code, reason in [
            (day_window(DAY, DAY + timedelta(days=1)), "1", "at most 1 days"),
            (day_window(DAY, DAY), "9", "granularity '9'"),
        ]:
            resp = await history(client, token, meter, window, code, legacy=legacy)
            if style == "empty":
                assert resp.status == 200
                assert await resp.json() == []
            else:
                assert resp.status == 400
            refused, withheld = last(sim)
            assert reason in (refused or "")
            assert withheld is None
        # A misaligned gas window is refused too, in the dialect's style.
        resp = await history(client, token, GAS[level], day_window(DAY, DAY), "1", legacy=legacy)
        assert resp.status == (200 if style == "empty" else 400)
        assert "whole gas days" in (last(sim)[0] or "")
        assert last(sim)[1] is None
        # So are malformed times (400 in every style), before access is looked at.
        good = day_window(DAY, DAY)
        resp = await history(client, token, meter, (good[1], good[0]), "4", legacy=legacy)
        assert resp.status == 400
        assert last(sim) == (None, None)
        # And a spikes range longer than the limit.
        sim.options.peaks_max_days = 10
        resp = await spikes(client, token, meter, legacy=legacy)
        assert resp.status == (200 if style == "empty" else 400)
        assert "spikes" in (last(sim)[0] or "")
        assert last(sim)[1] is None


# --- granting detailed access --------------------------------------------------------------


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
@pytest.mark.parametrize(("dialect", "style"), STYLES)
async def test_grant_switches_at_the_instant(
    make_sim: SimFactory, sim_clock: SimClock, dialect: str, style: str, legacy: bool
) -> None:
    sim, client, token = await access_sim(make_sim, dialect=dialect)
    at = DEMO_NOW + timedelta(minutes=20)  # the access token is still valid then
    since = date(2026, 4, 1)
    async with client:
        for kind, meter, window_of, code, per_day in [
            ("elec", ELEC["daily"], day_window, "1", 96),
            ("gas", GAS["daily"], gas_day_window, "2", 24),
        ]:
            sim.grant_detailed(meter[0], at=at, since=since)
            sim_clock.set(at - timedelta(milliseconds=1))
            resp = await history(client, token, meter, window_of(DAY, DAY), code, legacy=legacy)
            assert await resp.json() == []
            assert last(sim) == (None, "daily access only"), kind
            sim_clock.set(at)
            assert sim.access_of(meter[0]) == ("detailed", since)
            got = await rows(
                await history(client, token, meter, window_of(DAY, DAY), code, legacy=legacy),
                legacy=legacy,
            )
            assert len(got) == per_day, kind
            assert last(sim) == (None, None)
            # Days before `since` stay absent, as if unpublished.
            before = since - timedelta(days=1)
            got = await rows(
                await history(client, token, meter, window_of(before, before), code, legacy=legacy),
                legacy=legacy,
            )
            assert got == []
            assert last(sim) == (None, "before the detailed history start")
            # Daily codes were and are served for every day.
            daily = await rows(
                await history(
                    client,
                    token,
                    meter,
                    window_of(before - timedelta(days=5), before),
                    "4",
                    legacy=legacy,
                ),
                legacy=legacy,
            )
            assert len(daily) == 6
            assert last(sim) == (None, None)
            sim_clock.set(DEMO_NOW)


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
async def test_since_cuts_a_multi_day_window(make_sim: SimFactory, legacy: bool) -> None:
    # dialect_a: code 3 is quarter-hours over 7 days, code 2 hours over 31 days.
    sim, client, token = await access_sim(make_sim, dialect="dialect_a")
    since = date(2026, 4, 1)
    first, end = date(2026, 3, 28), date(2026, 4, 3)
    async with client:
        for meter, window_of, code, per_day in [
            (ELEC["none"], day_window, "3", 96),
            (GAS["daily"], gas_day_window, "2", 24),
            (ELEC["detailed"], day_window, "3", 96),
        ]:
            sim.grant_detailed(meter[0], at=DEMO_NOW - timedelta(days=1), since=since)
            truth = sim.truth(meter[0])
            got = await rows(
                await history(client, token, meter, window_of(first, end), code, legacy=legacy),
                legacy=legacy,
            )
            expected = list(truth.intervals(truth.day_bounds(since)[0], truth.day_bounds(end)[1]))
            assert len(expected) == 3 * per_day
            assert starts(got) == expected
            assert last(sim) == (None, "before the detailed history start")
            # A window wholly from `since` on is not marked.
            got = await rows(
                await history(client, token, meter, window_of(since, end), code, legacy=legacy),
                legacy=legacy,
            )
            assert starts(got) == expected
            assert last(sim) == (None, None)


async def test_request_log_reasons(make_sim: SimFactory) -> None:
    sim, client, token = await access_sim(make_sim)
    sim.grant_detailed(ELEC["detailed"][0], at=DEMO_NOW - timedelta(hours=1), since=DAY)
    async with client:
        sim.reset_stats()
        window = day_window(DAY - timedelta(days=1), DAY - timedelta(days=1))
        await history(client, token, ELEC["none"], window, "4")
        await history(client, token, ELEC["daily"], window, "4")
        await history(client, token, ELEC["daily"], window, "1")
        await history(client, token, ELEC["detailed"], window, "1")
        await history(client, token, ELEC["detailed"], day_window(DAY, DAY), "1")
        await history(client, token, ELEC["detailed"], window, "1", legacy=True)
        await spikes(client, token, ELEC["none"], legacy=True)
    assert [(r.endpoint, r.status, r.refused, r.withheld) for r in sim.request_log] == [
        ("measurements", 200, None, "no access"),
        ("measurements", 200, None, None),
        ("measurements", 200, None, "daily access only"),
        ("measurements", 200, None, "before the detailed history start"),
        ("measurements", 200, None, None),
        ("legacy_measurements", 200, None, "before the detailed history start"),
        ("legacy_peaks", 200, None, "no access"),
    ]
    assert {r.withheld for r in sim.request_log} - {None} == REASONS
    assert all(r.fault is None for r in sim.request_log)


async def test_defaults_unchanged(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    # The demo meters have detailed access since installation: nothing is withheld.
    assert simulator.access_of(ELEC_EAN) == ("detailed", None)
    resp = await client.measurements(token, ELEC_EAN, ELEC_SERIAL, DAY, DAY, granularity="1")
    assert len(await resp.json()) == 96
    assert simulator.request_log[-1].withheld is None
