"""The command line tool run in-process against the simulator, on the simulator's clock.

`cli(*argv)` runs one command as `fluvius` would (the same parsing, exit codes and output),
with the demo account in the FLUVIUS_* variables and FLUVIUS_PORTAL_URL at the simulator.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
import io
import json
from typing import Any

import pytest

from custom_components.fluvius.cli import app
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import DEMO_EMAIL, DEMO_PASSWORD, ELEC_EAN, ELEC_SERIAL


@dataclass
class Result:
    code: int
    out: str
    err: str

    def csv(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.out)))

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Awaitable[Result]]


def environment(sim: FluviusSimulator, **overrides: str | None) -> dict[str, str]:
    """The demo account and its electricity meter, as FLUVIUS_* variables."""
    env = {
        "FLUVIUS_PORTAL_URL": sim.portal_url,
        "FLUVIUS_LOGIN": DEMO_EMAIL,
        "FLUVIUS_PASSWORD": DEMO_PASSWORD,
        "FLUVIUS_EAN": ELEC_EAN,
        "FLUVIUS_METER_SERIAL": ELEC_SERIAL,
    }
    for name, value in overrides.items():
        key = f"FLUVIUS_{name.upper()}"
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@pytest.fixture
def cli(
    simulator: FluviusSimulator, sim_clock: SimClock, capsys: pytest.CaptureFixture[str]
) -> Cli:
    async def run(*argv: str, **env: str | None) -> Result:
        capsys.readouterr()
        code = await app.run(list(argv), environ=environment(simulator, **env), clock=sim_clock.now)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Result(int(code), out, err)

    return run


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment.astimezone(UTC)


def days(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
