"""B2C sign-in rules, over real HTTP."""

from __future__ import annotations

import base64
from datetime import timedelta
import json
from typing import Any

import aiohttp
import pytest

from tests.simulator import FluviusSimulator
from tests.simulator.demo import (
    CONFIRM_ERROR_EMAIL,
    CONFIRM_ERROR_PASSWORD,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DISABLED_EMAIL,
    DISABLED_PASSWORD,
    MFA_EMAIL,
    MFA_PASSWORD,
    OTHER_EMAIL,
)

from .conftest import SimFactory
from .reference import RefClient, Transaction, find_assignment, pkce_pair, redirect_params


def jwt_claims(token: str) -> dict[str, Any]:
    """Decode a JWT payload without checking the signature."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def rejection(client: RefClient, email: str, password: str) -> dict[str, Any]:
    """SelfAsserted's answer for one credential pair (always HTTP 200 JSON)."""
    tx = await client.authorize(email)
    resp = await client.self_asserted(tx, email, password)
    assert resp.status == 200
    assert resp.content_type == "application/json"
    return json.loads(await resp.text())


def assert_html_400(resp: aiohttp.ClientResponse, reason: str) -> None:
    assert resp.status == 400
    assert resp.content_type == "text/html"
    assert reason in resp.headers["X-Sim-Reason"]


# --- happy path ----------------------------------------------------------------------------


async def test_full_login(simulator: FluviusSimulator, client: RefClient) -> None:
    tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token_expires_in"] == 86400
    now = int(simulator.clock.now().timestamp())
    assert tokens["expires_on"] == now + 3600
    assert tokens["not_before"] == now
    claims = jwt_claims(tokens["access_token"])
    assert claims["exp"] == now + 3600
    assert claims["nbf"] == claims["iat"] == now
    assert claims["aud"] == simulator.options.client_id
    assert claims["emails"] == [DEMO_EMAIL]
    assert claims["sub"]
    assert "nonce" in jwt_claims(tokens["id_token"])
    assert simulator.stats.logins == 1
    assert simulator.stats.failed_logins == 0
    endpoints = [r.endpoint for r in simulator.request_log]
    assert endpoints == ["msal_config", "authorize", "self_asserted", "confirmed", "token"]


async def test_portal_and_login_are_different_origins(simulator: FluviusSimulator) -> None:
    assert simulator.portal_url != simulator.login_url
    assert simulator.portal_url.startswith("http://127.0.0.1:")
    assert simulator.login_url.startswith("http://127.0.0.1:")
    assert simulator.authority.startswith(simulator.login_url)
    assert simulator.redirect_uri == simulator.portal_url + "/"


async def test_login_page_and_cookies(simulator: FluviusSimulator, client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    settings = tx.settings
    assert settings["api"] == "CombinedSigninAndSignup"
    assert settings["transId"].startswith("StateProperties=")
    assert settings["hosts"]["tenant"] == "/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin"
    assert settings["hosts"]["policy"] == "B2C_1A_customer_signup_signin"
    assert (tx.login_id, tx.password_id) == ("signInName", "password")
    fields = tx.fields["AttributeFields"]
    assert fields[0]["IS_PASSWORD"] is False
    assert fields[1]["IS_PASSWORD"] is True
    names = {c.key: c.value for c in client.jar}
    assert any(":" in n for n in names)
    assert any("|" in n for n in names)
    assert any("/" in n for n in names)
    assert {"x-ms-cpim-trans", "x-ms-cpim-csrf"} <= names.keys()
    assert all(set("+/=") <= set(v) for n, v in names.items() if n != "x-ms-cpim-dc")
    assert names["x-ms-cpim-csrf"] == settings["csrf"]


async def test_cookie_jar_stays_bounded_over_many_logins(simulator: FluviusSimulator) -> None:
    # One reused jar, as a long-running client that keeps its login session: every new
    # authorize expires the previous transaction's x-ms-cpim-cache|... cookie.
    jar = aiohttp.CookieJar(unsafe=True, quote_cookie=False)
    async with RefClient(simulator) as client:
        await client.session.close()
        client.jar = jar
        client.session = aiohttp.ClientSession(cookie_jar=jar)
        sizes = []
        for _ in range(150):
            tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
            assert tokens["access_token"]
            sizes.append(len(jar))
            assert sum(c.key.startswith("x-ms-cpim-cache|") for c in jar) == 1
    assert max(sizes) <= 7  # sso, cache, trans, csrf, geo, dc, ctx
    assert simulator.stats.logins == 150
    assert simulator.stats.failed_logins == 0


async def test_new_authorize_supersedes_the_previous_transaction(client: RefClient) -> None:
    first = await client.authorize(DEMO_EMAIL)
    second = await client.authorize(DEMO_EMAIL)
    assert first.settings["transId"] != second.settings["transId"]
    # The first transaction's cache cookie was expired by the second authorize.
    caches = [c.key for c in client.jar if c.key.startswith("x-ms-cpim-cache|")]
    assert len(caches) == 1
    resp = await client.self_asserted(first, DEMO_EMAIL, DEMO_PASSWORD)
    assert_html_400(resp, "cookie x-ms-cpim-")
    resp = await client.self_asserted(second, DEMO_EMAIL, DEMO_PASSWORD)
    assert json.loads(await resp.text()) == {"status": "200"}


# --- SelfAsserted --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("nobody@fluvius.test", "whatever", "AADB2C90053"),
        (DEMO_EMAIL, "wrong", "AADB2C90054"),
        (DISABLED_EMAIL, DISABLED_PASSWORD, "AADB2C90111"),
        (DISABLED_EMAIL, "wrong", "AADB2C90111"),
    ],
)
async def test_credential_rejections(
    simulator: FluviusSimulator, client: RefClient, email: str, password: str, code: str
) -> None:
    body = await rejection(client, email, password)
    assert body["status"] == "400"
    assert body["errorCode"] == code
    assert body["message"]
    assert simulator.stats.failed_logins == 1


async def test_email_is_case_insensitive(client: RefClient) -> None:
    assert await rejection(client, DEMO_EMAIL.upper(), DEMO_PASSWORD) == {"status": "200"}


async def test_smart_lockout(simulator: FluviusSimulator, client: RefClient) -> None:
    threshold = simulator.options.lockout_threshold
    for _ in range(threshold):
        assert (await rejection(client, DEMO_EMAIL, "wrong"))["errorCode"] == "AADB2C90054"
    # Locked: even the right password is refused, for lockout_seconds on the sim clock.
    assert (await rejection(client, DEMO_EMAIL, DEMO_PASSWORD))["errorCode"] == "AADB2C90114"
    assert (await rejection(client, OTHER_EMAIL, "x"))["errorCode"] == "AADB2C90054"
    simulator.clock.advance(timedelta(seconds=59))
    assert (await rejection(client, DEMO_EMAIL, DEMO_PASSWORD))["errorCode"] == "AADB2C90114"
    simulator.clock.advance(timedelta(seconds=2))
    # A second lockout lasts twice as long.
    for _ in range(threshold):
        await rejection(client, DEMO_EMAIL, "wrong")
    simulator.clock.advance(timedelta(seconds=100))
    assert (await rejection(client, DEMO_EMAIL, DEMO_PASSWORD))["errorCode"] == "AADB2C90114"
    simulator.clock.advance(timedelta(seconds=21))
    assert await rejection(client, DEMO_EMAIL, DEMO_PASSWORD) == {"status": "200"}
    account = simulator.account(DEMO_EMAIL)
    assert account is not None
    assert (account.failures, account.lockouts, account.locked_until) == (0, 0, None)


async def test_lockout_threshold_option(make_sim: SimFactory) -> None:
    sim = await make_sim(lockout_threshold=2, lockout_seconds=10)
    async with RefClient(sim) as client:
        await rejection(client, DEMO_EMAIL, "a")
        await rejection(client, DEMO_EMAIL, "b")
        assert (await rejection(client, DEMO_EMAIL, DEMO_PASSWORD))["errorCode"] == "AADB2C90114"
        sim.clock.advance(timedelta(seconds=10))
        assert await rejection(client, DEMO_EMAIL, DEMO_PASSWORD) == {"status": "200"}


async def test_throttle_option(make_sim: SimFactory) -> None:
    sim = await make_sim(throttle_limit=2)
    async with RefClient(sim) as client:
        assert await rejection(client, DEMO_EMAIL, DEMO_PASSWORD) == {"status": "200"}
        assert (await rejection(client, DEMO_EMAIL, "wrong"))["errorCode"] == "AADB2C90054"
        assert (await rejection(client, DEMO_EMAIL, DEMO_PASSWORD))["errorCode"] == "AADB2C90244"
        sim.clock.advance(timedelta(minutes=1))
        assert await rejection(client, DEMO_EMAIL, DEMO_PASSWORD) == {"status": "200"}


async def test_wrong_csrf_header(client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    resp = await client.self_asserted(
        tx, DEMO_EMAIL, DEMO_PASSWORD, headers={"X-CSRF-TOKEN": "forged"}
    )
    assert_html_400(resp, "CSRF")


async def test_missing_xhr_header(client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    resp = await client.self_asserted(
        tx, DEMO_EMAIL, DEMO_PASSWORD, headers={"X-Requested-With": "fetch"}
    )
    assert_html_400(resp, "XMLHttpRequest")


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"tx": "StateProperties=bm9wZQ"}, "unknown transaction"),
        ({"p": "B2C_1A_other"}, "wrong p"),
    ],
)
async def test_wrong_transaction(client: RefClient, params: dict[str, str], reason: str) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    resp = await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD, params=params)
    assert_html_400(resp, reason)


async def test_expired_transaction(simulator: FluviusSimulator, client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    simulator.clock.advance(timedelta(hours=2))
    resp = await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD)
    assert_html_400(resp, "expired")


async def test_quoted_cookies_are_refused(simulator: FluviusSimulator) -> None:
    # aiohttp's default jar quotes values containing '/', '+' or '='.
    async with RefClient(simulator, quote_cookie=True) as client:
        tx = await client.authorize(DEMO_EMAIL)
        resp = await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD)
        assert_html_400(resp, "quoted cookie")
        resp = await client.confirmed(tx)
        assert_html_400(resp, "quoted cookie")
        # Even a new authorize is refused while the jar holds quoted B2C cookies.
        with pytest.raises(AssertionError, match="authorize 400: quoted cookie"):
            await client.authorize(DEMO_EMAIL)


async def test_missing_cookies_are_refused(client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    client.jar.clear()
    resp = await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD)
    assert_html_400(resp, "missing cookie")


async def test_one_missing_cookie_is_refused(client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    client.jar.clear(lambda c: "|" in c.key)
    resp = await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD)
    assert_html_400(resp, "missing cookie x-ms-cpim-cache|")


async def test_request_type_required(client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    url = f"{client.tenant_url(tx)}/SelfAsserted"
    resp = await client.session.post(
        url,
        params={"tx": tx.settings["transId"], "p": tx.settings["hosts"]["policy"]},
        data={"signInName": DEMO_EMAIL, "password": DEMO_PASSWORD},
        headers={"X-CSRF-TOKEN": tx.settings["csrf"], "X-Requested-With": "XMLHttpRequest"},
    )
    assert_html_400(resp, "request_type")


# --- confirmed -----------------------------------------------------------------------------


async def signed_in(client: RefClient, email: str, password: str) -> Transaction:
    tx = await client.authorize(email)
    resp = await client.self_asserted(tx, email, password)
    assert json.loads(await resp.text()) == {"status": "200"}
    return tx


async def test_confirm_redirect(simulator: FluviusSimulator, client: RefClient) -> None:
    tx = await signed_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    resp = await client.confirmed(tx)
    assert resp.status == 302
    location = resp.headers["Location"]
    assert location.startswith(simulator.redirect_uri + "?")
    got = redirect_params(location)
    assert got["state"] == tx.state
    assert got["code"]
    # The transaction is finished: confirming again fails.
    assert_html_400(await client.confirmed(tx), "unknown transaction")


async def test_confirm_in_fragment(make_sim: SimFactory) -> None:
    sim = await make_sim(response_in_fragment=True)
    async with RefClient(sim) as client:
        tx = await signed_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        resp = await client.confirmed(tx)
        location = resp.headers["Location"]
        assert location.startswith(sim.redirect_uri + "#")
        assert "?" not in location
        got = redirect_params(location)
        assert got["state"] == tx.state
        token = await client.token(client.code_form(tx, got["code"]))
        assert token.status == 200


async def test_response_mode_fragment_is_honoured(client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL, overrides={"response_mode": "fragment"})
    await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD)
    resp = await client.confirmed(tx)
    assert "#" in resp.headers["Location"]


async def test_confirm_wrong_csrf(client: RefClient) -> None:
    tx = await signed_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    assert_html_400(await client.confirmed(tx, params={"csrf_token": "x"}), "CSRF")


async def test_confirm_without_credentials(client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    assert_html_400(await client.confirmed(tx), "credentials were not accepted")


async def test_confirm_after_rejected_credentials(client: RefClient) -> None:
    tx = await client.authorize(DEMO_EMAIL)
    await client.self_asserted(tx, DEMO_EMAIL, "wrong")
    assert_html_400(await client.confirmed(tx), "credentials were not accepted")


async def test_confirm_wrong_api_segment(client: RefClient) -> None:
    tx = await signed_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    tx.settings["api"] = "SomethingElse"
    assert_html_400(await client.confirmed(tx), "api")


async def test_confirm_needs_the_cookie_set_by_self_asserted(client: RefClient) -> None:
    tx = await signed_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    client.jar.clear(lambda c: c.key == "x-ms-cpim-ctx")
    assert_html_400(await client.confirmed(tx), "missing cookie x-ms-cpim-ctx")


async def test_interactive_account(simulator: FluviusSimulator, client: RefClient) -> None:
    tx = await signed_in(client, MFA_EMAIL, MFA_PASSWORD)
    resp = await client.confirmed(tx)
    assert resp.status == 200
    assert resp.content_type == "text/html"
    settings = find_assignment(await resp.text(), "SETTINGS")
    assert settings["api"] == "SelfAsserted-MFA"
    assert simulator.stats.logins == 0


async def test_confirm_error_account(simulator: FluviusSimulator, client: RefClient) -> None:
    tx = await signed_in(client, CONFIRM_ERROR_EMAIL, CONFIRM_ERROR_PASSWORD)
    resp = await client.confirmed(tx)
    assert resp.status == 302
    got = redirect_params(resp.headers["Location"])
    assert got["error"] == "access_denied"
    assert got["error_description"].startswith("AADB2C90091:")
    assert got["state"] == tx.state
    assert "code" not in got
    assert simulator.stats.failed_logins == 1


# --- authorize -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"client_id": "someone-else"}, "AADB2C90018"),
        ({"redirect_uri": "http://x/"}, "AADB2C90006"),
    ],
)
async def test_authorize_unknown_client(
    client: RefClient, override: dict[str, str], reason: str
) -> None:
    with pytest.raises(AssertionError, match=reason):
        await client.authorize(DEMO_EMAIL, overrides=override)


@pytest.mark.parametrize(
    "override",
    [
        {"response_type": "token"},
        {"code_challenge": None},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
        {"state": None},
        {"nonce": None},
        {"scope": "openid"},
        {"scope": "offline_access"},
        {"response_mode": "form_post"},
    ],
)
async def test_authorize_invalid_request(
    simulator: FluviusSimulator, client: RefClient, override: dict[str, str | None]
) -> None:
    config = await client.config()
    params = client.authorize_params(config, DEMO_EMAIL)
    for key, value in override.items():
        if value is None:
            params.pop(key)
        else:
            params[key] = value
    resp = await client.session.get(
        f"{simulator.authority}/oauth2/v2.0/authorize", params=params, allow_redirects=False
    )
    assert resp.status == 302
    got = redirect_params(resp.headers["Location"])
    assert got["error"] == "invalid_request"
    assert got["error_description"].startswith("AADB2C")


async def test_policy_path_is_case_insensitive(simulator: FluviusSimulator) -> None:
    async with RefClient(simulator) as client:
        config = await client.config()
        params = client.authorize_params(config, DEMO_EMAIL)
        url = f"{simulator.login_url}/klanten.onmicrosoft.com/b2c_1a_customer_signup_signin"
        resp = await client.session.get(f"{url}/oauth2/v2.0/authorize", params=params)
        assert resp.status == 200
        resp = await client.session.get(
            f"{simulator.login_url}/other/B2C_1A_x/oauth2/v2.0/authorize"
        )
        assert resp.status == 404


# --- token ---------------------------------------------------------------------------------


async def test_token_needs_origin_variant(make_sim: SimFactory) -> None:
    sim = await make_sim(require_origin=True)
    async with RefClient(sim) as client:
        tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
        resp = await client.token(client.code_form(tx, code))
        assert resp.status == 200
        assert resp.headers["Access-Control-Allow-Origin"] == sim.portal_url
        tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
        resp = await client.token(client.code_form(tx, code), origin=False)
        assert resp.status == 400
        body = await resp.json()
        assert body["error"] == "invalid_request"
        assert body["error_description"].startswith("AADB2C99067:")
        assert sim.stats.logins == 1


async def test_origin_optional_by_default(simulator: FluviusSimulator, client: RefClient) -> None:
    assert simulator.options.require_origin is False
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    resp = await client.token(client.code_form(tx, code), origin=False)
    assert resp.status == 200
    assert "Access-Control-Allow-Origin" not in resp.headers
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    assert (await client.token(client.code_form(tx, code))).status == 200  # harmless
    resp = await client.refresh((await resp.json())["refresh_token"])
    assert resp.status == 200


async def grant_error(resp: aiohttp.ClientResponse) -> tuple[str, str]:
    assert resp.status == 400
    body = await resp.json()
    return body["error"], body["error_description"].split(":")[0]


async def test_pkce_mismatch(simulator: FluviusSimulator, client: RefClient) -> None:
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    other_verifier, _ = pkce_pair()
    resp = await client.token(client.code_form(tx, code, other_verifier))
    assert await grant_error(resp) == ("invalid_grant", "AADB2C90183")
    assert simulator.stats.failed_logins == 1


async def test_code_is_single_use(client: RefClient) -> None:
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    assert (await client.token(client.code_form(tx, code))).status == 200
    resp = await client.token(client.code_form(tx, code))
    assert await grant_error(resp) == ("invalid_grant", "AADB2C90129")


async def test_unknown_code(client: RefClient) -> None:
    tx, _ = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    resp = await client.token(client.code_form(tx, "eyJ.not-issued"))
    assert await grant_error(resp) == ("invalid_grant", "AADB2C90088")


async def test_code_expires(simulator: FluviusSimulator, client: RefClient) -> None:
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    simulator.clock.advance(timedelta(minutes=11))
    resp = await client.token(client.code_form(tx, code))
    assert await grant_error(resp) == ("invalid_grant", "AADB2C90080")


async def test_code_redirect_uri_must_match(client: RefClient) -> None:
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    form = client.code_form(tx, code) | {"redirect_uri": "http://127.0.0.1/elsewhere"}
    assert await grant_error(await client.token(form)) == ("invalid_grant", "AADB2C90006")


async def test_token_client_id_and_grant_type(client: RefClient) -> None:
    tx, code = await client.code(DEMO_EMAIL, DEMO_PASSWORD)
    resp = await client.token(client.code_form(tx, code) | {"client_id": "nope"})
    assert await grant_error(resp) == ("invalid_request", "AADB2C90018")
    resp = await client.token(client.code_form(tx, code) | {"grant_type": "password"})
    assert (await grant_error(resp))[0] == "unsupported_grant_type"


async def test_token_wants_a_form(simulator: FluviusSimulator, client: RefClient) -> None:
    resp = await client.session.post(
        f"{simulator.authority}/oauth2/v2.0/token",
        json={"grant_type": "refresh_token"},
        headers={"Origin": simulator.portal_url},
    )
    assert (await grant_error(resp))[0] == "invalid_request"


async def test_refresh_rotates(simulator: FluviusSimulator, client: RefClient) -> None:
    first = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    simulator.clock.advance(timedelta(hours=1))
    resp = await client.refresh(first["refresh_token"])
    assert resp.status == 200
    second = await resp.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token_expires_in"] == 86400 - 3600
    assert simulator.stats.refreshes == 1
    # The old refresh token was rotated away.
    resp = await client.refresh(first["refresh_token"])
    assert await grant_error(resp) == ("invalid_grant", "AADB2C90129")
    assert (await client.refresh(second["refresh_token"])).status == 200
    assert simulator.stats.refreshes == 2
    assert simulator.stats.logins == 1


async def test_refresh_chain_dies_24h_after_login(
    simulator: FluviusSimulator, client: RefClient
) -> None:
    tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    for _ in range(23):
        simulator.clock.advance(timedelta(hours=1))
        resp = await client.refresh(tokens["refresh_token"])
        assert resp.status == 200
        tokens = await resp.json()
    simulator.clock.advance(timedelta(hours=1))
    resp = await client.refresh(tokens["refresh_token"])
    assert await grant_error(resp) == ("invalid_grant", "AADB2C90080")
    # A new login starts a new chain.
    tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    assert (await client.refresh(tokens["refresh_token"])).status == 200


async def test_unknown_refresh_token(client: RefClient) -> None:
    assert await grant_error(await client.refresh("garbage")) == ("invalid_grant", "AADB2C90090")


async def test_revoked_tokens(simulator: FluviusSimulator, client: RefClient) -> None:
    tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    assert simulator.revoke_tokens(DEMO_EMAIL) == 2
    assert await grant_error(await client.refresh(tokens["refresh_token"])) == (
        "invalid_grant",
        "AADB2C90129",
    )


async def test_no_access_token_without_api_scope(client: RefClient) -> None:
    config = await client.config()
    tx = await client.authorize(DEMO_EMAIL, overrides={"scope": "openid offline_access"})
    assert tx.config == config
    await client.self_asserted(tx, DEMO_EMAIL, DEMO_PASSWORD)
    code = redirect_params((await client.confirmed(tx)).headers["Location"])["code"]
    body = await (await client.token(client.code_form(tx, code))).json()
    assert "access_token" not in body
    assert body["id_token"]
    assert body["refresh_token"]


async def test_token_numbers_as_strings(make_sim: SimFactory) -> None:
    sim = await make_sim(token_numbers_as_strings=True)
    async with RefClient(sim) as client:
        tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    for key in ("expires_in", "expires_on", "not_before", "refresh_token_expires_in"):
        assert isinstance(tokens[key], str)
        assert int(tokens[key]) > 0


@pytest.mark.parametrize(
    ("variant", "present", "absent"),
    [
        ("all", {"expires_in", "expires_on", "not_before"}, set()),
        ("expires_in_only", {"expires_in"}, {"expires_on", "not_before"}),
        ("jwt_only", set(), {"expires_in", "expires_on", "not_before"}),
    ],
)
async def test_token_expiry_fields(
    make_sim: SimFactory, variant: str, present: set[str], absent: set[str]
) -> None:
    sim = await make_sim(token_expiry_fields=variant)
    async with RefClient(sim) as client:
        tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
    assert present <= tokens.keys()
    assert not absent & tokens.keys()
    assert jwt_claims(tokens["access_token"])["exp"] == int(sim.clock.now().timestamp()) + 3600


async def test_openid_configuration(simulator: FluviusSimulator, client: RefClient) -> None:
    url = f"{simulator.authority}/v2.0/.well-known/openid-configuration"
    body = await (await client.session.get(url)).json()
    assert body["token_endpoint"] == f"{simulator.authority}/oauth2/v2.0/token"


@pytest.mark.parametrize("content_type", ["text/json", "text/html"])
async def test_self_asserted_content_type(make_sim: SimFactory, content_type: str) -> None:
    sim = await make_sim(self_asserted_content_type=content_type)
    async with RefClient(sim) as client:
        tx = await client.authorize(DEMO_EMAIL)
        resp = await client.self_asserted(tx, DEMO_EMAIL, "wrong")
        assert resp.content_type == content_type
        assert json.loads(await resp.text())["errorCode"] == "AADB2C90054"
        assert (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
