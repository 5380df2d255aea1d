"""The client's errors in Home Assistant's terms: the translated exception a meter's update
raises for each, the same failure again, how the log names a client error, and the error key a
form shows for a failed login or probe.

Pure: no I/O (``error_key`` logs what a form cannot show). The login block is the caller's:
``block`` records it and returns its key.
"""

from __future__ import annotations

from collections.abc import Callable
import logging

from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api.errors import (
    FluviusAccountLockedError,
    FluviusAuthError,
    FluviusConnectionError,
    FluviusError,
    FluviusInteractionRequiredError,
    FluviusInvalidCredentialsError,
    FluviusLoginRejectedError,
    FluviusMeterNotAccessibleError,
    FluviusNoDataError,
    FluviusRateLimitError,
    FluviusTokenRejectedError,
)
from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)


def describe(err: Exception) -> str:
    """Class and message of a client error, for the log (client messages hold no secrets)."""
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def update_failed(key: str, **placeholders: str) -> UpdateFailed:
    """A failed update, translated."""
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def auth_failed(reason: str) -> ConfigEntryAuthFailed:
    """The portal rejected the credentials (now or before): reauth, saying why."""
    return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key=reason)


def translated(err: FluviusError, block: Callable[[FluviusAuthError], str]) -> HomeAssistantError:
    """The Home Assistant exception (translated) for a client error during an update."""
    match err:
        case FluviusTokenRejectedError():
            # B2C accepted the credentials; only the portal refused the new token (twice
            # in a row). Not the user's to fix: retry next hour.
            return update_failed("update_failed", error=describe(err))
        case FluviusAuthError():
            return auth_failed(block(err))
        case FluviusRateLimitError():
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                retry_after=err.retry_after,
            )
        case FluviusMeterNotAccessibleError():
            return update_failed("meter_not_found")
    return update_failed("update_failed", error=describe(err))


def still_failing(last: BaseException | None) -> UpdateFailed:
    """The previous update's failure again (without its Retry-After)."""
    if isinstance(last, UpdateFailed) and last.translation_key:
        return update_failed(last.translation_key, **(last.translation_placeholders or {}))
    return update_failed("update_failed", error=type(last).__name__)


def error_key(err: Exception) -> str:
    """The translated error key for an exception raised by login or probe."""
    match err:
        case FluviusInvalidCredentialsError():
            return "invalid_auth"
        case FluviusAccountLockedError():
            return "account_locked"
        case FluviusInteractionRequiredError():
            return "interaction_required"
        case FluviusRateLimitError():
            return "rate_limited"
        case FluviusMeterNotAccessibleError():
            return "meter_not_found"
        case FluviusNoDataError():
            return "no_data"
        case FluviusLoginRejectedError():
            _LOGGER.warning("Fluvius rejected the login with code %s", err.code)
            return "invalid_auth"
        case FluviusConnectionError():
            return "cannot_connect"
        case FluviusError():
            _LOGGER.debug("Fluvius answered unexpectedly: %s", type(err).__name__)
            return "cannot_connect"
    _LOGGER.error("Unexpected error while checking the Fluvius account", exc_info=err)
    return "unknown"
