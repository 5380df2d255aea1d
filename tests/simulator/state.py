"""Shared simulator state: options, accounts, counters and the request log."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .data import Publication, SimMeter
from .dialects import (
    GAS_DAILY_WINDOWS,
    REFUSALS,
    gas_daily_window_of,
    peaks_max_days_of,
    refusal_of,
    resolve_dialect,
)

MSAL_VARIANTS = (
    "flat",
    "nested",
    "scopes",
    "default_scopes",
    "api_scopes",
    "auth_request",
    "protected_resource_map",
    "no_scopes",
    "no_client_id",
)
SETTINGS_VARIANTS = ("compact", "pretty", "escaped", "tricky")
TOKEN_EXPIRY_FIELDS = ("all", "expires_in_only", "jwt_only")
ACCOUNT_KINDS = ("normal", "interactive", "disabled", "confirm_error")
# Whether the current API lists a register without energy in a period with `v: 0` ("send")
# or leaves it out of that period ("omit"): unknown on the real portal.
ZERO_REGISTERS = ("send", "omit")

TENANT = "klanten.onmicrosoft.com"
POLICY = "B2C_1A_customer_signup_signin"
DEFAULT_CLIENT_ID = "2b0d8f1e-5c7a-4e39-9d6b-7f3a1c4e8b20"
DEFAULT_API_SCOPE = "https://klanten.onmicrosoft.com/MijnFluvius/user_impersonation"


@dataclass
class SimOptions:
    """Every behaviour switch; see the package docstring for what each one does.

    Most can be changed on a running simulator (`sim.options.x = ...`); the publication
    timing (`*_delay_days`, `publish_hour`, `revision_*`, `provisional_*`) and `seed` are read
    once, when the simulator is created.
    """

    seed: int | str = 1
    dialect: str | Mapping[str, tuple[str, int]] = "live"
    refusal: str | None = None
    legacy: bool = False
    legacy_status: int = 404
    legacy_decoy: bool = False
    msal_variant: str = "flat"
    settings_variant: str = "compact"
    field_ids: tuple[str, str] = ("signInName", "password")
    response_in_fragment: bool = False
    require_origin: bool = False
    self_asserted_content_type: str = "application/json"
    token_numbers_as_strings: bool = False
    token_expiry_fields: str = "all"
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 86400
    code_lifetime: int = 600
    transaction_lifetime: int = 3600
    lockout_threshold: int = 10
    lockout_seconds: int = 60
    lockout_max_seconds: int = 4 * 3600
    throttle_limit: int | None = None
    shuffle_periods: bool = False
    zero_registers: str = "send"
    gas_daily_only: bool = False
    gas_day_windows: bool = True
    gas_daily_window: str | None = None
    peaks_max_days: int | None = None
    client_id: str = DEFAULT_CLIENT_ID
    api_scope: str = DEFAULT_API_SCOPE
    elec_delay_days: int = 1
    gas_delay_days: int = 3
    publish_hour: int = 7
    revision_days: int = 2
    provisional_share: float = 0.1
    provisional_error: float = 0.3

    def __setattr__(self, name: str, value: Any) -> None:
        # Validate on every assignment, so live changes fail loudly too.
        if name in _CHOICES:
            _one_of(name, value, _CHOICES[name])
        elif name == "dialect":
            resolve_dialect(value)
        elif name == "refusal":
            value = None if value is None else str(value)
            if value is not None and value not in REFUSALS:
                raise ValueError(f"refusal must be None or one of {REFUSALS}, not {value!r}")
        elif name == "gas_daily_window" and value is not None and value not in GAS_DAILY_WINDOWS:
            raise ValueError(
                f"gas_daily_window must be None or one of {GAS_DAILY_WINDOWS}, not {value!r}"
            )
        elif (
            name == "peaks_max_days"
            and value is not None
            and (not isinstance(value, int) or value < 1)
        ):
            raise ValueError("peaks_max_days is None (the dialect's own) or a number of days")
        elif name == "legacy_status" and value not in (404, 410):
            raise ValueError("legacy_status is 404 or 410")
        elif name == "field_ids":
            value = tuple(value)
            if len(value) != 2 or value[0] == value[1]:
                raise ValueError("field_ids is (login field ID, password field ID)")
        super().__setattr__(name, value)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """All option names."""
        return tuple(f.name for f in fields(cls))

    def refusal_style(self) -> str:
        """How the portal refuses what it will not serve: "empty" (200 []) or "400"."""
        return self.refusal or refusal_of(self.dialect)

    def peaks_limit(self) -> int:
        """The longest range (Brussels days) the spikes endpoints accept."""
        if self.peaks_max_days is not None:
            return self.peaks_max_days
        return peaks_max_days_of(self.dialect)

    def gas_daily_window_style(self) -> str:
        """How daily codes read a window on a gas meter: "start" or "inside"."""
        return self.gas_daily_window or gas_daily_window_of(self.dialect)

    def publication(self) -> Publication:
        """The data timing rules these options describe."""
        return Publication(
            elec_delay_days=self.elec_delay_days,
            gas_delay_days=self.gas_delay_days,
            publish_hour=self.publish_hour,
            revision_days=self.revision_days,
            provisional_share=self.provisional_share,
            provisional_error=self.provisional_error,
        )


_CHOICES = {
    "msal_variant": MSAL_VARIANTS,
    "settings_variant": SETTINGS_VARIANTS,
    "token_expiry_fields": TOKEN_EXPIRY_FIELDS,
    "zero_registers": ZERO_REGISTERS,
}


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}")


@dataclass
class Account:
    """A portal user and its smart-lockout bookkeeping."""

    email: str
    password: str
    kind: str
    meters: list[SimMeter]
    subject: str
    failures: int = 0  # consecutive wrong passwords
    lockouts: int = 0  # lockouts since the last success (the lockout period doubles)
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One answered (or dropped: status 0) request.

    `refused`: why the portal would not serve a data request (unknown code, range too long,
    gas window misaligned, ...), whether it answered `200 []` or 400; else None.
    `withheld`: why a served data answer left out data because of the meter's access level
    ("no access", "daily access only", "before the detailed history start"); else None.
    """

    time: datetime
    endpoint: str
    method: str
    path: str
    status: int
    query: str = ""
    fault: str | None = None
    refused: str | None = None
    withheld: str | None = None


@dataclass
class SimStats:
    """Counters tests assert on."""

    requests: Counter[str] = field(default_factory=Counter)
    logins: int = 0  # authorization_code grants that issued tokens
    refreshes: int = 0  # refresh_token grants that issued tokens
    failed_logins: int = 0  # rejected credentials, lockouts, access_denied, failed code grants
