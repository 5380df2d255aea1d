"""One HTTP exchange with a timeout, turned into a Response or a FluviusError."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from .errors import (
    FluviusConnectionError,
    FluviusRateLimitError,
    FluviusServerError,
    FluviusTimeoutError,
)


@dataclass(slots=True)
class Counters:
    """Mutable counters behind ClientStats."""

    requests: int = 0
    logins: int = 0
    refreshes: int = 0
    last_login: datetime | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """A fully read answer; the connection is already released."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: URL

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(slots=True)
class Transport:
    """Shared settings: timeout, clock for Retry-After dates, request counter."""

    timeout: float
    clock: Callable[[], datetime]
    counters: Counters = field(default_factory=Counters)

    async def request(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL | str,
        *,
        what: str,
        **kwargs: Any,
    ) -> Response:
        """Send one request and read the whole body, within `timeout` seconds in total."""
        self.counters.requests += 1
        # Exceptions are re-raised without their cause: aiohttp's carry URLs with codes in them.
        try:
            async with asyncio.timeout(self.timeout):
                async with session.request(
                    method, url, timeout=aiohttp.ClientTimeout(total=self.timeout), **kwargs
                ) as resp:
                    body = await resp.read()
                    return Response(resp.status, resp.headers, body, resp.url)
        except TimeoutError:
            raise FluviusTimeoutError(f"{what}: no answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as err:
            raise FluviusConnectionError(f"{what}: {type(err).__name__}") from None
        except OSError as err:
            raise FluviusConnectionError(f"{what}: {err.strerror or type(err).__name__}") from None

    def check_common(self, resp: Response, what: str) -> None:
        """Statuses with the same meaning everywhere: 429 and 5xx."""
        if resp.status == 429:
            retry = retry_after(resp.headers.get("Retry-After"), self.clock())
            hint = f", retry after {retry:g} s" if retry is not None else ""
            raise FluviusRateLimitError(f"{what}: too many requests{hint}", retry_after=retry)
        if resp.status >= 500:
            raise FluviusServerError(f"{what}: server error {resp.status}", status=resp.status)


def retry_after(raw: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not raw:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())
