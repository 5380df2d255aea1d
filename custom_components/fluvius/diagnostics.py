"""Diagnostics of the Fluvius integration, with every identifier redacted."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
import re
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant

from .api.security import mask_ean
from .const import CONF_EAN, CONF_METER_SERIAL
from .coordinator import FluviusCoordinator
from .models import FluviusConfigEntry
from .peaks import month_peaks

EAN_PATTERN = re.compile(r"(?<!\d)54\d{16}(?!\d)")

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
    """Replace every occurrence of an identifier, also inside keys and longer strings."""
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, str):
        for secret, replacement in secrets.items():
            if secret and secret in value:
                value = value.replace(secret, replacement)
    return value


def _own_dialect(dialects: dict[str, Any], ean: str) -> dict[str, Any]:
    """Only this meter's part of the (shared) client's dialect knowledge."""
    meters = dialects.get("meters")
    if not isinstance(meters, dict):
        return dialects
    return {
        **dialects,
        "meters": {k: v for k, v in meters.items() if str(k).startswith(f"{ean}:")},
    }


def _mask_eans(value: Any) -> Any:
    """Mask any Belgian EAN left anywhere (keys included)."""
    if isinstance(value, dict):
        return {_mask_eans(k): _mask_eans(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_eans(v) for v in value]
    if isinstance(value, str):
        return EAN_PATTERN.sub(lambda m: mask_ean(m.group(0)), value)
    return value


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
        "dialects": _own_dialect(client.export_dialects(), meter.ean),
        # Months whose portal peak the measured quarter-hours contradict (empty: all agree).
        "peak_check": {
            "months_measured": len(month_peaks(coordinator.backfill.day_peaks)),
            "disagreements": coordinator.peak_disagreements,
        },
        # What the cost statistics were made from (prices from the entity's state history,
        # from its hourly statistics, or none: those hours have no cost row).
        "costs": {
            "price_source": meter.prices.source,
            "price_entity": meter.prices.entity_id,
            "registers": [r.value for r in meter.prices.priced(meter.meter_type)],
            "capacity_price": meter.prices.capacity_price,
            "since_start": coordinator.statistics.costs.report.as_dict(),
        },
        # How the portal answered the last data requests: what a bug report needs first.
        "requests": client.request_log(meter.ean, meter.serial),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FluviusConfigEntry
) -> dict[str, Any]:
    """The account (login state, request counters) and every meter, identifiers redacted."""
    account = entry.runtime_data.account
    client = account.client
    tokens = client.export_tokens() or {}
    meters = entry.runtime_data.meters.values()
    diagnostics = {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
                "meters": len(entry.subentries),
            },
            TO_REDACT,
        ),
        "account": {
            "login_blocked": account.blocked,
            "token_state": {"present": bool(tokens)},
            "client_stats": client.stats,
        },
        "meters": {c.meter.title: _meter(c) for c in meters},
    }
    secrets = {
        entry.data[CONF_EMAIL]: "**REDACTED**",
        entry.data[CONF_PASSWORD]: "**REDACTED**",
    }
    for coordinator in meters:
        serial = coordinator.meter.serial
        secrets |= {
            coordinator.meter.ean: mask_ean(coordinator.meter.ean),
            serial: mask_ean(serial),
            serial.upper(): mask_ean(serial),
        }
    for name in ("access_token", "refresh_token", "id_token"):
        if isinstance(token := tokens.get(name), str) and token:
            secrets[token] = "**REDACTED**"
    redacted: dict[str, Any] = _mask_eans(
        _scrub(async_redact_data(_plain(diagnostics), TO_REDACT), secrets)
    )
    return redacted
