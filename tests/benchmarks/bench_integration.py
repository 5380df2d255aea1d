"""Benchmark: what the integration costs, measured against the simulator.

    python -m tests.benchmarks.bench_integration [--days 14] [--backfill-days 365]
                                                 [--setup-runs 5] [--client-days 365]

Prints a Markdown table (the README's "Performance" section is a copy of one run):

- steady state: requests per meter per day and logins per day, for an electricity and a gas
  meter of one account polled hourly (after a day of warm-up);
- a backfill of one electricity meter through the integration (on-disk SQLite recorder, the
  real pause between chunks): wall time, peak RSS of the process, requests;
- both of these on the live portal (a sub-daily request covers one day, refusals are
  `200 []`) and on a 400-refusing portal (dialect_a: quarter-hours in 7-day ranges);
- the time `async_setup_entry` takes to return, cold (login, discovery, first fetch) and warm
  (stored token and dialect);
- the median CPU time of one poll on Home Assistant's thread (the simulator runs in another
  thread), for polls that sent requests and for idle ones;
- the client alone (tests/benchmarks/bench_client.py): a cold fetch of the same year.

Each integration scenario runs in its own pytest process (tests/benchmarks/
integration_scenarios.py), so that peak RSS belongs to that scenario.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import platform
import subprocess
import sys
import tempfile
from typing import Any

from tests.benchmarks.bench_client import run_once

SCENARIOS = Path(__file__).with_name("integration_scenarios.py")
# The live portal first, then the 400-refusing one the project assumed before 2026-11.
DIALECTS = ("live", "dialect_a")
DIALECT_NAMES = {"live": "live portal", "dialect_a": "400 portal"}
REPO = Path(__file__).parents[2]


def run_scenario(name: str, out: Path, env: dict[str, str]) -> None:
    """One scenario in a fresh pytest process; its figures land in `out`."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(SCENARIOS),
        "-k",
        name,
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "--no-header",
    ]
    result = subprocess.run(  # noqa: S603
        command,
        cwd=REPO,
        env={**os.environ, **env, "BENCH_OUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"scenario {name} failed (exit {result.returncode})")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run every scenario; returns their figures."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        env = {
            "BENCH_DAYS": str(args.days),
            "BENCH_BACKFILL_DAYS": str(args.backfill_days),
            "BENCH_SETUP_RUNS": str(args.setup_runs),
        }
        for dialect in DIALECTS:
            for name in ("test_steady_state", "test_backfill"):
                run_scenario(name, out, {**env, "BENCH_DIALECT": dialect})
        for name in ("test_recorder_floor", "test_setup_time"):
            run_scenario(name, out, env)
        figures = json.loads(out.read_text())
    client = asyncio.run(run_once(args.client_days, dialect="live"))
    figures["client"] = {
        "days": client.days,
        "wall_seconds": client.wall_seconds,
        "requests": client.http_requests,
        "intervals": client.intervals,
    }
    return figures


def table(figures: dict[str, Any], when: datetime) -> str:
    """The Markdown table of one run."""
    setup, floor, client = figures["setup"], figures["recorder_floor"], figures["client"]
    rows = [("what", "measured")]
    for dialect in DIALECTS:
        steady, fill = figures[f"steady_state:{dialect}"], figures[f"backfill:{dialect}"]
        name = DIALECT_NAMES[dialect]
        per_meter_shared = steady["shared_auth_requests_per_day"] / 2
        rows += [
            (
                f"requests per meter per day, steady state, {name}",
                f"electricity {steady['elec_requests_per_day']:.1f}, gas "
                f"{steady['gas_requests_per_day']:.1f}, + {per_meter_shared:.1f} each for the "
                f"shared login/refresh ({steady['days']} days, 2 meters, 1 account)",
            ),
            (
                f"logins per day, {name}",
                f"{steady['logins_per_day']:.2f} (refreshes {steady['refreshes_per_day']:.1f})",
            ),
            (
                f"{fill['days']}-day backfill, one electricity meter, {name}",
                f"{fill['wall_seconds']:.1f} s wall ({fill['pause_seconds']:g} s pause between "
                f"chunks), {fill['requests']} requests ({fill['measurement_requests']} data, "
                f"{fill['logins']} login), {fill['statistic_rows']} hourly rows",
            ),
        ]
    steady, fill = figures["steady_state:live"], figures["backfill:live"]
    rows += [
        (
            "kept intervals and re-costing, live portal",
            f"{fill['store_kib']:.0f} KiB on disk for {fill['days']} days of quarter-hours; "
            f"setting fixed prices re-costs them in {fill['recost_seconds']:.1f} s in the "
            f"background ({fill['cost_rows']} hourly cost rows written, no reload, no request "
            "to Fluvius)",
        ),
        (
            "new prices over time (issue #21), live portal",
            f"new prices from today: {fill['new_prices_from_today_seconds']:.2f} s (nothing "
            f"in the past re-costed), against {fill['recost_seconds']:.1f} s for the whole "
            f"history; new prices from the 1st of last month: "
            f"{fill['new_prices_from_last_month_seconds']:.1f} s (those days re-costed)",
        ),
        (
            "the recorder alone, same rows",
            f"{floor['wall_seconds']:.1f} s for Home Assistant's recorder to import "
            f"{floor['rows']} hourly rows in 31-day batches, without the integration (the "
            f"backfill's main-thread CPU: {fill['main_thread_cpu_seconds']:.1f} s)",
        ),
        (
            "peak RSS during the live portal's backfill",
            f"{fill['peak_rss_mib']:.0f} MiB for the whole process (Home Assistant test "
            f"harness, recorder, simulator; {fill['rss_before_mib']:.0f} MiB before setup)",
        ),
        (
            "`async_setup_entry` to return",
            f"cold {setup['cold_ms_median']:.0f} ms ({setup['cold_requests_median']:.0f} "
            f"requests: login, discovery, first window), warm {setup['warm_ms_median']:.0f} ms "
            f"(stored token and dialect, {setup['warm_requests_median']:.0f} requests); "
            f"median of {setup['runs']}",
        ),
        (
            "CPU time of one poll (median, live portal)",
            f"{steady['cpu_ms_poll_with_requests_median']:.1f} ms when it fetches "
            f"({steady['polls_with_requests']} polls), "
            f"{steady['cpu_ms_poll_idle_median']:.2f} ms when nothing is due "
            f"({steady['polls_idle']} polls)",
        ),
        (
            f"client alone: cold fetch of {client['days']} days, live portal",
            f"{client['wall_seconds']:.1f} s, {client['requests']} requests, "
            f"{client['intervals']} quarter-hours",
        ),
    ]
    width = max(len(left) for left, _ in rows)
    lines = [f"| {left:<{width}} | {right} |" for left, right in rows]
    lines.insert(1, f"|{'-' * (width + 2)}|---|")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return f"Measured {when:%Y-%m-%d} ({machine}):\n\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14, help="steady-state days")
    parser.add_argument("--backfill-days", type=int, default=365)
    parser.add_argument("--setup-runs", type=int, default=5)
    parser.add_argument("--client-days", type=int, default=365)
    parser.add_argument("--json", action="store_true", help="also print the raw figures")
    args = parser.parse_args(argv)
    figures = measure(args)
    if args.json:
        print(json.dumps(figures, indent=1))
    print(table(figures, datetime.now(UTC)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
