"""Run a real Home Assistant process against the simulator (demo and browser tests).

Everything here is plain asyncio + aiohttp so that `scripts/develop` and the end-to-end test
share one implementation: write a config directory, start `python -m homeassistant`, wait for
its HTTP API, and finish onboarding with a documented demo user.

The process starts clean, with no repair issue and no integration that needs the internet:

- HTTP: Home Assistant keeps its HTTP settings in `.storage/http` (the `http:` YAML is
  deprecated: imported once, with a repair issue, then ignored). `start_homeassistant`
  writes the address and port there before each start (see `write_http_settings`).
- Onboarding: its core-configuration step, done over the API, also adds Met.no, Radio
  Browser, Google Translate and Shopping list entries; the first two need the internet and
  retry forever without it. configuration.yaml already holds everything that step sets
  (location, units, currency, country), so `prepare_config` records the step as done before
  the first start; `onboard` does the other steps over the API.
- Integrations: an explicit list instead of `default_config` (whose Home Assistant alerts,
  cloud, go2rtc, stream, DHCP, Bluetooth... need the internet, binaries or hardware).
- Installation method: Home Assistant raises "unsupported installation method" for a venv
  outside a container (the deprecated Core method); `scripts/setup`'s Debian root is a
  container and says so (/run/.containerenv, see scripts/setup). A native `.venv` is a Core
  installation and gets that issue.
- Language: not in configuration.yaml (a language there would win at every start and lock the
  setting in the UI): Home Assistant keeps it in `.storage/core.config`, English until
  `set_language` (`scripts/develop --language nl`) or Settings → System → General changes it.
- Log: camera and TTS are always set up (base platforms) and log an ERROR each without
  libturbojpeg and the ffmpeg binary, which nothing here uses; the logger filters exactly
  those messages (see CONFIGURATION_YAML), so a start logs no ERROR.

FLUVIUS_HA_PYTHON names the interpreter that runs Home Assistant (default: this one);
`scripts/test` points it at the newest-Home-Assistant environment for a second browser run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import json
import os
from pathlib import Path
import signal
import sys

import aiohttp

REPO = Path(__file__).resolve().parents[2]
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# The demo Home Assistant user created by onboarding (documented in README.md).
HA_USER = "demo"
HA_PASSWORD = "demo-fluvius"
HA_NAME = "Demo"

CONFIGURATION_YAML = """\
# Development configuration for scripts/develop (template: tests/e2e/homeassistant_process.py).
homeassistant:
  name: Fluvius demo
  latitude: 51.05
  longitude: 3.72
  elevation: 10
  unit_system: metric
  time_zone: Europe/Brussels
  country: BE
  currency: EUR

{integrations}

logger:
  default: warning
  logs:
    custom_components.fluvius: debug
  # Home Assistant always sets up camera and TTS (base platforms, whatever this file says),
  # and TTS needs ffmpeg: without the ffmpeg binary and libturbojpeg (not installed here;
  # nothing in this instance uses them) each start would log these two ERRORs. Only they are
  # filtered out; every other message of these loggers still shows.
  filters:
    haffmpeg.core:
      - '^FFmpeg fails \\[Errno 2\\] No such file or directory'
    haffmpeg.tools:
      - '^Error starting FFmpeg\\.$'
    homeassistant.components.camera.img_util:
      - '^Error loading libturbojpeg;'

# No http: (deprecated). The address and port go to .storage/http, written at each start.
"""
# The browser test needs only what its pages use.
LEAN_INTEGRATIONS = "frontend:\nconfig:\nenergy:\nhistory:\nlogbook:\nrecorder:\nsearch:"
# The demo: default_config's integrations that work offline and matter here, and no others.
DEFAULT_INTEGRATIONS = """\
# default_config without what needs the internet (Home Assistant alerts, cloud), a binary
# (go2rtc, stream's ffmpeg) or hardware and the host's network (Bluetooth, USB, DHCP, SSDP,
# zeroconf). Home Assistant adds its own defaults (person, automation, system health...); the
# frontend brings config, diagnostics, repairs, search and the system log.
energy:
frontend:
history:
logbook:
recorder:"""
# Onboarding's steps done before the first start (see the module docstring).
PRE_ONBOARDED_STEPS = ["core_config"]
HOST = "127.0.0.1"


def _write_store(storage: Path, key: str, version: int, data: dict[str, object]) -> None:
    """Write one of Home Assistant's storage files (.storage/KEY) as its Store writes it."""
    storage.mkdir(exist_ok=True)
    body = {"version": version, "minor_version": 1, "key": key, "data": data}
    (storage / key).write_text(json.dumps(body, indent=2) + "\n")


def prepare_config(config_dir: Path, *, lean: bool = False) -> None:
    """Create the config directory with our integration linked in from this checkout.

    A new directory also gets onboarding's core-configuration step recorded as done.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    yaml = config_dir / "configuration.yaml"
    if not yaml.exists():
        integrations = LEAN_INTEGRATIONS if lean else DEFAULT_INTEGRATIONS
        yaml.write_text(CONFIGURATION_YAML.format(integrations=integrations))
    if any(line.startswith("http:") for line in yaml.read_text().splitlines()):
        raise RuntimeError(
            f"{yaml} still has an http: block (from an older checkout): remove it. The address"
            " and port now go to .storage/http, written at each start."
        )
    storage = config_dir / ".storage"
    if not (storage / "onboarding").exists() and not (storage / "auth").exists():
        _write_store(storage, "onboarding", 4, {"done": PRE_ONBOARDED_STEPS})
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "fluvius"
    target = os.path.relpath(REPO / "custom_components" / "fluvius", custom)
    if link.is_symlink() and os.readlink(link) != target:
        link.unlink()
    if not link.exists():
        link.symlink_to(target)


@dataclass
class HomeAssistantProcess:
    """A running `python -m homeassistant` and how to reach it."""

    process: asyncio.subprocess.Process
    url: str

    async def stop(self, timeout: float = 60) -> None:
        """Ask Home Assistant to stop (SIGTERM), then kill it if it hangs."""
        if self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def write_http_settings(config_dir: Path, port: int) -> None:
    """Set the address and port Home Assistant will listen on, as its Network settings would.

    Written in the store's first format, the bare `http:` options: every Home Assistant since
    (2026.10: format 2.2, 2026.11: format 3.1) migrates it on load through its own schema,
    filling in its defaults, and keeps it as the confirmed ("stable") settings, with nothing
    pending to confirm and nothing to revert. Any other HTTP setting of this config directory
    is reset: scripts/develop and the browser test own them.
    """
    _write_store(config_dir / ".storage", "http", 1, {"server_host": [HOST], "server_port": port})


def ha_python() -> str:
    """The interpreter that runs Home Assistant: $FLUVIUS_HA_PYTHON, else this one."""
    return os.environ.get("FLUVIUS_HA_PYTHON") or sys.executable


def _ha_environment(python: str, portal_url: str) -> dict[str, str]:
    """The environment of the Home Assistant process run by `python`."""
    env = dict(os.environ, FLUVIUS_PORTAL_URL=portal_url)
    # Home Assistant installs missing requirements with `python -m uv pip install`, which
    # installs into $VIRTUAL_ENV: make that the venv of `python`, not the caller's.
    venv = Path(python).parent.parent  # not resolved: a venv's python links out of it
    env.pop("VIRTUAL_ENV", None)
    if (venv / "pyvenv.cfg").exists():
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    return env


async def start_homeassistant(
    config_dir: Path,
    *,
    port: int,
    portal_url: str,
    log_file: Path | None = None,
    python: str | None = None,
) -> HomeAssistantProcess:
    """Start Home Assistant on 127.0.0.1:port with the portal pointed at the simulator.

    `python` runs it (default: `ha_python()`)."""
    write_http_settings(config_dir, port)
    python = python or ha_python()
    env = _ha_environment(python, portal_url)
    # Home Assistant installs missing requirements with uv, which ignores the system CA
    # bundle unless told; machines behind a TLS proxy need it.
    if os.path.exists(CA_BUNDLE):  # noqa: ASYNC240 - one stat before a process start
        env.setdefault("SSL_CERT_FILE", CA_BUNDLE)
        env.setdefault("UV_NATIVE_TLS", "1")
    stdout = log_file.open("ab") if log_file else None
    process = await asyncio.create_subprocess_exec(
        python,
        "-m",
        "homeassistant",
        "--config",
        str(config_dir),
        env=env,
        stdout=stdout,
        stderr=asyncio.subprocess.STDOUT if stdout else None,
    )
    if stdout:
        stdout.close()
    return HomeAssistantProcess(process=process, url=f"http://127.0.0.1:{port}")


async def wait_until_up(ha: HomeAssistantProcess, timeout: float = 600) -> None:
    """Wait until the HTTP API answers (the first start installs the frontend's deps)."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            if ha.process.returncode is not None:
                raise RuntimeError(f"Home Assistant exited with {ha.process.returncode}")
            try:
                async with session.get(f"{ha.url}/api/onboarding", timeout=5) as resp:
                    if resp.status in (200, 401, 404):
                        return
            except aiohttp.ClientError, TimeoutError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("Home Assistant did not come up")
            await asyncio.sleep(1)


async def onboard(ha: HomeAssistantProcess) -> None:
    """Finish onboarding through Home Assistant's own API, once, with the demo user.

    The steps `prepare_config` recorded as done are skipped (see the module docstring).
    """
    client_id = f"{ha.url}/"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{ha.url}/api/onboarding") as resp:
            onboarding = resp.status == 200
            steps = {step["step"]: step["done"] for step in await resp.json()} if onboarding else {}
        if onboarding and not steps.get("user"):
            body = {
                "client_id": client_id,
                "name": HA_NAME,
                "username": HA_USER,
                "password": HA_PASSWORD,
                "language": "en",
            }
            async with session.post(f"{ha.url}/api/onboarding/users", json=body) as resp:
                resp.raise_for_status()
                code = (await resp.json())["auth_code"]
        else:
            code = await _login_code(session, ha, client_id)
        token = await _exchange_code(session, ha, client_id, code)
        headers = {"Authorization": f"Bearer {token}"}
        for step, body in (
            ("core_config", None),
            ("analytics", None),
            ("integration", {"client_id": client_id, "redirect_uri": f"{ha.url}/?auth_callback=1"}),
        ):
            if not onboarding or steps.get(step):
                continue
            async with session.post(
                f"{ha.url}/api/onboarding/{step}", json=body or {}, headers=headers
            ) as resp:
                if resp.status not in (200, 403):  # 403: step already done
                    resp.raise_for_status()


# The languages the integration is translated into (scripts/develop --language).
LANGUAGES = ("en", "nl", "fr")


async def set_language(ha: HomeAssistantProcess, token: str, language: str) -> None:
    """Switch Home Assistant's system language (entity, device and flow texts) and the demo
    user's interface language, then reload the Fluvius entries: their entity and device
    names are given in the system language when they are set up."""
    async with aiohttp.ClientSession() as session:
        await websocket_command(
            session, ha, token, {"type": "config/core/update", "language": language}
        )
        await websocket_command(
            session,
            ha,
            token,
            {"type": "frontend/set_user_data", "key": "language", "value": {"language": language}},
        )
        headers = {"Authorization": f"Bearer {token}"}
        entries_url = f"{ha.url}/api/config/config_entries/entry"
        async with session.get(f"{entries_url}?domain=fluvius", headers=headers) as resp:
            resp.raise_for_status()
            entries = await resp.json()
        for entry in entries:
            if entry["state"] == "loaded":
                url = f"{entries_url}/{entry['entry_id']}/reload"
                async with session.post(url, headers=headers) as resp:
                    resp.raise_for_status()


async def access_token(ha: HomeAssistantProcess) -> str:
    """A fresh access token of the demo user (valid 30 minutes), for REST and WebSocket."""
    client_id = f"{ha.url}/"
    async with aiohttp.ClientSession() as session:
        code = await _login_code(session, ha, client_id)
        return await _exchange_code(session, ha, client_id, code)


async def websocket_command(
    session: aiohttp.ClientSession, ha: HomeAssistantProcess, token: str, command: dict
) -> object:
    """Send one command over a fresh WebSocket connection and return its result."""
    async with session.ws_connect(f"{ha.url}/api/websocket") as ws:
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": token})
        if (reply := await ws.receive_json())["type"] != "auth_ok":
            raise RuntimeError(f"WebSocket authentication failed: {reply}")
        await ws.send_json({"id": 1, **command})
        reply = await ws.receive_json()
        if not reply.get("success"):
            raise RuntimeError(f"{command['type']} failed: {reply.get('error')}")
        return reply.get("result")


async def _exchange_code(
    session: aiohttp.ClientSession, ha: HomeAssistantProcess, client_id: str, code: str
) -> str:
    form = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
    async with session.post(f"{ha.url}/auth/token", data=form) as resp:
        resp.raise_for_status()
        return (await resp.json())["access_token"]


async def _login_code(
    session: aiohttp.ClientSession, ha: HomeAssistantProcess, client_id: str
) -> str:
    """Log the demo user in through the login flow API and return an auth code."""
    body = {"client_id": client_id, "handler": ["homeassistant", None], "redirect_uri": client_id}
    async with session.post(f"{ha.url}/auth/login_flow", json=body) as resp:
        flow_id = (await resp.json())["flow_id"]
    creds = {"username": HA_USER, "password": HA_PASSWORD, "client_id": client_id}
    async with session.post(f"{ha.url}/auth/login_flow/{flow_id}", json=creds) as resp:
        return (await resp.json())["result"]
