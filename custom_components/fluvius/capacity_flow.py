"""A meter's capacity tariff in its settings: the price per kW per year as a timeline of
monthly periods (price_timeline.py; the price changes every 1 January). The form takes a
price and the month it applies from: a period starting that month is corrected, else one is
added. With two periods or more the step is a menu that can also remove one (the one before
then reaches on). Saved as ``price_timeline.with_timelines``; closes with Home Assistant's
"successful" (the capacity cost is not re-costed history).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.util import dt as dt_util

from .api.brussels import local_today
from .period_form import (
    CONF_PERIOD,
    CONF_START,
    async_words,
    parse_day,
    period_schema,
    period_start,
)
from .price_form import capacity_price, capacity_schema, capacity_suggestions
from .price_summary import capacity_summary, lines
from .price_timeline import PeriodError, Timeline, with_timelines
from .settings_steps import MeterSettingsSteps


class CapacitySteps(MeterSettingsSteps):
    """The capacity tariff steps of a meter's settings (electricity)."""

    async def async_step_capacity(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The capacity tariff's prices: its form, or with several periods a menu that can
        also remove one."""
        timeline = self._capacity()
        if len(timeline.periods) == 1:
            return await self.async_step_capacity_price()
        return self.async_show_menu(
            step_id="capacity",
            menu_options=["capacity_price", "capacity_remove"],
            description_placeholders=await self._capacity_placeholders(),
        )

    async def async_step_capacity_price(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A price per kW per year (empty: none) from the first of a month (this month by
        default; empty: from the start of the history): that month's period is corrected,
        or a new one starts."""
        timeline = self._capacity()
        errors: dict[str, str] = {}
        if user_input is not None:
            price = capacity_price(user_input)
            try:
                start = parse_day(user_input.get(CONF_START))
                if start is None or any(p.start == start for p in timeline.periods):
                    changed = timeline.corrected(start, price)
                else:
                    changed = timeline.added(price, now=dt_util.utcnow(), start=start)
            except PeriodError as err:
                errors[CONF_START] = err.key
            except ValueError:
                errors[CONF_START] = "invalid_date"
            else:
                return self._async_save_capacity(changed)
        month = local_today(dt_util.utcnow()).replace(day=1)
        currency = self.hass.config.currency
        return self.async_show_form(
            step_id="capacity_price",
            data_schema=self.add_suggested_values_to_schema(
                capacity_schema(currency),
                user_input or capacity_suggestions(timeline.on(month).prices, month),
            ),
            errors=errors,
            description_placeholders=await self._capacity_placeholders(currency=currency),
        )

    async def async_step_capacity_remove(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Remove a capacity period: the one before reaches on."""
        timeline = self._capacity()
        if user_input is not None:
            return self._async_save_capacity(
                timeline.removed(period_start(user_input[CONF_PERIOD]))
            )
        words, currency = await async_words(self.hass), self.hass.config.currency
        return self.async_show_form(
            step_id="capacity_remove",
            data_schema=period_schema(
                timeline.periods, lambda price: capacity_summary(price, words, currency), words
            ),
            description_placeholders=await self._capacity_placeholders(),
        )

    async def _capacity_placeholders(self, **extra: str) -> dict[str, str]:
        words, currency = await async_words(self.hass), self.hass.config.currency
        periods = lines(
            self._capacity(), lambda price: capacity_summary(price, words, currency), words
        )
        return {"meter": self._get_reconfigure_subentry().title, "periods": periods, **extra}

    def _async_save_capacity(self, new: Timeline[float | None]) -> SubentryFlowResult:
        """Save a capacity price timeline."""
        subentry = self._get_reconfigure_subentry()
        return self._async_save(with_timelines(subentry.data, self._meter_type(), capacity=new))
