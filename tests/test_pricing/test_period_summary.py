"""A price timeline as the settings show it (price_summary.py): one line per period, in the
words given (here the English ones of strings.json's ``common``, read from the file)."""

from __future__ import annotations

from datetime import date
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.price_summary import (
    SUMMARY_WORDS,
    capacity_summary,
    lines,
    number,
    period_label,
    summary,
)
from custom_components.fluvius.price_timeline import Period, Timeline
from custom_components.fluvius.pricing import PriceSettings

STRINGS = Path(__file__).parents[2] / "custom_components" / "fluvius" / "strings.json"
WORDS: dict[str, str] = json.loads(STRINGS.read_text(encoding="utf-8"))["common"]
ELEC, GAS = MeterType.ELECTRICITY, MeterType.GAS


def prices(data: dict[str, Any], meter_type: MeterType = ELEC) -> PriceSettings:
    return PriceSettings.from_data(data, meter_type)


def test_every_word_is_translated() -> None:
    assert set(WORDS) == set(SUMMARY_WORDS)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.3127, "0.3127"), (1.1, "1.1"), (1.0, "1"), (0.0, "0"), (-0.01, "-0.01"), (53.55, "53.55")],
)
def test_numbers_as_typed(value: float, shown: str) -> None:
    assert number(value) == shown


@pytest.mark.parametrize(
    ("data", "meter_type", "shown"),
    [
        ({"price_source": "none"}, ELEC, "no costs"),
        ({"price_source": "fixed"}, ELEC, "no costs"),  # fixed without a price costs nothing
        (
            {
                "price_source": "fixed",
                "price_consumption_high": 0.3127,
                "price_consumption_low": 0.2391,
            },
            ELEC,
            "fixed: day 0.3127, night 0.2391 EUR/kWh",
        ),
        (
            {
                "price_source": "fixed",
                "price_consumption_high": 0.32,
                "price_consumption_low": 0.27,
                "price_injection_high": 0.05,
                "price_injection_low": 0.03,
            },
            ELEC,
            "fixed: day 0.32, night 0.27; injection day 0.05, night 0.03 EUR/kWh",
        ),
        (
            {"price_source": "fixed", "price_consumption_single": 0.28},
            ELEC,
            "fixed: 0.28 EUR/kWh",
        ),
        (
            {"price_source": "fixed", "price_injection_single": 0.04},
            ELEC,
            "fixed: injection 0.04 EUR/kWh",
        ),
        (
            {
                "price_source": "entity",
                "price_entity": "sensor.nord_pool",
                "offtake_factor": 1.1,
                "offtake_offset": 0.02,
                "fallback_offtake": 0.3127,
            },
            ELEC,
            "price entity: sensor.nord_pool × 1.1 + 0.02, fallback 0.3127 EUR/kWh",
        ),
        (
            {"price_source": "entity", "price_entity": "sensor.p", "offtake_offset": -0.01},
            ELEC,
            "price entity: sensor.p − 0.01",
        ),
        ({"price_source": "fixed", "price_gas": 1.25}, GAS, "fixed: 1.25 EUR/m³"),
        (
            {"price_source": "fixed", "price_gas": 0.11, "gas_price_unit": "kWh"},
            GAS,
            "fixed: 0.11 EUR/kWh",
        ),
        (
            {
                "price_source": "entity",
                "price_entity": "sensor.gas",
                "gas_price_unit": "m³",
                "fallback_gas": 1.05,
            },
            GAS,
            "price entity: sensor.gas, fallback 1.05 EUR/m³",
        ),
    ],
    ids=[
        "none",
        "fixed_empty",
        "day_night",
        "with_injection",
        "single",
        "injection_only",
        "entity",
        "entity_negative_offset",
        "gas_m3",
        "gas_kwh",
        "gas_entity",
    ],
)
def test_summary(data: dict[str, Any], meter_type: MeterType, shown: str) -> None:
    assert summary(prices(data, meter_type), meter_type, WORDS, "EUR") == shown


def test_period_labels_and_lines() -> None:
    assert period_label(None, WORDS) == "Start of the history"
    assert period_label(date(2025, 3, 1), WORDS) == "From 2025-03-01"
    timeline = Timeline(
        (
            Period(None, prices({"price_source": "fixed", "price_consumption_single": 0.28})),
            Period(date(2025, 3, 1), PriceSettings()),
        )
    )
    assert lines(timeline, lambda p: summary(p, ELEC, WORDS, "EUR"), WORDS) == (
        "- **Start of the history**: fixed: 0.28 EUR/kWh\n- **From 2025-03-01**: no costs"
    )


def test_capacity_summary() -> None:
    assert capacity_summary(53.55, WORDS, "EUR") == "53.55 EUR/kW/year"
    assert capacity_summary(None, WORDS, "EUR") == "no capacity price"
    timeline = Timeline((Period(None, None), Period(date(2026, 1, 1), 60.0)), monthly=True)
    assert lines(timeline, lambda p: capacity_summary(p, WORDS, "EUR"), WORDS) == (
        "- **Start of the history**: no capacity price\n- **From 2026-01-01**: 60 EUR/kW/year"
    )
