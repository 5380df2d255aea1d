"""The monthly peaks calendar compared with the simulator's ground truth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.const import DOMAIN
from tests.entries import coordinator
from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN, GAS_EAN

Peak = tuple[float, datetime, datetime]


async def setup_all(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the domain (all its entries)."""
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def calendar_id(hass: HomeAssistant, ean: str) -> str:
    """The peaks calendar of a meter, found by its unique ID."""
    entity_id = er.async_get(hass).async_get_entity_id("calendar", DOMAIN, f"{ean}_monthly_peaks")
    assert entity_id is not None
    return entity_id


async def get_events(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The calendar's events in [start, end), through the calendar.get_events action."""
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    events = response[entity_id]
    assert isinstance(events, dict)
    listed = events["events"]
    assert isinstance(listed, list)
    return listed


async def api_events(
    client_factory: ClientSessionGenerator, entity_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The calendar's events in [start, end), through the calendar HTTP API (which, unlike
    the action, also answers for an unavailable calendar)."""
    client = await client_factory()
    response = await client.get(
        f"/api/calendars/{entity_id}",
        params={"start": start.isoformat(), "end": end.isoformat()},
    )
    assert response.status == 200
    listed = await response.json()
    assert isinstance(listed, list)
    return listed


def months_back(today: date, count: int) -> list[date]:
    """The first days of `today`'s month and the `count - 1` months before it, oldest first."""
    months = [today.replace(day=1)]
    while len(months) < count:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months[::-1]


def truth_peaks(sim: FluviusSimulator, ean: str, months: list[date]) -> dict[date, Peak]:
    """The portal's peak of each month, as served now (months without data left out)."""
    now = dt_util.utcnow()
    found: dict[date, Peak] = {}
    for month in months:
        if (peak := sim.truth(ean).monthly_peak(month.year, month.month, as_of=now)) is not None:
            found[month] = peak
    return found


def _instant(value: str | dict[str, str]) -> datetime:
    """A time as the action ("…T…+02:00") or the HTTP API ({"dateTime": …}) gives it."""
    parsed = dt_util.parse_datetime(value["dateTime"] if isinstance(value, dict) else value)
    assert parsed is not None
    assert parsed.tzinfo is not None
    return parsed


def as_listed(event: dict[str, Any]) -> tuple[datetime, datetime, str]:
    """A listed event as (start, end, summary), times as instants."""
    return _instant(event["start"]), _instant(event["end"]), event["summary"]


def expected(peak: Peak) -> tuple[datetime, datetime, str]:
    kw, start, end = peak
    return start, end, f"Monthly peak {kw:.2f} kW"


async def test_calendar_lists_the_monthly_peaks(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Over several months the calendar holds exactly the portal's monthly peaks: one
    quarter-hour each, with the power in the summary and the month in the description."""
    await setup_all(hass, both_entry)
    entity_id = calendar_id(hass, ELEC_EAN)
    # The capacity tariff's months (this one and the 11 before, the months the calendar
    # keeps), from the first of the oldest to the end of this month.
    today = dt_util.utcnow().astimezone(BRUSSELS).date()
    months = months_back(today, 12)
    start = datetime.combine(months[0], datetime.min.time(), BRUSSELS)
    end = datetime.combine(today + timedelta(days=31), datetime.min.time(), BRUSSELS)
    truth = truth_peaks(fluvius, ELEC_EAN, months)
    assert len(truth) == 12  # the demo meter has data for all of these months
    wanted = sorted(expected(p) for p in truth.values() if p[1] < end and p[2] > start)
    assert len(wanted) == 12

    events = await get_events(hass, entity_id, start, end)
    assert sorted(as_listed(event) for event in events) == wanted
    # The calendar panel's HTTP API lists the same.
    listed = await api_events(hass_client, entity_id, start, end)
    assert sorted(as_listed(event) for event in listed) == wanted
    for event in events:
        begin, finish, _ = as_listed(event)
        assert finish - begin == timedelta(minutes=15)
        month = begin.astimezone(BRUSSELS).date().replace(day=1)
        assert f"{month:%Y-%m}" in event["description"]

    # Only the electricity meter has a calendar (gas has no capacity tariff).
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("calendar", DOMAIN, f"{GAS_EAN}_monthly_peaks") is None
    assert len(hass.states.async_entity_ids("calendar")) == 1


async def test_range_boundaries(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """A range catches a peak whose quarter-hour overlaps it, and no other."""
    await setup_all(hass, elec_entry)
    entity_id = calendar_id(hass, ELEC_EAN)
    today = dt_util.utcnow().astimezone(BRUSSELS).date()
    last_month = months_back(today, 2)[0]
    peak = truth_peaks(fluvius, ELEC_EAN, [last_month])[last_month]
    _, start, end = peak
    minute = timedelta(minutes=1)

    inside = await get_events(hass, entity_id, start + 7 * minute, start + 8 * minute)
    assert [as_listed(e) for e in inside] == [expected(peak)]
    assert [as_listed(e) for e in await get_events(hass, entity_id, end, end + minute)] == []
    before = await get_events(hass, entity_id, start - minute, start)
    assert [as_listed(e) for e in before] == []


async def test_state_is_off_without_an_ongoing_peak(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry
) -> None:
    """Peaks are published after they happened: none is ongoing or ahead, so the calendar
    is off and has no event attributes (the Monthly peak sensor shows the newest peak)."""
    await setup_all(hass, elec_entry)
    assert coordinator(elec_entry).data.peaks  # there are peaks, all of them past
    state = hass.states.get(calendar_id(hass, ELEC_EAN))
    assert state is not None
    assert state.state == STATE_OFF
    assert "message" not in state.attributes
    assert state.attributes["friendly_name"] == f"Electricity meter …{ELEC_EAN[-4:]} Monthly peaks"


async def test_meter_without_data_at_setup(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    tick: Callable[[timedelta], Awaitable[None]],
    hass_client: ClientSessionGenerator,
) -> None:
    """A meter out of reach at setup has an empty calendar (unavailable), then its peaks
    once reached."""
    fluvius.faults.inject("token", "reset")
    await setup_all(hass, both_entry)
    assert both_entry.state is ConfigEntryState.LOADED
    assert coordinator(both_entry, ELEC_EAN).data is None
    entity_id = calendar_id(hass, ELEC_EAN)
    today = dt_util.utcnow().astimezone(BRUSSELS).date()
    months = months_back(today, 3)
    start = datetime.combine(months[0], datetime.min.time(), BRUSSELS)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), BRUSSELS)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert await api_events(hass_client, entity_id, start, end) == []

    await tick(timedelta(minutes=15))
    await tick(timedelta(hours=1))
    assert coordinator(both_entry, ELEC_EAN).data is not None
    truth = truth_peaks(fluvius, ELEC_EAN, months)
    assert len(truth) == 3
    events = await get_events(hass, entity_id, start, end)
    assert sorted(as_listed(e) for e in events) == sorted(expected(p) for p in truth.values())


@pytest.mark.parametrize("language", ["nl", "fr"])
async def test_calendar_name_is_translated(
    hass: HomeAssistant, fluvius: FluviusSimulator, elec_entry: MockConfigEntry, language: str
) -> None:
    """The calendar's name comes from the translations."""
    hass.config.language = language
    await setup_all(hass, elec_entry)
    state = hass.states.get(calendar_id(hass, ELEC_EAN))
    assert state is not None
    name = {"nl": "Maandpieken", "fr": "Pointes mensuelles"}[language]
    assert state.attributes["friendly_name"].endswith(f" {name}")
