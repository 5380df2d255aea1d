"""Reads of the recorder (recorded.async_read) against Home Assistant's real recorder."""

from __future__ import annotations

import asyncio
import threading

from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest

from custom_components.fluvius.recorded import async_read


@pytest.mark.usefixtures("recorder_mock")
async def test_a_read_in_flight_ends_before_the_recorder_closes(hass: HomeAssistant) -> None:
    """Home Assistant stops while one of our reads runs in the recorder's executor.

    Stopping cancels our background task; the recorder then closes its database at the final
    write. The read's thread cannot be stopped, so the database must stay open until the read
    ends, or SQLite is used after close (the bench crashed that way: a segfault in
    `sqlite3_last_insert_rowid` under `first_hour`, with the recorder's `_shutdown` disposing
    the engine in another thread)."""
    recorder = get_instance(hass)
    started, release = threading.Event(), threading.Event()
    engine_open_at_end: list[bool] = []

    def slow_read(_hass: HomeAssistant, value: int) -> int:
        started.set()
        release.wait(10)
        engine_open_at_end.append(recorder.engine is not None)
        return value

    task = hass.async_create_background_task(async_read(hass, slow_read, 42), "slow read")
    try:
        assert await hass.async_add_executor_job(started.wait, 10)
        stop = hass.async_create_task(hass.async_stop())
        await asyncio.sleep(0.5)
        assert not task.done(), "the task ended while its read still ran"
        assert hass.state is CoreState.stopping, "the final write began under a running read"
        assert recorder.engine is not None
    finally:
        release.set()
    await stop
    assert engine_open_at_end == [True]
    assert task.cancelled(), "stopping cancelled our task (once its read had ended)"
    assert recorder.engine is None  # the recorder did close, after the read
