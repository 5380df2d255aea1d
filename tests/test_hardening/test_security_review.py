"""Security review, as tests: secrets stay out of logs, diagnostics, issues and exception
messages; plain http is refused off loopback; TLS verification is never switched off; token
state lives only in the account's private `.storage/fluvius.<fingerprint>` file (an entry is
one account) and goes with the entry.

"Secrets" are the actual strings: the passwords (old, new and a wrong one), every access and
refresh token and authorization code the simulated B2C issued, every cookie value it set,
the e-mail address, and the full EANs and meter serials. Excluded loggers, and why: the
simulator's own server (it logs request URLs, which hold EANs, as Fluvius' server would),
Home Assistant's recorder and SQLAlchemy (they print the statistic IDs
`fluvius:<ean>_<register>`, which the Energy dashboard mandates and which contain the EAN by
design), and the test harness's in-memory `.storage` stand-in (it dumps what it stores; the
real Store does not log contents).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
import json
import logging
from pathlib import Path
import re
import ssl
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant import config_entries
from homeassistant.components.recorder.statistics import list_statistic_ids
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.fluvius.account import account_store, fingerprint
from custom_components.fluvius.api import FluviusClient
from custom_components.fluvius.api.brussels import BRUSSELS
from custom_components.fluvius.api.errors import FluviusError, FluviusInsecureUrlError
from custom_components.fluvius.const import DOMAIN, SUBENTRY_METER
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.diagnostics import async_get_config_entry_diagnostics
from custom_components.fluvius.issues import access_issue_id, no_data_issue_id
from tests.entries import ELEC, GAS, account_entry, subentry_id
from tests.simulator import ENDPOINTS, FluviusSimulator, SimClock
from tests.simulator.b2c import B2CService
from tests.simulator.demo import (
    DEMO_EMAIL,
    DEMO_NOW,
    DEMO_PASSWORD,
    ELEC_EAN,
    ELEC_SERIAL,
    GAS_EAN,
    GAS_SERIAL,
    OTHER_EAN,
    OTHER_EMAIL,
    OTHER_SERIAL,
)

from .conftest import FOREIGN_LOGGERS, HARNESS_STORAGE_LOGGER, settle

NEW_PASSWORD = "N1euw&Wachtwoord+2026"
DAY = date(2026, 4, 12)
WRONG_PASSWORD = "Fout-Wachtwoord+99"
INTEGRATION = Path(__file__).parents[2] / "custom_components" / "fluvius"


@pytest.fixture(autouse=True)
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze Home Assistant at the demo's reference time, before hass starts."""
    freezer.move_to(DEMO_NOW)
    return freezer


@pytest.fixture
def sim_clock(frozen: FrozenDateTimeFactory) -> SimClock:
    """The simulator's clock follows Home Assistant's."""
    return SimClock(DEMO_NOW, source=dt_util.utcnow)


@pytest.fixture
def issued_cookies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every cookie value the simulated B2C hands out."""
    values: list[str] = []
    original = B2CService._cookie_value

    def recording(self: B2CService) -> str:
        values.append(value := original(self))
        return value

    monkeypatch.setattr(B2CService, "_cookie_value", recording)
    return values


@pytest.fixture
def sent_requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """URL and keyword arguments of every aiohttp request made by anyone."""
    sent: list[tuple[str, dict[str, Any]]] = []
    original = aiohttp.ClientSession._request

    def recording(self: aiohttp.ClientSession, method: str, url: Any, **kwargs: Any):
        sent.append((str(url), kwargs))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", recording)
    return sent


def secrets_of(sim: FluviusSimulator, cookies: list[str]) -> dict[str, str]:
    """Every secret string the integration has seen or been given."""
    found = {
        "password": DEMO_PASSWORD,
        "new password": NEW_PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "email": DEMO_EMAIL,
        "elec EAN": ELEC_EAN,
        "gas EAN": GAS_EAN,
        "elec serial": ELEC_SERIAL,
        "gas serial": GAS_SERIAL,
    }
    tokens = sim.b2c.tokens
    for kind, issued in (
        ("access token", tokens.access),
        ("refresh token", tokens.refresh),
        ("authorization code", tokens.codes),
    ):
        for i, token in enumerate(issued):
            found[f"{kind} {i}"] = token
    for i, cookie in enumerate(cookies):
        found[f"cookie {i}"] = cookie
    return found


TOKEN_KINDS = ("access token", "refresh token", "authorization code", "cookie")


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """Names of the secrets that occur in text."""
    return [name for name, value in secrets.items() if value and value in text]


def exception_texts(err: BaseException) -> Iterator[str]:
    """str and repr of an exception and of everything it was raised from."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (str(arg) for arg in current.args)
        current = current.__cause__ or current.__context__


# --------------------------------------------------------------------------- the whole life


@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_no_secret_in_logs_diagnostics_issues_or_exceptions(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: FluviusSimulator,
    frozen: FrozenDateTimeFactory,
    issued_cookies: list[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    hass_storage: dict[str, Any],
) -> None:
    """A whole life at DEBUG: config flow (with a wrong password, then a wrong serial), a
    second meter added to the account, setup, 401 in mid-session, 5xx, 429, truncated JSON
    and HTML answers, the legacy endpoints, lost meter access (repair issue), a password
    change (reauth with a wrong, then the new password), diagnostics, and removal. No secret
    appears in any log record, diagnostics, issue or exception; in `.storage` the account's
    private store holds tokens but neither password nor e-mail, and no other file holds a
    token, authorization code or cookie."""
    fluvius = simulator
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", fluvius.portal_url)
    monkeypatch.setattr("custom_components.fluvius.subentry_flow.DEFAULT_HISTORY_DAYS", 14)
    caplog.set_level(logging.DEBUG)
    exceptions: list[BaseException] = []
    update = FluviusCoordinator._async_update_data

    async def recording_update(self: FluviusCoordinator):
        try:
            return await update(self)
        except Exception as err:
            exceptions.append(err)
            raise

    monkeypatch.setattr(FluviusCoordinator, "_async_update_data", recording_update)

    async def tick(hours: int = 1) -> None:
        for _ in range(hours):
            frozen.tick(timedelta(hours=1))
            async_fire_time_changed(hass)
            await settle(hass, frozen)

    # The config flow: the account, first with a wrong password; then the first meter,
    # first with another meter's serial.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": DEMO_EMAIL, "password": WRONG_PASSWORD}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert result["step_id"] == "meter"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"ean": ELEC_EAN, "meter_serial": GAS_SERIAL}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"ean": ELEC_EAN, "meter_serial": ELEC_SERIAL}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await settle(hass, frozen)
    # The account's second meter, added as a subentry of the loaded entry (no new sign-in:
    # the credentials are not sent again).
    logins = fluvius.stats.logins
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"ean": GAS_EAN, "meter_serial": GAS_SERIAL}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass, frozen)
    assert entry.state is config_entries.ConfigEntryState.LOADED
    meters = {sub.unique_id: sub.subentry_id for sub in entry.subentries.values()}
    assert set(meters) == {ELEC_EAN, GAS_EAN}
    assert fluvius.stats.logins == logins

    # Faults in the middle of sessions, over two publication mornings.
    frozen.move_to(datetime.combine(date(2026, 4, 16), time(6, 30), BRUSSELS))
    for endpoint, kind in (
        ("measurements", "unauthorized"),
        ("measurements", "server_error"),
        ("peaks", "invalid_json"),
        ("peaks", "html"),
        ("measurements", "rate_limit"),
        ("token", "html"),
        ("token", "invalid_json"),
    ):
        fluvius.faults.inject(endpoint, kind)
    await tick(30)
    fluvius.faults.inject("measurements", "unauthorized", count=2)  # a renewed token refused
    await tick(24)
    # The legacy endpoints for a day.
    fluvius.options.legacy = True
    await tick(24)
    fluvius.options.legacy = False
    # The electricity meter moves to another account for a morning: a repair issue.
    owner_of = fluvius.owner_of
    other = fluvius.account(OTHER_EMAIL)
    monkeypatch.setattr(fluvius, "owner_of", lambda e: other if e == ELEC_EAN else owner_of(e))
    frozen.move_to(datetime.combine(date(2026, 4, 20), time(6, 30), BRUSSELS))
    await tick(2)
    assert ir.async_get(hass).async_get_issue(DOMAIN, access_issue_id(meters[ELEC_EAN]))
    issues_text = json.dumps([i.to_json() for i in ir.async_get(hass).issues.values()])
    monkeypatch.setattr(fluvius, "owner_of", owner_of)
    await tick(6)

    # The password changes on the portal: reauth, first with a wrong password.
    account = fluvius.account(DEMO_EMAIL)
    assert account is not None
    account.password = NEW_PASSWORD
    fluvius.revoke_tokens(DEMO_EMAIL)
    await tick(26)
    flows = [
        f
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if f["context"]["source"] == config_entries.SOURCE_REAUTH
    ]
    assert [f["context"]["entry_id"] for f in flows] == [entry.entry_id]
    issues_text += json.dumps([i.to_json() for i in ir.async_get(hass).issues.values()])
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {"password": WRONG_PASSWORD})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, {"password": NEW_PASSWORD})
    assert result["reason"] == "reauth_successful"
    await settle(hass, frozen)
    await tick(24)

    # (called directly: the HTTP view's test token expired while the clock moved days on)
    found = await async_get_config_entry_diagnostics(hass, entry)
    assert len(found["meters"]) == 2  # both meters' sections were searched
    assert all(meter["requests"] for meter in found["meters"].values())
    diagnostics = [json.dumps(found, default=str)]
    secrets = secrets_of(fluvius, issued_cookies)
    storage = {key: json.dumps(value, default=str) for key, value in hass_storage.items()}
    await hass.config_entries.async_remove(entry.entry_id)
    await settle(hass, frozen)

    assert len(secrets) > 20  # tokens, codes and cookies were issued
    records = [
        r
        for r in caplog.records
        if not r.name.startswith(FOREIGN_LOGGERS) and r.name != HARNESS_STORAGE_LOGGER
    ]
    assert any(r.name.startswith("custom_components.fluvius") for r in records)
    assert sum(r.levelno == logging.DEBUG for r in records) > 100
    formatter = logging.Formatter()
    for record in records:
        text = formatter.format(record) + repr(getattr(record, "args", ""))
        assert not leaks(text, secrets), (leaks(text, secrets), record.name, text[:300])
    for i, text in enumerate(diagnostics):
        assert not leaks(text, secrets), ("diagnostics", i, leaks(text, secrets))
    assert not leaks(issues_text, secrets), ("issues", leaks(issues_text, secrets))
    # `.storage`: the account's private store holds its tokens (that is what it is for), yet
    # no password and no e-mail address; no other file holds a token, code or cookie; of
    # ours (fluvius.*) there are only the account's and the meters' kept intervals, which
    # hold nothing secret at all.
    store = f"{DOMAIN}.{fingerprint(DEMO_EMAIL)}"
    kept = sorted(key for key in storage if key.endswith(".quarter_hours"))
    assert kept
    assert {key for key in storage if key.startswith(f"{DOMAIN}.")} == {store, *kept}
    for key in kept:
        assert not leaks(storage[key], secrets), (key, leaks(storage[key], secrets))
    in_store = leaks(storage[store], secrets)
    assert any(name.startswith("refresh token") for name in in_store), in_store
    assert not {"password", "new password", "wrong password", "email"} & set(in_store)
    for key, text in storage.items():
        found = [n for n in leaks(text, secrets) if n.startswith(TOKEN_KINDS)]
        assert key == store or not found, (key, found)
    assert len(exceptions) >= 5
    for err in exceptions:
        for text in exception_texts(err):
            assert not leaks(text, secrets), (type(err).__name__, leaks(text, secrets), text)


async def test_client_error_messages_carry_no_secret(
    simulator: FluviusSimulator, issued_cookies: list[str]
) -> None:
    """Every fault kind on every endpoint: the client's exception (and its chain) names no
    secret."""
    fluvius = simulator
    messages: list[tuple[str, str, str]] = []
    for endpoint in ENDPOINTS:
        for kind in ("reset", "rate_limit", "server_error", "invalid_json", "html", "unauthorized"):
            fluvius.options.legacy = endpoint.startswith("legacy")
            client = FluviusClient(
                DEMO_EMAIL,
                DEMO_PASSWORD,
                portal_url=fluvius.portal_url,
                clock=fluvius.clock.now,
                request_timeout=5,
            )
            fluvius.faults.clear()
            fluvius.faults.inject(endpoint, kind, count=2)
            try:
                await client.measurements(
                    ELEC_EAN, ELEC_SERIAL, date(2026, 4, 10), date(2026, 4, 12)
                )
                await client.peaks(ELEC_EAN, ELEC_SERIAL, date(2026, 3, 1), date(2026, 4, 12))
                fluvius.revoke_tokens()
                await client.measurements(
                    ELEC_EAN, ELEC_SERIAL, date(2026, 4, 12), date(2026, 4, 12)
                )
            except FluviusError as err:
                messages.extend((endpoint, kind, text) for text in exception_texts(err))
            finally:
                await client.close()
    assert len(messages) > 40
    secrets = secrets_of(fluvius, issued_cookies)
    for endpoint, kind, text in messages:
        assert not leaks(text, secrets), (endpoint, kind, leaks(text, secrets), text)


# --------------------------------------------------------------------------- typed identifiers

WRONG_SERIAL = "1KFM0020571243"  # the gas meter's serial with two digits swapped


def _spaced(identifier: str) -> str:
    """An identifier as a user may type it: in groups of four."""
    return " ".join(identifier[i : i + 4] for i in range(0, len(identifier), 4))


async def _download(hass_client: ClientSessionGenerator, path: str) -> str:
    """The JSON text of a diagnostics download, as the browser gets it."""
    client = await hass_client()
    response = await client.get(f"/api/diagnostics/config_entry/{path}")
    assert response.status == 200
    return await response.text()


@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_typed_identifiers_in_no_download_and_no_store(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: FluviusSimulator,
    frozen: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    """Add meter with a mistyped serial (refused), then another account's meter (refused),
    then the right meter, its EAN typed with spaces. No identifier typed, wrong or right,
    compact or as typed, is anywhere in the account's or a meter's diagnostics download
    (as key or value), and the account's stored dialects keep nothing of the wrong ones."""
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", simulator.portal_url)
    monkeypatch.setattr("custom_components.fluvius.subentry_flow.DEFAULT_HISTORY_DAYS", 14)
    entry = account_entry([ELEC], 14)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, frozen)
    assert entry.state is config_entries.ConfigEntryState.LOADED

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": config_entries.SOURCE_USER}
    )
    for ean, serial in ((GAS_EAN, WRONG_SERIAL), (OTHER_EAN, OTHER_SERIAL)):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"ean": ean, "meter_serial": serial}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "meter_not_found"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"ean": _spaced(GAS_EAN), "meter_serial": f" {GAS_SERIAL} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass, frozen)
    assert entry.state is config_entries.ConfigEntryState.LOADED
    assert {sub.unique_id for sub in entry.subentries.values()} == {ELEC_EAN, GAS_EAN}

    assert await async_setup_component(hass, "diagnostics", {})
    downloads = {"entry": await _download(hass_client, entry.entry_id)}
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        (ean,) = (identifier for domain, identifier in device.identifiers if domain == DOMAIN)
        downloads[ean] = await _download(hass_client, f"{entry.entry_id}/device/{device.id}")
    assert set(downloads) == {"entry", ELEC_EAN, GAS_EAN}
    # Each download holds its meters' dialects and requests (what was searched is there).
    for name, text in downloads.items():
        data = json.loads(text)["data"]
        assert len(data["meters"]) == (2 if name == "entry" else 1), name
        for meter in data["meters"].values():
            assert meter["requests"], name
            assert next(iter(meter["dialects"]["meters"])).startswith("meter 1 (…"), name

    typed = {
        "wrong serial": WRONG_SERIAL,
        "foreign EAN": OTHER_EAN,
        "foreign serial": OTHER_SERIAL,
        "gas EAN": GAS_EAN,
        "gas serial": GAS_SERIAL,
        "elec EAN": ELEC_EAN,
        "elec serial": ELEC_SERIAL,
    }
    typed |= {f"{name}, spaced": _spaced(value) for name, value in typed.items()}
    for name, text in downloads.items():
        found = [what for what, value in typed.items() if value.lower() in text.lower()]
        assert not found, (name, found)

    # The refused meters left nothing in the account's store (nor in the running client).
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.{fingerprint(DEMO_EMAIL)}"]["data"]["dialects"]["meters"]
    assert set(stored) == {f"{ELEC_EAN}:{ELEC_SERIAL}", f"{GAS_EAN}:{GAS_SERIAL}"}
    text = json.dumps(hass_storage, default=str)
    assert WRONG_SERIAL not in text
    assert OTHER_EAN not in text


# --------------------------------------------------------------------------- plain http


def _serve_msal_authority(sim: FluviusSimulator, authority: str) -> None:
    document = sim.portal.msal_document

    def with_authority() -> dict[str, Any]:
        doc = document()
        doc["authority"] = authority
        return doc

    sim.portal.msal_document = with_authority  # type: ignore[method-assign]


@pytest.mark.parametrize(
    "authority",
    [
        "http://10.11.12.13/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin",
        "http://login.fluvius.be/klanten.onmicrosoft.com/B2C_1A_customer_signup_signin",
    ],
)
async def test_plain_http_authority_refused(
    simulator: FluviusSimulator,
    sent_requests: list[tuple[str, dict[str, Any]]],
    authority: str,
) -> None:
    """The portal's MSAL config names a plain-http authority off loopback: the login stops
    before sending anything there (no credential leaves in the clear)."""
    _serve_msal_authority(simulator, authority)
    client = FluviusClient(DEMO_EMAIL, DEMO_PASSWORD, portal_url=simulator.portal_url)
    try:
        with pytest.raises(FluviusError, match="https"):
            await client.login()
    finally:
        await client.close()
    hosts = {re.sub(r"^https?://([^/:]+).*", r"\1", url) for url, _ in sent_requests}
    assert hosts == {"127.0.0.1"}
    assert simulator.stats.requests["authorize"] == 0


@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_plain_http_portal_refused_by_the_integration(
    hass: HomeAssistant,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
    sent_requests: list[tuple[str, dict[str, Any]]],
) -> None:
    """FLUVIUS_PORTAL_URL set to a plain-http host off loopback: setup fails, nothing sent."""
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", "http://mijn.fluvius.example")
    entry = account_entry([ELEC], 14)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is config_entries.ConfigEntryState.SETUP_ERROR
    assert not sent_requests
    with pytest.raises(FluviusInsecureUrlError):
        FluviusClient(DEMO_EMAIL, DEMO_PASSWORD, portal_url="http://mijn.fluvius.example")


@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_stored_plain_http_authority_ignored(
    hass: HomeAssistant,
    simulator: FluviusSimulator,
    monkeypatch: pytest.MonkeyPatch,
    hass_storage: dict[str, Any],
    sent_requests: list[tuple[str, dict[str, Any]]],
) -> None:
    """Tampered token state in `.storage` that points at a plain-http authority is not used:
    the integration logs in afresh with the portal's own configuration."""
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", simulator.portal_url)
    client = FluviusClient(DEMO_EMAIL, DEMO_PASSWORD, portal_url=simulator.portal_url)
    try:
        await client.login()
        tokens = client.export_tokens()
    finally:
        await client.close()
    assert tokens is not None
    tokens["msal"]["authority"] = "http://10.11.12.13/klanten.onmicrosoft.com/B2C_1A_x"
    tokens["expires_at"] = "2020-01-01T00:00:00+00:00"  # force a renewal
    entry = account_entry([ELEC], 14)
    entry.add_to_hass(hass)
    key = f"{DOMAIN}.{fingerprint(DEMO_EMAIL)}"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"account": fingerprint(DEMO_EMAIL), "tokens": tokens, "dialects": {}},
    }
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is config_entries.ConfigEntryState.LOADED
    assert all("10.11.12.13" not in url for url, _ in sent_requests)
    assert simulator.stats.logins == 2  # the one above, and a fresh one


# --------------------------------------------------------------------------- TLS

TLS_OFF = re.compile(
    r"ssl\s*=\s*False|verify_ssl\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False"
    r"|verify\s*=\s*False|_create_unverified_context|ssl\.SSLContext\(|TCPConnector\("
)


def test_tls_verification_never_switched_off_in_code() -> None:
    """No source line of the integration disables or replaces certificate verification."""
    offenders = [
        f"{path.relative_to(INTEGRATION)}:{number}: {line.strip()}"
        for path in sorted(INTEGRATION.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TLS_OFF.search(line)
    ]
    assert not offenders


@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_tls_verification_on_for_every_session_and_request(
    hass: HomeAssistant,
    simulator: FluviusSimulator,
    monkeypatch: pytest.MonkeyPatch,
    sent_requests: list[tuple[str, dict[str, Any]]],
) -> None:
    """Login, refresh and data requests: every session the client opens verifies
    certificates (aiohttp's default), no request passes ssl=False, and the data requests
    use Home Assistant's shared session with verification on."""
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", simulator.portal_url)
    sessions: list[Any] = []
    original_init = aiohttp.ClientSession.__init__

    def tracking(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        assert self.connector is not None
        sessions.append(self.connector._ssl)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", tracking)
    shared_args: list[dict[str, Any]] = []
    from custom_components.fluvius import account as account_module

    get_session = account_module.async_get_clientsession

    def recording_get_session(hass: HomeAssistant, *args: Any, **kwargs: Any):
        shared_args.append({"args": args, **kwargs})
        return get_session(hass, *args, **kwargs)

    monkeypatch.setattr(account_module, "async_get_clientsession", recording_get_session)
    entry = account_entry([ELEC, GAS], 14)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is config_entries.ConfigEntryState.LOADED
    client = entry.runtime_data.account.client
    await client._tokens.renew_after_rejection(client._tokens._tokens.access_token)  # refresh

    assert simulator.stats.logins == 1
    assert simulator.stats.refreshes == 1
    # One client for the account's two meters; verify_ssl left at its default (True).
    assert shared_args == [{"args": ()}]
    assert len(sessions) >= 2  # the login's and the refresh's own sessions
    for ssl_setting in sessions:  # aiohttp's default: True, or the default verifying context
        if ssl_setting is not True:
            assert isinstance(ssl_setting, ssl.SSLContext), ssl_setting
            assert ssl_setting.verify_mode is ssl.CERT_REQUIRED
            assert ssl_setting.check_hostname
    assert sent_requests
    for url, kwargs in sent_requests:
        assert kwargs.get("ssl", True) is not False, url
        assert kwargs.get("verify_ssl", True) is not False, url


# --------------------------------------------------------------------------- token storage


@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_token_state_only_in_the_account_store_and_removed_with_it(
    hass: HomeAssistant,
    simulator: FluviusSimulator,
    frozen: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    hass_storage: dict[str, Any],
) -> None:
    """Tokens are persisted only in `.storage/fluvius.<account fingerprint>` (a private
    Store, file mode 0600), one for the account's two meters, never in the config entry, its
    meter subentries, entity states or restore state. Removing a meter deletes its statistics
    and its repair issues; the account's store and the other meter's statistics stay.
    Removing the entry deletes the store and the rest."""
    monkeypatch.setenv("FLUVIUS_PORTAL_URL", simulator.portal_url)
    entry = account_entry([ELEC, GAS], 14)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, frozen)
    for _ in range(30):  # a token refresh and a new day
        frozen.tick(timedelta(hours=1))
        async_fire_time_changed(hass)
        await settle(hass, frozen)
    tokens = [*simulator.b2c.tokens.access, *simulator.b2c.tokens.refresh]
    assert simulator.stats.refreshes >= 1
    client_tokens = entry.runtime_data.account.client.export_tokens()
    assert client_tokens is not None
    live = {client_tokens["access_token"], client_tokens["refresh_token"]}

    keys_with_tokens = {
        key
        for key, value in hass_storage.items()
        if any(token in json.dumps(value, default=str) for token in tokens)
    }
    store = f"{DOMAIN}.{fingerprint(DEMO_EMAIL)}"
    assert keys_with_tokens == {store}
    assert live <= set(json.dumps(hass_storage[store]).split('"'))
    assert account_store(hass, DEMO_EMAIL)._private
    assert not any(token in json.dumps(dict(entry.data)) for token in tokens)
    assert not any(token in json.dumps(dict(entry.options)) for token in tokens)
    for subentry in entry.subentries.values():
        assert not any(token in json.dumps(dict(subentry.data)) for token in tokens)
    states = json.dumps([s.as_dict() for s in hass.states.async_all()], default=str)
    assert not any(token in states for token in tokens)

    elec, gas = subentry_id(ELEC_EAN), subentry_id(GAS_EAN)
    for issue_id in (access_issue_id(elec), no_data_issue_id(elec)):
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="meter_not_accessible",
            translation_placeholders={"meter": entry.subentries[elec].title},
        )
    await async_wait_recording_done(hass)
    assert await _statistic_ids(hass, ELEC_EAN)
    assert await _statistic_ids(hass, GAS_EAN)

    # The electricity meter is removed from the account.
    assert hass.config_entries.async_remove_subentry(entry, elec)
    await settle(hass, frozen)
    await async_wait_recording_done(hass)
    assert entry.state is config_entries.ConfigEntryState.LOADED
    assert list(entry.runtime_data.meters) == [gas]
    assert store in hass_storage
    assert not await _statistic_ids(hass, ELEC_EAN)
    assert await _statistic_ids(hass, GAS_EAN)
    assert not ir.async_get(hass).issues

    # Then the account.
    await hass.config_entries.async_remove(entry.entry_id)
    await settle(hass, frozen)
    await async_wait_recording_done(hass)
    assert store not in hass_storage
    assert not [key for key in hass_storage if key.startswith(f"{DOMAIN}.")]
    assert not await _statistic_ids(hass, GAS_EAN)


async def _statistic_ids(hass: HomeAssistant, ean: str) -> list[str]:
    listed = await hass.async_add_executor_job(list_statistic_ids, hass)
    return [item["statistic_id"] for item in listed if ean in item["statistic_id"]]
