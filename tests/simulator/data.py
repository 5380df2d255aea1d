"""Deterministic meter data and the ground truth the portal serves.

Everything is derived from (seed, EAN, day) with string-seeded `random.Random` instances, so a
value never depends on which requests came before it. Values are rounded to 3 decimals here,
once, so the truth and the served JSON are the same numbers.

Days: an electricity day is a Brussels calendar day; a gas day runs 06:00-06:00 Brussels time.
A day is generated as one block (92/96/100 quarter-hours, or 23/24/25 hours) and cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
import math
from random import Random
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)

QUARTER_HOUR = "quarter_hour"
HOURLY = "hour"
DAILY = "day"
RESOLUTIONS = (QUARTER_HOUR, HOURLY, DAILY)

CONSUMPTION_HIGH = "consumption_high"
CONSUMPTION_LOW = "consumption_low"
CONSUMPTION_SINGLE = "consumption_single"
INJECTION_HIGH = "injection_high"
INJECTION_LOW = "injection_low"
INJECTION_SINGLE = "injection_single"
GAS_VOLUME = "gas_volume"
GAS_ENERGY = "gas_energy"
OFFTAKE_REGISTERS = (CONSUMPTION_HIGH, CONSUMPTION_LOW, CONSUMPTION_SINGLE)

# Value status codes (`vs`): 2 is final; the others mark values that will still be revised.
VS_ESTIMATED = 1
VS_FINAL = 2
VS_PROVISIONAL = 3

GAS_DAY_START = time(6)

# What a household has requested in Mijn Fluvius (Verbruik → Aanvragen): nothing, daily
# values only, or everything (quarter-hours / hours too).
ACCESS_NONE = "none"
ACCESS_DAILY = "daily"
ACCESS_DETAILED = "detailed"
ACCESS_LEVELS = (ACCESS_NONE, ACCESS_DAILY, ACCESS_DETAILED)
_LATITUDE = math.radians(50.85)
_LONGITUDE_DEG = 4.35
_PANEL_TILT = math.radians(35)


# --- identifiers ---------------------------------------------------------------------------


def ean_check_digit(body17: str) -> int:
    """GS1 mod-10 check digit for the first 17 digits of a GSRN/EAN-18."""
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError("an EAN body is 17 digits")
    # Weights 3,1,3,... from the rightmost body digit.
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body17)))
    return (10 - total % 10) % 10


def make_ean(body17: str) -> str:
    """Complete a 17-digit body (starting with 54) into a valid 18-digit EAN."""
    if not body17.startswith("54"):
        raise ValueError("Belgian EANs start with 54")
    return body17 + str(ean_check_digit(body17))


def is_valid_ean(ean: str) -> bool:
    """True for an 18-digit, 54-prefixed string with a correct check digit."""
    return (
        len(ean) == 18
        and ean.isdigit()
        and ean.startswith("54")
        and ean_check_digit(ean[:17]) == int(ean[17])
    )


# --- meters and timing rules ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimMeter:
    """One simulated meter. `installed` is a Brussels date; no data exists before it.

    `access`: the data access the household requested before the simulation starts: "none"
    (the portal serves nothing), "daily" (daily values only) or "detailed" (everything since
    installation); `FluviusSimulator.grant_detailed` changes it live.
    """

    ean: str
    serial: str
    kind: str = "electricity"  # "electricity" | "gas"
    installed: date = date(2023, 9, 1)
    solar_kwp: float = 0.0
    tariff: str = "dual"  # "dual" (high/low registers) | "single"
    ev: bool = False  # EV charging sessions (the monthly peaks)
    base_load_kw: float = 0.18
    heating_m3_per_degree_day: float = 0.42  # gas: heating demand per heating degree day
    access: str = ACCESS_DETAILED  # "none" | "daily" | "detailed"

    def __post_init__(self) -> None:
        if self.kind not in ("electricity", "gas"):
            raise ValueError(f"unknown meter kind {self.kind!r}")
        if self.tariff not in ("dual", "single"):
            raise ValueError(f"unknown tariff {self.tariff!r}")
        if not is_valid_ean(self.ean):
            raise ValueError(f"invalid EAN {self.ean!r}")
        if self.access not in ACCESS_LEVELS:
            raise ValueError(f"access must be one of {ACCESS_LEVELS}, not {self.access!r}")

    @property
    def is_gas(self) -> bool:
        """Gas meters register hourly, on gas days."""
        return self.kind == "gas"

    @property
    def registers(self) -> tuple[str, ...]:
        """The register names this meter reports."""
        if self.is_gas:
            return (GAS_VOLUME, GAS_ENERGY)
        if self.tariff == "single":
            return (CONSUMPTION_SINGLE, INJECTION_SINGLE)
        return (CONSUMPTION_HIGH, CONSUMPTION_LOW, INJECTION_HIGH, INJECTION_LOW)


@dataclass(frozen=True, slots=True)
class Publication:
    """When a day appears on the portal, and how long it stays provisional."""

    elec_delay_days: int = 1  # electricity day D appears at D+1 ...
    gas_delay_days: int = 3  # ... gas day G at G+3 ...
    publish_hour: int = 7  # ... at this Brussels hour
    revision_days: int = 2  # provisional for this long after publication, then final
    provisional_share: float = 0.1  # share of intervals that differ while provisional
    provisional_error: float = 0.3  # those differ by up to this fraction


@dataclass(frozen=True, slots=True)
class Period:
    """One served period: [start, end) in UTC, register values, status, gas factor."""

    start: datetime
    end: datetime
    values: dict[str, float]
    status: int
    factor: float | None = None


@dataclass(slots=True)
class DayBlock:
    """All native intervals of one (electricity or gas) day."""

    day: date
    start: datetime
    end: datetime
    step: timedelta
    starts: list[datetime]
    values: dict[str, list[float]]
    status: list[int]
    factor: float | None = None
    _total: dict[str, float] | None = field(default=None, repr=False)
    _peak: tuple[float, datetime, datetime] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.starts)

    def interval(self, i: int) -> Period:
        """The i-th native interval."""
        return Period(
            self.starts[i],
            self.starts[i] + self.step,
            {reg: vals[i] for reg, vals in self.values.items()},
            self.status[i],
            self.factor,
        )

    def peak(self) -> tuple[float, datetime, datetime]:
        """The day's highest quarter-hour offtake power (kW, start, end), the first if tied
        (cached: blocks never change)."""
        if self._peak is None:
            offtake = [self.values[reg] for reg in OFFTAKE_REGISTERS if reg in self.values]
            best: tuple[float, datetime, datetime] | None = None
            for i, when in enumerate(self.starts):
                kw = round(sum(vals[i] for vals in offtake) * 4, 3)
                if best is None or kw > best[0]:
                    best = (kw, when, when + QUARTER)
            assert best is not None
            self._peak = best
        return self._peak

    def total(self) -> Period:
        """The whole day as one period."""
        if self._total is None:
            self._total = {reg: round(sum(vals), 3) for reg, vals in self.values.items()}
        return Period(
            self.start, self.end, dict(self._total), combine_status(self.status), self.factor
        )


def combine_status(codes: list[int]) -> int:
    """Status of an aggregate: final only when every part is final; estimated wins."""
    if all(c == VS_FINAL for c in codes):
        return VS_FINAL
    return VS_ESTIMATED if VS_ESTIMATED in codes else VS_PROVISIONAL


def aggregate(parts: list[Period], start: datetime, end: datetime) -> Period:
    """Sum periods into one (3-decimal rounding, same as DayBlock.total)."""
    regs = parts[0].values.keys()
    values = {reg: round(sum(p.values[reg] for p in parts), 3) for reg in regs}
    return Period(start, end, values, combine_status([p.status for p in parts]), parts[0].factor)


def local_midnight(day: date) -> datetime:
    """Start of a Brussels calendar day, in UTC."""
    return datetime.combine(day, time(0), BRUSSELS).astimezone(UTC)


def utc_z(value: datetime) -> str:
    """ISO UTC with a Z suffix, as the portal writes it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- physical models -----------------------------------------------------------------------


def _bump(hour: float, center: float, width: float) -> float:
    return math.exp(-(((hour - center) / width) ** 2))


def _season(day: date) -> float:
    """+1 in mid-January, -1 in mid-July."""
    return math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)


def solar_fraction(instant: datetime) -> float:
    """Clear-sky output of a south-facing 35° array at Brussels, as a fraction of kWp."""
    doy = instant.timetuple().tm_yday
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + doy) / 365)
    b = 2 * math.pi * (doy - 81) / 364
    eot_min = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)
    solar_hour = instant.hour + instant.minute / 60 + _LONGITUDE_DEG / 15 + eot_min / 60
    hour_angle = math.radians(15 * (solar_hour - 12))
    sin_elev = math.sin(_LATITUDE) * math.sin(decl) + math.cos(_LATITUDE) * math.cos(
        decl
    ) * math.cos(hour_angle)
    if sin_elev <= 0.02:
        return 0.0
    air_mass = min(1 / sin_elev, 30.0)
    direct = 1.353 * 0.7 ** (air_mass**0.678)
    tilt_lat = _LATITUDE - _PANEL_TILT
    cos_incidence = math.sin(decl) * math.sin(tilt_lat) + math.cos(decl) * math.cos(
        tilt_lat
    ) * math.cos(hour_angle)
    diffuse = 0.1 * direct * (1 + math.cos(_PANEL_TILT)) / 2
    return 0.85 * (direct * max(0.0, cos_incidence) + diffuse)


@dataclass(frozen=True, slots=True)
class _EvSession:
    start: datetime
    power_kw: float
    energy_kwh: float

    def kwh_in(self, quarter_start: datetime) -> float:
        if quarter_start < self.start:
            return 0.0
        done = (quarter_start - self.start) / QUARTER * self.power_kw / 4
        return max(0.0, min(self.power_kw / 4, self.energy_kwh - done))


# --- the series ----------------------------------------------------------------------------


class _SharedBlocks:
    """Day blocks shared by every simulator in this process, least recently used dropped.

    A day's values depend only on the seed, the meter and (provisional values) the publication
    schedule, never on the clock or the dialect, so a year of truth is generated once per test
    process instead of once per test (every Energy test asks for a year of monthly peaks).
    Blocks are never changed after they are made (served periods are copies)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._blocks: OrderedDict[tuple[object, ...], DayBlock] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> DayBlock | None:
        block = self._blocks.get(key)
        if block is not None:
            self._blocks.move_to_end(key)
        return block

    def put(self, key: tuple[object, ...], block: DayBlock) -> None:
        self._blocks[key] = block
        if len(self._blocks) > self._capacity:
            self._blocks.popitem(last=False)


# About 20 kB a block: at most some 150 MB per test process.
_SHARED = _SharedBlocks(capacity=8000)


class MeterSeries:
    """Deterministic intervals of one meter, final and as served at any instant."""

    def __init__(self, meter: SimMeter, seed: int | str, publication: Publication) -> None:
        self.meter = meter
        self.publication = publication
        self._key = f"{seed}:{meter.ean}"
        self._final: dict[date, DayBlock | None] = {}
        self._provisional: dict[date, DayBlock | None] = {}
        self._peaks: dict[tuple[int, int], tuple[float, datetime, datetime] | None] = {}

    def variant(self, label: str) -> MeterSeries:
        """Another, unrelated series for the same meter (legacy decoy meters)."""
        other = MeterSeries(self.meter, "", self.publication)
        other._key = f"{self._key}:{label}"
        return other

    # days

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """UTC start/end of an electricity day or gas day."""
        start_time = GAS_DAY_START if self.meter.is_gas else time(0)
        start = datetime.combine(day, start_time, BRUSSELS).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), start_time, BRUSSELS).astimezone(UTC)
        return start, end

    def day_of(self, instant: datetime) -> date:
        """The (electricity or gas) day an instant belongs to."""
        local = instant.astimezone(BRUSSELS)
        if self.meter.is_gas and local.time() < GAS_DAY_START:
            return local.date() - timedelta(days=1)
        return local.date()

    def publish_time(self, day: date) -> datetime:
        """When a day first appears on the portal."""
        pub = self.publication
        delay = pub.gas_delay_days if self.meter.is_gas else pub.elec_delay_days
        when = datetime.combine(day + timedelta(days=delay), time(pub.publish_hour), BRUSSELS)
        return when.astimezone(UTC)

    def final_time(self, day: date) -> datetime:
        """When a day's provisional values are replaced by final ones."""
        return self.publish_time(day) + timedelta(days=self.publication.revision_days)

    def last_published_day(self, as_of: datetime) -> date:
        """The latest day whose publication time is not after `as_of`."""
        pub = self.publication
        delay = pub.gas_delay_days if self.meter.is_gas else pub.elec_delay_days
        day = as_of.astimezone(BRUSSELS).date() - timedelta(days=delay)
        while self.publish_time(day) > as_of:
            day -= timedelta(days=1)
        return day

    def block(self, day: date, as_of: datetime | None = None) -> DayBlock | None:
        """A day as served at `as_of` (None: final values, published or not)."""
        if as_of is None:
            return self.final_block(day)
        if self.publish_time(day) > as_of:
            return None
        if as_of < self.final_time(day):
            return self.provisional_block(day)
        return self.final_block(day)

    def blocks(self, start: datetime, end: datetime, as_of: datetime | None) -> Iterator[DayBlock]:
        """Served day blocks overlapping [start, end), in order."""
        day = self.day_of(start)
        last = self.day_of(end - timedelta(microseconds=1))
        while day <= last:
            block = self.block(day, as_of)
            if block is not None:
                yield block
            day += timedelta(days=1)

    def final_block(self, day: date) -> DayBlock | None:
        """Final values of a day (cached, shared by every series of the same meter and seed),
        None before installation."""
        if day not in self._final:
            if day < self.meter.installed:
                self._final[day] = None
            else:
                key = ("final", self._key, self.meter, day)
                if (block := _SHARED.get(key)) is None:
                    block = self._gas_day(day) if self.meter.is_gas else self._electricity_day(day)
                    _SHARED.put(key, block)
                self._final[day] = block
        return self._final[day]

    def provisional_block(self, day: date) -> DayBlock | None:
        """The values served while a day is still provisional (cached, shared like the final
        ones, per publication)."""
        if day not in self._provisional:
            final = self.final_block(day)
            if final is None:
                self._provisional[day] = None
            else:
                key = ("provisional", self._key, self.meter, self.publication, day)
                if (block := _SHARED.get(key)) is None:
                    block = self._provisional_of(final)
                    _SHARED.put(key, block)
                self._provisional[day] = block
        return self._provisional[day]

    # periods

    def periods(
        self, start: datetime, end: datetime, resolution: str, as_of: datetime | None
    ) -> list[Period]:
        """Served periods whose start lies in [start, end), oldest first."""
        if resolution == DAILY:
            return [b.total() for b in self.blocks(start, end, as_of) if start <= b.start < end]
        native = [
            b.interval(i)
            for b in self.blocks(start, end, as_of)
            for i in range(len(b))
            if start <= b.starts[i] < end
        ]
        if resolution == HOURLY and not self.meter.is_gas:
            return _hourly(native)
        return native

    def monthly_peak(
        self, year: int, month: int, as_of: datetime | None
    ) -> tuple[float, datetime, datetime] | None:
        """Highest quarter-hour offtake power of a Brussels month, over served data."""
        if self.meter.is_gas:
            return None
        if as_of is None and (year, month) in self._peaks:
            return self._peaks[(year, month)]
        first = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        best: tuple[float, datetime, datetime] | None = None
        for block in self.blocks(local_midnight(first), local_midnight(after), as_of):
            day_peak = block.peak()
            if best is None or day_peak[0] > best[0]:
                best = day_peak
        if as_of is None:
            self._peaks[(year, month)] = best
        return best

    # generators

    def _rng(self, label: str, day: date) -> Random:
        return Random(f"{self._key}:{label}:{day.isoformat()}")

    def _electricity_day(self, day: date) -> DayBlock:
        start, end = self.day_bounds(day)
        n = round((end - start) / QUARTER)
        rng = self._rng("elec", day)
        meter = self.meter
        weekday = day.weekday() < 5
        season = _season(day)
        base_kw = meter.base_load_kw * (1 + 0.15 * season)
        evening_kw = 1.0 * (1 + 0.3 * season)
        appliances = [
            (rng.uniform(9, 21), rng.uniform(0.6, 1.5), rng.uniform(1.6, 2.4))
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2)))
        ]
        sessions = [
            s for s in (self._ev_session(day - timedelta(days=1)), self._ev_session(day)) if s
        ]
        clearness, variability = self._sky(rng, day)

        starts: list[datetime] = []
        regs = {reg: [0.0] * n for reg in meter.registers}
        for i in range(n):
            when = start + i * QUARTER
            local = when.astimezone(BRUSSELS)
            hour = local.hour + local.minute / 60 + 0.125
            use_kw = base_kw + _activity_kw(hour, weekday, evening_kw)
            use_kw *= rng.uniform(0.75, 1.3)
            use_kw += sum(kw for at, dur, kw in appliances if at <= hour < at + dur)
            use = use_kw / 4 + sum(s.kwh_in(when) for s in sessions)
            solar = 0.0
            if meter.solar_kwp:
                sky = clearness * min(1.05, rng.uniform(1 - variability, 1 + variability / 4))
                solar = meter.solar_kwp * solar_fraction(when + QUARTER / 2) * sky / 4
            offtake = round(max(0.0, use - solar), 3)
            injection = round(max(0.0, solar - use), 3)
            high = weekday and 7 <= local.hour < 22
            if meter.tariff == "single":
                regs[CONSUMPTION_SINGLE][i] = offtake
                regs[INJECTION_SINGLE][i] = injection
            else:
                regs[CONSUMPTION_HIGH if high else CONSUMPTION_LOW][i] = offtake
                regs[INJECTION_HIGH if high else INJECTION_LOW][i] = injection
            starts.append(when)
        return DayBlock(day, start, end, QUARTER, starts, regs, [VS_FINAL] * n)

    def _sky(self, rng: Random, day: date) -> tuple[float, float]:
        """(clearness, quarter-hour variability) of a day: sunnier in summer."""
        summer = (1 - _season(day)) / 2
        roll = rng.random()
        if roll < 0.2 + 0.3 * summer:
            return rng.uniform(0.85, 1.0), 0.05
        if roll < 0.75 - 0.1 * summer:
            return rng.uniform(0.45, 0.8), 0.6
        return rng.uniform(0.08, 0.3), 0.3

    def _ev_session(self, day: date) -> _EvSession | None:
        if not self.meter.ev or day < self.meter.installed:
            return None
        rng = self._rng("ev", day)
        weekday = day.weekday() < 5
        if rng.random() >= (0.35 if weekday else 0.25):
            return None
        hour = rng.uniform(17.5, 22.0) if weekday else rng.uniform(11.0, 14.0)
        minute = int(hour * 4) * 15
        local = datetime.combine(day, time(minute // 60, minute % 60), BRUSSELS)
        power = rng.choices((3.7, 7.4, 11.0), weights=(6, 3, 1))[0]
        return _EvSession(local.astimezone(UTC), power, rng.uniform(6.0, 28.0))

    def _gas_day(self, day: date) -> DayBlock:
        start, end = self.day_bounds(day)
        n = round((end - start) / HOUR)
        rng = self._rng("gas", day)
        doy = day.timetuple().tm_yday
        outdoor = 10.5 - 7.5 * math.cos(2 * math.pi * (doy - 20) / 365.25) + rng.gauss(0, 2.8)
        heating = max(0.0, 16.5 - outdoor) * self.meter.heating_m3_per_degree_day
        hot_water = rng.uniform(0.35, 0.7)
        factor = round(rng.uniform(10.8, 11.4), 3)
        starts = [start + i * HOUR for i in range(n)]
        hours = [s.astimezone(BRUSSELS).hour for s in starts]
        heat_w = [_heating_weight(h) for h in hours]
        water_w = [_hot_water_weight(h) for h in hours]
        volume: list[float] = []
        for hw, ww in zip(heat_w, water_w, strict=True):
            m3 = heating * hw / sum(heat_w) + hot_water * ww / sum(water_w)
            volume.append(round(m3 * rng.uniform(0.85, 1.15), 3))
        energy = [round(v * factor, 3) for v in volume]
        values = {GAS_VOLUME: volume, GAS_ENERGY: energy}
        return DayBlock(day, start, end, HOUR, starts, values, [VS_FINAL] * n, factor)

    def _provisional_of(self, final: DayBlock) -> DayBlock:
        """Copy of a day where a deterministic share of intervals is off and nothing is final."""
        pub = self.publication
        rng = self._rng("provisional", final.day)
        n = len(final)
        chosen = {i for i in range(n) if rng.random() < pub.provisional_share}
        if not chosen and pub.provisional_share > 0:
            chosen = {rng.randrange(n)}
        values = {reg: list(vals) for reg, vals in final.values.items()}
        for i in sorted(chosen):
            scale = 1 + rng.uniform(-pub.provisional_error, pub.provisional_error)
            for vals in values.values():
                vals[i] = round(vals[i] * scale, 3)
            if final.factor is not None:
                values[GAS_ENERGY][i] = round(values[GAS_VOLUME][i] * final.factor, 3)
        status = [VS_ESTIMATED if i in chosen else VS_PROVISIONAL for i in range(n)]
        return replace(final, values=values, status=status, _total=None, _peak=None)


def _activity_kw(hour: float, weekday: bool, evening_kw: float) -> float:
    """Household activity on top of the base load (kW)."""
    if weekday:
        return (
            0.6 * _bump(hour, 7.2, 0.8)
            + evening_kw * _bump(hour, 19.0, 1.8)
            + 0.25 * _bump(hour, 12.5, 1.0)
        )
    return (
        0.5 * _bump(hour, 9.5, 1.2)
        + 0.7 * _bump(hour, 12.8, 1.0)
        + evening_kw * _bump(hour, 19.0, 2.0)
    )


def _heating_weight(hour: int) -> float:
    if 6 <= hour < 9:
        return 1.8
    if 9 <= hour < 17:
        return 0.9
    if 17 <= hour < 22:
        return 1.4
    return 0.35


def _hot_water_weight(hour: int) -> float:
    if hour == 7:
        return 3.0
    if 19 <= hour < 21:
        return 2.0
    return 0.2


def _hourly(quarters: list[Period]) -> list[Period]:
    """Group quarter-hours into UTC hours (Brussels offsets are whole hours)."""
    groups: dict[datetime, list[Period]] = {}
    for q in quarters:
        groups.setdefault(q.start.replace(minute=0), []).append(q)
    return [aggregate(parts, hour, hour + HOUR) for hour, parts in groups.items()]


# --- ground truth --------------------------------------------------------------------------


class MeterTruth:
    """What the simulator knows about one meter, for tests to compare against.

    `as_of=None` gives final (revised) values for every interval since installation, published
    or not; `as_of=t` gives exactly what the portal serves at instant t (published days only,
    provisional values while a day is under revision).
    """

    def __init__(self, series: MeterSeries, now: Callable[[], datetime]) -> None:
        self._series = series
        self._now = now
        self.meter = series.meter

    def periods(
        self, start: datetime, end: datetime, resolution: str, as_of: datetime | None = None
    ) -> list[Period]:
        """Periods (with status and gas factor) whose start lies in [start, end)."""
        return self._series.periods(start, end, resolution, as_of)

    def intervals(
        self, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> dict[datetime, dict[str, float]]:
        """Native intervals (quarter-hours, gas: hours) starting in [start, end)."""
        return {p.start: p.values for p in self.periods(start, end, QUARTER_HOUR, as_of)}

    def hourly(
        self, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> dict[datetime, dict[str, float]]:
        """Hourly sums starting in [start, end)."""
        return {p.start: p.values for p in self.periods(start, end, HOURLY, as_of)}

    def daily(self, day: date, as_of: datetime | None = None) -> dict[str, float] | None:
        """Totals of one day (electricity: Brussels day; gas: gas day starting that date)."""
        block = self._series.block(day, as_of)
        return None if block is None else block.total().values

    def status(self, start: datetime, as_of: datetime | None = None) -> int | None:
        """The `vs` code of the native interval starting at `start`, None if not served."""
        found = self.periods(start, start + timedelta(seconds=1), QUARTER_HOUR, as_of)
        return found[0].status if found else None

    def monthly_peak(
        self, year: int, month: int, as_of: datetime | None = None
    ) -> tuple[float, datetime, datetime] | None:
        """(kW, quarter-hour start, end) of a Brussels month; None for gas or no data."""
        return self._series.monthly_peak(year, month, as_of)

    def published_until(self, as_of: datetime | None = None) -> datetime | None:
        """End (UTC) of the last published day at `as_of` (default: the simulator's now)."""
        moment = as_of if as_of is not None else self._now()
        day = self._series.last_published_day(moment)
        if day < self.meter.installed:
            return None
        return self._series.day_bounds(day)[1]

    def publish_time(self, day: date) -> datetime:
        """When a day appears on the portal."""
        return self._series.publish_time(day)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """UTC start and end of a (gas) day."""
        return self._series.day_bounds(day)

    def last_published_day(self, as_of: datetime | None = None) -> date:
        """The newest day on the portal at `as_of` (default: the simulator's now)."""
        return self._series.last_published_day(as_of if as_of is not None else self._now())

    def final_time(self, day: date) -> datetime:
        """When a day's values become final."""
        return self._series.final_time(day)
