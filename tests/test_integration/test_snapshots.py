"""Snapshots of what a user sees: every entity (registry entry and state) per platform and
meter kind, the meter's device, and the diagnostics download.

Home Assistant's clock is frozen at the simulator's reference time, so the values are the
simulator's and do not move. Identifiers the registries hold by design (the EAN in unique IDs
and device identifiers, the serial number of the device) are masked in the snapshots; the
entity states and the diagnostics are snapshotted as they are, so an identifier leaking into
them shows up in the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.types import PropertyPath, SerializableData

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType, Register
from custom_components.fluvius.api.security import mask_ean
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.statistics import statistic_metadata
from tests.simulator import FluviusSimulator
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    SINGLE_EAN,
    SINGLE_SERIAL,
)

from .conftest import make_entry

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "fluvius"
LANGUAGES = ("en", "nl", "fr")
# The device page cuts a name off where it meets the value. Measured in Chromium on Home
# Assistant 2026.10 and 2026.11's device page at 1280 px (three columns, the narrowest cards):
# next to a "9.726 kWh" value a name has 187 px; the longest names, "Pointe mensuelle moyenne"
# and "Capaciteitskost per maand" (25 characters), take 168 px.
MAX_NAME = 25

METERS = {
    "electricity": (ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY),
    "single_tariff": (SINGLE_EAN, SINGLE_SERIAL, MeterType.ELECTRICITY),
    "gas": (GAS_EAN, GAS_SERIAL, MeterType.GAS),
}
# What the registries hold by design, masked in the registry snapshots only.
REGISTRY_SECRETS = {
    **{ean: mask_ean(ean) for ean, _, _ in METERS.values()},
    **{serial: mask_ean(serial) for _, serial, _ in METERS.values()},
}
REGISTRY_FIELDS = {"unique_id", "identifiers", "serial_number"}


def _mask_registry_ids(*, data: SerializableData, path: PropertyPath) -> SerializableData:
    """Mask EANs and serials under the registry fields that hold them by design."""
    if isinstance(data, str) and any(name in REGISTRY_FIELDS for name, _ in path):
        for secret, masked in REGISTRY_SECRETS.items():
            data = data.replace(secret, masked)
    return data


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot extension: IDs and timestamps of registry entries and states
    as <ANY>, files in snapshots/. (The plugin's own override loses to syrupy's fixture.)"""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def registry_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """The snapshot with the registries' identifiers masked."""
    return snapshot.with_defaults(matcher=_mask_registry_ids)


@pytest.fixture
def one_platform(request: pytest.FixtureRequest) -> Iterator[Platform]:
    """Load only the platform under test (snapshot_platform wants exactly one)."""
    platform: Platform = request.param
    with patch("custom_components.fluvius.PLATFORMS", [platform]):
        yield platform


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    # The history import runs in the background: let it finish, so its progress is final.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED


def _event_entity_id(ean: str) -> str:
    return f"event.electricity_meter_{ean[-4:]}_new_monthly_peak"


@pytest.mark.usefixtures("one_platform")
@pytest.mark.parametrize("one_platform", [Platform.SENSOR], indirect=True)
@pytest.mark.parametrize("meter", list(METERS))
async def test_sensors(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    entity_registry: er.EntityRegistry,
    registry_snapshot: SnapshotAssertion,
    meter: str,
) -> None:
    """Every sensor of a dual-tariff, single-tariff and gas meter, and the meter's device."""
    ean, serial, meter_type = METERS[meter]
    entry = make_entry(hass, ean, serial, meter_type)
    await _set_up(hass, entry)

    await snapshot_platform(hass, entity_registry, registry_snapshot, entry.entry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1
    assert devices[0] == registry_snapshot(name="device")

    if meter_type is MeterType.ELECTRICITY:
        # The peak sensor's month is the month ("2026-04"), as in the event, not a day.
        now = dt_util.utcnow()
        local = now.astimezone(BRUSSELS)
        truth = fluvius.truth(ean).monthly_peak(local.year, local.month, as_of=now)
        assert truth is not None
        peak_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{ean}_monthly_peak")
        assert peak_id is not None
        peak = hass.states.get(peak_id)
        assert peak is not None
        assert float(peak.state) == truth[0]
        assert peak.attributes["month"] == f"{local:%Y-%m}"


@pytest.mark.usefixtures("one_platform")
@pytest.mark.parametrize("one_platform", [Platform.EVENT], indirect=True)
@pytest.mark.parametrize("meter", ["electricity", "single_tariff"])
async def test_peak_event(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    entity_registry: er.EntityRegistry,
    registry_snapshot: SnapshotAssertion,
    meter: str,
) -> None:
    """The peak event after announcing the current month's peak (the last one it knew was
    last month's): its attributes are the portal's peak at full precision, its month and
    its quarter-hour, in the same formats as the peak sensor's."""
    ean, serial, meter_type = METERS[meter]
    known = {"month": "2026-03", "peak_kw": 99.0}  # higher than any: March is not announced
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(_event_entity_id(ean), "2026-03-20T08:00:00.000+00:00"),
                {
                    "last_event_type": None,
                    "last_event_attributes": None,
                    "fluvius_known_peak": known,
                },
            )
        ],
    )
    entry = make_entry(hass, ean, serial, meter_type)
    await _set_up(hass, entry)

    await snapshot_platform(hass, entity_registry, registry_snapshot, entry.entry_id)

    now = dt_util.utcnow()
    local = now.astimezone(BRUSSELS)
    truth = fluvius.truth(ean).monthly_peak(local.year, local.month, as_of=now)
    assert truth is not None
    kw, start, end = truth
    state = hass.states.get(_event_entity_id(ean))
    assert state is not None
    assert state.attributes["event_type"] == "new_peak"
    # Exactly the portal's value, numeric for automations; the unit is in the name.
    assert state.attributes["peak_kw"] == kw
    assert state.attributes["month"] == f"{local:%Y-%m}"
    assert state.attributes["start"] == start.isoformat()
    assert state.attributes["end"] == end.isoformat()


async def test_diagnostics(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """The diagnostics download of an account with an electricity and a gas meter.

    It holds no entry or device IDs and no URL or port; its times (request times, the last
    login) come from Home Assistant's frozen clock, the same in every run, so nothing needs
    leaving out. The download's own wrapper (Home Assistant's version, the integration's
    manifest) is not snapshotted: only what this integration returns."""
    await _set_up(hass, both_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, both_entry)
    assert diagnostics == snapshot

    # Whatever the snapshot holds: no identifier or credential in full.
    text = json.dumps(diagnostics, ensure_ascii=False)
    tokens = both_entry.runtime_data.account.client.export_tokens() or {}
    secrets = [
        token
        for name in ("access_token", "refresh_token", "id_token")
        if isinstance(token := tokens.get(name), str) and token
    ]
    assert secrets, "the account signed in: it holds tokens"
    for secret in (ELEC_EAN, ELEC_SERIAL, GAS_EAN, GAS_SERIAL, DEMO_EMAIL, DEMO_PASSWORD, *secrets):
        assert secret not in text


def _entity_names(lang: str) -> dict[str, dict[str, str]]:
    strings = json.loads((INTEGRATION / "translations" / f"{lang}.json").read_text())
    return {
        platform: {key: entity["name"] for key, entity in entities.items()}
        for platform, entities in strings["entity"].items()
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_entity_names_fit_the_device_page(lang: str) -> None:
    """No entity name is cut off on the device page, in any language."""
    for platform, names in _entity_names(lang).items():
        for key, name in names.items():
            assert len(name) <= MAX_NAME, f"{lang} {platform}.{key}: {name!r}"


def test_statistic_names_are_the_sensor_names() -> None:
    """The Energy dashboard shows each statistic under its sensor's (English) name."""
    sensors = _entity_names("en")["sensor"]
    for register in Register:
        name = statistic_metadata(ELEC_EAN, "electricity …0000", register)["name"]
        assert name == f"{sensors[register.value]} (Fluvius electricity …0000)"


def _attribute_names(lang: str) -> dict[tuple[str, str, str], str]:
    strings: dict[str, Any] = json.loads(
        (INTEGRATION / "translations" / f"{lang}.json").read_text()
    )
    return {
        (platform, key, attribute): spec["name"]
        for platform, entities in strings["entity"].items()
        for key, entity in entities.items()
        for attribute, spec in entity.get("state_attributes", {}).items()
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_attribute_names_show_the_unit(lang: str) -> None:
    """Attributes holding bare kW numbers say so in their name."""
    names = _attribute_names(lang)
    assert names[("event", "monthly_peak", "peak_kw")].endswith("(kW)")
    assert names[("sensor", "capacity_tariff", "months")].endswith("(kW)")
