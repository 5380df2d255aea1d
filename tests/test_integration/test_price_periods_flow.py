"""A meter's prices over time in its settings (issue #21): the *Energy costs* menu shows the
timeline and offers new prices from a date, a corrected period and a removed one; the
*Capacity tariff* takes a price from a month. Driven through Home Assistant's flow manager
against the simulator; what is asserted is what the subentry stores (only ``price_periods``
and ``capacity_periods``), the fields' errors, the menus and how the settings close.

Home Assistant's clock is frozen at the simulator's reference time (tests/test_integration/
conftest.py), so "today" is a fixed Brussels day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.models import MeterType
from custom_components.fluvius.const import (
    CONF_CAPACITY_PRICE,
    CONF_FALLBACK_INJECTION,
    CONF_FALLBACK_OFFTAKE,
    CONF_PRICE_ENTITY,
    CONF_PRICE_SOURCE,
)
from custom_components.fluvius.pricing import PRICE_KEYS
from tests.entries import ELEC, account_entry
from tests.recorded import statistics_rows
from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN, ELEC_SERIAL

from .conftest import TEST_HISTORY_DAYS
from .test_config_flow import fields, set_up, suggested
from .test_subentry_flow import (
    DUAL_PRICES,
    ELEC_PERIOD,
    MEASURED,
    PRICE_ENTITY,
    configure,
    correct_form,
    defaults,
    new_prices_form,
    price_form,
    price_sensor,
    saved,
    selector,
    set_up_imported,
    settings_step,
    without_prices,
)

FIXED = {CONF_PRICE_SOURCE: "fixed", **ELEC_PERIOD, **DUAL_PRICES}
LINE_FIXED = "fixed: day 0.32, night 0.27; injection day 0.05, night 0.03 EUR/kWh"
COST_REGISTERS = (
    "consumption_high_cost",
    "consumption_low_cost",
    "injection_high_compensation",
    "injection_low_compensation",
)


def today() -> date:
    return dt_util.utcnow().astimezone(BRUSSELS).date()


def entity_period(day: date, **extra: Any) -> dict[str, Any]:
    """The stored period of the price entity from a day, as the entity form saves it."""
    return {
        "from": day.isoformat(),
        CONF_PRICE_SOURCE: "entity",
        CONF_PRICE_ENTITY: PRICE_ENTITY,
        **ELEC_PERIOD,
        **extra,
    }


async def fixed_from_the_start(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The day/night contract from the start of the history (its only period corrected)."""
    result = await price_form(hass, entry, ELEC_EAN, "fixed")
    result = await configure(hass, result["flow_id"], DUAL_PRICES)
    assert result["reason"] == "recosting"
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_new_prices_from_today_keep_the_past(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """The issue's household: a day/night contract, then a price sensor from today. New
    prices start today by default; the source and forms are pre-filled from the period in
    force (fixed: the fallbacks from the day tariff). A sensor recorded only from today
    leaves no day of its period unpriced: no confirmation, even without fallbacks. Saved as
    a second period from today; nothing in the past is re-costed (Home Assistant's
    "successful", every past cost the same); the menu then shows both periods and offers
    to remove one."""
    price_sensor(hass, "EUR/kWh", **MEASURED)
    await set_up_imported(hass, both_entry)
    await fixed_from_the_start(hass, both_entry)
    costs_before = await statistics_rows(hass, ELEC_EAN, COST_REGISTERS)
    assert all(costs_before.values())

    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    assert list(result["menu_options"]) == ["costs_add", "costs_correct"]
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_add"})
    assert result["step_id"] == "costs_add"
    assert fields(result) == {"start"}
    assert suggested(result) == {"start": today().isoformat()}
    result = await configure(hass, result["flow_id"], suggested(result))
    assert result["step_id"] == "costs_source"
    assert result["description_placeholders"]["period"] == f"From {today().isoformat()}"
    assert defaults(result) == {CONF_PRICE_SOURCE: "fixed"}
    result = await configure(hass, result["flow_id"], {CONF_PRICE_SOURCE: "entity"})
    assert suggested(result) == {CONF_FALLBACK_OFFTAKE: 0.32, CONF_FALLBACK_INJECTION: 0.05}
    result = await configure(hass, result["flow_id"], {CONF_PRICE_ENTITY: PRICE_ENTITY})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, ELEC_EAN) == {
        **without_prices(ELEC_EAN, ELEC_SERIAL, MeterType.ELECTRICITY),
        "price_periods": [{"from": None, **FIXED}, entity_period(today())],
        "capacity_periods": [{"from": None, CONF_CAPACITY_PRICE: None}],
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await statistics_rows(hass, ELEC_EAN, COST_REGISTERS) == costs_before

    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    assert list(result["menu_options"]) == ["costs_add", "costs_correct", "costs_remove"]
    assert result["description_placeholders"]["periods"] == (
        f"- **Start of the history**: {LINE_FIXED}\n"
        f"- **From {today().isoformat()}**: price entity: {PRICE_ENTITY}"
    )


async def test_new_prices_on_a_period_start_refused(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A day that already starts a period is refused on the date field (correct that period
    instead), as typed; another day goes on. Nothing is saved meanwhile."""
    await set_up(hass, both_entry)
    await fixed_from_the_start(hass, both_entry)
    day = today() - timedelta(days=3)
    result = await new_prices_form(hass, both_entry, ELEC_EAN, day, "none")
    await configure(hass, result["flow_id"], {})
    before = saved(both_entry, ELEC_EAN)
    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_add"})
    result = await configure(hass, result["flow_id"], {"start": day.isoformat()})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "costs_add"
    assert result["errors"] == {"start": "period_exists"}
    assert suggested(result) == {"start": day.isoformat()}
    assert saved(both_entry, ELEC_EAN) == before
    result = await configure(hass, result["flow_id"], {"start": today().isoformat()})
    assert result["step_id"] == "costs_source"


async def test_new_prices_from_a_past_day_recost_it_and_confirm_its_days(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """A price sensor from a past day of the history, saved without fallback prices: the
    confirmation counts the days of that period only (from its first day to the newest
    imported one), not the whole history; saved, the settings close saying that the
    history is re-costed, and the period before is untouched."""
    await set_up_imported(hass, both_entry)
    await fixed_from_the_start(hass, both_entry)
    price_sensor(hass, "EUR/kWh", **MEASURED)  # recorded from now on only
    last = max(
        row["start"]
        for row in (await statistics_rows(hass, ELEC_EAN, ("consumption_high",)))[
            "consumption_high"
        ]
    )
    last_day = dt_util.utc_from_timestamp(last).astimezone(BRUSSELS).date()
    day = last_day - timedelta(days=4)
    result = await new_prices_form(hass, both_entry, ELEC_EAN, day, "entity")
    typed = {CONF_PRICE_ENTITY: PRICE_ENTITY, CONF_FALLBACK_OFFTAKE: 0.3}
    result = await configure(hass, result["flow_id"], typed)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "entity_unpriced"
    assert result["description_placeholders"] == {
        "entity": PRICE_ENTITY,
        "days": "5",
        "first": day.isoformat(),
        "last": last_day.isoformat(),
    }
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_save"})
    assert result["reason"] == "recosting"
    assert saved(both_entry, ELEC_EAN)["price_periods"] == [
        {"from": None, **FIXED},
        entity_period(day, **{CONF_FALLBACK_OFFTAKE: 0.3}),
    ]


async def test_correct_a_period(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """With two periods, correcting asks which one (each labelled with its first day and
    prices); the chosen one is pre-filled from its own prices and only it changes."""
    await set_up(hass, both_entry)
    await fixed_from_the_start(hass, both_entry)
    day = today() - timedelta(days=3)
    result = await new_prices_form(hass, both_entry, ELEC_EAN, day, "fixed")
    assert suggested(result) == DUAL_PRICES  # from the period in force that day
    await configure(hass, result["flow_id"], {"price_consumption_high": 0.4})
    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_correct"})
    assert result["step_id"] == "costs_correct"
    options = selector(result, "period").config["options"]
    assert options == [
        {"value": "start", "label": f"Start of the history: {LINE_FIXED}"},
        {"value": day.isoformat(), "label": f"From {day.isoformat()}: fixed: day 0.4 EUR/kWh"},
    ]
    result = await configure(hass, result["flow_id"], {"period": day.isoformat()})
    assert result["description_placeholders"]["period"] == f"From {day.isoformat()}"
    result = await configure(hass, result["flow_id"], {CONF_PRICE_SOURCE: "fixed"})
    assert suggested(result) == {"price_consumption_high": 0.4}
    result = await configure(hass, result["flow_id"], {"price_consumption_high": 0.41})
    assert result["reason"] == "recosting"
    assert saved(both_entry, ELEC_EAN)["price_periods"] == [
        {"from": None, **FIXED},
        {
            "from": day.isoformat(),
            CONF_PRICE_SOURCE: "fixed",
            **ELEC_PERIOD,
            "price_consumption_high": 0.41,
        },
    ]
    # The first period, corrected through the same choice.
    result = await correct_form(hass, both_entry, ELEC_EAN, None, "fixed")
    assert suggested(result) == DUAL_PRICES


@pytest.mark.parametrize(
    ("days_ago", "reason"),
    [(3, "recosting"), (0, "reconfigure_successful")],
    ids=["past", "today"],
)
async def test_remove_a_period(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    days_ago: int,
    reason: str,
) -> None:
    """Removing a period: choose it, a confirmation names it and its prices, then the one
    before reaches on. A period of past days re-costs them; one from today re-costs
    nothing."""
    await set_up(hass, both_entry)
    await fixed_from_the_start(hass, both_entry)
    day = today() - timedelta(days=days_ago)
    result = await new_prices_form(hass, both_entry, ELEC_EAN, day, "none")
    await configure(hass, result["flow_id"], {})
    await hass.async_block_till_done()
    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_remove"})
    assert result["step_id"] == "costs_remove"
    assert [o["value"] for o in selector(result, "period").config["options"]] == [
        "start",
        day.isoformat(),
    ]
    result = await configure(hass, result["flow_id"], {"period": day.isoformat()})
    assert result["step_id"] == "costs_remove_confirm"
    assert result["data_schema"] is None
    placeholders = result["description_placeholders"]
    assert (placeholders["period"], placeholders["prices"]) == (
        f"From {day.isoformat()}",
        "no costs",
    )
    assert len(saved(both_entry, ELEC_EAN)["price_periods"]) == 2
    result = await configure(hass, result["flow_id"], {})
    assert result["reason"] == reason
    assert saved(both_entry, ELEC_EAN)["price_periods"] == [{"from": None, **FIXED}]
    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    assert list(result["menu_options"]) == ["costs_add", "costs_correct"]


@pytest.mark.parametrize(
    ("language", "periods"),
    [
        (
            "nl",
            "- **Begin van de geschiedenis**: vast: dag 0.32, nacht 0.27; injectie dag 0.05, "
            "nacht 0.03 EUR/kWh\n- **Vanaf {day}**: prijsentiteit: sensor.nordpool_be × 1.1"
            ", terugvalprijs 0.3 EUR/kWh",
        ),
        (
            "fr",
            "- **Début de l'historique**: fixe : jour 0.32, nuit 0.27; injection jour 0.05, "
            "nuit 0.03 EUR/kWh\n- **À partir du {day}**: entité de prix : sensor.nordpool_be"
            " × 1.1, prix de repli 0.3 EUR/kWh",
        ),
    ],
)
async def test_timeline_in_the_users_language(
    hass: HomeAssistant,
    fluvius: FluviusSimulator,
    both_entry: MockConfigEntry,
    language: str,
    periods: str,
) -> None:
    """The menu's timeline and the period's name in the forms are in Home Assistant's
    language (the flow does not know the browser's): Dutch "vanaf", French "à partir du"."""
    price_sensor(hass, "EUR/kWh", **MEASURED)
    await set_up(hass, both_entry)
    await fixed_from_the_start(hass, both_entry)
    result = await new_prices_form(hass, both_entry, ELEC_EAN, today(), "entity")
    typed = {CONF_PRICE_ENTITY: PRICE_ENTITY, "offtake_factor": 1.1, CONF_FALLBACK_OFFTAKE: 0.3}
    await configure(hass, result["flow_id"], typed)
    hass.config.language = language
    result = await settings_step(hass, both_entry, ELEC_EAN, "costs")
    assert result["description_placeholders"]["periods"] == periods.format(day=today().isoformat())
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_add"})
    result = await configure(hass, result["flow_id"], {"start": "2020-01-01"})
    start = {"nl": "Vanaf 2020-01-01", "fr": "À partir du 2020-01-01"}[language]
    assert result["description_placeholders"]["period"] == start


async def test_capacity_tariff_from_a_month(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """The capacity tariff's price changes every 1 January: a price from the start of the
    history, then another from the 1st of a month (a day that is not the 1st is refused on
    the date field). With two periods the step is a menu that shows them: the price from a
    month that starts a period corrects it; a period can be removed."""
    await set_up(hass, both_entry)
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    await configure(hass, result["flow_id"], {CONF_CAPACITY_PRICE: 53.55})
    january = date(today().year, 1, 1)
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    assert result["step_id"] == "capacity_price"
    typed = {CONF_CAPACITY_PRICE: 60.0, "start": (january + timedelta(days=14)).isoformat()}
    result = await configure(hass, result["flow_id"], typed)
    assert result["errors"] == {"start": "first_of_month"}
    assert suggested(result) == typed
    result = await configure(hass, result["flow_id"], {**typed, "start": january.isoformat()})
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, ELEC_EAN)["capacity_periods"] == [
        {"from": None, CONF_CAPACITY_PRICE: 53.55},
        {"from": january.isoformat(), CONF_CAPACITY_PRICE: 60.0},
    ]
    assert saved(both_entry, ELEC_EAN)["price_periods"][0][CONF_PRICE_SOURCE] == "none"
    await hass.async_block_till_done()

    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    assert result["type"] is FlowResultType.MENU
    assert list(result["menu_options"]) == ["capacity_price", "capacity_remove"]
    assert result["description_placeholders"]["periods"] == (
        "- **Start of the history**: 53.55 EUR/kW/year\n"
        f"- **From {january.isoformat()}**: 60 EUR/kW/year"
    )
    result = await configure(hass, result["flow_id"], {"next_step_id": "capacity_price"})
    month = today().replace(day=1)
    assert suggested(result) == {CONF_CAPACITY_PRICE: 60.0, "start": month.isoformat()}
    result = await configure(
        hass, result["flow_id"], {CONF_CAPACITY_PRICE: 61.5, "start": january.isoformat()}
    )
    assert saved(both_entry, ELEC_EAN)["capacity_periods"][1] == {
        "from": january.isoformat(),
        CONF_CAPACITY_PRICE: 61.5,
    }
    await hass.async_block_till_done()

    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    result = await configure(hass, result["flow_id"], {"next_step_id": "capacity_remove"})
    assert [o["label"] for o in selector(result, "period").config["options"]] == [
        "Start of the history: 53.55 EUR/kW/year",
        f"From {january.isoformat()}: 61.5 EUR/kW/year",
    ]
    result = await configure(hass, result["flow_id"], {"period": january.isoformat()})
    assert result["reason"] == "reconfigure_successful"
    assert saved(both_entry, ELEC_EAN)["capacity_periods"] == [
        {"from": None, CONF_CAPACITY_PRICE: 53.55}
    ]
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    assert result["step_id"] == "capacity_price"  # one period: the form again


async def test_flat_settings_of_before_become_the_first_period(
    hass: HomeAssistant, fluvius: FluviusSimulator
) -> None:
    """A meter saved before the timelines (flat price keys, a capacity price) shows them as
    one period from the start; new prices from today store both timelines and no flat key
    is left."""
    flat = {**FIXED, CONF_CAPACITY_PRICE: 53.55}
    entry = account_entry([ELEC], TEST_HISTORY_DAYS, prices=flat)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    result = await settings_step(hass, entry, ELEC_EAN, "costs")
    assert result["description_placeholders"]["periods"] == (
        f"- **Start of the history**: {LINE_FIXED}"
    )
    result = await configure(hass, result["flow_id"], {"next_step_id": "costs_add"})
    result = await configure(hass, result["flow_id"], {"start": today().isoformat()})
    result = await configure(hass, result["flow_id"], {CONF_PRICE_SOURCE: "none"})
    result = await configure(hass, result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    data = saved(entry, ELEC_EAN)
    assert not set(data) & PRICE_KEYS
    assert {key: data[key] for key in ("price_periods", "capacity_periods")} == {
        "price_periods": [
            {"from": None, **FIXED},
            {"from": today().isoformat(), CONF_PRICE_SOURCE: "none", **ELEC_PERIOD},
        ],
        "capacity_periods": [{"from": None, CONF_CAPACITY_PRICE: 53.55}],
    }
