"""A meter's energy costs in its settings, as a price timeline (price_timeline.py): periods,
each from a Brussels day with its own prices (the capacity tariff's: capacity_flow.py).

*Energy costs* is a menu that shows the timeline, one line per period: new prices from a
day (today by default; the period in force that day pre-fills the forms and ends the day
before), a period corrected (a typo: only its hours are re-costed), or a period removed (the
one before reaches on). Both lead to the same steps as before: where the prices come from,
then only that source's fields.

Whatever is saved, the subentry holds the prices only as their timelines
(``price_timeline.with_timelines``). The settings close with the "recosting" message only
when a change re-costs hours of the imported history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.const import ATTR_FRIENDLY_NAME
from homeassistant.helpers.typing import UNDEFINED, UndefinedType
from homeassistant.util import dt as dt_util

from .api.brussels import local_today
from .api.models import MeterType
from .const import (
    CONF_PRICE_ENTITY,
    CONF_PRICE_SOURCE,
    PRICE_SOURCE_ENTITY,
    PRICE_SOURCE_FIXED,
)
from .period_form import (
    CONF_PERIOD,
    CONF_START,
    async_words,
    parse_day,
    period_schema,
    period_start,
    start_schema,
)
from .price_form import (
    ATTR_STATE_CLASS,
    RECOSTING,
    async_unpriced_days,
    entity_errors,
    entity_schema,
    entity_settings,
    entity_suggestions,
    fixed_errors,
    fixed_price_keys,
    fixed_schema,
    fixed_settings,
    fixed_suggestions,
    gas_fallback_errors,
    has_fallbacks,
    period_data,
    price_entities,
    source_schema,
)
from .price_summary import lines, period_label, summary
from .price_timeline import PeriodError, Timeline, imported, midnight, recosted, with_timelines
from .pricing import HOUR, PriceSettings
from .settings_steps import MeterSettingsSteps


class CostSteps(MeterSettingsSteps):
    """The energy costs steps of a meter's settings."""

    # The period worked on: its first day (None: the first period), and whether it is new
    # (prices from that day on) or corrected.
    _start: date | None = None
    _adding: bool = False
    # The price entity form as typed (shown again when going back from its confirmation),
    # and the prices it would save.
    _entity_input: dict[str, Any] | None = None
    _pending: PriceSettings | None = None

    def _period(self) -> PriceSettings:
        """The prices that pre-fill the forms: those of the corrected period, or of the
        period in force on the first day of the new one."""
        return self._energy().on(self._start).prices

    def _summary(self, words: Mapping[str, str]) -> Callable[[PriceSettings], str]:
        meter_type, currency = self._meter_type(), self.hass.config.currency
        return lambda prices: summary(prices, meter_type, words, currency)

    async def _placeholders(self, **extra: str) -> dict[str, str]:
        """The meter, the period worked on, and ``extra``."""
        words = await async_words(self.hass)
        return {
            "meter": self._get_reconfigure_subentry().title,
            "period": period_label(self._start, words),
            **extra,
        }

    # --- energy costs: the timeline ------------------------------------------------------

    async def async_step_costs(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The timeline, and what to do with it."""
        timeline = self._energy()
        words = await async_words(self.hass)
        options = ["costs_add", "costs_correct"]
        if len(timeline.periods) > 1:
            options.append("costs_remove")
        return self.async_show_menu(
            step_id="costs",
            menu_options=options,
            description_placeholders={
                "meter": self._get_reconfigure_subentry().title,
                "periods": lines(timeline, self._summary(words), words),
            },
        )

    async def async_step_costs_add(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The first day of new prices: today by default, any other day allowed, but not one
        that starts a period already (correct that one instead)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                day = parse_day(user_input.get(CONF_START))
                if day is None:
                    raise ValueError
                timeline = self._energy()
                timeline.added(timeline.on(day).prices, now=dt_util.utcnow(), start=day)
            except PeriodError as err:
                errors[CONF_START] = err.key
            except ValueError:
                errors[CONF_START] = "invalid_date"
            else:
                self._start, self._adding = day, True
                return await self.async_step_costs_source()
        today = {CONF_START: local_today(dt_util.utcnow()).isoformat()}
        return self.async_show_form(
            step_id="costs_add",
            data_schema=self.add_suggested_values_to_schema(start_schema(), user_input or today),
            errors=errors,
            description_placeholders=await self._placeholders(),
        )

    async def async_step_costs_correct(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The period to correct (asked only when there are several)."""
        timeline = self._energy()
        if user_input is None and len(timeline.periods) == 1:
            self._start, self._adding = None, False
            return await self.async_step_costs_source()
        if user_input is not None:
            self._start, self._adding = period_start(user_input[CONF_PERIOD]), False
            return await self.async_step_costs_source()
        words = await async_words(self.hass)
        return self.async_show_form(
            step_id="costs_correct",
            data_schema=period_schema(timeline.periods, self._summary(words), words),
            description_placeholders=await self._placeholders(),
        )

    async def async_step_costs_remove(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The period to remove; a confirmation follows."""
        if user_input is not None:
            self._start = period_start(user_input[CONF_PERIOD])
            return await self.async_step_costs_remove_confirm()
        words = await async_words(self.hass)
        return self.async_show_form(
            step_id="costs_remove",
            data_schema=period_schema(self._energy().periods, self._summary(words), words),
            description_placeholders=await self._placeholders(),
        )

    async def async_step_costs_remove_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Remove the chosen period: the one before reaches on (or, for the first, the next
        one reaches back to the start of the history)."""
        timeline = self._energy()
        if user_input is not None:
            return await self._async_save_energy(timeline, timeline.removed(self._start))
        words = await async_words(self.hass)
        prices = self._summary(words)(timeline.on(self._start).prices)
        return self.async_show_form(
            step_id="costs_remove_confirm",
            description_placeholders=await self._placeholders(prices=prices),
        )

    # --- energy costs: one period's prices -----------------------------------------------

    async def async_step_costs_source(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Where the period's prices come from; the next step asks only for that source's
        fields."""
        if user_input is not None:
            source = user_input[CONF_PRICE_SOURCE]
            if source == PRICE_SOURCE_FIXED:
                return await self.async_step_costs_fixed()
            if source == PRICE_SOURCE_ENTITY:
                self._entity_input = None  # the period's settings, not what was typed before
                return await self.async_step_costs_entity()
            return await self.async_step_costs_none()
        return self.async_show_form(
            step_id="costs_source",
            data_schema=source_schema(self._period().source),
            description_placeholders=await self._placeholders(),
        )

    async def async_step_costs_none(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """No costs in the period: a confirmation."""
        if user_input is not None:
            return await self._async_save_prices(PriceSettings())
        return self.async_show_form(
            step_id="costs_none", description_placeholders=await self._placeholders()
        )

    async def async_step_costs_fixed(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Fixed prices: dual tariff four, single tariff two, gas one (per m³ or kWh)."""
        meter_type = self._meter_type()
        single = self._single_tariff()
        fixed = fixed_price_keys(meter_type, single)
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = fixed_errors(user_input, fixed)
            if not errors:
                return await self._async_save_prices(fixed_settings(user_input, meter_type, fixed))
        shown = user_input
        if shown is None:
            shown = fixed_suggestions(period_data(self._period(), meter_type), fixed)
        currency = self.hass.config.currency
        return self.async_show_form(
            step_id="costs_fixed",
            data_schema=self.add_suggested_values_to_schema(
                fixed_schema(meter_type, single, currency), shown
            ),
            errors=errors,
            description_placeholders=await self._placeholders(currency=currency),
        )

    async def async_step_costs_entity(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A price entity (only sensors that can be prices are offered), the contract
        formula and the fallback price per direction. Before saving an entity that leaves
        days of the period without cost, or has no long-term statistics, a confirmation says
        so."""
        meter_type = self._meter_type()
        data = period_data(self._period(), meter_type)
        errors: dict[str, str] = {}
        if user_input is not None:
            self._entity_input = user_input
            errors = entity_errors(self.hass, user_input, meter_type)
            if not errors and meter_type is MeterType.GAS:
                errors = gas_fallback_errors(self.hass, data, user_input)
            if not errors:
                self._pending = entity_settings(self.hass, user_input, meter_type)
                if confirmation := await self._async_entity_confirmation(user_input, meter_type):
                    return confirmation
                return await self._async_save_prices(self._pending)
        shown = self._entity_input
        if shown is None:
            shown = entity_suggestions(data, meter_type)
        currency = self.hass.config.currency
        entities = price_entities(self.hass, meter_type, shown.get(CONF_PRICE_ENTITY))
        return self.async_show_form(
            step_id="costs_entity",
            data_schema=self.add_suggested_values_to_schema(
                entity_schema(meter_type, currency, entities), shown
            ),
            errors=errors,
            description_placeholders=await self._placeholders(currency=currency),
        )

    async def _async_entity_confirmation(
        self, user_input: Mapping[str, Any], meter_type: MeterType
    ) -> SubentryFlowResult | None:
        """The confirmation before saving a price entity: days of the period's imported
        hours it cannot price (when a fallback price is missing), and a sensor without a
        state class. None when there is nothing to confirm."""
        entity_id = user_input[CONF_PRICE_ENTITY]
        state = self.hass.states.get(entity_id)
        no_state_class = state is None or state.attributes.get(ATTR_STATE_CLASS) is None
        unpriced = None
        if not has_fallbacks(user_input, meter_type):
            first, last = await self._async_period_hours()
            unpriced = await async_unpriced_days(self.hass, entity_id, first, last)
        if unpriced is None and not no_state_class:
            return None
        name = state and state.attributes.get(ATTR_FRIENDLY_NAME)
        placeholders = {"entity": f"{name} ({entity_id})" if name else entity_id}
        if unpriced is not None:
            placeholders |= {
                "days": str(unpriced.days),
                "first": unpriced.first.isoformat(),
                "last": unpriced.last.isoformat(),
            }
        if unpriced is None:
            step_id = "entity_no_state_class"
        elif no_state_class:
            step_id = "entity_unpriced_no_state_class"
        else:
            step_id = "entity_unpriced"
        return self.async_show_menu(
            step_id=step_id,
            menu_options=["costs_save", "costs_entity"],
            description_placeholders=placeholders,
        )

    async def async_step_entity_unpriced(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The confirmations are menus (their options lead on); should one be submitted
        itself, the form is shown again as typed."""
        return await self.async_step_costs_entity()

    async_step_entity_no_state_class = async_step_entity_unpriced
    async_step_entity_unpriced_no_state_class = async_step_entity_unpriced

    async def async_step_costs_save(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Save the confirmed price entity."""
        if self._pending is None:  # only reached from the confirmation
            return await self.async_step_costs_entity()
        return await self._async_save_prices(self._pending)

    # --- saving ---------------------------------------------------------------------------

    async def _async_save_prices(self, prices: PriceSettings) -> SubentryFlowResult:
        """Save the period worked on with these prices."""
        timeline = self._energy()
        if self._adding:
            changed = timeline.added(prices, now=dt_util.utcnow(), start=self._start)
        else:
            changed = timeline.corrected(self._start, prices)
        return await self._async_save_energy(timeline, changed)

    async def _async_save_energy(
        self, old: Timeline[PriceSettings], new: Timeline[PriceSettings]
    ) -> SubentryFlowResult:
        """Save an energy price timeline: with the "recosting" message when hours of the
        imported history get other costs (and some period has costs at all)."""
        subentry = self._get_reconfigure_subentry()
        data = with_timelines(subentry.data, self._meter_type(), energy=new)
        reason: str | UndefinedType = UNDEFINED
        if any(p.prices.enabled for p in new.periods) and await self._async_recosts(old, new):
            reason = RECOSTING
        return self._async_save(data, reason)

    async def _async_recosts(
        self, old: Timeline[PriceSettings], new: Timeline[PriceSettings]
    ) -> bool:
        """Whether hours of the imported history (the days before today when it is not
        known) cost otherwise under the new timeline."""
        first, last = await self._async_imported_hours()
        end = midnight(local_today(dt_util.utcnow())) if last is None else last + HOUR
        return bool(imported(recosted(old, new), first, end))

    async def _async_period_hours(self) -> tuple[datetime | None, datetime | None]:
        """The imported hours of the period worked on (as it would be saved): its oldest
        and newest (None, None: none)."""
        first, last = await self._async_imported_hours()
        if first is None or last is None:
            return None, None
        timeline = self._energy()
        if self._adding:
            timeline = timeline.added(PriceSettings(), now=dt_util.utcnow(), start=self._start)
        bounds = timeline.bounds(timeline.on(self._start))
        if bounds.start is not None:
            first = max(first, bounds.start)
        if bounds.end is not None:
            last = min(last, bounds.end - HOUR)
        return (first, last) if first <= last else (None, None)
