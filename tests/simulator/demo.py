"""Demo identities: the accounts and meters `FluviusSimulator.demo()` creates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from .data import SimMeter, ean_check_digit, make_ean

__all__ = [
    "CONFIRM_ERROR_EMAIL",
    "CONFIRM_ERROR_PASSWORD",
    "DEMO_EMAIL",
    "DEMO_NOW",
    "DEMO_PASSWORD",
    "DISABLED_EMAIL",
    "DISABLED_PASSWORD",
    "ELEC_EAN",
    "ELEC_SERIAL",
    "GAS_EAN",
    "GAS_SERIAL",
    "INSTALLED",
    "MFA_EAN",
    "MFA_EMAIL",
    "MFA_PASSWORD",
    "MFA_SERIAL",
    "OTHER_EAN",
    "OTHER_EMAIL",
    "OTHER_PASSWORD",
    "OTHER_SERIAL",
    "RECENT_EAN",
    "RECENT_INSTALLED",
    "RECENT_SERIAL",
    "SINGLE_EAN",
    "SINGLE_SERIAL",
    "demo_accounts",
    "ean_check_digit",
    "make_ean",
]

# Both DST days (2025-10-26: 100 quarter-hours, 2026-03-29: 92) lie in the published past.
DEMO_NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
INSTALLED = date(2023, 9, 1)

# The main account: dual-tariff electricity with ~4 kWp solar and an EV, gas, and a
# single-tariff meter without solar. The password needs form encoding (&, +).
DEMO_EMAIL = "demo@fluvius.test"
DEMO_PASSWORD = "Zon&Wind+2026!"
ELEC_EAN = make_ean("54144882300012345")
ELEC_SERIAL = "1SAG1100042062"
GAS_EAN = make_ean("54144882300067890")
GAS_SERIAL = "1KFM0020571234"
SINGLE_EAN = make_ean("54144882300024680")
SINGLE_SERIAL = "1SAG3300018811"

# Signs in fine, then B2C asks for an interactive step (MFA).
MFA_EMAIL = "mfa@fluvius.test"
MFA_PASSWORD = "Tweede-Factor-2026"
MFA_EAN = make_ean("54144882300013579")
MFA_SERIAL = "1SAG1100077001"

# Disabled by Fluvius: always AADB2C90111.
DISABLED_EMAIL = "disabled@fluvius.test"
DISABLED_PASSWORD = "Geblokkeerd-2026"

# Credentials accepted, then the confirm step redirects with error=access_denied.
CONFIRM_ERROR_EMAIL = "cancelled@fluvius.test"
CONFIRM_ERROR_PASSWORD = "Geannuleerd-2026"

# Another household: its EANs answer 403 to the demo account. RECENT_EAN has a short history.
OTHER_EMAIL = "buur@fluvius.test"
OTHER_PASSWORD = "Buurman-2026!"
OTHER_EAN = make_ean("54144882300097531")
OTHER_SERIAL = "1SAG1100099417"
RECENT_EAN = make_ean("54144882300011223")
RECENT_SERIAL = "1SAG1100100523"
RECENT_INSTALLED = date(2026, 3, 10)


def demo_accounts() -> list[tuple[str, str, str, list[SimMeter]]]:
    """(email, password, kind, meters) of every demo account."""
    return [
        (
            DEMO_EMAIL,
            DEMO_PASSWORD,
            "normal",
            [
                SimMeter(ELEC_EAN, ELEC_SERIAL, "electricity", INSTALLED, solar_kwp=4.2, ev=True),
                SimMeter(GAS_EAN, GAS_SERIAL, "gas", INSTALLED),
                SimMeter(SINGLE_EAN, SINGLE_SERIAL, "electricity", INSTALLED, tariff="single"),
            ],
        ),
        (
            MFA_EMAIL,
            MFA_PASSWORD,
            "interactive",
            [SimMeter(MFA_EAN, MFA_SERIAL, "electricity", INSTALLED, solar_kwp=3.0)],
        ),
        (DISABLED_EMAIL, DISABLED_PASSWORD, "disabled", []),
        (CONFIRM_ERROR_EMAIL, CONFIRM_ERROR_PASSWORD, "confirm_error", []),
        (
            OTHER_EMAIL,
            OTHER_PASSWORD,
            "normal",
            [
                SimMeter(OTHER_EAN, OTHER_SERIAL, "electricity", INSTALLED, base_load_kw=0.25),
                SimMeter(RECENT_EAN, RECENT_SERIAL, "electricity", RECENT_INSTALLED, solar_kwp=6.0),
            ],
        ),
    ]
