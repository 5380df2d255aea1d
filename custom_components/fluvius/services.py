"""The action ``fluvius.get_quarter_hours``: one meter's quarter-hours (gas: hours) of up to
31 days, with their cost when the meter has a price source.

Registered once for the integration (in ``async_setup``), whatever entries are loaded. Days
are measurement days: Brussels days, gas days (06:00 to 06:00) on a gas meter. What the
statistics import already fetched is answered from disk (the meter's quarter-hour store) or
from the coordinator's recent intervals; only the days held nowhere are asked of Fluvius, one
request run per consecutive stretch, and never stored (the statistics import owns the store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr, selector
from homeassistant.util import dt as dt_util
import probatio

from .api.brussels import day_of
from .api.errors import FluviusAuthError, FluviusError
from .api.models import Interval, MeterType, Register
from .const import DOMAIN
from .coordinator import FluviusCoordinator
from .days import complete_days, day_bounds, runs
from .failures import describe
from .models import FluviusRuntime
from .statistics import REGISTERS

SERVICE_GET_QUARTER_HOURS: Final = "get_quarter_hours"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
MAX_DAYS: Final = 31  # the longest range one call answers (end inclusive)

SERVICE_GET_QUARTER_HOURS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): selector.DeviceSelector({"integration": DOMAIN}),
        probatio.Required(ATTR_START): cv.date,
        probatio.Required(ATTR_END): cv.date,
    }
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def check_range(first: date, last: date, today: date) -> None:
    """Refuse a reversed range, one longer than MAX_DAYS, or one reaching past today."""
    if last < first:
        raise _invalid("range_reversed", start=first.isoformat(), end=last.isoformat())
    if (last - first).days + 1 > MAX_DAYS:
        raise _invalid("range_too_long", days=str((last - first).days + 1), max_days=str(MAX_DAYS))
    if last > today:
        raise _invalid("range_in_future", end=last.isoformat(), today=today.isoformat())


def unit_of(register: Register) -> str:
    """The unit a register's values are in."""
    return register.unit


def _rounded(value: float) -> float:
    return round(value, 6)


def build_response(
    meter: str,
    meter_type: MeterType,
    intervals: Sequence[Interval],
    *,
    start: datetime,
    end: datetime,
    costs: Sequence[Mapping[Register, float | None]] | None,
    currency: str | None,
) -> dict[str, Any]:
    """The action's answer (pure): one row per interval, register totals, cost totals.

    ``costs``: per interval, the cost of each priced register (None: no price for it), or
    None when the meter has no price source (rows then have no "cost").
    """
    seen = {register for interval in intervals for register in interval.readings}
    registers = [register for register in REGISTERS[meter_type] if register in seen]
    units = {register.value: unit_of(register) for register in registers}
    resolutions = {interval.resolution.value for interval in intervals}
    totals = {register.value: 0.0 for register in registers}
    cost_totals: dict[str, float] = {}
    unpriced = 0
    rows: list[dict[str, Any]] = []
    for index, interval in enumerate(intervals):
        row: dict[str, Any] = {
            "start": dt_util.as_local(interval.start).isoformat(),
            "end": dt_util.as_local(interval.end).isoformat(),
            "resolution": interval.resolution.value,
        }
        for register in registers:
            value = interval.value(register)
            row[register.value] = value
            if value is not None:
                totals[register.value] += value
        if costs is not None:
            cost: dict[str, float | None] = {}
            for register, amount in costs[index].items():
                cost[register.value] = None if amount is None else _rounded(amount)
                if amount is not None:
                    cost_totals[register.value] = cost_totals.get(register.value, 0.0) + amount
            if any(amount is None for amount in cost.values()):
                unpriced += 1
            row["cost"] = cost
        rows.append(row)
    response: dict[str, Any] = {
        "meter": meter,
        "start": dt_util.as_local(start).isoformat(),
        "end": dt_util.as_local(end).isoformat(),
        "resolution": next(iter(resolutions)) if len(resolutions) == 1 else None,
        "unit": unit.pop() if len(unit := set(units.values())) == 1 else None,
        "units": units,
        "currency": currency if costs is not None else None,
        "quarter_hours": rows,
        "totals": {register: _rounded(total) for register, total in totals.items()},
    }
    if costs is not None:
        response["cost_totals"] = {
            register: _rounded(total) for register, total in cost_totals.items()
        }
        response["unpriced"] = unpriced
    return response


def _meter_of(hass: HomeAssistant, device_id: str) -> tuple[FluviusCoordinator, str]:
    """The coordinator of the meter a device stands for, and the device's name."""
    device, entry = dr.async_get_device_and_config_entry_for_domain(
        hass, device_id, domain=DOMAIN, include_child_devices=False
    )
    if device is None or entry is None:
        raise _invalid("unknown_meter", device_id=device_id)
    name = device.name_by_user or device.name
    if entry.state is not ConfigEntryState.LOADED:
        raise _invalid("entry_not_loaded", meter=name or entry.title)
    runtime: FluviusRuntime = entry.runtime_data
    coordinator = runtime.meters.get(device.config_subentry_id or "")
    if coordinator is None:
        raise _invalid("unknown_meter", device_id=device_id)
    return coordinator, name or coordinator.meter.title


async def _async_held(
    coordinator: FluviusCoordinator, days: list[date]
) -> tuple[list[Interval], list[date]]:
    """The intervals of the days already fetched (kept on disk, else recent in memory), and
    the days held nowhere."""
    start_hour = coordinator.schedule.day_start_hour
    store = coordinator.quarter_hours
    await store.async_load()
    recent = list(coordinator.data.intervals.values()) if coordinator.data else []
    recent_days = complete_days(recent, start_hour)
    held: list[Interval] = []
    missing: list[date] = []
    for day in days:
        start, end = day_bounds(day, start_hour)
        if store.has_day(day):
            held.extend(store.get(start, end))
        elif day in recent_days:
            held.extend(i for i in recent if start <= i.start < end)
        else:
            missing.append(day)
    return held, missing


async def _async_fetch(coordinator: FluviusCoordinator, days: list[date]) -> list[Interval]:
    """The days from Fluvius (one request run per consecutive stretch); nothing is stored."""
    account = coordinator.account
    if account.blocked is not None:
        # The portal rejected the credentials: never log in again before reauth.
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key=account.blocked)
    start_hour = coordinator.schedule.day_start_hour
    meter = coordinator.meter
    out: list[Interval] = []
    try:
        for first, last in runs(days):
            start, _ = day_bounds(first, start_hour)
            _, end = day_bounds(last, start_hour)
            fetched = await account.client.measurements(meter.ean, meter.serial, first, last)
            out.extend(i for i in fetched if start <= i.start < end)
    except FluviusAuthError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key=account.block(err)
        ) from err
    except FluviusError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="portal_unavailable",
            translation_placeholders={"error": describe(err)},
        ) from err
    finally:
        await account.async_save()  # tokens may have been refreshed
    return out


async def _async_get_quarter_hours(call: ServiceCall) -> ServiceResponse:
    """Answer one call of the action."""
    coordinator, name = _meter_of(call.hass, call.data[ATTR_DEVICE_ID])
    first: date = call.data[ATTR_START]
    last: date = call.data[ATTR_END]
    start_hour = coordinator.schedule.day_start_hour
    check_range(first, last, day_of(dt_util.utcnow(), start_hour))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    held, missing = await _async_held(coordinator, days)
    fetched = await _async_fetch(coordinator, missing) if missing else []
    by_start = {interval.start: interval for interval in (*held, *fetched)}
    intervals = [by_start[start] for start in sorted(by_start)]
    costs_of = coordinator.statistics.costs
    costs = await costs_of.async_interval_costs(intervals) if costs_of.enabled else None
    start, _ = day_bounds(first, start_hour)
    _, end = day_bounds(last, start_hour)
    return build_response(
        name,
        coordinator.meter_type,
        intervals,
        start=start,
        end=end,
        costs=costs,
        currency=call.hass.config.currency,
    )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_QUARTER_HOURS,
        _async_get_quarter_hours,
        schema=SERVICE_GET_QUARTER_HOURS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
