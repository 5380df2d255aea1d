"""A meter's price timelines as its settings show them: one line per period ("from
2025-03-01: fixed: day 0.3127, night 0.2391 EUR/kWh"), in the words of the user's language
that the caller gives (the integration's ``common`` translations, keys SUMMARY_WORDS). Pure:
no I/O, no Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from .api.models import MeterType, Register
from .const import PRICE_SOURCE_FIXED
from .price_timeline import Timeline
from .pricing import GAS_UNITS, INJECTION, OFFTAKE, PriceSettings

# The words a timeline is shown in (a translation each, some with placeholders).
SUMMARY_WORDS = (
    "period_start",  # the first period: "start of the history"
    "period_from",  # "from {day}"
    "no_costs",
    "fixed",  # "fixed: {prices} {unit}"
    "injection",  # "injection {prices}" (appended to the fixed consumption prices)
    "day",
    "night",
    "entity",  # "{formula}": the entity's price through the offtake formula
    "fallback",  # "fallback {price}"
    "no_capacity",
    "capacity",  # "{price} {currency}/kW/year"
)


def number(value: float) -> str:
    """A price as typed: no trailing zeros, no exponent (0.3127, 1.1, 53.55, -0.01, 0)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def period_label(start: date | None, words: Mapping[str, str]) -> str:
    """When a period starts: "start of the history", or "from 2025-03-01"."""
    if start is None:
        return words["period_start"]
    return words["period_from"].format(day=start.isoformat())


def _register_prices(
    prices: PriceSettings, registers: Sequence[Register], words: Mapping[str, str]
) -> str:
    labels = {"high": words["day"], "low": words["night"]}
    shown = []
    for register in registers:
        if (price := prices.fixed.get(register)) is not None:
            label = labels.get(register.value.rpartition("_")[2])
            shown.append(number(price) if label is None else f"{label} {number(price)}")
    return ", ".join(shown)


def summary(
    prices: PriceSettings, meter_type: MeterType, words: Mapping[str, str], currency: str
) -> str:
    """A period's energy prices in one line: "no costs", "fixed: day 0.3127, night 0.2391
    EUR/kWh" (injection prices after a semicolon), or "sensor.nord_pool × 1.1 + 0.02,
    fallback 0.3127 EUR/kWh" (the consumption formula and fallback)."""
    gas = meter_type is MeterType.GAS
    unit = f"{currency}/{next(u for u, r in GAS_UNITS.items() if r is prices.gas_register)}"
    unit = unit if gas else f"{currency}/kWh"
    if not prices.enabled:
        return words["no_costs"]
    if prices.source == PRICE_SOURCE_FIXED:
        text = _register_prices(prices, OFFTAKE if not gas else (prices.gas_register,), words)
        if injected := _register_prices(prices, INJECTION, words):
            injection = words["injection"].format(prices=injected)
            text = f"{text}; {injection}" if text else injection
        return words["fixed"].format(prices=text, unit=unit)
    formula = str(prices.entity_id)
    if prices.offtake.factor != 1:
        formula += f" × {number(prices.offtake.factor)}"
    if prices.offtake.offset:
        sign = "−" if prices.offtake.offset < 0 else "+"
        formula += f" {sign} {number(abs(prices.offtake.offset))}"
    text = words["entity"].format(formula=formula)
    if prices.fallback_offtake is not None:
        fallback = words["fallback"].format(price=number(prices.fallback_offtake))
        text = f"{text}, {fallback} {unit}"
    return text


def capacity_summary(price: float | None, words: Mapping[str, str], currency: str) -> str:
    """A capacity period's price: "53.55 EUR/kW/year", or no capacity price."""
    if price is None:
        return words["no_capacity"]
    return words["capacity"].format(price=number(price), currency=currency)


def lines[T](timeline: Timeline[T], text: Callable[[T], str], words: Mapping[str, str]) -> str:
    """A timeline as a Markdown list, one period a line, oldest first: "- **from
    2025-03-01**: …" with ``text(prices)`` after the colon."""
    return "\n".join(
        f"- **{period_label(p.start, words)}**: {text(p.prices)}" for p in timeline.periods
    )
