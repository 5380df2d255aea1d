"""Pure cost arithmetic (pricing.py) and price units (prices.py), without Home Assistant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.fluvius.api.models import (
    Interval,
    MeterType,
    Reading,
    Register,
    ValueStatus,
)
from custom_components.fluvius.prices import PriceUnit, parse_price_unit, price_factor
from custom_components.fluvius.pricing import (
    PriceSettings,
    capacity_cost,
    hourly_costs,
    interval_costs,
)

T0 = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
Q = timedelta(minutes=15)
CH, IH = Register.CONSUMPTION_HIGH, Register.INJECTION_HIGH


def interval(start: datetime, length: timedelta, **values: float) -> Interval:
    return Interval(
        start,
        start + length,
        {Register(k): Reading(v, ValueStatus.MEASURED) for k, v in values.items()},
    )


def entity_settings(**extra: float) -> PriceSettings:
    return PriceSettings.from_data(
        {"price_source": "entity", "price_entity": "sensor.p", **extra}, MeterType.ELECTRICITY
    )


def test_fixed_prices_per_register() -> None:
    settings = PriceSettings.from_data(
        {"price_source": "fixed", "price_consumption_high": 0.3, "price_injection_high": 0.05},
        MeterType.ELECTRICITY,
    )
    assert settings.priced(MeterType.ELECTRICITY) == (CH, IH)
    quarters = [
        interval(T0 + i * Q, Q, consumption_high=0.1 * i, injection_high=0.2) for i in range(8)
    ]
    costs = hourly_costs(quarters, settings, MeterType.ELECTRICITY)
    assert costs.series[CH] == pytest.approx({T0: 0.3 * 0.6, T0 + 4 * Q: 0.3 * 2.2})
    assert costs.series[IH] == pytest.approx({T0: 0.05 * 0.8, T0 + 4 * Q: 0.05 * 0.8})
    assert not costs.missing


def test_entity_price_per_quarter_hour_with_formula_per_direction() -> None:
    settings = entity_settings(
        offtake_factor=1.1, offtake_offset=0.02, injection_factor=0.9, injection_offset=-0.01
    )
    prices = {T0 + i * Q: 0.1 * (i + 1) for i in range(4)}
    quarters = [interval(T0 + i * Q, Q, consumption_high=1.0, injection_high=2.0) for i in range(4)]
    costs = hourly_costs(quarters, settings, MeterType.ELECTRICITY, prices)
    assert costs.series[CH][T0] == pytest.approx(sum(p * 1.1 + 0.02 for p in prices.values()))
    assert costs.series[IH][T0] == pytest.approx(sum(2 * (p * 0.9 - 0.01) for p in prices.values()))
    rows = interval_costs(quarters, settings, MeterType.ELECTRICITY, prices)
    assert rows[1][CH] == pytest.approx(0.2 * 1.1 + 0.02)


def test_an_hour_with_an_unpriced_quarter_gets_no_row() -> None:
    settings = entity_settings()
    prices = {T0 + i * Q: 0.1 for i in range(7)}  # the last quarter of hour 2 has no price
    quarters = [interval(T0 + i * Q, Q, consumption_high=1.0) for i in range(8)]
    costs = hourly_costs(quarters, settings, MeterType.ELECTRICITY, prices)
    assert list(costs.series[CH]) == [T0]
    assert costs.missing == {T0 + 4 * Q}


def test_hourly_and_daily_values_get_their_mean_price() -> None:
    settings = entity_settings()
    prices = {T0 + i * Q: float(i) for i in range(96)}
    hour = interval(T0, timedelta(hours=1), consumption_high=2.0)
    assert hourly_costs([hour], settings, MeterType.ELECTRICITY, prices).series[CH] == {
        T0: pytest.approx(2.0 * 1.5)
    }
    day = interval(T0, timedelta(hours=24), consumption_high=10.0)
    series = hourly_costs([day], settings, MeterType.ELECTRICITY, prices).series[CH]
    assert series[T0] == pytest.approx(10.0 * 47.5)
    assert len(series) == 24  # the day's other hours are zero, as the energy's are
    assert sum(series.values()) == pytest.approx(475.0)


def test_gas_priced_on_the_chosen_register() -> None:
    volume = PriceSettings.from_data({"price_source": "fixed", "price_gas": 1.2}, MeterType.GAS)
    energy = PriceSettings.from_data(
        {"price_source": "fixed", "price_gas": 0.1, "gas_price_unit": "kWh"}, MeterType.GAS
    )
    assert volume.priced(MeterType.GAS) == (Register.GAS_VOLUME,)
    assert energy.priced(MeterType.GAS) == (Register.GAS_ENERGY,)


def test_signature_changes_with_what_changes_costs() -> None:
    base = {"price_source": "fixed", "price_consumption_high": 0.3}
    one = PriceSettings.from_data(base, MeterType.ELECTRICITY)
    assert one.signature == PriceSettings.from_data(dict(base), MeterType.ELECTRICITY).signature
    other = PriceSettings.from_data({**base, "price_consumption_high": 0.31}, MeterType.ELECTRICITY)
    assert other.signature != one.signature
    # The capacity price does not change energy costs.
    capacity = PriceSettings.from_data({**base, "capacity_price": 50.0}, MeterType.ELECTRICITY)
    assert capacity.signature == one.signature
    assert PriceSettings().signature == "none"
    assert not PriceSettings.from_data({"price_source": "fixed"}, MeterType.ELECTRICITY).enabled


@pytest.mark.parametrize(
    ("unit", "currency", "per", "factor"),
    [
        ("EUR/kWh", "EUR", "kWh", 1.0),
        ("€/kWh", "EUR", "kWh", 1.0),
        (" € / kWh ", "EUR", "kWh", 1.0),
        ("eur/kwh", "EUR", "kWh", 1.0),
        ("EUR/MWh", "EUR", "kWh", 0.001),
        ("€/MWh", "EUR", "kWh", 0.001),
        ("EUR/Wh", "EUR", "kWh", 1000.0),
        ("EUR/m³", "EUR", "m³", 1.0),
        ("€/m3", "EUR", "m³", 1.0),
        # Cents: converted × 0.01, in euro unless a code says otherwise.
        ("c€/kWh", "EUR", "kWh", 0.01),
        ("ct/kWh", "EUR", "kWh", 0.01),
        ("Ct/kWh", "EUR", "kWh", 0.01),
        ("c/kWh", "EUR", "kWh", 0.01),  # the Nord Pool custom integration's euro cents
        ("cent/kWh", "EUR", "kWh", 0.01),
        ("€ct/kWh", "EUR", "kWh", 0.01),
        ("c€/MWh", "EUR", "kWh", 0.00001),
        ("ct/MWh", "EUR", "kWh", 0.00001),
        ("c€/m³", "EUR", "m³", 0.01),
        ("EURc/kWh", "EUR", "kWh", 0.01),
        ("EUR ct/kWh", "EUR", "kWh", 0.01),
        # Other currencies: parsed, for the caller to refuse.
        ("USD/kWh", "USD", "kWh", 1.0),
        ("$/MWh", "USD", "kWh", 0.001),
        ("¢/kWh", "USD", "kWh", 0.01),
        ("GBP/kWh", "GBP", "kWh", 1.0),
        ("£/kWh", "GBP", "kWh", 1.0),
        ("₿/kWh", "₿", "kWh", 1.0),  # a symbol of no known code: never Home Assistant's
    ],
)
def test_price_units(unit: str, currency: str, per: str, factor: float) -> None:
    parsed = parse_price_unit(unit)
    assert parsed == PriceUnit(currency, per, pytest.approx(factor, rel=1e-12))
    assert price_factor(unit, currency, per) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize(
    "unit",
    [None, 0.5, "", "EUR", "kWh", "/kWh", "EUR/", "EUR/W", "%", "EUR/kWh/h", "kr/kWh", "€€/kWh"],
)
def test_price_units_refused(unit: object) -> None:
    assert parse_price_unit(unit) is None
    assert price_factor(unit, "EUR") is None


@pytest.mark.parametrize(
    ("unit", "currency", "per"),
    [
        ("USD/kWh", "EUR", "kWh"),  # another currency than Home Assistant's
        ("ct/kWh", "USD", "kWh"),  # euro cents in a dollar Home Assistant
        ("EUR/m³", "EUR", "kWh"),  # a volume price for energy
        ("EUR/kWh", "EUR", "m³"),  # an energy price for a volume
    ],
)
def test_price_factor_refuses_another_currency_or_unit(unit: str, currency: str, per: str) -> None:
    assert parse_price_unit(unit) is not None
    assert price_factor(unit, currency, per) is None


def test_capacity_cost() -> None:
    # 12-month average 4.2 kW × 53.26 €/kW/year ÷ 12
    assert capacity_cost(4.2, 53.26) == round(4.2 * 53.26 / 12, 2)
