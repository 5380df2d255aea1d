"""One exception hierarchy for the Fluvius client. Messages never carry secrets."""

from __future__ import annotations


class FluviusError(Exception):
    """Base class of every error the client raises."""


class FluviusAuthError(FluviusError):
    """Login is impossible without the user; never retried automatically."""


class FluviusInvalidCredentialsError(FluviusAuthError):
    """Unknown account or wrong password."""


class FluviusAccountLockedError(FluviusAuthError):
    """The account is disabled (permanent) or smart-locked (temporary)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class FluviusInteractionRequiredError(FluviusAuthError):
    """B2C wants an interactive step (MFA, captcha, terms, password change)."""


class FluviusLoginRejectedError(FluviusAuthError):
    """B2C rejected the login with a code we do not know."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class FluviusLoginFlowError(FluviusError):
    """The login pages or transaction did not look as expected."""


class FluviusConnectionError(FluviusError):
    """The service could not be reached, or did not answer in time."""


class FluviusServerError(FluviusConnectionError):
    """The service answered with a 5xx status."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class FluviusRateLimitError(FluviusError):
    """Too many requests (HTTP 429 or B2C throttling)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FluviusMeterNotAccessibleError(FluviusError):
    """The account has no access to this EAN (403/404)."""


class FluviusPayloadError(FluviusError):
    """An answer was not the JSON shape we expect (invalid JSON, HTML, wrong keys)."""


class FluviusTimeoutError(FluviusConnectionError):
    """The service did not answer within the request timeout."""


class FluviusTokenRejectedError(FluviusAuthError):
    """The portal kept refusing a freshly renewed token (401 after one renewal).

    Unlike the other auth errors, B2C accepted the credentials: a caller may try again later.
    """


class FluviusNoDataError(FluviusError):
    """No published data to judge the meter from yet (new meter, or nothing recent)."""


class FluviusInsecureUrlError(FluviusError, ValueError):
    """A portal or authority URL that would send secrets in the clear (http off loopback)."""
