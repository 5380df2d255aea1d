"""Diagnostics of the Fluvius integration, with every identifier redacted.

Both downloads (the account's, and a meter's from its device page) leave through one
function, `_redacted`: keys known to hold secrets are redacted, the account's credentials and
tokens are replaced wherever they occur, and then every EAN-like and serial-like value is
masked by its shape (api.security.redact_identifiers), in keys as in values, whatever its
origin: configured, mistyped, stale, or another account's.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .api.granularity import meter_key
from .api.security import mask_ean, redact_identifiers
from .const import CONF_EAN, CONF_METER_SERIAL, DOMAIN
from .coordinator import FluviusCoordinator
from .models import FluviusConfigEntry
from .peaks import month_peaks

REDACTED = "**REDACTED**"

TO_REDACT = {
    CONF_EMAIL,
    CONF_PASSWORD,
    CONF_EAN,
    CONF_METER_SERIAL,
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "tokens",
    "cookie",
    "cookies",
    "serial",
    "serial_number",
    "unique_id",
    "title",
}


def _plain(value: Any) -> Any:
    """Make dataclasses, enums and dates JSON friendly."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _scrub(value: Any, secrets: dict[str, str]) -> Any:
    """Replace every occurrence of a secret, also inside keys and longer strings."""
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, str):
        for secret, replacement in secrets.items():
            if secret and secret in value:
                value = value.replace(secret, replacement)
    return value


def _own_dialect(dialects: dict[str, Any], ean: str, serial: str) -> dict[str, Any]:
    """Only this meter's part of the (shared) client's dialect knowledge, under labels
    instead of its `EAN:SERIAL` keys: "meter 1 (…3456:…2062)" is the meter as configured;
    further numbers are other serials once used with its EAN (e.g. before a typo was fixed)."""
    meters = dialects.get("meters")
    if not isinstance(meters, dict):
        return dialects
    own = meter_key(ean, serial)
    keys = sorted(
        (str(key) for key in meters if str(key).startswith(f"{ean}:")),
        key=lambda key: key != own,
    )
    return {
        **dialects,
        "meters": {
            f"meter {index} ({mask_ean(ean)}:{mask_ean(key.partition(':')[2])})": meters[key]
            for index, key in enumerate(keys, 1)
        },
    }


def _meter(coordinator: FluviusCoordinator) -> dict[str, Any]:
    """One meter: its update state, what it holds, its dialect and its last requests."""
    client = coordinator.account.client
    meter = coordinator.meter
    data = coordinator.data
    summary: dict[str, Any] = {
        "meter_type": meter.meter_type,
        "history_days": meter.history_days,
        "import_until": meter.import_until,
        "last_update_success": coordinator.last_update_success,
        "last_exception": type(coordinator.last_exception).__name__
        if coordinator.last_exception
        else None,
        "update_interval": str(coordinator.update_interval),
        "import_progress": coordinator.backfill.progress,
    }
    if data is not None:
        summary |= {
            "latest_day": data.latest_day,
            "complete_days": sorted(data.days),
            "retained_intervals": len(data.intervals),
            "newest_data": data.newest_data,
            "peaks": data.peaks,
            "updated_at": data.updated_at,
            "resolution_in_use": data.resolution,
            "overdue_since": data.overdue_since,
            "last_fetches": [
                {"start": f.start, "end": f.end, "intervals": len(f.intervals)}
                for f in data.fetches
            ],
        }
    return {
        "coordinator": summary,
        "dialects": _own_dialect(client.export_dialects(), meter.ean, meter.serial),
        # Months whose portal peak the measured quarter-hours contradict (empty: all agree).
        "peak_check": {
            "months_measured": len(month_peaks(coordinator.backfill.day_peaks)),
            "disagreements": coordinator.peak_disagreements,
        },
        # What the cost statistics were made from (prices from the entity's state history,
        # from its hourly statistics, or none: those hours have no cost row).
        "costs": {
            "periods": [
                {
                    "from": _day(period.start),
                    "price_source": period.prices.source,
                    "price_entity": period.prices.entity_id,
                    "registers": [r.value for r in period.prices.priced(meter.meter_type)],
                }
                for period in meter.prices.periods
            ],
            "capacity_prices": [
                {"from": _day(period.start), "capacity_price": period.prices}
                for period in meter.capacity.periods
            ],
            "since_start": coordinator.statistics.costs.report.as_dict(),
        },
        # How the portal answered the last data requests: what a bug report needs first.
        "requests": client.request_log(meter.ean, meter.serial),
    }


def _day(day: date | None) -> str | None:
    """A period's first day (None: from the start of the history)."""
    return None if day is None else day.isoformat()


def _account(entry: FluviusConfigEntry) -> dict[str, Any]:
    """The account's login state and request counters."""
    account = entry.runtime_data.account
    client = account.client
    return {
        "login_blocked": account.blocked,
        "token_state": {"present": bool(client.export_tokens())},
        "client_stats": client.stats,
    }


def _redacted(entry: FluviusConfigEntry, diagnostics: dict[str, Any]) -> dict[str, Any]:
    """The one way out of this module (see the module's docstring)."""
    secrets = {
        entry.data[CONF_EMAIL]: REDACTED,
        entry.data[CONF_PASSWORD]: REDACTED,
    }
    tokens = entry.runtime_data.account.client.export_tokens() or {}
    for name in ("access_token", "refresh_token", "id_token"):
        if isinstance(token := tokens.get(name), str) and token:
            secrets[token] = REDACTED
    # The configured serials, whatever their shape; typed, stale or foreign ones are caught
    # by their shape alone.
    known = [
        str(subentry.data[key])
        for subentry in entry.subentries.values()
        for key in (CONF_EAN, CONF_METER_SERIAL)
        if subentry.data.get(key)
    ]
    known += [c.meter.serial for c in entry.runtime_data.meters.values()]
    plain = async_redact_data(_plain(diagnostics), TO_REDACT)
    redacted: dict[str, Any] = redact_identifiers(_scrub(plain, secrets), known)
    return redacted


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FluviusConfigEntry
) -> dict[str, Any]:
    """The account (login state, request counters) and every meter, identifiers redacted."""
    return _redacted(
        entry,
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
                "meters": len(entry.subentries),
            },
            "account": _account(entry),
            "meters": {c.meter.title: _meter(c) for c in entry.runtime_data.meters.values()},
        },
    )


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: FluviusConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """A meter's download (its device page): the account's login state and this meter."""
    eans = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
    return _redacted(
        entry,
        {
            "account": _account(entry),
            "meters": {
                c.meter.title: _meter(c)
                for c in entry.runtime_data.meters.values()
                if c.meter.ean in eans
            },
        },
    )
