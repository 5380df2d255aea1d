"""URL rules: plain http only towards loopback, plus masking of identifiers for messages."""

from __future__ import annotations

import ipaddress

from yarl import URL

from .errors import FluviusInsecureUrlError

_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_allowed(url: URL) -> bool:
    """https anywhere; http only on loopback (the test simulator)."""
    if url.scheme == "https":
        return bool(url.host)
    return url.scheme == "http" and is_loopback(url.host)


def checked_url(raw: str | URL, *, what: str) -> URL:
    """Parse a URL and refuse anything that could send secrets in the clear.

    Raises FluviusInsecureUrlError (also a ValueError).
    """
    try:
        url = URL(raw) if isinstance(raw, str) else raw
    except TypeError, ValueError:
        raise FluviusInsecureUrlError(f"{what} is not a valid URL") from None
    if not url.is_absolute() or not is_allowed(url):
        raise FluviusInsecureUrlError(
            f"{what} must be https (http is only allowed on loopback hosts)"
        )
    if url.user or url.password:
        raise FluviusInsecureUrlError(f"{what} must not carry credentials")
    return url


def mask_ean(ean: str) -> str:
    """The one short form of an EAN (or serial) for names, messages and logs: …1234.

    Every Belgian EAN starts with 54, so the last four digits are what tells meters apart.
    """
    ean = str(ean)
    if len(ean) <= 8:
        return "…" + ean[-2:]
    return f"…{ean[-4:]}"
