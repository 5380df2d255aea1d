"""URL rules: plain http only towards loopback; the EAN check; masking of identifiers for
messages and for the diagnostics download."""

from __future__ import annotations

from collections.abc import Iterable
import ipaddress
import re
from typing import Any

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
    except (TypeError, ValueError):
        raise FluviusInsecureUrlError(f"{what} is not a valid URL") from None
    if not url.is_absolute() or not is_allowed(url):
        raise FluviusInsecureUrlError(
            f"{what} must be https (http is only allowed on loopback hosts)"
        )
    if url.user or url.password:
        raise FluviusInsecureUrlError(f"{what} must not carry credentials")
    return url


class InvalidEan(ValueError):
    """The EAN is not a Belgian 18-digit GSRN with a valid check digit."""


def normalize_ean(raw: str) -> str:
    """Strip white space and check length, prefix and GS1 mod-10 check digit (InvalidEan)."""
    ean = "".join(raw.split())
    if len(ean) != 18 or not ean.isdigit() or not ean.startswith("54"):
        raise InvalidEan
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(ean[:-1]))
    )
    if (10 - total % 10) % 10 != int(ean[-1]):
        raise InvalidEan
    return ean


def mask_ean(ean: str) -> str:
    """The one short form of an EAN (or serial) for names, messages and logs: …1234.

    Every Belgian EAN starts with 54, so the last four digits are what tells meters apart.
    """
    ean = str(ean)
    if len(ean) <= 8:
        return "…" + ean[-2:]
    return f"…{ean[-4:]}"


# What an identifier looks like, wherever it came from (configured, mistyped, stale, another
# account's): an EAN is 18 digits starting with 54 (every Belgian one); a meter serial is a
# digit, three letters and at least six digits (1SAG1100042062, 1KFM0020571234), any case.
# Both also with a white-space character between their characters, as typed ("5414 4882 …").
EAN_LIKE = re.compile(r"(?<!\d)5\s?4(?:\s?\d){16}(?!\d)")
SERIAL_LIKE = re.compile(r"(?<!\d)\d\s?[A-Za-z]{3}(?:\s?\d){6,}(?!\d)")
_MIN_KNOWN = 6  # a known identifier shorter than this is not searched for (it would mask numbers)


def _masked(match: re.Match[str]) -> str:
    return mask_ean("".join(match.group(0).split()))


def _known_pattern(value: str) -> re.Pattern[str] | None:
    """A known identifier in any case, with or without white space between its characters."""
    compact = "".join(value.split())
    if len(compact) < _MIN_KNOWN:
        return None
    return re.compile(r"\s?".join(map(re.escape, compact)), re.IGNORECASE)


def redact_identifiers(value: Any, known: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like tree with every EAN-like and serial-like value masked (…1234),
    in dictionary keys as in values and inside longer strings, whatever its origin.

    ``known``: identifiers of any shape (the configured serials) masked as well. Keys that
    become equal once masked are numbered, so nothing is lost.
    """
    patterns = [p for p in map(_known_pattern, known) if p is not None]

    def text(raw: str) -> str:
        for pattern in (*patterns, EAN_LIKE, SERIAL_LIKE):
            raw = pattern.sub(_masked, raw)
        return raw

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            out: dict[Any, Any] = {}
            for key, inner in item.items():
                label = base = walk(key)
                number = 1
                while label in out:
                    number += 1
                    label = f"{base} ({number})"
                out[label] = walk(inner)
            return out
        if isinstance(item, (list, tuple, set)):
            return [walk(inner) for inner in item]
        if isinstance(item, str):
            return text(item)
        if isinstance(item, int) and not isinstance(item, bool):
            masked = text(str(item))
            return item if masked == str(item) else masked
        return item

    return walk(value)
