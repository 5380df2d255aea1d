"""Install what `default_config` needs (for develop and the browser test), pinned like HA pins it.

Home Assistant would pip-install these itself on first start, one integration at a time, while
the user waits; doing it up front makes `scripts/develop` start fast and predictably.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import subprocess
import sys

import homeassistant

COMPONENTS = Path(homeassistant.__file__).parent / "components"
CONSTRAINTS = Path(homeassistant.__file__).parent / "package_constraints.txt"
STAMP = Path(sys.prefix) / ".dev-requirements-stamp"


def requirements(root: str = "default_config") -> list[str]:
    """Requirements of `root` and every integration it depends on."""
    seen: set[str] = set()
    todo = [root]
    found: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = json.loads((COMPONENTS / domain / "manifest.json").read_text())
        found.update(manifest.get("requirements", []))
        todo.extend(manifest.get("dependencies", []))
    return sorted(found)


def main() -> None:
    """pip install the list unless the stamp says it is already there."""
    reqs = requirements()
    digest = hashlib.sha256("\n".join(reqs).encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print(f"Installing {len(reqs)} packages for default_config (once) ...", flush=True)
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), *reqs],
        check=True,
    )
    STAMP.write_text(digest)


if __name__ == "__main__":
    main()
