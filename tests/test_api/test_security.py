"""http is only allowed towards loopback; secrets never reach messages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import custom_components.fluvius.api
from custom_components.fluvius.api import (
    DEFAULT_PORTAL_URL,
    FluviusClient,
    FluviusInsecureUrlError,
)
from custom_components.fluvius.api.security import (
    checked_url,
    is_loopback,
    mask_ean,
    redact_identifiers,
)


@pytest.mark.parametrize(
    "url",
    [
        "http://mijn.fluvius.be",
        "http://192.168.1.10:8123",
        "http://10.0.0.1",
        "ftp://127.0.0.1",
        "mijn.fluvius.be",
        "https://user:pw@mijn.fluvius.be",
        "http://127.0.0.1.evil.example",
    ],
)
def test_refused(url: str) -> None:
    with pytest.raises(FluviusInsecureUrlError):
        checked_url(url, what="portal URL")
    with pytest.raises(FluviusInsecureUrlError):
        FluviusClient("a@b.c", "pw", portal_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "https://mijn.fluvius.be",
        "https://portal.example:8443/some/path",
        "http://127.0.0.1:8080",
        "http://127.5.6.7",
        "http://[::1]:9000",
        "http://localhost:8080",
    ],
)
def test_accepted(url: str) -> None:
    assert checked_url(url, what="portal URL").is_absolute()
    FluviusClient("a@b.c", "pw", portal_url=url)


def test_insecure_url_error_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="https"):
        FluviusClient("a@b.c", "pw", portal_url="http://example.com")


def test_portal_is_a_parameter_not_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client reads no environment: the portal is its keyword, the public one by default."""
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", "http://example.com")
    client = FluviusClient("a@b.c", "pw")
    assert str(client._portal) == DEFAULT_PORTAL_URL == "https://mijn.fluvius.be"
    client = FluviusClient("a@b.c", "pw", portal_url="http://127.0.0.1:1234")
    assert str(client._portal) == "http://127.0.0.1:1234"


def test_api_reads_no_environment() -> None:
    """No module of the HA-free client imports os or names os.environ / os.getenv."""
    api = Path(custom_components.fluvius.api.__file__).parent
    for path in api.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert "os" not in {alias.name for alias in node.names}, path.name
            elif isinstance(node, ast.ImportFrom):
                assert node.module != "os", path.name
            elif isinstance(node, ast.Attribute | ast.Name):
                name = node.attr if isinstance(node, ast.Attribute) else node.id
                assert name not in {"environ", "getenv", "environb"}, path.name


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("[::1]")
    assert is_loopback("LOCALHOST")
    assert not is_loopback("128.0.0.1")
    assert not is_loopback("localhost.example")
    assert not is_loopback(None)


def test_mask_ean() -> None:
    assert mask_ean("541448823000123457") == "…3457"
    assert "123" not in mask_ean("123")


EAN = "541448823000123457"
SERIAL = "1SAG1100042062"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (EAN, "…3457"),
        ("5414 4882 3000 1234 57", "…3457"),
        (f"fluvius:{EAN}_consumption_high_cost", "fluvius:…3457_consumption_high_cost"),
        (f"{EAN}:{SERIAL}", "…3457:…2062"),
        (SERIAL, "…2062"),
        ("1sag1100042062", "…2062"),
        ("1SAG 1100 0420 62", "…2062"),
        ("1KFM0020571243", "…1243"),  # a serial nobody configured (a typo)
        ("meter 1KFM0020571243 refused", "meter …1243 refused"),
        # Left alone: times, dates, codes, lengths, other numbers.
        ("2026-04-12T06:30:00+00:00", "2026-04-12T06:30:00+00:00"),
        ("15 min", "15 min"),
        (
            "re-check: code 2 now delivers quarter_hour",
            "re-check: code 2 now delivers quarter_hour",
        ),
        ("5414488230001234", "5414488230001234"),  # 16 digits: no EAN
        ("1541448823000123457", "1541448823000123457"),  # 19 digits: no EAN
    ],
)
def test_redact_identifiers_by_shape(raw: str, masked: str) -> None:
    assert redact_identifiers(raw) == masked
    assert redact_identifiers({raw: [raw]}) == {masked: [masked]}


def test_redact_identifiers_whole_tree() -> None:
    """Keys and values at any depth; integers; known serials of any shape; keys that
    become equal are numbered instead of lost; other values untouched."""
    tree = {
        "meters": {f"{EAN}:{SERIAL}": 1, f"{EAN}:1SAG1100042162": 2},
        "list": [{"ean": int(EAN)}, ("AB-12345", "ab-123 45", True, None, 1.5, 7)],
    }
    assert redact_identifiers(tree, known=["AB-12345", "x"]) == {
        "meters": {"…3457:…2062": 1, "…3457:…2162": 2},
        "list": [{"ean": "…3457"}, ["…45", "…45", True, None, 1.5, 7]],
    }
    assert redact_identifiers({f"{EAN}:{SERIAL}": 1, f"{EAN}:1SAG9999992062": 2}) == {
        "…3457:…2062": 1,
        "…3457:…2062 (2)": 2,
    }
