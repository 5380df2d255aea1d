"""Reads of the recorder shared by the energy statistics and the price history, and the one
way to run them (`async_read`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder.history import state_changes_during_period
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MONTH = timedelta(days=32)


async def async_read[T](hass: HomeAssistant, read: Callable[..., T], *args: object) -> T:
    """Run a read in the recorder's executor once the writes queued before it have landed.

    A cancelled caller (Home Assistant stopping, the entry unloading) still ends only after a
    read in flight: its thread cannot be stopped, and the recorder closes its database at the
    final write, which under a running read crashes the process (SQLite used after close; a
    segfault). Home Assistant waits for its tasks before the final write, but not for those
    being cancelled, so the task takes the cancellation back while it waits (`uncancel`),
    and raises it once the read has ended.
    """
    recorder = get_instance(hass)
    await recorder.async_block_till_done()
    future = recorder.async_add_executor_job(read, hass, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        while not future.done():
            if task is not None:
                task.uncancel()
            try:
                await asyncio.wait((future,))
            except asyncio.CancelledError:
                continue  # cancelled again: the read still has to end first
        if not future.cancelled():
            future.exception()  # its outcome is of no use now; retrieved, so never logged
        raise


def first_hour(hass: HomeAssistant, ids: Iterable[str]) -> datetime | None:
    """The oldest hour stored for any of the statistics: the oldest month first (one row per
    statistic and month), then the hours of that month. Runs in the recorder's executor."""
    ids = set(ids)
    months = statistics_during_period(hass, EPOCH, None, ids, "month", None, {"state", "mean"})
    starts = [rows[0]["start"] for rows in months.values() if rows]
    if not starts:
        return None
    month = datetime.fromtimestamp(min(starts), UTC)
    hours = statistics_during_period(
        hass, month, month + _MONTH, ids, "hour", None, {"state", "mean"}
    )
    firsts = [rows[0]["start"] for rows in hours.values() if rows]
    return datetime.fromtimestamp(min(firsts), UTC) if firsts else month


def first_number_state(hass: HomeAssistant, entity_id: str) -> datetime | None:
    """When the entity's oldest recorded state that is a number began (the recorder's state
    history, not yet purged). Runs in the recorder's executor."""
    found = state_changes_during_period(
        hass, EPOCH, None, entity_id, no_attributes=True, descending=False, limit=500
    ).get(entity_id, [])
    for state in found:
        try:
            float(state.state)
        except ValueError:
            continue
        return state.last_changed.astimezone(UTC)
    return None
