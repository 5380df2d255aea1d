"""Data update coordinator and shared account handling for Fluvius."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import hashlib
import logging
import os
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api.client import DEFAULT_PORTAL_URL, FluviusClient
from .api.errors import (
    FluviusAccountLockedError,
    FluviusAuthError,
    FluviusError,
    FluviusInteractionRequiredError,
    FluviusMeterNotAccessibleError,
    FluviusRateLimitError,
    FluviusTokenRejectedError,
)
from .api.models import Interval, MeterType, MonthlyPeak, Resolution
from .backfill import StatisticsBackfill
from .const import (
    BRUSSELS,
    CONF_DIALECTS,
    CONF_EAN,
    CONF_HISTORY_DAYS,
    CONF_METER_SERIAL,
    CONF_METER_TYPE,
    DEFAULT_HISTORY_DAYS,
    DOMAIN,
    REVISION_DAYS,
    STORAGE_VERSION,
    UPDATE_INTERVAL,
)
from .days import DayTotals, complete_days, daily_total_days, day_bounds, day_of, totals_of
from .peaks import CAPACITY_MONTHS, month_peaks, peak_disagreements
from .revisions import async_fetch_changed
from .statistics import FluviusStatistics

_LOGGER = logging.getLogger(__name__)

type FluviusConfigEntry = ConfigEntry[FluviusCoordinator]

DATA_ACCOUNTS: HassKey[AccountRegistry] = HassKey(DOMAIN)

# Days re-read once a day, to pick up revisions of provisional values.
REREAD_DAYS = REVISION_DAYS
# Intervals kept in memory (and handed to listeners) beyond the re-read window.
RETAIN_DAYS = REREAD_DAYS + 2
# Local hour after which the daily re-read happens even if no new day arrived.
REREAD_FALLBACK_HOUR = 21
# How long due data may stay away, while the portal answers, before a repair issue says so.
NO_DATA_AFTER = timedelta(hours=24)


def mask(value: str) -> str:
    """Show only the last four characters of an identifier (EAN, serial)."""
    return f"…{value[-4:]}"


def account_key(email: str, password: str) -> tuple[str, str]:
    """Key under which entries share one client: same e-mail and same password."""
    return (email.strip().casefold(), password)


def account_fingerprint(email: str) -> str:
    """A stable, non-reversible tag of the account a token belongs to."""
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PublicationSchedule:
    """When Fluvius publishes a day's data and how we look for it.

    Day D is first looked for on day D + ``delay_days`` at ``first_hour`` local time
    (a little before the usual publication time, so that new data is picked up within
    one polling interval). While a due day is still missing we look every
    ``retry_every`` ticks; after ``patience`` of waiting we slow down to
    ``slow_retry_every`` to keep the daily request budget when Fluvius is late.
    """

    delay_days: int
    first_hour: int
    patience: timedelta
    slow_retry_every: timedelta
    # Hour of the local day at which a measurement day starts (gas days start at 06:00).
    day_start_hour: int


# Electricity day D is published on D+1 around 07:00 Brussels time; gas day G (06:00 to
# 06:00) about three days later, also around 07:00. We start looking an hour early.
SCHEDULES: dict[MeterType, PublicationSchedule] = {
    MeterType.ELECTRICITY: PublicationSchedule(
        delay_days=1,
        first_hour=6,
        patience=timedelta(hours=3),
        slow_retry_every=timedelta(hours=4),
        day_start_hour=0,
    ),
    MeterType.GAS: PublicationSchedule(
        delay_days=3,
        first_hour=6,
        patience=timedelta(hours=3),
        slow_retry_every=timedelta(hours=4),
        day_start_hour=6,
    ),
}


@dataclass(frozen=True, slots=True)
class FetchBatch:
    """What one call to the measurement endpoint brought back."""

    start: date
    end: date
    intervals: tuple[Interval, ...]
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class FluviusData:
    """Everything the entities (and the statistics/event modules) read."""

    meter_type: MeterType
    # Recent intervals by UTC start, native resolution, at most RETAIN_DAYS old.
    intervals: Mapping[datetime, Interval]
    days: Mapping[date, DayTotals]
    latest_day: DayTotals | None
    peaks: Mapping[date, MonthlyPeak]
    newest_data: datetime | None
    # The measurement fetches not yet imported: this update's, and those of earlier updates
    # that failed after fetching them.
    fetches: tuple[FetchBatch, ...] = ()
    updated_at: datetime | None = None
    # The resolution the newest fetched day came in (quarter-hour, hour, or day where no
    # finer code delivers), and since when due days have stayed away while Fluvius answers.
    resolution: Resolution | None = None
    overdue_since: datetime | None = None

    def peak_for(self, month: date) -> MonthlyPeak | None:
        """The peak of the month containing ``month``."""
        return self.peaks.get(month.replace(day=1))


@dataclass(slots=True)
class FluviusAccount:
    """One client (and token) shared by every entry of the same account."""

    key: tuple[str, str]
    client: FluviusClient
    fingerprint: str
    refs: int = 0
    auth_failed: bool = False
    # Why (translation key of the exception Home Assistant logs and shows on the entry).
    auth_reason: str = "auth_failed"
    stores: dict[str, Store[dict[str, Any]]] = field(default_factory=dict)
    saved: dict[str, dict[str, Any]] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        """What is persisted per entry: token state and the discovered dialect."""
        return {
            "account": self.fingerprint,
            "tokens": self.client.export_tokens(),
            "dialects": self.client.export_dialects(),
        }

    async def async_persist(self) -> None:
        """Save token state and dialect to every member entry's store, when changed."""
        snapshot = self.snapshot()
        for entry_id, store in self.stores.items():
            if self.saved.get(entry_id) != snapshot:
                await store.async_save(snapshot)
                self.saved[entry_id] = snapshot


@dataclass(slots=True)
class AccountRegistry:
    """Reference-counted clients, one per account, in hass.data."""

    accounts: dict[tuple[str, str], FluviusAccount] = field(default_factory=dict)
    # Token state handed over by a config flow that just logged in, so that the
    # new entry does not log in a second time.
    handoff: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # Accounts whose credentials were rejected: no login until the user re-authenticates.
    failed: set[tuple[str, str]] = field(default_factory=set)
    # The reason of each such failure (an exception translation key).
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)


def entry_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The per-entry store of token state and dialect."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True)


def registry(hass: HomeAssistant) -> AccountRegistry:
    """The account registry, created on first use."""
    if (reg := hass.data.get(DATA_ACCOUNTS)) is None:
        reg = hass.data[DATA_ACCOUNTS] = AccountRegistry()
    return reg


def create_client(hass: HomeAssistant, email: str, password: str) -> FluviusClient:
    """A client using Home Assistant's shared session for data requests."""
    return FluviusClient(
        email,
        password,
        session=async_get_clientsession(hass),
        portal_url=os.environ.get("FLUVIUS_PORTAL_URL", DEFAULT_PORTAL_URL),
        clock=dt_util.utcnow,
    )


async def async_acquire_account(hass: HomeAssistant, entry: FluviusConfigEntry) -> FluviusAccount:
    """Get (or create) the shared client of this entry's account and register the entry."""
    reg = registry(hass)
    email: str = entry.data[CONF_EMAIL]
    key = account_key(email, entry.data[CONF_PASSWORD])
    store = entry_store(hass, entry.entry_id)
    stored = await store.async_load() or {}
    fingerprint = account_fingerprint(email)
    if stored.get("account") != fingerprint:
        # Written for another account (e-mail changed by reconfigure): ignore it.
        stored = {}

    password: str = entry.data[CONF_PASSWORD]
    handoff_tokens = (reg.handoff.pop(key, None) or {}).get("tokens")
    tokens = None
    if (account := reg.accounts.get(key)) is None:
        client = create_client(hass, email, password)
        account = FluviusAccount(key=key, client=client, fingerprint=fingerprint)
        reg.accounts[key] = account
        # Fresh tokens of a config flow that just logged in beat stored ones.
        tokens = handoff_tokens or stored.get("tokens")
    elif account.auth_failed and key not in reg.failed:
        # The user re-authenticated with the same password (e.g. after finishing a
        # verification step on the portal): lift the client's block on logging in.
        # (set_password would not: it only lifts the block for a new password.)
        account.client.allow_login()
        tokens = handoff_tokens
    if tokens:
        account.client.import_tokens(tokens)
        _LOGGER.debug("Reusing token state for %s", entry.title)

    for dialects in (entry.data.get(CONF_DIALECTS), stored.get("dialects")):
        if dialects:
            account.client.import_dialects(dialects)

    account.auth_failed = key in reg.failed
    account.auth_reason = reg.reasons.get(key, "auth_failed")
    account.refs += 1
    account.stores[entry.entry_id] = store
    if stored:
        account.saved[entry.entry_id] = stored
    return account


async def async_release_account(hass: HomeAssistant, entry: FluviusConfigEntry) -> None:
    """Unregister the entry; close the client when no entry uses it any more."""
    reg = registry(hass)
    account = entry.runtime_data.account
    await account.async_persist()
    account.stores.pop(entry.entry_id, None)
    account.saved.pop(entry.entry_id, None)
    account.refs -= 1
    if account.refs <= 0:
        if reg.accounts.get(account.key) is account:
            del reg.accounts[account.key]
        await account.client.close()


def access_issue_id(entry_id: str) -> str:
    """Repair issue raised while the account has no access to the entry's meter."""
    return f"meter_not_accessible_{entry_id}"


def auth_reason(err: FluviusAuthError) -> str:
    """The exception translation key that tells the user why the login stopped."""
    if isinstance(err, FluviusAccountLockedError):
        return "account_locked"
    if isinstance(err, FluviusInteractionRequiredError):
        return "interaction_required"
    return "auth_failed"


def describe(err: FluviusError) -> str:
    """Class and message of a client error, for the log (client messages hold no secrets)."""
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def no_data_issue_id(entry_id: str) -> str:
    """Repair issue raised while due days stay away although the portal answers."""
    return f"no_data_{entry_id}"


def month_start(day: date) -> date:
    """First day of the month of ``day``."""
    return day.replace(day=1)


class FluviusCoordinator(DataUpdateCoordinator[FluviusData]):
    """Polls one meter's measurements and monthly peaks, only when data is due."""

    config_entry: FluviusConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: FluviusConfigEntry, account: FluviusAccount
    ) -> None:
        """Initialise the coordinator for one meter."""
        self.account = account
        self.ean: str = entry.data[CONF_EAN]
        self.serial: str = entry.data[CONF_METER_SERIAL]
        self.meter_type = MeterType(entry.data[CONF_METER_TYPE])
        self.schedule = SCHEDULES[self.meter_type]
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"Fluvius meter {mask(self.ean)}",
            update_interval=UPDATE_INTERVAL,
            always_update=False,
        )
        self._intervals: dict[datetime, Interval] = {}
        self._complete: dict[date, DayTotals] | None = None  # complete_days() until they change
        self._published: dict[date, DayTotals] = {}  # the daily code's totals, by day
        self._peaks: dict[date, MonthlyPeak] = {}
        self._last_reread: date | None = None
        self._reread_until: date | None = None  # newest day of the last completed re-read
        self._peaks_month: date | None = None
        self._missing_since: datetime | None = None
        self._missing_day: date | None = None
        self._overdue_since: datetime | None = None  # not reset by the next day falling due
        self._last_attempt: datetime | None = None
        # Fetched but not yet handed to the statistics and listeners (a later request of the
        # same update failed), and whether the peaks lag behind merged measurements: both
        # carry over to the next update instead of waiting for the next day's data.
        self._unpublished: list[FetchBatch] = []
        self._peaks_stale = False
        self.peak_disagreements: dict[str, dict[str, Any]] = {}
        self.statistics = FluviusStatistics(
            hass, self.ean, self.meter_type, f"{self.meter_type.value} {mask(self.ean)}"
        )
        self.backfill = StatisticsBackfill(
            account.client,
            self.ean,
            self.serial,
            self.statistics,
            entry.options.get(CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS),
            day_start_hour=self.schedule.day_start_hour,
            on_progress=self.async_update_listeners,
        )
        self._backfill_task: asyncio.Task[None] | None = None

    @callback
    def async_start_backfill(self) -> None:
        """Run (or resume) the statistics backfill in the background, unless it runs."""
        if self.backfill.done or (self._backfill_task and not self._backfill_task.done()):
            return
        self._backfill_task = self.config_entry.async_create_background_task(
            self.hass, self.backfill.async_run_safely(), f"{DOMAIN} backfill {mask(self.ean)}"
        )

    @property
    def client(self) -> FluviusClient:
        """The (shared) API client."""
        return self.account.client

    # ------------------------------------------------------------------ schedule

    def local_now(self, now: datetime) -> datetime:
        """``now`` in Brussels time."""
        return now.astimezone(BRUSSELS)

    def expected_day(self, now: datetime) -> date:
        """The newest measurement day that may be published by ``now``."""
        local = self.local_now(now) - timedelta(hours=self.schedule.first_hour)
        return local.date() - timedelta(days=self.schedule.delay_days)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """UTC bounds of one measurement day of this meter."""
        return day_bounds(day, self.schedule.day_start_hour)

    def complete_days(self) -> dict[date, DayTotals]:
        """Totals of every day fully covered by the retained intervals (kept until they
        change: the schedule asks several times an hour)."""
        if self._complete is None:
            self._complete = complete_days(self._intervals.values(), self.schedule.day_start_hour)
        return self._complete

    def known_days(self) -> dict[date, DayTotals]:
        """Every day we have: the daily code's totals (their finer data is in the statistics,
        or was found unchanged there), overridden by the intervals held."""
        return {**self._published, **self.complete_days()}

    def newest_complete_day(self) -> date | None:
        """The newest day we have completely."""
        days = self.known_days()
        return max(days) if days else None

    def measurements_due(self, now: datetime) -> tuple[date, date] | None:
        """The day range to ask for new data, or None when nothing is due."""
        expected = self.expected_day(now)
        newest = self.newest_complete_day()
        if newest is not None and newest >= expected:
            self._missing_since = self._overdue_since = None
            return None
        if self._overdue_since is None:
            self._overdue_since = now
        if self._missing_since is None or self._missing_day != expected:
            # A new day is due: look hourly again, however late the previous one was.
            self._missing_since = now
            self._missing_day = expected
        if (
            self._last_attempt is not None
            # Slow down only while Fluvius answers but is late; a failed update (Fluvius
            # down) is retried at the next hourly tick: it fails on its first request.
            and self.last_update_success
            and now - self._missing_since > self.schedule.patience
            and now - self._last_attempt < self.schedule.slow_retry_every
        ):
            return None
        first = expected - timedelta(days=REREAD_DAYS - 1)
        if newest is not None and newest >= first:
            first = newest + timedelta(days=1)
        return first, expected

    def reread_due(self, now: datetime) -> tuple[date, date] | None:
        """The window to re-read for revisions, once a local day, or None."""
        today = self.local_now(now).date()
        if self._last_reread == today:
            return None
        expected = self.expected_day(now)
        start = expected - timedelta(days=REREAD_DAYS - 1)
        if self._reread_until is not None:
            # After days without a successful re-read (Fluvius down), the days that left the
            # window meanwhile are read once more: they may have been revised.
            start = min(start, self._reread_until - timedelta(days=REREAD_DAYS - 2))
        return start, expected

    def peaks_due(self, now: datetime, new_data: bool) -> bool:
        """Peaks are fetched when new measurements arrived (also in an earlier update whose
        peaks request failed) or the month changed."""
        if self.meter_type is not MeterType.ELECTRICITY:
            return False
        return (
            new_data
            or self._peaks_stale
            or self._peaks_month != month_start(self.local_now(now).date())
        )

    # ------------------------------------------------------------------ fetching

    async def async_fetch_peaks(self, now: datetime) -> list[MonthlyPeak]:
        """Fetch the monthly peaks the capacity tariff averages (this month and 11 before)."""
        today = self.local_now(now).date()
        start = month_start(today)
        for _ in range(CAPACITY_MONTHS - 1):
            start = month_start(start - timedelta(days=1))
        peaks = await self.client.peaks(self.ean, self.serial, start, today)
        _LOGGER.debug("%s: fetched %d monthly peaks", self.name, len(peaks))
        return peaks

    def _merge(self, batch: FetchBatch) -> bool:
        """Merge fetched intervals; True when anything new or changed arrived.

        A batch replaces what is held for the days it has data for, so a day that changes
        resolution (a daily total replaced by quarter-hours, or back) is never counted twice.
        """
        start_hour = self.schedule.day_start_hour
        incoming = {interval.start: interval for interval in batch.intervals}
        days = {day_of(start, start_hour) for start in incoming}
        stale = [
            start
            for start in self._intervals
            if start not in incoming and day_of(start, start_hour) in days
        ]
        changed = bool(stale)
        for start in stale:
            del self._intervals[start]
        for start, interval in incoming.items():
            if self._intervals.get(start) != interval:
                self._intervals[start] = interval
                changed = True
        if changed:
            self._complete = None
        return changed

    def _prune(self, now: datetime) -> None:
        """Forget intervals older than the retained window."""
        oldest = self.expected_day(now) - timedelta(days=RETAIN_DAYS)
        cutoff, _ = self.day_bounds(oldest)
        for start in [s for s in self._intervals if s < cutoff]:
            del self._intervals[start]
            self._complete = None
        for day in [d for d in self._published if d < oldest]:
            del self._published[day]

    def overview_due(self, now: datetime) -> tuple[date, date] | None:
        """The days to look at with the daily code now, or None.

        Due while the newest expected day is missing, and once a day for revisions.
        """
        due = self.measurements_due(now)
        reread = self.reread_due(now) if due is not None or self._window_ready(now) else None
        if due is None and reread is None:
            return None
        return min(window[0] for window in (due, reread) if window), self.expected_day(now)

    async def _async_poll(self, now: datetime) -> FluviusData | None:
        """Fetch whatever is due; None when nothing was due (see revisions.py)."""
        new_data = False
        if (window := self.overview_due(now)) is not None:
            self._last_attempt = now
            try:
                published, fetched = await async_fetch_changed(
                    self.client,
                    self.ean,
                    self.serial,
                    window,
                    start_hour=self.schedule.day_start_hour,
                    held=self._async_held,
                )
            except FluviusError:
                # An outage is not silence: the no-data clock restarts once Fluvius answers.
                self._overdue_since = None
                raise
            for day, period in published.items():
                self._published[day] = totals_of(day, period)
            for run in fetched:
                batch = FetchBatch(run.first, run.last, tuple(run.intervals), dt_util.utcnow())
                self._unpublished.append(batch)
                new_data = self._merge(batch) or new_data
            self._peaks_stale |= new_data
            if window[1] in published or self.local_now(now).hour >= REREAD_FALLBACK_HOUR:
                self._last_reread = self.local_now(now).date()
                self._reread_until = window[1]

        peaks_fetched = False
        if self.peaks_due(now, new_data):
            for peak in await self.async_fetch_peaks(now):
                self._peaks[peak.month] = peak
            self._peaks_month = month_start(self.local_now(now).date())
            self._peaks_stale = False
            peaks_fetched = True

        if (newest := self.newest_complete_day()) is not None and newest >= self.expected_day(now):
            self._overdue_since = None  # what was due arrived
        if (
            not self._unpublished
            and not peaks_fetched
            and self.data is not None
            and self.data.overdue_since == self._overdue_since
        ):
            return None
        return self._build_data(now, tuple(self._unpublished))

    def _check_peaks(self) -> None:
        """Warn once per month where the portal's peak and the measured quarter-hours cannot
        both be right (a wrong register mapping, or a wrong peak)."""
        wrong = peak_disagreements(self._peaks, month_peaks(self.backfill.day_peaks))
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

    async def _async_held(self, published: Mapping[date, Interval]) -> dict[date, DayTotals]:
        """Totals held for the published days: in memory, else in the statistics (after a
        restart), so that only new or revised days are fetched again.

        While the history import runs, it fetches these days itself (what the coordinator
        fetched would not be imported before it is done): the daily totals do for the sensors.
        """
        if not self.backfill.done:
            return {day: totals_of(day, period) for day, period in published.items()}
        held = dict(self.complete_days())
        if missing := sorted(set(published) - set(held)):
            stored = await self.statistics.async_day_totals(
                missing[0], missing[-1], self.schedule.day_start_hour
            )
            held = {**stored, **held}
        if self.client.finest_resolution(self.ean, self.serial) is not Resolution.DAY:
            # Days held as a daily total because no finer code delivered them: try again
            # while they are in the window (the portal may have filled them in since).
            for day in daily_total_days(self._intervals.values(), self.schedule.day_start_hour):
                held.pop(day, None)
        return held

    def _window_ready(self, now: datetime) -> bool:
        """Re-read once the day's new data is in, or late in the day regardless.

        Revisions are published together with new days, so the re-read waits for the
        day's publication instead of running at midnight.
        """
        local = self.local_now(now)
        if local.hour >= REREAD_FALLBACK_HOUR:
            return True
        newest = self.newest_complete_day()
        return (
            local.hour >= self.schedule.first_hour
            and newest is not None
            and newest >= self.expected_day(now)
        )

    def _build_data(self, now: datetime, fetches: tuple[FetchBatch, ...]) -> FluviusData:
        """A new immutable snapshot for the entities and listeners."""
        self._prune(now)
        days = self.known_days()
        ends = [i.end for i in self._intervals.values()]
        ends += [self.day_bounds(day)[1] for day in self._published]
        newest_end = max(ends, default=None)
        if newest_end is None and self.data is not None:
            newest_end = self.data.newest_data
        return FluviusData(
            meter_type=self.meter_type,
            intervals=dict(self._intervals),
            days=days,
            latest_day=days[max(days)] if days else None,
            peaks=dict(self._peaks),
            newest_data=newest_end,
            fetches=fetches,
            updated_at=now,
            resolution=self.client.resolution_in_use(self.ean, self.serial),
            overdue_since=self._overdue_since,
        )

    def _still_failing(self) -> UpdateFailed:
        """The previous update's failure again (without its Retry-After)."""
        last = self.last_exception
        if isinstance(last, UpdateFailed) and last.translation_key:
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=last.translation_key,
                translation_placeholders=last.translation_placeholders,
            )
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="update_failed",
            translation_placeholders={"error": type(last).__name__},
        )

    @callback
    def _update_no_data_issue(self, now: datetime) -> None:
        """Say so when due days stay away for long while the portal answers; clear it once
        they arrive (the gap is then imported like any late data)."""
        issue_id = no_data_issue_id(self.config_entry.entry_id)
        since = self._overdue_since
        if since is None or now - since <= NO_DATA_AFTER:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="no_data",
            translation_placeholders={
                "meter": self.config_entry.title,
                "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M"),
            },
        )

    async def _async_update_data(self) -> FluviusData:
        """Fetch due data, translating client errors for Home Assistant."""
        if self.account.auth_failed:
            # Another entry of this account already hit an authentication error:
            # never try to log in again before the user re-authenticates.
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=self.account.auth_reason
            )
        now = dt_util.utcnow()
        try:
            data = await self._async_poll(now)
            if data is None and not self.last_update_success:
                # Nothing was due, so nothing showed that Fluvius answers again: stay failed
                # (entities unavailable, one log line per outage) until a request succeeds.
                raise self._still_failing()
            if data is not None:
                await self.backfill.async_ingest(
                    (batch.start, list(batch.intervals)) for batch in data.fetches
                )
                self._unpublished.clear()
                self._check_peaks()
        except FluviusTokenRejectedError as err:
            # B2C accepted the credentials; only the portal refused the new token (twice in a
            # row, e.g. a glitch right after a 401). Not the user's to fix: retry next hour.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": describe(err)},
            ) from err
        except FluviusAuthError as err:
            reg = registry(self.hass)
            self.account.auth_failed = True
            self.account.auth_reason = reg.reasons[self.account.key] = auth_reason(err)
            reg.failed.add(self.account.key)
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=self.account.auth_reason
            ) from err
        except FluviusRateLimitError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                retry_after=err.retry_after,
            ) from err
        except FluviusMeterNotAccessibleError as err:
            # Only the user can fix this (the meter moved to another account): say so.
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                access_issue_id(self.config_entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="meter_not_accessible",
                translation_placeholders={"meter": self.config_entry.title},
            )
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="meter_not_found"
            ) from err
        except FluviusError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": describe(err)},
            ) from err
        finally:
            await self.account.async_persist()
        if data is not None:  # the portal answered for this meter: access is back
            ir.async_delete_issue(self.hass, DOMAIN, access_issue_id(self.config_entry.entry_id))
        self._update_no_data_issue(now)
        if self.config_entry.state is ConfigEntryState.LOADED:
            # A backfill stopped by a portal error resumes once the portal answers again.
            self.async_start_backfill()
        return self.data if data is None else data
