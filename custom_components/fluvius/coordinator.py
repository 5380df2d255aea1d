"""One meter's coordinator: asks the planner what is due, fetches it, hands a snapshot on.

The schedule is pure (planner.py), so is what is held (snapshot.py) and what each client
error becomes in Home Assistant (failures.py); the account (client, tokens, login block) is
account.py's, the import and its pricing backfill.py's. What is left here: carry out a plan,
raise the mapped errors, and keep the repair issues of this meter true.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date, datetime, timedelta
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from . import issues, planner
from .account import FluviusAccount
from .api.brussels import BRUSSELS
from .api.errors import FluviusError, FluviusMeterNotAccessibleError
from .api.models import Interval, MeterType, Resolution
from .api.security import mask_ean
from .backfill import StatisticsBackfill
from .const import DOMAIN, UPDATE_INTERVAL
from .costs import MeterCosts
from .days import DayTotals
from .failures import auth_failed, still_failing, translated
from .models import FluviusConfigEntry, MeterConfig
from .peaks import capacity_start, month_peaks, peak_disagreements
from .quarter_hours import QuarterHourStore
from .revisions import async_fetch_changed
from .snapshot import FetchBatch, FluviusData, MeterMemory
from .statistics import FluviusStatistics

_LOGGER = logging.getLogger(__name__)

# Intervals kept in memory (and handed to listeners) beyond the re-read window.
RETAIN_DAYS = planner.REREAD_DAYS + 2


class FluviusCoordinator(DataUpdateCoordinator[FluviusData]):
    """Polls one meter's measurements and monthly peaks, only when data is due."""

    config_entry: FluviusConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FluviusConfigEntry,
        account: FluviusAccount,
        meter: MeterConfig,
    ) -> None:
        """Initialise the coordinator of one meter subentry."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=meter.title,
            update_interval=UPDATE_INTERVAL,
            always_update=False,
        )
        self.account = account
        self.meter = meter
        self.schedule = planner.SCHEDULES[meter.meter_type]
        self.memory = MeterMemory(self.schedule.day_start_hour)
        self._state = planner.PollState()
        # Fetched but not yet imported (a later request of the same update failed).
        self._unimported: list[FetchBatch] = []
        self.peak_disagreements: dict[str, dict[str, Any]] = {}
        self.quarter_hours = QuarterHourStore(hass, meter.subentry_id, self.schedule.day_start_hour)
        self.statistics = FluviusStatistics(
            hass,
            meter.ean,
            meter.meter_type,
            f"{meter.meter_type.value} {mask_ean(meter.ean)}",
            costs=MeterCosts(hass, meter.ean, meter.meter_type, meter.prices, meter.title),
            store=self.quarter_hours,
        )
        self.backfill = StatisticsBackfill(
            account.client,
            meter.ean,
            meter.serial,
            self.statistics,
            meter.history_days,
            name=meter.title,
            import_until=meter.import_until,
            day_start_hour=self.schedule.day_start_hour,
            on_progress=self._async_backfill_progress,
            store=self.quarter_hours,
        )
        self._backfill_task: asyncio.Task[None] | None = None

    @property
    def ean(self) -> str:
        """The meter's EAN."""
        return self.meter.ean

    @property
    def meter_type(self) -> MeterType:
        """Electricity or gas."""
        return self.meter.meter_type

    @callback
    def async_start_backfill(self) -> None:
        """Run (or resume) the statistics import in the background, unless it runs."""
        if self.backfill.idle or (self._backfill_task and not self._backfill_task.done()):
            return
        self._backfill_task = self.config_entry.async_create_background_task(
            self.hass, self.backfill.async_run_safely(), f"{DOMAIN} import {self.name}"
        )

    async def async_stop(self) -> None:
        """This meter alone goes (its subentry was removed): end its import and polling."""
        if self._backfill_task is not None:
            self._backfill_task.cancel()
            await asyncio.wait([self._backfill_task])
        await self.async_shutdown()

    @callback
    def async_apply(self, meter: MeterConfig) -> None:
        """New settings that need no reload (prices, days of history, where imports stop):
        the history is imported or re-costed in the background; the entities stay
        available."""
        old, self.meter = self.meter, meter
        if meter.prices != old.prices:
            self.statistics.costs.timeline = meter.prices
            self.backfill.recost_due = True
        if (meter.history_days, meter.import_until) != (old.history_days, old.import_until):
            self.backfill.reschedule(meter.history_days, meter.import_until)
        self.async_update_listeners()
        if self.config_entry.state is ConfigEntryState.LOADED:
            self.async_start_backfill()

    @callback
    def _async_backfill_progress(self) -> None:
        """The import (or re-cost) moved on: tell the entities, keep the cost issue true."""
        self.async_update_listeners()
        if self.quarter_hours.loaded:
            unpriced = self.statistics.unpriced if self.statistics.costs.enabled else []
            issues.async_update_no_cost(
                self.hass, self.meter.subentry_id, self.meter.title, unpriced
            )

    async def _async_update_data(self) -> FluviusData:
        """Fetch what is due; client errors become Home Assistant's, translated."""
        if self.account.blocked is not None:
            # The portal rejected the credentials: never log in again before reauth.
            raise auth_failed(self.account.blocked)
        now = dt_util.utcnow()
        client, meter = self.account.client, self.meter
        daily_only = client.daily_only(meter.ean, meter.serial)
        try:
            data = await self._async_poll(now)
            if data is None and not self.last_update_success:
                # Nothing was due, so nothing showed that Fluvius answers again: stay failed
                # (entities unavailable, one log line per outage) until a request succeeds.
                raise still_failing(self.last_exception)
            if data is not None:
                await self.backfill.async_ingest(data.fetches)
                self._unimported.clear()
                self._check_peaks()
        except FluviusError as err:
            if isinstance(err, FluviusMeterNotAccessibleError):
                issues.async_no_access(self.hass, meter.subentry_id, meter.title)
            raise translated(err, self.account.block) from err
        finally:
            await self.account.async_save()
        if daily_only and not client.daily_only(meter.ean, meter.serial):
            # Fluvius serves finer data now: re-import the days booked as daily totals.
            self.backfill.refine_due = True
        if data is not None:  # the portal answered for this meter
            issues.async_access_back(self.hass, self.meter.subentry_id)
            issues.async_update_daily_only(
                self.hass,
                meter.subentry_id,
                meter.title,
                daily_only=client.daily_only(meter.ean, meter.serial),
            )
        issues.async_update_no_data(
            self.hass, self.meter.subentry_id, self.meter.title, self._state.overdue_since, now
        )
        if self.config_entry.state is ConfigEntryState.LOADED:
            # An import stopped by a portal error resumes once the portal answers again.
            self.async_start_backfill()
            if self.backfill.price_late_due(now.astimezone(BRUSSELS).date()):
                self.config_entry.async_create_background_task(
                    self.hass, self.backfill.async_price_unpriced(), f"{DOMAIN} prices {self.name}"
                )
        return self.data if data is None else data

    async def _async_poll(self, now: datetime) -> FluviusData | None:
        """Carry out what the planner says is due; None when nothing changed."""
        plan = planner.plan(
            now,
            self._state,
            self.schedule,
            newest_day=self.memory.newest_day(),
            last_update_success=self.last_update_success,
            not_before=self.backfill.history_start,
        )
        self._state = plan.state
        new_data = False
        # New daily totals alone (no finer fetch: while the history import runs, the daily
        # totals do for the sensors) are news for the sensors too.
        new_totals = False
        if plan.overview is not None:
            try:
                published, fetched = await async_fetch_changed(
                    self.account.client,
                    self.meter.ean,
                    self.meter.serial,
                    plan.overview,
                    start_hour=self.schedule.day_start_hour,
                    held=self._async_held,
                )
            except FluviusError:
                self._state = planner.failed(self._state)
                raise
            new_totals = self.memory.publish(published)
            for run in fetched:
                self._unimported.append(FetchBatch(run.first, run.last, tuple(run.intervals)))
                new_data = self.memory.merge(run.intervals) or new_data
            self._state = planner.fetched(
                self._state,
                now,
                plan.overview,
                expected_published=plan.overview[1] in published,
                new_data=new_data,
            )
        peaks_fetched = False
        if planner.peaks_due(now, self._state, self.meter.meter_type, new_data=new_data):
            today = now.astimezone(BRUSSELS).date()
            peaks = await self.account.client.peaks(
                self.meter.ean, self.meter.serial, capacity_start(today), today
            )
            self.memory.peaks.update({peak.month: peak for peak in peaks})
            self._state = planner.peaks_fetched(self._state, now)
            peaks_fetched = True
        self._state = planner.settled(
            self._state, now, self.schedule, newest_day=self.memory.newest_day()
        )
        overdue = self._state.overdue_since
        if (
            not self._unimported
            and not peaks_fetched
            and not new_totals
            and self.data is not None
            and self.data.overdue_since == overdue
        ):
            return None
        self.memory.prune(plan.expected - timedelta(days=RETAIN_DAYS))
        return self.memory.snapshot(
            now,
            fetches=tuple(self._unimported),
            resolution=self.account.client.resolution_in_use(self.meter.ean, self.meter.serial),
            overdue_since=overdue,
            previous=self.data,
        )

    async def _async_held(self, published: Mapping[date, Interval]) -> dict[date, DayTotals]:
        """Totals held for the published days: in memory, else in the statistics."""
        finest = self.account.client.finest_resolution(self.meter.ean, self.meter.serial)
        held, missing = self.memory.held(
            published,
            importing=not self.backfill.done,
            retry_daily_totals=finest is not Resolution.DAY,
        )
        if missing:
            stored = await self.statistics.async_day_totals(
                missing[0], missing[-1], self.schedule.day_start_hour
            )
            held = {**stored, **held}
        return held

    def _check_peaks(self) -> None:
        """Warn once per month where the portal's peak and the measured quarter-hours cannot
        both be right (a wrong register mapping, or a wrong peak)."""
        wrong = peak_disagreements(self.memory.peaks, month_peaks(self.backfill.day_peaks))
        for month, figures in wrong.items():
            if month not in self.peak_disagreements:
                _LOGGER.warning(
                    "%s: Fluvius reports a %s kW peak for %s, but the measured quarter-hours "
                    "reach %s kW; please report this with the diagnostics",
                    self.name,
                    figures["portal_kw"],
                    month,
                    figures["measured_kw"],
                )
        self.peak_disagreements = wrong
