"""Billing-cycle arithmetic: tables of known answers and properties over any zone and instant."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.plans.cycles import Period, cycle_at, day_at, local_midnight
from simspot.plans.model import EveryCycle, MonthlyCycle, PrepaidCycle

UTC = dt.UTC


def at(s: str, tz: str = "UTC") -> dt.datetime:
    """Local wall time in ``tz`` as an aware datetime (fold 0)."""
    return dt.datetime.fromisoformat(s).replace(tzinfo=ZoneInfo(tz))


def local(p: Period, tz: str) -> tuple[str, str]:
    z = ZoneInfo(tz)
    return (p.start.astimezone(z).isoformat(), p.end.astimezone(z).isoformat())


@pytest.mark.parametrize(
    ("day", "tz", "instant", "start", "end"),
    [
        # Plain month, UTC.
        (1, "UTC", "2026-03-15 12:00", "2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00"),
        # The boundary instant belongs to the new cycle; one microsecond before to the old one.
        (15, "UTC", "2026-03-15 00:00", "2026-03-15T00:00:00+00:00", "2026-04-15T00:00:00+00:00"),
        (
            15, "UTC", "2026-03-14 23:59:59.999999",
            "2026-02-15T00:00:00+00:00", "2026-03-15T00:00:00+00:00",
        ),
        # Day 31 clamps to 30 April, 28 February (2026) and 29 February (2028, leap year).
        (31, "UTC", "2026-04-30 08:00", "2026-04-30T00:00:00+00:00", "2026-05-31T00:00:00+00:00"),
        (31, "UTC", "2026-04-29 08:00", "2026-03-31T00:00:00+00:00", "2026-04-30T00:00:00+00:00"),
        (31, "UTC", "2026-03-01 08:00", "2026-02-28T00:00:00+00:00", "2026-03-31T00:00:00+00:00"),
        (30, "UTC", "2028-02-29 01:00", "2028-02-29T00:00:00+00:00", "2028-03-30T00:00:00+00:00"),
        (29, "UTC", "2027-02-28 01:00", "2027-02-28T00:00:00+00:00", "2027-03-29T00:00:00+00:00"),
        (29, "UTC", "2028-02-28 23:00", "2028-01-29T00:00:00+00:00", "2028-02-29T00:00:00+00:00"),
        # Year boundary.
        (5, "UTC", "2027-01-02 00:00", "2026-12-05T00:00:00+00:00", "2027-01-05T00:00:00+00:00"),
        # Time zones: a cycle starts at local midnight, not UTC midnight.
        (
            1, "Asia/Kolkata", "2026-05-31 23:00",
            "2026-05-01T00:00:00+05:30", "2026-06-01T00:00:00+05:30",
        ),
        (
            1, "America/New_York", "2026-07-01 00:30",
            "2026-07-01T00:00:00-04:00", "2026-08-01T00:00:00-04:00",
        ),
        # A cycle across the spring DST change is an hour shorter and keeps local midnight.
        (
            15, "Europe/Berlin", "2026-03-29 12:00",
            "2026-03-15T00:00:00+01:00", "2026-04-15T00:00:00+02:00",
        ),
        # ... and across the autumn change an hour longer.
        (
            15, "Europe/Berlin", "2026-10-30 12:00",
            "2026-10-15T00:00:00+02:00", "2026-11-15T00:00:00+01:00",
        ),
        # Santiago skips local midnight at the September change: the cycle starts at 01:00.
        (
            7, "America/Santiago", "2025-09-07 12:00",
            "2025-09-07T01:00:00-03:00", "2025-10-07T00:00:00-03:00",
        ),
        # Chatham (+12:45/+13:45) and Kathmandu (+05:45).
        (
            1, "Pacific/Chatham", "2026-01-01 00:00",
            "2026-01-01T00:00:00+13:45", "2026-02-01T00:00:00+13:45",
        ),
        (
            10, "Asia/Kathmandu", "2026-06-09 23:59",
            "2026-05-10T00:00:00+05:45", "2026-06-10T00:00:00+05:45",
        ),
    ],
)  # fmt: skip
def test_monthly_table(day: int, tz: str, instant: str, start: str, end: str) -> None:
    p = cycle_at(MonthlyCycle(day=day), ZoneInfo(tz), at(instant, tz))
    assert p is not None
    assert local(p, tz) == (start, end)


def test_cycle_lengths_across_dst_in_hours() -> None:
    z = ZoneInfo("Europe/Berlin")
    p = cycle_at(
        EveryCycle(days=1, start=dt.date(2026, 1, 1)), z, at("2026-03-29 12:00", "Europe/Berlin")
    )
    assert p is not None and p.seconds == 23 * 3600
    p = cycle_at(
        EveryCycle(days=1, start=dt.date(2026, 1, 1)), z, at("2026-10-25 12:00", "Europe/Berlin")
    )
    assert p is not None and p.seconds == 25 * 3600


@pytest.mark.parametrize(
    ("days", "start", "tz", "instant", "expected"),
    [
        (30, "2026-01-01", "UTC", "2026-01-31 00:00", ("2026-01-31T00:00:00+00:00", "2026-03-02T00:00:00+00:00")),
        (30, "2026-01-01", "UTC", "2026-01-30 23:59", ("2026-01-01T00:00:00+00:00", "2026-01-31T00:00:00+00:00")),
        # Before the start date the cycles continue backwards.
        (7, "2026-01-08", "UTC", "2026-01-07 12:00", ("2026-01-01T00:00:00+00:00", "2026-01-08T00:00:00+00:00")),
        # Leap day counts as a day.
        (28, "2028-02-01", "UTC", "2028-02-29 00:00", ("2028-02-29T00:00:00+00:00", "2028-03-28T00:00:00+00:00")),
        (28, "2027-02-01", "UTC", "2027-02-28 23:00", ("2027-02-01T00:00:00+00:00", "2027-03-01T00:00:00+00:00")),
        # A 7-day cycle across a DST change stays on local midnight.
        (7, "2026-03-26", "Europe/London", "2026-03-30 09:00", ("2026-03-26T00:00:00+00:00", "2026-04-02T00:00:00+01:00")),
    ],
)  # fmt: skip
def test_every_n_days_table(
    days: int, start: str, tz: str, instant: str, expected: tuple[str, str]
) -> None:
    cyc = EveryCycle(days=days, start=dt.date.fromisoformat(start))
    p = cycle_at(cyc, ZoneInfo(tz), at(instant, tz))
    assert p is not None
    assert local(p, tz) == expected


def test_prepaid_is_one_period_then_nothing() -> None:
    cyc = PrepaidCycle(
        start=dt.datetime(2026, 1, 1, tzinfo=UTC),
        expires=dt.datetime.fromisoformat("2026-01-31T23:59:00+01:00"),
    )
    z = ZoneInfo("UTC")
    p = cycle_at(cyc, z, dt.datetime(2026, 1, 15, tzinfo=UTC))
    assert p == Period(cyc.start, dt.datetime(2026, 1, 31, 22, 59, tzinfo=UTC), 0)
    assert cycle_at(cyc, z, dt.datetime(2026, 1, 31, 22, 59, tzinfo=UTC)) is None
    assert cycle_at(cyc, z, dt.datetime(2025, 12, 31, tzinfo=UTC)) is None


def test_samoa_skipped_day_has_no_cycle_of_its_own() -> None:
    z = ZoneInfo("Pacific/Apia")  # 30 December 2011 did not happen there
    daily = EveryCycle(days=1, start=dt.date(2011, 12, 1))
    assert local_midnight(dt.date(2011, 12, 30), z) == local_midnight(dt.date(2011, 12, 31), z)
    p = cycle_at(daily, z, dt.datetime(2011, 12, 30, 10, 30, tzinfo=UTC))
    assert p is not None and p.start.astimezone(z).date() == dt.date(2011, 12, 31)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cycle_at(MonthlyCycle(day=1), ZoneInfo("UTC"), dt.datetime(2026, 1, 1))


# -- properties over every zone the system knows -------------------------------------------------

ZONES = sorted(zoneinfo.available_timezones())
instants = st.datetimes(
    min_value=dt.datetime(1975, 1, 1), max_value=dt.datetime(2090, 1, 1), timezones=st.just(UTC)
)
monthly = st.builds(MonthlyCycle, day=st.integers(1, 31))
every = st.builds(
    EveryCycle,
    days=st.integers(1, 366),
    start=st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2080, 1, 1)),
)
cycles = st.one_of(monthly, every)


@settings(max_examples=400, deadline=None)
@given(cyc=cycles, tz=st.sampled_from(ZONES), t=instants)
def test_instant_inside_its_cycle_and_cycles_tile(
    cyc: MonthlyCycle | EveryCycle, tz: str, t: dt.datetime
) -> None:
    z = ZoneInfo(tz)
    p = cycle_at(cyc, z, t)
    assert p is not None
    assert p.start <= t < p.end
    # No gap and no overlap: the next cycle starts at this one's end, the previous ends at its start.
    nxt = cycle_at(cyc, z, p.end)
    prev = cycle_at(cyc, z, p.start - dt.timedelta(microseconds=1))
    assert nxt is not None and prev is not None
    assert nxt.start == p.end and nxt.index == p.index + 1
    assert prev.end == p.start and prev.index == p.index - 1
    # Every instant of the cycle maps to the same cycle.
    assert cycle_at(cyc, z, p.start) == p
    assert cycle_at(cyc, z, p.end - dt.timedelta(microseconds=1)) == p


@settings(max_examples=300, deadline=None)
@given(cyc=monthly, tz=st.sampled_from(ZONES), t=instants)
def test_monthly_starts_on_the_clamped_day_at_the_first_instant_of_that_day(
    cyc: MonthlyCycle, tz: str, t: dt.datetime
) -> None:
    z = ZoneInfo(tz)
    p = cycle_at(cyc, z, t)
    assert p is not None
    start_local = p.start.astimezone(z)
    # The start is the first instant of its local day: a moment earlier is the day before.
    assert (p.start - dt.timedelta(microseconds=1)).astimezone(z).date() < start_local.date()
    last = calendar.monthrange(start_local.year, start_local.month)[1]
    wanted = min(cyc.day, last)
    if start_local.day != wanted:
        # Only possible where the wanted day was skipped entirely by the zone (Samoa 2011).
        skipped = dt.date(start_local.year, start_local.month, wanted) if wanted <= last else None
        assert skipped is not None
        assert local_midnight(skipped, z) == p.start
    # Cycles are between 27 and 32 days long (28-31 days, +-1 h DST, and zone-level jumps).
    assert 26 * 86400 <= p.seconds <= 33 * 86400


@settings(max_examples=300, deadline=None)
@given(tz=st.sampled_from(ZONES), t=instants)
def test_local_days_tile_and_contain_the_instant(tz: str, t: dt.datetime) -> None:
    z = ZoneInfo(tz)
    d = day_at(z, t)
    assert d.start <= t < d.end
    assert day_at(z, d.end).start == d.end
    assert day_at(z, d.start - dt.timedelta(microseconds=1)).end == d.start
    assert 0 < d.seconds <= 49 * 3600  # the dateline jumps make 47-48 h days possible
