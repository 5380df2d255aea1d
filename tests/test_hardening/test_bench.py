"""Keeps scripts/bench from rotting: the bench module end to end, on a tiny horizon."""

from __future__ import annotations

import subprocess
import sys

from tests.benchmarks.bench_integration import REPO


def test_bench_integration_tiny() -> None:
    """Every scenario runs in its own process and the table comes out complete."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.bench_integration",
            "--days",
            "1",
            "--backfill-days",
            "3",
            "--setup-runs",
            "1",
            "--client-days",
            "2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for row in (
        "requests per meter per day, steady state, live portal",
        "requests per meter per day, steady state, 400 portal",
        "logins per day, live portal",
        "3-day backfill, one electricity meter, live portal",
        "3-day backfill, one electricity meter, 400 portal",
        "the recorder alone, same rows",
        "peak RSS during the live portal's backfill",
        "`async_setup_entry` to return",
        "CPU time of one poll (median, live portal)",
        "client alone: cold fetch of 2 days, live portal",
    ):
        assert f"| {row}" in out, out
    assert "Measured 20" in out
