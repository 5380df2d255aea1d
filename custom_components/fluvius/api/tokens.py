"""Token sets: expiry arithmetic on the client clock, persistence, JWT timing claims."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import json
from typing import Any

from .errors import FluviusLoginFlowError
from .parsing import to_float

RENEW_MARGIN = timedelta(seconds=60)  # renew this long before the access token expires
FALLBACK_LIFETIME = timedelta(minutes=5)  # when an answer gives no expiry at all


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` claim of a JWT, read without verifying it (used only for timing)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return _epoch(claims.get("exp"))
    except (IndexError, ValueError, AttributeError, TypeError, RecursionError):
        return None


def _epoch(value: object) -> datetime | None:
    seconds = to_float(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _after(now: datetime, value: object) -> datetime | None:
    """now + value seconds; None when absent or absurd (NaN, overflow)."""
    seconds = to_float(value)
    if seconds is None:
        return None
    try:
        return now + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Tokens in use, with expiry instants judged on the client clock."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    refresh_expires_at: datetime | None  # counted from the first login, never extended
    login_at: datetime

    def access_valid(self, now: datetime) -> bool:
        return now < self.expires_at - RENEW_MARGIN

    def refresh_usable(self, now: datetime) -> bool:
        if not self.refresh_token:
            return False
        return self.refresh_expires_at is None or now < self.refresh_expires_at - RENEW_MARGIN

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "refresh_expires_at": (
                self.refresh_expires_at.isoformat() if self.refresh_expires_at else None
            ),
            "login_at": self.login_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenSet:
        """Inverse of to_dict; raises ValueError/TypeError/KeyError on bad input."""
        access = data["access_token"]
        refresh = data.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise ValueError("access_token")
        if refresh is not None and not isinstance(refresh, str):
            raise ValueError("refresh_token")
        raw_refresh_expiry = data.get("refresh_expires_at")
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_at=_aware(data["expires_at"]),
            refresh_expires_at=_aware(raw_refresh_expiry) if raw_refresh_expiry else None,
            login_at=_aware(data["login_at"]),
        )


def _aware(raw: object) -> datetime:
    if not isinstance(raw, str):
        raise TypeError("timestamp")
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError("naive timestamp")
    return moment.astimezone(UTC)


def token_set_from_answer(
    payload: object, now: datetime, previous: TokenSet | None = None
) -> TokenSet:
    """A token endpoint answer → TokenSet. `previous` is set for refresh-token grants."""
    if not isinstance(payload, dict):
        raise FluviusLoginFlowError("token answer is not a JSON object")
    access = payload.get("access_token")
    if not isinstance(access, str) or not access:
        raise FluviusLoginFlowError("token answer has no access_token")
    expires_at = (
        _epoch(payload.get("expires_on"))
        or _after(now, payload.get("expires_in"))
        or jwt_expiry(access)
        or now + FALLBACK_LIFETIME
    )

    refresh = payload.get("refresh_token")
    refresh = refresh if isinstance(refresh, str) and refresh else None
    refresh_expires_at = _after(now, payload.get("refresh_token_expires_in"))
    login_at = now
    if previous is not None:
        login_at = previous.login_at
        refresh = refresh or previous.refresh_token
        # The lifetime runs from the first login: a rotated token never extends it.
        if previous.refresh_expires_at is not None:
            refresh_expires_at = min(
                filter(None, (previous.refresh_expires_at, refresh_expires_at))
            )
    return TokenSet(access, refresh, expires_at, refresh_expires_at, login_at)


def account_key(email: str) -> str:
    """A non-reversible tag tying exported tokens to one account."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]
