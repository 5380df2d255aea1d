"""Granularity dialects: what each `granularity` code means, per (unsure) portal variant."""

from __future__ import annotations

from collections.abc import Mapping

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
}


def resolve_dialect(dialect: str | Dialect) -> Dialect:
    """A dialect by name, or a custom mapping after checking it."""
    if isinstance(dialect, str):
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; choose from {tuple(DIALECTS)}")
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
