"""Portal data endpoints over real HTTP: access rules, parameters, dialects, served == truth."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.simulator import DIALECTS, REGISTER_CODES, FluviusSimulator, refusal_of
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_NOW,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    OTHER_EAN,
    OTHER_SERIAL,
    SINGLE_EAN,
    SINGLE_SERIAL,
    make_ean,
)

from .conftest import SimFactory
from .reference import RefClient, day_window, gas_day_window

# (t, dc, u) is ambiguous between single-tariff offtake and gas kWh: the meter type decides.
ELEC_CODES = {code: reg for reg, code in REGISTER_CODES.items() if not reg.startswith("gas")}
GAS_CODES = {code: reg for reg, code in REGISTER_CODES.items() if reg.startswith("gas")}
DAY = date(2026, 4, 1)  # a Wednesday, long final at DEMO_NOW
MEASUREMENTS = f"/verbruik/api/meter-measurement-history/{ELEC_EAN}"


def parse_z(text: str) -> datetime:
    assert text.endswith("Z")
    return datetime.fromisoformat(text)


def decode(body: list[dict[str, Any]], *, gas: bool = False) -> dict[datetime, dict[str, float]]:
    """Periods to {start: {register: value}} using the one register mapping."""
    codes = GAS_CODES if gas else ELEC_CODES
    out: dict[datetime, dict[str, float]] = {}
    for period in body:
        values = {codes[(e["t"], e["dc"], e["u"])]: e["v"] for e in period["v"]}
        out[parse_z(period["d"])] = values
    return out


def lengths(body: list[dict[str, Any]]) -> set[timedelta]:
    return {parse_z(p["de"]) - parse_z(p["d"]) for p in body}


async def fetch(
    client: RefClient,
    token: str,
    granularity: str,
    first: date = DAY,
    last: date = DAY,
    *,
    ean: str = ELEC_EAN,
    serial: str = ELEC_SERIAL,
) -> list[dict[str, Any]]:
    resp = await client.measurements(token, ean, serial, first, last, granularity=granularity)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def assert_refused(
    sim: FluviusSimulator, resp: aiohttp.ClientResponse, style: str = "empty"
) -> None:
    """A request the portal would not serve: `200 []` or a 400 problem, per refusal style."""
    if style == "empty":
        assert resp.status == 200, await resp.text()
        assert await resp.json() == []
    else:
        assert resp.status == 400
        assert (await resp.json())["status"] == 400
    assert sim.request_log[-1].refused


def window(first: date, last: date) -> dict[str, str]:
    start, end = day_window(first, last)
    return {
        "historyFrom": start,
        "historyUntil": end,
        "granularity": "4",
        "asServiceProvider": "false",
        "meterSerialNumber": ELEC_SERIAL,
    }


# --- access --------------------------------------------------------------------------------


async def test_token_required(client: RefClient) -> None:
    for token in (None, "not-a-token"):
        resp = await client.get(MEASUREMENTS, token, window(DAY, DAY))
        assert resp.status == 401


async def test_expired_token(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    assert (await client.get(MEASUREMENTS, token, window(DAY, DAY))).status == 200
    simulator.clock.advance(timedelta(seconds=3599))
    assert (await client.get(MEASUREMENTS, token, window(DAY, DAY))).status == 200
    simulator.clock.advance(timedelta(seconds=1))
    assert (await client.get(MEASUREMENTS, token, window(DAY, DAY))).status == 401


async def test_other_accounts_ean(client: RefClient, token: str) -> None:
    resp = await client.measurements(token, OTHER_EAN, OTHER_SERIAL, DAY, DAY, granularity="4")
    assert resp.status == 403
    resp = await client.peaks(token, OTHER_EAN, OTHER_SERIAL, DAY, DAY)
    assert resp.status == 403


async def test_unknown_ean_and_wrong_serial(client: RefClient, token: str) -> None:
    unknown = make_ean("54999999999999999")
    resp = await client.measurements(token, unknown, "X", DAY, DAY, granularity="4")
    assert resp.status == 404
    resp = await client.measurements(token, ELEC_EAN, GAS_SERIAL, DAY, DAY, granularity="4")
    assert resp.status == 404
    resp = await client.peaks(token, ELEC_EAN, "1SAG0", DAY, DAY)
    assert resp.status == 404
    # An empty serial is accepted.
    resp = await client.measurements(token, ELEC_EAN, "", DAY, DAY, granularity="4")
    assert resp.status == 200


async def test_service_provider_forbidden(client: RefClient, token: str) -> None:
    params = window(DAY, DAY) | {"asServiceProvider": "true"}
    assert (await client.get(MEASUREMENTS, token, params)).status == 403


# --- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-04-01T00:00:00.000+01:00", "2026-04-01T23:59:59.999+02:00"),  # winter offset
        ("2026-04-01T00:00:00.000Z", "2026-04-01T23:59:59.999Z"),
        ("2026-04-01T00:00:00+02:00", "2026-04-01T23:59:59+02:00"),  # no milliseconds
        ("2026-04-01", "2026-04-02"),
        ("garbage", "2026-04-01T23:59:59.999+02:00"),
        ("2026-04-01T00:00:00.000+02:00", None),
        ("2026-04-02T00:00:00.000+02:00", "2026-04-01T00:00:00.000+02:00"),  # backwards
        ("2026-13-01T00:00:00.000+02:00", "2026-13-01T23:59:59.999+02:00"),
    ],
)
async def test_bad_times(client: RefClient, token: str, start: str, end: str | None) -> None:
    params = window(DAY, DAY) | {"historyFrom": start}
    if end is None:
        del params["historyUntil"]
    else:
        params["historyUntil"] = end
    resp = await client.get(MEASUREMENTS, token, params)
    assert resp.status == 400
    assert (await resp.json())["status"] == 400


async def test_unencoded_plus_is_refused(simulator: FluviusSimulator, token: str) -> None:
    # A '+' that is not percent-encoded arrives as a space.
    import aiohttp
    from yarl import URL

    url = URL(
        f"{simulator.portal_url}{MEASUREMENTS}?historyFrom=2026-04-01T00:00:00.000+02:00"
        "&historyUntil=2026-04-01T23:59:59.999+02:00&granularity=4",
        encoded=True,
    )
    async with aiohttp.ClientSession() as session:
        resp = await session.get(url, headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 400


async def test_both_offsets_on_the_autumn_night(client: RefClient, token: str) -> None:
    # 02:30 happens twice on 2025-10-26; both offsets are valid instants.
    for offset in ("+02:00", "+01:00"):
        params = window(DAY, DAY) | {
            "historyFrom": f"2025-10-26T02:30:00.000{offset}",
            "historyUntil": "2025-10-26T23:59:59.999+01:00",
            "granularity": "1",
        }
        assert (await client.get(MEASUREMENTS, token, params)).status == 200
    # A summer offset after the switch back is wrong.
    params = window(DAY, DAY) | {"historyFrom": "2025-10-26T04:00:00.000+02:00"}
    assert (await client.get(MEASUREMENTS, token, params)).status == 400


@pytest.mark.parametrize("dialect", ["live", "dialect_a"])
async def test_unknown_granularity(make_sim: SimFactory, dialect: str) -> None:
    sim = await make_sim(dialect=dialect)
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        for code in ("0", "5", "day", ""):
            resp = await client.get(MEASUREMENTS, token, window(DAY, DAY) | {"granularity": code})
            await assert_refused(sim, resp, refusal_of(dialect))
        params = window(DAY, DAY)
        del params["granularity"]
        await assert_refused(
            sim, await client.get(MEASUREMENTS, token, params), refusal_of(dialect)
        )


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
async def test_dialects(make_sim: SimFactory, dialect: str) -> None:
    sim = await make_sim(dialect=dialect)
    style = refusal_of(dialect)
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        hours = timedelta(hours=1)
        expected = {
            "quarter_hour": {hours / 4},
            "hour": {hours},
            "day": {23 * hours, 24 * hours, 25 * hours},  # DST days are local days too
        }
        for code, (resolution, max_days) in DIALECTS[dialect].items():
            first, last = DAY - timedelta(days=max_days - 1), DAY
            body = await fetch(client, token, code, first, last)
            assert body
            assert lengths(body) <= expected[resolution]
            too_long = await client.measurements(
                token, ELEC_EAN, ELEC_SERIAL, first - timedelta(days=1), last, granularity=code
            )
            await assert_refused(sim, too_long, style)
        for code in {"1", "2", "3", "4"} - DIALECTS[dialect].keys():
            resp = await client.measurements(
                token, ELEC_EAN, ELEC_SERIAL, DAY, DAY, granularity=code
            )
            await assert_refused(sim, resp, style)


@pytest.mark.parametrize(("refusal", "style"), [(None, "empty"), ("400", "400")])
async def test_custom_dialect(make_sim: SimFactory, refusal: str | None, style: str) -> None:
    sim = await make_sim(dialect={"7": ("hour", 2)}, refusal=refusal)
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        body = await fetch(client, token, "7", DAY, DAY + timedelta(days=1))
        assert len(body) == 48
        resp = await client.measurements(
            token, ELEC_EAN, ELEC_SERIAL, DAY, DAY + timedelta(days=2), granularity="7"
        )
        await assert_refused(sim, resp, style)


def test_bad_options_are_refused() -> None:
    from tests.simulator import SimClock

    clock = SimClock(DEMO_NOW)
    with pytest.raises(ValueError, match="dialect"):
        FluviusSimulator(clock, dialect="nope")
    with pytest.raises(ValueError, match="bad dialect entry"):
        FluviusSimulator(clock, dialect={"1": ("week", 1)})
    with pytest.raises(ValueError, match="msal_variant"):
        FluviusSimulator(clock, msal_variant="odd")
    with pytest.raises(ValueError, match="legacy_status"):
        FluviusSimulator(clock, legacy_status=500)
    with pytest.raises(TypeError):
        FluviusSimulator(clock, no_such_option=True)


# --- payloads ------------------------------------------------------------------------------


async def test_period_shape(client: RefClient, token: str) -> None:
    body = await fetch(client, token, "1")
    assert len(body) == 96
    first = body[0]
    assert first["d"] == "2026-03-31T22:00:00Z"
    assert first["de"] == "2026-03-31T22:15:00Z"
    keys = {(e["t"], e["dc"]) for e in first["v"]}
    assert keys == {(1, 1), (1, 2), (2, 1), (2, 2)}
    for entry in first["v"]:
        assert set(entry) == {"dc", "t", "st", "v", "vs", "u", "gcuv"}
        assert (entry["u"], entry["vs"], entry["gcuv"]) == (3, 2, None)


@pytest.mark.parametrize(("granularity", "resolution"), [("1", "qh"), ("2", "hour"), ("4", "day")])
async def test_served_equals_truth(
    simulator: FluviusSimulator, client: RefClient, token: str, granularity: str, resolution: str
) -> None:
    last = DAY if granularity in ("1", "2") else DAY + timedelta(days=6)  # live: 1 day sub-daily
    body = await fetch(client, token, granularity, DAY, last)
    served = decode(body)
    truth = simulator.truth(ELEC_EAN)
    start, end = (datetime.fromisoformat(s).astimezone(UTC) for s in day_window(DAY, last))
    now = simulator.clock.now()
    if resolution == "qh":
        expected = truth.intervals(start, end, as_of=now)
    elif resolution == "hour":
        expected = truth.hourly(start, end, as_of=now)
    else:
        days = [DAY + timedelta(days=i) for i in range((last - DAY).days + 1)]
        expected = {s: truth.daily(d, as_of=now) for s, d in zip(served, days, strict=True)}
    assert served == expected


async def test_daily_periods_are_local_days(client: RefClient, token: str) -> None:
    body = await fetch(client, token, "4", date(2026, 3, 27), date(2026, 3, 30))
    assert [p["d"] for p in body] == [
        "2026-03-26T23:00:00Z",
        "2026-03-27T23:00:00Z",
        "2026-03-28T23:00:00Z",
        "2026-03-29T22:00:00Z",
    ]
    assert body[2]["de"] == "2026-03-29T22:00:00Z"  # the 23-hour day


@pytest.mark.parametrize(("day", "quarters"), [(date(2026, 3, 29), 92), (date(2025, 10, 26), 100)])
async def test_dst_days_over_http(client: RefClient, token: str, day: date, quarters: int) -> None:
    assert len(await fetch(client, token, "1", day, day)) == quarters
    assert len(await fetch(client, token, "2", day, day)) == quarters // 4


async def test_single_tariff_meter(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    body = await fetch(client, token, "1", ean=SINGLE_EAN, serial=SINGLE_SERIAL)
    assert {(e["t"], e["dc"]) for p in body for e in p["v"]} == {(1, 0), (2, 0)}
    served = decode(body)
    assert all(set(v) == {"consumption_single", "injection_single"} for v in served.values())
    assert all(v["injection_single"] == 0 for v in served.values())  # no solar


def gas_params(first: date, last: date, granularity: str) -> dict[str, str]:
    start, end = gas_day_window(first, last)
    return {
        "historyFrom": start,
        "historyUntil": end,
        "granularity": granularity,
        "asServiceProvider": "false",
        "meterSerialNumber": GAS_SERIAL,
    }


GAS_MEASUREMENTS = f"/verbruik/api/meter-measurement-history/{GAS_EAN}"


async def test_gas_meter(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    winter = date(2026, 1, 14)
    resp = await client.get(GAS_MEASUREMENTS, token, gas_params(winter, winter, "1"))
    assert resp.status == 200
    hourly = await resp.json()
    assert lengths(hourly) == {timedelta(hours=1)}  # a quarter-hour code gives hours for gas
    assert len(hourly) == 24
    assert hourly[0]["d"] == "2026-01-14T05:00:00Z"
    for period in hourly:
        entries = {e["u"]: e for e in period["v"]}
        assert set(entries) == {3, 5}
        assert all((e["t"], e["dc"]) == (1, 0) for e in entries.values())
        factor = entries[5]["gcuv"]
        assert 10.8 <= factor <= 11.4
        assert entries[3]["v"] == pytest.approx(entries[5]["v"] * factor, abs=0.001)
    days = await fetch(
        client, token, "4", winter, winter + timedelta(days=1), ean=GAS_EAN, serial=GAS_SERIAL
    )
    assert [p["d"] for p in days] == ["2026-01-14T05:00:00Z", "2026-01-15T05:00:00Z"]
    summer = await fetch(
        client, token, "4", date(2025, 7, 1), date(2025, 7, 1), ean=GAS_EAN, serial=GAS_SERIAL
    )
    assert summer[0]["d"] == "2025-07-01T04:00:00Z"
    assert summer[0]["de"] == "2025-07-02T04:00:00Z"
    truth = simulator.truth(GAS_EAN)
    assert decode(days, gas=True)[datetime(2026, 1, 14, 5, tzinfo=UTC)] == truth.daily(winter)


async def test_shuffled_periods(make_sim: SimFactory) -> None:
    sim = await make_sim(shuffle_periods=True)
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        body = await fetch(client, token, "1")
        starts = [p["d"] for p in body]
        assert len(starts) == 97
        assert len(set(starts)) == 96
        assert starts != sorted(starts)
        sim.options.shuffle_periods = False
        plain = await fetch(client, token, "1")
        unique = {p["d"]: p for p in body}
        assert [unique[k] for k in sorted(unique)] == plain


@pytest.mark.parametrize("granularity", ["1", "2", "4"])
async def test_zero_registers_omitted(make_sim: SimFactory, granularity: str) -> None:
    """`zero_registers="omit"`: a register without energy in a period is left out of it (a
    Saturday's day tariff, a night's injection, at every resolution); what is listed equals
    the truth, and what is left out is 0 there. "send" (the default) lists every register."""
    saturday = date(2026, 4, 11)
    sim = await make_sim(zero_registers="omit")
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        body = await fetch(client, token, granularity, saturday, saturday)
        sim.options.zero_registers = "send"
        sent = decode(await fetch(client, token, granularity, saturday, saturday))
    omitted = decode(body)
    assert omitted.keys() == sent.keys()
    registers = {"consumption_high", "consumption_low", "injection_high", "injection_low"}
    for start, values in sent.items():
        assert set(values) == registers
        assert omitted[start] == {r: v for r, v in values.items() if v != 0}
    assert all("consumption_high" not in values for values in omitted.values())
    if granularity != "4":  # the night's quarter-hours and hours inject nothing
        assert any("injection_low" not in values for values in omitted.values())
    with pytest.raises(ValueError, match="zero_registers"):
        sim.options.zero_registers = "maybe"


async def test_future_and_before_installation(client: RefClient, token: str) -> None:
    assert await fetch(client, token, "1", date(2026, 5, 1), date(2026, 5, 1)) == []
    assert await fetch(client, token, "4", date(2023, 1, 1), date(2023, 1, 31)) == []
    body = await fetch(client, token, "4", date(2023, 8, 30), date(2023, 9, 2))
    assert len(body) == 2  # installed 2023-09-01


# --- publication and revision --------------------------------------------------------------


async def test_publication_over_http(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    # DEMO_NOW is 2026-04-15 12:00 Brussels: yesterday is out, today is not.
    body = await fetch(client, token, "4", date(2026, 4, 10), date(2026, 4, 15))
    assert [p["d"][:10] for p in body][-1] == "2026-04-13"  # 2026-04-14 local day
    gas = await fetch(
        client, token, "4", date(2026, 4, 10), date(2026, 4, 15), ean=GAS_EAN, serial=GAS_SERIAL
    )
    assert gas[-1]["d"] == "2026-04-12T04:00:00Z"  # gas day 04-12 appeared this morning
    assert simulator.truth(ELEC_EAN).published_until() == datetime(2026, 4, 14, 22, tzinfo=UTC)


async def test_revision_over_http(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    day = date(2026, 4, 14)
    truth = simulator.truth(ELEC_EAN)
    provisional = await fetch(client, token, "1", day, day)
    statuses = {e["vs"] for p in provisional for e in p["v"]}
    assert 2 not in statuses
    assert statuses <= {1, 3}
    start, end = (datetime.fromisoformat(s).astimezone(UTC) for s in day_window(day, day))
    assert decode(provisional) == truth.intervals(start, end, as_of=simulator.clock.now())
    assert decode(provisional) != truth.intervals(start, end)
    simulator.clock.advance(timedelta(days=2))
    refreshed = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    final = await fetch(client, refreshed["access_token"], "1", day, day)
    assert {e["vs"] for p in final for e in p["v"]} == {2}
    assert decode(final) == truth.intervals(start, end)


# --- peaks ---------------------------------------------------------------------------------


async def test_peaks_match_served_quarter_hours(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    resp = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, date(2026, 1, 1), date(2026, 4, 15))
    assert resp.status == 200
    body = await resp.json()
    assert [p["d"] for p in body] == [
        "2025-12-31T23:00:00Z",
        "2026-01-31T23:00:00Z",
        "2026-02-28T23:00:00Z",
        "2026-03-31T22:00:00Z",
    ]
    truth = simulator.truth(ELEC_EAN)
    now = simulator.clock.now()
    for month, period in zip(range(1, 5), body, strict=True):
        (peak,) = period["v"]
        assert set(peak) == {"v", "sst", "set"}
        start, end = parse_z(period["d"]), parse_z(period["de"])
        served = truth.intervals(start, end, as_of=now)
        best = max(
            round(sum(v for k, v in values.items() if k.startswith("consumption")) * 4, 3)
            for values in served.values()
        )
        assert peak["v"] == best
        quarter = served[parse_z(peak["sst"])]
        assert round((quarter["consumption_high"] + quarter["consumption_low"]) * 4, 3) == best
        assert parse_z(peak["set"]) - parse_z(peak["sst"]) == timedelta(minutes=15)
        assert truth.monthly_peak(2026, month, as_of=now) == (
            best,
            parse_z(peak["sst"]),
            parse_z(peak["set"]),
        )
    assert body[0]["v"][0]["v"] > 4  # EV charging makes clear peaks


async def test_gas_has_no_peaks(client: RefClient, token: str) -> None:
    resp = await client.peaks(token, GAS_EAN, GAS_SERIAL, date(2026, 1, 1), date(2026, 3, 31))
    assert resp.status == 200
    assert await resp.json() == []


@pytest.mark.parametrize("dialect", ["live", "dialect_a"])
async def test_peak_range_limit(make_sim: SimFactory, dialect: str) -> None:
    sim = await make_sim(dialect=dialect)
    assert sim.options.peaks_limit() == 731
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        # 2024-04-01 .. 2026-03-31 is 730 days; one more day is too long.
        resp = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, date(2024, 4, 1), date(2026, 3, 31))
        assert resp.status == 200
        assert await resp.json()
        resp = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, date(2024, 1, 1), date(2026, 4, 1))
        await assert_refused(sim, resp, refusal_of(dialect))


async def test_peaks_max_days_option(make_sim: SimFactory) -> None:
    sim = await make_sim(peaks_max_days=31)
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        resp = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, date(2026, 3, 1), date(2026, 3, 31))
        assert len(await resp.json()) == 1
        resp = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, date(2026, 2, 1), date(2026, 3, 31))
        await assert_refused(sim, resp)
        sim.options.refusal = "400"
        resp = await client.peaks(token, ELEC_EAN, ELEC_SERIAL, date(2026, 2, 1), date(2026, 3, 31))
        await assert_refused(sim, resp, "400")


# --- legacy --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
async def test_legacy_mode(make_sim: SimFactory, status: int) -> None:
    sim = await make_sim(legacy=True, legacy_status=status)
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        for ean in (ELEC_EAN, GAS_EAN, OTHER_EAN, make_ean("54999999999999999")):
            resp = await client.measurements(token, ean, ELEC_SERIAL, DAY, DAY, granularity="4")
            assert resp.status == status
            assert (await client.peaks(token, ean, ELEC_SERIAL, DAY, DAY)).status == status
        # The token is still checked first.
        resp = await client.measurements("x", ELEC_EAN, ELEC_SERIAL, DAY, DAY, granularity="4")
        assert resp.status == 401


def legacy_params(first: str, last: str, granularity: str = "3") -> dict[str, str]:
    return {
        "historyFrom": first,
        "historyUntil": last,
        "granularity": granularity,
        "asServiceProvider": "false",
    }


LEGACY_HISTORY = f"/verbruik/api/consumption-histories/{ELEC_EAN}"


@pytest.mark.parametrize("legacy", [True, False])
async def test_legacy_measurements_with_decoy(make_sim: SimFactory, legacy: bool) -> None:
    sim = await make_sim(legacy=legacy, legacy_decoy=True, dialect="dialect_a")
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        params = legacy_params("2026-03-31T22:00:00.000Z", "2026-04-01T21:59:59.999Z")
        resp = await client.get(f"/verbruik/api/consumption-histories/{ELEC_EAN}", token, params)
        assert resp.status == 200
        body = await resp.json()
    assert [entry["sn"] for entry in body][-1] == ELEC_SERIAL
    assert len(body) == 2
    decoy, real = body
    assert decoy["sn"] != ELEC_SERIAL
    assert decoy["mdu"] == real["mdf"]  # replaced when the real one was installed
    assert real["mdu"] == "9999-12-30T23:00:00Z"
    assert len(real["val"]) == 96  # code 3 is quarter-hours in dialect_a
    truth = sim.truth(ELEC_EAN)
    start = datetime(2026, 3, 31, 22, tzinfo=UTC)
    expected = truth.intervals(start, start + timedelta(days=1), as_of=sim.clock.now())
    names = {"oh": "consumption_high", "ol": "consumption_low"}
    names |= {"ih": "injection_high", "il": "injection_low"}
    for row in real["val"]:
        values = expected[parse_z(row["d"])]
        assert {names[k]: row[k] for k in names} == values
        assert (row["ok"], row["om"], row["okvs"], row["omvs"]) == (0, 0, 0, 0)
        assert row["ohvs"] == 2
    decoy_values = [[row[k] for k in names] for row in decoy["val"]]
    real_values = [[row[k] for k in names] for row in real["val"]]
    assert decoy_values != real_values


async def test_legacy_sample_shape(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    """As the real 2024 sample: one `sn` entry, open `mdu`, `dt`/`okgcf`, 0 in gas fields."""
    params = legacy_params("2025-03-31T22:00:00.000Z", "2026-03-31T21:59:59.999Z")
    resp = await client.get(LEGACY_HISTORY, token, params)
    assert resp.status == 200
    (real,) = await resp.json()  # no replaced meter by default
    assert set(real) == {"sn", "mdf", "mdu", "val"}
    assert real["sn"] == ELEC_SERIAL
    assert real["mdf"] == "2023-08-31T22:00:00Z"
    assert real["mdu"] == "9999-12-30T23:00:00Z"
    assert len(real["val"]) == 365  # code 3 is daily in the live dialect
    for row in real["val"]:
        assert row["dt"] is False
        assert row["okgcf"] is None
        assert (row["ok"], row["om"], row["okvs"], row["omvs"]) == (0, 0, 0, 0)
        assert row["oh"] + row["ol"] > 0
        assert row["ohvs"] == 2
    assert {k for row in real["val"] for k in row} == {
        "d", "de", "dt", "okgcf",
        "oh", "ol", "ih", "il", "ok", "om",
        "ohvs", "olvs", "ihvs", "ilvs", "okvs", "omvs",
    }  # fmt: skip
    truth = simulator.truth(ELEC_EAN)
    first = real["val"][0]
    assert parse_z(first["d"]) == datetime(2025, 3, 31, 22, tzinfo=UTC)
    assert first["oh"] == truth.daily(date(2025, 4, 1))["consumption_high"]


async def test_legacy_service_provider_changes_nothing(client: RefClient, token: str) -> None:
    params = legacy_params("2026-03-31T22:00:00.000Z", "2026-04-01T21:59:59.999Z")
    plain = await client.get(LEGACY_HISTORY, token, params)
    provider = await client.get(LEGACY_HISTORY, token, params | {"asServiceProvider": "true"})
    assert provider.status == plain.status == 200
    assert await provider.json() == await plain.json()
    spikes = f"/verbruik/api/consumption-spikes/{ELEC_EAN}"
    resp = await client.get(spikes, token, params | {"asServiceProvider": "true"})
    assert resp.status == 200
    # The current endpoints still refuse it.
    assert (
        await client.get(MEASUREMENTS, token, window(DAY, DAY) | {"asServiceProvider": "true"})
    ).status == 403


async def test_legacy_rules(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    path = LEGACY_HISTORY
    good = legacy_params("2026-03-31T22:00:00Z", "2026-04-01T21:59:59Z")
    assert (await client.get(path, token, good)).status == 200
    local = legacy_params("2026-04-01T00:00:00.000+02:00", "2026-04-01T23:59:59.999+02:00")
    assert (await client.get(path, token, local)).status == 400  # a format error: always 400
    too_long = legacy_params("2026-03-01T00:00:00Z", "2026-03-10T00:00:00Z", "1")
    await assert_refused(simulator, await client.get(path, token, too_long))
    simulator.options.dialect = "dialect_a"
    await assert_refused(simulator, await client.get(path, token, too_long), "400")
    assert (await client.get(path, None, good)).status == 401
    other = f"/verbruik/api/consumption-histories/{OTHER_EAN}"
    assert (await client.get(other, token, good)).status == 403


async def test_legacy_gas_and_single(client: RefClient, token: str) -> None:
    params = legacy_params("2026-01-10T00:00:00Z", "2026-01-13T00:00:00Z", "4")
    resp = await client.get(f"/verbruik/api/consumption-histories/{GAS_EAN}", token, params)
    real = next(e for e in await resp.json() if e["sn"] == GAS_SERIAL)
    assert len(real["val"]) == 3
    for row in real["val"]:
        assert row["om"] > 0
        assert row["ok"] > row["om"]
        # kWh is rounded per hour, so the day's sum is off by up to 24 half-thousandths.
        assert row["ok"] == pytest.approx(row["om"] * row["okgcf"], abs=0.012)
        assert 10.8 <= row["okgcf"] <= 11.4
        assert row["oh"] is None
        assert row["omvs"] == 2
        assert row["dt"] is False
    resp = await client.get(f"/verbruik/api/consumption-histories/{SINGLE_EAN}", token, params)
    real = next(e for e in await resp.json() if e["sn"] == SINGLE_SERIAL)
    assert all(row["oh"] > 0 and row["ol"] is None for row in real["val"])


async def test_legacy_peaks(simulator: FluviusSimulator, client: RefClient, token: str) -> None:
    params = legacy_params("2026-01-01T00:00:00Z", "2026-03-31T00:00:00Z")
    path = f"/verbruik/api/consumption-spikes/{ELEC_EAN}"
    resp = await client.get(path, token, params)
    assert resp.status == 200
    (only,) = await resp.json()
    assert (only["sn"], only["mdu"]) == (ELEC_SERIAL, "9999-12-30T23:00:00Z")
    simulator.options.legacy_decoy = True
    resp = await client.get(path, token, params)
    body = await resp.json()
    decoy, real = body
    assert real == only
    assert real["sn"] == ELEC_SERIAL
    assert len(real["val"]) == 3
    for month, row in enumerate(real["val"], start=1):
        kw, start, end = simulator.truth(ELEC_EAN).monthly_peak(2026, month)
        assert (row["o"], parse_z(row["tscs"]), parse_z(row["tecs"])) == (kw, start, end)
        assert row["ovs"] == 2
    assert [r["o"] for r in decoy["val"]] != [r["o"] for r in real["val"]]


async def test_range_is_measured_in_wall_clock_days(
    simulator: FluviusSimulator, client: RefClient, token: str
) -> None:
    gas_path = f"/verbruik/api/meter-measurement-history/{GAS_EAN}"
    gas_day = {
        "historyFrom": "2026-01-14T06:00:00.000+01:00",
        "historyUntil": "2026-01-15T05:59:59.999+01:00",
        "granularity": "1",
        "meterSerialNumber": GAS_SERIAL,
    }
    resp = await client.get(gas_path, token, gas_day)
    assert resp.status == 200
    body = await resp.json()
    assert len(body) == 24
    assert body[0]["d"] == "2026-01-14T05:00:00Z"
    midnight_to_midnight = window(DAY, DAY) | {
        "historyUntil": "2026-04-02T00:00:00.000+02:00",
        "granularity": "1",
    }
    resp = await client.get(MEASUREMENTS, token, midnight_to_midnight)
    assert len(await resp.json()) == 96
    one_more_ms = midnight_to_midnight | {"historyUntil": "2026-04-02T00:00:00.001+02:00"}
    await assert_refused(simulator, await client.get(MEASUREMENTS, token, one_more_ms))


@pytest.mark.parametrize("dialect", ["live", "live_3qh", "dialect_a"])
async def test_gas_daily_only(make_sim: SimFactory, dialect: str) -> None:
    sim = await make_sim(gas_daily_only=True, dialect=dialect)
    async with RefClient(sim) as client:
        token = (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
        for code, (resolution, _) in DIALECTS[dialect].items():
            # Whole gas days, so only gas_daily_only can be the reason.
            resp = await client.get(GAS_MEASUREMENTS, token, gas_params(DAY, DAY, code))
            if resolution == "day":
                assert resp.status == 200
                assert len(await resp.json()) == 1
            else:
                await assert_refused(sim, resp, refusal_of(dialect))
                assert "gas" in sim.request_log[-1].refused
        assert len(await fetch(client, token, "1")) == 96  # electricity is unaffected


def test_live_option_changes_are_checked(simulator: FluviusSimulator) -> None:
    with pytest.raises(ValueError, match="settings_variant"):
        simulator.options.settings_variant = "fancy"
    with pytest.raises(ValueError, match="dialect"):
        simulator.options.dialect = "dialect_z"
    with pytest.raises(ValueError, match="field_ids"):
        simulator.options.field_ids = ("same", "same")
    simulator.options.dialect = "dialect_c"
    simulator.options.field_ids = ["a", "b"]
    assert simulator.options.field_ids == ("a", "b")
