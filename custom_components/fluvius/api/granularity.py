"""What each granularity code delivers for one meter, learnt from answers, never assumed.

A code's resolution is judged from the `d`/`de` lengths it returns; the longest range it
accepts is searched by starting optimistic, halving on each refusal, then bisecting between
the longest range that delivered data and the shortest that was refused. A refusal is a 400
on some portals and an empty `200 []` on the real one, so an empty answer only counts as a
refusal once another answer shows that data exists there (see fetching.py). The days seen with
data are kept as that evidence. The state is plain data, exportable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .errors import FluviusPayloadError
from .models import GranularityCapability, MeterType, Register, Resolution

CANDIDATE_CODES: tuple[str, ...] = ("1", "2", "3", "4")
OPTIMISTIC_DAYS = 366  # first guess for an untested code; longer ranges are always split
OPTIMISTIC_MONTHS = 24  # the same for the monthly peaks endpoint
_FINEST_FIRST = (Resolution.QUARTER_HOUR, Resolution.HOUR, Resolution.DAY)
# 2: ranges that answered `[]` no longer count as accepted; version-1 state may hold such
# ranges and is relearnt.
DIALECT_VERSION = 2
_MAX_STEPS = 2000  # guard against a server that keeps changing its mind


@dataclass(slots=True)
class RangeLimit:
    """Bounds on the longest range (in days or months) an endpoint/code accepts."""

    cap: int = OPTIMISTIC_DAYS
    max_ok: int = 0  # longest range that delivered data
    min_fail: int | None = None  # shortest range refused (400, or empty where data exists)

    @property
    def settled(self) -> bool:
        return self.min_fail is not None and self.min_fail <= self.max_ok + 1

    def trusts(self, length: int) -> bool:
        """An empty answer over `length` is believed: ranges that long delivered data."""
        return 0 < length <= self.max_ok

    @property
    def potential(self) -> int:
        """The longest range that might still work."""
        return self.cap if self.min_fail is None else self.min_fail - 1

    def record_ok(self, length: int) -> None:
        self.max_ok = max(self.max_ok, length)
        if self.min_fail is not None and self.min_fail <= length:
            self.min_fail = None  # the server got more lenient; search upwards again

    def record_fail(self, length: int) -> None:
        if length <= self.max_ok:
            self.max_ok = length - 1  # the server got stricter
        self.min_fail = length if self.min_fail is None else min(self.min_fail, length)

    def next_length(self, remaining: int, *, grow: bool = False) -> int:
        """How much of `remaining` to ask for next (at least 1).

        Untested ranges start optimistic (`cap`), or with `grow` at twice the longest range
        that delivered: sub-daily codes usually take one day, and a request that delivers
        data is never wasted, where an optimistic one that is refused is.
        """
        if remaining <= self.max_ok:
            return remaining
        if self.min_fail is None:
            guess = self.max_ok * 2 if grow and self.max_ok else self.cap
        elif self.max_ok == 0:
            guess = self.min_fail // 2  # halve until something works
        else:
            guess = (self.max_ok + self.min_fail) // 2  # bisect towards the limit
        return max(1, min(remaining, guess, self.potential))

    def to_dict(self) -> dict[str, Any]:
        return {"max_ok": self.max_ok, "min_fail": self.min_fail}

    @classmethod
    def from_dict(cls, data: dict[str, Any], cap: int) -> RangeLimit:
        min_fail = data.get("min_fail")
        return cls(
            cap=cap,
            max_ok=max(0, int(data.get("max_ok", 0))),
            min_fail=None if min_fail is None else max(1, int(min_fail)),
        )


@dataclass(slots=True)
class CodeKnowledge:
    """What one granularity code was seen to do."""

    resolution: Resolution | None = None
    unsupported: bool = False  # refused a single day that another code had data for
    limit: RangeLimit = field(default_factory=RangeLimit)
    # Gas meters: the local hour the windows this code delivered data in start at (0:
    # calendar days, 6: gas days); None until seen. Electricity always asks calendar days.
    day_start: int | None = None

    @property
    def judged(self) -> bool:
        return self.unsupported or self.resolution is not None

    def record_fail(self, days: int) -> None:
        self.limit.record_fail(days)
        if days <= 1:
            self.unsupported = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "resolution": self.resolution.value if self.resolution else None,
            "unsupported": self.unsupported,
            "day_start": self.day_start,
            **self.limit.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeKnowledge:
        raw = data.get("resolution")
        day_start = data.get("day_start")
        return cls(
            resolution=Resolution(raw) if raw else None,
            unsupported=bool(data.get("unsupported", False)),
            limit=RangeLimit.from_dict(data, OPTIMISTIC_DAYS),
            day_start=day_start if day_start in (0, 6) else None,
        )


@dataclass(slots=True)
class EndpointDialect:
    """Knowledge about the codes of one measurement endpoint (current or legacy)."""

    codes: dict[str, CodeKnowledge] = field(
        default_factory=lambda: {code: CodeKnowledge() for code in CANDIDATE_CODES}
    )

    def unjudged(self) -> list[str]:
        return [code for code, known in self.codes.items() if not known.judged]

    def usable(self) -> dict[str, CodeKnowledge]:
        return {c: k for c, k in self.codes.items() if not k.unsupported and k.resolution}

    def best_resolution(self, wanted: Resolution) -> Resolution | None:
        """The finest resolution on offer that is not finer than `wanted`."""
        offered = {k.resolution for k in self.usable().values()}
        allowed = _FINEST_FIRST[_FINEST_FIRST.index(wanted) :]
        return next((r for r in allowed if r in offered), None)

    def choose(self, resolution: Resolution) -> str | None:
        """The code for `resolution` that may accept the longest range (ties: proven longest)."""
        candidates = [(c, k) for c, k in self.usable().items() if k.resolution is resolution]
        if not candidates:
            return None
        code, _ = max(candidates, key=lambda ck: (ck[1].limit.potential, ck[1].limit.max_ok))
        return code

    def daily_only(self) -> bool:
        """A daily code delivers data, and no code delivers anything finer."""
        return self.best_resolution(Resolution.QUARTER_HOUR) is Resolution.DAY

    def finer_candidates(self) -> list[str]:
        """Codes that might deliver finer data one day: all but those proven daily."""
        return [
            code
            for code, known in self.codes.items()
            if known.unsupported or known.resolution is not Resolution.DAY
        ]

    def capabilities(self) -> list[GranularityCapability]:
        """Usable codes, finest first; max_days is the longest range seen to work."""
        found = [
            GranularityCapability(code, k.resolution, k.limit.max_ok)
            for code, k in self.usable().items()
            if k.resolution is not None
        ]
        return sorted(found, key=lambda c: (_FINEST_FIRST.index(c.resolution), -c.max_days))

    def to_dict(self) -> dict[str, Any]:
        return {code: known.to_dict() for code, known in self.codes.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EndpointDialect:
        dialect = cls()
        for code, known in data.items():
            dialect.codes[str(code)] = CodeKnowledge.from_dict(known)
        return dialect


@dataclass(slots=True)
class MeterDialect:
    """Everything learnt about one meter (EAN + serial)."""

    meter_type: MeterType | None = None
    legacy: bool = False  # measurements come from consumption-histories
    legacy_peaks: bool = False  # peaks come from consumption-spikes
    current: EndpointDialect = field(default_factory=EndpointDialect)
    legacy_codes: EndpointDialect = field(default_factory=EndpointDialect)
    peak_months: RangeLimit = field(default_factory=lambda: RangeLimit(cap=OPTIMISTIC_MONTHS))
    # The oldest and newest (calendar or gas) day any answer had data for: evidence that an
    # empty answer over a range holding them was a refusal.
    seen_first: date | None = None
    seen_last: date | None = None
    # The local day a meter that delivers daily values only was last asked for finer data.
    finer_checked: date | None = None
    # The registers any answer listed for this meter: one missing from a period reads 0.
    registers: frozenset[Register] = frozenset()

    def saw(self, first: date, last: date) -> None:
        """Answers held data from `first` to `last`."""
        self.seen_first = first if self.seen_first is None else min(self.seen_first, first)
        self.seen_last = last if self.seen_last is None else max(self.seen_last, last)

    def seen_between(self, first: date, last: date) -> bool:
        """Whether first..last overlaps the days seen with data."""
        return (
            self.seen_first is not None
            and self.seen_last is not None
            and first <= self.seen_last
            and last >= self.seen_first
        )

    @property
    def measurements(self) -> EndpointDialect:
        """The endpoint dialect in use."""
        return self.legacy_codes if self.legacy else self.current

    def forget_codes(self) -> None:
        """Drop what was learnt about the endpoint in use."""
        if self.legacy:
            self.legacy_codes = EndpointDialect()
        else:
            self.current = EndpointDialect()

    def to_dict(self) -> dict[str, Any]:
        return {
            "meter_type": self.meter_type.value if self.meter_type else None,
            "legacy": self.legacy,
            "legacy_peaks": self.legacy_peaks,
            "current": self.current.to_dict(),
            "legacy_codes": self.legacy_codes.to_dict(),
            "peak_months": self.peak_months.to_dict(),
            "seen_first": self.seen_first.isoformat() if self.seen_first else None,
            "seen_last": self.seen_last.isoformat() if self.seen_last else None,
            "finer_checked": self.finer_checked.isoformat() if self.finer_checked else None,
            "registers": sorted(register.value for register in self.registers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MeterDialect:
        meter_type = data.get("meter_type")
        return cls(
            meter_type=MeterType(meter_type) if meter_type else None,
            legacy=bool(data.get("legacy", False)),
            legacy_peaks=bool(data.get("legacy_peaks", False)),
            current=EndpointDialect.from_dict(data.get("current") or {}),
            legacy_codes=EndpointDialect.from_dict(data.get("legacy_codes") or {}),
            peak_months=RangeLimit.from_dict(data.get("peak_months") or {}, OPTIMISTIC_MONTHS),
            seen_first=_day(data.get("seen_first")),
            seen_last=_day(data.get("seen_last")),
            finer_checked=_day(data.get("finer_checked")),
            registers=frozenset(Register(value) for value in data.get("registers") or ()),
        )


def _day(raw: object) -> date | None:
    return date.fromisoformat(raw) if isinstance(raw, str) else None


def meter_key(ean: str, serial: str) -> str:
    return f"{ean.strip()}:{serial.strip().upper()}"


def export_dialects(meters: dict[str, MeterDialect]) -> dict[str, Any]:
    return {
        "version": DIALECT_VERSION,
        "meters": {key: dialect.to_dict() for key, dialect in meters.items()},
    }


def import_dialects(data: dict[str, Any]) -> dict[str, MeterDialect]:
    """Inverse of export_dialects; meters that do not parse are skipped (relearnt later)."""
    if not isinstance(data, dict) or data.get("version") != DIALECT_VERSION:
        return {}
    meters: dict[str, MeterDialect] = {}
    raw_meters = data.get("meters")
    for key, raw in (raw_meters if isinstance(raw_meters, dict) else {}).items():
        try:
            meters[str(key)] = MeterDialect.from_dict(raw)
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return meters


def judge_days(start: date, end: date, today: date) -> list[date]:
    """Days to judge a code from: probably published, preferably inside the asked range."""
    settled = today - timedelta(days=4)  # gas is published up to ~3 days late
    picks = [min(end, settled), settled, today - timedelta(days=11), start]
    return [day for day in dict.fromkeys(picks) if day < today]


def step(steps: int) -> int:
    """One more request of a walk over ranges; a portal that never settles ends the walk."""
    if steps >= _MAX_STEPS:
        raise FluviusPayloadError("the portal keeps changing the ranges it accepts")
    return steps + 1
