"""One account, its meters as subentries: migration, the history option, the cut-off date and
the peak event's baseline. Real recorder, simulator ground truth, restarts.

Every expectation comes from the simulator (`fluvius.truth`, its counters), never from the
integration.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, mock_restore_cache

from custom_components.fluvius.account import create_client, fingerprint
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import DOMAIN, STORAGE_VERSION
from custom_components.fluvius.statistics import FluviusStatistics
from tests.entries import (
    ELEC,
    GAS,
    account_entry,
    coordinator,
    subentry_id,
    v1_entry,
)
from tests.recorded import statistics_rows
from tests.restartable import HomeAssistantRuns
from tests.simulator import FluviusSimulator
from tests.simulator.demo import (
    ELEC_EAN,
    GAS_EAN,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    RECENT_EAN,
    RECENT_SERIAL,
)

from .test_energy import (
    ELEC_REGISTERS,
    GAS_REGISTERS,
    _assert_hours_match,
    _local_day,
)

Runs = Callable[[list[MockConfigEntry]], HomeAssistantRuns]
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
RECENT = (RECENT_EAN, RECENT_SERIAL, MeterType.ELECTRICITY)
# The live portal only: these tests are about the entries, not the portal's dialects (those
# are covered by test_energy.py).
LIVE = pytest.mark.parametrize("fluvius", ["live"], indirect=True)


def _expected(fluvius: FluviusSimulator, ean: str, days: int, now: datetime) -> dict:
    """The truth's hours from `days` days before today up to what is published."""
    truth = fluvius.truth(ean)
    start = truth.day_bounds(_local_day(now) - timedelta(days=days))[0]
    return truth.hourly(start, truth.published_until(now), as_of=now)


def _peak_events(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    """Record every `new_peak` the event entity fires from now on."""
    fired: list[dict[str, Any]] = []

    def on_state(event: Event) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        if event.data["entity_id"] != entity_id or new is None or old is None:
            return
        if new.state != old.state and new.attributes.get("event_type") == "new_peak":
            fired.append(dict(new.attributes))

    hass.bus.async_listen("state_changed", on_state)
    return fired


def _event_id(ean: str) -> str:
    return f"event.electricity_meter_{ean[-4:]}_new_monthly_peak"


# ---------------------------------------------------------------------------------- migration

V1_ENTITIES = {
    MeterType.ELECTRICITY: [
        ("sensor", "consumption_high"),
        ("sensor", "injection_high"),
        ("event", "monthly_peak_event"),
    ],
    MeterType.GAS: [("sensor", "gas_volume")],
}


async def _build_v1_world(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    entries: list[ConfigEntry],
    hass_storage: dict[str, Any],
    history: dict[str, int],
) -> dict[str, str]:
    """What the one-entry-per-meter version left behind: devices and entities on each
    meter's entry, imported statistics, the event's last announced peak, and each entry's
    stored token state and dialect (from a real login). Returns entity IDs by unique ID."""
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    entity_ids: dict[str, str] = {}
    restored: list[State] = []
    for entry in entries:
        ean, serial = entry.data["ean"], entry.data["meter_serial"]
        meter_type = MeterType(entry.data["meter_type"])
        device = device_registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, ean)},
            manufacturer="Fluvius",
            name=f"{meter_type.value.capitalize()} meter …{ean[-4:]}",
        )
        for platform, key in V1_ENTITIES[meter_type]:
            name = "monthly_peak" if key == "monthly_peak_event" else key
            registered = entity_registry.async_get_or_create(
                platform,
                DOMAIN,
                f"{ean}_{key}",
                config_entry=entry,
                device_id=device.id,
                suggested_object_id=f"{meter_type.value}_meter_{ean[-4:]}_{name}",
            )
            entity_ids[f"{ean}_{key}"] = registered.entity_id
        client = create_client(hass, entry.data["email"], entry.data["password"])
        try:
            end = _local_day(NOW)
            intervals = await client.measurements(
                ean, serial, end - timedelta(days=history[ean]), end
            )
            await FluviusStatistics(hass, ean, meter_type, "x").async_import(intervals)
            hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
                "version": STORAGE_VERSION,
                "minor_version": 1,
                "key": f"{DOMAIN}.{entry.entry_id}",
                "data": {
                    "account": fingerprint(entry.data["email"]),
                    "tokens": client.export_tokens(),
                    "dialects": client.export_dialects(),
                },
            }
            if meter_type is MeterType.ELECTRICITY:
                peaks = await client.peaks(ean, serial, end.replace(day=1), end)
                peak = max(peaks, key=lambda p: p.month)
                restored.append(
                    State(
                        entity_ids[f"{ean}_monthly_peak_event"],
                        "2026-04-14T07:00:00.000+00:00",
                        {
                            "event_type": "new_peak",
                            "peak_kw": peak.power_kw,
                            "month": f"{peak.month:%Y-%m}",
                            "start": peak.start.isoformat(),
                            "end": peak.end.isoformat(),
                        },
                    )
                )
        finally:
            await client.close()
    mock_restore_cache(hass, restored)
    return entity_ids


@LIVE
@pytest.mark.parametrize("persistent_database", [True])
async def test_migration_merges_meters_per_account(
    fluvius: FluviusSimulator,
    runs: Runs,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Two version-1 entries of one account and one of another become two entries with
    2 + 1 meter subentries: statistics, entity IDs, devices and tokens kept, no hour doubled
    or missing, no new_peak fired, no login."""
    freezer.move_to(NOW)
    history = {ELEC_EAN: 30, GAS_EAN: 20, RECENT_EAN: 20}
    entries = [
        v1_entry(*ELEC, history[ELEC_EAN]),
        v1_entry(*GAS, history[GAS_EAN]),
        v1_entry(*RECENT, history[RECENT_EAN], email=OTHER_EMAIL, password=OTHER_PASSWORD),
    ]
    ha = runs(entries)
    registers = {ELEC_EAN: ELEC_REGISTERS, GAS_EAN: GAS_REGISTERS, RECENT_EAN: ELEC_REGISTERS}

    async def assert_statistics(hass: HomeAssistant, now: datetime) -> None:
        for ean, days in history.items():
            truth = fluvius.truth(ean)
            start = truth.day_bounds(_local_day(NOW) - timedelta(days=days))[0]
            expected = truth.hourly(start, truth.published_until(now), as_of=now)
            wanted = {h: v for h, v in expected.items() if h >= start}
            rows = await statistics_rows(hass, ean, registers[ean])
            rows = {r: s for r, s in rows.items() if s}  # registers the meter has
            assert rows, ean
            _assert_hours_match(rows, wanted)

    async with ha.run(setup=False) as hass:
        # What version 1 left behind, then a start of the new version on it (one instance:
        # the test plugin starts every instance with empty device and entity registries).
        entity_ids = await _build_v1_world(hass, fluvius, entries, hass_storage, history)
        await assert_statistics(hass, NOW)
        logins = fluvius.stats.logins
        fired = _peak_events(hass, entity_ids[f"{ELEC_EAN}_monthly_peak_event"])
        assert await hass.config_entries.async_setup(entries[0].entry_id)
        await ha.settle(hass)
        for entry in hass.config_entries.async_entries(DOMAIN):
            if entry.state is not ConfigEntryState.LOADED:
                assert await hass.config_entries.async_setup(entry.entry_id)
        await ha.settle(hass)
        ours = hass.config_entries.async_entries(DOMAIN)
        assert len(ours) == 2
        by_account = {e.unique_id: e for e in ours}
        demo = by_account[fingerprint(entries[0].data["email"])]
        other = by_account[fingerprint(OTHER_EMAIL)]
        assert demo.entry_id == entries[0].entry_id  # the first entry became the account's
        assert demo.version == 2
        assert sorted(s.unique_id for s in demo.subentries.values()) == sorted([ELEC_EAN, GAS_EAN])
        assert [s.unique_id for s in other.subentries.values()] == [RECENT_EAN]
        assert "ean" not in demo.data
        assert demo.title == "d…@fluvius.test"
        # Entity IDs unchanged, now on the account's entry and the meter's subentry.
        entity_registry = er.async_get(hass)
        for unique_id, entity_id in entity_ids.items():
            platform = entity_id.split(".")[0]
            assert entity_registry.async_get_entity_id(platform, DOMAIN, unique_id) == entity_id
            registered = entity_registry.async_get(entity_id)
            assert registered is not None
            owner = other if unique_id.startswith(RECENT_EAN) else demo
            assert registered.config_entry_id == owner.entry_id
            subentry = owner.subentries[registered.config_subentry_id]
            assert unique_id.startswith(subentry.unique_id)
            assert hass.states.get(entity_id) is not None, entity_id
        device_registry = dr.async_get(hass)
        for ean, owner in ((ELEC_EAN, demo), (GAS_EAN, demo), (RECENT_EAN, other)):
            device = device_registry.async_get_device_by_identifier((DOMAIN, ean), owner.entry_id)
            assert device is not None
            assert device.config_entry_id == owner.entry_id
            assert owner.subentries[device.config_subentry_id].unique_id == ean
        # The migrated token state was used: nobody logged in.
        assert fluvius.stats.logins == logins
        # The history-import progress was kept: the import found nothing older to fetch.
        assert coordinator(demo, ELEC_EAN).backfill.done
        await assert_statistics(hass, dt_util.utcnow())
        for _ in range(26):
            await ha.tick(timedelta(hours=1))
        await assert_statistics(hass, dt_util.utcnow())
        assert fluvius.stats.logins == logins
        assert fired == []  # the recorded peak was not announced again


# ---------------------------------------------------------------------------- history option


@LIVE
@pytest.mark.parametrize("persistent_database", [True])
async def test_raising_history_imports_the_older_days(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """60 → 120 days through the meter's settings form imports exactly the 60 older days,
    with the sums re-based: every hour of the 120 days equals the truth, once."""
    freezer.move_to(NOW)
    entry = account_entry([ELEC], 60)
    async with runs([entry]).run() as hass:
        _assert_hours_match(
            await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS),
            _expected(fluvius, ELEC_EAN, 60, NOW),
        )
        fluvius.reset_stats()
        result = await hass.config_entries.subentries.async_init(
            (entry.entry_id, "meter"),
            context={"source": "reconfigure", "subentry_id": subentry_id(ELEC_EAN)},
        )
        # The settings open as a menu: the meter's own settings.
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"next_step_id": "meter"}
        )
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {"meter_serial": ELEC[1], "history_days": 120},
        )
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done(wait_background_tasks=True)
        assert coordinator(hass.config_entries.async_get_entry(entry.entry_id)).backfill.done
        _assert_hours_match(
            await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS),
            _expected(fluvius, ELEC_EAN, 120, NOW),
        )
        assert fluvius.stats.logins == 0  # a reload reuses the stored token
        requests = sum(fluvius.stats.requests.values())
        print(f"history 60 → 120 days: {requests} portal requests")

        # Lowering it deletes nothing.
        result = await hass.config_entries.subentries.async_init(
            (entry.entry_id, "meter"),
            context={"source": "reconfigure", "subentry_id": subentry_id(ELEC_EAN)},
        )
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"next_step_id": "meter"}
        )
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"meter_serial": ELEC[1], "history_days": 10}
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        _assert_hours_match(
            await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS),
            _expected(fluvius, ELEC_EAN, 120, NOW),
        )


@LIVE
@pytest.mark.parametrize("persistent_database", [True])
async def test_import_stops_at_the_cut_off_date(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """With a cut-off date the statistics hold exactly the hours before it (ground truth),
    also as days go by; the sensors and the peaks keep following the portal."""
    freezer.move_to(NOW)
    cut_off = _local_day(NOW) - timedelta(days=10)
    entry = account_entry([ELEC], 30, import_until=cut_off.isoformat())
    ha = runs([entry])
    truth = fluvius.truth(ELEC_EAN)
    async with ha.run() as hass:
        for _ in range(2 * 24):
            await ha.tick(timedelta(hours=1))
        now = dt_util.utcnow()
        end = truth.day_bounds(cut_off)[0]
        expected = {h: v for h, v in _expected(fluvius, ELEC_EAN, 32, now).items() if h < end}
        _assert_hours_match(await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS), expected)
        # The sensors show the newest published day all the same.
        meter = coordinator(hass.config_entries.async_get_entry(entry.entry_id))
        newest = truth.last_published_day(now)
        assert meter.data.latest_day is not None
        assert meter.data.latest_day.day == newest
        served = truth.daily(newest, as_of=now)
        assert served is not None
        held = {str(k): v for k, v in meter.data.latest_day.values.items()}
        assert held == pytest.approx(served)
        month = date(newest.year, newest.month, 1)
        peak = truth.monthly_peak(month.year, month.month, as_of=now)
        assert peak is not None
        assert meter.data.peak_for(month) is not None
        assert meter.data.peak_for(month).power_kw == pytest.approx(peak[0])


# ------------------------------------------------------------------------------ peak baseline


@LIVE
@pytest.mark.parametrize("persistent_database", [True])
async def test_readding_a_meter_fires_no_event_a_new_peak_fires_one(
    fluvius: FluviusSimulator, runs: Runs, freezer: FrozenDateTimeFactory
) -> None:
    """First setup and re-adding take the current peak as the baseline (no event); the next
    higher peak the portal serves fires exactly one."""
    freezer.move_to(datetime(2026, 1, 20, 9, 0, tzinfo=UTC))
    entry = account_entry([ELEC], 14)
    ha = runs([entry])

    async def listen(hass: HomeAssistant) -> None:
        listeners.append(_peak_events(hass, _event_id(ELEC_EAN)))

    listeners: list[list[dict[str, Any]]] = []
    truth = fluvius.truth(ELEC_EAN)
    async with ha.run(prepare=listen) as hass:
        fired = listeners[-1]
        assert hass.states.get(_event_id(ELEC_EAN)) is not None
        assert fired == []  # first setup: baseline
        # Remove the meter's entry and add it again through the config flow.
        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"email": entry.data["email"], "password": entry.data["password"]}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"ean": ELEC_EAN, "meter_serial": ELEC[1]}
        )
        assert result["type"] == "create_entry"
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get(_event_id(ELEC_EAN)) is not None
        assert fired == []  # re-added: baseline again
        # Tick until the portal serves a higher peak (or a new month's first): one event.
        now = dt_util.utcnow()
        month = _local_day(now).replace(day=1)
        base = truth.monthly_peak(month.year, month.month, as_of=now)
        assert base is not None
        for _ in range(10 * 24):
            await ha.tick(timedelta(hours=1))
            if fired:
                break
        assert len(fired) == 1
        now = dt_util.utcnow()
        year, number = (int(part) for part in fired[0]["month"].split("-"))
        served = truth.monthly_peak(year, number, as_of=now)
        assert served is not None
        assert fired[0]["peak_kw"] == pytest.approx(served[0])
        assert date(year, number, 1) > month or served[0] > base[0]
