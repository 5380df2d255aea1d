"""Fault matrix: what the user sees, and that no data is lost, in each lasting fault state.

Portal down for 2, 8 or 10 days, then back (every endpoint answers a 503 maintenance page):
    entities unavailable for the whole outage (no flapping); no repair issue, no reauth; one
    ERROR, one "recovered" INFO; at most ~1 request per hourly update; afterwards the gap and
    the revisions made meanwhile are in the statistics, equal to the simulator's truth.
Account locked (disabled AADB2C90111, or smart lockout AADB2C90114):
    entities unavailable; one reauth flow for the account (and Home Assistant's reauth repair
    issue); one ERROR per meter saying the account is locked; one credential submission in
    total, none after, also across a restart; the reauth form says "locked" while it lasts;
    one reauth brings both meters back.
Interactive step required (MFA, captcha, terms):
    as above, with "extra verification step" in the log and the reauth form.
The EAN loses access (403):
    that meter's entities unavailable, the account's other meter unaffected; a repair issue
    `meter_not_accessible` for that meter's subentry (translated, names the meter by its
    masked title); one ERROR; when access returns the issue disappears and the statistics
    have no gap.
The portal switches to the legacy endpoints (at runtime, or from the start):
    nothing visible: entities available, new days and peaks keep coming, nothing logged at
    WARNING or above, statistics equal truth.
The B2C page loses SETTINGS:
    entities unavailable once a login is needed; one ERROR naming SETTINGS; no reauth; at
    most one login attempt per hourly update (two requests, no credentials sent). At start
    up: Home Assistant's setup retry (back-off to 10 min, cause shown on the entry).
One request of an update fails after the new day arrived (peaks, or the re-read):
    the next hourly update delivers the day, the peak and the statistics.
SelfAsserted answers a non-200 once (a proxy's 401): no reauth; the next update logs in.

Each test reads the expectation from the simulator (`sim.truth`, `sim.stats`), never from the
integration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.issues import access_issue_id, no_data_issue_id
from tests.entries import ELEC, GAS, account_entry, coordinator, subentry_id
from tests.recorded import statistics_rows
from tests.simulator import ENDPOINTS, FluviusSimulator, SimClock
from tests.simulator.b2c import B2CService
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_NOW,
    DEMO_PASSWORD,
    ELEC_EAN,
    GAS_EAN,
    OTHER_EMAIL,
)

from .conftest import (
    OUR_LOGGER,
    assert_statistics_match,
    settle,
    unhandled,
)

ELEC_REGISTERS = ("consumption_high", "consumption_low", "injection_high", "injection_low")
B2C = ("msal_config", "authorize", "self_asserted", "confirmed", "token")
HISTORY_DAYS = 14


@pytest.fixture(autouse=True)
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze Home Assistant at the demo's reference time, before hass starts."""
    freezer.move_to(DEMO_NOW)
    return freezer


@pytest.fixture(autouse=True)
def env(frozen: FrozenDateTimeFactory, recorder_mock: Any, enable_custom_integrations: None):
    """Frozen time, then the recorder, then hass with custom integrations."""


@pytest.fixture
def sim_clock(frozen: FrozenDateTimeFactory) -> SimClock:
    """The simulator's clock follows Home Assistant's."""
    return SimClock(DEMO_NOW, source=dt_util.utcnow)


@pytest.fixture
async def fluvius(
    simulator: FluviusSimulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FluviusSimulator]:
    """The simulator, with the integration pointed at it, its year of data generated already
    (generating it on the first request takes longer than `settle` waits on a loaded box)."""
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", simulator.portal_url)
    truth = simulator.truth(ELEC_EAN)
    truth.intervals(DEMO_NOW - timedelta(days=400), DEMO_NOW)
    yield simulator
    simulator.faults.clear()


class Clock:
    """Moves Home Assistant's (and the simulator's) clock and lets due work run."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
        self.hass = hass
        self.freezer = freezer

    async def tick(self, delta: timedelta = timedelta(hours=1)) -> None:
        self.freezer.tick(delta)
        async_fire_time_changed(self.hass)
        await settle(self.hass, self.freezer)

    async def to(self, day: date, at: time) -> None:
        self.freezer.move_to(datetime.combine(day, at, BRUSSELS))
        async_fire_time_changed(self.hass)
        await settle(self.hass, self.freezer)

    def today(self) -> date:
        return dt_util.utcnow().astimezone(BRUSSELS).date()


@pytest.fixture
def clock(hass: HomeAssistant, frozen: FrozenDateTimeFactory) -> Clock:
    """The test's clock."""
    return Clock(hass, frozen)


async def setup(clock: Clock, *meters: tuple[str, str, MeterType]) -> MockConfigEntry:
    """The demo account's entry with these meters (the electricity meter by default), added
    and set up."""
    entry = account_entry(list(meters) or [ELEC], HISTORY_DAYS)
    entry.add_to_hass(clock.hass)
    await clock.hass.config_entries.async_setup(entry.entry_id)
    await settle(clock.hass, clock.freezer)
    assert entry.state is ConfigEntryState.LOADED
    assert len(entry.runtime_data.meters) == (len(meters) or 1)
    return entry


def entity_state(hass: HomeAssistant, ean: str, key: str) -> str:
    """State of one of the meter's sensors."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def our_records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """Messages of the integration (and of Home Assistant about it) at `level` or above."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= level
        and r.name != "homeassistant.loader"  # "custom integration not tested by HA"
        and (r.name.startswith(OUR_LOGGER) or "fluvius" in r.getMessage().lower())
    ]


def reauth_flows(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Reauth flows in progress for the domain."""
    return [
        f
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if f["context"]["source"] == SOURCE_REAUTH
    ]


def b2c_requests(sim: FluviusSimulator) -> int:
    """Requests to the login endpoints (MSAL config included)."""
    return sum(sim.stats.requests[endpoint] for endpoint in B2C)


def elec_start(sim: FluviusSimulator) -> datetime:
    """Start of the history the backfill imports (the horizon of the first setup)."""
    first = DEMO_NOW.astimezone(BRUSSELS).date() - timedelta(days=HISTORY_DAYS)
    return sim.truth(ELEC_EAN).day_bounds(first)[0]


# --------------------------------------------------------------------------- portal down


@pytest.mark.parametrize("days", [2, 8, 10])
async def test_portal_down_then_back(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    days: int,
) -> None:
    """Every endpoint answers a 503 maintenance page for `days` days, then comes back.

    The user sees the meter's sensors unavailable and one error in the log, no repair issue
    and no reauth; requests stay within the daily budget; afterwards the gap is in the
    statistics, equal to the simulator's truth. Ten days exceed the daily re-read window
    (8 days), so the backfill's gap filling is what closes it.
    """
    await setup(clock)
    await clock.to(clock.today() + timedelta(days=1), time(5, 30))
    caplog.clear()
    fluvius.reset_stats()
    for endpoint in ENDPOINTS:
        fluvius.faults.inject(endpoint, "html", count=None)
    unavailable = 0
    for _ in range(days * 24):
        await clock.tick()
        unavailable += entity_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE
    requests_during = sum(fluvius.stats.requests.values())
    fluvius.faults.clear()
    await clock.to(clock.today() + timedelta(days=1), time(9, 30))

    assert unavailable >= days * 24 - 2, f"available in {days * 24 - unavailable} of the hours"
    assert requests_during / days <= 30, requests_during
    assert not ir.async_get(hass).issues  # nothing for the user to do
    assert not reauth_flows(hass)
    errors = our_records(caplog, logging.ERROR)
    assert len(errors) == 1, errors
    assert "FluviusServerError" in errors[0]
    assert sum("recovered" in m for m in our_records(caplog, logging.INFO)) == 1
    assert entity_state(hass, ELEC_EAN, "net_usage") != STATE_UNAVAILABLE
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, fluvius.truth(ELEC_EAN), elec_start(fluvius), dt_util.utcnow())
    assert not unhandled(caplog.records)


# --------------------------------------------------------------------------- login blocked


async def lock_out(sim: FluviusSimulator, clock: Clock, block: str) -> MockConfigEntry:
    """Two meters of one account; then Fluvius blocks the login, and the tokens expire."""
    entry = await setup(clock, ELEC, GAS)
    account = sim.account(DEMO_EMAIL)
    assert account is not None
    if block == "disabled":
        account.kind = "disabled"  # AADB2C90111
    elif block == "smart_lockout":
        account.locked_until = dt_util.utcnow() + timedelta(days=30)  # AADB2C90114
    else:
        account.kind = "interactive"  # confirm answers a new SETTINGS page (MFA)
    sim.revoke_tokens(DEMO_EMAIL)
    sim.reset_stats()
    return entry


def unblock(sim: FluviusSimulator) -> None:
    """The lock is lifted, or the user finished the verification step in a browser."""
    account = sim.account(DEMO_EMAIL)
    assert account is not None
    account.kind = "normal"
    account.locked_until = None


async def reauth(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """The user opens the reauth flow of `entry` and submits the (unchanged) password."""
    (flow,) = (f for f in reauth_flows(hass) if f["context"]["entry_id"] == entry.entry_id)
    return await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"password": DEMO_PASSWORD}
    )


@pytest.mark.parametrize(
    ("block", "reason", "form_error", "words"),
    [
        ("disabled", "account_locked", "account_locked", "locked or disabled"),
        ("smart_lockout", "account_locked", "account_locked", "locked or disabled"),
        ("interactive", "interaction_required", "interaction_required", "verification step"),
    ],
)
async def test_login_blocked_until_the_user_acts(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    block: str,
    reason: str,
    form_error: str,
    words: str,
) -> None:
    """The account is disabled or smart-locked, or Fluvius wants an interactive step (MFA).

    The user sees both meters unavailable, one reauth flow for the account, and one ERROR per
    meter that says why (locked, or a verification step); submitting the password while
    still blocked shows the matching form error. No login storm: one credential submission
    for both meters in three days, and none after a restart either (the rejection is
    remembered). Once unblocked, one reauth brings both meters back, and the days missed
    meanwhile are in the statistics.
    """
    entry = await lock_out(fluvius, clock, block)
    caplog.clear()
    await clock.to(clock.today() + timedelta(days=1), time(5, 30))
    for _ in range(3 * 24):
        await clock.tick()

    assert fluvius.stats.requests["self_asserted"] == 1
    assert fluvius.stats.logins == 0
    assert [f["context"]["entry_id"] for f in reauth_flows(hass)] == [entry.entry_id]
    for ean, key in ((ELEC_EAN, "net_usage"), (GAS_EAN, "gas_volume")):
        assert entity_state(hass, ean, key) == STATE_UNAVAILABLE
    for ean in (ELEC_EAN, GAS_EAN):
        assert coordinator(entry, ean).last_exception.translation_key == reason
    errors = our_records(caplog, logging.ERROR)
    assert len(errors) == 2, errors  # one per meter
    assert all(words in message for message in errors), errors
    # No issue of ours: Home Assistant's own reauth repair issue is the way to act.
    issues = ir.async_get(hass).issues
    assert not [key for key in issues if key[0] == DOMAIN]
    assert {issue.translation_key for issue in issues.values()} == {"config_entry_reauth"}

    # Home Assistant restarts (the entry reloads) while the account is still blocked: the
    # rejection was stored, so no credentials are sent, and the user is still asked.
    login_requests = b2c_requests(fluvius)
    await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass, clock.freezer)
    for _ in range(3):
        await clock.tick()
    assert b2c_requests(fluvius) == login_requests
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert [f["context"]["entry_id"] for f in reauth_flows(hass)] == [entry.entry_id]

    result = await reauth(hass, entry)  # still blocked
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": form_error}
    assert fluvius.stats.requests["self_asserted"] == 2  # only the user's own attempt

    unblock(fluvius)
    result = await reauth(hass, entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await settle(hass, clock.freezer)
    await clock.to(clock.today() + timedelta(days=1), time(9, 30))
    assert entry.state is ConfigEntryState.LOADED
    assert entity_state(hass, ELEC_EAN, "net_usage") != STATE_UNAVAILABLE
    assert entity_state(hass, GAS_EAN, "gas_volume") != STATE_UNAVAILABLE
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, fluvius.truth(ELEC_EAN), elec_start(fluvius), dt_util.utcnow())
    assert fluvius.stats.failed_logins <= 2
    assert not unhandled(caplog.records)


# --------------------------------------------------------------------------- access lost


async def test_meter_access_lost_raises_a_repair_issue(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The EAN moves to another account (the portal answers 403 for it).

    The user sees that meter's sensors unavailable, a repair issue for that meter (its
    subentry) that explains what to do (translated; it names the meter by its masked title),
    and one ERROR; the other meter of the account's entry carries on. Requests stay within
    budget. When access returns, the issue disappears and the statistics have no gap.
    """
    entry = await setup(clock, ELEC, GAS)
    elec = entry.subentries[subentry_id(ELEC_EAN)]
    other = fluvius.account(OTHER_EMAIL)
    owner_of = fluvius.owner_of
    monkeypatch.setattr(
        fluvius, "owner_of", lambda ean: other if ean == ELEC_EAN else owner_of(ean)
    )
    await clock.to(clock.today() + timedelta(days=1), time(5, 30))
    caplog.clear()
    fluvius.reset_stats()
    for _ in range(2 * 24):
        await clock.tick()

    issue = ir.async_get(hass).async_get_issue(DOMAIN, access_issue_id(elec.subentry_id))
    assert issue is not None
    assert issue.translation_key == "meter_not_accessible"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"meter": elec.title}
    # (the issue ID holds the subentry ID: a ULID in real life, `meter_<EAN>` in tests)
    assert ELEC_EAN not in str({k: v for k, v in issue.to_json().items() if k != "issue_id"})
    assert len(ir.async_get(hass).issues) == 1
    assert entity_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE
    assert entity_state(hass, GAS_EAN, "gas_volume") != STATE_UNAVAILABLE
    assert coordinator(entry, GAS_EAN).last_update_success
    errors = our_records(caplog, logging.ERROR)
    assert len(errors) == 1, errors
    assert "no longer has access" in errors[0]
    elec_requests = sum(1 for r in fluvius.request_log if ELEC_EAN in r.path)
    assert elec_requests / 2 <= 30, elec_requests

    monkeypatch.setattr(fluvius, "owner_of", owner_of)
    await clock.to(clock.today() + timedelta(days=1), time(9, 30))
    assert not ir.async_get(hass).issues
    assert entity_state(hass, ELEC_EAN, "net_usage") != STATE_UNAVAILABLE
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, fluvius.truth(ELEC_EAN), elec_start(fluvius), dt_util.utcnow())
    assert not unhandled(caplog.records)


async def test_meter_access_lost_over_a_restart_spares_the_other_meter(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Home Assistant restarts (the entry reloads) while one meter of the account is out of
    reach (403). The account's other meter is set up and carries on; the lost meter's sensors
    are unavailable and its repair issue stays. When access returns, its data comes back.
    (With one entry per meter this held by construction; one entry per account must keep it.)
    """
    entry = await setup(clock, ELEC, GAS)
    elec = entry.subentries[subentry_id(ELEC_EAN)]
    other = fluvius.account(OTHER_EMAIL)
    owner_of = fluvius.owner_of
    monkeypatch.setattr(
        fluvius, "owner_of", lambda ean: other if ean == ELEC_EAN else owner_of(ean)
    )
    await clock.to(clock.today() + timedelta(days=1), time(8, 30))
    assert ir.async_get(hass).async_get_issue(DOMAIN, access_issue_id(elec.subentry_id))

    await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass, clock.freezer)
    await clock.tick()
    assert entry.state is ConfigEntryState.LOADED
    assert entity_state(hass, GAS_EAN, "gas_volume") != STATE_UNAVAILABLE
    assert entity_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE
    assert ir.async_get(hass).async_get_issue(DOMAIN, access_issue_id(elec.subentry_id))

    monkeypatch.setattr(fluvius, "owner_of", owner_of)
    await clock.to(clock.today() + timedelta(days=1), time(9, 30))
    assert not ir.async_get(hass).issues
    assert entity_state(hass, ELEC_EAN, "net_usage") != STATE_UNAVAILABLE
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, fluvius.truth(ELEC_EAN), elec_start(fluvius), dt_util.utcnow())


# --------------------------------------------------------------------------- legacy


@pytest.mark.parametrize("when", ["at_runtime", "from_the_start"])
async def test_portal_switches_to_legacy_endpoints(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    when: str,
) -> None:
    """The current endpoints answer 404 and only the legacy ones answer.

    The user sees nothing: the sensors stay available, new days and peaks keep coming, the
    log stays quiet (nothing above INFO), and the statistics equal the simulator's truth.
    """
    if when == "from_the_start":
        fluvius.options.legacy = True
    elec = await setup(clock)
    fluvius.options.legacy = True
    caplog.clear()
    fluvius.reset_stats()
    await clock.to(clock.today() + timedelta(days=1), time(5, 30))
    truth = fluvius.truth(ELEC_EAN)
    for _ in range(3 * 24):
        await clock.tick()
        assert entity_state(hass, ELEC_EAN, "net_usage") != STATE_UNAVAILABLE
    await clock.to(clock.today(), time(9, 30))

    now = dt_util.utcnow()
    data = coordinator(elec).data
    assert data.latest_day is not None
    assert data.latest_day.day == truth.last_published_day(now)
    served = truth.monthly_peak(now.year, now.month, as_of=now)
    assert served is not None
    peak = data.peak_for(now.date())
    assert peak is not None
    assert peak.power_kw == served[0]
    assert fluvius.stats.requests["legacy_measurements"] > 0
    assert fluvius.stats.requests["legacy_peaks"] > 0
    assert not our_records(caplog, logging.WARNING)
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, truth, elec_start(fluvius), now)


# --------------------------------------------------------------------------- SETTINGS


def break_signin_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """B2C's sign-in page loses its `var SETTINGS = {...};` (a redesign of the page)."""
    original = B2CService._signin_page

    def without_settings(self: B2CService, *args: Any, **kwargs: Any) -> str:
        page = original(self, *args, **kwargs)
        return "\n".join(line for line in page.splitlines() if "var SETTINGS" not in line)

    monkeypatch.setattr(B2CService, "_signin_page", without_settings)


async def test_signin_page_without_settings(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The B2C page loses SETTINGS while the integration runs; logins fail from then on.

    The user sees the sensors unavailable and one ERROR that names the cause; no reauth
    (the password is fine) and no crash loop: at most one login attempt per hourly update
    (two requests, no credentials sent) over two days. When the page is back, data resumes
    without a gap.
    """
    elec = await setup(clock)
    break_signin_page(monkeypatch)
    fluvius.revoke_tokens(DEMO_EMAIL)
    fluvius.reset_stats()
    caplog.clear()
    await clock.to(clock.today() + timedelta(days=1), time(5, 30))
    ticks = 2 * 24
    for _ in range(ticks):
        await clock.tick()

    assert elec.state is ConfigEntryState.LOADED
    assert not reauth_flows(hass)
    assert entity_state(hass, ELEC_EAN, "net_usage") == STATE_UNAVAILABLE
    attempts = fluvius.stats.requests["authorize"]
    assert 1 <= attempts <= ticks, attempts  # at most one login attempt per hourly update
    # MSAL config and authorize per attempt, plus the one refresh that found the token dead.
    assert b2c_requests(fluvius) <= 2 * attempts + 1
    assert fluvius.stats.requests["self_asserted"] == 0
    errors = our_records(caplog, logging.ERROR)
    assert len(errors) == 1, errors
    assert "SETTINGS" in errors[0]

    monkeypatch.undo()
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", fluvius.portal_url)
    await clock.to(clock.today() + timedelta(days=1), time(9, 30))
    assert entity_state(hass, ELEC_EAN, "net_usage") != STATE_UNAVAILABLE
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, fluvius.truth(ELEC_EAN), elec_start(fluvius), dt_util.utcnow())
    assert not unhandled(caplog.records)


async def test_start_with_signin_page_without_settings(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Home Assistant starts (no usable token) while the B2C page has no SETTINGS.

    Setup is retried with Home Assistant's back-off (5 s doubling to 10 min): the entry shows
    "retrying setup" with the cause (SETTINGS) on the integration card, the log has INFO lines
    only; at most 6 login attempts an hour once backed off (2 requests each, no credentials
    sent, so no lockout risk), no reauth. Once the page is back, the next retry sets the meter
    up.
    """
    break_signin_page(monkeypatch)
    elec = account_entry([ELEC], HISTORY_DAYS)
    elec.add_to_hass(hass)
    await hass.config_entries.async_setup(elec.entry_id)
    await settle(hass, clock.freezer)
    assert elec.state is ConfigEntryState.SETUP_RETRY
    for _ in range(3600 // 80):  # the first hour: the back-off grows
        await clock.tick(timedelta(seconds=80))
    fluvius.reset_stats()
    for _ in range(3 * 3600 // 80):  # then three hours at the longest back-off
        await clock.tick(timedelta(seconds=80))

    assert elec.state is ConfigEntryState.SETUP_RETRY
    assert fluvius.stats.requests["authorize"] <= 3 * 6
    assert b2c_requests(fluvius) <= 2 * fluvius.stats.requests["authorize"]
    assert fluvius.stats.requests["self_asserted"] == 0
    assert not reauth_flows(hass)
    assert "SETTINGS" in (elec.reason or "")
    assert not our_records(caplog, logging.WARNING)

    monkeypatch.undo()
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", fluvius.portal_url)
    await clock.tick(timedelta(minutes=11))
    assert elec.state is ConfigEntryState.LOADED
    assert not unhandled(caplog.records)


# --------------------------------------------------------------------------- single glitches


@pytest.mark.parametrize("failing", ["peaks", "re-read"])
async def test_glitch_after_the_new_day_arrived(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    """The new day's measurements arrive, then one later request of the same update fails.

    Within the next hourly update the new day is on the sensors and in the statistics, and
    the monthly peak is fetched: nothing waits for the next day's publication. (Before the
    fix the fetched day was dropped until the next day's data, and after a failed peaks
    request no peak was fetched until then either.)
    """
    elec = await setup(clock)
    await clock.to(clock.today() + timedelta(days=1), time(6, 50))
    take = fluvius.faults.take
    seen = 0

    def second_measurement_fails(endpoint: str):
        nonlocal seen
        if endpoint == "measurements":
            seen += 1
            if seen == 2:  # the first is the new day, the second the re-read window
                fluvius.faults.inject("measurements", "server_error")
        return take(endpoint)

    if failing == "peaks":
        fluvius.faults.inject("peaks", "server_error")
    else:
        monkeypatch.setattr(fluvius.faults, "take", second_measurement_fails)
    await clock.tick()  # 07:50: the day is published; the update fails half-way
    meter = coordinator(elec)
    assert not meter.last_update_success
    peaks_before = fluvius.stats.requests["peaks"]
    await clock.tick()  # 08:50
    now = dt_util.utcnow()
    truth = fluvius.truth(ELEC_EAN)
    assert meter.last_update_success
    assert meter.data.latest_day is not None
    assert meter.data.latest_day.day == truth.last_published_day(now)
    assert fluvius.stats.requests["peaks"] - peaks_before == 1
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, truth, elec_start(fluvius), now)


async def test_login_page_glitch_is_not_a_rejection(
    hass: HomeAssistant, fluvius: FluviusSimulator, clock: Clock
) -> None:
    """SelfAsserted answers a non-200 (here a JSON 401 from a proxy) once during a login.

    B2C gives every verdict on credentials with HTTP 200, so this says nothing about the
    password: no reauth, and the next hourly update logs in. (Before the fix it was read as
    a rejection without a code: logins were blocked until the user re-authenticated.)
    """
    elec = await setup(clock)
    fluvius.revoke_tokens(DEMO_EMAIL)
    fluvius.faults.inject("self_asserted", "unauthorized")
    await clock.to(clock.today() + timedelta(days=1), time(7, 30))
    assert not coordinator(elec).last_update_success
    await clock.tick()
    assert coordinator(elec).last_update_success
    assert not reauth_flows(hass)
    assert fluvius.stats.logins == 2


async def test_fresh_token_refused_is_not_a_rejection(
    hass: HomeAssistant, fluvius: FluviusSimulator, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """A data request answers 401, and again after the token was renewed (two glitches in a
    row; the soak met this at a restart). B2C accepted the credentials, so this is no reason
    to ask the user: one ERROR, no reauth, no block on logins, and the next hourly update
    carries on without a gap. (Before the fix it counted as rejected credentials: every
    meter of the account stopped until the user re-authenticated.)"""
    elec = await setup(clock)
    caplog.clear()
    fluvius.faults.inject("measurements", "unauthorized", count=2)
    await clock.to(clock.today() + timedelta(days=1), time(7, 30))  # the new day is due
    assert fluvius.faults.fired == [("measurements", "unauthorized")] * 2
    assert not coordinator(elec).last_update_success
    errors = our_records(caplog, logging.ERROR)
    assert len(errors) == 1, errors
    assert "FluviusTokenRejectedError" in errors[0]
    await clock.tick()
    assert coordinator(elec).last_update_success
    await clock.to(clock.today() + timedelta(days=1), time(9, 30))
    assert not reauth_flows(hass)
    assert fluvius.stats.failed_logins == 0
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, fluvius.truth(ELEC_EAN), elec_start(fluvius), dt_util.utcnow())
    assert not unhandled(caplog.records)


# --------------------------------------------------------------------------- silent portal


@pytest.mark.parametrize("dialect", ["live", "random:42", "dialect_a"])
async def test_portal_silent_then_back(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    dialect: str,
) -> None:
    """The portal answers `200 []` to every data request for two days after publication
    time: nothing fails, yet nothing arrives. After 24 h of due data staying away a repair
    issue says so (translated, pointing at the diagnostics, naming the meter by its masked
    title) and the newest-data sensor shows since when; once data flows again the issue goes
    and the gap is in the statistics, equal to the truth, nothing lost or doubled."""
    fluvius.options.dialect = dialect
    entry = await setup(clock)
    meter = entry.subentries[subentry_id(ELEC_EAN)]
    issue_id = no_data_issue_id(meter.subentry_id)
    await clock.to(clock.today() + timedelta(days=1), time(5, 30))
    for endpoint in ("measurements", "peaks"):
        fluvius.faults.inject(endpoint, "empty", count=None)
    seen_at = None
    for hour in range(2 * 24 + 4):
        await clock.tick()
        issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
        if issue is not None and seen_at is None:
            seen_at = hour
        assert entity_state(hass, ELEC_EAN, "net_usage") != STATE_UNAVAILABLE  # it answers
    assert seen_at is not None, "no repair issue after two silent days"
    assert 24 <= seen_at <= 26, seen_at  # due from 06:00, published at 07:00: 24 h later
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "no_data"
    assert issue.translation_placeholders["meter"] == meter.title
    assert ELEC_EAN not in str(issue.translation_placeholders)
    newest = hass.states.get(
        er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ELEC_EAN}_newest_data")
    )
    assert newest is not None
    assert newest.attributes["overdue_since"] is not None
    assert newest.attributes["resolution"] in ("quarter_hour", "hour")

    fluvius.faults.clear()
    await clock.to(clock.today() + timedelta(days=1), time(9, 30))
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    newest = hass.states.get(newest.entity_id)
    assert newest is not None
    assert newest.attributes["overdue_since"] is None
    rows = await statistics_rows(hass, ELEC_EAN, ELEC_REGISTERS)
    assert_statistics_match(rows, fluvius.truth(ELEC_EAN), elec_start(fluvius), dt_util.utcnow())
    assert not unhandled(caplog.records)
