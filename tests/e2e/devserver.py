"""`scripts/develop`: the simulator plus a real Home Assistant, until Ctrl-C.

Run inside the project environment: `python -m tests.e2e.devserver [--port 8123]
[--language nl]`. With --language (en, nl, fr) Home Assistant's system language and the demo
user's interface language are set at each start (kept until changed): the entity, device and
settings texts of the integration in that language.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
import signal
import time

from tests.e2e.homeassistant_process import (
    HA_PASSWORD,
    HA_USER,
    LANGUAGES,
    REPO,
    access_token,
    onboard,
    prepare_config,
    set_language,
    start_homeassistant,
    wait_until_up,
)
from tests.simulator import FluviusSimulator, SimClock, demo


def _banner(ha_url: str, sim: FluviusSimulator, seconds: float) -> str:
    return f"""
==============================================================================
 Home Assistant is up ({seconds:.0f} s): {ha_url}
   Log in as            {HA_USER} / {HA_PASSWORD}
   Then: Settings -> Devices & services -> Add integration -> Fluvius
         (the account and the electricity meter; then "Add meter" for the gas meter)

 Simulated Fluvius portal: {sim.portal_url} (login at {sim.login_url})
   Email                {demo.DEMO_EMAIL}
   Password             {demo.DEMO_PASSWORD}
   Electricity (solar)  EAN {demo.ELEC_EAN}  serial {demo.ELEC_SERIAL}
   Gas                  EAN {demo.GAS_EAN}  serial {demo.GAS_SERIAL}

 Ctrl-C stops Home Assistant and the simulator.
==============================================================================
"""


async def run(port: int, sim_port: int, config_dir: Path, language: str | None = None) -> None:
    """Start everything, print the banner, wait for a stop signal, stop everything."""
    started = time.monotonic()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Real time, with the demo meters' history behind "now".
    sim = FluviusSimulator.demo(clock=SimClock(datetime.now(UTC), realtime=True))
    await sim.start(port=sim_port, login_port=sim_port + 1)
    prepare_config(config_dir)
    ha = await start_homeassistant(config_dir, port=port, portal_url=sim.portal_url)
    try:
        waiter = asyncio.ensure_future(wait_until_up(ha))
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not stop.is_set():
            stopper.cancel()
            waiter.result()
            await onboard(ha)
            if language is not None:
                await set_language(ha, await access_token(ha), language)
            print(_banner(ha.url, sim, time.monotonic() - started), flush=True)
            await stop.wait()
        else:
            waiter.cancel()
    finally:
        print("Stopping Home Assistant and the simulator ...", flush=True)
        await ha.stop()
        await sim.stop()


def main() -> None:
    """Parse arguments and run until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--sim-port", type=int, default=8765)
    parser.add_argument("--config", type=Path, default=REPO / "config")
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        help="Home Assistant's language and the demo user's (default: as last set, first English)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.port, args.sim_port, args.config.resolve(), args.language))


if __name__ == "__main__":
    main()
