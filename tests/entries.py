"""Config entries as the config flow writes them: one per account, one subentry per meter.

Also the version-1 shape (one entry per meter) that the migration merges.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentryDataWithId
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.account import fingerprint
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import (
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_IMPORT_UNTIL,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DOMAIN,
    SUBENTRY_METER,
)
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.names import account_title, meter_title
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
)

ELEC = (ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY)
GAS = (GAS_EAN, GAS_SERIAL, MeterType.GAS)


def subentry_id(ean: str) -> str:
    """A stable subentry ID per meter, so tests can find a meter's coordinator."""
    return f"meter_{ean}"


def meter_subentry(
    ean: str,
    serial: str,
    meter_type: MeterType,
    history_days: int,
    import_until: str | None = None,
    *,
    prices: dict[str, Any] | None = None,
) -> ConfigSubentryDataWithId:
    """A meter subentry as the flow writes it (with price settings, when given)."""
    data: dict[str, Any] = {
        CONF_EAN: ean,
        CONF_METER_SERIAL: serial,
        CONF_METER_TYPE: meter_type.value,
        CONF_HISTORY_DAYS: history_days,
    }
    if import_until is not None:
        data[CONF_IMPORT_UNTIL] = import_until
    data.update(prices or {})
    return ConfigSubentryDataWithId(
        data=data,
        subentry_id=subentry_id(ean),
        subentry_type=SUBENTRY_METER,
        title=meter_title(meter_type, ean),
        unique_id=ean,
    )


def account_entry(
    meters: list[tuple[str, str, MeterType]],
    history_days: int,
    *,
    email: str = DEMO_EMAIL,
    password: str = DEMO_PASSWORD,
    entry_id: str | None = None,
    import_until: str | None = None,
    prices: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """An account's entry with the given meters (not yet added to any instance).

    ``prices``: price settings (const.CONF_* keys) merged into every meter's subentry data.
    """
    return MockConfigEntry(
        domain=DOMAIN,
        version=2,
        entry_id=entry_id,
        title=account_title(email),
        unique_id=fingerprint(email),
        data={CONF_EMAIL: email, CONF_PASSWORD: password},
        subentries_data=[
            meter_subentry(*meter, history_days, import_until, prices=prices) for meter in meters
        ],
    )


def v1_entry(
    ean: str,
    serial: str,
    meter_type: MeterType,
    history_days: int,
    *,
    email: str = DEMO_EMAIL,
    password: str = DEMO_PASSWORD,
) -> MockConfigEntry:
    """A version-1 entry: one meter, the account's credentials repeated in each."""
    return MockConfigEntry(
        domain=DOMAIN,
        version=1,
        title=f"{meter_type.value.capitalize()} meter …{ean[-4:]}",
        unique_id=ean,
        data={
            CONF_EMAIL: email,
            CONF_PASSWORD: password,
            CONF_EAN: ean,
            CONF_METER_SERIAL: serial,
            CONF_METER_TYPE: meter_type.value,
        },
        options={CONF_HISTORY_DAYS: history_days},
    )


def copy_entry(entry: ConfigEntry) -> MockConfigEntry:
    """The same entry (IDs included) for another Home Assistant instance."""
    return MockConfigEntry(
        domain=entry.domain,
        entry_id=entry.entry_id,
        unique_id=entry.unique_id,
        title=entry.title,
        version=entry.version,
        minor_version=entry.minor_version,
        data=dict(entry.data),
        options=dict(entry.options),
        subentries_data=[subentry.as_dict() for subentry in entry.subentries.values()],
    )


def coordinator(entry: ConfigEntry, ean: str | None = None) -> FluviusCoordinator:
    """The coordinator of one meter of a loaded entry (its only one by default)."""
    meters = entry.runtime_data.meters
    if ean is None:
        assert len(meters) == 1, "name the meter"
        return next(iter(meters.values()))
    return next(meter for meter in meters.values() if meter.meter.ean == ean)
