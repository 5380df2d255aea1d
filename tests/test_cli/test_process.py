"""`fluvius` as a user runs it: a process started from the folder, with Home Assistant made
unimportable, against a simulator on the wall clock; exit codes and Ctrl-C; and what it loads
holds nothing newer than Python 3.12."""

from __future__ import annotations

import ast
import asyncio
import csv
from datetime import UTC, datetime, timedelta
import io
import json
import os
from pathlib import Path
import signal
import subprocess
import sys

import pytest

from custom_components.fluvius.cli.outcomes import Exit
from tests.simulator import BRUSSELS, FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_EMAIL, DEMO_PASSWORD, ELEC_EAN, ELEC_SERIAL

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "custom_components" / "fluvius" / "cli"


@pytest.fixture
def sim_clock() -> SimClock:
    """The simulator as scripts/develop runs it: on the wall clock, a year of history (the
    tool in another process reads the wall clock)."""
    return SimClock(datetime.now(UTC), realtime=True)


@pytest.fixture
def no_home_assistant(tmp_path: Path) -> dict[str, str]:
    """An environment in which `import homeassistant` fails, and no FLUVIUS_* of the caller."""
    blocker = tmp_path / "blocked" / "homeassistant"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text('raise ImportError("Home Assistant was imported")\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUVIUS_")}
    env["PYTHONPATH"] = str(blocker.parent)
    return env


def account(sim: FluviusSimulator) -> dict[str, str]:
    return {
        "FLUVIUS_PORTAL_URL": sim.portal_url,
        "FLUVIUS_LOGIN": DEMO_EMAIL,
        "FLUVIUS_PASSWORD": DEMO_PASSWORD,
        "FLUVIUS_EAN": ELEC_EAN,
        "FLUVIUS_METER_SERIAL": ELEC_SERIAL,
    }


async def start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(CLI), *args, env=env, cwd=ROOT,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


async def finish(process: asyncio.subprocess.Process) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_process_without_home_assistant(
    simulator: FluviusSimulator, no_home_assistant: dict[str, str]
) -> None:
    sim = simulator
    env = {**no_home_assistant, **account(sim)}
    code, out, err = await finish(await start(env, "export", "--days-back", "2", "--quiet"))
    assert code == 0, err
    assert "Traceback" not in err
    rows = list(csv.DictReader(io.StringIO(out)))
    today = datetime.now(BRUSSELS).date()
    truth = sim.truth(ELEC_EAN)
    first = truth.day_bounds(today - timedelta(days=2))[0]
    after = truth.day_bounds(today - timedelta(days=1))[1]
    expected = truth.periods(first, after, "quarter_hour", sim.clock.now())
    assert len(rows) == sum(len(p.values) for p in expected) > 0

    wrong = {**env, "FLUVIUS_PASSWORD": "not-the-password"}
    code, out, err = await finish(await start(wrong, "summary"))
    assert (code, out) == (Exit.CREDENTIALS, "")
    assert err.count("\n") == 1
    assert "Traceback" not in err

    code, out, err = await finish(await start(env, "export", "--days-back", "0"))
    assert code == Exit.USAGE
    code, out, _ = await finish(await start(env, "--help"))
    assert code == 0
    assert "130 interrupted" in out


async def test_ctrl_c_ends_cleanly(
    simulator: FluviusSimulator, no_home_assistant: dict[str, str], tmp_path: Path
) -> None:
    """Interrupted while Fluvius keeps it waiting: exit 130, one line, no traceback, no
    half-written output file; the sign-in is kept in the cache for the next run."""
    sim = simulator
    sim.faults.inject("measurements", "timeout", count=None)
    target, cache = tmp_path / "out.csv", tmp_path / "cache.json"
    env = {**no_home_assistant, **account(sim)}
    process = await start(
        env, "export", "--days-back", "30", "-o", str(target), "--token-cache", str(cache)
    )
    for _ in range(200):
        if sim.stats.requests["measurements"]:
            break
        await asyncio.sleep(0.05)
    assert sim.stats.requests["measurements"], "the export never asked for data"
    process.send_signal(signal.SIGINT)
    code, _, err = await finish(process)
    assert code == Exit.INTERRUPTED
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "fluvius: interrupted"
    assert left_in(tmp_path) == ["cache.json"]  # not the output, nor a temporary file
    assert json.loads(cache.read_text())["tokens"]["access_token"]


def left_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name != "blocked")


def test_what_the_cli_loads_is_python_3_12(no_home_assistant: dict[str, str]) -> None:
    """Every module the tool loads parses as Python 3.12 (no `except A, B:`, no t-strings),
    defers its annotations (lazy annotations are 3.14's), and mypy finds no name newer than
    3.12 in them. No Python 3.12 is installed here; this is what can be checked."""
    probe = (
        "import json, runpy, sys\n"
        "sys.argv = ['fluvius', '--help']\n"
        "try:\n"
        f"    runpy.run_path({str(CLI)!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "files = [m.__file__ for n, m in list(sys.modules.items())\n"
        "         if n.startswith('custom_components') and getattr(m, '__file__', None)]\n"
        "print(json.dumps({'files': sorted(files), 'ha': 'homeassistant' in sys.modules}))\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe],
        env=no_home_assistant, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert loaded["ha"] is False
    files = [Path(f) for f in loaded["files"]]
    assert CLI / "app.py" in files
    assert ROOT / "custom_components" / "fluvius" / "peaks.py" in files
    assert ROOT / "custom_components" / "fluvius" / "__init__.py" not in files
    for path in files:
        source = path.read_text(encoding="utf-8")
        ast.parse(source, str(path), feature_version=(3, 12))
        if "def " in source and path.name != "__main__.py":
            assert "from __future__ import annotations" in source, path
    checked = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.12",
         *(str(f.relative_to(ROOT)) for f in files)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
