"""Granularity dialects: what each `granularity` code means, per (unsure) portal variant.

A dialect maps a code to (resolution, longest accepted range in Brussels wall-clock days).
Each dialect also has a refusal style, how the portal answers a request it will not serve
(unknown code, range too long, gas window misaligned, ...):

- "empty": HTTP 200 with `[]`, what the live portal does (FLUVIUS_API.md 2.1);
- "400": HTTP 400 with a JSON problem, what older reports and the first simulator played.

And a reading of the daily codes' window on gas meters (unknown, FLUVIUS_API.md 2.1):

- "start": a window serves the gas days (06:00 to 06:00 Brussels) whose start lies in it;
- "inside": only the gas days lying wholly inside it (a calendar day holds none).
"""

from __future__ import annotations

from collections.abc import Mapping
from random import Random

from .data import DAILY, HOURLY, QUARTER_HOUR, RESOLUTIONS

# Granularity code -> (resolution, longest accepted range in Brussels wall-clock days).
Dialect = Mapping[str, tuple[str, int]]
DIALECTS: dict[str, Dialect] = {
    "dialect_a": {
        "1": (QUARTER_HOUR, 1),
        "2": (HOURLY, 31),
        "3": (QUARTER_HOUR, 7),
        "4": (DAILY, 366),
    },
    "dialect_b": {"1": (QUARTER_HOUR, 1), "2": (HOURLY, 7), "3": (DAILY, 366), "4": (DAILY, 366)},
    "dialect_c": {"1": (QUARTER_HOUR, 1), "3": (DAILY, 92), "4": (DAILY, 366)},
    "daily_only": {"3": (DAILY, 366), "4": (DAILY, 366)},
    # What live clients report: sub-daily codes take one local day, refusals are `200 []`.
    "live": {"1": (QUARTER_HOUR, 1), "2": (HOURLY, 1), "3": (DAILY, 366), "4": (DAILY, 366)},
    # The other reported meaning of code 3: quarter-hours over 7-day windows.
    "live_3qh": {
        "1": (QUARTER_HOUR, 1),
        "2": (HOURLY, 1),
        "3": (QUARTER_HOUR, 7),
        "4": (DAILY, 366),
    },
}

EMPTY = "empty"
HTTP_400 = "400"
REFUSALS = (EMPTY, HTTP_400)
# The refusal style of each named dialect; custom and random dialects refuse silently.
DIALECT_REFUSALS: dict[str, str] = {
    "dialect_a": HTTP_400,
    "dialect_b": HTTP_400,
    "dialect_c": HTTP_400,
    "daily_only": HTTP_400,
    "live": EMPTY,
    "live_3qh": EMPTY,
}

RANDOM_PREFIX = "random:"
RANDOM_CODES = ("1", "2", "3", "4")
RANDOM_MAX_DAYS = 31
# Spikes range limits a random dialect draws from; 31 still admits any one-month local window.
RANDOM_PEAK_LIMITS = (31, 62, 92, 184, 366)
PEAKS_MAX_DAYS = 731  # the spikes endpoints' limit in every named dialect

# How a daily code reads a window on a gas meter: gas days starting in it, or wholly inside.
GAS_WINDOW_START = "start"
GAS_WINDOW_INSIDE = "inside"
GAS_DAILY_WINDOWS = (GAS_WINDOW_START, GAS_WINDOW_INSIDE)


def random_dialect(seed: int | str) -> dict[str, tuple[str, int]]:
    """A seeded random silent dialect: codes "1".."4", each a resolution and 1..31 days.

    At least one code is sub-daily and at least one is daily. The same seed always gives the
    same dialect (also across processes), and `"random:<seed>"` names it.
    """
    rng = Random(f"dialect:{seed}")
    sub_daily_code, daily_code = rng.sample(RANDOM_CODES, 2)
    dialect: dict[str, tuple[str, int]] = {}
    for code in RANDOM_CODES:
        if code == sub_daily_code:
            resolution = rng.choice((QUARTER_HOUR, HOURLY))
        elif code == daily_code:
            resolution = DAILY
        else:
            resolution = rng.choice(RESOLUTIONS)
        dialect[code] = (resolution, rng.randint(1, RANDOM_MAX_DAYS))
    return dialect


def random_peaks_max_days(seed: int | str) -> int:
    """The spikes range limit of `random_dialect(seed)`."""
    return Random(f"peaks:{seed}").choice(RANDOM_PEAK_LIMITS)


def random_gas_daily_window(seed: int | str) -> str:
    """The daily gas window reading of `random_dialect(seed)`: "start" or "inside".

    Seeds 1..50 give "inside" for 1, 3, 4, 7, 8, 12, 15, 21, 22, 23, 27, 29, 30, 37, 38, 39,
    41, 42, 44, 45, 46, 50 and "start" for the others (e.g. 2, 5, 6, 9, 10).
    """
    return Random(f"gaswindow:{seed}").choice(GAS_DAILY_WINDOWS)


def _random_seed(dialect: object) -> str | None:
    """The seed of a `"random:<seed>"` name, else None."""
    if isinstance(dialect, str) and dialect.startswith(RANDOM_PREFIX):
        seed = dialect.removeprefix(RANDOM_PREFIX)
        if not seed:
            raise ValueError('a random dialect is named "random:<seed>"')
        return seed
    return None


def resolve_dialect(dialect: str | Dialect) -> Dialect:
    """A dialect by name (incl. "random:<seed>"), or a custom mapping after checking it."""
    if isinstance(dialect, str):
        seed = _random_seed(dialect)
        if seed is not None:
            return random_dialect(seed)
        if dialect not in DIALECTS:
            raise ValueError(
                f"unknown dialect {dialect!r}; choose from {tuple(DIALECTS)} or 'random:<seed>'"
            )
        return DIALECTS[dialect]
    if not isinstance(dialect, Mapping) or not dialect:
        raise ValueError("a custom dialect is a non-empty {code: (resolution, max_days)}")
    for code, entry in dialect.items():
        if (
            not isinstance(code, str)
            or len(entry) != 2
            or entry[0] not in RESOLUTIONS
            or not isinstance(entry[1], int)
            or entry[1] < 1
        ):
            raise ValueError(f"bad dialect entry {code!r}: {entry!r}")
    return dialect


def refusal_of(dialect: str | Dialect) -> str:
    """How a dialect refuses what it does not serve: "empty" (200 []) or "400"."""
    resolve_dialect(dialect)
    if isinstance(dialect, str):
        return DIALECT_REFUSALS.get(dialect, EMPTY)
    return EMPTY


def peaks_max_days_of(dialect: str | Dialect) -> int:
    """The longest range (Brussels days) the spikes endpoints accept in a dialect."""
    resolve_dialect(dialect)
    seed = _random_seed(dialect)
    return PEAKS_MAX_DAYS if seed is None else random_peaks_max_days(seed)


def gas_daily_window_of(dialect: str | Dialect) -> str:
    """How a dialect's daily codes read a window on a gas meter: "start" or "inside".

    Named dialects and custom mappings: "start"; "random:<seed>": random_gas_daily_window.
    """
    resolve_dialect(dialect)
    seed = _random_seed(dialect)
    return GAS_WINDOW_START if seed is None else random_gas_daily_window(seed)
