"""How accounts and meters are named in titles, devices and log lines (never in full)."""

from __future__ import annotations

from .api.models import MeterType
from .api.security import mask_ean

METER_TITLES = {MeterType.ELECTRICITY: "Electricity meter", MeterType.GAS: "Gas meter"}


def account_title(email: str) -> str:
    """The account's entry title: the e-mail with its local part masked (j…@example.com)."""
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}…@{domain}" if domain else f"{local[:1]}…"


def meter_title(meter_type: MeterType, ean: str) -> str:
    """A meter's subentry title and log name, e.g. "Electricity meter …1234"."""
    return f"{METER_TITLES[meter_type]} {mask_ean(ean)}"
