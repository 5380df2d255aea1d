"""The portal's MSAL configuration: which B2C application, authority and scopes to use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from yarl import URL

from .errors import FluviusLoginFlowError
from .security import checked_url

DEFAULT_AUTHORITY = "https://login.fluvius.be/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin"
DEFAULT_REDIRECT_URI = "https://mijn.fluvius.be/"
DEFAULT_SCOPE = "https://klanten.onmicrosoft.com/MijnFluvius/user_impersonation"
ALWAYS_SCOPES = ("openid", "offline_access")
MSAL_CONFIG_PATH = "/api/global/msal/config"


@dataclass(frozen=True, slots=True)
class MsalConfig:
    """What the portal's MSAL config tells about its B2C application."""

    client_id: str
    authority: URL
    redirect_uri: str
    scopes: tuple[str, ...]

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)

    def endpoint(self, name: str) -> URL:
        """{authority}/oauth2/v2.0/{name}."""
        return self.authority.with_path(self.authority.path.rstrip("/") + f"/oauth2/v2.0/{name}")


def _scope_list(value: object) -> list[str]:
    """Scopes given as a list, a space-separated string, or nested lists."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [scope for item in value for scope in _scope_list(item)]
    return []


def _resource_map_scopes(value: object) -> list[str]:
    """protectedResourceMap: {url: [scopes]} or MSAL's serialised Map, [[url, [scopes]], ...]."""
    if isinstance(value, dict):
        return [s for scopes in value.values() for s in _scope_list(scopes)]
    if isinstance(value, list):
        return [
            s
            for pair in value
            if isinstance(pair, list | tuple) and len(pair) == 2
            for s in _scope_list(pair[1])
        ]
    return []


def _collect_scopes(sections: Iterable[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for section in sections:
        for key in ("scopes", "defaultScopes", "apiScopes"):
            found += _scope_list(section.get(key))
        request = section.get("authRequest")
        if isinstance(request, dict):
            found += _scope_list(request.get("scopes"))
        found += _resource_map_scopes(section.get("protectedResourceMap"))
    return found


def _first_text(sections: Iterable[dict[str, Any]], *keys: str) -> str | None:
    for section in sections:
        for key in keys:
            value = section.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def parse_msal_config(payload: object) -> MsalConfig:
    """Read the MSAL config, top-level or nested under `auth`, with documented defaults."""
    if not isinstance(payload, dict):
        raise FluviusLoginFlowError("MSAL config is not a JSON object")
    sections = [payload]
    for key in ("auth", "msalConfig", "config"):
        if isinstance(payload.get(key), dict):
            sections.insert(0, payload[key])
    client_id = _first_text(sections, "clientId", "client_id")
    if client_id is None:
        raise FluviusLoginFlowError("MSAL config has no clientId")
    authority = checked_url(
        _first_text(sections, "authority") or DEFAULT_AUTHORITY, what="MSAL authority"
    )
    scopes = _collect_scopes(sections) or [DEFAULT_SCOPE]
    ordered = list(dict.fromkeys([*scopes, *ALWAYS_SCOPES]))
    return MsalConfig(
        client_id=client_id,
        authority=authority,
        redirect_uri=_first_text(sections, "redirectUri", "redirect_uri") or DEFAULT_REDIRECT_URI,
        scopes=tuple(ordered),
    )
