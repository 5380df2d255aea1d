"""Diagnostics and logs never carry secrets or full identifiers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
import json
import logging
from urllib.parse import parse_qs

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.fluvius.const import BRUSSELS, DOMAIN
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


async def test_diagnostics_redacted(  # noqa: PLR0917
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    gas_entry: MockConfigEntry,
    issued_cookies: list[str],
) -> None:
    """The entry, coordinator summary, dialect and counters; nothing identifying."""
    await hass.config_entries.async_setup(elec_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)  # the history import too
    for entry in (elec_entry, gas_entry):
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
        text = json.dumps(diagnostics)
        assert_clean(text, secrets_of(fluvius, issued_cookies), "diagnostics")
        assert diagnostics["entry"]["data"]["email"] == "**REDACTED**"
        assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
        assert diagnostics["entry"]["data"]["meter_type"] in {"electricity", "gas"}
        assert diagnostics["coordinator"]["last_update_success"] is True
        assert diagnostics["coordinator"]["latest_day"]["day"]
        assert diagnostics["dialects"]["meters"]  # keyed by masked EAN:serial
        assert diagnostics["client_stats"]["logins"] == 1
        assert diagnostics["client_stats"]["requests"] > 0
        assert diagnostics["token_state"] == {"present": True}
        # The request log matches what the portal received for this meter, request by
        # request (the client's log keeps the last 50).
        ean = entry.data["ean"]
        received = [
            r
            for r in fluvius.request_log
            if r.endpoint in ("measurements", "peaks") and ean in r.path
        ][-50:]
        logged = diagnostics["requests"]
        assert [r["status"] for r in logged] == [r.status for r in received]
        assert [r["code"] for r in logged] == [
            parse_qs(r.query).get("granularity", [None])[0] for r in received
        ]
        assert all(r["conclusion"] for r in logged)
        assert {r["alignment"] for r in logged} <= {"calendar day", "gas day", "month"}
        assert diagnostics["coordinator"]["resolution_in_use"] in ("quarter_hour", "hour")
        assert diagnostics["peak_check"]["disagreements"] == {}


async def test_debug_log_carries_no_secrets(  # noqa: PLR0917
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    elec_entry: MockConfigEntry,
    gas_entry: MockConfigEntry,
    issued_cookies: list[str],
    tick: Callable[[timedelta], Awaitable[None]],
    move_to: Callable[[datetime], Awaitable[None]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full setup/update/error/unload cycle at DEBUG level leaks nothing."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="sqlalchemy.engine")  # SQL echo is only noise
    await hass.config_entries.async_setup(elec_entry.entry_id)
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
    for entry in (elec_entry, gas_entry):
        assert await hass.config_entries.async_unload(entry.entry_id)
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
