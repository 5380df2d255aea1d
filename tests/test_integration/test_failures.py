"""What each client error becomes in Home Assistant: pure mapping, against hand-made errors."""

from __future__ import annotations

from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest

from custom_components.fluvius.api.errors import (
    FluviusAccountLockedError,
    FluviusAuthError,
    FluviusConnectionError,
    FluviusError,
    FluviusInvalidCredentialsError,
    FluviusMeterNotAccessibleError,
    FluviusRateLimitError,
    FluviusServerError,
    FluviusTokenRejectedError,
)
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.failures import describe, still_failing, translated


class Blocks:
    """Stands in for the account: records the auth errors it was asked to block."""

    def __init__(self) -> None:
        self.errors: list[FluviusAuthError] = []

    def __call__(self, err: FluviusAuthError) -> str:
        self.errors.append(err)
        return f"blocked_{type(err).__name__}"


def test_describe_names_the_class_and_the_message_if_any() -> None:
    assert describe(FluviusServerError("HTTP 503", status=503)) == "FluviusServerError: HTTP 503"
    assert describe(FluviusConnectionError()) == "FluviusConnectionError"


@pytest.mark.parametrize(
    "err", [FluviusInvalidCredentialsError("bad"), FluviusAccountLockedError("x", permanent=True)]
)
def test_an_auth_error_blocks_the_login_and_asks_for_reauth(err: FluviusAuthError) -> None:
    blocks = Blocks()
    out = translated(err, blocks)
    assert isinstance(out, ConfigEntryAuthFailed)
    assert (out.translation_domain, out.translation_key) == (
        DOMAIN,
        f"blocked_{type(err).__name__}",
    )
    assert blocks.errors == [err]


def test_a_rejected_token_is_retried_not_blocked() -> None:
    """B2C accepted the credentials: the update fails, the account stays unblocked."""
    blocks = Blocks()
    out = translated(FluviusTokenRejectedError("401 twice"), blocks)
    assert type(out) is UpdateFailed
    assert out.translation_key == "update_failed"
    assert out.translation_placeholders == {"error": "FluviusTokenRejectedError: 401 twice"}
    assert blocks.errors == []


def test_rate_limit_keeps_its_retry_after() -> None:
    out = translated(FluviusRateLimitError("429", retry_after=120.0), Blocks())
    assert isinstance(out, UpdateFailed)
    assert out.translation_key == "rate_limited"
    assert out.retry_after == 120.0


@pytest.mark.parametrize(
    ("err", "key", "placeholders"),
    [
        (FluviusMeterNotAccessibleError("403"), "meter_not_found", None),
        (
            FluviusServerError("HTTP 502", status=502),
            "update_failed",
            {"error": "FluviusServerError: HTTP 502"},
        ),
        (FluviusError(), "update_failed", {"error": "FluviusError"}),
    ],
)
def test_other_errors_fail_the_update(
    err: FluviusError, key: str, placeholders: dict[str, str] | None
) -> None:
    out = translated(err, Blocks())
    assert type(out) is UpdateFailed
    assert (out.translation_domain, out.translation_key) == (DOMAIN, key)
    assert out.translation_placeholders == placeholders


def test_still_failing_repeats_the_last_failure_without_retry_after() -> None:
    last = translated(FluviusServerError("HTTP 500", status=500), Blocks())
    assert isinstance(last, UpdateFailed)
    again = still_failing(last)
    assert again is not last
    assert again.translation_key == "update_failed"
    assert again.translation_placeholders == {"error": "FluviusServerError: HTTP 500"}
    limited = still_failing(translated(FluviusRateLimitError("429", retry_after=60), Blocks()))
    assert limited.translation_key == "rate_limited"
    assert limited.retry_after is None


def test_still_failing_after_an_untranslated_failure_names_its_class() -> None:
    assert still_failing(ValueError("boom")).translation_placeholders == {"error": "ValueError"}
    assert still_failing(None).translation_placeholders == {"error": "NoneType"}
