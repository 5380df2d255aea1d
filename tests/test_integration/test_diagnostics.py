"""Diagnostics and logs never carry secrets or full identifiers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
import json
import logging
from urllib.parse import parse_qs

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.api.security import mask_ean
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.names import meter_title
from tests.simulator import FluviusSimulator
from tests.simulator.b2c import B2CService
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
)

from .conftest import TEST_HISTORY_DAYS

# Loggers that are not Home Assistant or the integration: the simulator's own server
# (its access log names EANs in URLs, as Fluvius' server would) and the test harness's
# in-memory stand-in for .storage (it dumps what it stores; the real Store does not).
# The recorder and SQLAlchemy log queries and queue items at DEBUG/INFO, including our
# external statistic IDs, which are fixed by design as fluvius:<ean>_<register>.
FOREIGN_LOGGERS = (
    "tests.simulator",
    "aiohttp.access",
    "aiohttp.server",
    "homeassistant.components.recorder",
    "sqlalchemy",
)
HARNESS_STORAGE_LOGGER = "pytest_homeassistant_custom_component.common"
REDACTED = "**REDACTED**"


@pytest.fixture
def issued_cookies(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record every cookie value the simulated B2C hands out."""
    values: list[str] = []
    original = B2CService._cookie_value

    def recording(self: B2CService) -> str:
        value = original(self)
        values.append(value)
        return value

    monkeypatch.setattr(B2CService, "_cookie_value", recording)
    return values


def secrets_of(sim: FluviusSimulator, cookies: list[str]) -> dict[str, str]:
    """Every secret string the integration has seen, taken from the simulator."""
    found = {
        "password": DEMO_PASSWORD,
        "new password": "changed-on-the-portal",
        "email": DEMO_EMAIL,
        "elec EAN": ELEC_EAN,
        "gas EAN": GAS_EAN,
        "elec serial": ELEC_SERIAL,
        "gas serial": GAS_SERIAL,
    }
    tokens = sim.b2c.tokens
    for kind, issued in (("access", tokens.access), ("refresh", tokens.refresh)):
        assert issued, f"no {kind} token was issued"
        for i, token in enumerate(issued):
            found[f"{kind} token {i}"] = token
    for i, code in enumerate(tokens.codes):
        found[f"authorization code {i}"] = code
    assert cookies, "no cookie was issued"
    for i, cookie in enumerate(cookies):
        found[f"cookie {i}"] = cookie
    return found


def assert_clean(text: str, secrets: dict[str, str], where: str) -> None:
    """None of the secrets occurs in text."""
    leaked = [name for name, value in secrets.items() if value in text]
    assert not leaked, f"{where} contains {leaked}"


async def test_diagnostics_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    issued_cookies: list[str],
) -> None:
    """The account (login state, counters) and each meter (coordinator summary, dialect,
    requests), nothing identifying."""
    await hass.config_entries.async_setup(both_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)  # the history import too
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, both_entry)
    text = json.dumps(diagnostics)
    assert_clean(text, secrets_of(fluvius, issued_cookies), "diagnostics")
    entry = diagnostics["entry"]
    assert entry["data"] == {"email": REDACTED, "password": REDACTED}
    assert entry["title"] == entry["unique_id"] == REDACTED
    assert entry["meters"] == 2
    # One client for the account: its counters are everything the portal received.
    account = diagnostics["account"]
    assert account["login_blocked"] is None
    assert account["token_state"] == {"present": True}
    assert account["client_stats"]["logins"] == fluvius.stats.logins == 1
    assert account["client_stats"]["refreshes"] == fluvius.stats.refreshes
    assert account["client_stats"]["requests"] == sum(fluvius.stats.requests.values())
    meters = {
        ELEC_EAN: meter_title(MeterType.ELECTRICITY, ELEC_EAN),
        GAS_EAN: meter_title(MeterType.GAS, GAS_EAN),
    }
    assert set(diagnostics["meters"]) == set(meters.values())
    now = dt_util.utcnow()
    for ean, title in meters.items():
        meter = diagnostics["meters"][title]
        summary = meter["coordinator"]
        assert summary["meter_type"] == fluvius.truth(ean).meter.kind
        assert summary["history_days"] == TEST_HISTORY_DAYS
        assert summary["last_update_success"] is True
        newest = fluvius.truth(ean).last_published_day(now)
        assert summary["latest_day"]["day"] == newest.isoformat()
        assert summary["resolution_in_use"] in ("quarter_hour", "hour")
        # Only this meter's dialect, under a label with its masked EAN:serial.
        serial = ELEC_SERIAL if ean == ELEC_EAN else GAS_SERIAL
        assert list(meter["dialects"]["meters"]) == [
            f"meter 1 ({mask_ean(ean)}:{mask_ean(serial)})"
        ]
        # The request log matches what the portal received for this meter, request by
        # request (the client's log keeps the last 50).
        received = [
            r
            for r in fluvius.request_log
            if r.endpoint in ("measurements", "peaks") and ean in r.path
        ][-50:]
        logged = meter["requests"]
        assert received
        assert [r["status"] for r in logged] == [r.status for r in received]
        assert [r["code"] for r in logged] == [
            parse_qs(r.query).get("granularity", [None])[0] for r in received
        ]
        assert all(r["conclusion"] for r in logged)
        assert {r["alignment"] for r in logged} <= {"calendar day", "gas day", "month"}
        assert meter["peak_check"]["disagreements"] == {}


async def test_debug_log_carries_no_secrets(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    issued_cookies: list[str],
    tick: Callable[[timedelta], Awaitable[None]],
    move_to: Callable[[datetime], Awaitable[None]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full setup/update/error/unload cycle at DEBUG level leaks nothing."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="sqlalchemy.engine")  # SQL echo is only noise
    await hass.config_entries.async_setup(both_entry.entry_id)
    await hass.async_block_till_done()
    await move_to(datetime(2026, 4, 16, 5, 30, tzinfo=BRUSSELS))
    fluvius.faults.inject("measurements", "server_error", count=1)
    fluvius.faults.inject("peaks", "unauthorized", count=1)
    for _ in range(30):
        await tick(timedelta(hours=1))
    # Then the password changes on the portal: reauth, logged without identifiers.
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.password = "changed-on-the-portal"
    secrets = secrets_of(fluvius, issued_cookies)  # before the tokens are revoked
    fluvius.revoke_tokens(DEMO_EMAIL)
    for _ in range(24):
        await tick(timedelta(hours=1))
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert await hass.config_entries.async_unload(both_entry.entry_id)
    await hass.async_block_till_done()

    records: list[logging.LogRecord] = [
        r
        for r in caplog.records
        if not r.name.startswith(FOREIGN_LOGGERS) and r.name != HARNESS_STORAGE_LOGGER
    ]
    ours = [r for r in records if r.name.startswith("custom_components.fluvius")]
    assert ours, "the integration logged nothing at DEBUG"
    formatter = logging.Formatter()
    text = "\n".join(formatter.format(r) + repr(getattr(r, "args", "")) for r in records)
    secrets |= {f"cookie {i}": c for i, c in enumerate(issued_cookies)}
    assert_clean(text, secrets, "the debug log")
