"""Plan validation: bad input refused with messages that name the field; sizes; forecast."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from simspot.errors import SimspotValueError
from simspot.plans.cycles import Period
from simspot.plans.forecast import DayUse, forecast, weighted_rate
from simspot.plans.model import (
    PlanError,
    check_iccid,
    parse_bytes,
    parse_client_limit,
    parse_plan,
)
from simspot.units import format_bytes

ICCID = "8944200000000000017"
GOOD: dict[str, Any] = {
    "iccid": ICCID,
    "name": "Home 20 GB",
    "allowance_bytes": 20_000_000_000,
    "tethering_allowance_bytes": 5_000_000_000,
    "cycle": {"kind": "monthly", "day": 15},
    "timezone": "Europe/Berlin",
    "price": {"amount": "19.99", "per": "cycle", "currency": "eur"},
    "mccs": ["262", "232"],
    "action": "throttle",
    "throttle_kbit": 128,
}


def test_a_good_plan() -> None:
    p = parse_plan(GOOD)
    assert p.price is not None and p.price.currency == "EUR"
    assert p.mccs == ("232", "262")
    assert p.effective_tethering_allowance() == 5_000_000_000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"allowance_bytes": -1}, "allowance_bytes: must be at least 0, got -1"),
        ({"tethering_allowance_bytes": -5}, "tethering_allowance_bytes: must be at least 0"),
        ({"cycle": {"kind": "monthly", "day": 32}}, "cycle.day: must be at most 31, got 32"),
        ({"cycle": {"kind": "monthly", "day": 0}}, "cycle.day: must be at least 1, got 0"),
        ({"cycle": {"kind": "every", "days": 0, "start": "2026-01-01"}}, "cycle.days: must be at least 1"),
        ({"cycle": {"kind": "weekly"}}, "cycle"),
        (
            {"cycle": {"kind": "prepaid", "start": "2026-01-02T00:00:00Z", "expires": "2026-01-01T00:00:00Z"}},
            "expires must be after start",
        ),
        (
            {"cycle": {"kind": "prepaid", "start": "2026-01-01T00:00:00", "expires": "2026-02-01T00:00:00Z"}},
            "needs a time zone offset",
        ),
        ({"price": {"amount": "5", "currency": "EUX"}}, "'EUX' is not an ISO 4217 currency code"),
        ({"price": {"amount": "-1", "currency": "EUR"}}, "price.amount: must be at least 0"),
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not an IANA time zone"),
        ({"mccs": ["26"]}, "'26' is not a mobile country code"),
        ({"action": "throttle", "throttle_kbit": None}, "action 'throttle' needs throttle_kbit"),
        ({"action": "stop"}, "throttle_kbit is only used with action 'throttle'"),
        ({"action": "explode", "throttle_kbit": None}, "action"),
        ({"iccid": "8944200000000000018"}, "wrong check digit (Luhn)"),
        ({"iccid": "12345"}, "is not an ICCID (18 to 20 digits)"),
        ({"iccid": "4444200000000000017"}, "does not start with 89"),
        ({"name": ""}, "name"),
        ({"name": " padded"}, "without leading or trailing spaces"),
        ({"colour": "blue"}, "colour: unknown field"),
    ],
)  # fmt: skip
def test_bad_plans_are_refused_with_a_clear_message(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError) as err:
        parse_plan(GOOD | change)
    assert message in str(err.value)
    assert isinstance(err.value, SimspotValueError) and str(err.value).startswith("plan refused: ")


def test_iccid_luhn_is_waived_for_iccids_the_modem_reported() -> None:
    odd = "8988247000000000021"  # the simulated eSIM profile: not Luhn, as some real ones
    with pytest.raises(PlanError, match="Luhn"):
        check_iccid(odd)
    assert check_iccid(odd, known={odd}) == odd
    assert check_iccid("8944 2000 0000 0000 017F") == ICCID
    assert parse_plan(GOOD | {"iccid": odd}, known_iccids={odd}).iccid == odd


@pytest.mark.parametrize(
    ("text", "value"),
    [("5GB", 5 * 10**9), ("500 MB", 5 * 10**8), ("2GiB", 2 * 2**30), ("1.5g", 1_500_000_000),
     ("123", 123), ("unlimited", None), (7, 7)],
)  # fmt: skip
def test_sizes(text: str | int, value: int | None) -> None:
    assert parse_bytes(text, allow_unlimited=True) == value


@pytest.mark.parametrize("text", ["-5GB", "five", "5 parsecs", "unlimited"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(PlanError, match="allowance"):
        parse_bytes(text, field="allowance")


def test_format_bytes() -> None:
    assert format_bytes(None) == "unlimited"
    assert format_bytes(999) == "999 B"
    assert format_bytes(1_500_000_000) == "1.5 GB"


def test_client_limits_validate_mac_and_values() -> None:
    lim = parse_client_limit({"mac": "02-5E-00-AA-BB-CC", "day_bytes": 10})
    assert lim.mac == "02:5e:00:aa:bb:cc"
    with pytest.raises(PlanError, match="not a MAC address"):
        parse_client_limit({"mac": "nope"})
    with pytest.raises(PlanError, match="cycle_bytes: must be at least 0"):
        parse_client_limit({"mac": "02:5e:00:aa:bb:cc", "cycle_bytes": -1})


# -- forecast -------------------------------------------------------------------------------------

UTC = dt.UTC
Z = ZoneInfo("UTC")
CYCLE = Period(dt.datetime(2026, 11, 1, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC))


def days(*per_day: int, start: dt.datetime = CYCLE.start) -> list[DayUse]:
    return [DayUse(start + dt.timedelta(days=i), 86400, b) for i, b in enumerate(per_day)]


def test_recent_days_weigh_more() -> None:
    now = CYCLE.start + dt.timedelta(days=10)
    old_heavy = weighted_rate(days(*([10**9] * 5 + [10**8] * 5)), now)
    recent_heavy = weighted_rate(days(*([10**8] * 5 + [10**9] * 5)), now)
    assert recent_heavy > 5.5e8 > old_heavy
    # A steady rate is estimated exactly.
    assert weighted_rate(days(*([10**9] * 10)), now) == pytest.approx(10**9)


def test_runs_out_before_the_end_of_the_cycle() -> None:
    now = CYCLE.start + dt.timedelta(days=10)
    f = forecast(
        days(*([10**9] * 10)), used_bytes=10 * 10**9, allowance_bytes=15 * 10**9,
        period=CYCLE, now=now, tz=Z,
    )  # fmt: skip
    assert f.runs_out_at == now + dt.timedelta(days=5)
    assert f.projected_bytes == 30 * 10**9
    assert f.explanation == (
        "At about 1.0 GB a day (recent days count more), the 15.0 GB allowance runs out around "
        "16 Nov 00:00, before the cycle ends on 1 Dec 00:00."
    )


def test_lasts_the_cycle_unlimited_used_up_and_no_data() -> None:
    now = CYCLE.start + dt.timedelta(days=20)
    steady = days(*([10**8] * 20))
    f = forecast(steady, used_bytes=2 * 10**9, allowance_bytes=10**10, period=CYCLE, now=now, tz=Z)
    assert f.runs_out_at is None and f.projected_bytes == 3 * 10**9
    assert "so the allowance lasts the cycle" in f.explanation
    f = forecast(steady, used_bytes=2 * 10**9, allowance_bytes=None, period=CYCLE, now=now, tz=Z)
    assert f.runs_out_at is None and "the plan is unlimited" in f.explanation
    f = forecast(steady, used_bytes=10**10, allowance_bytes=10**10, period=CYCLE, now=now, tz=Z)
    assert f.runs_out_at == now and "is used up" in f.explanation
    f = forecast([], used_bytes=0, allowance_bytes=10**10, period=CYCLE, now=CYCLE.start, tz=Z)
    assert f.rate_bytes_per_day == 0 and f.runs_out_at is None and "Nothing used" in f.explanation


def test_partial_today_counts_by_its_share() -> None:
    now = CYCLE.start + dt.timedelta(days=1, hours=6)
    # Yesterday 1 GB; the first 6 h of today 0.5 GB (a 2 GB/day pace).
    usage = [*days(10**9), DayUse(CYCLE.start + dt.timedelta(days=1), 6 * 3600, 5 * 10**8)]
    rate = weighted_rate(usage, now)
    assert 10**9 < rate < 2 * 10**9
