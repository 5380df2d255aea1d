"""Install what Home Assistant installs at its first start here, pinned as it pins it.

Run by the interpreter of the environment to fill (scripts/setup does, in both environments):
`python scripts/ha_requirements.py`. Without this, Home Assistant pip-installs the missing
requirements itself when it starts (the browser test's first run, scripts/develop), one at a
time while the caller waits, and only with PyPI reachable.

The rules are those of Home Assistant's requirements.py: an integration's requirements, then
those of its dependencies and after-dependencies, and of the discovery integrations its
manifest names (`zeroconf:`, `dhcp:`...). The starting points: what bootstrap always sets up,
the integrations of the browser test's and scripts/develop's configuration.yaml, and Fluvius.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import subprocess
import sys

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import homeassistant  # noqa: E402
from homeassistant import bootstrap, requirements as ha_requirements  # noqa: E402

from tests.e2e.homeassistant_process import (  # noqa: E402
    DEFAULT_INTEGRATIONS,
    LEAN_INTEGRATIONS,
)

HA_DIR = Path(homeassistant.__file__).parent
CONSTRAINTS = HA_DIR / "package_constraints.txt"
STAMP = Path(sys.prefix) / ".ha-requirements-stamp"
# What bootstrap sets up whatever the configuration says (outside recovery mode, without
# Supervisor); its other sets (isal, sentry...) only when configured.
BOOTSTRAP_SETS = ("CORE_INTEGRATIONS", "DEFAULT_INTEGRATIONS")


def _manifest(domain: str) -> dict | None:
    for path in (
        HA_DIR / "components" / domain / "manifest.json",
        REPO / "custom_components" / domain / "manifest.json",
    ):
        if path.exists():
            return json.loads(path.read_text())
    return None  # an after-dependency Home Assistant does not ship: skipped, as HA does


def _configured(yaml_integrations: str) -> set[str]:
    return {
        line.rstrip(":")
        for line in yaml_integrations.splitlines()
        if line.endswith(":") and not line.startswith(("#", " "))
    }


def roots() -> set[str]:
    """The integrations a start of the browser test's or develop's Home Assistant sets up."""
    found = {"fluvius"} | _configured(LEAN_INTEGRATIONS) | _configured(DEFAULT_INTEGRATIONS)
    for name in BOOTSTRAP_SETS:
        found |= set(getattr(bootstrap, name, ()))
    return found


def requirements() -> list[str]:
    """The requirements of `roots()` and of everything Home Assistant checks with them."""
    seen: set[str] = set()
    todo = sorted(roots())
    found: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen or (manifest := _manifest(domain)) is None:
            continue
        seen.add(domain)
        found.update(manifest.get("requirements", []))
        todo.extend(manifest.get("dependencies", []))
        todo.extend(manifest.get("after_dependencies", []))
        for check_domain, keys in ha_requirements.DISCOVERY_INTEGRATIONS.items():
            if any(key in manifest for key in keys):
                todo.append(check_domain)
    return sorted(found)


def main() -> None:
    """pip install the list unless the stamp says it is already there."""
    reqs = requirements()
    digest = hashlib.sha256("\n".join(reqs).encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print(f"Installing the {len(reqs)} requirements of Home Assistant's start (once) ...")
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), *reqs],
        check=True,
    )
    STAMP.write_text(digest)


if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print("\n".join(requirements()))
    else:
        main()
