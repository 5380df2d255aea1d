"""Benchmark: a cold client fetches and parses a year of quarter-hour data for one meter.

    python -m tests.benchmarks.bench_client [--days 365] [--dialect dialect_a]

The simulator runs in-process on loopback. Its day blocks are generated before timing, so
the figures are about the client (login, discovery, chunking, HTTP, parsing) plus the
simulator's JSON serialisation. Two passes, each with a fresh simulator and cold client:
one untimed by tracemalloc for the wall time, one traced for the allocation peak.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
import resource
import sys
import time as clock
import tracemalloc
from zoneinfo import ZoneInfo

from custom_components.fluvius.api import FluviusClient
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_EMAIL, DEMO_NOW, DEMO_PASSWORD, ELEC_EAN, ELEC_SERIAL

_BRUSSELS = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True, slots=True)
class BenchResult:
    """What one pass measured."""

    days: int
    wall_seconds: float
    http_requests: int
    client_requests: int
    logins: int
    intervals: int
    tracemalloc_peak_bytes: int | None


def _window(days: int) -> tuple[date, date]:
    end = DEMO_NOW.astimezone(_BRUSSELS).date() - timedelta(days=1)
    return end - timedelta(days=days - 1), end


async def run_once(
    days: int = 365, *, dialect: str = "dialect_a", trace: bool = False
) -> BenchResult:
    """One pass: fresh simulator, cold client, `days` local days of quarter-hours."""
    sim_clock = SimClock(DEMO_NOW)
    sim = FluviusSimulator.demo(clock=sim_clock, dialect=dialect)
    start, end = _window(days)
    first = datetime.combine(start, time(), _BRUSSELS).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(), _BRUSSELS).astimezone(UTC)
    sim.truth(ELEC_EAN).intervals(first, after, as_of=sim_clock.now())  # warm the data cache
    await sim.start()
    client = FluviusClient(
        DEMO_EMAIL, DEMO_PASSWORD, portal_url=sim.portal_url, clock=sim_clock.now
    )
    try:
        if trace:
            tracemalloc.start()
        began = clock.perf_counter()
        intervals = await client.measurements(ELEC_EAN, ELEC_SERIAL, start, end)
        wall = clock.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1] if trace else None
    finally:
        if trace:
            tracemalloc.stop()
        await client.close()
        await sim.stop()
    return BenchResult(
        days=days,
        wall_seconds=wall,
        http_requests=sum(sim.stats.requests.values()),
        client_requests=client.stats.requests,
        logins=sim.stats.logins,
        intervals=len(intervals),
        tracemalloc_peak_bytes=peak,
    )


def _max_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


async def _bench(days: int, dialect: str) -> tuple[BenchResult, BenchResult]:
    return await run_once(days, dialect=dialect), await run_once(days, dialect=dialect, trace=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--dialect", default="dialect_a")
    args = parser.parse_args(argv)
    timed, traced = asyncio.run(_bench(args.days, args.dialect))
    peak = (traced.tracemalloc_peak_bytes or 0) / 2**20
    print(f"days fetched         {timed.days} (dialect {args.dialect})")
    print(
        f"wall time            {timed.wall_seconds:.2f} s (traced pass {traced.wall_seconds:.2f} s)"
    )
    print(f"tracemalloc peak     {peak:.1f} MiB")
    print(f"ru_maxrss            {_max_rss_mib():.1f} MiB (whole process, simulator included)")
    print(f"HTTP requests        {timed.http_requests} (simulator count; {timed.logins} login)")
    print(f"intervals returned   {timed.intervals}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
