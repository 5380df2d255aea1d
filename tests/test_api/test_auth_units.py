"""MSAL config parsing, token expiry arithmetic, B2C error classification (no HTTP)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.fluvius.api.auth import _redirect_params, classify_b2c_code, pkce_pair
from custom_components.fluvius.api.errors import (
    FluviusAccountLockedError,
    FluviusInsecureUrlError,
    FluviusInvalidCredentialsError,
    FluviusLoginFlowError,
    FluviusLoginRejectedError,
    FluviusRateLimitError,
)
from custom_components.fluvius.api.msal import (
    DEFAULT_AUTHORITY,
    DEFAULT_REDIRECT_URI,
    DEFAULT_SCOPE,
    parse_msal_config,
)
from custom_components.fluvius.api.tokens import TokenSet, jwt_expiry, token_set_from_answer

NOW = datetime(2025, 7, 1, 8, tzinfo=UTC)
API = "https://klanten.onmicrosoft.com/MijnFluvius/user_impersonation"


def jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("payload", "scopes"),
    [
        ({"clientId": "c", "scopes": [API]}, [API]),
        ({"auth": {"clientId": "c"}, "scopes": f"{API} extra"}, [API, "extra"]),
        ({"clientId": "c", "defaultScopes": [API]}, [API]),
        ({"clientId": "c", "apiScopes": [API]}, [API]),
        ({"clientId": "c", "authRequest": {"scopes": [API]}}, [API]),
        ({"clientId": "c", "protectedResourceMap": {"https://x/api": [API]}}, [API]),
        ({"clientId": "c", "protectedResourceMap": [["https://x/api", [API]]]}, [API]),
        ({"auth": {"clientId": "c", "authority": DEFAULT_AUTHORITY}}, [DEFAULT_SCOPE]),
    ],
)
def test_msal_config_variants(payload: dict, scopes: list[str]) -> None:
    config = parse_msal_config(payload)
    assert config.client_id == "c"
    assert list(config.scopes) == [*scopes, "openid", "offline_access"]
    assert str(config.authority) == DEFAULT_AUTHORITY
    assert config.redirect_uri == DEFAULT_REDIRECT_URI


def test_msal_config_nested_values_and_endpoints() -> None:
    config = parse_msal_config(
        {
            "auth": {
                "clientId": "abc",
                "authority": "https://login.example/tenant/B2C_1A_x/",
                "redirectUri": "https://portal.example/",
            },
            "scopes": ["openid", API],
        }
    )
    assert config.scope == f"openid {API} offline_access"
    assert (
        str(config.endpoint("token")) == "https://login.example/tenant/B2C_1A_x/oauth2/v2.0/token"
    )
    assert config.redirect_uri == "https://portal.example/"


def test_msal_config_without_client_id() -> None:
    with pytest.raises(FluviusLoginFlowError):
        parse_msal_config({"auth": {"authority": DEFAULT_AUTHORITY}})
    with pytest.raises(FluviusLoginFlowError):
        parse_msal_config(["not", "an", "object"])


@pytest.mark.parametrize(
    "authority",
    ["http://login.fluvius.be/tenant/policy", "ftp://127.0.0.1/x", "http://10.0.0.1/t/p"],
)
def test_msal_authority_must_be_safe(authority: str) -> None:
    with pytest.raises(FluviusInsecureUrlError):
        parse_msal_config({"clientId": "c", "authority": authority})


def test_loopback_http_authority_is_allowed() -> None:
    config = parse_msal_config({"clientId": "c", "authority": "http://127.0.0.1:8081/t/p"})
    assert config.authority.port == 8081


def test_pkce_pair() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = base64.urlsafe_b64decode(challenge + "=")
    assert len(digest) == 32
    assert pkce_pair()[0] != verifier


def test_expiry_from_expires_on_first() -> None:
    on = NOW + timedelta(minutes=50)
    tokens = token_set_from_answer(
        {
            "access_token": jwt({"exp": 1}),
            "expires_on": str(int(on.timestamp())),
            "expires_in": "3600",
            "refresh_token": "r",
            "refresh_token_expires_in": "86400",
        },
        NOW,
    )
    assert tokens.expires_at == on
    assert tokens.refresh_expires_at == NOW + timedelta(days=1)
    assert tokens.login_at == NOW


def test_expiry_from_expires_in_then_jwt() -> None:
    tokens = token_set_from_answer({"access_token": "opaque", "expires_in": 3600}, NOW)
    assert tokens.expires_at == NOW + timedelta(hours=1)
    exp = NOW + timedelta(minutes=42)
    tokens = token_set_from_answer({"access_token": jwt({"exp": exp.timestamp()})}, NOW)
    assert tokens.expires_at == exp
    tokens = token_set_from_answer({"access_token": jwt({"exp": str(int(exp.timestamp()))})}, NOW)
    assert tokens.expires_at == exp


def test_absurd_numbers_fall_back() -> None:
    exp = NOW + timedelta(minutes=30)
    tokens = token_set_from_answer(
        {
            "access_token": jwt({"exp": exp.timestamp()}),
            "expires_on": "1e300",
            "expires_in": "nan",
            "refresh_token": "r",
            "refresh_token_expires_in": 1e300,
        },
        NOW,
    )
    assert tokens.expires_at == exp
    assert tokens.refresh_expires_at is None
    fallback = token_set_from_answer({"access_token": "opaque", "expires_in": "soon"}, NOW)
    assert fallback.expires_at == NOW + timedelta(minutes=5)


def test_jwt_expiry_garbage() -> None:
    assert jwt_expiry("nope") is None
    assert jwt_expiry("a.!!!.c") is None
    assert jwt_expiry(jwt({"sub": "x"})) is None


def test_renewal_margin() -> None:
    tokens = token_set_from_answer(
        {
            "access_token": "a",
            "expires_in": 3600,
            "refresh_token": "r",
            "refresh_token_expires_in": 86400,
        },
        NOW,
    )
    assert tokens.access_valid(NOW + timedelta(minutes=58))
    assert not tokens.access_valid(NOW + timedelta(minutes=59, seconds=1))
    assert tokens.refresh_usable(NOW + timedelta(hours=23))
    assert not tokens.refresh_usable(NOW + timedelta(hours=24))


def test_refresh_keeps_first_login_lifetime() -> None:
    first = token_set_from_answer(
        {
            "access_token": "a",
            "expires_in": 3600,
            "refresh_token": "r1",
            "refresh_token_expires_in": 86400,
        },
        NOW,
    )
    later = NOW + timedelta(hours=5)
    refreshed = token_set_from_answer(
        {
            "access_token": "b",
            "expires_in": 3600,
            "refresh_token": "r2",
            "refresh_token_expires_in": 86400,
        },
        later,
        previous=first,
    )
    assert refreshed.refresh_token == "r2"
    assert refreshed.refresh_expires_at == NOW + timedelta(days=1)
    assert refreshed.login_at == NOW
    unrotated = token_set_from_answer({"access_token": "c", "expires_in": 60}, later, first)
    assert unrotated.refresh_token == "r1"


def test_token_answer_without_access_token() -> None:
    with pytest.raises(FluviusLoginFlowError):
        token_set_from_answer({"error": "invalid_grant"}, NOW)


def test_token_set_round_trip() -> None:
    tokens = TokenSet("a", "r", NOW, NOW + timedelta(days=1), NOW - timedelta(hours=1))
    assert TokenSet.from_dict(tokens.to_dict()) == tokens


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("AADB2C90053", FluviusInvalidCredentialsError),
        ("AADB2C90054", FluviusInvalidCredentialsError),
        ("AADB2C90052", FluviusInvalidCredentialsError),
        ("AADB2C90225", FluviusInvalidCredentialsError),
        ("AADB2C90111", FluviusAccountLockedError),
        ("AADB2C90114", FluviusAccountLockedError),
        ("AADB2C90244", FluviusRateLimitError),
        ("AADB2C99999", FluviusLoginRejectedError),
        (None, FluviusLoginRejectedError),
    ],
)
def test_b2c_code_classification(code: str | None, kind: type[Exception]) -> None:
    error = classify_b2c_code(code, "rejected")
    assert type(error) is kind
    if isinstance(error, FluviusAccountLockedError):
        assert error.permanent is (code == "AADB2C90111")
    if isinstance(error, FluviusLoginRejectedError):
        assert error.code == code


def test_redirect_params_from_query_and_fragment() -> None:
    assert _redirect_params("https://mijn.fluvius.be/?code=abc&state=s1") == {
        "code": "abc",
        "state": "s1",
    }
    assert _redirect_params("https://mijn.fluvius.be/#code=a%2Bb&state=s2") == {
        "code": "a+b",
        "state": "s2",
    }
    error = _redirect_params("https://x/?error=access_denied&error_description=AADB2C90091%3A+x")
    assert error["error_description"].startswith("AADB2C90091:")
