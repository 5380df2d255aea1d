"""The fields of a meter's price periods in its settings: the first day of new prices, the
choice of a period, and the words a timeline is shown in (the integration's ``common``
translations, price_timeline.SUMMARY_WORDS).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import translation
from homeassistant.helpers.selector import (
    DateSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import probatio

from .const import DOMAIN
from .price_summary import SUMMARY_WORDS, period_label
from .price_timeline import Period

# The form fields of a period's first day, and of the period chosen (its first day, or
# FIRST_PERIOD for the one from the start of the history).
CONF_START = "start"
CONF_PERIOD = "period"
FIRST_PERIOD = "start"


def start_schema() -> probatio.Schema:
    """The first day of new prices."""
    return probatio.Schema({probatio.Required(CONF_START): DateSelector()})


def period_value(start: date | None) -> str:
    """A period as a select's value: its first day, or FIRST_PERIOD."""
    return FIRST_PERIOD if start is None else start.isoformat()


def period_start(value: str) -> date | None:
    """The first day of a period chosen in a select (None: the first period)."""
    return None if value == FIRST_PERIOD else date.fromisoformat(value)


def period_schema[T](
    periods: tuple[Period[T], ...], label: Callable[[T], str], words: Mapping[str, str]
) -> probatio.Schema:
    """A choice of one of the periods, each labelled with its first day and ``label(prices)``."""
    options = [
        SelectOptionDict(
            value=period_value(p.start),
            label=f"{period_label(p.start, words)}: {label(p.prices)}",
        )
        for p in periods
    ]
    choice = SelectSelector(SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST))
    return probatio.Schema({probatio.Required(CONF_PERIOD): choice})


def parse_day(value: Any) -> date | None:
    """A date field's day (None: empty); ValueError when it is not a date."""
    if value in (None, ""):
        return None
    return date.fromisoformat(str(value))


async def async_words(hass: HomeAssistant) -> dict[str, str]:
    """The words a timeline is shown in (price_timeline.SUMMARY_WORDS), in Home Assistant's
    language (a flow does not know the browser's); English where a word is missing."""
    found: dict[str, str] = {}
    for language in ("en", hass.config.language):
        texts = await translation.async_get_translations(hass, language, "common", [DOMAIN])
        prefix = f"component.{DOMAIN}.common."
        found |= {key: texts[prefix + key] for key in SUMMARY_WORDS if prefix + key in texts}
    return found
