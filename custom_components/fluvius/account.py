"""One Fluvius account: its client, its stored token state and dialects, its login block.

A config entry is one account; its meters are config subentries. The account is created when
the entry is set up and closed when it unloads, so there is nothing to share or count. Its
store (`.storage/fluvius.<account fingerprint>`) is the one source of truth for what outlives a
restart: the token state, what was learnt about each meter's portal dialect, and whether
the portal rejected the credentials. The config flow writes the same store after it logged
in, so a new entry, or an entry reloaded after re-authentication, does not log in again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import DEFAULT_PORTAL_URL
from .api.client import FluviusClient
from .api.errors import (
    FluviusAccountLockedError,
    FluviusAuthError,
    FluviusInteractionRequiredError,
    FluviusInvalidCredentialsError,
)
from .api.models import MeterProbe
from .const import DOMAIN, STORAGE_VERSION

_LOGGER = logging.getLogger(__name__)

# Where the integration finds the portal (the simulator in development and tests).
PORTAL_URL_ENV: Final = "FLUVIUS_PORTAL_URL"


def portal_url() -> str:
    """The portal this Home Assistant talks to: the public one unless told otherwise."""
    return os.environ.get(PORTAL_URL_ENV) or DEFAULT_PORTAL_URL


def fingerprint(email: str) -> str:
    """A stable, non-reversible tag of the account a stored state belongs to."""
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:16]


def account_store(hass: HomeAssistant, email: str) -> Store[dict[str, Any]]:
    """The private store of one account (named by the account's fingerprint, which is also
    the entry's unique ID, so a config flow can write it before the entry exists)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{fingerprint(email)}", private=True)


def merge_dialects(older: Any, newer: Any) -> Any:
    """Dialects learnt by two clients of one account: the newer wins per meter."""
    if not isinstance(older, dict) or older.get("version") != (newer or {}).get("version"):
        return newer or older
    if not isinstance(newer, dict):
        return older
    return {**newer, "meters": {**older.get("meters", {}), **newer.get("meters", {})}}


def create_client(hass: HomeAssistant, email: str, password: str) -> FluviusClient:
    """A client on Home Assistant's shared session, at the configured portal."""
    return FluviusClient(
        email,
        password,
        session=async_get_clientsession(hass),
        clock=dt_util.utcnow,
        portal_url=portal_url(),
    )


def block_reason(err: FluviusAuthError) -> str:
    """The translation key that tells the user why logging in stopped."""
    if isinstance(err, FluviusAccountLockedError):
        return "account_locked"
    if isinstance(err, FluviusInteractionRequiredError):
        return "interaction_required"
    return "auth_failed"


def blocked_error(reason: str) -> FluviusAuthError:
    """The error of a login the account must not try (the portal rejected it before)."""
    if reason == "account_locked":
        return FluviusAccountLockedError("login blocked", permanent=False)
    if reason == "interaction_required":
        return FluviusInteractionRequiredError("login blocked")
    return FluviusInvalidCredentialsError("login blocked")


class FluviusAccount:
    """The client of one entry's account, and what of it is kept across restarts."""

    def __init__(self, hass: HomeAssistant, email: str, client: FluviusClient) -> None:
        """Wrap a client; nothing is loaded before async_load."""
        self.client = client
        self._email = email
        self._store = account_store(hass, email)
        self._saved: dict[str, Any] | None = None
        # Why the portal rejected the credentials (a translation key), or None. Set, no
        # request logs in again until the user re-authenticates: B2C locks accounts.
        self.blocked: str | None = None

    @classmethod
    async def async_open(cls, hass: HomeAssistant, email: str, password: str) -> FluviusAccount:
        """The account, with what its store holds."""
        account = cls(hass, email, create_client(hass, email, password))
        await account.async_load()
        return account

    async def async_load(self) -> None:
        """Adopt the stored token state, dialects and login block of this account."""
        stored = await self._store.async_load() or {}
        self._saved = stored
        if stored.get("account") != fingerprint(self._email):
            return  # another account's (the e-mail was changed): start afresh
        if tokens := stored.get("tokens"):
            self.client.import_tokens(tokens)
        if dialects := stored.get("dialects"):
            self.client.import_dialects(dialects)
        self.blocked = stored.get("blocked")

    def block(self, err: FluviusAuthError) -> str:
        """Remember that the credentials were rejected; returns the reason's key."""
        self.blocked = block_reason(err)
        return self.blocked

    def snapshot(self) -> dict[str, Any]:
        """What is stored: token state, dialects and the login block."""
        return {
            "account": fingerprint(self._email),
            "tokens": self.client.export_tokens(),
            "dialects": self.client.export_dialects(),
            "blocked": self.blocked,
        }

    async def async_save(self) -> None:
        """Store the current state when it changed, unless a config flow wrote the store
        since we read it (its fresh login beats what this client holds)."""
        snapshot = self.snapshot()
        if snapshot == self._saved:
            return
        if (await self._store.async_load() or {}) != (self._saved or {}):
            _LOGGER.debug("Account state was renewed by a login elsewhere; not overwriting it")
            return
        await self._store.async_save(snapshot)
        self._saved = snapshot

    async def async_close(self) -> None:
        """Save, then close the client's own sessions."""
        try:
            await self.async_save()
        finally:
            await self.client.close()


async def async_login(hass: HomeAssistant, email: str, password: str) -> None:
    """Log in with new credentials and store the fresh token state as the account's (with
    no login block), keeping what was learnt about its meters."""
    client = create_client(hass, email, password)
    try:
        await client.login()
        store = account_store(hass, email)
        stored = await store.async_load() or {}
        snapshot = FluviusAccount(hass, email, client).snapshot()
        if stored.get("account") == snapshot["account"]:
            snapshot["dialects"] = merge_dialects(stored.get("dialects"), snapshot["dialects"])
        await store.async_save(snapshot)
    finally:
        await client.close()


async def async_probe(
    hass: HomeAssistant, email: str, password: str, ean: str, serial: str, *, typed: bool = True
) -> MeterProbe:
    """Probe one meter with the account's stored token state (logging in only if it has
    none that works), and store what was learnt.

    ``typed``: the user just typed these credentials, so a login block is lifted; with
    stored credentials (False) a blocked account raises its block instead of logging in.
    """
    account = await FluviusAccount.async_open(hass, email, password)
    try:
        if account.blocked is not None:
            if not typed:
                raise blocked_error(account.blocked)
            account.client.allow_login()
            account.blocked = None
        return await account.client.probe(ean, serial)
    except FluviusAuthError as err:
        account.block(err)
        raise
    finally:
        await account.async_close()
