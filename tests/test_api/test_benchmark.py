"""Keeps tests/benchmarks/bench_client.py from rotting: a short run of the same code."""

from __future__ import annotations

import pytest

from tests.benchmarks.bench_client import main, run_once


async def test_bench_client_short_horizon(socket_enabled: None) -> None:
    result = await run_once(days=3)
    assert result.intervals == 3 * 96
    assert result.logins == 1
    assert result.http_requests == result.client_requests
    traced = await run_once(days=2, trace=True)
    assert traced.tracemalloc_peak_bytes


def test_bench_cli(socket_enabled: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--days", "2"]) == 0
    out = capsys.readouterr().out
    assert "intervals returned   192" in out
    assert "HTTP requests" in out
