"""When to ask Fluvius for what: the publication schedule, as pure functions.

No Home Assistant, no I/O, no mutation. The coordinator keeps one :class:`PollState` and,
on every tick, replaces it with what these functions return:

    decision = plan(now, state, schedule, newest_day=..., last_update_success=...)
    state = decision.state
    if decision.overview is not None:
        try:
            ...  # ask the daily code for decision.overview
        except FluviusError:
            state = failed(state)
            raise
        state = fetched(state, now, decision.overview, expected_published=..., new_data=...)
    if peaks_due(now, state, meter_type, new_data=...):
        ...  # fetch the peaks
        state = peaks_fetched(state, now)
    state = settled(state, now, schedule, newest_day=...)  # newest day after the merge

Every calendar decision is taken on the Brussels wall clock, whatever the host's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from .api.brussels import BRUSSELS
from .api.models import MeterType
from .const import REVISION_DAYS

# Days re-read once a day, to pick up revisions of provisional values.
REREAD_DAYS = REVISION_DAYS
# Local hour after which the daily re-read happens even if no new day arrived.
REREAD_FALLBACK_HOUR = 21

type Window = tuple[date, date]


@dataclass(frozen=True, slots=True)
class PublicationSchedule:
    """When Fluvius publishes a day's data and how we look for it.

    Day D is first looked for on day D + ``delay_days`` at ``first_hour`` local time
    (a little before the usual publication time, so that new data is picked up within
    one polling interval). While a due day is still missing we look at every tick
    (hourly); after ``patience`` of waiting we slow down to ``slow_retry_every`` to keep
    the daily request budget when Fluvius is late.
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
class PollState:
    """What the planner remembers between ticks (all None/False at start)."""

    # When the overview was last asked for (successfully or not).
    last_attempt: datetime | None = None
    # Since when the newest due day (``missing_day``) has been missing; restarts when a
    # newer day falls due, so that each day is first looked for hourly.
    missing_since: datetime | None = None
    missing_day: date | None = None
    # Since when due data stays away (not reset by the next day falling due); reset by an
    # outage (see :func:`failed`), cleared once what was due arrives.
    overdue_since: datetime | None = None
    # Local day of the last completed re-read, and the newest day it covered.
    last_reread: date | None = None
    reread_until: date | None = None
    # First day of the local month the peaks were last fetched in, and whether new
    # measurements arrived since (an update whose peaks request failed).
    peaks_month: date | None = None
    peaks_stale: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do on one tick."""

    # The newest measurement day that may be published by now.
    expected: date
    # The days to ask the daily code for now; None: nothing is due.
    overview: Window | None
    # The state after this decision (missing_since, overdue_since, last_attempt updated).
    state: PollState


def _local(now: datetime) -> datetime:
    """``now`` (an aware datetime) on the Brussels wall clock."""
    return now.astimezone(BRUSSELS)


def _month_start(day: date) -> date:
    """First day of the month of ``day``."""
    return day.replace(day=1)


def expected_day(now: datetime, schedule: PublicationSchedule) -> date:
    """The newest measurement day that may be published by ``now``.

    Day D falls due at ``first_hour`` (wall clock) on D + ``delay_days``, also on the days
    the clocks change.
    """
    local = _local(now) - timedelta(hours=schedule.first_hour)
    return local.date() - timedelta(days=schedule.delay_days)


def _measurements_due(
    now: datetime,
    state: PollState,
    schedule: PublicationSchedule,
    newest_day: date | None,
    last_update_success: bool,
) -> tuple[Window | None, PollState]:
    """The day range to ask for new data (or None when nothing is due), and the state
    with the missing/overdue clocks brought up to date."""
    expected = expected_day(now, schedule)
    if newest_day is not None and newest_day >= expected:
        return None, replace(state, missing_since=None, overdue_since=None)
    overdue_since = now if state.overdue_since is None else state.overdue_since
    missing_since, missing_day = state.missing_since, state.missing_day
    if missing_since is None or missing_day != expected:
        # A new day is due: look hourly again, however late the previous one was.
        missing_since, missing_day = now, expected
    state = replace(
        state,
        missing_since=missing_since,
        missing_day=missing_day,
        overdue_since=overdue_since,
    )
    if (
        state.last_attempt is not None
        # Slow down only while Fluvius answers but is late; a failed update (Fluvius
        # down) is retried at the next hourly tick: it fails on its first request.
        and last_update_success
        and now - missing_since > schedule.patience
        and now - state.last_attempt < schedule.slow_retry_every
    ):
        return None, state
    first = expected - timedelta(days=REREAD_DAYS - 1)
    if newest_day is not None and newest_day >= first:
        first = newest_day + timedelta(days=1)
    return (first, expected), state


def _reread_due(now: datetime, state: PollState, schedule: PublicationSchedule) -> Window | None:
    """The window to re-read for revisions, once a local day, or None."""
    if state.last_reread == _local(now).date():
        return None
    expected = expected_day(now, schedule)
    start = expected - timedelta(days=REREAD_DAYS - 1)
    if state.reread_until is not None:
        # After days without a successful re-read (Fluvius down), the days that left the
        # window meanwhile are read once more: they may have been revised.
        start = min(start, state.reread_until - timedelta(days=REREAD_DAYS - 2))
    return start, expected


def _window_ready(now: datetime, schedule: PublicationSchedule, newest_day: date | None) -> bool:
    """Re-read once the day's new data is in, or late in the day regardless.

    Revisions are published together with new days, so the re-read waits for the
    day's publication instead of running at midnight.
    """
    local = _local(now)
    if local.hour >= REREAD_FALLBACK_HOUR:
        return True
    return (
        local.hour >= schedule.first_hour
        and newest_day is not None
        and newest_day >= expected_day(now, schedule)
    )


def plan(
    now: datetime,
    state: PollState,
    schedule: PublicationSchedule,
    *,
    newest_day: date | None,
    last_update_success: bool,
    not_before: date | None = None,
) -> Plan:
    """Decide whether to ask the daily code now, and for which days.

    ``newest_day`` is the newest complete day held before this tick;
    ``last_update_success`` whether the previous update succeeded (only then does a late
    day's polling slow down); ``not_before`` the oldest day the statistics hold or the
    history asks for (a history shorter than the re-read is never extended by it). The
    overview is due while the newest expected day is missing (hourly, then every
    ``slow_retry_every`` after ``patience``), and once a local day for revisions, after the
    day's data is in or from ``REREAD_FALLBACK_HOUR``. It always ends at the expected day.
    When it is due, the returned state records ``now`` as the last attempt.
    """
    expected = expected_day(now, schedule)
    due, state = _measurements_due(now, state, schedule, newest_day, last_update_success)
    reread = (
        _reread_due(now, state, schedule)
        if due is not None or _window_ready(now, schedule, newest_day)
        else None
    )
    if due is None and reread is None:
        return Plan(expected=expected, overview=None, state=state)
    first = min(window[0] for window in (due, reread) if window is not None)
    if not_before is not None:
        first = max(first, min(not_before, expected))
    return Plan(
        expected=expected, overview=(first, expected), state=replace(state, last_attempt=now)
    )


def fetched(
    state: PollState,
    now: datetime,
    window: Window,
    *,
    expected_published: bool,
    new_data: bool,
) -> PollState:
    """The state after the overview of ``window`` was fetched successfully.

    ``new_data``: new or changed measurements arrived (the peaks are stale until fetched).
    ``expected_published``: the window's last day was in the answer. Then, or from
    ``REREAD_FALLBACK_HOUR`` local time regardless, today's re-read is done.
    """
    peaks_stale = state.peaks_stale or new_data
    if expected_published or _local(now).hour >= REREAD_FALLBACK_HOUR:
        return replace(
            state,
            peaks_stale=peaks_stale,
            last_reread=_local(now).date(),
            reread_until=window[1],
        )
    return replace(state, peaks_stale=peaks_stale)


def failed(state: PollState) -> PollState:
    """The state after the overview request failed.

    An outage is not silence: the overdue clock restarts once Fluvius answers again.
    """
    return replace(state, overdue_since=None)


def peaks_due(now: datetime, state: PollState, meter_type: MeterType, *, new_data: bool) -> bool:
    """Whether to fetch the monthly peaks (electricity only).

    Due when new measurements arrived in this update (``new_data``) or in an earlier one
    whose peaks request failed (``state.peaks_stale``), or when the local month changed
    since the last peaks fetch.
    """
    if meter_type is not MeterType.ELECTRICITY:
        return False
    return new_data or state.peaks_stale or state.peaks_month != _month_start(_local(now).date())


def peaks_fetched(state: PollState, now: datetime) -> PollState:
    """The state after the peaks were fetched: current for this local month."""
    return replace(state, peaks_month=_month_start(_local(now).date()), peaks_stale=False)


def settled(
    state: PollState,
    now: datetime,
    schedule: PublicationSchedule,
    *,
    newest_day: date | None,
) -> PollState:
    """The state at the end of a tick, given the newest complete day now held.

    What was due arrived: the overdue clock stops.
    """
    if newest_day is not None and newest_day >= expected_day(now, schedule):
        return replace(state, overdue_since=None)
    return state
