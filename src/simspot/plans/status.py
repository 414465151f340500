"""Where a plan stands now: the cycle, what was used (with corrections), what is left, forecast."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simspot.plans.cycles import Period, cycle_at, day_at
from simspot.plans.forecast import DayUse, Forecast, forecast
from simspot.plans.ledger import Ledger, Usage
from simspot.plans.model import Plan, at_limit


@dataclass(frozen=True)
class PlanStatus:
    id: int
    plan: Plan
    period: Period | None  # None: a prepaid plan outside its validity
    counted: Usage  # what the ledger counted on this uplink in the cycle
    used_bytes: int  # counted + corrections
    tethering_counted: Usage
    tethering_used_bytes: int
    forecast: Forecast | None
    # The data plane reported this uplink's kernel quota depleted in this cycle: the counters
    # stopped within a packet (a GRO super-packet can be 64 KiB) of the limit.
    depleted: bool = False

    @property
    def expired(self) -> bool:
        return self.period is None

    @property
    def remaining_bytes(self) -> int | None:
        """What may still pass before the action at the limit (None: no limit)."""
        if self.period is None:
            return 0
        left: list[int] = []
        if self.plan.allowance_bytes is not None:
            left.append(self.plan.allowance_bytes - self.used_bytes)
        if self.plan.tethering_allowance_bytes is not None:
            left.append(self.plan.tethering_allowance_bytes - self.tethering_used_bytes)
        return max(0, min(left)) if left else None

    @property
    def exhausted(self) -> bool:
        return (
            self.period is None
            or self.depleted
            or at_limit(self.used_bytes, self.plan.allowance_bytes)
            or at_limit(self.tethering_used_bytes, self.plan.tethering_allowance_bytes)
        )

    def percent(self) -> float | None:
        a = self.plan.allowance_bytes
        return None if not a else 100.0 * self.used_bytes / a

    def tethering_percent(self) -> float | None:
        a = self.plan.tethering_allowance_bytes
        return None if not a else 100.0 * self.tethering_used_bytes / a

    def cost(self) -> Decimal | None:
        price = self.plan.price
        if price is None:
            return None
        if price.per == "cycle":
            return price.amount
        return (price.amount * Decimal(self.used_bytes) / Decimal(10**9)).quantize(Decimal("0.01"))

    def as_json(self) -> dict[str, Any]:
        p = self.plan
        pct, tpct = self.percent(), self.tethering_percent()
        return {
            "id": self.id,
            "plan": p.model_dump(mode="json"),
            "cycle_start": self.period.start.isoformat() if self.period else None,
            "cycle_end": self.period.end.isoformat() if self.period else None,
            "expired": self.expired,
            "rx_bytes": self.counted.rx,
            "tx_bytes": self.counted.tx,
            "used_bytes": self.used_bytes,
            "corrected_bytes": self.used_bytes - self.counted.total,
            "tethering_used_bytes": self.tethering_used_bytes,
            "allowance_bytes": p.allowance_bytes,
            "tethering_allowance_bytes": p.tethering_allowance_bytes,
            "remaining_bytes": self.remaining_bytes,
            "percent": None if pct is None else round(pct, 2),
            "tethering_percent": None if tpct is None else round(tpct, 2),
            "exhausted": self.exhausted,
            "cost": None if self.cost() is None else str(self.cost()),
            "currency": p.price.currency if p.price else None,
            "forecast": self.forecast.as_json() if self.forecast else None,
        }


def daily_use(
    ledger: Ledger, iccid: str, period: Period, now: dt.datetime, plan: Plan
) -> list[DayUse]:
    """Per local day of the cycle so far (for the forecast)."""
    tz = plan.zone()
    out: list[DayUse] = []
    stop = min(now, period.end)
    # Days before the first counted byte are unknown, not unused (simspot started mid-cycle).
    seen = [b for (k, b) in ledger.buckets("uplink", period.start, stop) if k == iccid]
    if not seen:
        return out
    t = max(period.start, dt.datetime.fromtimestamp(min(seen), dt.UTC))
    while t < stop:
        day = day_at(tz, t)
        end = min(day.end, stop)
        used = ledger.uplink_usage(iccid, t, end).total
        out.append(DayUse(day.start, (end - t).total_seconds(), used))
        t = day.end
    return out


def plan_status(
    plan_id: int,
    plan: Plan,
    ledger: Ledger,
    now: dt.datetime,
    depleted_in: dt.datetime | None = None,
) -> PlanStatus:
    """``depleted_in``: the start of the cycle in which the kernel quota ran out, if it did."""
    period = cycle_at(plan.cycle, plan.zone(), now)
    if period is None:
        return PlanStatus(plan_id, plan, None, Usage(), 0, Usage(), 0, None)
    counted = ledger.uplink_usage(plan.iccid, period.start, period.end)
    used = counted.total + ledger.adjustment(plan.iccid, "total", period.start, period.end)
    tcounted = ledger.tethering_usage(plan.iccid, period.start, period.end)
    tused = tcounted.total + ledger.adjustment(plan.iccid, "tethering", period.start, period.end)
    depleted = depleted_in is not None and depleted_in == period.start
    return PlanStatus(plan_id, plan, period, counted, used, tcounted, tused, None, depleted)


def with_forecast(st: PlanStatus, ledger: Ledger, now: dt.datetime) -> PlanStatus:
    if st.period is None:
        return st
    days = daily_use(ledger, st.plan.iccid, st.period, now, st.plan)
    fc = forecast(
        days,
        used_bytes=st.used_bytes,
        allowance_bytes=st.plan.allowance_bytes,
        period=st.period,
        now=now,
        tz=st.plan.zone(),
    )
    return PlanStatus(
        st.id, st.plan, st.period, st.counted, st.used_bytes, st.tethering_counted,
        st.tethering_used_bytes, fc, st.depleted,
    )  # fmt: skip
