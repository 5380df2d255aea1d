"""Reading the B2C sign-in page: the `SETTINGS` and `SA_FIELDS` script assignments.

The page is HTML with an inline script. A lazy regex breaks on `};` inside strings, so the
object literal is delimited by a brace matcher that skips JSON strings, then parsed as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import re
from typing import Any

from .errors import FluviusLoginFlowError

DEFAULT_API = "CombinedSigninAndSignup"


# `var X =`, `let X=`, `window.X =`, `X =` followed by an object; not `X ==`.
_ASSIGNMENT = re.compile(r"(?<![\w$])([A-Za-z_$][\w$]*)\s*=(?!=)\s*(?=\{)")


def _object_end(text: str, start: int) -> int | None:
    """Index just past the `}` closing the object that opens at text[start]."""
    depth = 0
    in_string = False
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def script_objects(html: str) -> dict[str, dict[str, Any]]:
    """Every `name = {JSON}` assignment, first one per name.

    The scan resumes after each object it parsed, so an assignment quoted inside a string of
    an earlier object (`"var SA_FIELDS = {}"`) is never mistaken for the real one.
    """
    found: dict[str, dict[str, Any]] = {}
    position = 0
    while match := _ASSIGNMENT.search(html, position):
        start = match.end()
        end = _object_end(html, start)
        if end is None:
            position = start + 1
            continue
        try:
            value = json.loads(html[start:end])
        except (ValueError, RecursionError):
            position = start + 1
            continue
        if isinstance(value, dict):
            found.setdefault(match.group(1), value)
        position = end
    return found


def find_js_object(html: str, name: str) -> dict[str, Any] | None:
    """The JSON object assigned to `name` in an inline script, or None."""
    return script_objects(html).get(name)


def has_settings(html: str) -> bool:
    """True when the page carries a B2C `SETTINGS` object (a sign-in or interaction page)."""
    return find_js_object(html, "SETTINGS") is not None


@dataclass(frozen=True, slots=True)
class B2CSettings:
    """The parts of SETTINGS the login needs."""

    csrf: str
    trans_id: str
    api: str
    tenant: str | None
    policy: str | None


@dataclass(frozen=True, slots=True)
class LoginForm:
    """IDs of the form fields to fill in."""

    login_field: str
    password_field: str


@dataclass(frozen=True, slots=True)
class SignInPage:
    """Everything read from the sign-in page."""

    settings: B2CSettings
    form: LoginForm


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_settings(data: dict[str, Any]) -> B2CSettings:
    """Validate a SETTINGS object; csrf and transId are mandatory."""
    csrf = _text(data.get("csrf"))
    trans_id = _text(data.get("transId"))
    if csrf is None or trans_id is None:
        raise FluviusLoginFlowError("sign-in page SETTINGS lacks csrf or transId")
    hosts = data.get("hosts")
    hosts = hosts if isinstance(hosts, dict) else {}
    return B2CSettings(
        csrf=csrf,
        trans_id=trans_id,
        api=_text(data.get("api")) or DEFAULT_API,
        tenant=_text(hosts.get("tenant")),
        policy=_text(hosts.get("policy")),
    )


def _is_password(field: dict[str, Any]) -> bool:
    flag = field.get("IS_PASSWORD")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def parse_form(data: dict[str, Any]) -> LoginForm:
    """Login field = first non-password field; password field = IS_PASSWORD true."""
    fields = data.get("AttributeFields")
    if not isinstance(fields, list):
        raise FluviusLoginFlowError("sign-in page SA_FIELDS lacks AttributeFields")
    login_field = password_field = None
    for field in fields:
        if not isinstance(field, dict) or not _text(field.get("ID")):
            continue
        if _is_password(field):
            password_field = password_field or field["ID"]
        else:
            login_field = login_field or field["ID"]
    if login_field is None or password_field is None:
        raise FluviusLoginFlowError("sign-in page has no login or password field")
    return LoginForm(login_field=login_field, password_field=password_field)


def parse_signin_page(html: str) -> SignInPage:
    """Read SETTINGS and SA_FIELDS from the authorize answer."""
    objects = script_objects(html)
    settings = objects.get("SETTINGS")
    if settings is None:
        raise FluviusLoginFlowError("sign-in page has no readable SETTINGS")
    fields = objects.get("SA_FIELDS")
    if fields is None:
        raise FluviusLoginFlowError("sign-in page has no readable SA_FIELDS")
    return SignInPage(settings=parse_settings(settings), form=parse_form(fields))
