"""The conversations with Azure AD B2C: the sign-in (authorization code + PKCE, no browser),
the refresh-token grant, and what B2C error codes mean. When to use which: token_manager.py."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
import hashlib
import json
import logging
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from yarl import URL

from .b2c_page import SignInPage, has_settings, parse_signin_page
from .errors import (
    FluviusAccountLockedError,
    FluviusError,
    FluviusInteractionRequiredError,
    FluviusInvalidCredentialsError,
    FluviusLoginFlowError,
    FluviusLoginRejectedError,
    FluviusRateLimitError,
)
from .msal import MSAL_CONFIG_PATH, MsalConfig, parse_msal_config
from .security import checked_url
from .tokens import TokenSet, token_set_from_answer
from .transport import Response, Transport

_LOGGER = logging.getLogger(__name__)

INVALID_CREDENTIALS_CODES = frozenset({"AADB2C90053", "AADB2C90054", "AADB2C90052", "AADB2C90225"})
DISABLED_CODE = "AADB2C90111"
SMART_LOCKOUT_CODE = "AADB2C90114"
THROTTLED_CODE = "AADB2C90244"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(64)
    return verifier, _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


# ---------------------------------------------------------------- the B2C conversation


def classify_b2c_code(code: str | None, detail: str) -> FluviusError:
    """Map an AADB2C error code to our exception; the localised message is never trusted."""
    if code in INVALID_CREDENTIALS_CODES:
        return FluviusInvalidCredentialsError(f"invalid email or password ({code})")
    if code == DISABLED_CODE:
        return FluviusAccountLockedError(
            f"account disabled, contact Fluvius ({code})", permanent=True
        )
    if code == SMART_LOCKOUT_CODE:
        return FluviusAccountLockedError(
            f"account temporarily locked, retry later ({code})", permanent=False
        )
    if code == THROTTLED_CODE:
        return FluviusRateLimitError(f"sign-in throttled, retry later ({code})")
    return FluviusLoginRejectedError(f"{detail} ({code or 'no code'})", code=code)


def _b2c_code(text: object) -> str | None:
    """The leading `AADB2Cnnnnn` of an error description."""
    if not isinstance(text, str):
        return None
    head = text.strip().split(":", 1)[0].strip()
    return head if head.startswith("AADB2C") else None


def _json_or_none(resp: Response) -> Any:
    try:
        return json.loads(resp.body)
    except (ValueError, RecursionError):
        return None


def _redirect_params(location: str) -> dict[str, str]:
    """Parameters of a redirect, from the query and from the fragment (response_mode may vary)."""
    try:
        parts = urlsplit(location)
    except ValueError:
        raise FluviusLoginFlowError("sign-in redirect has an unreadable Location") from None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(parse_qsl(parts.fragment, keep_blank_values=True))
    return params


@dataclass(slots=True)
class B2CLogin:
    """One full sign-in; lives only for the duration of `run`."""

    transport: Transport
    portal: URL
    email: str
    password: str

    async def run(self, now: Callable[[], datetime]) -> tuple[TokenSet, MsalConfig]:
        """Five requests: config, authorize, SelfAsserted, confirmed, token."""
        jar = aiohttp.CookieJar(unsafe=True, quote_cookie=False)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            config = await fetch_msal_config(self.transport, session, self.portal)
            verifier, challenge = pkce_pair()
            state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            page, page_url = await self._authorize(session, config, challenge, state, nonce)
            origin = checked_url(page_url.origin(), what="sign-in page")
            await self._self_asserted(session, config, page, page_url, origin)
            code = await self._confirm(session, config, page, origin, state)
            answer = await self._redeem(session, config, code, verifier)
            return token_set_from_answer(answer, now()), config

    async def _send(
        self, session: aiohttp.ClientSession, method: str, url: URL, step: str, **kwargs: Any
    ) -> Response:
        resp = await self.transport.request(session, method, url, what=f"login {step}", **kwargs)
        _LOGGER.debug("Login step %s answered %s", step, resp.status)
        self.transport.check_common(resp, f"login {step}")
        return resp

    async def _authorize(
        self,
        session: aiohttp.ClientSession,
        config: MsalConfig,
        challenge: str,
        state: str,
        nonce: str,
    ) -> tuple[SignInPage, URL]:
        params = {
            "client_id": config.client_id,
            "redirect_uri": config.redirect_uri,
            "response_type": "code",
            "response_mode": "query",
            "scope": config.scope,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
            "nonce": nonce,
            "prompt": "login",
            "client_info": "1",
            "login_hint": self.email,
        }
        url = config.endpoint("authorize").with_query(params)
        # Redirects are not followed: one could lead to the redirect URI, never to be fetched.
        resp = await self._send(session, "GET", url, "authorize", allow_redirects=False)
        if resp.status in (301, 302, 303, 307, 308):
            error = _redirect_params(resp.headers.get("Location", ""))
            raise classify_b2c_code(
                _b2c_code(error.get("error_description")), "authorize redirected"
            )
        if resp.status != 200:
            raise FluviusLoginFlowError(f"sign-in page unavailable (HTTP {resp.status})")
        return parse_signin_page(resp.text), resp.url

    async def _self_asserted(
        self,
        session: aiohttp.ClientSession,
        config: MsalConfig,
        page: SignInPage,
        page_url: URL,
        origin: URL,
    ) -> None:
        url = origin.with_path(f"{_tenant(page, config)}/SelfAsserted").with_query(
            {"tx": page.settings.trans_id, "p": _policy(page, config)}
        )
        form = {
            "request_type": "RESPONSE",
            page.form.login_field: self.email,
            page.form.password_field: self.password,
        }
        headers = {
            "X-CSRF-TOKEN": page.settings.csrf,
            "X-Requested-With": "XMLHttpRequest",
            "Origin": str(origin),
            "Referer": str(page_url),
            "Accept": "application/json, text/javascript, */*; q=0.01",
        }
        resp = await self._send(
            session, "POST", url, "credentials", data=form, headers=headers, allow_redirects=False
        )
        answer = _json_or_none(resp)
        if resp.status != 200 or not isinstance(answer, dict):
            # B2C answers every verdict on the credentials with HTTP 200. Anything else (a
            # 401/403/404 from a proxy or an expired transaction, JSON or not) says nothing
            # about the password, so it must not block logins as a rejection would.
            raise FluviusLoginFlowError(
                f"credentials step answered HTTP {resp.status}"
                f"{'' if isinstance(answer, dict) else ' without JSON'} (broken transaction)"
            )
        if str(answer.get("status", "")).strip() == "200":
            return
        code = answer.get("errorCode")
        raise classify_b2c_code(code if isinstance(code, str) else None, "sign-in rejected")

    async def _confirm(
        self,
        session: aiohttp.ClientSession,
        config: MsalConfig,
        page: SignInPage,
        origin: URL,
        state: str,
    ) -> str:
        settings = page.settings
        url = origin.with_path(f"{_tenant(page, config)}/api/{settings.api}/confirmed").with_query(
            {
                "rememberMe": "false",
                "csrf_token": settings.csrf,
                "tx": settings.trans_id,
                "p": _policy(page, config),
            }
        )
        resp = await self._send(session, "GET", url, "confirm", allow_redirects=False)
        if resp.status == 200:
            if has_settings(resp.text):
                raise FluviusInteractionRequiredError(
                    "Fluvius asks for an interactive step (MFA, captcha, terms or password "
                    "change); finish it once in a browser"
                )
            raise FluviusLoginFlowError("confirm step answered a page without SETTINGS")
        location = resp.headers.get("Location")
        if resp.status not in (301, 302, 303, 307, 308) or not location:
            raise FluviusLoginFlowError(f"confirm step answered HTTP {resp.status}")
        params = _redirect_params(location)
        if "error" in params:
            description = params.get("error_description", "")
            raise classify_b2c_code(_b2c_code(description), f"sign-in failed: {params['error']}")
        if not secrets.compare_digest(params.get("state", ""), state):
            raise FluviusLoginFlowError("sign-in answer carries a foreign state")
        code = params.get("code")
        if not code:
            raise FluviusLoginFlowError("sign-in answer carries no authorization code")
        return code

    async def _redeem(
        self, session: aiohttp.ClientSession, config: MsalConfig, code: str, verifier: str
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "client_id": config.client_id,
            "scope": config.scope,
            "code": code,
            "redirect_uri": config.redirect_uri,
            "code_verifier": verifier,
        }
        resp = await self._send(
            session,
            "POST",
            config.endpoint("token"),
            "token",
            data=form,
            headers={**_JSON, "Origin": str(self.portal.origin())},
        )
        answer = _json_or_none(resp)
        if resp.status != 200 or not isinstance(answer, dict):
            raise FluviusLoginFlowError(f"code redemption failed: {_token_error(resp, answer)}")
        return answer


_JSON = {"Accept": "application/json"}


def _tenant(page: SignInPage, config: MsalConfig) -> str:
    tenant = page.settings.tenant or config.authority.path
    return "/" + tenant.strip("/")


def _policy(page: SignInPage, config: MsalConfig) -> str:
    return page.settings.policy or _tenant(page, config).rsplit("/", 1)[-1]


def _token_error(resp: Response, answer: object) -> str:
    """A short description of a token endpoint failure: error name and B2C code, no secrets."""
    if not isinstance(answer, dict):
        return f"HTTP {resp.status} without JSON"
    error = answer.get("error")
    code = _b2c_code(answer.get("error_description"))
    return " ".join(str(x) for x in (f"HTTP {resp.status}", error, code) if x)


class RefreshRejected(Exception):  # internal signal, never escapes
    """The refresh token is no longer accepted: a full login is needed."""


async def fetch_msal_config(
    transport: Transport, session: aiohttp.ClientSession, portal: URL
) -> MsalConfig:
    """GET the portal's MSAL config."""
    what = "login config"
    resp = await transport.request(
        session, "GET", portal.with_path(MSAL_CONFIG_PATH), what=what, headers=_JSON
    )
    _LOGGER.debug("MSAL config answered %s", resp.status)
    transport.check_common(resp, what)
    payload = _json_or_none(resp) if resp.status == 200 else None
    if payload is None:
        raise FluviusLoginFlowError(f"MSAL config unavailable (HTTP {resp.status})")
    return parse_msal_config(payload)


async def refresh_tokens(
    transport: Transport,
    portal: URL,
    tokens: TokenSet,
    config: MsalConfig | None,
    now: Callable[[], datetime],
) -> tuple[TokenSet, MsalConfig]:
    """The refresh-token grant on a short-lived session; RefreshRejected means log in."""
    what = "token refresh"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        if config is None:
            config = await fetch_msal_config(transport, session, portal)
        form = {
            "grant_type": "refresh_token",
            "client_id": config.client_id,
            "scope": config.scope,
            "refresh_token": tokens.refresh_token or "",
        }
        resp = await transport.request(
            session,
            "POST",
            config.endpoint("token"),
            what=what,
            data=form,
            headers={**_JSON, "Origin": str(portal.origin())},
        )
    _LOGGER.debug("Token refresh answered %s", resp.status)
    transport.check_common(resp, what)
    answer = _json_or_none(resp)
    if resp.status in (400, 401) and isinstance(answer, dict):
        _LOGGER.debug("Refresh refused: %s", _token_error(resp, answer))
        raise RefreshRejected
    if resp.status != 200 or not isinstance(answer, dict):
        raise FluviusLoginFlowError(f"token refresh failed: {_token_error(resp, answer)}")
    return token_set_from_answer(answer, now(), previous=tokens), config
