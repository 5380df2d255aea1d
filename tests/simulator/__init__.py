"""A faithful local stand-in for Mijn Fluvius and its Azure AD B2C sign-in.

Two aiohttp apps on two loopback ports (two origins, like mijn.fluvius.be and
login.fluvius.be), deterministic meter data, ground truth, fault injection and counters.
Everything the portal is known to do (docs: /work/shared/FLUVIUS_API.md) is played, and where
the facts are unsure, each variant can be switched on.

Quick start::

    sim = FluviusSimulator.demo(clock=SimClock(DEMO_NOW))
    await sim.start()            # sim.portal_url, sim.login_url (different ports)
    ...
    await sim.stop()

    python -m tests.simulator --port 8080 [--login-port 8081] [--realtime] [--legacy] ...

Public interface
----------------
- `SimClock(start, *, realtime=False, source=None)`: `.now()` (aware UTC), `.advance(td)`,
  `.set(dt)`. Manual by default; `realtime` runs with the wall clock from `start`; `source`
  delegates to a callable (e.g. `dt_util.utcnow`) plus an offset moved by advance/set.
- `FluviusSimulator(clock, *, seed=1, dialect="live", legacy=False, **options)`;
  `FluviusSimulator.demo(clock=None, **options)` adds the accounts of `demo.py`.
- `sim.add_account(email, password, meters=[SimMeter(...)], kind=...)`, kinds:
  "normal"; "interactive" (confirm answers a new SETTINGS page: MFA); "disabled"
  (AADB2C90111); "confirm_error" (confirm redirects with error=access_denied, AADB2C90091).
- `SimMeter(ean, serial, kind="electricity"|"gas", installed=date, solar_kwp=0.0,
  tariff="dual"|"single", ev=False, base_load_kw=0.18, heating_m3_per_degree_day=0.42,
  access="detailed")`; access (ACCESS_LEVELS) is what the household requested in Mijn
  Fluvius (Verbruik → Aanvragen) before the simulation starts: "none" | "daily" |
  "detailed" (ValueError otherwise). See Data access below.
- Data access, live: `sim.grant_detailed(ean, at=None, since=None)`: from the sim-clock
  instant `at` (aware datetime; None: now) the meter's access is "detailed", its sub-daily
  data served for the days (gas: gas days) from `since` on (a date; "Alle verbruiken vanaf";
  None: since installation). Several grants may be made; at any instant the one with the
  latest `at` not after it is in force (a tie: the one granted last). `sim.access_of(ean,
  at=None) -> (level, since)`: the level in force at `at` (default now) and the detailed
  history start (None: since installation, or not detailed); before any grant it is
  (meter.access, None). Both: KeyError for an unknown EAN, ValueError for a naive `at` (or a
  `since` that is not a date). The state lives in the simulator (SimMeter is frozen).
- `await sim.start(host="127.0.0.1", port=0, login_port=0)`, `await sim.stop()` (also an
  async context manager). `sim.portal_url`, `sim.login_url`, `sim.authority`,
  `sim.redirect_uri`.
- Faults: `sim.faults.inject(endpoint, kind, count=1, **params)` (count=None: until
  cleared), `sim.faults.clear()`, `sim.faults.random(seed, rate, kinds=..., endpoints=...)`,
  `sim.faults.pending()`, `sim.faults.fired` [(endpoint, kind), ...].
  Endpoints: msal_config, authorize, self_asserted, confirmed, token, measurements, peaks,
  legacy_measurements, legacy_peaks. Kinds and params:
  latency(seconds=0.5) then a normal answer; timeout(seconds=3600) hangs, then drops the
  connection (released at once by stop()); reset (TCP RST, no answer); rate_limit(seconds=30)
  429 + Retry-After; server_error(status=500); invalid_json (200, truncated JSON); empty (200 `[]`);
  html(status=503) maintenance page; unauthorized (401); b2c_error(code="AADB2C90244") for
  self_asserted (200 JSON rejection), confirmed (error redirect) and token (400 invalid_grant).
  Faults answer HTML on B2C endpoints and JSON on portal endpoints. random() never picks
  `timeout` unless listed, and uses 0.05 s latency. Note: aiohttp silently retries an
  idempotent request (GET) once when the connection drops, so a GET only fails after two
  consecutive `reset`s (inject count=2).
- Counters: `sim.stats.requests[endpoint]` (Counter, every request incl. faults; also
  "openid_config", "portal_index", "unknown"), `.logins` (authorization_code grants that
  issued tokens), `.refreshes` (refresh grants that issued tokens), `.failed_logins`
  (SelfAsserted rejections, confirm error redirects, failed code grants);
  `sim.request_log` [RequestRecord(time, endpoint, method, path, status, query, fault,
  refused, withheld)], status 0 = connection dropped, `refused` = why a data request was not
  served (answered `200 []` or 400, see refusals), else None; `withheld` = why a served
  answer left out data because of the meter's access level ("no access", "daily access
  only", "before the detailed history start"; see Data access), else None;
  `sim.reset_stats()`;
  `sim.revoke_tokens(email=None)`.
- Ground truth: `sim.truth(ean)` -> MeterTruth: `.intervals(start, end, as_of=None)`,
  `.hourly(...)`, `.periods(start, end, resolution, as_of=None)` (with status and gas factor),
  `.daily(local_date, as_of=None)`, `.status(start, as_of=None)`,
  `.monthly_peak(year, month, as_of=None)` -> (kW, start, end) | None,
  `.published_until(as_of=None)` (default: the sim clock), `.last_published_day(as_of)`,
  `.publish_time(day)`, `.final_time(day)`, `.day_bounds(day)`. Intervals are keyed by
  aware-UTC start and selected by start in [start, end). `as_of=None`: final values of
  every interval since installation (published or not); `as_of=t`: exactly what the
  portal publishes at t. The truth is what the meter measured: the meter's data access and
  the daily gas window reading do not change it.

- Introspection (other suites rely on these names): `sim.account(email)` (Account with
  password, kind, failures, lockouts, locked_until), `sim.owner_of(ean)`, `sim.series(ean)`,
  `sim.b2c.transactions` {transId: Transaction(csrf, cookies, account, ...)},
  `sim.b2c.tokens.codes` / `.refresh` / `.access` {token: grant}, `sim.options`.
- Dialects (`dialects.py`): `DIALECTS` {name: {code: (resolution, max_days)}},
  `DIALECT_REFUSALS` {name: "empty" | "400"}, `REFUSALS` ("empty", "400"),
  `resolve_dialect(name_or_mapping) -> mapping` (also "random:<seed>"),
  `refusal_of(dialect) -> "empty" | "400"`, `random_dialect(seed) -> dict`,
  `random_peaks_max_days(seed) -> int`, `peaks_max_days_of(dialect) -> int`,
  `GAS_DAILY_WINDOWS` ("start", "inside"), `random_gas_daily_window(seed) -> str`,
  `gas_daily_window_of(dialect) -> str`; `sim.options.refusal_style()`,
  `sim.options.peaks_limit()` and `sim.options.gas_daily_window_style()` give what is in
  force.
- Demo identities: `tests.simulator.demo` (DEMO_NOW = 2026-04-15 10:00 UTC, accounts,
  EANs, serials, passwords; `make_ean`, `ean_check_digit`).
- Modules: clock, data (generation + truth), dialects, b2c (login), portal (data), faults,
  state (options, accounts, stats), server (FluviusSimulator), demo, __main__ (CLI).

Options (keyword arguments; most may also be changed live via `sim.options.<name>`)
-------------------------------------------------------------------------------------
- seed (1): data and token randomness. Read at creation.
- dialect ("live"): a name in DIALECTS, "random:<seed>", or a custom {code: (resolution,
  max_days)}. Silent dialects (refuse with `200 []`, as the live portal does):
  live {1: qh/1, 2: hour/1, 3: day/366, 4: day/366}; live_3qh {1: qh/1, 2: hour/1,
  3: qh/7, 4: day/366}; "random:<seed>" = random_dialect(seed): codes 1-4, each
  qh/hour/day with 1..31 days, at least one sub-daily and one daily code, spikes limit
  drawn from (31, 62, 92, 184, 366); custom mappings. 400 dialects (the earlier reports):
  dialect_a {1: qh/1, 2: hour/31, 3: qh/7, 4: day/366}; dialect_b {1: qh/1, 2: hour/7,
  3: day/366, 4: day/366}; dialect_c {1: qh/1, 3: day/92, 4: day/366}; daily_only
  {3: day/366, 4: day/366}. The range length is Brussels wall-clock time from historyFrom
  to historyUntil in days, rounded up (00:00 to 23:59:59.999 is one day, also on DST days;
  so is a gas day 06:00 to 05:59:59.999; a window may start at any hour). Gas meters
  answer hourly periods to a quarter-hour code.
- refusal (None): "empty" (HTTP 200, `[]`) or "400" (JSON problem) for every request the
  portal will not serve: unknown or missing granularity code, range longer than max_days,
  a sub-daily code under gas_daily_only, a misaligned gas window (gas_day_windows), a
  spikes range longer than the spikes limit. None: the dialect's own style (named:
  DIALECT_REFUSALS; random and custom: "empty"). Malformed parameters (not a local time
  with milliseconds and offset, a wrong Brussels offset, historyUntil <= historyFrom, not a
  UTC time on the legacy endpoints) are HTTP 400 in every style.
- gas_day_windows (True): a gas request with a sub-daily code must cover whole gas days:
  historyFrom 06:00:00.000 local, historyUntil 05:59:59.999 or 06:00:00.000 local on a
  later date; else refused. Daily codes take any window (periods whose 06:00 start lies
  inside, or wholly inside: gas_daily_window). Legacy endpoints: the same rule on their UTC
  instants, in Brussels time.
- gas_daily_window (None): how the daily codes read a window on a gas meter (unknown on
  the real portal), on the current and legacy endpoints; sub-daily gas codes keep the
  gas_day_windows rule. "start": the gas days (06:00 to 06:00 Brussels) whose start lies in
  [historyFrom, historyUntil). "inside": only the gas days wholly inside (start >=
  historyFrom, end <= historyUntil, where an historyUntil of xx:59:59.999 counts as the
  following instant): a calendar day 00:00 to 23:59:59.999 holds no gas day, calendar days
  D..D+k hold gas days D..D+k-1, gas-day windows (06:00 to 05:59:59.999 or 06:00) hold all
  their gas days. The other gas days are simply absent (no refusal). None: the dialect's
  own (gas_daily_window_of): "start" for named dialects and custom mappings; "random:<seed>"
  a seeded choice (random_gas_daily_window; seeds 1..50: "inside" for 1, 3, 4, 7, 8, 12, 15,
  21, 22, 23, 27, 29, 30, 37, 38, 39, 41, 42, 44, 45, 46, 50; "start" for the others).
  `sim.options.gas_daily_window_style()` gives the reading in force.
- gas_daily_only (False): gas meters refuse every code that is not daily.
- legacy (False): the current endpoints answer `legacy_status` (404 or 410, default 404)
  for every EAN (after the token check). The legacy endpoints answer in both modes.
- legacy_decoy (False): the legacy endpoints also list a replaced meter, first, with
  other values (default: only the real meter, as in the real 2024 sample).
- msal_variant ("flat"): flat (top level, "scopes"), nested (all under "auth", incl.
  scopes), scopes ("auth" block + top-level "scopes"), default_scopes ("defaultScopes"),
  api_scopes ("apiScopes"), auth_request ("authRequest.scopes"), protected_resource_map
  ({url: [scope]}), no_scopes (none: use the default scope), no_client_id (client error).
- settings_variant ("compact"): compact (one line each), pretty (indented JSON), escaped
  (`\\/`, `\\u0026`, `\\u003c`/`\\u003e` escapes), tricky (a `var CONTENT = {...};` with
  "};" and braces in strings before SETTINGS, and such strings inside SETTINGS).
- field_ids (("signInName", "password")): IDs of the login and password fields.
- response_in_fragment (False): code/state (or error) after "#" instead of "?"; the
  client's response_mode=fragment does the same.
- require_origin (False): the token endpoint wants an Origin header, else 400
  invalid_request AADB2C99067 (public clients that work live send none).
- self_asserted_content_type ("application/json"): e.g. "text/json" or "text/html", to
  check that a client reads SelfAsserted's JSON body whatever the Content-Type says.
- token_numbers_as_strings (False): numeric token fields as strings.
- token_expiry_fields ("all"): all (expires_in, expires_on, not_before), expires_in_only,
  jwt_only (only the JWT `exp`).
- access_token_lifetime (3600 s), refresh_token_lifetime (86400 s from the chain's first
  login), code_lifetime (600 s), transaction_lifetime (3600 s): all on the sim clock.
- lockout_threshold (10) consecutive wrong passwords lock the account for lockout_seconds
  (60), doubling per further lockout up to lockout_max_seconds (14400); a success resets.
- throttle_limit (None): more than N SelfAsserted posts in one sim-clock minute ->
  AADB2C90244 (also: faults.inject("self_asserted", "b2c_error", code=...)).
- shuffle_periods (False): periods (and peak months) come unsorted with one duplicate.
- zero_registers ("send"): how the current measurement endpoint lists a register without
  energy in a period (unknown on the real portal, docs/PORTAL.md). "send": every register
  of the meter in every period, `v: 0` where it has none (the old format's habit). "omit":
  a register whose value is 0 in a served period is left out of that period's `v`, at every
  resolution (per quarter-hour, hour and day): a weekend day's daily period has no
  consumption_high (weekends are night tariff all day), a night's quarter-hours no
  injection, a gas hour without use an empty `v`. The ground truth is unchanged (it keeps
  the zeros). The legacy endpoints keep their fixed fields (zeros sent) in both.
- peaks_max_days (None): longest range (Brussels days) the spikes endpoints accept; None:
  the dialect's own (731, random dialects: seeded, at least 31 so any one month fits).
- client_id, api_scope: what the MSAL config announces and B2C demands. No access token
  is issued unless api_scope was requested (like B2C).
- elec_delay_days (1), gas_delay_days (3), publish_hour (7): day D is published at
  D+delay, publish_hour Brussels time. revision_days (2): provisional that long, then final.
  provisional_share (0.1), provisional_error (0.3): share of intervals off while provisional,
  and by how much. Provisional intervals have vs=1 (changed) or vs=3 (unchanged). Read at
  creation.

Data model
----------
- Electricity per quarter-hour (kWh, 3 decimals): base load, weekday/weekend morning and
  evening activity, random appliances, EV sessions (3.7/7.4/11 kW, evenings on weekdays,
  around noon at weekends) that make the monthly peaks, ~35° south solar with a seasonal
  sun path and sunny/partly/overcast days. Offtake = max(0, use - solar), injection =
  max(0, solar - use), per quarter-hour. Tariff: high Mon-Fri 07:00-22:00 Brussels, low
  otherwise; the inactive register of each direction is 0.0. No public holidays.
- Gas per hour (m³, kWh = round(m³ x factor, 3)), per gas day: heating from a seasonal
  outdoor temperature (degree days) plus hot water; conversion factor 10.8-11.4 per gas day
  (served as gcuv on both gas entries).
- Aggregates (hour, day) are round(sum, 3) of the native values; status of an aggregate is
  2 only if every part is final. Nothing exists before `installed`.

Behaviour notes
---------------
- Check order on data endpoints: token (401) -> legacy mode (404/410) -> EAN unknown (404) /
  other account (403) / wrong meterSerialNumber (404; empty or absent is accepted) /
  asServiceProvider=true (403 on the current endpoints; the legacy ones answer as if it
  were false) -> malformed times (400) -> unserved requests (refusal style). Errors are
  JSON {"title","status","detail"}. Unknown query parameters (e.g. the portal's
  `mandateDisplayMode=1`) are ignored.
- Data access (after every check above, refusals included: a request the dialect refuses is
  refused in its style; access only removes data from answers the portal would serve; the
  request log's `withheld` says why). Households must request their data once in Mijn
  Fluvius (Verbruik → Aanvragen); what the real API answers before that is undocumented, so
  this is the simulator's play:
  "none": every answer of the measurement and spikes endpoints (current and legacy) is
  HTTP 200 `[]` (withheld "no access").
  "daily": daily codes as usual; sub-daily codes HTTP 200 `[]` on every dialect (absence
  of data, not a refusal; withheld "daily access only"); spikes as usual (an assumption:
  the capacity peak is on the bill regardless).
  "detailed": sub-daily codes serve only the days (gas: gas days) from the grant's `since`
  on; older days are absent, as if unpublished (withheld "before the detailed history
  start" when that left out a period that would otherwise be served); daily codes and
  spikes as usual. Legacy endpoints: `[]` for a whole withheld answer; rows of days before
  `since` are left out of `val`.
- Gas meters: the spikes endpoints answer [] (200).
- Peaks: one entry per Brussels month overlapping the range that has published data; the
  peak is over the whole month's published quarter-hours (not cut to the range).
- Legacy measurements: [{sn, mdf, mdu, val}]: the real meter, `mdu`
  "9999-12-30T23:00:00Z" (with legacy_decoy, the replaced meter FIRST, mdu = the real one's
  mdf, different values). Rows: d, de, dt (false), oh, ol, ih, il, ok, om and their *vs,
  okgcf. Electricity: ok/om/okvs/omvs are 0, okgcf null; single-tariff meters report under
  oh/ih (ol/il null). Gas: ok (kWh) / om (m³), okgcf = the conversion factor, oh..il null.
- B2C 400 pages carry the reason in an `X-Sim-Reason` header.
- B2C cookies (set at authorize; x-ms-cpim-ctx added by a successful SelfAsserted): names
  with ':', '|' and '/', values with '+', '/', '='; no Secure flag (plain HTTP). They must
  come back unquoted and unchanged; any quoted x-ms-cpim-* cookie -> 400 on every B2C step.
  A new authorize replaces them and expires (Max-Age=0) the x-ms-cpim-cache|<id>_0 cookies
  of earlier transactions the browser presents, so a reused jar stays at 7 cookies (and an
  earlier, unfinished transaction in that jar no longer works).
  The CSRF token (also a cookie) contains '+', '/', '=': it must be URL-encoded in the
  confirm query; a raw '+' arrives as a space and fails.
- Token endpoint: authorization_code (client_id, redirect_uri, PKCE S256, single-use code:
  reuse AADB2C90129, unknown AADB2C90088, expired AADB2C90080, PKCE AADB2C90183, redirect
  AADB2C90006) and refresh_token (rotates: old one AADB2C90129; garbage AADB2C90090; chain
  older than refresh_token_lifetime AADB2C90080). Errors are 400 JSON {error,
  error_description "AADB2Cnnnnn: ..."}; CORS header echoes Origin.
- Time parameters: current API `YYYY-MM-DDTHH:MM:SS.fff+HH:MM` with the Brussels offset of
  that instant (both offsets are valid in the repeated autumn hour); legacy API UTC `...Z`
  (milliseconds optional). Periods returned are those whose start lies in [from, until)
  (daily gas codes under the "inside" reading: only gas days wholly inside).
"""

from __future__ import annotations

from .clock import SimClock
from .data import (
    ACCESS_LEVELS,
    BRUSSELS,
    DAILY,
    HOURLY,
    QUARTER_HOUR,
    MeterTruth,
    Period,
    SimMeter,
    ean_check_digit,
    is_valid_ean,
    make_ean,
)
from .dialects import (
    DIALECT_REFUSALS,
    DIALECTS,
    GAS_DAILY_WINDOWS,
    REFUSALS,
    gas_daily_window_of,
    peaks_max_days_of,
    random_dialect,
    random_gas_daily_window,
    random_peaks_max_days,
    refusal_of,
    resolve_dialect,
)
from .faults import ENDPOINTS, KINDS, FaultInjector
from .portal import REGISTER_CODES
from .server import FluviusSimulator
from .state import (
    ACCOUNT_KINDS,
    MSAL_VARIANTS,
    SETTINGS_VARIANTS,
    TOKEN_EXPIRY_FIELDS,
    ZERO_REGISTERS,
    RequestRecord,
    SimOptions,
    SimStats,
)

__all__ = [
    "ACCESS_LEVELS",
    "ACCOUNT_KINDS",
    "BRUSSELS",
    "DAILY",
    "DIALECTS",
    "DIALECT_REFUSALS",
    "ENDPOINTS",
    "GAS_DAILY_WINDOWS",
    "HOURLY",
    "KINDS",
    "MSAL_VARIANTS",
    "QUARTER_HOUR",
    "REFUSALS",
    "REGISTER_CODES",
    "SETTINGS_VARIANTS",
    "TOKEN_EXPIRY_FIELDS",
    "ZERO_REGISTERS",
    "FaultInjector",
    "FluviusSimulator",
    "MeterTruth",
    "Period",
    "RequestRecord",
    "SimClock",
    "SimMeter",
    "SimOptions",
    "SimStats",
    "ean_check_digit",
    "gas_daily_window_of",
    "is_valid_ean",
    "make_ean",
    "peaks_max_days_of",
    "random_dialect",
    "random_gas_daily_window",
    "random_peaks_max_days",
    "refusal_of",
    "resolve_dialect",
]
