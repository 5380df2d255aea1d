"""The standalone entry point."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import pytest

from tests.simulator.__main__ import parse_args


def test_parse_args() -> None:
    args = parse_args(["--port", "9000", "--dialect", "dialect_c", "--realtime", "--legacy"])
    assert (args.port, args.login_port, args.dialect) == (9000, None, "dialect_c")
    assert args.realtime
    assert args.legacy
    assert args.host == "127.0.0.1"


def test_parse_args_dialects(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args([])
    assert (args.dialect, args.refusal) == ("live", None)
    args = parse_args(["--dialect", "random:7", "--refusal", "400"])
    assert (args.dialect, args.refusal) == ("random:7", "400")
    for bad in (["--dialect", "nope"], ["--dialect", "random:"], ["--refusal", "maybe"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
    assert "unknown dialect" in capsys.readouterr().err


async def test_runs_until_interrupted(socket_enabled: None) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        "--port",
        "0",
        "--realtime",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(20):
        while not lines or "Ctrl-C" not in lines[-1]:
            lines.append((await proc.stdout.readline()).decode())
    banner = "".join(lines)
    assert "demo@fluvius.test" in banner
    portal = next(line.split()[1] for line in lines if line.strip().startswith("portal:"))
    login = next(line.split()[1] for line in lines if line.strip().startswith("login:"))
    assert portal != login
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{portal}/api/global/msal/config") as resp,
    ):
        config = await resp.json()
    assert config["authority"].startswith(login)
    proc.send_signal(signal.SIGINT)
    async with asyncio.timeout(20):
        rest, _ = await proc.communicate()
    assert proc.returncode == 0
    assert b"stopped" in rest
