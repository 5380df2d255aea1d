"""Each unsure variant: MSAL config shapes, SETTINGS formatting, field IDs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.simulator import FluviusSimulator
from tests.simulator.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.simulator.state import DEFAULT_API_SCOPE, MSAL_VARIANTS, SETTINGS_VARIANTS

from .conftest import SimFactory
from .reference import RefClient, find_assignment, scopes_of

SCOPE_KEYS = ("scopes", "defaultScopes", "apiScopes", "authRequest", "protectedResourceMap")


def scope_places(doc: dict[str, Any]) -> set[str]:
    """Where scopes sit: 'scopes', 'auth.scopes', ..."""
    found = {key for key in SCOPE_KEYS if key in doc}
    found |= {f"auth.{key}" for key in SCOPE_KEYS if key in doc.get("auth", {})}
    return found


EXPECTED_SHAPES = {
    "flat": (False, {"scopes"}),
    "nested": (True, {"auth.scopes"}),
    "scopes": (True, {"scopes"}),
    "default_scopes": (False, {"defaultScopes"}),
    "api_scopes": (False, {"apiScopes"}),
    "auth_request": (False, {"authRequest"}),
    "protected_resource_map": (False, {"protectedResourceMap"}),
    "no_scopes": (False, set()),
}


@pytest.mark.parametrize("variant", sorted(EXPECTED_SHAPES))
async def test_msal_variants(make_sim: SimFactory, variant: str) -> None:
    sim = await make_sim(msal_variant=variant)
    async with RefClient(sim) as client:
        doc = await client.config()
        nested, places = EXPECTED_SHAPES[variant]
        core = doc["auth"] if nested else doc
        assert ("auth" in doc) is nested
        assert core["clientId"] == sim.options.client_id
        assert core["authority"] == sim.authority
        assert core["redirectUri"] == sim.redirect_uri
        assert scope_places(doc) == places
        assert scopes_of(doc) == [DEFAULT_API_SCOPE]
        tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
        assert tokens["access_token"]


def test_every_msal_variant_is_tested() -> None:
    assert set(MSAL_VARIANTS) == {*EXPECTED_SHAPES, "no_client_id"}


async def test_msal_without_client_id(make_sim: SimFactory) -> None:
    sim = await make_sim(msal_variant="no_client_id")
    async with RefClient(sim) as client:
        doc = await client.config()
    assert "clientId" not in json.dumps(doc)
    assert doc["authority"] == sim.authority


async def test_authority_is_not_on_the_portal(simulator: FluviusSimulator) -> None:
    # A client that builds login URLs from the portal origin gets nowhere.
    async with RefClient(simulator) as client:
        resp = await client.session.get(
            f"{simulator.portal_url}/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin/oauth2/v2.0/authorize"
        )
        assert resp.status == 404


async def test_variants_switch_live(simulator: FluviusSimulator) -> None:
    async with RefClient(simulator) as client:
        assert "auth" not in await client.config()
        simulator.options.msal_variant = "nested"
        assert "auth" in await client.config()


async def authorize_page(sim: FluviusSimulator) -> str:
    async with RefClient(sim) as client:
        tx = await client.authorize(DEMO_EMAIL)
        return tx.page


def settings_line(page: str) -> str:
    return next(line for line in page.splitlines() if "var SETTINGS" in line)


@pytest.mark.parametrize("variant", SETTINGS_VARIANTS)
async def test_settings_variants_log_in(make_sim: SimFactory, variant: str) -> None:
    sim = await make_sim(settings_variant=variant)
    async with RefClient(sim) as client:
        tx = await client.authorize(DEMO_EMAIL)
        assert tx.settings["transId"].startswith("StateProperties=")
        assert tx.settings["hosts"]["tenant"].startswith("/klanten.onmicrosoft.com/")
        assert tx.password_id == "password"
        tokens = await client.login(DEMO_EMAIL, DEMO_PASSWORD)
        assert tokens["access_token"]


async def test_settings_compact(simulator: FluviusSimulator) -> None:
    page = await authorize_page(simulator)
    line = settings_line(page)
    assert line.strip().startswith("var SETTINGS = {")
    assert line.rstrip().endswith("};")
    assert json.loads(line.strip()[len("var SETTINGS = ") : -1])["api"] == "CombinedSigninAndSignup"


async def test_settings_pretty(make_sim: SimFactory) -> None:
    page = await authorize_page(await make_sim(settings_variant="pretty"))
    assert settings_line(page).strip() == "var SETTINGS = {"
    assert '  "csrf": ' in page


async def test_settings_escaped(make_sim: SimFactory) -> None:
    page = await authorize_page(await make_sim(settings_variant="escaped"))
    line = settings_line(page)
    assert "\\/" in line
    assert "\\u0026" in line
    assert "&" not in line
    settings = find_assignment(page, "SETTINGS")
    assert "&" in settings["remoteResource"]
    assert settings["hosts"]["tenant"] == "/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin"


async def test_settings_tricky(make_sim: SimFactory) -> None:
    page = await authorize_page(await make_sim(settings_variant="tricky"))
    assert page.index("var CONTENT") < page.index("var SETTINGS")
    # A lazy regex stops at the first "};", which sits inside a string.
    lazy = re.search(r"var SETTINGS = (\{.*?\});", page, re.DOTALL)
    assert lazy is not None
    with pytest.raises(json.JSONDecodeError):
        json.loads(lazy.group(1))
    settings = find_assignment(page, "SETTINGS")
    assert "};" in settings["config"]["signupHint"]
    assert settings["api"] == "CombinedSigninAndSignup"


async def test_field_ids(make_sim: SimFactory) -> None:
    sim = await make_sim(field_ids=("email", "wachtwoord"))
    async with RefClient(sim) as client:
        tx = await client.authorize(DEMO_EMAIL)
        assert (tx.login_id, tx.password_id) == ("email", "wachtwoord")
        resp = await client.session.post(
            f"{client.tenant_url(tx)}/SelfAsserted",
            params={"tx": tx.settings["transId"], "p": tx.settings["hosts"]["policy"]},
            data={"request_type": "RESPONSE", "signInName": DEMO_EMAIL, "password": DEMO_PASSWORD},
            headers={"X-CSRF-TOKEN": tx.settings["csrf"], "X-Requested-With": "XMLHttpRequest"},
        )
        assert json.loads(await resp.text())["errorCode"] == "AADB2C90053"
        assert (await client.login(DEMO_EMAIL, DEMO_PASSWORD))["access_token"]
