"""Errors: one clear line and a distinct exit code each, no traceback, no identifier; the
token cache (0600, one sign-in for repeated runs) and a reused bearer token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import json
import stat

import pytest

from custom_components.fluvius.cli.outcomes import Exit
from tests.simulator import FluviusSimulator, SimMeter, make_ean
from tests.simulator.demo import (
    DEMO_EMAIL,
    DISABLED_EMAIL,
    DISABLED_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    INSTALLED,
    MFA_EAN,
    MFA_EMAIL,
    MFA_PASSWORD,
    MFA_SERIAL,
    OTHER_EAN,
)

from .conftest import Cli


def lock(sim: FluviusSimulator) -> None:
    sim.account(DEMO_EMAIL).locked_until = sim.clock.now() + timedelta(hours=1)


def no_access(sim: FluviusSimulator) -> dict[str, str]:
    ean = make_ean("54144882300044444")
    meter = SimMeter(ean, "1SAG1100044444", "electricity", INSTALLED, access="none")
    sim.add_account("new@fluvius.test", "Nieuw-2026", meters=[meter])
    return {"login": "new@fluvius.test", "password": "Nieuw-2026", "ean": ean,
            "meter_serial": "1SAG1100044444"}  # fmt: skip


Setup = Callable[[FluviusSimulator], dict[str, str] | None]


def fault(endpoint: str, kind: str, **params: object) -> Setup:
    def setup(sim: FluviusSimulator) -> None:
        sim.faults.inject(endpoint, kind, **params)

    return setup


CASES: list[tuple[str, dict[str, str | None], Setup | None, Exit, str]] = [
    ("wrong password", {"password": "Zon&Wind+2025!"}, None, Exit.CREDENTIALS, "password"),
    (
        "account disabled",
        {"login": DISABLED_EMAIL, "password": DISABLED_PASSWORD},
        None,
        Exit.LOCKED,
        "disabled this account",
    ),
    ("account locked for a while", {}, lock, Exit.LOCKED, "locked for a while"),
    (
        "two-step verification",
        {"login": MFA_EMAIL, "password": MFA_PASSWORD, "ean": MFA_EAN, "meter_serial": MFA_SERIAL},
        None,
        Exit.VERIFICATION,
        "extra verification step",
    ),
    ("another account's EAN", {"ean": OTHER_EAN}, None, Exit.METER, "no meter with this EAN"),
    ("wrong serial", {"meter_serial": "1SAG1100042063"}, None, Exit.METER, "no meter with"),
    ("no data access", {}, no_access, Exit.NO_DATA, "Verbruik → Aanvragen"),
    (
        "portal down",
        {},
        fault("msal_config", "html", count=None, status=503),
        Exit.UNREACHABLE,
        "down or in maintenance (HTTP 503)",
    ),
    (
        "throttled",
        {},
        fault("self_asserted", "b2c_error", code="AADB2C90244"),
        Exit.RATE_LIMITED,
        "too many requests",
    ),
    (
        "portal changed",
        {},
        fault("measurements", "invalid_json", count=None),
        Exit.PORTAL,
        "fluvius report",
    ),
    ("mistyped EAN", {"ean": ELEC_EAN[:-1] + "0"}, None, Exit.USAGE, "EAN is not valid"),
    ("no e-mail", {"login": None}, None, Exit.USAGE, "FLUVIUS_LOGIN"),
    ("no password, no terminal", {"password": None}, None, Exit.USAGE, "FLUVIUS_PASSWORD"),
    ("plain http portal", {"portal_url": "http://mijn.example"}, None, Exit.USAGE, "https"),
    ("unknown time zone", {"timezone": "Europe/Gent"}, None, Exit.USAGE, "time zone"),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
async def test_each_error_has_its_line_and_exit_code(
    simulator: FluviusSimulator,
    cli: Cli,
    case: tuple[str, dict[str, str | None], Setup | None, Exit, str],
) -> None:
    _, overrides, setup, code, words = case
    extra = (setup(simulator) if setup else None) or {}
    args = {**overrides, **extra}
    result = await cli("summary", "--days-back", "2", **args)
    assert result.code == code, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert words in lines[0]
    assert result.out == ""
    for secret in (ELEC_EAN, ELEC_SERIAL, args.get("ean"), args.get("password")):
        assert not secret or secret not in result.err
    if code is Exit.CREDENTIALS:
        assert simulator.stats.failed_logins == 1  # tried once, never again on its own


def test_exit_codes_are_distinct() -> None:
    """No two outcomes share a code (an alias would hide one)."""
    assert len({code.value for code in Exit}) == len(Exit.__members__)


async def test_the_token_cache_signs_in_once(
    simulator: FluviusSimulator, cli: Cli, tmp_path
) -> None:
    cache = tmp_path / "cache" / "fluvius.json"
    first = await cli("summary", "--days-back", "2", "--token-cache", str(cache))
    assert first.code == 0, first.err
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert simulator.stats.logins == 1
    judged = simulator.stats.requests["measurements"]
    again = await cli("export", "--days-back", "1", token_cache=str(cache))
    assert again.code == 0, again.err
    assert simulator.stats.logins == 1  # the cached session
    # What was learnt of the portal came along too: no code judged again.
    assert simulator.stats.requests["measurements"] - judged <= 3
    assert first.out.splitlines()[0].startswith("Electricity meter …3456")
    # A report starts afresh (it shows the judging), still without signing in.
    report = await cli("report", "--format", "json", token_cache=str(cache))
    assert report.json()["sign_ins"] == 0
    assert len([r for r in report.json()["request_log"] if "judg" in r["conclusion"]]) >= 4
    data = json.loads(cache.read_text())
    assert data["tokens"]["access_token"] in simulator.b2c.tokens.access


async def test_a_bearer_token_without_password(
    simulator: FluviusSimulator, cli: Cli, tmp_path
) -> None:
    cache = tmp_path / "fluvius.json"
    assert (await cli("summary", "--days-back", "1", "--token-cache", str(cache))).code == 0
    token = json.loads(cache.read_text())["tokens"]["access_token"]
    logins, failed = simulator.stats.logins, simulator.stats.failed_logins
    result = await cli(
        "export", "--days-back", "1", "--bearer-token", token, login=None, password=None
    )
    assert result.code == 0, result.err
    assert len(result.csv()) == 96 * 4
    assert simulator.stats.logins == logins

    simulator.revoke_tokens()
    refused = await cli("export", "--days-back", "1", bearer_token=token, login=None, password=None)
    assert refused.code == Exit.CREDENTIALS
    assert "bearer token" in refused.err
    assert token not in refused.err
    # No sign-in was attempted with an empty password.
    assert simulator.stats.failed_logins == failed
    assert simulator.stats.requests["self_asserted"] == 1
