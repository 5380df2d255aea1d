"""SETTINGS / SA_FIELDS extraction from hand-written B2C page samples."""

from __future__ import annotations

import json

import pytest

from custom_components.fluvius.api.b2c_page import (
    find_js_object,
    has_settings,
    parse_form,
    parse_signin_page,
)
from custom_components.fluvius.api.errors import FluviusLoginFlowError

SETTINGS = {
    "remoteResource": "https://login.example/static/unified.html",
    "csrf": "Y3NyZi10b2tlbg==",
    "transId": "StateProperties=eyJUSUQiOiIxMjMifQ",
    "api": "CombinedSigninAndSignup",
    "hosts": {
        "tenant": "/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin",
        "policy": "B2C_1A_customer_signup_signin",
        "static": "https://login.example/static/",
    },
    "locale": {"lang": "nl"},
}
FIELDS = {
    "AttributeFields": [
        {"ID": "signInName", "IS_PASSWORD": False, "DISPLAY_CONTROL_TYPE": "TextBox"},
        {"ID": "password", "IS_PASSWORD": True, "DISPLAY_CONTROL_TYPE": "Password"},
    ]
}


def page(settings: str, fields: str, *, extra: str = "") -> str:
    return (
        "<!DOCTYPE html><html><head><title>Aanmelden</title></head><body>"
        '<script data-container="true" nonce="abc">\n'
        f"{extra}var SETTINGS = {settings};\nvar SA_FIELDS = {fields};\n"
        "</script></body></html>"
    )


def test_compact_page() -> None:
    parsed = parse_signin_page(page(json.dumps(SETTINGS), json.dumps(FIELDS)))
    assert parsed.settings.csrf == SETTINGS["csrf"]
    assert parsed.settings.trans_id == SETTINGS["transId"]
    assert parsed.settings.api == "CombinedSigninAndSignup"
    assert parsed.settings.tenant == "/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin"
    assert parsed.settings.policy == "B2C_1A_customer_signup_signin"
    assert (parsed.form.login_field, parsed.form.password_field) == ("signInName", "password")


def test_pretty_printed_page() -> None:
    parsed = parse_signin_page(page(json.dumps(SETTINGS, indent=4), json.dumps(FIELDS, indent=2)))
    assert parsed.settings.trans_id == SETTINGS["transId"]
    assert parsed.form.password_field == "password"


def test_escaped_slashes_and_unicode() -> None:
    settings = json.dumps(SETTINGS).replace("/", "\\/").replace("=", "\\u003d")
    html = page(settings, json.dumps(FIELDS)).replace('"nl"', '"nl\\u0026fr"')
    parsed = parse_signin_page(html)
    assert parsed.settings.tenant == "/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin"
    assert parsed.settings.trans_id == SETTINGS["transId"]
    assert find_js_object(html, "SETTINGS")["locale"]["lang"] == "nl&fr"


def test_brace_and_semicolon_inside_strings() -> None:
    tricky = dict(SETTINGS, note='a "quoted" }; var SA_FIELDS = {}; \\ and { more', x="};")
    parsed = parse_signin_page(page(json.dumps(tricky), json.dumps(FIELDS)))
    assert parsed.settings.csrf == SETTINGS["csrf"]
    assert parsed.form.login_field == "signInName"


def test_similar_names_and_window_assignment() -> None:
    html = (
        '<script>var CONTENT_SETTINGS = {"csrf": "wrong"};'
        "if (SETTINGS == null) {}"
        f"window.SETTINGS = {json.dumps(SETTINGS)};"
        f"const SA_FIELDS={json.dumps(FIELDS)}</script>"
    )
    parsed = parse_signin_page(html)
    assert parsed.settings.csrf == SETTINGS["csrf"]


def test_other_field_ids_and_string_flags() -> None:
    fields = {
        "AttributeFields": [
            {"ID": "pwd", "IS_PASSWORD": "true"},
            {"ID": "email", "IS_PASSWORD": "false"},
            {"ID": "extra", "IS_PASSWORD": False},
        ]
    }
    form = parse_form(fields)
    assert (form.login_field, form.password_field) == ("email", "pwd")


def test_defaults_when_api_and_hosts_missing() -> None:
    settings = {"csrf": "c", "transId": "StateProperties=x"}
    parsed = parse_signin_page(page(json.dumps(settings), json.dumps(FIELDS)))
    assert parsed.settings.api == "CombinedSigninAndSignup"
    assert parsed.settings.tenant is None


@pytest.mark.parametrize(
    "html",
    [
        "<html>no script here</html>",
        page("{not json}", json.dumps(FIELDS)),
        page(json.dumps({"transId": "x"}), json.dumps(FIELDS)),
        page(json.dumps(SETTINGS), json.dumps({"AttributeFields": [{"ID": "a"}]})),
        page(json.dumps(SETTINGS), "{").replace("var SA_FIELDS", "var SA_FIELDZ"),
        page(json.dumps(SETTINGS), json.dumps({"AttributeFields": "nope"})),
    ],
)
def test_unreadable_pages_are_flow_errors(html: str) -> None:
    with pytest.raises(FluviusLoginFlowError):
        parse_signin_page(html)


def test_truncated_object_is_not_found() -> None:
    assert find_js_object('var SETTINGS = {"csrf": "a", "x": "};', "SETTINGS") is None


def test_has_settings() -> None:
    assert has_settings(page(json.dumps(SETTINGS), json.dumps(FIELDS)))
    assert not has_settings("<html><body>Done</body></html>")
