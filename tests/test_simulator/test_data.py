"""Generated data and ground truth: sums, DST, tariffs, solar, gas, publication, revisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import time as wallclock

import pytest

from tests.simulator import BRUSSELS, FluviusSimulator, SimClock, SimMeter
from tests.simulator.data import MeterSeries, Publication, local_midnight
from tests.simulator.demo import (
    DEMO_NOW,
    ELEC_EAN,
    GAS_EAN,
    INSTALLED,
    OTHER_EAN,
    RECENT_EAN,
    RECENT_INSTALLED,
    SINGLE_EAN,
    demo_accounts,
    ean_check_digit,
    make_ean,
)

SPRING = date(2026, 3, 29)
AUTUMN = date(2025, 10, 26)


@pytest.fixture
def sim() -> FluviusSimulator:
    return FluviusSimulator.demo(clock=SimClock(DEMO_NOW))


def day_range(day: date) -> tuple[datetime, datetime]:
    return local_midnight(day), local_midnight(day + timedelta(days=1))


# --- identifiers ---------------------------------------------------------------------------


def gs1_from_left(digits17: str) -> int:
    """Independent check: GS1 weights 3,1,3,... from the left for an 18-digit key."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits17))
    return -total % 10


def test_ean_check_digits() -> None:
    for _, _, _, meters in demo_accounts():
        for meter in meters:
            assert len(meter.ean) == 18
            assert meter.ean.startswith("54")
            assert int(meter.ean[-1]) == gs1_from_left(meter.ean[:17])
            assert ean_check_digit(meter.ean[:17]) == int(meter.ean[-1])
    assert make_ean("54144882300012345") == "541448823000123456"
    with pytest.raises(ValueError, match="54"):
        make_ean("12345678901234567")
    with pytest.raises(ValueError, match="invalid EAN"):
        SimMeter("541448823000123450", "X")


# --- sums and DST --------------------------------------------------------------------------


@pytest.mark.parametrize("ean", [ELEC_EAN, SINGLE_EAN, OTHER_EAN])
def test_day_total_is_sum_of_quarter_hours(sim: FluviusSimulator, ean: str) -> None:
    truth = sim.truth(ean)
    for day in (date(2025, 1, 15), date(2025, 7, 5), SPRING, AUTUMN):
        quarters = truth.intervals(*day_range(day))
        total = truth.daily(day)
        assert total is not None
        for register, value in total.items():
            assert value == round(sum(q[register] for q in quarters.values()), 3)


def test_hour_is_sum_of_four_quarters(sim: FluviusSimulator) -> None:
    truth = sim.truth(ELEC_EAN)
    start, end = day_range(date(2025, 6, 21))
    quarters = truth.intervals(start, end)
    hours = truth.hourly(start, end)
    assert len(hours) == 24
    for hour, values in hours.items():
        parts = [quarters[hour + timedelta(minutes=15 * i)] for i in range(4)]
        for register, value in values.items():
            assert value == round(sum(p[register] for p in parts), 3)


def test_dst_days(sim: FluviusSimulator) -> None:
    truth = sim.truth(ELEC_EAN)
    for day, quarters in ((SPRING, 92), (AUTUMN, 100), (date(2026, 3, 28), 96)):
        assert len(truth.intervals(*day_range(day))) == quarters
        assert len(truth.hourly(*day_range(day))) == quarters // 4
    gas = sim.truth(GAS_EAN)
    # The gas day starting 2026-03-28 06:00 contains the spring switch.
    spring = datetime.combine(date(2026, 3, 28), time(6), BRUSSELS).astimezone(UTC)
    assert len(gas.intervals(spring, spring + timedelta(hours=23))) == 23
    assert len(gas.intervals(spring, spring + timedelta(hours=24))) == 24  # one of the next day
    assert len(gas.periods(spring, spring + timedelta(hours=23), "day")) == 1
    autumn = datetime.combine(date(2025, 10, 25), time(6), BRUSSELS).astimezone(UTC)
    assert len(gas.periods(autumn, autumn + timedelta(hours=25), "hour")) == 25
    (day,) = gas.periods(autumn, autumn + timedelta(hours=1), "day")
    assert day.end - day.start == timedelta(hours=25)


def test_gas_day_total(sim: FluviusSimulator) -> None:
    gas = sim.truth(GAS_EAN)
    day = date(2026, 1, 20)
    start = datetime.combine(day, time(6), BRUSSELS).astimezone(UTC)
    hours = gas.intervals(start, start + timedelta(days=1))
    assert min(hours) == datetime(2026, 1, 20, 5, tzinfo=UTC)
    total = gas.daily(day)
    assert total is not None
    assert total["gas_volume"] == round(sum(h["gas_volume"] for h in hours.values()), 3)
    assert total["gas_energy"] == round(sum(h["gas_energy"] for h in hours.values()), 3)
    (period,) = gas.periods(start, start + timedelta(hours=1), "day")
    assert period.factor is not None
    assert 10.8 <= period.factor <= 11.4
    for values in hours.values():
        assert values["gas_energy"] == round(values["gas_volume"] * period.factor, 3)


# --- realism -------------------------------------------------------------------------------


def test_tariff_schedule(sim: FluviusSimulator) -> None:
    truth = sim.truth(ELEC_EAN)
    start, end = day_range(date(2025, 6, 2))  # Monday, one week
    week = truth.intervals(start, end + timedelta(days=6))
    for when, values in week.items():
        local = when.astimezone(BRUSSELS)
        high = local.weekday() < 5 and 7 <= local.hour < 22
        for direction in ("consumption", "injection"):
            inactive = f"{direction}_{'low' if high else 'high'}"
            assert values[inactive] == 0, (when, values)
        # Netting per quarter-hour: never offtake and injection together.
        offtake = values["consumption_high"] + values["consumption_low"]
        injection = values["injection_high"] + values["injection_low"]
        assert offtake == 0 or injection == 0
    weekend = [v for w, v in week.items() if w.astimezone(BRUSSELS).weekday() >= 5]
    assert all(v["consumption_high"] == 0 for v in weekend)
    assert sum(v["consumption_low"] for v in weekend) > 0


def test_solar_and_seasons(sim: FluviusSimulator) -> None:
    truth = sim.truth(ELEC_EAN)
    year = truth.intervals(local_midnight(date(2025, 1, 1)), local_midnight(date(2026, 1, 1)))
    assert len(year) == 365 * 96
    by_month = dict.fromkeys(range(1, 13), 0.0)
    for when, values in year.items():
        local = when.astimezone(BRUSSELS)
        injection = values["injection_high"] + values["injection_low"]
        if local.hour >= 22 or local.hour < 5:
            assert injection == 0
        by_month[local.month] += injection
    assert by_month[6] > 5 * by_month[12]
    assert by_month[7] > by_month[3] > by_month[1]
    offtake = sum(v["consumption_high"] + v["consumption_low"] for v in year.values())
    assert 2500 < offtake < 8000  # household + EV, kWh per year
    no_solar = sim.truth(SINGLE_EAN).intervals(*day_range(date(2025, 6, 21)))
    assert all(v["injection_single"] == 0 for v in no_solar.values())


def test_cloudy_and_sunny_days_differ(sim: FluviusSimulator) -> None:
    truth = sim.truth(ELEC_EAN)
    june = [truth.daily(date(2025, 6, d)) for d in range(1, 31)]
    injections = sorted(d["injection_high"] + d["injection_low"] for d in june if d)
    assert injections[-1] > 3 * injections[0]


def test_ev_makes_monthly_peaks(sim: FluviusSimulator) -> None:
    truth = sim.truth(ELEC_EAN)
    plain = sim.truth(OTHER_EAN)
    for month in range(1, 13):
        peak = truth.monthly_peak(2025, month)
        assert peak is not None
        kw, start, end = peak
        assert kw > 4.5
        assert end - start == timedelta(minutes=15)
        other = plain.monthly_peak(2025, month)
        assert other is not None
        assert other[0] < kw


def test_monthly_peak_is_max_quarter_hour(sim: FluviusSimulator) -> None:
    truth = sim.truth(ELEC_EAN)
    for year, month in ((2025, 10), (2026, 3)):
        first = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        quarters = truth.intervals(local_midnight(first), local_midnight(after))
        best = max(
            quarters.items(),
            key=lambda item: (
                item[1]["consumption_high"] + item[1]["consumption_low"],
                -item[0].timestamp(),
            ),
        )
        kw = round((best[1]["consumption_high"] + best[1]["consumption_low"]) * 4, 3)
        assert truth.monthly_peak(year, month) == (kw, best[0], best[0] + timedelta(minutes=15))
    assert sim.truth(GAS_EAN).monthly_peak(2025, 1) is None
    single = sim.truth(SINGLE_EAN).monthly_peak(2025, 1)
    assert single is not None
    assert single[0] > 0


def test_gas_seasons(sim: FluviusSimulator) -> None:
    gas = sim.truth(GAS_EAN)
    january = sum(gas.daily(date(2025, 1, d))["gas_volume"] for d in range(1, 32))  # type: ignore[index]
    july = sum(gas.daily(date(2025, 7, d))["gas_volume"] for d in range(1, 32))  # type: ignore[index]
    assert january > 4 * july
    assert july > 0  # hot water all year


def test_installation_date(sim: FluviusSimulator) -> None:
    recent = sim.truth(RECENT_EAN)
    assert recent.daily(RECENT_INSTALLED - timedelta(days=1)) is None
    assert recent.daily(RECENT_INSTALLED) is not None
    start = local_midnight(RECENT_INSTALLED - timedelta(days=3))
    quarters = recent.intervals(start, start + timedelta(days=4))
    assert min(quarters) == local_midnight(RECENT_INSTALLED)
    assert recent.monthly_peak(2026, 2) is None
    assert sim.truth(ELEC_EAN).daily(INSTALLED - timedelta(days=1)) is None


def test_deterministic() -> None:
    def sample(seed: int) -> dict[datetime, dict[str, float]]:
        sim = FluviusSimulator.demo(clock=SimClock(DEMO_NOW), seed=seed)
        return sim.truth(ELEC_EAN).intervals(*day_range(date(2025, 8, 8)))

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)


def test_fast_generation() -> None:
    meter = SimMeter(make_ean("54000000000000001"), "1SAG0", solar_kwp=5.0, ev=True)
    series = MeterSeries(meter, "speed", Publication())
    started = wallclock.process_time()  # CPU time: robust against a busy machine
    for offset in range(365):
        series.final_block(date(2025, 1, 1) + timedelta(days=offset))
    assert wallclock.process_time() - started < 1.0


# --- publication and revisions -------------------------------------------------------------


def test_published_until(sim: FluviusSimulator) -> None:
    elec = sim.truth(ELEC_EAN)
    gas = sim.truth(GAS_EAN)
    # DEMO_NOW is 12:00 Brussels on 2026-04-15.
    assert elec.published_until() == local_midnight(date(2026, 4, 15))
    gas_end = datetime.combine(date(2026, 4, 13), time(6), BRUSSELS).astimezone(UTC)
    assert gas.published_until() == gas_end
    before_seven = datetime.combine(date(2026, 4, 15), time(6, 59), BRUSSELS)
    assert elec.published_until(before_seven) == local_midnight(date(2026, 4, 14))
    assert elec.publish_time(date(2026, 4, 14)) == datetime.combine(
        date(2026, 4, 15), time(7), BRUSSELS
    ).astimezone(UTC)
    start = local_midnight(date(2026, 4, 14))
    assert (
        elec.intervals(start, start + timedelta(days=2), as_of=DEMO_NOW).keys()
        == elec.intervals(start, start + timedelta(days=1)).keys()
    )
    assert elec.daily(date(2026, 4, 15), as_of=DEMO_NOW) is None
    assert elec.daily(date(2026, 4, 15)) is not None  # final values exist ahead of time
    assert sim.truth(RECENT_EAN).published_until(datetime(2026, 3, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize("ean", [ELEC_EAN, GAS_EAN])
def test_revisions(sim: FluviusSimulator, ean: str) -> None:
    truth = sim.truth(ean)
    day = truth.last_published_day()
    published = truth.publish_time(day)
    final_at = truth.final_time(day)
    assert final_at - published == timedelta(days=2)
    start, end = truth.day_bounds(day)
    assert truth.intervals(start, end, as_of=published - timedelta(seconds=1)) == {}
    provisional = truth.periods(start, end, "quarter_hour", as_of=published)
    final = truth.periods(start, end, "quarter_hour")
    assert [p.start for p in provisional] == [p.start for p in final]
    assert {p.status for p in provisional} <= {1, 3}
    changed = [a for a, b in zip(provisional, final, strict=True) if a.values != b.values]
    assert changed
    assert all(p.status == 1 for p in changed)
    assert len(changed) <= len(final) * 0.35
    for a, b in zip(provisional, final, strict=True):
        for register, value in a.values.items():
            assert abs(value - b.values[register]) <= abs(b.values[register]) * 0.3 + 0.002
    assert truth.status(start, as_of=published) in {1, 3}
    assert truth.intervals(start, end, as_of=final_at) == truth.intervals(start, end)
    assert truth.status(start, as_of=final_at) == 2
    daily_provisional = truth.daily(day, as_of=published)
    assert daily_provisional != truth.daily(day)
    assert truth.daily(day, as_of=final_at) == truth.daily(day)


def test_peak_follows_revisions(sim: FluviusSimulator) -> None:
    truth = sim.truth(ELEC_EAN)
    as_of = DEMO_NOW
    start = local_midnight(date(2026, 4, 1))
    served = truth.intervals(start, local_midnight(date(2026, 5, 1)), as_of=as_of)
    best = max(
        round((v["consumption_high"] + v["consumption_low"]) * 4, 3) for v in served.values()
    )
    peak = truth.monthly_peak(2026, 4, as_of=as_of)
    assert peak is not None
    assert peak[0] == best
    final = truth.monthly_peak(2026, 4)
    assert final is not None
    assert final[0] >= max(
        round((v["consumption_high"] + v["consumption_low"]) * 4, 3)
        for v in truth.intervals(start, local_midnight(date(2026, 4, 13))).values()
    )


def test_publication_options() -> None:
    sim = FluviusSimulator.demo(
        clock=SimClock(DEMO_NOW), elec_delay_days=2, publish_hour=9, revision_days=0
    )
    truth = sim.truth(ELEC_EAN)
    assert truth.published_until() == local_midnight(date(2026, 4, 14))
    day = date(2026, 4, 13)
    assert truth.status(local_midnight(day)) == 2
    assert truth.daily(day, as_of=DEMO_NOW) == truth.daily(day)
