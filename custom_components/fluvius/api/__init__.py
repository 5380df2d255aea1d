"""Async client for the Mijn Fluvius portal (Flemish grid operator).

Self-contained: depends on aiohttp and yarl only, never on Home Assistant, so the folder
can be lifted out as a library unchanged.

    client = FluviusClient(email, password)
    try:
        probe = await client.probe(ean, serial)          # meter type, finest resolution
        intervals = await client.measurements(ean, serial, date(2025, 6, 30), date(2025, 7, 6))
        peaks = await client.peaks(ean, serial, date(2025, 1, 1), date(2025, 12, 31))
        saved = client.export_tokens(), client.export_dialects()   # persist both
    finally:
        await client.close()

Every failure is a FluviusError (see errors.py). Credentials rejected once are never retried
on the client's own initiative: call login() or set_password() after asking the user.
"""

from .client import DEFAULT_PORTAL_URL, FluviusClient
from .errors import (
    FluviusAccountLockedError,
    FluviusAuthError,
    FluviusConnectionError,
    FluviusError,
    FluviusInsecureUrlError,
    FluviusInteractionRequiredError,
    FluviusInvalidCredentialsError,
    FluviusLoginFlowError,
    FluviusLoginRejectedError,
    FluviusMeterNotAccessibleError,
    FluviusNoDataError,
    FluviusPayloadError,
    FluviusRateLimitError,
    FluviusServerError,
    FluviusTimeoutError,
    FluviusTokenRejectedError,
)
from .models import (
    ClientStats,
    GranularityCapability,
    Interval,
    MeterProbe,
    MeterType,
    MonthlyPeak,
    Reading,
    Register,
    Resolution,
    ValueStatus,
)

__all__ = [
    "DEFAULT_PORTAL_URL",
    "ClientStats",
    "FluviusAccountLockedError",
    "FluviusAuthError",
    "FluviusClient",
    "FluviusConnectionError",
    "FluviusError",
    "FluviusInsecureUrlError",
    "FluviusInteractionRequiredError",
    "FluviusInvalidCredentialsError",
    "FluviusLoginFlowError",
    "FluviusLoginRejectedError",
    "FluviusMeterNotAccessibleError",
    "FluviusNoDataError",
    "FluviusPayloadError",
    "FluviusRateLimitError",
    "FluviusServerError",
    "FluviusTimeoutError",
    "FluviusTokenRejectedError",
    "GranularityCapability",
    "Interval",
    "MeterProbe",
    "MeterType",
    "MonthlyPeak",
    "Reading",
    "Register",
    "Resolution",
    "ValueStatus",
]
