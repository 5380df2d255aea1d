"""The repair issues of a meter: no access to it, due data that stays away, daily values
only (its quarter-hours were never requested in Mijn Fluvius), and hours without a cost."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import DOMAIN

# How long due data may stay away, while the portal answers, before an issue says so.
NO_DATA_AFTER = timedelta(hours=24)


def access_issue_id(subentry_id: str) -> str:
    """Raised while the account has no access to the meter."""
    return f"meter_not_accessible_{subentry_id}"


def no_data_issue_id(subentry_id: str) -> str:
    """Raised while due days stay away although the portal answers."""
    return f"no_data_{subentry_id}"


def no_cost_issue_id(subentry_id: str) -> str:
    """Raised while imported quarter-hours have no price, so no cost."""
    return f"no_cost_{subentry_id}"


def daily_only_issue_id(subentry_id: str) -> str:
    """Raised while Fluvius serves the meter's daily values only."""
    return f"daily_only_{subentry_id}"


# Where a household requests its consumption data (Verbruik → Aanvragen).
REQUEST_URL = "https://mijn.fluvius.be/verbruik/aanvragen"


@callback
def async_no_access(hass: HomeAssistant, subentry_id: str, meter: str) -> None:
    """Only the user can fix this (the meter moved to another account): say so."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        access_issue_id(subentry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="meter_not_accessible",
        translation_placeholders={"meter": meter},
    )


@callback
def async_access_back(hass: HomeAssistant, subentry_id: str) -> None:
    """The portal answered for the meter: access is back."""
    ir.async_delete_issue(hass, DOMAIN, access_issue_id(subentry_id))


@callback
def _async_warn(
    hass: HomeAssistant,
    issue_id: str,
    translation_key: str,
    placeholders: dict[str, str] | None,
    learn_more_url: str | None = None,
) -> None:
    """Raise a warning issue with these placeholders, or clear it (None: all is well)."""
    if placeholders is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        learn_more_url=learn_more_url,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )


@callback
def async_update_no_data(
    hass: HomeAssistant, subentry_id: str, meter: str, since: datetime | None, now: datetime
) -> None:
    """Say so when due days stay away for long while the portal answers; clear it once
    they arrive (the gap is then imported like any late data)."""
    overdue = since is not None and now - since > NO_DATA_AFTER
    _async_warn(
        hass,
        no_data_issue_id(subentry_id),
        "no_data",
        {"meter": meter, "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M")}
        if overdue and since is not None
        else None,
    )


@callback
def async_update_daily_only(
    hass: HomeAssistant, subentry_id: str, meter: str, *, daily_only: bool
) -> None:
    """Say how to get quarter-hours while Fluvius gives daily values only; clear it once
    finer data is served (the history is then re-imported by itself)."""
    _async_warn(
        hass,
        daily_only_issue_id(subentry_id),
        "daily_only",
        {"meter": meter, "url": REQUEST_URL} if daily_only else None,
        learn_more_url=REQUEST_URL,
    )


@callback
def async_update_no_cost(
    hass: HomeAssistant, subentry_id: str, meter: str, unpriced: list[datetime]
) -> None:
    """Name the days whose quarter-hours have no price (so no cost on the Energy
    dashboard) while there are any; clear it once every one is priced."""
    days = sorted({dt_util.as_local(start).date() for start in unpriced})
    _async_warn(
        hass,
        no_cost_issue_id(subentry_id),
        "no_cost",
        {
            "meter": meter,
            "quarter_hours": str(len(unpriced)),
            "days": str(len(days)),
            "first": days[0].isoformat(),
            "last": days[-1].isoformat(),
        }
        if days
        else None,
    )


@callback
def async_delete_meter_issues(hass: HomeAssistant, subentry_id: str) -> None:
    """The meter was removed: so are its issues."""
    ir.async_delete_issue(hass, DOMAIN, access_issue_id(subentry_id))
    ir.async_delete_issue(hass, DOMAIN, no_data_issue_id(subentry_id))
    ir.async_delete_issue(hass, DOMAIN, daily_only_issue_id(subentry_id))
    ir.async_delete_issue(hass, DOMAIN, no_cost_issue_id(subentry_id))
