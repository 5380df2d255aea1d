"""Reads of the recorder shared by the energy statistics and the price history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder.history import state_changes_during_period
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MONTH = timedelta(days=32)


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
