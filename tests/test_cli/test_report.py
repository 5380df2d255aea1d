"""`fluvius report`: what the portal answered, as the dialect says, and none of the
identifiers or secrets it was given, in either format, also when the run stops on an error."""

from __future__ import annotations

import re

import pytest

from tests.simulator import FluviusSimulator, SimMeter, make_ean, resolve_dialect
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    INSTALLED,
)

from .conftest import Cli


def secrets(sim: FluviusSimulator, *identifiers: str) -> list[str]:
    """What a report must never hold: identifiers (also spaced or in another case), the
    password, every token the simulator issued."""
    out = [DEMO_PASSWORD, DEMO_EMAIL, DEMO_EMAIL.split("@")[0] + "@", *identifiers]
    out += [i.lower() for i in identifiers] + [i[:9] + " " + i[9:] for i in identifiers]
    out += [*sim.b2c.tokens.access, *sim.b2c.tokens.refresh]
    return out


def leaks(text: str, forbidden: list[str]) -> list[str]:
    return [secret for secret in forbidden if secret and secret in text]


@pytest.mark.parametrize("dialect", ["live", "random:2", "dialect_b"])
async def test_report_says_what_each_code_serves(
    simulator: FluviusSimulator, cli: Cli, dialect: str
) -> None:
    simulator.options.dialect = dialect
    result = await cli("report", "--format", "json")
    assert result.code == 0, result.err
    report = result.json()
    served = resolve_dialect(dialect)
    for code, known in report["codes"].items():
        if code in served:
            assert known["resolution"] == served[code][0], code
            assert not known["unsupported"]
            assert known["max_ok"] <= served[code][1]
            if known["min_fail"] is not None:
                assert known["min_fail"] == served[code][1] + 1
        else:
            assert known["unsupported"], code
    assert report["meter_type"] == "electricity"
    assert report["daily_values_only"] is False
    assert report["requests"] == sum(simulator.stats.requests.values())
    assert report["sign_ins"] == simulator.stats.logins == 1
    assert len(report["request_log"]) == sum(
        simulator.stats.requests[e] for e in ("measurements", "peaks")
    )
    refused = [r for r in simulator.request_log if r.refused]
    assert len(report["empty_or_refused"]) >= len(refused)
    assert not leaks(result.out + result.err, secrets(simulator, ELEC_EAN, ELEC_SERIAL))

    markdown = await cli("report", "--verbose", meter_serial=ELEC_SERIAL.lower())
    assert markdown.code == 0
    assert markdown.out.startswith("### fluvius report")
    table = re.findall(r"^\| (\d) \| (\w+) \|", markdown.out, re.MULTILINE)
    assert {code: serves for code, serves in table if serves != "not"} == {
        code: resolution for code, (resolution, _) in served.items()
    }
    assert "meter-measurement-history" in markdown.err  # --verbose: the request log
    assert not leaks(markdown.out + markdown.err, secrets(simulator, ELEC_EAN, ELEC_SERIAL))


@pytest.mark.parametrize("reading", ["start", "inside"])
async def test_report_of_a_gas_meter_names_its_windows(
    simulator: FluviusSimulator, cli: Cli, reading: str
) -> None:
    simulator.options.gas_daily_window = reading
    result = await cli("report", "--format", "json", ean=GAS_EAN, meter_serial=GAS_SERIAL)
    assert result.code == 0, result.err
    report = result.json()
    assert report["meter_type"] == "gas"
    codes = report["codes"].values()
    daily = {known["day_start"] for known in codes if known["resolution"] == "day"}
    finer = {known["day_start"] for known in codes if known["resolution"] == "hour"}
    # Sub-daily gas windows must be gas days; under "inside" a calendar-day window holds no
    # gas day, so only gas-day windows can have delivered; under "start" both do.
    assert finer == {6}
    assert daily == {6} if reading == "inside" else daily <= {0, 6}
    markdown = await cli("report", ean=GAS_EAN, meter_serial=GAS_SERIAL)
    assert "| hour |" in markdown.out
    assert "gas days (06:00)" in markdown.out
    assert not leaks(result.out + markdown.out, secrets(simulator, GAS_EAN, GAS_SERIAL))


async def test_report_of_a_daily_only_meter(simulator: FluviusSimulator, cli: Cli) -> None:
    ean, serial = make_ean("54144882300055555"), "1SAG1100055555"
    simulator.add_account(
        "daily@fluvius.test",
        "Dagelijks-2026",
        meters=[SimMeter(ean, serial, "electricity", INSTALLED, access="daily")],
    )
    result = await cli(
        "report", "--format", "json",
        login="daily@fluvius.test", password="Dagelijks-2026", ean=ean, meter_serial=serial,
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    assert report["daily_values_only"] is True
    assert report["finest_resolution"] == "day"
    assert not leaks(result.out, [ean, serial, "daily@fluvius.test", "Dagelijks-2026"])


async def test_a_report_that_stops_on_an_error_says_so(
    simulator: FluviusSimulator, cli: Cli
) -> None:
    """The portal goes down after the judging: the report still comes, with the error and
    its exit code, and without identifiers."""
    simulator.faults.inject("peaks", "html", count=None, status=503)
    result = await cli("report", "--format", "json")
    assert result.code == 8
    report = result.json()
    assert report["stopped"].startswith("FluviusServerError")
    assert report["request_log"][-1]["status"] == 503
    assert not leaks(result.out + result.err, secrets(simulator, ELEC_EAN, ELEC_SERIAL))
