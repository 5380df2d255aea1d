"""One run's link to Mijn Fluvius: settings from the command line and the environment, the
integration's own client, the optional token cache, progress and the redacted request log
on stderr."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import getpass
import json
import logging
import os
from pathlib import Path
import sys
import tempfile
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..api import DEFAULT_PORTAL_URL, FluviusClient
from ..api.brussels import local_today
from ..api.fetching import IMPORT_PAUSE_SECONDS, IMPORT_STEP_DAYS
from ..api.security import InvalidEan, checked_url, normalize_ean, redact_identifiers

# The integration's history import pace: a range is fetched in steps this long, with a
# pause between them, so a year is not asked as one burst.
CHUNK_DAYS = IMPORT_STEP_DAYS
PAUSE_SECONDS = IMPORT_PAUSE_SECONDS
CACHE_VERSION = 1

ENVIRONMENT = {
    "email": "FLUVIUS_LOGIN",
    "password": "FLUVIUS_PASSWORD",
    "ean": "FLUVIUS_EAN",
    "meter_serial": "FLUVIUS_METER_SERIAL",
    "timezone": "FLUVIUS_TIMEZONE",
    "bearer_token": "FLUVIUS_BEARER_TOKEN",
    "token_cache": "FLUVIUS_TOKEN_CACHE",
}
PORTAL_VARIABLE = "FLUVIUS_PORTAL_URL"


class UsageError(Exception):
    """Something the user must give or fix before anything is asked of Fluvius (exit 2)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Who and what one run is about. Secrets are never printed."""

    email: str
    password: str = field(repr=False)
    ean: str
    serial: str
    timezone: ZoneInfo
    portal_url: str
    bearer_token: str | None = field(repr=False)
    token_cache: Path | None
    verbose: bool
    quiet: bool

    @property
    def identifiers(self) -> tuple[str, ...]:
        """What the redaction masks wherever it stands, besides any EAN- or serial-like text."""
        return tuple(value for value in (self.ean, self.serial, self.email) if value)


def settings_from(args: Any, environ: Mapping[str, str], *, prompt: bool) -> Settings:
    """Options first, then FLUVIUS_* variables; the password is asked (without echo) last."""

    def pick(name: str) -> str:
        value = getattr(args, name, None)
        if value is None:
            value = environ.get(ENVIRONMENT[name], "")
        return str(value).strip()

    bearer = pick("bearer_token").removeprefix("Bearer ").strip() or None
    email = pick("email")
    if not email and not bearer:
        raise UsageError("give the Mijn Fluvius e-mail address: --email or FLUVIUS_LOGIN")
    password = getattr(args, "password", None) or environ.get(ENVIRONMENT["password"], "")
    if not password and not bearer:
        if not prompt:
            raise UsageError(
                "give the password: FLUVIUS_PASSWORD, --password, or run in a terminal to be asked"
            )
        password = getpass.getpass("Mijn Fluvius password: ")
        if not password:
            raise UsageError("no password given")
    raw_ean = pick("ean")
    if not raw_ean:
        raise UsageError("give the meter's EAN: --ean or FLUVIUS_EAN")
    try:
        ean = normalize_ean(raw_ean)
    except InvalidEan:
        raise UsageError(
            "the EAN is not valid: 18 digits starting with 54, with its check digit "
            "(on your bill or in Mijn Fluvius)"
        ) from None
    zone = pick("timezone") or "Europe/Brussels"
    try:
        timezone = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {zone!r} (e.g. Europe/Brussels, UTC)") from None
    portal = environ.get(PORTAL_VARIABLE, "").strip() or DEFAULT_PORTAL_URL
    try:
        checked_url(portal, what=PORTAL_VARIABLE)
    except ValueError as err:
        raise UsageError(str(err)) from None
    cache = pick("token_cache")
    return Settings(
        email=email,
        password=password,
        ean=ean,
        serial=pick("meter_serial").upper(),
        timezone=timezone,
        portal_url=portal,
        bearer_token=bearer,
        token_cache=Path(cache).expanduser() if cache else None,
        verbose=bool(getattr(args, "verbose", False)),
        quiet=bool(getattr(args, "quiet", False)),
    )


class Progress:
    """Progress of a long run on stderr: one updated line on a terminal, lines otherwise."""

    def __init__(self, stream: TextIO, *, enabled: bool) -> None:
        self._stream, self._enabled = stream, enabled
        self._tty = enabled and stream.isatty()
        self._open = False

    def update(self, text: str) -> None:
        if not self._enabled:
            return
        if self._tty:
            self._stream.write(f"\r\033[K{text}")
            self._open = True
        else:
            self._stream.write(f"{text}\n")
        self._stream.flush()

    def done(self) -> None:
        if self._open:
            self._stream.write("\n")
            self._open = False


class _Redacting(logging.Filter):
    """Masks identifiers in a log record (the client masks them already; this is the net)."""

    def __init__(self, known: Sequence[str]) -> None:
        super().__init__()
        self._known = known

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_identifiers(record.getMessage(), self._known)
        record.args = None
        return True


@contextlib.contextmanager
def debug_log(settings: Settings, stream: TextIO) -> Iterator[None]:
    """With --verbose: the client's debug log on stderr, redacted."""
    if not settings.verbose:
        yield
        return
    logger = logging.getLogger(FluviusClient.__module__.rpartition(".")[0])
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(_Redacting(settings.identifiers))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def describe_request(record: Mapping[str, Any]) -> str:
    """One line of the client's request log."""
    code = f" code {record['code']}" if record.get("code") else ""
    length = f" × {record['period_length']}" if record.get("period_length") else ""
    return (
        f"{record['at']} {record['endpoint']}{code}, {record['span']} ({record['alignment']})"
        f" → {record['status']}, {record['periods']}{length}: {record['conclusion']}"
    )


class Session:
    """The client of one run, with what the run shows on stderr."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.settings = settings
        self.stderr = stderr or sys.stderr
        self.client = FluviusClient(
            settings.email, settings.password, portal_url=settings.portal_url, clock=clock
        )
        self._clock = clock or (lambda: datetime.now().astimezone())
        self.progress = Progress(self.stderr, enabled=not settings.quiet)
        self._printed: list[dict[str, Any]] = []

    @property
    def ean(self) -> str:
        return self.settings.ean

    @property
    def serial(self) -> str:
        return self.settings.serial

    def today(self) -> date:
        """Today in Brussels: the portal's calendar."""
        return local_today(self._clock())

    def redact(self, value: Any) -> Any:
        """The integration's redaction, with this run's identifiers."""
        return redact_identifiers(value, self.settings.identifiers)

    def note(self, text: str) -> None:
        """A line for the user on stderr (not data)."""
        self.progress.done()
        self.stderr.write(f"fluvius: {self.redact(text)}\n")

    def missing(self, first: date, last: date, days: Iterable[date], *, gas: bool) -> None:
        """Say which asked days have no data (yet): Fluvius publishes them later."""
        have = set(days)
        absent = [
            d
            for d in (first + timedelta(days=n) for n in range((last - first).days + 1))
            if d not in have
        ]
        if absent:
            late = "gas about three days later" if gas else "a day the morning after"
            span = absent[0].isoformat() + (
                f" to {absent[-1].isoformat()}" if len(absent) > 1 else ""
            )
            self.note(
                f"no data published for {len(absent)} day(s), {span} (Fluvius publishes {late})"
            )

    def show_requests(self) -> None:
        """With --verbose: the request log's records not shown yet."""
        if not self.settings.verbose:
            return
        records = self.client.request_log(self.ean, self.serial)
        last = self._printed[-1] if self._printed else None
        fresh = records[records.index(last) + 1 :] if last in records else records
        self.progress.done()
        for record in fresh:
            self.stderr.write(f"  {self.redact(describe_request(record))}\n")
        self._printed = records

    async def pause(self) -> None:
        """Between two steps of a long run, as the integration's backfill does."""
        await asyncio.sleep(PAUSE_SECONDS)

    # -- token cache

    def load_cache(self, *, dialects: bool) -> None:
        path = self.settings.token_cache
        if path is None or not path.exists():
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.note(f"ignoring the token cache {path}: not readable")
            return
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return
        if isinstance(tokens := data.get("tokens"), dict):
            self.client.import_tokens(tokens)
        if dialects and isinstance(known := data.get("dialects"), dict):
            self.client.import_dialects(known)

    def save_cache(self) -> None:
        """Tokens (secrets) and what was learnt of the portal, readable by the user only."""
        path = self.settings.token_cache
        tokens = self.client.export_tokens()
        if path is None or tokens is None:
            return
        data = {
            "version": CACHE_VERSION,
            "tokens": tokens,
            "dialects": self.client.export_dialects(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".fluvius-", dir=path.parent)
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


@contextlib.asynccontextmanager
async def open_session(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    stderr: TextIO | None = None,
    learnt: bool = True,
) -> AsyncIterator[Session]:
    """A session whose cache is saved and client closed however the run ends. `learnt`:
    adopt what the cache knows of the portal (the report starts afresh instead)."""
    session = Session(settings, clock=clock, stderr=stderr)
    try:
        session.load_cache(dialects=learnt)
        if settings.bearer_token:
            session.client.use_access_token(settings.bearer_token)
        with debug_log(settings, session.stderr):
            yield session
    finally:
        session.progress.done()
        try:
            session.save_cache()
        finally:
            await session.client.close()
