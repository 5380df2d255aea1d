"""Exit codes, and the one line the user reads for each failure."""

from __future__ import annotations

from enum import IntEnum

from ..api import (
    FluviusAccountLockedError,
    FluviusConnectionError,
    FluviusError,
    FluviusInteractionRequiredError,
    FluviusInvalidCredentialsError,
    FluviusLoginRejectedError,
    FluviusMeterNotAccessibleError,
    FluviusNoDataError,
    FluviusRateLimitError,
    FluviusServerError,
)

REQUEST_DATA = (
    "request them once in Mijn Fluvius: Verbruik → Aanvragen "
    "(https://mijn.fluvius.be/verbruik/aanvragen), choose the meter, “Kwartier” or “Alle”, "
    "“Alle verbruiken vanaf …”, and confirm the e-mail Fluvius sends; some meters also need "
    "their P1 port opened under Poortbeheer"
)


class Exit(IntEnum):
    """The exit codes, as README and --help list them."""

    OK = 0
    INTERNAL = 1  # a bug: please report it
    USAGE = 2  # a missing or wrong option, EAN or environment variable
    CREDENTIALS = 3  # wrong e-mail or password, or a token refused or expired
    LOCKED = 4  # account locked or disabled
    VERIFICATION = 5  # two-step verification or another interactive step
    METER = 6  # no such meter on this account (EAN or serial)
    NO_DATA = 7  # Fluvius serves no measurements of this meter (not requested yet)
    UNREACHABLE = 8  # Mijn Fluvius down, in maintenance or unreachable
    RATE_LIMITED = 9  # too many requests
    PORTAL = 10  # an answer this tool does not understand (the portal changed)
    INTERRUPTED = 130  # Ctrl-C


EPILOG = """exit codes:
  0 done, 1 internal error (a bug), 2 wrong usage, 3 e-mail or password (or token) refused,
  4 account locked, 5 extra verification required (two-step), 6 meter not on this account,
  7 no data served for this meter (not requested in Mijn Fluvius), 8 Mijn Fluvius unreachable
  or down, 9 too many requests, 10 unexpected answer from Mijn Fluvius, 130 interrupted"""


def exit_code(err: FluviusError) -> Exit:
    match err:
        case FluviusInvalidCredentialsError() | FluviusLoginRejectedError():
            return Exit.CREDENTIALS
        case FluviusAccountLockedError():
            return Exit.LOCKED
        case FluviusInteractionRequiredError():
            return Exit.VERIFICATION
        case FluviusMeterNotAccessibleError():
            return Exit.METER
        case FluviusNoDataError():
            return Exit.NO_DATA
        case FluviusConnectionError():
            return Exit.UNREACHABLE
        case FluviusRateLimitError():
            return Exit.RATE_LIMITED
    return Exit.PORTAL


def explain(err: FluviusError, *, token_only: bool) -> str:
    """What happened and what to do, in one line. `token_only`: the run had a bearer token
    and no password."""
    match err:
        case FluviusInvalidCredentialsError() if token_only:
            return (
                "Mijn Fluvius refused the bearer token, or it has expired: give a fresh one, "
                "or sign in with --email and the password"
            )
        case FluviusInvalidCredentialsError():
            return (
                "Mijn Fluvius refused the e-mail address or password; check them on "
                "mijn.fluvius.be (not retried: Fluvius locks accounts after repeated failures)"
            )
        case FluviusLoginRejectedError():
            return f"Mijn Fluvius rejected the sign-in (code {err.code or 'unknown'})"
        case FluviusAccountLockedError(permanent=True):
            return "Fluvius has disabled this account: contact Fluvius"
        case FluviusAccountLockedError():
            return "the account is locked for a while after failed sign-ins: try again later"
        case FluviusInteractionRequiredError():
            return (
                "Fluvius asks for an extra verification step (two-step verification, a "
                "captcha, new terms): sign in once on mijn.fluvius.be and finish it, or switch "
                "two-step verification off"
            )
        case FluviusMeterNotAccessibleError():
            return (
                "this account has no meter with this EAN and serial: check both on "
                "mijn.fluvius.be (the serial is optional: leave it out to check the EAN alone)"
            )
        case FluviusNoDataError():
            return (
                "Fluvius serves no measurements of this meter: "
                f"{REQUEST_DATA}. A new meter has data a day after installation (gas: a few days)"
            )
        case FluviusServerError():
            return f"Mijn Fluvius is down or in maintenance (HTTP {err.status}): try again later"
        case FluviusConnectionError():
            return f"Mijn Fluvius cannot be reached ({err}): check the connection, try again later"
        case FluviusRateLimitError():
            wait = f" in {err.retry_after:.0f} s" if err.retry_after else " later"
            return f"Fluvius asks to slow down (too many requests): try again{wait}"
    return (
        f"Mijn Fluvius answered in a way this tool does not understand ({type(err).__name__}: "
        f"{err}); please open an issue with the output of `fluvius report`"
    )
