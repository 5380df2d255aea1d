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

# Price settings of a meter (its subentry data; every one optional).
CONF_PRICE_SOURCE: Final = "price_source"  # "none", "fixed" or "entity"
CONF_PRICE_ENTITY: Final = "price_entity"  # a sensor in currency/kWh, /MWh (or /m³ for gas)
# The contract formula on the entity's price: price × factor + offset, per direction.
CONF_OFFTAKE_FACTOR: Final = "offtake_factor"
CONF_OFFTAKE_OFFSET: Final = "offtake_offset"
CONF_INJECTION_FACTOR: Final = "injection_factor"
CONF_INJECTION_OFFSET: Final = "injection_offset"
# Fixed prices: "price_<register>" in currency per kWh (gas volume: per m³), e.g.
# price_consumption_high; gas is priced on one register, the one named by gas_price_unit.
CONF_PRICE_PREFIX: Final = "price_"
CONF_GAS_PRICE: Final = "price_gas"
CONF_GAS_PRICE_UNIT: Final = "gas_price_unit"  # "m³" (gas_volume) or "kWh" (gas_energy)
# With a price entity: the price (currency per kWh; gas: per the unit the entity prices)
# for every quarter-hour the entity has no price for, per direction and for gas.
CONF_FALLBACK_OFFTAKE: Final = "fallback_offtake"
CONF_FALLBACK_INJECTION: Final = "fallback_injection"
CONF_FALLBACK_GAS: Final = "fallback_gas"
# The capacity tariff's price in currency per kW per year (Fluvius region's tariff sheet).
CONF_CAPACITY_PRICE: Final = "capacity_price"

PRICE_SOURCE_NONE: Final = "none"
PRICE_SOURCE_FIXED: Final = "fixed"
PRICE_SOURCE_ENTITY: Final = "entity"

# A meter's prices over time (price_timeline.py): its energy price periods, each a start day
# and its own price settings (the keys above), and its capacity tariff's price periods.
CONF_PRICE_PERIODS: Final = "price_periods"
CONF_CAPACITY_PERIODS: Final = "capacity_periods"
