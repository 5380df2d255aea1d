"""Packaging checks that hassfest and the HACS action would make on GitHub.

No GitHub runner is available here, so the rules that matter for this repository are
checked locally: manifest schema and key order, hacs.json, translations, brand images,
declared dependencies and the lint gate (ruff, and mypy --strict).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
import shutil
import subprocess
import sys

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION
from PIL import Image
import pytest

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "fluvius"
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text())

IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "render_readme",
    "persistent_directory",
}
# Checked by test_mypy_strict; to grow to the whole package once the rest of it is clean.
MYPY_STRICT_PATHS = ["custom_components/fluvius"]
# Components an integration may import without declaring them (entity platforms and helpers
# that hassfest allows).
IMPLICIT_COMPONENTS = {"sensor", "event", "calendar", "diagnostics", "repairs", "energy"}


def test_manifest_schema() -> None:
    """The manifest has every key hassfest wants for a custom integration."""
    assert MANIFEST["domain"] == INTEGRATION.name == "fluvius"
    assert MANIFEST["name"] == "Fluvius"
    assert MANIFEST["config_flow"] is True
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert MANIFEST["iot_class"] == "cloud_polling"
    assert MANIFEST["integration_type"] in INTEGRATION_TYPES
    assert MANIFEST["requirements"] == []
    assert AwesomeVersion(MANIFEST["version"]).valid
    for key in ("documentation", "issue_tracker"):
        assert re.fullmatch(r"https://\S+", MANIFEST[key]), key
    assert MANIFEST["codeowners"]
    assert all(re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in MANIFEST["codeowners"])
    assert isinstance(MANIFEST.get("dependencies", []), list)


def test_manifest_key_order() -> None:
    """hassfest sorts domain and name first, then the rest alphabetically."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def _imported_components() -> set[str]:
    found: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[:2] == ["homeassistant", "components"] and len(parts) > 2:
                    found.add(parts[2])
    return found


def test_used_components_are_declared() -> None:
    """Every imported component is a (after_)dependency, as hassfest's dependency check wants."""
    declared = set(MANIFEST.get("dependencies", [])) | set(MANIFEST.get("after_dependencies", []))
    assert "recorder" in declared
    undeclared = _imported_components() - declared - IMPLICIT_COMPONENTS
    assert not undeclared


def test_hacs_json() -> None:
    """hacs.json uses known keys and names the oldest Home Assistant the suite tests."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == "Fluvius"
    assert hacs["country"] == ["BE"]
    assert hacs["render_readme"] is True
    assert hacs["homeassistant"] == HA_VERSION
    # HACS wants exactly one integration and an OSI licence.
    dirs = [
        p.name
        for p in (ROOT / "custom_components").iterdir()
        if p.is_dir() and not p.name.startswith("__")
    ]
    assert dirs == ["fluvius"]
    assert "Apache License" in (ROOT / "LICENSE").read_text()


def test_requirements_pin_the_plugin() -> None:
    """The test plugin is pinned exactly; it pins Home Assistant."""
    lines = (ROOT / "requirements_test.txt").read_text().splitlines()
    assert any(re.fullmatch(r"pytest-homeassistant-custom-component==[\d.]+", ln) for ln in lines)


def _keys(tree: object, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    out: set[str] = set()
    for key, value in tree.items():
        out |= _keys(value, f"{prefix}.{key}" if prefix else key)
    return out


def test_translations_complete() -> None:
    """en.json mirrors strings.json; Dutch and French translate every key."""
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    assert english == strings
    for lang in ("nl", "fr"):
        other = json.loads((INTEGRATION / "translations" / f"{lang}.json").read_text())
        assert _keys(other) == _keys(strings), lang


# hassfest's rules for translation files (script/hassfest/translations.py of Home Assistant
# core, 2025-2026: a translation key, a placeholder, a flow's data descriptions).
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
SLUG = re.compile(r"^[a-z0-9_]+$")
PLACEHOLDER = re.compile(r"{([^{}]*)}")
TOP_LEVEL = {
    "title",
    "config",
    "config_subentries",
    "options",
    "selector",
    "device",
    "entity",
    "exceptions",
    "issues",
    "services",
    "common",
}


def _values(node: object, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in _values(value, f"{path}.{key}")]
    assert isinstance(node, str), path
    return [(path, node)]


@pytest.mark.parametrize("name", ["strings.json", "en.json", "nl.json", "fr.json"])
def test_translations_follow_hassfest_rules(name: str) -> None:
    """What hassfest rejects in a translation file: an unknown top-level section, a selector
    option or unit that is not a translation key, a common key that is not a slug, a data
    description without its field, a subentry flow without its entry type and initiate
    text, and values with a quoted or non-identifier placeholder or surrounding spaces."""
    path = INTEGRATION / name if name == "strings.json" else INTEGRATION / "translations" / name
    data = json.loads(path.read_text())
    assert set(data) <= TOP_LEVEL
    for key, selector in data.get("selector", {}).items():
        for kind in ("options", "unit_of_measurement", "choices"):
            for option in selector.get(kind, {}):
                assert TRANSLATION_KEY.match(option), (key, kind, option)
    assert all(SLUG.match(key) for key in data.get("common", {}))
    flows = [data["config"], *data.get("config_subentries", {}).values()]
    for flow in flows:
        for step_id, step in flow["step"].items():
            assert set(step.get("data_description", {})) <= set(step.get("data", {})), step_id
    for subentry in data.get("config_subentries", {}).values():
        assert "entry_type" in subentry
        assert "user" in subentry["initiate_flow"]
    for where, value in _values(data):
        assert value == value.strip(), where
        assert not re.search(r"'{\w+}'", value), where
        assert all(field.isidentifier() for field in PLACEHOLDER.findall(value)), where


def test_icons_match_entities() -> None:
    """Every icon translation key names an entity translation key."""
    icons = json.loads((INTEGRATION / "icons.json").read_text())
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    for platform, entities in icons.get("entity", {}).items():
        assert set(entities) <= set(strings["entity"][platform]), platform


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("icon.png", lambda w, h: w == h == 256),
        ("icon@2x.png", lambda w, h: w == h == 512),
        ("logo.png", lambda w, h: 128 <= min(w, h) <= 256),
        ("logo@2x.png", lambda w, h: 256 <= min(w, h) <= 512),
    ],
)
def test_brand_images(name: str, check) -> None:
    """The brand folder holds transparent PNGs of the sizes Home Assistant expects."""
    with Image.open(INTEGRATION / "brand" / name) as img:
        assert img.format == "PNG"
        assert img.mode == "RGBA"
        assert check(*img.size)


def test_ruff_clean() -> None:
    """The lint gate: ruff check and ruff format --check pass on the whole tree."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(  # noqa: S603
            [ruff, *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    """mypy --strict (pyproject's [tool.mypy]) passes on MYPY_STRICT_PATHS."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mypy", "--strict", *MYPY_STRICT_PATHS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_frontend_pin_matches_home_assistant() -> None:
    """The browser test's frontend is the one this Home Assistant release asks for."""
    import homeassistant

    manifest = Path(homeassistant.__file__).parent / "components" / "frontend" / "manifest.json"
    wanted = json.loads(manifest.read_text())["requirements"]
    pins = (ROOT / "requirements_test.txt").read_text().splitlines()
    assert set(wanted) <= set(pins)


def test_auth_module_requirements_pinned() -> None:
    """Home Assistant's auth modules pip-install these at startup unless they are present."""
    import homeassistant

    auth = Path(homeassistant.__file__).parent / "auth"
    wanted: set[str] = set()
    for path in auth.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "REQUIREMENTS" for t in node.targets
            ):
                wanted.update(ast.literal_eval(node.value))
    pins = set((ROOT / "requirements_test.txt").read_text().splitlines())
    assert wanted <= pins
