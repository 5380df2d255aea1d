"""The api folder must stand alone: no Home Assistant import, importable as a library."""

from __future__ import annotations

import ast
from pathlib import Path
import shutil
import subprocess
import sys

API_DIR = Path(__file__).resolve().parents[2] / "custom_components" / "fluvius" / "api"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_homeassistant_import_anywhere() -> None:
    files = sorted(API_DIR.glob("*.py"))
    assert files
    for path in files:
        roots = {name.split(".")[0] for name in imported_modules(path)}
        assert "homeassistant" not in roots, path.name
        assert "custom_components" not in roots, path.name  # relative imports only


def test_package_runs_alone(tmp_path: Path) -> None:
    shutil.copytree(API_DIR, tmp_path / "fluvius_api", ignore=shutil.ignore_patterns("__pycache__"))
    script = """
import asyncio, sys
from datetime import date
import fluvius_api
from fluvius_api import FluviusClient, Register
from fluvius_api.brussels import local_range
from fluvius_api.parsing import parse_measurements

assert local_range(date(2025, 6, 30), date(2025, 7, 6)) == (
    "2025-06-30T00:00:00.000+02:00", "2025-07-06T23:59:59.999+02:00")
parsed = parse_measurements([{"d": "2025-06-30T22:00:00Z", "de": "2025-06-30T22:15:00Z",
    "v": [{"t": 1, "dc": 1, "v": 0.5, "vs": 2, "u": 3}]}])
assert parsed.intervals[0].value(Register.CONSUMPTION_HIGH) == 0.5

async def main():
    client = FluviusClient("a@b.c", "pw", portal_url="https://mijn.fluvius.be")
    assert client.export_tokens() is None
    assert client.export_dialects()["meters"] == {}
    await client.close()

asyncio.run(main())
assert not any(m == "homeassistant" or m.startswith("homeassistant.") for m in sys.modules)
print("standalone ok")
"""
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "TZ": "Asia/Tokyo"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "standalone ok"
