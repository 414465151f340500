"""Forecast (pure): use at the end of the cycle and when the allowance runs out at the current rate.

The rate is an exponentially weighted mean of the daily rates of this cycle: a day ``a`` days old
weighs ``0.5 ** (a / half_life_days)`` times its share of a full day (today counts for the part of
it that has passed), so a change of habit shows within a few days while one odd day does not swing
the estimate. The result carries a one-sentence explanation for people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from simspot.plans.cycles import Period
from simspot.plans.model import at_limit
from simspot.units import format_bytes

DAY_S = 86400.0


@dataclass(frozen=True)
class DayUse:
    """Bytes used in one local day (or the part of it inside the cycle and before now)."""

    start: dt.datetime
    covered_s: float  # seconds of the day that count (partial for today and a mid-day start)
    bytes: int


@dataclass(frozen=True)
class Forecast:
    rate_bytes_per_day: float
    projected_bytes: int  # use at the end of the cycle at this rate
    runs_out_at: dt.datetime | None  # None: it lasts the cycle (or the plan is unlimited)
    explanation: str

    def as_json(self) -> dict[str, object]:
        return {
            "rate_bytes_per_day": round(self.rate_bytes_per_day),
            "projected_bytes": self.projected_bytes,
            "runs_out_at": self.runs_out_at.isoformat() if self.runs_out_at else None,
            "explanation": self.explanation,
        }


def weighted_rate(days: Sequence[DayUse], now: dt.datetime, half_life_days: float = 3.0) -> float:
    """Bytes per day, recent days weighted more (see the module docstring)."""
    num = den = 0.0
    for d in days:
        if d.covered_s <= 0:
            continue
        age_days = max(0.0, (now - d.start).total_seconds() / DAY_S)
        weight = 0.5 ** (age_days / half_life_days) * min(1.0, d.covered_s / DAY_S)
        num += weight * d.bytes / d.covered_s * DAY_S
        den += weight
    return num / den if den > 0 else 0.0


def _when(t: dt.datetime, tz: ZoneInfo) -> str:
    local = t.astimezone(tz)
    return f"{local.day} {local:%b %H:%M}"


def forecast(
    days: Sequence[DayUse],
    *,
    used_bytes: int,
    allowance_bytes: int | None,
    period: Period,
    now: dt.datetime,
    tz: ZoneInfo,
    half_life_days: float = 3.0,
) -> Forecast:
    rate = weighted_rate(days, now, half_life_days)
    left_s = max(0.0, (period.end - now).total_seconds())
    projected = used_bytes + round(rate * left_s / DAY_S)
    ends = _when(period.end, tz)
    pace = f"At about {format_bytes(round(rate))} a day (recent days count more)"
    if at_limit(used_bytes, allowance_bytes):
        return Forecast(
            rate,
            max(projected, used_bytes),
            now,
            f"The allowance of {format_bytes(allowance_bytes)} is used up; "
            f"the cycle renews on {ends}.",
        )
    if rate <= 0:
        return Forecast(
            0.0,
            used_bytes,
            None,
            f"Nothing used so far this cycle, so nothing to project; it ends {ends}.",
        )
    if allowance_bytes is None:
        return Forecast(
            rate,
            projected,
            None,
            f"{pace}, this cycle will use about {format_bytes(projected)} by {ends}; "
            "the plan is unlimited.",
        )
    lasts_s = (allowance_bytes - used_bytes) / rate * DAY_S
    # Compared in seconds first: a big allowance at a slow rate lasts longer than a timedelta holds.
    runs_out = now + dt.timedelta(seconds=lasts_s) if lasts_s < left_s else None
    if runs_out is not None and runs_out < period.end:
        return Forecast(
            rate,
            projected,
            runs_out,
            f"{pace}, the {format_bytes(allowance_bytes)} allowance runs out around "
            f"{_when(runs_out, tz)}, before the cycle ends on {ends}.",
        )
    return Forecast(
        rate,
        projected,
        None,
        f"{pace}, you will have used about {format_bytes(projected)} of "
        f"{format_bytes(allowance_bytes)} by {ends}, so the allowance lasts the cycle.",
    )
