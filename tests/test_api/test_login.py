"""The B2C login against the simulator: requests, variants, rejections, lockout safety."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from custom_components.fluvius.api import (
    FluviusAccountLockedError,
    FluviusAuthError,
    FluviusClient,
    FluviusInteractionRequiredError,
    FluviusInvalidCredentialsError,
    FluviusLoginFlowError,
    FluviusLoginRejectedError,
    FluviusRateLimitError,
    auth,
)
from tests.simulator import FluviusSimulator
from tests.simulator.demo import (
    CONFIRM_ERROR_EMAIL,
    CONFIRM_ERROR_PASSWORD,
    DEMO_PASSWORD,
    DISABLED_EMAIL,
    DISABLED_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    MFA_EMAIL,
    MFA_PASSWORD,
)
from tests.simulator.state import MSAL_VARIANTS, SETTINGS_VARIANTS

from .conftest import ClientFactory

LOGIN_STEPS = {"msal_config": 1, "authorize": 1, "self_asserted": 1, "confirmed": 1, "token": 1}


async def test_full_login_takes_five_requests(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    await client.login()
    assert dict(simulator.stats.requests) == LOGIN_STEPS
    assert simulator.stats.logins == 1
    assert [r.status for r in simulator.request_log] == [200, 200, 200, 302, 200]
    # The redirect URI (the portal's SPA shell) is never fetched.
    assert all(r.endpoint != "portal_index" for r in simulator.request_log)
    assert client.stats.logins == 1
    assert client.stats.requests == 5
    assert client.stats.last_login == simulator.clock.now()


@pytest.mark.parametrize(
    ("code", "error", "permanent"),
    [
        ("AADB2C90053", FluviusInvalidCredentialsError, None),
        ("AADB2C90054", FluviusInvalidCredentialsError, None),
        ("AADB2C90052", FluviusInvalidCredentialsError, None),
        ("AADB2C90225", FluviusInvalidCredentialsError, None),
        ("AADB2C90111", FluviusAccountLockedError, True),
        ("AADB2C90114", FluviusAccountLockedError, False),
        ("AADB2C90244", FluviusRateLimitError, None),
        ("AADB2C90999", FluviusLoginRejectedError, None),
    ],
)
async def test_self_asserted_codes(
    client: FluviusClient,
    simulator: FluviusSimulator,
    code: str,
    error: type[Exception],
    permanent: bool | None,
) -> None:
    simulator.faults.inject("self_asserted", "b2c_error", code=code)
    with pytest.raises(error) as caught:
        await client.login()
    if permanent is not None:
        assert caught.value.permanent is permanent
    if error is FluviusLoginRejectedError:
        assert caught.value.code == code
    assert code in str(caught.value)
    assert simulator.stats.requests["confirmed"] == 0
    assert simulator.stats.logins == 0


async def test_real_rejections(make_client: ClientFactory, simulator: FluviusSimulator) -> None:
    with pytest.raises(FluviusInvalidCredentialsError):
        await make_client(password="wrong").login()
    with pytest.raises(FluviusInvalidCredentialsError):
        await make_client("nobody@fluvius.test", "x").login()
    with pytest.raises(FluviusAccountLockedError) as caught:
        await make_client(DISABLED_EMAIL, DISABLED_PASSWORD).login()
    assert caught.value.permanent
    with pytest.raises(FluviusLoginRejectedError) as rejected:
        await make_client(CONFIRM_ERROR_EMAIL, CONFIRM_ERROR_PASSWORD).login()
    assert rejected.value.code == "AADB2C90091"
    assert simulator.stats.logins == 0


async def test_smart_lockout_after_repeated_failures(
    make_client: ClientFactory, simulator: FluviusSimulator
) -> None:
    simulator.options.lockout_threshold = 2
    for _ in range(2):
        with pytest.raises(FluviusInvalidCredentialsError):
            await make_client(password="wrong").login()
    with pytest.raises(FluviusAccountLockedError) as caught:
        await make_client().login()
    assert not caught.value.permanent


async def test_interactive_account(make_client: ClientFactory, simulator: FluviusSimulator) -> None:
    with pytest.raises(FluviusInteractionRequiredError):
        await make_client(MFA_EMAIL, MFA_PASSWORD).login()
    assert simulator.stats.requests["token"] == 0


async def test_state_mismatch(
    client: FluviusClient, simulator: FluviusSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = auth.B2CLogin._self_asserted

    async def forge_state(self: auth.B2CLogin, *args: Any) -> None:
        await original(self, *args)
        for transaction in simulator.b2c.transactions.values():
            transaction.client_state = "forged-by-an-attacker"

    monkeypatch.setattr(auth.B2CLogin, "_self_asserted", forge_state)
    with pytest.raises(FluviusLoginFlowError, match="state"):
        await client.login()
    assert simulator.stats.requests["token"] == 0


async def test_pkce_mismatch(
    client: FluviusClient, simulator: FluviusSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_pair = auth.pkce_pair

    def tampered() -> tuple[str, str]:
        verifier, challenge = real_pair()
        return verifier[::-1], challenge

    monkeypatch.setattr(auth, "pkce_pair", tampered)
    with pytest.raises(FluviusLoginFlowError, match="AADB2C90183"):
        await client.login()
    assert simulator.stats.logins == 0
    assert simulator.stats.failed_logins == 1


async def test_reused_code(
    client: FluviusClient, simulator: FluviusSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = auth.B2CLogin._redeem

    async def redeem_twice(self: auth.B2CLogin, *args: Any) -> dict[str, Any]:
        await original(self, *args)
        return await original(self, *args)

    monkeypatch.setattr(auth.B2CLogin, "_redeem", redeem_twice)
    with pytest.raises(FluviusLoginFlowError, match="AADB2C90129"):
        await client.login()


async def test_b2c_errors_at_confirm_and_token(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    simulator.faults.inject("confirmed", "b2c_error", code="AADB2C90114")
    with pytest.raises(FluviusAccountLockedError):
        await client.login()
    simulator.faults.inject("token", "b2c_error", code="AADB2C90080")
    with pytest.raises(FluviusLoginFlowError, match="AADB2C90080"):
        await client.login()


async def test_unquoted_cookies_are_required(
    client: FluviusClient, simulator: FluviusSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Control: with aiohttp's default quoting, B2C refuses the transaction.
    real_jar = aiohttp.CookieJar

    def quoting_jar(**_: Any) -> aiohttp.CookieJar:
        return real_jar(unsafe=True)

    with monkeypatch.context() as patch:
        patch.setattr(auth.aiohttp, "CookieJar", quoting_jar)
        with pytest.raises(FluviusLoginFlowError, match="without JSON"):
            await client.login()
    assert simulator.stats.requests["self_asserted"] == 1
    assert simulator.request_log[-1].endpoint == "self_asserted"
    assert simulator.request_log[-1].status == 400
    await client.login()
    assert simulator.stats.logins == 1


@pytest.mark.parametrize("variant", [v for v in MSAL_VARIANTS if v != "no_client_id"])
async def test_msal_variants(
    client: FluviusClient, simulator: FluviusSimulator, variant: str
) -> None:
    simulator.options.msal_variant = variant
    await client.login()
    assert simulator.stats.logins == 1


async def test_msal_config_without_client_id(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    simulator.options.msal_variant = "no_client_id"
    with pytest.raises(FluviusLoginFlowError, match="clientId"):
        await client.login()
    assert simulator.stats.requests["authorize"] == 0


@pytest.mark.parametrize("variant", SETTINGS_VARIANTS)
@pytest.mark.parametrize("field_ids", [("signInName", "password"), ("logonIdentifier", "pwd")])
async def test_settings_and_field_variants(
    client: FluviusClient,
    simulator: FluviusSimulator,
    variant: str,
    field_ids: tuple[str, str],
) -> None:
    simulator.options.settings_variant = variant
    simulator.options.field_ids = field_ids
    await client.login()
    assert simulator.stats.logins == 1
    assert simulator.stats.failed_logins == 0


@pytest.mark.parametrize("interactive", [False, True])
async def test_response_in_fragment(
    make_client: ClientFactory, simulator: FluviusSimulator, interactive: bool
) -> None:
    simulator.options.response_in_fragment = True
    if interactive:
        with pytest.raises(FluviusLoginRejectedError, match="AADB2C90091"):
            await make_client(CONFIRM_ERROR_EMAIL, CONFIRM_ERROR_PASSWORD).login()
        return
    await make_client().login()
    assert simulator.stats.logins == 1


async def test_origin_is_sent_on_the_token_request(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    """Harmless where B2C does not ask for it; needed where it does (a variant)."""
    simulator.options.require_origin = True
    await client.login()
    assert simulator.stats.logins == 1


async def test_rejected_credentials_are_never_retried(
    make_client: ClientFactory, simulator: FluviusSimulator
) -> None:
    client = make_client(password="wrong")
    with pytest.raises(FluviusInvalidCredentialsError):
        await client.measurements(ELEC_EAN, ELEC_SERIAL, *_one_day())
    for _ in range(3):  # the integration keeps polling: no new attempt reaches B2C
        with pytest.raises(FluviusInvalidCredentialsError, match="not retried"):
            await client.measurements(ELEC_EAN, ELEC_SERIAL, *_one_day())
    assert simulator.stats.requests["self_asserted"] == 1
    client.set_password("wrong")  # the same password again lifts nothing
    with pytest.raises(FluviusInvalidCredentialsError):
        await client.measurements(ELEC_EAN, ELEC_SERIAL, *_one_day())
    assert simulator.stats.requests["self_asserted"] == 1
    client.set_password(DEMO_PASSWORD)
    assert await client.measurements(ELEC_EAN, ELEC_SERIAL, *_one_day())
    assert simulator.stats.logins == 1


async def test_explicit_login_lifts_the_block(
    make_client: ClientFactory, simulator: FluviusSimulator
) -> None:
    client = make_client()
    simulator.faults.inject("self_asserted", "b2c_error", code="AADB2C90054")
    with pytest.raises(FluviusInvalidCredentialsError):
        await client.peaks(ELEC_EAN, ELEC_SERIAL, *_one_day())
    with pytest.raises(FluviusInvalidCredentialsError):
        await client.peaks(ELEC_EAN, ELEC_SERIAL, *_one_day())
    assert simulator.stats.requests["self_asserted"] == 1
    await client.login()
    assert simulator.stats.logins == 1


async def test_interaction_required_is_not_retried(
    make_client: ClientFactory, simulator: FluviusSimulator
) -> None:
    client = make_client(MFA_EMAIL, MFA_PASSWORD)
    for _ in range(3):
        with pytest.raises(FluviusInteractionRequiredError):
            await client.peaks(ELEC_EAN, ELEC_SERIAL, *_one_day())
    assert simulator.stats.requests["self_asserted"] == 1


async def test_login_never_uses_the_shared_session(
    make_client: ClientFactory, simulator: FluviusSimulator
) -> None:
    seen: list[str] = []

    async def on_start(_: Any, __: Any, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(params.url.path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as shared:
        client = make_client(session=shared)
        await client.measurements(ELEC_EAN, ELEC_SERIAL, *_one_day())
        await client.close()
        assert not shared.closed  # not ours to close
    assert seen
    assert all(path.startswith("/verbruik/api/") for path in seen)
    assert simulator.stats.logins == 1


async def test_no_secrets_in_errors_or_logs(
    make_client: ClientFactory, simulator: FluviusSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.fluvius")
    client = make_client()
    await client.measurements(ELEC_EAN, ELEC_SERIAL, *_one_day())
    await client.peaks(ELEC_EAN, ELEC_SERIAL, *_one_day())
    tokens = client.export_tokens()
    assert tokens is not None
    bad = make_client(password="Secret&Wrong+1")
    with pytest.raises(FluviusAuthError) as caught:
        await bad.login()
    secrets = [
        DEMO_PASSWORD,
        "Secret&Wrong+1",
        tokens["access_token"],
        tokens["refresh_token"],
        ELEC_EAN,
        *(tx.csrf for tx in simulator.b2c.transactions.values()),
        *simulator.b2c.tokens.codes,
    ]
    text = caplog.text + str(caught.value)
    assert "Logged in" in caplog.text
    for secret in secrets:
        assert secret not in text


def _one_day() -> tuple[Any, Any]:
    from datetime import date

    return date(2026, 4, 1), date(2026, 4, 1)
