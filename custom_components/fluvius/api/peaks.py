"""Monthly offtake peaks (capacity tariff): months walked in batches as long as the portal
accepts, an empty answer told apart from a refused range."""

from __future__ import annotations

from datetime import date, timedelta

from .brussels import month_end
from .endpoints import Endpoints, RangeRejected
from .errors import FluviusPayloadError
from .granularity import step
from .meter import Meter
from .models import MonthlyPeak
from .parsing import merge_peaks


async def fetch_peaks(
    endpoints: Endpoints, meter: Meter, start: date, end: date, today: date
) -> list[MonthlyPeak]:
    """The peaks of the months touching start..end (not after today)."""
    months = _months(start, min(end, today))
    limit = meter.dialect.peak_months
    batches: list[list[MonthlyPeak]] = []
    index = steps = 0
    while index < len(months):
        steps = step(steps)
        count = limit.next_length(len(months) - index)
        first, last = months[index], min(month_end(months[index + count - 1]), today)
        record = endpoints.record(meter, "meter-measurement-spikes", None, count, "month")
        try:
            batch = await endpoints.peaks_request(meter, first, last, record)
        except RangeRejected:
            if count <= 1:
                raise FluviusPayloadError("peaks: the portal refuses even one month") from None
            limit.record_fail(count)
            continue
        window = months[index : index + count]
        if not batch and count > 1 and not limit.trusts(count):
            # An empty answer over months with published measurements, or over months
            # one of which has a peak on its own, is the portal refusing the range.
            seen = any(meter.dialect.seen_between(m, month_end(m)) for m in window)
            if seen or await _month_has_peak(endpoints, meter, window[-1], today):
                record.conclusion = "refused: empty, yet a month of it has a peak"
                limit.record_fail(count)
                continue
        if batch:
            limit.record_ok(count)
        lacking = [
            month
            for month in window
            if meter.dialect.seen_between(month, month_end(month))
            and month not in {peak.month for peak in batch}
        ]
        record.conclusion = (
            f"accepted; no peak for {len(lacking)} month(s) with data"
            if lacking
            else "accepted"
            if batch
            else "accepted: no peaks"
        )
        batches.append(batch)
        index += count
    wanted = set(months)
    return [peak for peak in merge_peaks(batches) if peak.month in wanted]


async def _month_has_peak(endpoints: Endpoints, meter: Meter, month: date, today: date) -> bool:
    """One month alone: whether the portal has a peak for it."""
    record = endpoints.record(meter, "meter-measurement-spikes", None, 1, "month")
    try:
        batch = await endpoints.peaks_request(meter, month, min(month_end(month), today), record)
    except RangeRejected:
        return False
    record.conclusion = "has a peak" if batch else "confirms: no peak"
    if batch:
        meter.dialect.peak_months.record_ok(1)
    return bool(batch)


def _months(first: date, last: date) -> list[date]:
    """First days of the months from `first`'s month to `last`'s month."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = month_end(month) + timedelta(days=1)
    return months
