"""Forecast (pure): use at the end of the cycle and when the allowance runs out at the current rate.

The rate is an exponentially weighted mean of the daily rates of this cycle: a day ``a`` days old
weighs ``0.5 ** (a / half_life_days)`` times its share of a full day (today counts for the part of
it that has passed), so a change of habit shows within a few days while one odd day does not swing
the estimate. The result carries a one-sentence explanation for people (a catalogue message, simspot.i18n).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from simspot.i18n import Message
from simspot.plans.cycles import Period
from simspot.plans.model import at_limit

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
    explanation: str  # in English; ``message`` renders it in other languages
    message: Message

    def as_json(self) -> dict[str, object]:
        return {
            "rate_bytes_per_day": round(self.rate_bytes_per_day),
            "projected_bytes": self.projected_bytes,
            "runs_out_at": self.runs_out_at.isoformat() if self.runs_out_at else None,
            "explanation": self.explanation,
            "message": self.message.as_json(),
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
    """A local time as the message parameter: ISO 8601 with the plan's offset (``when`` format)."""
    return t.astimezone(tz).isoformat(timespec="minutes")


def _fc(
    rate_: float, projected_: int, runs_out_: dt.datetime | None, msg_id: str, **params: object
) -> Forecast:
    msg = Message(msg_id, params)
    return Forecast(rate_, projected_, runs_out_, msg.text("en"), msg)


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
    pace = round(rate)
    if at_limit(used_bytes, allowance_bytes):
        return _fc(
            rate, max(projected, used_bytes), now, "forecast.used-up",
            allowance=allowance_bytes, ends=ends,
        )  # fmt: skip
    if rate <= 0:
        return _fc(0.0, used_bytes, None, "forecast.nothing", ends=ends)
    if allowance_bytes is None:
        return _fc(
            rate, projected, None, "forecast.unlimited", rate=pace, projected=projected, ends=ends
        )
    lasts_s = (allowance_bytes - used_bytes) / rate * DAY_S
    # Compared in seconds first: a big allowance at a slow rate lasts longer than a timedelta holds.
    runs_out = now + dt.timedelta(seconds=lasts_s) if lasts_s < left_s else None
    if runs_out is not None and runs_out < period.end:
        return _fc(
            rate, projected, runs_out, "forecast.runs-out",
            rate=pace, allowance=allowance_bytes, runs_out=_when(runs_out, tz), ends=ends,
        )  # fmt: skip
    return _fc(
        rate, projected, None, "forecast.lasts",
        rate=pace, projected=projected, allowance=allowance_bytes, ends=ends,
    )  # fmt: skip
