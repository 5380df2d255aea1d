"""Run the simulator standalone: `python -m tests.simulator --port 8080`.

Without --realtime the clock stands still at DEMO_NOW (tokens never expire, nothing new is
published). With --realtime it starts at the current time and runs with the wall clock, so
the demo meters have more than a year of history behind them and data keeps appearing.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import signal

from . import demo
from .clock import SimClock
from .dialects import DIALECTS, REFUSALS, resolve_dialect
from .server import FluviusSimulator
from .state import MSAL_VARIANTS, SETTINGS_VARIANTS


def dialect_name(text: str) -> str:
    """A named dialect or "random:<seed>" (argparse type)."""
    try:
        resolve_dialect(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator", description="Fake Mijn Fluvius portal and B2C login"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="portal port (0: any free one)")
    parser.add_argument("--login-port", type=int, help="B2C port (default: port + 1)")
    parser.add_argument(
        "--dialect",
        default="live",
        type=dialect_name,
        help=f"one of {', '.join(sorted(DIALECTS))}, or random:<seed> (default: live)",
    )
    parser.add_argument(
        "--refusal", choices=REFUSALS, help="override the dialect's refusal style (200 [] or 400)"
    )
    parser.add_argument("--realtime", action="store_true", help="clock = now, running")
    parser.add_argument("--legacy", action="store_true", help="current endpoints answer 404")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--msal-variant", default="flat", choices=MSAL_VARIANTS)
    parser.add_argument("--settings-variant", default="compact", choices=SETTINGS_VARIANTS)
    parser.add_argument("--shuffle", action="store_true", help="shuffle_periods")
    return parser.parse_args(argv)


def banner(sim: FluviusSimulator) -> str:
    """What a person needs to point the integration at the simulator."""
    return "\n".join(
        [
            "Fluvius simulator running",
            f"  portal:  {sim.portal_url}",
            f"  login:   {sim.login_url}  (B2C authority {sim.authority})",
            f"  clock:   {sim.clock}",
            f"  dialect: {sim.options.dialect} (refusal {sim.options.refusal_style()}), "
            f"legacy: {sim.options.legacy}",
            "Accounts:",
            f"  {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}",
            f"    electricity EAN {demo.ELEC_EAN} serial {demo.ELEC_SERIAL} (dual, solar, EV)",
            f"    gas         EAN {demo.GAS_EAN} serial {demo.GAS_SERIAL}",
            f"    electricity EAN {demo.SINGLE_EAN} serial {demo.SINGLE_SERIAL} (single tariff)",
            f"  {demo.OTHER_EMAIL} / {demo.OTHER_PASSWORD}",
            f"    electricity EAN {demo.OTHER_EAN} serial {demo.OTHER_SERIAL}",
            f"  {demo.MFA_EMAIL} / {demo.MFA_PASSWORD}  (asks for MFA)",
            f"  {demo.DISABLED_EMAIL} / {demo.DISABLED_PASSWORD}  (disabled)",
            f"  {demo.CONFIRM_ERROR_EMAIL} / {demo.CONFIRM_ERROR_PASSWORD}  (access_denied)",
            "Ctrl-C stops.",
        ]
    )


async def serve(args: argparse.Namespace) -> None:
    """Start, wait for SIGINT/SIGTERM, stop."""
    start = datetime.now(UTC) if args.realtime else demo.DEMO_NOW
    sim = FluviusSimulator.demo(
        clock=SimClock(start, realtime=args.realtime),
        seed=args.seed,
        dialect=args.dialect,
        refusal=args.refusal,
        legacy=args.legacy,
        msal_variant=args.msal_variant,
        settings_variant=args.settings_variant,
        shuffle_periods=args.shuffle,
    )
    login_port = args.login_port
    if login_port is None:
        login_port = args.port + 1 if args.port else 0
    await sim.start(host=args.host, port=args.port, login_port=login_port)
    print(banner(sim), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sim.stop()
        print("Fluvius simulator stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
