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
from custom_components.fluvius.api.security import checked_url, is_loopback, mask_ean


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
