"""Wording as a Flemish (or Walloon) household reads it (issue #23, item 5).

- The settings forms' units are translated the way the frontend looks them up: a number
  selector with a translation key shows `selector.<key>.unit_of_measurement.<unit>` of the
  integration's translations, else the raw unit ("days", "EUR/kW/year" in a Dutch form).
- Where our texts name a place in Home Assistant's own interface (Settings → Devices &
  services, a device page's ⋮ → Download diagnostics), they use the frontend's own label in
  that language, read from the installed frontend package (home-assistant-frontend), so that
  what the text says is what the user finds.
- Where they name a step of our own settings (⚙ → Energy costs), they use that step's label.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import hass_frontend
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, translation
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.const import CONF_CAPACITY_PRICE, CONF_HISTORY_DAYS, DOMAIN
from tests.simulator import FluviusSimulator
from tests.simulator.demo import ELEC_EAN

from .test_config_flow import set_up
from .test_subentry_flow import settings_step

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "fluvius"
LANGUAGES = ("en", "nl", "fr")
FRONTEND_TRANSLATIONS = Path(hass_frontend.where()) / "static" / "translations"
# Our texts that name a place of the frontend, and the frontend's labels they name.
FRONTEND_PLACES = {
    ("issues", "no_data", "description"): (
        "panel.config",  # Settings
        "ui.panel.config.dashboard.devices.main",  # Devices & services
        "ui.panel.config.devices.download_diagnostics",  # the device page's ⋮ item
    ),
    ("config_subentries", "meter", "error", "price_entity_currency"): (
        "panel.config",
        "ui.panel.config.dashboard.system.main",  # System
        "ui.panel.config.core.caption",  # Home information
    ),
    ("config_subentries", "meter", "abort", "recosting"): (
        "ui.panel.config.devices.entities.diagnostic",  # the device page's Diagnostic
    ),
}
# Phrases a native reader stumbles over, and what replaced them.
NOT_NATIVE = {
    "nl": (
        "kan niet wijzigen",  # "kan niet gewijzigd worden"
        "Energie-dashboard",  # "energiedashboard", as Home Assistant writes it
    ),
    "fr": ("Coûts d'énergie",),  # "Coûts de l'énergie", the settings' own label
    "en": (),
}


def _texts(language: str) -> dict[str, Any]:
    name = "strings.json" if language == "en" else f"translations/{language}.json"
    return json.loads((INTEGRATION / name).read_text(encoding="utf-8"))


def _strings(tree: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for value in tree.values():
        found.extend(_strings(value) if isinstance(value, dict) else [value])
    return found


def _frontend_labels(language: str) -> dict[str, str]:
    """The frontend's translations of one language: the main file and the config panel's."""
    labels: dict[str, str] = {}
    pattern = re.compile(rf"{re.escape(language)}-[0-9a-f]{{32}}\.json")
    for folder in (FRONTEND_TRANSLATIONS, FRONTEND_TRANSLATIONS / "config"):
        (found,) = [path for path in folder.iterdir() if pattern.fullmatch(path.name)]
        labels |= json.loads(found.read_text(encoding="utf-8"))
    return labels


@pytest.mark.parametrize("language", LANGUAGES)
def test_frontend_places_named_as_the_frontend_names_them(language: str) -> None:
    """Each place of Home Assistant's interface our texts send the user to carries the
    frontend's own label in that language (nl: "Apparaten en diensten", "Diagnostiek
    downloaden", not "Apparaten & diensten", "Diagnostische gegevens downloaden")."""
    texts, labels = _texts(language), _frontend_labels(language)
    for path, keys in FRONTEND_PLACES.items():
        text: Any = texts
        for part in path:
            text = text[part]
        for key in keys:
            assert labels[key] in text, (language, path, labels[key])


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings_named_by_their_own_labels(language: str) -> None:
    """A text that sends the user to a step of the meter's settings (⚙ → Energy costs)
    names it as the settings menu does."""
    texts = _texts(language)
    menu = texts["config_subentries"]["meter"]["step"]["reconfigure"]["menu_options"]
    assert f"⚙ → {menu['costs']})" in texts["issues"]["no_cost"]["description"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_phrases_a_native_reader_stumbles_over(language: str) -> None:
    """The phrases reported as not native are gone, everywhere."""
    for text in _strings(_texts(language)):
        for phrase in NOT_NATIVE[language]:
            assert phrase not in text, (language, phrase, text)


def _unit(result: Any, field: str) -> tuple[str, str]:
    """A number field's unit and translation key, as the frontend receives the form."""
    schema = probatio.to_field_list(result["data_schema"], custom_serializer=cv.custom_serializer)
    (number,) = [item["selector"]["number"] for item in schema if item["name"] == field]
    return number["unit_of_measurement"], number.get("translation_key", "")


async def test_units_in_the_users_language(
    hass: HomeAssistant, fluvius: FluviusSimulator, both_entry: MockConfigEntry
) -> None:
    """The days of history and the capacity price show their units translated the way the
    frontend looks them up (component.fluvius.selector.<key>.unit_of_measurement.<unit>):
    "dagen" and "EUR/kW/jaar" in Dutch, "jours" and "EUR/kW/an" in French."""
    await set_up(hass, both_entry)
    result = await settings_step(hass, both_entry, ELEC_EAN, "meter")
    units = {CONF_HISTORY_DAYS: _unit(result, CONF_HISTORY_DAYS)}
    hass.config_entries.subentries.async_abort(result["flow_id"])  # left as it is
    result = await settings_step(hass, both_entry, ELEC_EAN, "capacity")
    units[CONF_CAPACITY_PRICE] = _unit(result, CONF_CAPACITY_PRICE)
    assert units == {
        CONF_HISTORY_DAYS: ("days", CONF_HISTORY_DAYS),
        CONF_CAPACITY_PRICE: ("eur_per_kw_year", CONF_CAPACITY_PRICE),
    }
    expected = {
        "en": ("days", "EUR/kW/year"),
        "nl": ("dagen", "EUR/kW/jaar"),
        "fr": ("jours", "EUR/kW/an"),
    }
    for language, words in expected.items():
        texts = await translation.async_get_translations(hass, language, "selector", [DOMAIN])
        shown = tuple(
            texts.get(f"component.{DOMAIN}.selector.{key}.unit_of_measurement.{unit}", unit)
            for unit, key in units.values()
        )
        assert shown == words, language
