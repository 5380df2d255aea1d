"""Token lifecycle on the simulated clock: reuse, refresh, re-login, 401s, persistence."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from custom_components.fluvius.api import FluviusClient, FluviusTokenRejectedError
from tests.simulator import FluviusSimulator, SimClock
from tests.simulator.demo import ELEC_EAN, ELEC_SERIAL, GAS_EAN, GAS_SERIAL, OTHER_EMAIL

from .conftest import ClientFactory

DAY = date(2026, 4, 1)


async def peaks(client: FluviusClient) -> None:
    """A cheap data call (one request)."""
    await client.peaks(ELEC_EAN, ELEC_SERIAL, DAY, DAY)


async def test_token_reused_for_an_hour(
    client: FluviusClient, simulator: FluviusSimulator, sim_clock: SimClock
) -> None:
    for _ in range(50):
        await peaks(client)
        sim_clock.advance(timedelta(seconds=70))  # 50 calls over 58 minutes
    assert simulator.stats.logins == 1
    assert simulator.stats.refreshes == 0
    assert simulator.stats.requests["peaks"] == 50


async def test_refresh_after_access_token_lifetime(
    client: FluviusClient, simulator: FluviusSimulator, sim_clock: SimClock
) -> None:
    await peaks(client)
    sim_clock.advance(timedelta(minutes=59, seconds=30))  # inside the 60 s renewal margin
    await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 1)
    sim_clock.advance(timedelta(hours=2))
    await peaks(client)  # the rotated refresh token works again
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 2)
    assert client.stats.refreshes == 2
    assert simulator.stats.requests["peaks"] == 3


async def test_full_login_after_24_hours(
    client: FluviusClient, simulator: FluviusSimulator, sim_clock: SimClock
) -> None:
    await peaks(client)
    for _ in range(23):
        sim_clock.advance(timedelta(hours=1))
        await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 23)
    sim_clock.advance(timedelta(hours=1))
    await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (2, 23)
    assert simulator.stats.failed_logins == 0


async def test_expired_refresh_token_rejected_by_b2c(
    client: FluviusClient, simulator: FluviusSimulator, sim_clock: SimClock
) -> None:
    await peaks(client)
    simulator.options.refresh_token_lifetime = 1800  # B2C changed its mind after issuing
    sim_clock.advance(timedelta(hours=1))
    await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (2, 0)
    token_answers = [r.status for r in simulator.request_log if r.endpoint == "token"]
    assert token_answers == [200, 400, 200]


async def test_revoked_tokens_lead_to_one_login(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    await peaks(client)
    simulator.revoke_tokens()
    await peaks(client)  # 401 -> refresh refused (revoked) -> full login -> retry
    assert (simulator.stats.logins, simulator.stats.refreshes) == (2, 0)
    assert simulator.stats.requests["peaks"] == 3


@pytest.mark.parametrize("fields", ["all", "expires_in_only", "jwt_only"])
@pytest.mark.parametrize("as_strings", [False, True])
async def test_expiry_fields_and_string_numbers(
    client: FluviusClient,
    simulator: FluviusSimulator,
    sim_clock: SimClock,
    fields: str,
    as_strings: bool,
) -> None:
    simulator.options.token_expiry_fields = fields
    simulator.options.token_numbers_as_strings = as_strings
    await peaks(client)
    sim_clock.advance(timedelta(minutes=58))
    await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 0)
    sim_clock.advance(timedelta(minutes=1, seconds=30))
    await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 1)
    assert all(r.status != 401 for r in simulator.request_log)


async def test_concurrent_cold_calls_share_one_login(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    calls = [peaks(client) for _ in range(8)]
    calls.append(client.measurements(ELEC_EAN, ELEC_SERIAL, DAY, DAY))
    calls.append(client.measurements(GAS_EAN, GAS_SERIAL, DAY, DAY))
    await asyncio.gather(*calls)
    assert simulator.stats.logins == 1
    assert simulator.stats.requests["authorize"] == 1


async def test_concurrent_expiry_shares_one_refresh(
    client: FluviusClient, simulator: FluviusSimulator, sim_clock: SimClock
) -> None:
    await peaks(client)
    sim_clock.advance(timedelta(hours=1))
    await asyncio.gather(*(peaks(client) for _ in range(10)))
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 1)


async def test_one_401_gets_one_refresh(client: FluviusClient, simulator: FluviusSimulator) -> None:
    await peaks(client)
    simulator.faults.inject("peaks", "unauthorized")
    await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 1)
    assert [r.status for r in simulator.request_log if r.endpoint == "peaks"] == [200, 401, 200]


async def test_repeated_401_is_an_auth_error(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    await peaks(client)
    simulator.faults.inject("peaks", "unauthorized", count=None)
    with pytest.raises(FluviusTokenRejectedError):
        await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 1)
    assert simulator.stats.requests["peaks"] == 3


async def test_401_on_cold_client_after_login(
    client: FluviusClient, simulator: FluviusSimulator
) -> None:
    simulator.faults.inject("peaks", "unauthorized")
    await peaks(client)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 1)


async def test_exported_tokens_avoid_a_login(
    make_client: ClientFactory, simulator: FluviusSimulator, sim_clock: SimClock
) -> None:
    first = make_client()
    await peaks(first)
    saved = first.export_tokens()
    assert saved is not None
    await first.close()

    second = make_client()
    second.import_tokens(saved)
    await peaks(second)
    assert simulator.stats.logins == 1
    assert second.stats.logins == 0

    sim_clock.advance(timedelta(hours=2))
    third = make_client()
    third.import_tokens(saved)
    await peaks(third)  # imported tokens expired: refresh, no login (MSAL config persisted)
    assert (simulator.stats.logins, simulator.stats.refreshes) == (1, 1)
    assert simulator.stats.requests["msal_config"] == 1


async def test_imported_tokens_of_another_account_or_garbage_are_ignored(
    make_client: ClientFactory, simulator: FluviusSimulator
) -> None:
    first = make_client()
    await peaks(first)
    saved = first.export_tokens()
    assert saved is not None
    other = make_client(OTHER_EMAIL, "irrelevant")
    other.import_tokens(saved)
    assert other.export_tokens() is None
    broken = make_client()
    broken.import_tokens({"access_token": 5, "account": saved["account"]})
    broken.import_tokens({**saved, "expires_at": "yesterday"})
    assert broken.export_tokens() is None
    await peaks(broken)
    assert simulator.stats.logins == 2
