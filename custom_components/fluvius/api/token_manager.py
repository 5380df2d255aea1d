"""The token lifecycle: one valid access token for all callers, refreshed or renewed by a
full sign-in as needed, one at a time; rejected credentials block further sign-ins; the
tokens exported and imported for persistence."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
import logging
from typing import Any

from yarl import URL

from .auth import B2CLogin, RefreshRejected, refresh_tokens
from .errors import (
    FluviusAccountLockedError,
    FluviusAuthError,
    FluviusError,
    FluviusInvalidCredentialsError,
    FluviusLoginRejectedError,
)
from .msal import MsalConfig
from .security import checked_url
from .tokens import FALLBACK_LIFETIME, TokenSet, account_key, jwt_expiry
from .transport import Transport

_LOGGER = logging.getLogger(__name__)


class TokenManager:
    """Hands out a valid access token; one login or refresh at a time for all callers."""

    def __init__(
        self,
        transport: Transport,
        portal: URL,
        email: str,
        password: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._transport = transport
        self._portal = portal
        self._email = email
        self._password = password
        self._clock = clock
        self._lock = asyncio.Lock()
        self._tokens: TokenSet | None = None
        self._config: MsalConfig | None = None
        self._blocked: FluviusAuthError | None = None

    # -- public

    async def access_token(self) -> str:
        """A token valid for at least RENEW_MARGIN, renewing it if needed."""
        tokens = self._tokens
        if tokens is not None and tokens.access_valid(self._clock()):
            return tokens.access_token
        async with self._lock:
            return (await self._renew_locked(force_refresh=False)).access_token

    async def renew_after_rejection(self, rejected: str) -> str:
        """The portal said 401 to `rejected`: renew once (unless a peer already did)."""
        async with self._lock:
            tokens = self._tokens
            if tokens is not None and tokens.access_token != rejected:
                return tokens.access_token
            return (await self._renew_locked(force_refresh=True)).access_token

    async def login(self) -> None:
        """Full login now; clears a credentials block (the user asked for it)."""
        async with self._lock:
            self._blocked = None
            await self._login_locked()

    def allow_login(self) -> None:
        """The credentials were just confirmed by a login elsewhere: lift a block."""
        self._blocked = None

    def set_password(self, password: str) -> None:
        """A new password lifts a credentials block; the same one does not."""
        if password != self._password:
            self._password = password
            self._blocked = None

    def adopt(self, access_token: str) -> None:
        """Use an access token obtained elsewhere until it expires (its JWT `exp`, else
        FALLBACK_LIFETIME); it comes without a refresh token."""
        now = self._clock()
        expires_at = jwt_expiry(access_token) or now + FALLBACK_LIFETIME
        self._tokens = TokenSet(access_token, None, expires_at, None, now)

    def export(self) -> dict[str, Any] | None:
        if self._tokens is None:
            return None
        data = self._tokens.to_dict()
        data["account"] = account_key(self._email)
        if self._config is not None:
            data["msal"] = {
                "client_id": self._config.client_id,
                "authority": str(self._config.authority),
                "redirect_uri": self._config.redirect_uri,
                "scopes": list(self._config.scopes),
            }
        return data

    def import_(self, data: dict[str, Any]) -> bool:
        """Adopt exported tokens; ignored (False) when malformed or of another account."""
        try:
            if data.get("account") != account_key(self._email):
                return False
            tokens = TokenSet.from_dict(data)
            msal = data.get("msal")
            config = None
            if isinstance(msal, dict):
                config = MsalConfig(
                    client_id=str(msal["client_id"]),
                    authority=checked_url(str(msal["authority"]), what="MSAL authority"),
                    redirect_uri=str(msal["redirect_uri"]),
                    scopes=tuple(str(s) for s in msal["scopes"]),
                )
        except (KeyError, TypeError, ValueError, AttributeError, FluviusError):
            _LOGGER.debug("Ignoring stored tokens that do not parse")
            return False
        self._tokens, self._config = tokens, config
        return True

    # -- internals (caller holds the lock)

    async def _renew_locked(self, *, force_refresh: bool) -> TokenSet:
        now = self._clock()
        tokens = self._tokens
        if tokens is not None and not force_refresh and tokens.access_valid(now):
            return tokens
        if tokens is not None and tokens.refresh_usable(now):
            try:
                return await self._refresh_locked(tokens)
            except RefreshRejected:
                _LOGGER.debug("Refresh token refused; logging in again")
                # Dead for good: should the login fail too, the next try goes straight to it.
                self._tokens = None
        return await self._login_locked()

    async def _refresh_locked(self, tokens: TokenSet) -> TokenSet:
        fresh, self._config = await refresh_tokens(
            self._transport, self._portal, tokens, self._config, self._clock
        )
        self._transport.counters.refreshes += 1
        self._tokens = fresh
        _LOGGER.debug("Access token refreshed")
        return fresh

    async def _login_locked(self) -> TokenSet:
        if self._blocked is not None:
            # Never retry rejected credentials on our own: B2C would lock the account.
            blocked = self._blocked
            message = f"{blocked}; not retried automatically: call login() or set a new password"
            raise type(blocked)(message, **_extra(blocked))
        if not self._password:
            # A client given only a token: never send B2C an empty password (it counts).
            raise FluviusInvalidCredentialsError("no password to sign in with")
        login = B2CLogin(self._transport, self._portal, self._email, self._password)
        try:
            tokens, config = await login.run(self._clock)
        except FluviusAuthError as err:
            self._blocked = err
            raise
        self._tokens, self._config = tokens, config
        counters = self._transport.counters
        counters.logins += 1
        counters.last_login = self._clock()
        _LOGGER.debug("Logged in")
        return tokens


def _extra(err: FluviusAuthError) -> dict[str, Any]:
    """Keyword arguments needed to rebuild an error of the same class."""
    if isinstance(err, FluviusAccountLockedError):
        return {"permanent": err.permanent}
    if isinstance(err, FluviusLoginRejectedError):
        return {"code": err.code}
    return {}
