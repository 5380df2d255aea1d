"""The command line: arguments, the run, and one exit code and line per outcome."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
import os
import sys
import traceback

from ..api import FluviusError
from ..api.security import redact_identifiers
from . import export, report, summary
from .outcomes import EPILOG, Exit, exit_code, explain
from .session import ENVIRONMENT, PORTAL_VARIABLE, UsageError, open_session, settings_from

DESCRIPTION = """Your Fluvius meter's data from Mijn Fluvius, with the Home Assistant
integration's own client, without Home Assistant. Days are Fluvius's: Brussels calendar days,
gas days (06:00 to 06:00) on a gas meter."""

ENVIRONMENT_HELP = f"""environment: {", ".join(ENVIRONMENT.values())}, {PORTAL_VARIABLE}
(another portal, such as the simulator: https, or http on loopback only)."""


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    who = common.add_argument_group("account and meter")
    who.add_argument("--email", help="Mijn Fluvius e-mail address [FLUVIUS_LOGIN]")
    who.add_argument(
        "--password",
        help="password [FLUVIUS_PASSWORD]; asked without echo when absent (better than this "
        "option, which other users of the machine can see)",
    )
    who.add_argument("--ean", help="the meter's 18-digit EAN [FLUVIUS_EAN]")
    who.add_argument(
        "--meter-serial", dest="meter_serial", help="the meter's serial [FLUVIUS_METER_SERIAL]"
    )
    who.add_argument(
        "--bearer-token",
        dest="bearer_token",
        help="reuse an access token (e.g. from a browser session) instead of signing in "
        "[FLUVIUS_BEARER_TOKEN]",
    )
    who.add_argument(
        "--token-cache",
        dest="token_cache",
        metavar="FILE",
        help="keep the sign-in in FILE (mode 0600) so the next runs sign in once a day "
        "[FLUVIUS_TOKEN_CACHE]",
    )
    out = common.add_argument_group("output")
    out.add_argument(
        "--timezone",
        help="time zone of the times written (default Europe/Brussels) [FLUVIUS_TIMEZONE]",
    )
    out.add_argument("-v", "--verbose", action="store_true", help="show the request log (redacted)")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return common


def _days(parser: argparse.ArgumentParser, default: int) -> None:
    days = parser.add_argument_group(f"days (default: the last {default} days, up to yesterday)")
    days.add_argument(
        "--days-back",
        dest="days_back",
        type=int,
        metavar="N",
        help="the last N days, up to yesterday",
    )
    days.add_argument(
        "--from", dest="from_", type=date.fromisoformat, metavar="YYYY-MM-DD", help="first day"
    )
    days.add_argument(
        "--until",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="last day (default yesterday)",
    )
    parser.set_defaults(default_days=default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fluvius",
        description=DESCRIPTION,
        epilog=f"{ENVIRONMENT_HELP}\n\n{EPILOG}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fluvius {report.version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = [_common()]

    def command(
        name: str, summary: str, *, formats: list[str], description: str | None = None
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            parents=common,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=EPILOG,
            help=summary,
            description=description or summary,
        )
        sub.add_argument("--format", choices=formats, default=formats[0])
        return sub

    exporting = command(
        "export",
        "one row per interval and register (CSV or JSON)",
        formats=["csv", "json"],
        description="One row per interval and register: start, end (ISO, with offset), "
        "resolution, register, value, unit, status (measured or estimated).",
    )
    _days(exporting, 7)
    exporting.add_argument(
        "--resolution",
        choices=list(export.RESOLUTIONS),
        help="default: the finest Fluvius serves for the meter (gas: hour)",
    )
    exporting.add_argument("-o", "--output", metavar="FILE", help="default: stdout")

    summarizing = command(
        "summary",
        "per day and in total: consumption, injection, net usage, the month's peak",
        formats=["text", "json"],
    )
    _days(summarizing, 7)

    peaking = command(
        "peaks",
        "monthly peaks and the capacity tariff's 12-month average",
        formats=["text", "json"],
    )
    peaking.add_argument("--months", type=int, metavar="N", help="the last N months (default 12)")
    peaking.add_argument("--from", dest="from_", metavar="YYYY-MM", help="first month")
    peaking.add_argument("--until", metavar="YYYY-MM", help="last month (default: this month)")

    reporting = command(
        "report",
        "what Mijn Fluvius answered for this account, redacted, for a bug report",
        formats=["markdown", "json"],
        description="Asks what the integration asks when a meter is added (every code, a few "
        "days, the daily totals, the peaks), from scratch, and prints what came back: no EAN, "
        "serial, e-mail or token. Paste it into the issue.",
    )
    _days(reporting, 3)
    return parser


def day_range(args: argparse.Namespace, today: date) -> tuple[date, date]:
    """--days-back, or --from/--until: Fluvius's days, never after yesterday."""
    yesterday = today - timedelta(days=1)
    if args.days_back is not None and (args.from_ or args.until):
        raise UsageError("give --days-back or --from/--until, not both")
    if args.days_back is not None:
        if args.days_back < 1:
            raise UsageError("--days-back wants at least 1")
        return today - timedelta(days=args.days_back), yesterday
    last = args.until or yesterday
    first = args.from_ or last - timedelta(days=args.default_days - 1)
    if last > yesterday:
        raise UsageError(
            f"--until is at most yesterday ({yesterday.isoformat()}): "
            "Fluvius publishes a day the morning after"
        )
    if first > last:
        raise UsageError("--from is after --until")
    return first, last


async def run(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """One command; returns its exit code (Ctrl-C is main's)."""
    environ = os.environ if environ is None else environ
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:
        return int(done.code or 0)
    try:
        settings = settings_from(args, environ, prompt=sys.stdin.isatty())
    except UsageError as err:
        sys.stderr.write(f"fluvius {args.command}: {err}\n")
        return Exit.USAGE
    try:
        async with open_session(settings, clock=clock, learnt=args.command != "report") as session:
            try:
                if args.command == "peaks":
                    return await summary.run_peaks(session, args)
                first, last = day_range(args, session.today())
                if args.command == "export":
                    return await export.run(session, args, first, last)
                if args.command == "summary":
                    return await summary.run_summary(session, args, first, last)
                return await report.run(session, args, first, last)
            finally:
                session.show_requests()
    except UsageError as err:
        sys.stderr.write(f"fluvius {args.command}: {err}\n")
        return Exit.USAGE
    except FluviusError as err:
        message = explain(err, token_only=bool(settings.bearer_token and not settings.password))
        sys.stderr.write(f"fluvius: {redact_identifiers(message, settings.identifiers)}\n")
        return exit_code(err)
    except BrokenPipeError:
        raise
    except OSError as err:  # an output or cache file that cannot be written
        sys.stderr.write(f"fluvius: {redact_identifiers(str(err), settings.identifiers)}\n")
        return Exit.USAGE
    except Exception as err:  # a bug: one line; the traceback with --verbose
        if settings.verbose:
            sys.stderr.write(redact_identifiers(traceback.format_exc(), settings.identifiers))
        name = type(err).__name__
        sys.stderr.write(
            f"fluvius: internal error ({name}); please report it (--verbose shows where)\n"
        )
        return Exit.INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return asyncio.run(run(argv))
    except KeyboardInterrupt:
        sys.stderr.write("\nfluvius: interrupted\n")
        return Exit.INTERRUPTED
    except BrokenPipeError:  # `fluvius export | head`: the reader is gone, nothing to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return Exit.OK
