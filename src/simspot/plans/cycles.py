"""Billing-cycle arithmetic (pure): which cycle, and which local day, an instant falls in.

Cycles start at local midnight in the plan's IANA time zone. Monthly cycles on day 29-31 start on
the month's last day in shorter months (day 31 -> 30 April, 28/29 February). A local midnight that
a DST change skips starts the cycle at the first instant of that day; an ambiguous one at its first
occurrence. Periods are half-open ``[start, end)`` in UTC and tile time without gaps or overlaps:
each cycle is numbered (``index``) and cycle ``k`` ends exactly where cycle ``k + 1`` starts.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from simspot.plans.model import BillingCycle, EveryCycle, MonthlyCycle, PrepaidCycle


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    index: int = 0

    def contains(self, t: dt.datetime) -> bool:
        return self.start <= t < self.end

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first instant of ``day`` in ``tz``, as UTC.

    zoneinfo reads a skipped wall time with the offset before the change (fold=0), which lands on
    the first instant that exists after the gap; an ambiguous time with fold=0 is its first
    occurrence. Both are what "the day starts" means. A day that a zone skipped entirely
    (Pacific/Apia, 30 December 2011) starts where the next one does and so has no length.
    """
    naive = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    return naive.astimezone(dt.UTC)


def _month_anchor(k: int, day: int, tz: ZoneInfo) -> dt.datetime:
    year, month0 = divmod(k, 12)
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    return local_midnight(dt.date(year, month, min(day, last)), tz)


def _search(t: dt.datetime, guess: int, start_of: Callable[[int], dt.datetime]) -> Period:
    """The k with start_of(k) <= t < start_of(k + 1), from a guess that is off by at most a few."""
    k = guess
    while start_of(k) > t:
        k -= 1
    while start_of(k + 1) <= t:
        k += 1
    return Period(start_of(k), start_of(k + 1), k)


def _utc(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return t.astimezone(dt.UTC)


def monthly_period(cycle: MonthlyCycle, tz: ZoneInfo, t: dt.datetime) -> Period:
    t = _utc(t)
    local = t.astimezone(tz)
    return _search(t, local.year * 12 + local.month - 1, lambda k: _month_anchor(k, cycle.day, tz))


def every_period(cycle: EveryCycle, tz: ZoneInfo, t: dt.datetime) -> Period:
    t = _utc(t)
    days = (t.astimezone(tz).date() - cycle.start).days
    return _search(
        t,
        days // cycle.days,
        lambda k: local_midnight(cycle.start + dt.timedelta(days=k * cycle.days), tz),
    )


def cycle_at(cycle: BillingCycle, tz: ZoneInfo, t: dt.datetime) -> Period | None:
    """The billing period containing ``t``; None for a prepaid plan outside its validity."""
    if isinstance(cycle, MonthlyCycle):
        return monthly_period(cycle, tz, t)
    if isinstance(cycle, EveryCycle):
        return every_period(cycle, tz, t)
    if isinstance(cycle, PrepaidCycle):
        t = _utc(t)
        if cycle.start <= t < cycle.expires:
            return Period(cycle.start, cycle.expires, 0)
        return None
    raise TypeError(f"not a billing cycle: {cycle!r}")


def day_at(tz: ZoneInfo, t: dt.datetime) -> Period:
    """The local calendar day containing ``t`` (23, 24 or 25 hours long around DST changes)."""
    t = _utc(t)
    ordinal = t.astimezone(tz).date().toordinal()
    return _search(t, ordinal, lambda k: local_midnight(dt.date.fromordinal(k), tz))
