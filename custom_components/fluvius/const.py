"""Constants of the Fluvius integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "fluvius"

CONF_EAN: Final = "ean"
CONF_METER_SERIAL: Final = "meter_serial"
CONF_METER_TYPE: Final = "meter_type"
CONF_DIALECTS: Final = "dialects"
CONF_HISTORY_DAYS: Final = "history_days"
# First day NOT imported into statistics (a P1 meter's statistics take over from it).
CONF_IMPORT_UNTIL: Final = "import_until"

# A config entry is one Fluvius account; each of its meters is a subentry of this type.
SUBENTRY_METER: Final = "meter"

DEFAULT_HISTORY_DAYS: Final = 365
# How far back the "days of history" option may reach. Mijn Fluvius shows the
# measurement history of a digital meter for (at most) the last three calendar
# years; asking for more only yields empty answers. This is our documented
# ceiling, not a value the portal announces.
MAX_HISTORY_DAYS: Final = 3 * 365

CONFIGURATION_URL: Final = "https://mijn.fluvius.be/"
MANUFACTURER: Final = "Fluvius"

# How many recent days Fluvius may still revise: the coordinator re-reads them daily, and
# after an outage or a restart the statistics re-import that many days before the newest
# imported one (they may have been revised while nobody was reading).
REVISION_DAYS: Final = 8

# The coordinator ticks every hour, but only talks to Fluvius when data is due
# (see coordinator.py for the schedule).
UPDATE_INTERVAL: Final = timedelta(hours=1)

STORAGE_VERSION: Final = 1
