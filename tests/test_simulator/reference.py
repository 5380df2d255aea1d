"""A small reference B2C login and portal client, to drive the simulator over real HTTP.

Not the product client: each step is a separate method so tests can break one rule at a time.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
import hashlib
import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from tests.simulator import BRUSSELS, FluviusSimulator

SIGNIN_SCOPES = "openid offline_access"


def find_assignment(page: str, name: str) -> dict[str, Any]:
    """Parse `var NAME = {...};` with a brace matcher that skips JSON strings."""
    match = re.search(rf"var\s+{re.escape(name)}\s*=\s*", page)
    if match is None:
        raise ValueError(f"no var {name}")
    start = page.index("{", match.end())
    depth = 0
    in_string = escaped = False
    for pos in range(start, len(page)):
        char = page[pos]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return json.loads(page[start : pos + 1])
    raise ValueError(f"unbalanced var {name}")


def scopes_of(config: dict[str, Any]) -> list[str]:
    """Scopes from any of the MSAL config shapes."""
    auth = config.get("auth", {})
    for source in (config, auth):
        for key in ("scopes", "defaultScopes", "apiScopes"):
            if key in source:
                return list(source[key])
        if "authRequest" in source:
            return list(source["authRequest"]["scopes"])
        if "protectedResourceMap" in source:
            return [s for v in source["protectedResourceMap"].values() for s in v]
    return ["https://klanten.onmicrosoft.com/MijnFluvius/user_impersonation"]


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirect_params(location: str) -> dict[str, str]:
    """code/state/error from a redirect Location, in the query or the fragment."""
    parts = urlsplit(location)
    raw = parts.query or parts.fragment
    return {k: v[0] for k, v in parse_qs(raw).items()}


def local_stamp(value: datetime) -> str:
    """Brussels local time with milliseconds and offset, as the portal wants."""
    return value.astimezone(BRUSSELS).isoformat(timespec="milliseconds")


def day_window(first: date, last: date) -> tuple[str, str]:
    """historyFrom/historyUntil for Brussels days first..last inclusive."""
    start = datetime.combine(first, time(0), BRUSSELS)
    end = datetime.combine(last + timedelta(days=1), time(0), BRUSSELS) - timedelta(milliseconds=1)
    return local_stamp(start), local_stamp(end)


def gas_day_window(first: date, last: date) -> tuple[str, str]:
    """historyFrom/historyUntil for gas days first..last inclusive (06:00 to 06:00 local)."""
    start = datetime.combine(first, time(6), BRUSSELS)
    end = datetime.combine(last + timedelta(days=1), time(6), BRUSSELS) - timedelta(milliseconds=1)
    return local_stamp(start), local_stamp(end)


@dataclass
class Transaction:
    """What the authorize step hands to the next steps."""

    settings: dict[str, Any]
    fields: dict[str, Any]
    verifier: str
    state: str
    scope: str
    page: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def login_id(self) -> str:
        return next(f["ID"] for f in self.fields["AttributeFields"] if not f.get("IS_PASSWORD"))

    @property
    def password_id(self) -> str:
        return next(f["ID"] for f in self.fields["AttributeFields"] if f.get("IS_PASSWORD"))


class RefClient:
    """Straightforward aiohttp sequence: config, authorize, SelfAsserted, confirmed, token."""

    def __init__(self, sim: FluviusSimulator, *, quote_cookie: bool = False) -> None:
        self.sim = sim
        self.jar = aiohttp.CookieJar(unsafe=True, quote_cookie=quote_cookie)
        self.session = aiohttp.ClientSession(cookie_jar=self.jar)

    async def close(self) -> None:
        await self.session.close()

    async def __aenter__(self) -> RefClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # login steps

    async def config(self) -> dict[str, Any]:
        async with self.session.get(f"{self.sim.portal_url}/api/global/msal/config") as resp:
            resp.raise_for_status()
            return await resp.json()

    def authorize_params(self, config: dict[str, Any], email: str) -> dict[str, str]:
        auth = config.get("auth", config)
        verifier, challenge = pkce_pair()
        self._verifier = verifier
        return {
            "client_id": auth["clientId"],
            "redirect_uri": auth["redirectUri"],
            "response_type": "code",
            "response_mode": "query",
            "scope": " ".join([*scopes_of(config), *SIGNIN_SCOPES.split()]),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "prompt": "login",
            "client_info": "1",
            "login_hint": email,
        }

    async def authorize(
        self, email: str, *, overrides: dict[str, str | None] | None = None
    ) -> Transaction:
        config = await self.config()
        params = self.authorize_params(config, email)
        for key, value in (overrides or {}).items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        authority = config.get("auth", config)["authority"]
        async with self.session.get(f"{authority}/oauth2/v2.0/authorize", params=params) as resp:
            page = await resp.text()
            if resp.status != 200:
                raise AssertionError(f"authorize {resp.status}: {resp.headers.get('X-Sim-Reason')}")
        return Transaction(
            settings=find_assignment(page, "SETTINGS"),
            fields=find_assignment(page, "SA_FIELDS"),
            verifier=self._verifier,
            state=params["state"],
            scope=params["scope"],
            page=page,
            config=config,
        )

    def tenant_url(self, tx: Transaction) -> str:
        return f"{self.sim.login_url}{tx.settings['hosts']['tenant']}"

    async def self_asserted(
        self,
        tx: Transaction,
        email: str,
        password: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        all_headers = {
            "X-CSRF-TOKEN": tx.settings["csrf"],
            "X-Requested-With": "XMLHttpRequest",
            "Origin": self.sim.login_url,
            "Referer": f"{self.sim.authority}/oauth2/v2.0/authorize",
        }
        all_headers.update(headers or {})
        query = {"tx": tx.settings["transId"], "p": tx.settings["hosts"]["policy"]}
        query.update(params or {})
        form = {"request_type": "RESPONSE", tx.login_id: email, tx.password_id: password}
        resp = await self.session.post(
            f"{self.tenant_url(tx)}/SelfAsserted", params=query, data=form, headers=all_headers
        )
        await resp.read()
        return resp

    async def confirmed(
        self, tx: Transaction, *, params: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        query = {
            "rememberMe": "false",
            "csrf_token": tx.settings["csrf"],
            "tx": tx.settings["transId"],
            "p": tx.settings["hosts"]["policy"],
        }
        query.update(params or {})
        resp = await self.session.get(
            f"{self.tenant_url(tx)}/api/{tx.settings['api']}/confirmed",
            params=query,
            allow_redirects=False,
        )
        await resp.read()
        return resp

    async def token(self, form: dict[str, str], *, origin: bool = True) -> aiohttp.ClientResponse:
        headers = {"Origin": self.sim.portal_url} if origin else {}
        resp = await self.session.post(
            f"{self.sim.authority}/oauth2/v2.0/token", data=form, headers=headers
        )
        await resp.read()
        return resp

    def code_form(self, tx: Transaction, code: str, verifier: str | None = None) -> dict[str, str]:
        auth = tx.config.get("auth", tx.config)
        return {
            "grant_type": "authorization_code",
            "client_id": auth["clientId"],
            "scope": tx.scope,
            "code": code,
            "redirect_uri": auth["redirectUri"],
            "code_verifier": verifier or tx.verifier,
        }

    def refresh_form(self, refresh_token: str) -> dict[str, str]:
        return {
            "grant_type": "refresh_token",
            "client_id": self.sim.options.client_id,
            "scope": f"{self.sim.options.api_scope} openid offline_access",
            "refresh_token": refresh_token,
        }

    async def code(self, email: str, password: str) -> tuple[Transaction, str]:
        """Run the flow up to the authorization code."""
        tx = await self.authorize(email)
        resp = await self.self_asserted(tx, email, password)
        body = json.loads(await resp.text())
        assert body == {"status": "200"}, body
        confirm = await self.confirmed(tx)
        assert confirm.status == 302, confirm.status
        got = redirect_params(confirm.headers["Location"])
        assert got["state"] == tx.state
        return tx, got["code"]

    async def login(self, email: str, password: str) -> dict[str, Any]:
        """The whole flow; returns the token response."""
        tx, code = await self.code(email, password)
        resp = await self.token(self.code_form(tx, code))
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def refresh(self, refresh_token: str) -> aiohttp.ClientResponse:
        return await self.token(self.refresh_form(refresh_token))

    # data

    async def get(
        self, path: str, token: str | None, params: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        resp = await self.session.get(
            f"{self.sim.portal_url}{path}", params=params, headers=headers
        )
        await resp.read()
        return resp

    async def measurements(
        self,
        token: str,
        ean: str,
        serial: str,
        first: date,
        last: date,
        *,
        granularity: str,
        **extra: str,
    ) -> aiohttp.ClientResponse:
        start, end = day_window(first, last)
        params = {
            "historyFrom": start,
            "historyUntil": end,
            "granularity": granularity,
            "asServiceProvider": "false",
            "meterSerialNumber": serial,
            **extra,
        }
        return await self.get(f"/verbruik/api/meter-measurement-history/{ean}", token, params)

    async def peaks(
        self, token: str, ean: str, serial: str, first: date, last: date
    ) -> aiohttp.ClientResponse:
        start, end = day_window(first, last)
        params = {
            "historyFrom": start,
            "historyUntil": end,
            "asServiceProvider": "false",
            "meterSerialNumber": serial,
        }
        return await self.get(f"/verbruik/api/meter-measurement-spikes/{ean}", token, params)
