"""Usage history for charts: series over the ledger's 15-minute buckets.

GET /api/v1/usage/history?step=day|hour[&mac=..]  per day of the billing cycle (or per hour of
                                                 today), stacked by client; with ``mac`` one
                                                 client's own, stacked down/up
GET /api/v1/plans/{ref}/history                  a plan's use day by day (corrections included),
                                                 its allowance and the forecast to the cycle's end
GET /api/v1/usage/names                          MAC -> name, clients that have left included

Days and hours are local to the time zone of the plan the client caps follow (the uplink's plan;
UTC and the calendar month without one), so a day's bar is the same set of buckets the usage
table and the caps count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.i18n import Message, MessageOut
from simspot.ident import normal_mac
from simspot.plans.cycles import Period, day_at
from simspot.plans.model import PlanError
from simspot.plans.status import plan_status, with_forecast

if TYPE_CHECKING:
    from simspot.plans.capability import PlansService

UTC = dt.UTC
TOP_CLIENTS = 6  # stacked series; the rest are summed as "other devices"


class Series(Out):
    key: str  # a MAC, "other", or "rx"/"tx" for one client's history
    label: str | None  # the device's name where known
    message: MessageOut | None = None  # for series the UI names in its language ("other")


class Point(Out):
    start: dt.datetime
    end: dt.datetime
    total_bytes: int
    values: list[int]  # one per series, in the series' order


class UsageHistory(Out):
    step: Literal["day", "hour"]
    mac: str | None
    label: str | None
    time_zone: str
    cycle_start: dt.datetime
    cycle_end: dt.datetime
    now: dt.datetime
    series: list[Series]
    points: list[Point]


class PlanDay(Out):
    start: dt.datetime
    end: dt.datetime
    used_bytes: int  # counted that day
    cumulative_bytes: int  # used in the cycle by the day's end (corrections included)


class ForecastPoint(Out):
    at: dt.datetime
    bytes: int


class PlanHistory(Out):
    id: int
    name: str
    iccid: str
    time_zone: str
    cycle_start: dt.datetime | None  # None: a prepaid plan outside its validity
    cycle_end: dt.datetime | None
    now: dt.datetime
    allowance_bytes: int | None
    used_bytes: int
    days: list[PlanDay]
    forecast: list[ForecastPoint]  # from now to the cycle's end, at the forecast's rate
    runs_out_at: dt.datetime | None
    message: MessageOut | None


class ClientNames(Out):
    names: dict[str, str]


def _at(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, UTC)


def _steps(step: Literal["day", "hour"], tz: Any, cycle: Period, now: dt.datetime) -> list[Period]:
    """The days of the cycle up to today, or the hours of today up to this one."""
    out: list[Period] = []
    if step == "day":
        t = cycle.start
        while t <= now and t < cycle.end:
            d = day_at(tz, t)
            out.append(Period(max(d.start, cycle.start), min(d.end, cycle.end)))
            t = d.end
        return out
    today = day_at(tz, now)
    t = today.start
    while t <= now and t < today.end:
        out.append(Period(t, min(t + dt.timedelta(hours=1), today.end)))
        t += dt.timedelta(hours=1)
    return out


def usage_history(
    svc: PlansService, step: Literal["day", "hour"], mac: str | None = None
) -> dict[str, Any]:
    now = svc.now()
    tz, cycle = svc._client_period(now)
    periods = _steps(step, tz, cycle, now)
    names = svc.client_names()
    buckets = svc.ledger.buckets("client", periods[0].start, periods[-1].end) if periods else {}
    # (period index, key) -> bytes; a bucket belongs to the period its start falls in
    per: dict[tuple[int, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    starts = [p.start for p in periods]
    for (key, b), u in buckets.items():
        if mac is not None and key != mac:
            continue
        t = _at(b)
        i = next((j for j in range(len(periods) - 1, -1, -1) if starts[j] <= t), None)
        if i is None or not periods[i].contains(t):
            continue
        if mac is None:
            per[(i, key)] += u.total
            totals[key] += u.total
        else:
            per[(i, "rx")] += u.rx
            per[(i, "tx")] += u.tx
    series: list[dict[str, Any]]
    if mac is None:
        ranked = sorted(totals, key=lambda k: (-totals[k], k))
        top, rest = ranked[:TOP_CLIENTS], set(ranked[TOP_CLIENTS:])
        series = [{"key": k, "label": names.get(k)} for k in top]
        if rest:
            for (i, key), n in list(per.items()):
                if key in rest:
                    per[(i, "other")] += n
            other = Message("history.other")
            series.append({"key": "other", "label": other.text(), "message": other.as_json()})
    else:
        series = [{"key": "rx", "label": "down"}, {"key": "tx", "label": "up"}]
    points = []
    for i, p in enumerate(periods):
        values = [per.get((i, s["key"]), 0) for s in series]
        points.append(
            {
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "total_bytes": sum(values),
                "values": values,
            }
        )
    return {
        "step": step,
        "mac": mac,
        "label": names.get(mac) if mac else None,
        "time_zone": tz.key,
        "cycle_start": cycle.start.isoformat(),
        "cycle_end": cycle.end.isoformat(),
        "now": now.isoformat(),
        "series": series,
        "points": points,
    }


def plan_history(svc: PlansService, ref: str) -> dict[str, Any]:
    pid, plan = svc.book.find(ref)
    now = svc.now()
    st = with_forecast(
        plan_status(pid, plan, svc.ledger, now, svc._depleted_in(plan)), svc.ledger, now
    )
    out: dict[str, Any] = {
        "id": pid,
        "name": plan.name,
        "iccid": plan.iccid,
        "time_zone": plan.zone().key,
        "cycle_start": None,
        "cycle_end": None,
        "now": now.isoformat(),
        "allowance_bytes": plan.allowance_bytes,
        "used_bytes": st.used_bytes,
        "days": [],
        "forecast": [],
        "runs_out_at": None,
        "message": None,
    }
    if st.period is None:
        return out
    cycle = st.period
    ledger = svc.ledger
    days = _steps("day", plan.zone(), cycle, now)
    for d in days:
        used = ledger.uplink_usage(plan.iccid, d.start, d.end).total
        end = min(d.end, now)
        cumulative = ledger.uplink_usage(plan.iccid, cycle.start, end).total + ledger.adjustment(
            plan.iccid, "total", cycle.start, end
        )
        out["days"].append(
            {
                "start": d.start.isoformat(),
                "end": d.end.isoformat(),
                "used_bytes": used,
                "cumulative_bytes": max(0, cumulative),
            }
        )
    fc = st.forecast
    if fc is not None:
        out["forecast"] = [
            {"at": now.isoformat(), "bytes": st.used_bytes},
            {"at": cycle.end.isoformat(), "bytes": max(st.used_bytes, fc.projected_bytes)},
        ]
        out["runs_out_at"] = fc.runs_out_at.isoformat() if fc.runs_out_at else None
        out["message"] = fc.message.as_json()
    out |= {"cycle_start": cycle.start.isoformat(), "cycle_end": cycle.end.isoformat()}
    return out


MacQuery = Annotated[str | None, Query(min_length=1, max_length=32, description="a client's MAC")]
Ref = Annotated[str, Path(min_length=1, max_length=64, description="id, ICCID or name")]


def router(svc: PlansService) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["plans"], responses=ERROR_RESPONSES)

    @r.get("/usage/history", response_model_exclude_unset=True)
    async def history(step: Literal["day", "hour"] = "day", mac: MacQuery = None) -> UsageHistory:
        key = None
        if mac is not None:
            key = normal_mac(mac)
            if key is None:
                raise PlanError(
                    field="mac",
                    msg_id="plan.history.mac",
                    params={"field": "mac", "value": repr(mac)},
                )
        return UsageHistory.model_validate(usage_history(svc, step, key))

    @r.get("/plans/{ref}/history")
    async def history_of_plan(ref: Ref) -> PlanHistory:
        return PlanHistory.model_validate(plan_history(svc, ref))

    @r.get("/usage/names")
    async def client_names() -> ClientNames:
        return ClientNames(names=svc.client_names())

    return r
