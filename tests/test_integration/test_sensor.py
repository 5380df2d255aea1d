"""Sensor states compared with the simulator's ground truth."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta

from homeassistant.components.sensor import ATTR_STATE_CLASS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNKNOWN,
    EntityCategory,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.const import CONF_CAPACITY_PRICE, DOMAIN
from tests.entries import coordinator
from tests.recorded import statistics_rows
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.data import QUARTER_HOUR, VS_FINAL
from tests.simulator.demo import (
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    OTHER_EAN,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    OTHER_SERIAL,
    RECENT_EAN,
    RECENT_SERIAL,
    SINGLE_EAN,
    SINGLE_SERIAL,
)

from .conftest import make_entry
from .test_init import assert_rows_match_truth

ELECTRICITY_KEYS = {
    "consumption_high",
    "consumption_low",
    "injection_high",
    "injection_low",
    "net_usage",
    "measurement_day",
    "monthly_peak",
    "capacity_tariff",
    "newest_data",
    "backfill_progress",
}


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up (with any other entry of the domain) and check it loaded."""
    if entry.state is ConfigEntryState.NOT_LOADED:
        await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


def state_of(hass: HomeAssistant, ean: str, key: str) -> State:
    """The state of one sensor, found by its unique ID."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def newest_day(sim: FluviusSimulator, ean: str) -> date:
    """The newest published day (electricity day or gas day), by the simulator's truth."""
    until = sim.truth(ean).published_until()
    assert until is not None
    local = until.astimezone(BRUSSELS)
    # The day ends at local midnight (electricity) or 06:00 (gas day).
    return (local - timedelta(hours=local.hour, minutes=1)).date()


def validated(sim: FluviusSimulator, ean: str, day: date, as_of: datetime) -> bool:
    """Whether Fluvius serves the day as validated: every value of it final (`vs` 2)."""
    truth = sim.truth(ean)
    periods = truth.periods(*truth.day_bounds(day), QUARTER_HOUR, as_of=as_of)
    assert periods
    return all(period.status == VS_FINAL for period in periods)


def assert_measurement_day(hass: HomeAssistant, sim: FluviusSimulator, ean: str) -> date:
    """The Measurement day sensor shows the truth's last published day (gas: the gas day,
    by its start date), and whether Fluvius validated it; returns that day."""
    now = dt_util.utcnow()
    day = sim.truth(ean).last_published_day(now)
    assert newest_day(sim, ean) == day
    state = state_of(hass, ean, "measurement_day")
    assert state.state == day.isoformat()
    assert state.attributes[ATTR_DEVICE_CLASS] == "date"
    assert state.attributes["final"] is validated(sim, ean, day, now)
    return day


def assert_electricity_matches(hass: HomeAssistant, sim: FluviusSimulator, ean: str) -> None:
    """Every electricity sensor equals the truth of the newest day and current month."""
    now = dt_util.utcnow()
    day = assert_measurement_day(hass, sim, ean)
    final = validated(sim, ean, day, now)
    truth = sim.truth(ean).daily(day, as_of=now)
    assert truth is not None
    for key in ("consumption_high", "consumption_low", "injection_high", "injection_low"):
        state = state_of(hass, ean, key)
        assert float(state.state) == pytest.approx(truth[key], abs=1e-9), key
        assert state.attributes["day"] == day.isoformat()
        assert state.attributes["final"] is final
    net = state_of(hass, ean, "net_usage")
    expected_net = (
        truth["consumption_high"]
        + truth["consumption_low"]
        - truth["injection_high"]
        - truth["injection_low"]
    )
    assert float(net.state) == pytest.approx(expected_net, abs=1e-6)
    assert net.attributes["day"] == day.isoformat()

    local_now = now.astimezone(BRUSSELS)
    peak_truth = sim.truth(ean).monthly_peak(local_now.year, local_now.month, as_of=now)
    peak = state_of(hass, ean, "monthly_peak")
    assert peak_truth is not None
    kw, start, end = peak_truth
    assert float(peak.state) == pytest.approx(kw, abs=1e-9)
    assert peak.attributes["start"] == start.isoformat()
    assert peak.attributes["end"] == end.isoformat()

    newest = state_of(hass, ean, "newest_data")
    assert dt_util.parse_datetime(newest.state) == sim.truth(ean).published_until()


async def test_electricity_sensors(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Day values, net usage, monthly peak and freshness equal the truth; metadata right."""
    await setup_entry(hass, elec_entry)
    assert_electricity_matches(hass, fluvius, ELEC_EAN)
    # Fluvius publishes a day provisional: it may still revise it for two days.
    assert state_of(hass, ELEC_EAN, "measurement_day").attributes["final"] is False

    entries = [
        e
        for e in er.async_entries_for_config_entry(entity_registry, elec_entry.entry_id)
        if e.domain == "sensor"
    ]
    assert {e.unique_id for e in entries} == {f"{ELEC_EAN}_{k}" for k in ELECTRICITY_KEYS}
    for entity in entries:
        state = hass.states.get(entity.entity_id)
        assert state is not None
        # No long-term statistics from late day values; the peaks are measurements (graphs).
        key = entity.unique_id.removeprefix(f"{ELEC_EAN}_")
        expected = "measurement" if key in ("monthly_peak", "capacity_tariff") else None
        assert state.attributes.get(ATTR_STATE_CLASS) == expected
        assert entity.translation_key == entity.unique_id.removeprefix(f"{ELEC_EAN}_")
        assert entity.has_entity_name
    newest = entity_registry.async_get(
        entity_registry.async_get_entity_id("sensor", DOMAIN, f"{ELEC_EAN}_newest_data")
    )
    assert newest is not None
    assert newest.entity_category is EntityCategory.DIAGNOSTIC
    assert state_of(hass, ELEC_EAN, "monthly_peak").attributes[ATTR_UNIT_OF_MEASUREMENT] == "kW"
    assert state_of(hass, ELEC_EAN, "net_usage").attributes[ATTR_DEVICE_CLASS] == "energy"

    device = device_registry.async_get_device_by_identifier((DOMAIN, ELEC_EAN), elec_entry.entry_id)
    assert device is not None
    assert device.manufacturer == "Fluvius"
    assert device.model == "Electricity meter"
    assert device.serial_number == ELEC_SERIAL
    assert device.configuration_url == "https://mijn.fluvius.be/"
    assert device.name == f"Electricity meter …{ELEC_EAN[-4:]}"


async def test_existing_entity_ids_are_kept(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """An installation from before the names of the bill (Consumption high, Monthly peak
    for the event...) keeps its entity IDs, so its automations keep working; the unique IDs
    never changed, only the names shown are the new ones."""
    suffix = ELEC_EAN[-4:]
    old = {
        ("sensor", "consumption_high"): ("consumption_high", "Consumption day tariff"),
        ("sensor", "injection_low"): ("injection_low", "Injection night tariff"),
        ("sensor", "net_usage"): ("net_usage", "Net consumption"),
        ("event", "monthly_peak_event"): ("monthly_peak", "New monthly peak"),
    }
    for (domain, key), (object_id, _) in old.items():
        entity_registry.async_get_or_create(
            domain,
            DOMAIN,
            f"{ELEC_EAN}_{key}",
            config_entry=elec_entry,
            suggested_object_id=f"electricity_meter_{suffix}_{object_id}",
        )
    await setup_entry(hass, elec_entry)
    for (domain, key), (object_id, name) in old.items():
        entity_id = entity_registry.async_get_entity_id(domain, DOMAIN, f"{ELEC_EAN}_{key}")
        assert entity_id == f"{domain}.electricity_meter_{suffix}_{object_id}"
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes["friendly_name"] == f"Electricity meter …{suffix} {name}"
    # A sensor that did not exist before gets its ID from its (new) name.
    day_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{ELEC_EAN}_measurement_day")
    assert day_id == f"sensor.electricity_meter_{suffix}_measurement_day"


async def test_gas_sensors(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    gas_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Gas m³ and kWh equal the truth of the newest gas day."""
    await setup_entry(hass, gas_entry)
    now = dt_util.utcnow()
    day = assert_measurement_day(hass, fluvius, GAS_EAN)
    truth = fluvius.truth(GAS_EAN).daily(day, as_of=now)
    assert truth is not None
    volume = state_of(hass, GAS_EAN, "gas_volume")
    energy = state_of(hass, GAS_EAN, "gas_energy")
    assert float(volume.state) == pytest.approx(truth["gas_volume"], abs=1e-9)
    assert float(energy.state) == pytest.approx(truth["gas_energy"], abs=1e-9)
    assert volume.attributes["day"] == energy.attributes["day"] == day.isoformat()
    final = validated(fluvius, GAS_EAN, day, now)
    assert volume.attributes["final"] is energy.attributes["final"] is final
    assert volume.attributes[ATTR_UNIT_OF_MEASUREMENT] == "m³"
    assert energy.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    assert ATTR_STATE_CLASS not in volume.attributes
    newest = state_of(hass, GAS_EAN, "newest_data")
    assert dt_util.parse_datetime(newest.state) == fluvius.truth(GAS_EAN).published_until()

    entries = er.async_entries_for_config_entry(entity_registry, gas_entry.entry_id)
    # No peak event and no capacity tariff for gas.
    assert {e.unique_id for e in entries} == {
        f"{GAS_EAN}_{k}"
        for k in ("gas_volume", "gas_energy", "measurement_day", "newest_data", "backfill_progress")
    }
    device = device_registry.async_get_device_by_identifier((DOMAIN, GAS_EAN), gas_entry.entry_id)
    assert device is not None
    assert device.model == "Gas meter"
    assert device.serial_number == GAS_SERIAL


async def test_single_tariff_sensors(hass: HomeAssistant, fluvius: FluviusSimulator) -> None:
    """A single-register meter gets single consumption/injection sensors, not high/low."""
    entry = make_entry(hass, SINGLE_EAN, SINGLE_SERIAL)
    await setup_entry(hass, entry)
    day = newest_day(fluvius, SINGLE_EAN)
    truth = fluvius.truth(SINGLE_EAN).daily(day, as_of=dt_util.utcnow())
    assert truth is not None
    for key in ("consumption_single", "injection_single"):
        assert float(state_of(hass, SINGLE_EAN, key).state) == pytest.approx(truth[key])
    net = state_of(hass, SINGLE_EAN, "net_usage")
    assert float(net.state) == pytest.approx(
        truth["consumption_single"] - truth["injection_single"], abs=1e-6
    )
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{SINGLE_EAN}_consumption_high") is None


async def test_values_follow_new_days_and_revisions(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    tick: Callable[[timedelta], Awaitable[None]],
) -> None:
    """Over several days of hourly ticks the sensors keep matching the truth.

    Also across a month change, and the coordinator's recent days end up equal to the
    revised (final) values once Fluvius has finalised them.
    """
    await setup_entry(hass, both_entry)
    for _ in range(4 * 24):
        await tick(timedelta(hours=1))
    assert_electricity_matches(hass, fluvius, ELEC_EAN)
    gas_day = assert_measurement_day(hass, fluvius, GAS_EAN)
    gas_truth = fluvius.truth(GAS_EAN).daily(gas_day, as_of=dt_util.utcnow())
    assert gas_truth is not None
    assert float(state_of(hass, GAS_EAN, "gas_volume").state) == pytest.approx(
        gas_truth["gas_volume"]
    )
    # Revisions: every day the coordinator holds equals what the portal serves now.
    now = dt_util.utcnow()
    for ean in (ELEC_EAN, GAS_EAN):
        days = coordinator(both_entry, ean).data.days
        assert len(days) >= 7
        for day, totals in days.items():
            served = fluvius.truth(ean).daily(day, as_of=now)
            assert served is not None
            assert {str(k): v for k, v in totals.values.items()} == pytest.approx(served), day


# A yearly capacity price per kW, so the capacity cost sensor exists.
CAPACITY_PRICE = 53.7894
FLOOR_KW = 2.5  # every month counts as at least this, stated here independently of the code


def assert_peak_shows(
    hass: HomeAssistant, sim: FluviusSimulator, month: date, *, current: bool
) -> None:
    """The peak sensor shows the truth's peak of ``month`` so far, and names that month."""
    now = dt_util.utcnow()
    truth = sim.truth(ELEC_EAN).monthly_peak(month.year, month.month, as_of=now)
    assert truth is not None
    kw, start, end = truth
    peak = state_of(hass, ELEC_EAN, "monthly_peak")
    assert float(peak.state) == pytest.approx(kw, abs=1e-9), now
    assert peak.attributes["month"] == f"{month:%Y-%m}", now
    assert peak.attributes["current_month"] is current, now
    assert peak.attributes["start"] == start.isoformat()
    assert peak.attributes["end"] == end.isoformat()


def assert_capacity_matches(hass: HomeAssistant, sim: FluviusSimulator) -> None:
    """Average monthly peak and capacity cost as the truth has them: this month (while it
    has a peak) and the 11 before, each floored at 2.5 kW, averaged over those with a peak."""
    now = dt_util.utcnow()
    truth = sim.truth(ELEC_EAN)
    month = now.astimezone(BRUSSELS).date().replace(day=1)
    counted: dict[str, float] = {}
    for _ in range(12):
        if (peak := truth.monthly_peak(month.year, month.month, as_of=now)) is not None:
            counted[f"{month:%Y-%m}"] = max(peak[0], FLOOR_KW)
        month = (month - timedelta(days=1)).replace(day=1)
    average = sum(counted.values()) / len(counted)
    tariff = state_of(hass, ELEC_EAN, "capacity_tariff")
    assert tariff.attributes["months"] == pytest.approx(counted), now
    assert float(tariff.state) == pytest.approx(average, abs=5e-4)
    cost = state_of(hass, ELEC_EAN, "capacity_cost")
    assert float(cost.state) == pytest.approx(average * CAPACITY_PRICE / 12, abs=0.006)


@pytest.mark.parametrize(
    "setup_at",
    [
        datetime(2026, 4, 30, 22, 30, tzinfo=BRUSSELS),
        datetime(2026, 5, 1, 10, 0, tzinfo=BRUSSELS),
    ],
    ids=["running_at_midnight", "started_on_the_1st"],
)
async def test_last_months_peak_until_the_month_has_one(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    move_to: Callable[[datetime], Awaitable[None]],
    tick: Callable[[timedelta], Awaitable[None]],
    setup_at: datetime,
) -> None:
    """On the 1st of a month, until Fluvius publishes its first day (the morning of the
    2nd), the month has no peak: the peak sensor shows last month's, and says so. Then the
    new month's peak takes over. The average monthly peak, the capacity cost and the event
    go on as they always did: the new month counts, and is announced, once it has a peak."""
    april, may = date(2026, 4, 1), date(2026, 5, 1)
    published = fluvius.truth(ELEC_EAN).publish_time(may)
    assert published == datetime(2026, 5, 2, 7, 0, tzinfo=BRUSSELS)
    entry = make_entry(hass, prices={CONF_CAPACITY_PRICE: CAPACITY_PRICE})
    await move_to(setup_at)
    await setup_entry(hass, entry)
    event_id = f"event.electricity_meter_{ELEC_EAN[-4:]}_new_monthly_peak"
    announced: list[tuple[datetime, str]] = []

    @callback
    def _fired(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None and "month" in new.attributes:
            announced.append((dt_util.utcnow(), new.attributes["month"]))

    async_track_state_change_event(hass, event_id, _fired)

    # Hour by hour until the 2nd, 09:00: the hourly poll after 07:00 finds the 1st published.
    while True:
        now = dt_util.utcnow()
        if now.astimezone(BRUSSELS).date() < may:
            assert_peak_shows(hass, fluvius, april, current=True)
        elif now < published:
            assert_peak_shows(hass, fluvius, april, current=False)
            assert "2026-05" not in state_of(hass, ELEC_EAN, "capacity_tariff").attributes["months"]
        elif now >= published + timedelta(hours=1):
            assert_peak_shows(hass, fluvius, may, current=True)
        assert_capacity_matches(hass, fluvius)
        if now >= datetime(2026, 5, 2, 9, 0, tzinfo=BRUSSELS):
            break
        await tick(timedelta(hours=1))

    # May is announced once, and only after its first day is in.
    may_announced = [when for when, month in announced if month == "2026-05"]
    assert len(may_announced) == 1
    assert may_announced[0] >= published
    assert all(month == "2026-04" for when, month in announced if when < published)
    event = hass.states.get(event_id)
    assert event is not None
    assert event.attributes["month"] == "2026-05"


async def test_meter_without_data_yet(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    move_to: Callable[[datetime], Awaitable[None]],
) -> None:
    """A meter installed today has no published day: sensors are unknown, not wrong."""
    await move_to(datetime(2026, 3, 10, 12, 0, tzinfo=BRUSSELS))
    entry = make_entry(hass, RECENT_EAN, RECENT_SERIAL, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    await setup_entry(hass, entry)
    assert coordinator(entry).data.latest_day is None
    for key in ("consumption_high", "net_usage", "measurement_day", "monthly_peak", "newest_data"):
        assert state_of(hass, RECENT_EAN, key).state == STATE_UNKNOWN
    assert "day" not in state_of(hass, RECENT_EAN, "net_usage").attributes


class TestValidatedDay:
    """A portal that serves every day validated at once (no revision period), so the newest
    day, provisional on the default portal, shows as validated."""

    @pytest.fixture
    async def simulator(
        self, socket_enabled: None, sim_clock: SimClock
    ) -> AsyncIterator[FluviusSimulator]:
        """The demo portal without its two days of provisional values."""
        sim = FluviusSimulator.demo(clock=sim_clock, revision_days=0)
        await sim.start()
        try:
            yield sim
        finally:
            await sim.stop()

    async def test_newest_day_validated(
        self, hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
    ) -> None:
        """The measurement day, the day values and "Validated by Fluvius" equal the truth."""
        await setup_entry(hass, both_entry)
        now = dt_util.utcnow()
        for ean in (ELEC_EAN, GAS_EAN):
            day = assert_measurement_day(hass, fluvius, ean)
            assert validated(fluvius, ean, day, now)  # the premise
            assert state_of(hass, ean, "measurement_day").attributes["final"] is True
        assert_electricity_matches(hass, fluvius, ELEC_EAN)


async def test_history_import_reports_its_end(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """Once the history import of each meter is done, its History import sensor says so at
    once: 100 % and activity idle, not "importing" until something else reports progress
    (issue #23, item 1)."""
    await setup_entry(hass, both_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    for ean in (ELEC_EAN, GAS_EAN):
        assert coordinator(both_entry, ean).backfill.done, ean  # the premise
        state = state_of(hass, ean, "backfill_progress")
        assert float(state.state) == 100.0, ean
        assert state.attributes["activity"] == "idle", ean


ELEC_REGISTERS = ("consumption_high", "consumption_low", "injection_high", "injection_low")
GAS_REGISTERS = ("gas_volume", "gas_energy")


@pytest.mark.parametrize("zeros", ["send", "omit"])
async def test_saturday_day_tariff_is_zero(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    move_to: Callable[[datetime], Awaitable[None]],
    zeros: str,
) -> None:
    """A Saturday is night tariff all day: on a portal that lists its day tariff with 0, or
    leaves it out, the newest day being that Saturday shows Consumption day tariff 0 (not
    unknown), the day totals and every other sensor equal the truth, and the statistics
    stay exact hour by hour, electricity and gas (issue #23, item 0).

    A register never seen stays absent: the neighbour's meter has no solar panels, so where
    the portal leaves zeros out its injection sensors stay unknown (where it sends them, 0).
    """
    fluvius.options.zero_registers = zeros
    saturday = date(2026, 4, 11)
    await move_to(datetime(2026, 4, 11, 12, 0, tzinfo=BRUSSELS))  # Friday is the newest day
    neighbour = make_entry(
        hass, OTHER_EAN, OTHER_SERIAL, email=OTHER_EMAIL, password=OTHER_PASSWORD
    )
    await setup_entry(hass, both_entry)
    assert neighbour.state is ConfigEntryState.LOADED
    await hass.async_block_till_done(wait_background_tasks=True)
    await move_to(datetime(2026, 4, 12, 8, 0, tzinfo=BRUSSELS))  # Saturday published at 7
    now = dt_util.utcnow()
    truth = fluvius.truth(ELEC_EAN).daily(saturday, as_of=now)
    assert truth is not None
    assert truth["consumption_high"] == 0  # the premise

    assert_rows_match_truth(
        await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS), fluvius, ELEC_EAN
    )
    assert_rows_match_truth(await statistics_rows(hass, GAS_EAN, GAS_REGISTERS), fluvius, GAS_EAN)
    assert assert_measurement_day(hass, fluvius, ELEC_EAN) == saturday
    assert_electricity_matches(hass, fluvius, ELEC_EAN)
    assert float(state_of(hass, ELEC_EAN, "consumption_high").state) == 0
    day = coordinator(both_entry, ELEC_EAN).data.days[saturday]
    assert dict(day.values) == pytest.approx(truth, abs=1e-9)
    gas_day = assert_measurement_day(hass, fluvius, GAS_EAN)
    gas_truth = fluvius.truth(GAS_EAN).daily(gas_day, as_of=now)
    assert gas_truth is not None
    for key in GAS_REGISTERS:
        assert float(state_of(hass, GAS_EAN, key).state) == pytest.approx(gas_truth[key])

    assert assert_measurement_day(hass, fluvius, OTHER_EAN) == saturday
    other = fluvius.truth(OTHER_EAN).daily(saturday, as_of=now)
    assert other is not None
    assert other["injection_high"] == other["injection_low"] == 0  # the premise
    for key in ("consumption_high", "consumption_low"):
        assert float(state_of(hass, OTHER_EAN, key).state) == pytest.approx(other[key]), key
    for key in ("injection_high", "injection_low"):
        state = state_of(hass, OTHER_EAN, key).state
        assert state == ("0.0" if zeros == "send" else STATE_UNKNOWN), key
