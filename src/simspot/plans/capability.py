"""Plans inside the daemon: the ledger loop, warnings, enforcement hook, notifier, API.

``install(daemon)`` migrates the tables, adds the ``plans`` component (counters -> ledger ->
warnings and enforcement, commit every ``commit_interval_s``), the ``plans-notify`` component, the
spec hook that turns remaining allowances into kernel quotas, and the REST routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from simspot.daemon.capabilities import Capability, Installer
from simspot.dataplane.contract import DataPlane, DataplaneEvent, DataplaneSpec
from simspot.plans import enforce, thresholds
from simspot.plans.cycles import Period, cycle_at, day_at
from simspot.plans.enforce import ClientLimitNow, Enforcement, UplinkLimit
from simspot.plans.ledger import Ledger, PlanBook, open_db
from simspot.plans.model import (
    MonthlyCycle,
    Plan,
    PlanError,
    parse_bytes,
    parse_client_limit,
)
from simspot.plans.notify import Notifier
from simspot.plans.status import PlanStatus, plan_status, with_forecast
from simspot.services import KNOWN_ICCIDS, PLAN_ADMIN, PLAN_QUERIES

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

log = logging.getLogger(__name__)

UTC = dt.UTC
SIZE_FIELDS = ("allowance_bytes", "tethering_allowance_bytes")


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return "no-boot-id"


async def counters_epoch(dataplane: DataPlane) -> str:
    """Which set of kernel counters this is: a new value means they restarted from zero.

    A reboot always recreates the table (boot id); the data plane names its table's identity.
    """
    return f"{boot_id()}/{await dataplane.counters_epoch()}"


def _month(now: dt.datetime) -> Period:
    p = cycle_at(MonthlyCycle(day=1), ZoneInfo("UTC"), now)
    if p is None:  # a monthly cycle always has a period
        raise PlanError(msg_id="plan.no-month")
    return p


class PlansService:
    """Everything plans do in the daemon; the API and the component call into it."""

    def __init__(self, daemon: Daemon, clock: Callable[[], float] = time.time) -> None:
        if daemon.store is None:
            raise PlanError(msg_id="plan.no-store")
        self.daemon = daemon
        self.settings = daemon.config.plans
        self.clock = clock
        db = open_db(daemon.store)
        self.book = PlanBook(db, clock)
        self.ledger = Ledger(db, epoch="", clock=clock)
        self.enforcement = Enforcement(limited=self._limited())
        self._known_live: frozenset[str] = frozenset()
        # uplink id -> when the data plane said its total quota ran out
        self.depleted: dict[str, dt.datetime] = {}
        # The ICCID of the last uplink there was (None: none yet, or wired/Wi-Fi; see _uplink)
        self._last_uplink: str | None = None
        self._had_uplink = False

    # -- helpers ---------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), UTC)

    def _limited(self) -> bool:
        return bool(self.book.plans() or self.book.client_limits())

    def spec_hook(self, spec: DataplaneSpec) -> DataplaneSpec:
        return enforce.apply(spec, self.enforcement)

    def _depleted_in(self, plan: Plan) -> dt.datetime | None:
        """The start of the cycle in which the kernel quota of this plan's uplink ran out."""
        when = self.depleted.get(plan.iccid)
        period = cycle_at(plan.cycle, plan.zone(), when) if when else None
        return period.start if period else None

    def on_dataplane_event(self, ev: DataplaneEvent) -> None:
        if ev.kind == "quota-depleted" and ev.scope == "total":
            self.depleted[ev.key] = self.now()
            self.daemon.bus.publish("usage.quota-depleted", {"uplink": ev.key})

    def statuses(self, forecast: bool = False) -> list[PlanStatus]:
        now = self.now()
        out = []
        for pid, plan in self.book.plans():
            st = plan_status(pid, plan, self.ledger, now, self._depleted_in(plan))
            out.append(with_forecast(st, self.ledger, now) if forecast else st)
        return out

    def remember_iccids(self, iccids: Sequence[str], source: str) -> None:
        """ICCIDs a plan may be added for (seen on a modem slot, installed on an eUICC)."""
        if iccids:
            self.book.remember_iccids(sorted(iccids), source)

    def client_cycle_bytes(self, mac: str, iccid: str | None) -> int | None:
        """A client's bytes in the current cycle of the plan on ``iccid``; None without a plan."""
        found = self.book.for_iccid(iccid) if iccid else None
        if found is None:
            return None
        plan = found[1]
        now = self.now()
        period = cycle_at(plan.cycle, plan.zone(), now)
        if period is None:
            return None
        return int(self.ledger.client_usage(mac, period.start, now).total)

    def remember_slots(self) -> None:
        """The ICCIDs in every modem's slots (the first's and the others'): plans may be added
        for each, as each may become the uplink."""
        live = self.daemon.live
        modems = [m for m in (live.modem, *live.other_modems) if m is not None]
        if not modems:
            return
        seen = frozenset(s.iccid for m in modems for s in m.slots if s.iccid)
        if seen - self._known_live:
            self.book.remember_iccids(sorted(seen), "modem")
        self._known_live = seen

    def _uplink(self) -> str | None:
        """The ICCID whose plan applies now: the uplink in use, on whichever modem (None on a
        wired or Wi-Fi uplink). While there is no uplink (a switch, a dropped bearer, or the
        policy uses none because every plan is used up), the last one's, so a hold on its plan
        is not lifted and set again (the access point would come up and go down) and client
        caps keep their cycle; with none yet since the start, the first modem's active SIM (the
        uplink without the policy), so a used-up plan still says so after a restart."""
        if self.daemon.uplink() is not None:
            self._last_uplink = self.daemon.uplink_iccid()
            self._had_uplink = True
        if self._had_uplink:
            return self._last_uplink
        return self.daemon.first_modem_iccid()

    def _client_period(self, now: dt.datetime) -> tuple[ZoneInfo, Period]:
        """The time zone and billing cycle that client caps follow: those of the uplink's plan."""
        uplink = self._uplink()
        found = self.book.for_iccid(uplink) if uplink else None
        if found is not None:
            plan = found[1]
            period = cycle_at(plan.cycle, plan.zone(), now)
            if period is not None:
                return plan.zone(), period
        return ZoneInfo("UTC"), _month(now)

    # -- the loop's work ---------------------------------------------------------------------------
    def evaluate(self) -> None:
        """Warnings, sharing hold and the enforcement the spec hook applies, from the ledger."""
        now = self.now()
        statuses = self.statuses()
        for st in statuses:
            for w in thresholds.check(
                st,
                self.ledger,
                self.settings.thresholds_percent,
                self.settings.tethering_thresholds_percent,
            ):
                self.daemon.bus.publish(w.kind, w.data)
        uplinks = {
            st.plan.iccid: UplinkLimit(
                iccid=st.plan.iccid,
                action=st.plan.action,
                remaining_bytes=st.remaining_bytes,
                counter_now=self.ledger.counter("uplink", st.plan.iccid),
                exhausted=st.exhausted,
                throttle_kbit=st.plan.throttle_kbit,
                tethering_allowed=st.plan.tethering_allowed,
            )
            for st in statuses
        }
        clients: dict[str, ClientLimitNow] = {}
        limits = self.book.client_limits()
        if limits:
            tz, cycle = self._client_period(now)
            day = day_at(tz, now)
            for mac, lim in limits.items():
                left: int | None = None
                if lim.day_bytes is not None:
                    left = lim.day_bytes - self.ledger.client_usage(mac, day.start, day.end).total
                if lim.cycle_bytes is not None:
                    c_left = (
                        lim.cycle_bytes
                        - self.ledger.client_usage(mac, cycle.start, cycle.end).total
                    )
                    left = c_left if left is None else min(left, c_left)
                clients[mac] = ClientLimitNow(
                    mac,
                    None if left is None else max(0, left),
                    self.ledger.counter("client", mac),
                    lim.rate_down_kbit,
                    lim.rate_up_kbit,
                )
        self.enforcement = Enforcement(
            ready=True, limited=bool(statuses or limits), uplinks=uplinks, clients=clients
        )
        # Sharing follows the plan of the uplink in use (on whichever modem), not any other SIM's.
        uplink = self._uplink()
        current = next((st for st in statuses if uplink and st.plan.iccid == uplink), None)
        sharing = self.daemon.sharing
        if current is not None and not current.plan.tethering_allowed:
            sharing.hold("plan", "sharing.why.no-tethering", plan=current.plan.name)
        elif current is not None and current.plan.action == "stop" and current.exhausted:
            why = "sharing.why.expired" if current.expired else "sharing.why.used-up"
            sharing.hold("plan", why, plan=current.plan.name)
        else:
            sharing.release("plan")

    async def tick(self) -> None:
        commit_due = self.clock() - self.ledger.last_commit >= self.settings.commit_interval_s
        if commit_due:
            # A table recreated under a running daemon: its counters restarted from zero.
            self.ledger.epoch = await counters_epoch(self.daemon.backends.dataplane)
        counters = await self.daemon.backends.dataplane.counters()
        first = not self.ledger.observed
        self.ledger.observe(counters, self.daemon.uplink_id())
        if first:
            # Reconcile: what the kernel counted while the daemon was not looking, at once.
            attributed = self.ledger.pending_bytes
            self.ledger.commit()
            self.daemon.bus.publish(
                "usage.reconciled", {"bytes": attributed, "counter_resets": self.ledger.resets}
            )
        self.remember_slots()
        self.book.remember_names(
            {c.mac: c.hostname for c in self.daemon.live.clients if c.hostname}
        )
        self.evaluate()
        if commit_due:
            self.ledger.commit()

    # -- operations for the API ------------------------------------------------------------------
    def _sizes(self, data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for key in SIZE_FIELDS:
            if isinstance(out.get(key), str):
                out[key] = parse_bytes(out[key], field=key, allow_unlimited=True)
        return out

    def _after_change(self) -> None:
        # A new allowance or figure means a new kernel quota: an old depletion no longer holds.
        self.depleted.clear()
        if self.ledger.observed:
            self.evaluate()
        else:
            self.enforcement = Enforcement(limited=self._limited())

    def show(self, ref: str) -> dict[str, Any]:
        pid, plan = self.book.find(ref)
        now = self.now()
        st = plan_status(pid, plan, self.ledger, now, self._depleted_in(plan))
        return with_forecast(st, self.ledger, now).as_json()

    def list_plans(self) -> list[dict[str, Any]]:
        return [st.as_json() for st in self.statuses(forecast=True)]

    def add(self, data: dict[str, Any]) -> dict[str, Any]:
        self.remember_slots()
        pid, plan = self.book.add(self._sizes(data))
        self.daemon.bus.publish("plan.added", {"id": pid, "iccid": plan.iccid, "plan": plan.name})
        self._after_change()
        return self.show(str(pid))

    def edit(self, ref: str, changes: dict[str, Any]) -> dict[str, Any]:
        pid, plan = self.book.edit(ref, self._sizes(changes))
        self.daemon.bus.publish("plan.edited", {"id": pid, "iccid": plan.iccid, "plan": plan.name})
        self._after_change()
        return self.show(str(pid))

    def delete(self, ref: str) -> dict[str, Any]:
        pid, plan = self.book.delete(ref)
        self.daemon.bus.publish("plan.deleted", {"id": pid, "iccid": plan.iccid, "plan": plan.name})
        self._after_change()
        return {"id": pid, "deleted": True, "iccid": plan.iccid, "name": plan.name}

    def correct(
        self,
        ref: str,
        used: int | str | None,
        tethering_used: int | str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Set "used this cycle" to the carrier's figure; counting continues from there."""
        pid, plan = self.book.find(ref)
        st = plan_status(pid, plan, self.ledger, self.now())
        if st.period is None:
            raise PlanError(msg_id="plan.no-cycle", params={"plan": plan.name})
        if used is None and tethering_used is None:
            raise PlanError(msg_id="plan.correct.nothing")
        scopes: tuple[tuple[Literal["total", "tethering"], int | str | None, int], ...] = (
            ("total", used, st.used_bytes),
            ("tethering", tethering_used, st.tethering_used_bytes),
        )
        # Both figures are checked before either is kept: a refused one leaves nothing half done.
        names = {"total": "used_bytes", "tethering": "tethering_used_bytes"}
        targets = [
            (scope, parse_bytes(value, field=names[scope]) or 0, current)
            for scope, value, current in scopes
            if value is not None
        ]
        for scope, target, current in targets:
            self.ledger.add_adjustment(plan.iccid, scope, target - current, target, note)
        self.daemon.bus.publish(
            "plan.corrected",
            {"id": pid, "iccid": plan.iccid, "used": used, "tethering_used": tethering_used},
        )
        self._after_change()
        return self.show(str(pid))

    def set_client_limit(self, mac: str, data: dict[str, Any]) -> dict[str, Any]:
        body = dict(data) | {"mac": mac}
        for key in ("day_bytes", "cycle_bytes"):
            if isinstance(body.get(key), str):
                body[key] = parse_bytes(body[key], field=key, allow_unlimited=True)
        limit = parse_client_limit(body)
        self.book.set_client_limit(limit)
        self._after_change()
        return limit.model_dump()

    def client_names(self) -> dict[str, str]:
        """MAC -> hostname: the clients connected now, then the last name of those that left."""
        live = {c.mac: c.hostname for c in self.daemon.live.clients if c.hostname}
        return self.book.client_names() | live

    def client_limits(self) -> list[dict[str, Any]]:
        return [lim.model_dump() for lim in self.book.client_limits().values()]

    def usage(
        self,
        by: Literal["uplink", "client"],
        period: Literal["cycle", "day", "hour"],
    ) -> dict[str, Any]:
        now = self.now()
        rows: list[dict[str, Any]] = []
        plans = {p.iccid: (pid, p) for pid, p in self.book.plans()}
        names = self.client_names()
        keys = set(self.ledger.keys(by)) | (set(plans) if by == "uplink" else set())
        for key in sorted(keys):
            plan = plans.get(key, (0, None))[1] if by == "uplink" else None
            if by == "uplink":
                tz = plan.zone() if plan else ZoneInfo("UTC")
                cycle = (cycle_at(plan.cycle, tz, now) if plan else None) or _month(now)
            else:
                tz, cycle = self._client_period(now)
            periods = _periods(period, tz, cycle, now)
            buckets = self.ledger.buckets(by, periods[0].start, periods[-1].end)
            for p in periods:
                rx = sum(u.rx for (k, b), u in buckets.items() if k == key and p.contains(_at(b)))
                tx = sum(u.tx for (k, b), u in buckets.items() if k == key and p.contains(_at(b)))
                row: dict[str, Any] = {
                    "key": key,
                    "label": (plan.name if plan else None) if by == "uplink" else names.get(key),
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "rx_bytes": rx,
                    "tx_bytes": tx,
                    "total_bytes": rx + tx,
                }
                if by == "uplink" and plan is not None and period == "cycle":
                    st = plan_status(plans[key][0], plan, self.ledger, now)
                    row |= {
                        "used_bytes": st.used_bytes,
                        "allowance_bytes": plan.allowance_bytes,
                        "remaining_bytes": st.remaining_bytes,
                    }
                if period == "cycle" or row["total_bytes"]:
                    rows.append(row)  # days and hours without traffic are left out
        return {"by": by, "period": period, "now": now.isoformat(), "rows": rows}


def _at(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, UTC)


def _periods(
    kind: Literal["cycle", "day", "hour"], tz: ZoneInfo, cycle: Period, now: dt.datetime
) -> list[Period]:
    if kind == "cycle":
        return [cycle]
    if kind == "day":
        out, t = [], cycle.start
        while t <= now and t < cycle.end:
            d = day_at(tz, t)
            out.append(d)
            t = d.end
        return out or [day_at(tz, now)]
    today = day_at(tz, now)
    hours, t = [], today.start
    while t <= now:
        hours.append(Period(t, t + dt.timedelta(hours=1)))
        t += dt.timedelta(hours=1)
    return hours


class PlansComponent:
    """Reads the kernel counters every ``poll_interval_s`` into the ledger, and acts on them."""

    name = "plans"

    def __init__(self, service: PlansService) -> None:
        self.service = service

    async def run(self) -> None:
        svc = self.service
        svc.ledger.epoch = await counters_epoch(svc.daemon.backends.dataplane)
        events = asyncio.create_task(self._events(), name="plans:dataplane-events")
        try:
            while True:
                await svc.tick()
                if events.done():
                    events.result()  # a failed event stream fails the component (restarted)
                await asyncio.sleep(svc.settings.poll_interval_s)
        finally:
            events.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await events

    async def _events(self) -> None:
        async for ev in self.service.daemon.backends.dataplane.events():
            self.service.on_dataplane_event(ev)

    async def close(self) -> None:
        if self.service.ledger.observed:
            self.service.ledger.commit()


def install(inst: Installer) -> None:
    from simspot.plans import history
    from simspot.plans.api import router

    daemon = inst.daemon
    svc = PlansService(daemon)
    inst.provide(PLAN_QUERIES, svc)
    inst.provide(PLAN_ADMIN, svc)
    inst.provide(KNOWN_ICCIDS, svc)
    daemon.spec_hooks.append(svc.spec_hook)
    daemon.supervisor.add(PlansComponent(svc))
    daemon.supervisor.add(Notifier(daemon.bus, daemon.config.plans))
    daemon.routers.append(router(svc))
    daemon.routers.append(history.router(svc))


CAPABILITY = Capability(
    name="plans",
    install=install,
    provides=(PLAN_QUERIES, PLAN_ADMIN, KNOWN_ICCIDS),
)
