"""`fluvius report`: what the portal answered for this account, for a bug report.

It asks what the integration asks when a meter is added and imported (the probe that judges
every granularity code, a few recent days at the finest resolution, the daily totals, the
monthly peaks), from scratch, and prints what the client learnt and its request log. All of
it passes through the integration's redaction: no EAN, serial, e-mail or token.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, timedelta
import json
from pathlib import Path
import platform
import sys
import time
from typing import Any

from ..api import DEFAULT_PORTAL_URL, FluviusError, MeterType, Resolution
from ..api.granularity import meter_key
from .outcomes import exit_code
from .session import Session

WINDOWS = {0: "calendar days (00:00)", 6: "gas days (06:00)", None: "not seen"}


def version() -> str:
    """The integration's version, from its manifest."""
    manifest = Path(__file__).resolve().parent.parent / "manifest.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _limit(known: Mapping[str, Any], unit: Callable[[int], str]) -> tuple[str, str]:
    ok, fail = known.get("max_ok") or 0, known.get("min_fail")
    return (unit(ok) if ok else "none yet", unit(fail) if fail else "none")


def _months(count: int) -> str:
    return f"{count} month" if count == 1 else f"{count} months"


async def gather(session: Session, first: date, last: date) -> tuple[dict[str, Any], int]:
    """Ask, and describe what came back; the error that stopped it is part of the report."""
    client, ean, serial = session.client, session.ean, session.serial
    started = time.monotonic()
    stopped: FluviusError | None = None
    try:
        probe = await client.probe(ean, serial)
        session.show_requests()
        await client.measurements(ean, serial, first, last, Resolution.QUARTER_HOUR)
        session.show_requests()
        await client.measurements(ean, serial, first, last, Resolution.DAY)
        session.show_requests()
        if probe.meter_type is MeterType.ELECTRICITY:
            await client.peaks(ean, serial, first.replace(day=1) - timedelta(days=62), last)
            session.show_requests()
    except FluviusError as err:
        stopped = err
    elapsed = time.monotonic() - started
    dialect = client.export_dialects().get("meters", {}).get(meter_key(ean, serial), {})
    log = client.request_log(ean, serial)
    stats = client.stats
    conclusions = Counter((r["conclusion"] or f"failed (HTTP {r['status']})") for r in log)
    endpoint = dialect.get("current") if not dialect.get("legacy") else dialect.get("legacy_codes")
    report: dict[str, Any] = {
        "tool": f"fluvius {version()}",
        "python": platform.python_version(),
        "portal": "the public portal"
        if session.settings.portal_url == DEFAULT_PORTAL_URL
        else "another portal (FLUVIUS_PORTAL_URL)",
        "days_asked": f"{first.isoformat()} to {last.isoformat()}",
        "meter_type": dialect.get("meter_type"),
        "legacy_endpoints": bool(dialect.get("legacy")),
        "finest_resolution": client.finest_resolution(ean, serial),
        "daily_values_only": client.daily_only(ean, serial),
        "codes": endpoint or {},
        "peak_months": dialect.get("peak_months"),
        "requests": stats.requests,
        "data_requests_logged": len(log),
        "sign_ins": stats.logins,
        "refreshes": stats.refreshes,
        "seconds": round(elapsed, 2),
        "answers": dict(conclusions.most_common()),
        "empty_or_refused": [r for r in log if r["status"] != 200 or not r["periods"]],
        "request_log": log,
        "stopped": f"{type(stopped).__name__}: {stopped}" if stopped else None,
    }
    return session.redact(report), exit_code(stopped) if stopped else 0


def markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown, to paste into an issue."""
    lines = [
        "### fluvius report",
        "",
        f"- {report['tool']}, Python {report['python']}, {report['portal']}",
        f"- meter: {report['meter_type'] or 'unknown'}; days asked {report['days_asked']}",
        f"- finest resolution served: {report['finest_resolution'] or 'none'}; "
        f"daily values only: {'yes' if report['daily_values_only'] else 'no'}; "
        f"legacy endpoints: {'yes' if report['legacy_endpoints'] else 'no'}",
        f"- {report['requests']} HTTP requests in {report['seconds']} s "
        f"({report['sign_ins']} sign-in(s), {report['refreshes']} refresh(es)); "
        f"{report['data_requests_logged']} data requests in the log below",
    ]
    if report["stopped"]:
        lines.append(f"- stopped by: {report['stopped']}")
    lines += [
        "",
        "**Granularity codes** (what each served; range limits met)",
        "",
        "| code | serves | longest range that delivered | shortest refused | windows |",
        "|---|---|---|---|---|",
    ]
    gas = report["meter_type"] == MeterType.GAS.value
    for code, known in sorted(report["codes"].items()):
        serves = "not served" if known.get("unsupported") else known.get("resolution") or "?"
        ok, fail = _limit(known, _days)
        windows = WINDOWS.get(known.get("day_start")) if gas else WINDOWS[0]
        lines.append(f"| {code} | {serves} | {ok} | {fail} | {windows} |")
    if report["peak_months"]:
        ok, fail = _limit(report["peak_months"], _months)
        lines += [
            "",
            f"**Monthly peaks**: longest range that delivered {ok}; shortest refused {fail}",
        ]
    lines += ["", "**Answers**", ""]
    lines += [f"- {conclusion}: {count}" for conclusion, count in report["answers"].items()]
    empty = len(report["empty_or_refused"])
    lines += [
        f"- empty, refused or failed: {empty}",
        "",
        "**Request log** (oldest first)",
        "",
        "| at (UTC) | endpoint | code | span | alignment | status | periods | length "
        "| conclusion |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["request_log"]:
        lines.append(
            f"| {r['at'][11:19]} | {r['endpoint']} | {r['code'] or ''} | {r['span']} | "
            f"{r['alignment']} | {r['status']} | {r['periods']} | {r['period_length'] or ''} | "
            f"{r['conclusion']} |"
        )
    return "\n".join(lines) + "\n"


async def run(session: Session, args: Any, first: date, last: date) -> int:
    report, code = await gather(session, first, last)
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(markdown(report))
    return code
