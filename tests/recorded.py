"""What the recorder holds of a meter's statistics, for tests to compare with the truth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.const import DOMAIN

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


async def statistics_rows(
    hass: HomeAssistant,
    ean: str,
    suffixes: tuple[str, ...],
    period: Literal["hour", "day", "month"] = "hour",
) -> dict[str, list[dict[str, Any]]]:
    """Rows (start, state, sum, change) of the statistics `fluvius:<ean>_<suffix>`, by
    suffix (a register, or e.g. `consumption_high_cost`), once every queued write landed."""
    ids = {f"{DOMAIN}:{ean}_{suffix}": suffix for suffix in suffixes}
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        EPOCH,
        None,
        set(ids),
        period,
        None,
        {"state", "sum", "change"},
    )
    return {suffix: found.get(stat_id, []) for stat_id, suffix in ids.items()}
