"""Azure AD B2C, as the Fluvius sign-in uses it: authorize page, SelfAsserted, confirmed, token.

Served on the login origin (a different port from the portal). The rules are deliberately
strict where real B2C is strict (cookies, CSRF, transaction, PKCE, single-use codes, rotating
refresh tokens that die 24 h after the first login; Origin on the token endpoint only with
`require_origin`). Each authorize expires the `x-ms-cpim-cache|...` cookies of earlier
transactions that the browser presents, so a cookie jar reused across logins stays small.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import html
import json
from random import Random
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from .state import POLICY, TENANT, Account, SimOptions

if TYPE_CHECKING:
    from .server import FluviusSimulator

TENANT_PATH = f"/{TENANT}/{POLICY}"
SIGNIN_API = "CombinedSigninAndSignup"
INTERACTIVE_API = "SelfAsserted-MFA"
CTX_COOKIE = "x-ms-cpim-ctx"
CACHE_COOKIE_PREFIX = "x-ms-cpim-cache|"
COOKIE_ATTRIBUTES = "path=/; SameSite=None; HttpOnly"
EXPIRED = "Max-Age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT"
ISSUER_ID = "5a3c1e9b-7f2d-4c68-a0b1-94d2e6f8c173"  # the tenant ID in token issuers
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")

# SelfAsserted rejections; the texts are what Dutch-speaking users see.
MESSAGES = {
    "AADB2C90053": "We kunnen geen account vinden met dit e-mailadres.",
    "AADB2C90054": "Uw wachtwoord is onjuist.",
    "AADB2C90111": "Uw account is vergrendeld. Neem contact op met Fluvius om het te ontgrendelen.",
    "AADB2C90114": (
        "Uw account is tijdelijk vergrendeld om onbevoegd gebruik te voorkomen. "
        "Probeer het later opnieuw."
    ),
    "AADB2C90244": "Er zijn te veel aanvragen. Probeer het later opnieuw.",
}
# Token endpoint `error_description`s.
GRANT_ERRORS = {
    "AADB2C90080": "The provided grant has expired. Please re-authenticate and try again.",
    "AADB2C90088": "The provided grant has not been issued for this endpoint.",
    "AADB2C90090": "The provided JWE is not a valid 5-segment token.",
    "AADB2C90129": "The provided grant has been revoked. Please reauthenticate and try again.",
    "AADB2C90183": "The supplied code_verifier is invalid.",
    "AADB2C90006": "The redirect URI provided in the request is not registered for this client.",
    "AADB2C90018": "The client id specified in the request is not registered in tenant.",
}


# --- small helpers -------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    """Unpadded base64url (JWT segments, PKCE)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier."""
    return b64url(hashlib.sha256(verifier.encode()).digest())


def parse_cookie_header(header: str) -> dict[str, str]:
    """Raw Cookie header to {name: value}, keeping quotes (B2C cookie names break SimpleCookie)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            cookies[name] = value
    return cookies


def error_page(reason: str, status: int = 400) -> web.Response:
    """B2C's bare HTML error page; the reason sits in a comment and a header, for tests."""
    body = (
        "<!DOCTYPE html><html><head><title>Bad Request</title></head><body>"
        "<h2>Bad Request - Invalid Request</h2><hr><p>HTTP Error 400. The request is badly "
        f"formed.</p><!-- {html.escape(reason)} --></body></html>"
    )
    return web.Response(
        status=status, text=body, content_type="text/html", headers={"X-Sim-Reason": reason}
    )


def json_assignment(name: str, value: Any, variant: str) -> str:
    """`var NAME = {...};` formatted the way a settings variant asks for."""
    if variant == "pretty":
        text = json.dumps(value, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if variant == "escaped":
        # ASP.NET-style escaping; these characters only occur inside JSON strings.
        for char, escape in (("/", "\\/"), ("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
            text = text.replace(char, escape)
    return f"var {name} = {text};"


# --- state ---------------------------------------------------------------------------------


@dataclass
class Transaction:
    """One sign-in attempt, from the authorize page to the code redirect."""

    trans_id: str
    csrf: str
    client_state: str
    nonce: str
    challenge: str
    redirect_uri: str
    scopes: frozenset[str]
    fragment: bool
    created: datetime
    cookies: dict[str, str]
    api: str = SIGNIN_API
    account: Account | None = None


@dataclass
class CodeGrant:
    """An authorization code, redeemable once."""

    transaction: Transaction
    account: Account
    issued: datetime
    used: bool = False


@dataclass
class RefreshGrant:
    """A refresh token; `chain_start` is the full login that began its rotation chain."""

    account: Account
    scopes: frozenset[str]
    chain_start: datetime
    used: bool = False


@dataclass
class AccessGrant:
    """A bearer token the portal accepts until `expires`."""

    account: Account
    expires: datetime
    not_before: datetime


@dataclass
class _Throttle:
    minute: datetime | None = None
    count: int = 0


class GrantError(Exception):
    """A token endpoint rejection: HTTP 400 JSON."""

    def __init__(self, error: str, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.error = error
        self.code = code
        self.detail = detail or GRANT_ERRORS.get(code, "")

    def response(self) -> web.Response:
        """The JSON reply B2C gives."""
        body = {"error": self.error, "error_description": f"{self.code}: {self.detail}"}
        return web.json_response(body, status=400)


@dataclass
class TokenStore:
    """Issued codes and tokens."""

    codes: dict[str, CodeGrant] = field(default_factory=dict)
    refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    access: dict[str, AccessGrant] = field(default_factory=dict)


# --- the service ---------------------------------------------------------------------------


class B2CService:
    """Handlers of the login origin."""

    def __init__(self, sim: FluviusSimulator) -> None:
        self.sim = sim
        self.transactions: dict[str, Transaction] = {}
        self.tokens = TokenStore()
        self._rng = Random(f"b2c:{sim.options.seed}")
        self._throttle = _Throttle()

    @property
    def options(self) -> SimOptions:
        """The simulator's live options."""
        return self.sim.options

    def now(self) -> datetime:
        """The simulator's clock."""
        return self.sim.clock.now()

    def routes(self) -> list[web.RouteDef]:
        """Routes of the login app; route names double as endpoint names."""
        base = "/{tenant}/{policy}"
        return [
            web.get(f"{base}/oauth2/v2.0/authorize", self.authorize, name="authorize"),
            web.post(f"{base}/oauth2/v2.0/token", self.token, name="token"),
            web.post(f"{base}/SelfAsserted", self.self_asserted, name="self_asserted"),
            web.get(f"{base}/api/{{api}}/confirmed", self.confirmed, name="confirmed"),
            web.get(
                f"{base}/v2.0/.well-known/openid-configuration",
                self.openid_configuration,
                name="openid_config",
            ),
        ]

    # random material

    def _token(self, nbytes: int = 32) -> str:
        return b64url(self._rng.randbytes(nbytes))

    def _cookie_value(self) -> str:
        """Standard base64 that always contains '+', '/' and '=' (B2C cookies do)."""
        raw = self._rng.randbytes(30) + b"\xfb\xff\xff" + self._rng.randbytes(1)
        return base64.b64encode(raw).decode()

    def _guid(self) -> str:
        h = self._rng.randbytes(16).hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    # shared checks

    @staticmethod
    def _policy_ok(request: web.Request) -> bool:
        info = request.match_info
        return info["tenant"].lower() == TENANT and info["policy"].lower() == POLICY.lower()

    def _cookie_problem(self, request: web.Request, tx: Transaction | None) -> str | None:
        """Why the Cookie header is unacceptable, or None."""
        sent = parse_cookie_header(request.headers.get("Cookie", ""))
        for name, value in sent.items():
            if name.startswith("x-ms-cpim") and value.startswith('"'):
                return f"quoted cookie {name}"
        if tx is None:
            return None
        for name, value in tx.cookies.items():
            if name not in sent:
                return f"missing cookie {name}"
            if sent[name] != value:
                return f"wrong cookie {name}"
        return None

    def _transaction(self, request: web.Request, tx_id: str | None) -> Transaction | str:
        """The live transaction a request names, or why there is none."""
        if not self._policy_ok(request):
            return "unknown policy"
        if (request.query.get("p") or "").lower() != POLICY.lower():
            return "wrong p parameter"
        tx = self.transactions.get(tx_id or "")
        if tx is None:
            return "unknown transaction"
        if self.now() - tx.created > timedelta(seconds=self.options.transaction_lifetime):
            return "transaction expired"
        problem = self._cookie_problem(request, tx)
        return problem if problem else tx

    # 0. discovery

    async def openid_configuration(self, request: web.Request) -> web.Response:
        """OpenID discovery document (not needed by the flow; there for completeness)."""
        if not self._policy_ok(request):
            return error_page("unknown policy", 404)
        authority = self.sim.authority
        return web.json_response(
            {
                "issuer": f"{self.sim.login_url}/{ISSUER_ID}/v2.0/",
                "authorization_endpoint": f"{authority}/oauth2/v2.0/authorize",
                "token_endpoint": f"{authority}/oauth2/v2.0/token",
                "end_session_endpoint": f"{authority}/oauth2/v2.0/logout",
                "response_types_supported": ["code", "code id_token", "id_token"],
                "scopes_supported": ["openid"],
                "code_challenge_methods_supported": ["plain", "S256"],
            }
        )

    # 1. authorize

    async def authorize(self, request: web.Request) -> web.Response:
        """Validate the OAuth request, start a transaction, serve the sign-in page."""
        if not self._policy_ok(request):
            return error_page("unknown policy", 404)
        problem = self._cookie_problem(request, None)
        if problem:
            return error_page(problem)
        q = request.query
        if q.get("client_id") != self.options.client_id:
            return error_page("AADB2C90018: unknown client_id")
        if q.get("redirect_uri") != self.sim.redirect_uri:
            return error_page("AADB2C90006: redirect_uri not registered")
        invalid = self._authorize_problem(q)
        if invalid:
            return self._redirect_error(
                q.get("redirect_uri", ""),
                q.get("state", ""),
                "invalid_request",
                invalid,
                q.get("response_mode") == "fragment",
            )
        tx = self._new_transaction(q)
        response = web.Response(text=self._signin_page(tx), content_type="text/html")
        # A new transaction supersedes the cache cookies of earlier ones (the jar stays small).
        sent = parse_cookie_header(request.headers.get("Cookie", ""))
        for name in sent:
            if name.startswith(CACHE_COOKIE_PREFIX) and name not in tx.cookies:
                response.headers.add("Set-Cookie", f"{name}=; {EXPIRED}; {COOKIE_ATTRIBUTES}")
        for name, value in tx.cookies.items():
            response.headers.add("Set-Cookie", f"{name}={value}; {COOKIE_ATTRIBUTES}")
        return response

    def _authorize_problem(self, q: Any) -> str | None:
        scopes = set((q.get("scope") or "").split())
        if q.get("response_type") != "code":
            return "AADB2C90013: response_type must be code"
        if q.get("response_mode", "query") not in ("query", "fragment"):
            return "AADB2C90226: unsupported response_mode"
        if not _CHALLENGE_RE.match(q.get("code_challenge", "")):
            return "AADB2C90183: a S256 code_challenge is required"
        if q.get("code_challenge_method") != "S256":
            return "AADB2C90183: code_challenge_method must be S256"
        if not q.get("state"):
            return "AADB2C90205: state is required"
        if not q.get("nonce"):
            return "AADB2C90205: nonce is required"
        if not {"openid", "offline_access"} <= scopes:
            return "AADB2C90055: scope must include openid and offline_access"
        return None

    def _new_transaction(self, q: Any) -> Transaction:
        tid = self._guid()
        raw = json.dumps({"TID": tid}, separators=(",", ":")).encode()
        state_props = base64.b64encode(raw).decode().rstrip("=")
        csrf = self._cookie_value()
        cookies = {
            f"x-ms-cpim-sso:{TENANT}_0": self._cookie_value(),
            f"{CACHE_COOKIE_PREFIX}{tid[:8]}_0": self._cookie_value(),
            "x-ms-cpim-trans": self._cookie_value(),
            "x-ms-cpim-csrf": csrf,
            f"x-ms-cpim-geo/{TENANT}": self._cookie_value(),
            "x-ms-cpim-dc": "neu",
        }
        tx = Transaction(
            trans_id=f"StateProperties={state_props}",
            csrf=csrf,
            client_state=q["state"],
            nonce=q["nonce"],
            challenge=q["code_challenge"],
            redirect_uri=q["redirect_uri"],
            scopes=frozenset(q["scope"].split()),
            fragment=self.options.response_in_fragment or q.get("response_mode") == "fragment",
            created=self.now(),
            cookies=cookies,
        )
        self.transactions[tx.trans_id] = tx
        return tx

    def _settings(self, tx: Transaction, api: str) -> dict[str, Any]:
        login = self.sim.login_url
        settings: dict[str, Any] = {
            "remoteResource": f"{login}/static/unified.html?lang=nl&country=BE",
            "retryLimit": 3,
            "trimSpacesInPassword": True,
            "api": api,
            "csrf": tx.csrf,
            "transId": tx.trans_id,
            "pageViewId": self._guid(),
            "suppressElementCss": False,
            "isPageViewIdSentWithHeader": False,
            "allowAutoFocusOnPasswordField": True,
            "pageMode": 0,
            "config": {
                "showSignupLink": "False",
                "sendHintOnSignup": "False",
                "includePasswordRequirements": True,
                "enableRememberMe": True,
                "operatingMode": "Email",
                "forgotPasswordLinkOverride": "",
            },
            "hosts": {
                "tenant": TENANT_PATH,
                "policy": POLICY,
                "static": f"{login}/static/",
            },
            "locale": {"lang": "nl", "country": "BE"},
            "xhrSettings": {"retryEnabled": True, "retryMaxAttempts": 3, "retryDelay": 200},
        }
        if self.options.settings_variant == "tricky":
            settings["config"]["signupHint"] = (
                'Nog geen account? {Registreer} hier}; var x = {"a":1};'
            )
            settings["config"]["pattern"] = "^[^{};]+$"
        return settings

    def _sa_fields(self) -> dict[str, Any]:
        login_id, password_id = self.options.field_ids
        common = {"IS_REQ": True, "IS_RHB": False, "IS_ROB": False, "IS_RW": False}
        return {
            "AttributeFields": [
                {
                    **common,
                    "IS_PASSWORD": False,
                    "DN": "E-mailadres",
                    "ID": login_id,
                    "TYPE": "EmailBox",
                    "VALIDATION": {
                        "PAT": "^[a-zA-Z0-9.!#$%&'^_`{}~-]+@[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*$",
                        "MSG": "Vul een geldig e-mailadres in.",
                    },
                },
                {
                    **common,
                    "IS_PASSWORD": True,
                    "DN": "Wachtwoord",
                    "ID": password_id,
                    "TYPE": "Password",
                    "VALIDATION": {"PAT": "^.{1,256}$", "MSG": "Vul uw wachtwoord in."},
                },
            ]
        }

    def _signin_page(self, tx: Transaction, api: str = SIGNIN_API) -> str:
        variant = self.options.settings_variant
        settings = json_assignment("SETTINGS", self._settings(tx, api), variant)
        fields = json_assignment("SA_FIELDS", self._sa_fields(), variant)
        content = json_assignment(
            "CONTENT",
            {
                "heading": "Aanmelden bij Mijn Fluvius",
                "remember_me": "Aangemeld blijven",
                "tricky": "Sluit af met }; en open met { of {{ }} ;",
            },
            variant,
        )
        scripts = (
            [content, settings, fields] if variant == "tricky" else [settings, fields, content]
        )
        body = "\n".join(f"    {s}" for s in scripts)
        return (
            '<!DOCTYPE html>\n<html lang="nl"><head>\n'
            '  <meta charset="utf-8"><title>Aanmelden - Mijn Fluvius</title>\n'
            '  <script data-container="true" nonce="cHJldHR5LW5vbmNl">\n'
            f"{body}\n"
            "  </script>\n"
            '</head><body><div id="api" data-name="Unified"></div></body></html>\n'
        )

    # 3. credentials

    async def self_asserted(self, request: web.Request) -> web.Response:
        """Check the transaction, then the credentials; rejections are HTTP 200 JSON."""
        tx = self._transaction(request, request.query.get("tx"))
        if isinstance(tx, str):
            return error_page(tx)
        if request.headers.get("X-CSRF-TOKEN") != tx.csrf:
            return error_page("CSRF token mismatch")
        if request.headers.get("X-Requested-With") != "XMLHttpRequest":
            return error_page("not an XMLHttpRequest")
        form = await request.post()
        if form.get("request_type") != "RESPONSE":
            return error_page("request_type must be RESPONSE")
        code = self._check_credentials(request, tx, form)
        if code is not None:
            self.sim.stats.failed_logins += 1
            message = MESSAGES.get(code, code)
            return self._status_json({"status": "400", "errorCode": code, "message": message})
        response = self._status_json({"status": "200"})
        value = self._cookie_value()
        tx.cookies[CTX_COOKIE] = value
        response.headers.add("Set-Cookie", f"{CTX_COOKIE}={value}; {COOKIE_ATTRIBUTES}")
        return response

    def _status_json(self, body: dict[str, str]) -> web.Response:
        """SelfAsserted's HTTP 200 JSON, in the configured content type."""
        content_type = self.options.self_asserted_content_type
        return web.Response(text=json.dumps(body), content_type=content_type)

    def _check_credentials(self, request: web.Request, tx: Transaction, form: Any) -> str | None:
        """None on success (and binds the account), else the B2C error code."""
        forced = request.get("b2c_error")
        if forced:
            return forced
        if self._throttled():
            return "AADB2C90244"
        login_id, password_id = self.options.field_ids
        account = self.sim.account(str(form.get(login_id, "")))
        if account is None:
            return "AADB2C90053"
        if account.kind == "disabled":
            return "AADB2C90111"
        now = self.now()
        if account.locked_until is not None and now < account.locked_until:
            return "AADB2C90114"
        if form.get(password_id) != account.password:
            self._count_failure(account, now)
            return "AADB2C90054"
        account.failures = account.lockouts = 0
        account.locked_until = None
        tx.account = account
        return None

    def _count_failure(self, account: Account, now: datetime) -> None:
        account.failures += 1
        if account.failures >= self.options.lockout_threshold:
            account.failures = 0
            account.lockouts += 1
            seconds = self.options.lockout_seconds * 2 ** (account.lockouts - 1)
            seconds = min(seconds, self.options.lockout_max_seconds)
            account.locked_until = now + timedelta(seconds=seconds)

    def _throttled(self) -> bool:
        """More than `throttle_limit` submissions within one sim-clock minute."""
        limit = self.options.throttle_limit
        if limit is None:
            return False
        minute = self.now().replace(second=0, microsecond=0)
        if self._throttle.minute != minute:
            self._throttle = _Throttle(minute, 0)
        self._throttle.count += 1
        return self._throttle.count > limit

    # 4. confirm

    async def confirmed(self, request: web.Request) -> web.Response:
        """Finish the transaction: code redirect, error redirect or an interactive page."""
        tx = self._transaction(request, request.query.get("tx"))
        if isinstance(tx, str):
            return error_page(tx)
        if request.match_info["api"] != tx.api:
            return error_page("wrong api segment")
        if request.query.get("csrf_token") != tx.csrf:
            return error_page("CSRF token mismatch")
        account = tx.account
        if account is None:
            return error_page("credentials were not accepted in this transaction")
        forced = request.get("b2c_error")
        if forced:
            return self._fail_redirect(tx, "server_error", f"{forced}: {MESSAGES.get(forced, '')}")
        if account.kind == "interactive":
            tx.api = INTERACTIVE_API
            page = self._signin_page(tx, INTERACTIVE_API)
            return web.Response(text=page, content_type="text/html")
        if account.kind == "confirm_error":
            detail = "AADB2C90091: The user has cancelled entering self-asserted information."
            return self._fail_redirect(tx, "access_denied", detail)
        code = (
            "eyJraWQiOiJjcGltY29yZV8wOTI1MjAxNSIsInZlciI6IjEuMCIsInppcCI6IkRlZmxhdGUifQ."
            + self._token(96)
        )
        self.tokens.codes[code] = CodeGrant(tx, account, self.now())
        del self.transactions[tx.trans_id]
        return self._redirect(
            tx.redirect_uri, tx.fragment, {"state": tx.client_state, "code": code}
        )

    def _fail_redirect(self, tx: Transaction, error: str, description: str) -> web.Response:
        self.sim.stats.failed_logins += 1
        del self.transactions[tx.trans_id]
        params = {"error": error, "error_description": description, "state": tx.client_state}
        return self._redirect(tx.redirect_uri, tx.fragment, params)

    def _redirect_error(
        self, redirect_uri: str, state: str, error: str, description: str, fragment: bool
    ) -> web.Response:
        params = {"error": error, "error_description": description, "state": state}
        return self._redirect(redirect_uri, fragment, params)

    @staticmethod
    def _redirect(redirect_uri: str, fragment: bool, params: dict[str, str]) -> web.Response:
        location = f"{redirect_uri}{'#' if fragment else '?'}{urlencode(params)}"
        return web.Response(status=302, headers={"Location": location})

    # 5./6. token

    async def token(self, request: web.Request) -> web.Response:
        """authorization_code and refresh_token grants."""
        if not self._policy_ok(request):
            return error_page("unknown policy", 404)
        problem = self._cookie_problem(request, None)
        if problem:
            return error_page(problem)
        try:
            response = web.json_response(await self._token_grant(request))
        except GrantError as err:
            response = err.response()
        if origin := request.headers.get("Origin"):
            # CORS, as B2C answers the SPA's cross-origin token requests.
            response.headers["Access-Control-Allow-Origin"] = origin
        return response

    async def _token_grant(self, request: web.Request) -> dict[str, Any]:
        if self.options.require_origin and not request.headers.get("Origin"):
            raise GrantError(
                "invalid_request",
                "AADB2C99067",
                "Tokens issued for the 'Single-Page Application' client-type may only be "
                "redeemed via cross-origin requests.",
            )
        if request.content_type != "application/x-www-form-urlencoded":
            raise GrantError("invalid_request", "AADB2C90075", "The request body must be a form.")
        form = await request.post()
        forced = request.get("b2c_error")
        if forced:
            raise GrantError("invalid_grant", forced, "Simulated B2C failure.")
        if form.get("client_id") != self.options.client_id:
            raise GrantError("invalid_request", "AADB2C90018")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            try:
                return self._redeem_code(form)
            except GrantError:
                self.sim.stats.failed_logins += 1
                raise
        if grant_type == "refresh_token":
            return self._redeem_refresh(form)
        raise GrantError("unsupported_grant_type", "AADB2C90086", "Unsupported grant type.")

    def _redeem_code(self, form: Any) -> dict[str, Any]:
        grant = self.tokens.codes.get(str(form.get("code", "")))
        if grant is None:
            raise GrantError("invalid_grant", "AADB2C90088")
        if grant.used:
            raise GrantError("invalid_grant", "AADB2C90129")
        grant.used = True  # single use, even when this redemption fails
        now = self.now()
        if now - grant.issued > timedelta(seconds=self.options.code_lifetime):
            raise GrantError("invalid_grant", "AADB2C90080")
        if form.get("redirect_uri") != grant.transaction.redirect_uri:
            raise GrantError("invalid_grant", "AADB2C90006")
        if pkce_challenge(str(form.get("code_verifier", ""))) != grant.transaction.challenge:
            raise GrantError("invalid_grant", "AADB2C90183")
        self.sim.stats.logins += 1
        return self._issue(grant.account, grant.transaction.scopes, now, grant.transaction.nonce)

    def _redeem_refresh(self, form: Any) -> dict[str, Any]:
        token = str(form.get("refresh_token", ""))
        grant = self.tokens.refresh.get(token)
        if grant is None:
            raise GrantError("invalid_grant", "AADB2C90090")
        if grant.used:
            raise GrantError("invalid_grant", "AADB2C90129")
        now = self.now()
        if now >= grant.chain_start + timedelta(seconds=self.options.refresh_token_lifetime):
            raise GrantError("invalid_grant", "AADB2C90080")
        grant.used = True
        self.sim.stats.refreshes += 1
        return self._issue(grant.account, grant.scopes, grant.chain_start, None)

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = {
            "alg": "RS256",
            "kid": "X5eXk4xyojNFum1kl2Ytv8dlNP4-c57dO6QGTVBwaNk",
            "typ": "JWT",
        }
        parts = [json.dumps(header).encode(), json.dumps(claims).encode()]
        return ".".join([*(b64url(p) for p in parts), self._token(256)])

    def _issue(
        self, account: Account, scopes: frozenset[str], chain_start: datetime, nonce: str | None
    ) -> dict[str, Any]:
        """Mint tokens; the refresh chain keeps its first login's start."""
        opts = self.options
        now = self.now()
        iat = int(now.timestamp())
        lifetime = opts.access_token_lifetime
        claims = {
            "iss": f"{self.sim.login_url}/{ISSUER_ID}/v2.0/",
            "exp": iat + lifetime,
            "nbf": iat,
            "iat": iat,
            "aud": opts.client_id,
            "sub": account.subject,
            "emails": [account.email],
            "tfp": POLICY,
            "ver": "1.0",
        }
        id_claims = {**claims, "nonce": nonce} if nonce else dict(claims)
        refresh = self._token(48) + "." + self._token(384)
        self.tokens.refresh[refresh] = RefreshGrant(account, scopes, chain_start)
        rt_left = opts.refresh_token_lifetime - int((now - chain_start).total_seconds())
        body: dict[str, Any] = {
            "id_token": self._jwt(id_claims),
            "token_type": "Bearer",
            "id_token_expires_in": lifetime,
            "profile_info": b64url(json.dumps({"ver": "1.0", "tid": ISSUER_ID}).encode()),
            "scope": " ".join(sorted(scopes)),
            "refresh_token": refresh,
            "refresh_token_expires_in": rt_left,
        }
        if opts.api_scope in scopes:
            access = self._jwt({**claims, "scp": "user_impersonation", "azp": opts.client_id})
            expires = now + timedelta(seconds=lifetime)
            self.tokens.access[access] = AccessGrant(account, expires, now)
            body["access_token"] = access
            body["resource"] = opts.api_scope.rsplit("/", 1)[0]
        if opts.token_expiry_fields in ("all", "expires_in_only"):
            body["expires_in"] = lifetime
        if opts.token_expiry_fields == "all":
            body["expires_on"] = iat + lifetime
            body["not_before"] = iat
        if opts.token_numbers_as_strings:
            body = {k: str(v) if isinstance(v, int) else v for k, v in body.items()}
        return body

    # used by the portal

    def account_for(self, authorization: str | None) -> Account | None:
        """The account behind a valid, unexpired `Bearer` header, else None."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        grant = self.tokens.access.get(authorization.removeprefix("Bearer ").strip())
        if grant is None:
            return None
        now = self.now()
        if not grant.not_before <= now < grant.expires:
            return None
        return grant.account

    def revoke(self, email: str | None = None) -> int:
        """Invalidate access and refresh tokens (of one account, or all); returns the count."""
        target = email.lower() if email else None
        count = 0
        for grant in self.tokens.refresh.values():
            if not grant.used and target in (None, grant.account.email.lower()):
                grant.used = True
                count += 1
        for token, access in list(self.tokens.access.items()):
            if target in (None, access.account.email.lower()):
                del self.tokens.access[token]
                count += 1
        return count
