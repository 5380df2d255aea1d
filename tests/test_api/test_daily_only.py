"""Meters whose quarter-hours were never requested in Mijn Fluvius (Verbruik → Aanvragen).

Until a household asks for its data, the portal serves daily values only, or nothing. The
client must tell such a meter apart from a refused range, import its days exactly as daily
totals, check for finer data at most once a day, and switch as soon as it is served. Every
assertion is against the simulator's truth and request log.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from custom_components.fluvius.api import (
    FluviusClient,
    FluviusNoDataError,
    MeterType,
    Resolution,
)
from tests.simulator import FluviusSimulator, SimMeter, make_ean
from tests.simulator.demo import ELEC_EAN, ELEC_SERIAL

from .conftest import ClientFactory
from .test_silent_portal import finest

EMAIL, PASSWORD = "dagwaarden@fluvius.test", "Alleen-Dagen-2026"
EAN, SERIAL = make_ean("54144882300055501"), "1SAG1100055501"
GAS_EAN, GAS_SERIAL = make_ean("54144882300055502"), "1KFM0020555502"
DIALECTS = ["live", "random:2", "random:42", "dialect_a"]


@pytest.fixture
def household(simulator: FluviusSimulator) -> FluviusSimulator:
    """An account whose meters serve daily values only."""
    simulator.add_account(
        EMAIL,
        PASSWORD,
        meters=[
            SimMeter(EAN, SERIAL, solar_kwp=4.0, ev=True, access="daily"),
            SimMeter(GAS_EAN, GAS_SERIAL, kind="gas", access="daily"),
        ],
    )
    return simulator


def measurement_requests(sim: FluviusSimulator) -> int:
    return sim.stats.requests["measurements"]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("ean", "serial"), [(EAN, SERIAL), (GAS_EAN, GAS_SERIAL)])
async def test_daily_only_meter_is_told_apart_and_exact(
    household: FluviusSimulator, make_client: ClientFactory, dialect: str, ean: str, serial: str
) -> None:
    """Add meter accepts the meter (its daily values are data), the client says it delivers
    daily values only, and 60 days come back as exact daily totals, one request per range
    the daily code takes, never a finer request after the judging."""
    household.options.dialect = dialect
    client = make_client(EMAIL, PASSWORD)
    probe = await client.probe(ean, serial)
    assert probe.resolution is Resolution.DAY
    assert probe.meter_type is (MeterType.GAS if ean == GAS_EAN else MeterType.ELECTRICITY)
    assert client.daily_only(ean, serial)
    judged = len(household.request_log)

    first, last = date(2026, 2, 1), date(2026, 4, 1)
    intervals = await client.measurements(ean, serial, first, last)
    truth = household.truth(ean)
    now = household.clock.now()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert [i.start for i in intervals] == [truth.day_bounds(day)[0] for day in days]
    for interval, day in zip(intervals, days, strict=True):
        assert interval.resolution is Resolution.DAY
        assert {r.value: v.value for r, v in interval.readings.items()} == truth.daily(day, now)
    finer = [r for r in household.request_log[judged:] if r.withheld == "daily access only"]
    assert finer == []  # no finer code is asked again outside the daily re-check


async def test_a_detailed_meter_is_not_daily_only(
    simulator: FluviusSimulator, client: FluviusClient
) -> None:
    """The demo meter has its quarter-hours: no verdict, no re-check request."""
    probe = await client.probe(ELEC_EAN, ELEC_SERIAL)
    assert probe.resolution is Resolution.QUARTER_HOUR
    assert not client.daily_only(ELEC_EAN, ELEC_SERIAL)
    before = measurement_requests(simulator)
    assert await client.recheck_finer(ELEC_EAN, ELEC_SERIAL, date(2026, 4, 10)) is None
    assert measurement_requests(simulator) == before


async def test_no_access_at_all_is_no_data(
    simulator: FluviusSimulator, make_client: ClientFactory
) -> None:
    """Nothing requested in Mijn Fluvius: Add meter's probe finds no data (the flow then
    says what to request), without concluding anything it would have to unlearn."""
    simulator.add_account(EMAIL, PASSWORD, meters=[SimMeter(EAN, SERIAL, access="none")])
    client = make_client(EMAIL, PASSWORD)
    with pytest.raises(FluviusNoDataError):
        await client.probe(EAN, SERIAL)
    assert not client.daily_only(EAN, SERIAL)
    assert client.capabilities(EAN, SERIAL) == []


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_recheck_once_a_day_then_finer_data_is_used(
    household: FluviusSimulator, make_client: ClientFactory, dialect: str
) -> None:
    """At most one re-check request per local day; after Fluvius grants detailed access,
    the first re-check (or the one after, as the codes take turns) finds finer data, the
    meter is no longer daily only, and its days come back at the finest resolution."""
    household.options.dialect = dialect
    client = make_client(EMAIL, PASSWORD)
    await client.probe(EAN, SERIAL)
    day = date(2026, 4, 13)
    before = measurement_requests(household)
    assert await client.recheck_finer(EAN, SERIAL, day) is None
    assert await client.recheck_finer(EAN, SERIAL, day) is None
    assert measurement_requests(household) - before <= 1  # the same day: one request at most

    household.grant_detailed(EAN, since=date(2026, 1, 1))
    found = None
    for _ in range(4):  # the codes that might deliver take turns, one a day
        household.clock.advance(timedelta(days=1))
        before = measurement_requests(household)
        found = await client.recheck_finer(EAN, SERIAL, day)
        if found is None:
            assert measurement_requests(household) - before == 1
        else:
            break
    assert found is not None
    assert found is not Resolution.DAY
    assert not client.daily_only(EAN, SERIAL)
    assert client.finest_resolution(EAN, SERIAL) is finest(dialect, gas=False)
    intervals = await client.measurements(EAN, SERIAL, day, day)
    truth = household.truth(EAN)
    start, end = truth.day_bounds(day)
    expected = truth.periods(start, end, finest(dialect, gas=False).value, household.clock.now())
    assert [(i.start, i.end) for i in intervals] == [(p.start, p.end) for p in expected]


async def test_days_before_the_requested_history_stay_daily_totals(
    household: FluviusSimulator, make_client: ClientFactory
) -> None:
    """ "Alle verbruiken vanaf" a date: days before it have no quarter-hours and come back as
    their exact daily totals, days from it as quarter-hours; no day is left out."""
    client = make_client(EMAIL, PASSWORD)
    since = date(2026, 3, 20)
    household.grant_detailed(
        EAN, at=datetime(2026, 4, 1, tzinfo=household.clock.now().tzinfo), since=since
    )
    await client.probe(EAN, SERIAL)
    assert not client.daily_only(EAN, SERIAL)
    first, last = date(2026, 3, 15), date(2026, 3, 25)
    intervals = await client.measurements(EAN, SERIAL, first, last)
    truth = household.truth(EAN)
    now = household.clock.now()
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        start, end = truth.day_bounds(day)
        held = [i for i in intervals if start <= i.start < end]
        if day < since:
            assert [i.resolution for i in held] == [Resolution.DAY], day
            values = {r.value: v.value for r, v in held[0].readings.items()}
            assert values == truth.daily(day, now)
        else:
            assert {i.resolution for i in held} == {Resolution.QUARTER_HOUR}, day
            assert len(held) == len(truth.intervals(start, end, now))
