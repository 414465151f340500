"""The uplink layer inside the daemon: candidates, probes, the policy, the executor, the log.

``UplinkService.step`` runs about once a second (and at once on a plan's ``switch`` action or an
eSIM change): it gathers the candidates, feeds probe results into each link's health, asks the
policy and, on a switch, runs the executor. Decisions are kept in the store (``uplink_decision``)
whenever they change, with their reasons in English and Chinese; the pin survives restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simspot.aio import cancel_and_wait
from simspot.dataplane.contract import DataplaneSpec, OtherUplink
from simspot.errors import SimspotError, SimspotValueError, StateError
from simspot.model import ModemStatus
from simspot.services import CardService, PlanQueries
from simspot.uplink import executor
from simspot.uplink.candidates import gather, plan_facts
from simspot.uplink.links import links_of
from simspot.uplink.linkwatch import LinkWatch
from simspot.uplink.model import Candidate, Health, HealthTracker
from simspot.uplink.policy import Decision, Rules, Switch, decide
from simspot.uplink.probe import Round
from simspot.uplink.wifi import WifiJoiner, WifiState, joiners

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

log = logging.getLogger(__name__)

MIGRATIONS = (
    """
    CREATE TABLE uplink_decision (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        chosen TEXT,
        current TEXT,
        switch INTEGER NOT NULL,
        forced INTEGER NOT NULL,
        rule TEXT NOT NULL,
        held_by TEXT,
        reason_en TEXT NOT NULL,
        reason_zh TEXT NOT NULL,
        outcome TEXT
    );
    CREATE INDEX uplink_decision_at ON uplink_decision (at);
    """,
)
PIN_KEY = "uplink.pin"
PROFILE_REFRESH_S = 60.0
FAILED_COOLDOWN_S = 300.0  # a cold target that did not come up is not tried again before this
KEEP_DECISIONS = 5000
WIFI_STATE_S = 1.0  # the longest a step waits for a Wi-Fi link's state


class UplinkService:
    def __init__(
        self,
        daemon: Daemon,
        plans: PlanQueries | None = None,
        card: CardService | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if daemon.store is None:
            raise StateError(msg_id="plan.no-store")  # the plans' sentence, word for word
        self.daemon = daemon
        self.store = daemon.store
        self.store.migrate("uplink", MIGRATIONS)
        self.settings = daemon.config.uplink
        self.rules = Rules.from_settings(self.settings)
        self.plans = plans
        self.card = card
        # Interface state and probe rounds: the kernel's, or the data plane's own links.
        self.link_io = links_of(daemon.backends.dataplane)
        self.clock = clock
        self.active: str | None = None  # the uplink in use (what the data plane is given)
        self.decided = False
        self.last: Decision | None = None
        self.candidates: list[Candidate] = []
        self.history: deque[Switch] = deque(maxlen=200)
        self.trackers: dict[str, HealthTracker] = {}
        self.failed_until: dict[str, float] = {}
        self._profiles: list[dict[str, Any]] = []
        self._profiles_at = 0.0
        self._probing: dict[str, tuple[str, asyncio.Task[None]]] = {}
        self._logged: tuple[Any, ...] | None = None
        self._switching = False
        self.wake = asyncio.Event()
        self._links = LinkWatch(self._link_changed)
        # Wi-Fi links simspot joins itself (name -> its driver), and what each last reported
        self.wifi: dict[str, WifiJoiner] = joiners(self.settings.wifi)
        self.wifi_states: dict[str, WifiState] = {}
        self._watching = False

    # -- UplinkChoice (simspot.services) ---------------------------------------------------------
    @property
    def deciding(self) -> bool:
        return self.decided

    def route(self) -> tuple[str, str, str | None] | None:
        cand = next((c for c in self.candidates if c.id == self.active), None)
        if cand is None:
            return None
        if cand.cellular:
            first = self.daemon.live.modem
            modem = next(
                (m for m in (first, *self.daemon.live.other_modems) if m and m.id == cand.modem),
                None,
            )
            slot = modem.active_slot() if modem else None
            if modem is None or modem.bearer is None or slot is None or slot.iccid != cand.id:
                return None
            # dataplane.uplink_interface stands for the first modem's bearer
            override = self.daemon.config.dataplane.uplink_interface if modem is first else None
            return (override or modem.bearer.interface, cand.id, modem.bearer.ipv6_prefix)
        if cand.interface is None:
            return None
        return (cand.interface, cand.id, None)

    def spec_hook(self, spec: DataplaneSpec) -> DataplaneSpec:
        """Every other hot uplink goes into the data plane's table as well: whatever link the
        kernel routes a client's packet through (a switch in progress, a route the kernel moved)
        NATs it and bills it to that link's identity, never to the one in use."""
        seen_if = {spec.uplink_interface, *(o.interface for o in spec.other_uplinks)}
        seen_id = {spec.uplink_id, *(o.uplink_id for o in spec.other_uplinks)}
        others = list(spec.other_uplinks)
        for c in self.candidates:
            if not c.hot or c.interface is None or c.interface == spec.lan_interface:
                continue
            if c.interface in seen_if or c.id in seen_id:
                continue
            seen_if.add(c.interface)
            seen_id.add(c.id)
            others.append(OtherUplink(interface=c.interface, uplink_id=c.id))
        if len(others) == len(spec.other_uplinks):
            return spec
        return dataclasses.replace(spec, other_uplinks=tuple(others))

    # -- pin -------------------------------------------------------------------------------------
    @property
    def pin(self) -> str | None:
        return self.store.get_meta(PIN_KEY) or None

    def use(self, uplink_id: str) -> Candidate:
        """Pin ``uplink_id``: it wins over every rule while present."""
        cand = next((c for c in self.candidates if c.id == uplink_id), None)
        if cand is None:
            known = [c.id for c in self.candidates]
            raise SimspotValueError(
                field="id",
                msg_id="uplink.service.unknown" if known else "uplink.service.unknown-none",
                params={"field": "id", "id": repr(uplink_id), "candidates": known},
            )
        if not cand.selectable:
            raise SimspotValueError(
                field="id",
                msg_id="uplink.service.not-selectable",
                params={"field": "id", "label": cand.label, "label_zh": cand.label_zh},
            )
        self.store.set_meta(PIN_KEY, uplink_id)
        self.daemon.bus.publish("uplink.pinned", {"id": uplink_id})
        self.wake.set()
        return cand

    def auto(self) -> None:
        self.store.set_meta(PIN_KEY, "")
        self.daemon.bus.publish("uplink.pinned", {"id": None})
        self.wake.set()

    # -- inputs ----------------------------------------------------------------------------------
    async def _refresh_profiles(self, now: float) -> None:
        card = self.card
        if card is None or card.busy or now - self._profiles_at < PROFILE_REFRESH_S:
            return
        self._profiles_at = now
        try:
            answer = await card.profiles()
        except SimspotError as exc:
            log.info("uplink: cannot list eSIM profiles now: %s", exc)
            return
        self._profiles = [p for p in answer.get("profiles", []) if isinstance(p, dict)]

    def profiles_changed(self) -> None:
        self._profiles_at = 0.0
        self.wake.set()

    def _tracker(self, cid: str) -> HealthTracker:
        t = self.trackers.get(cid)
        if t is None:
            t = self.trackers[cid] = HealthTracker(self.settings.fail_after, self.settings.up_after)
        return t

    def _schedule_probes(self, now: float) -> None:
        """One prober per hot link with an interface here; stopped when the link is not hot."""
        wanted = {
            c.id: c.interface
            for c in self.candidates
            if c.hot and c.interface is not None and self.link_io.link_up(c.interface)
        }
        for cid, (running_on, task) in list(self._probing.items()):
            if wanted.get(cid) != running_on or task.done():
                task.cancel()
                del self._probing[cid]
        for c in self.candidates:
            iface = wanted.get(c.id)
            if iface is not None and c.id not in self._probing:
                metered = c.cellular or c.metered
                task = asyncio.create_task(self._prober(c.id, iface, metered))
                self._probing[c.id] = (iface, task)

    async def _prober(self, cid: str, interface: str, metered: bool) -> None:
        """Probe rounds through one link, a burst every interval (``metered_interval_s`` on a
        metered link). While the link is suspect (a round unanswered after ``suspect_after_s``,
        or one failed) the burst's next rounds start ``failure_interval_s`` apart without
        waiting for the first to time out, at most ``fail_after`` rounds: a dead link is known
        in about one timeout instead of ``fail_after`` of them, and a healthy one costs no more
        than a round per interval. A link already down is probed at its interval, one round a
        time, until ``up_after`` rounds answer."""
        p = self.settings.probes
        cache: dict[str, str] = {}
        tracker = self._tracker(cid)
        every = p.metered_interval_s if metered else p.interval_s
        latency: list[float | None] = [None]  # smoothed latency of good rounds, seconds
        while True:
            t0 = time.monotonic()
            await self._burst(cid, interface, tracker, cache, latency)
            h = tracker.health
            if h.fails and h.state != "down":
                await asyncio.sleep(p.failure_interval_s)  # still suspect: probe on at once
            else:
                await asyncio.sleep(max(0.0, t0 + every - time.monotonic()))

    async def _burst(
        self,
        cid: str,
        interface: str,
        tracker: HealthTracker,
        cache: dict[str, str],
        latency: list[float | None],
    ) -> None:
        p = self.settings.probes
        most = 1 if tracker.health.state == "down" else self.settings.fail_after
        smooth = latency[0]
        late = min(p.timeout_s, max(p.suspect_after_s, 3 * smooth if smooth else 0.0))
        pending: set[asyncio.Task[Round]] = set()
        started, answered = 0, False
        next_at = time.monotonic()
        while True:
            now = time.monotonic()
            if not answered and started < most and now >= next_at:
                pending.add(asyncio.create_task(self.link_io.probe(interface, p, cache)))
                started += 1
                next_at = now + (late if started == 1 else p.failure_interval_s)
            if not pending:
                return
            more = not answered and started < most
            done, pending = await asyncio.wait(
                pending,
                timeout=max(0.0, next_at - time.monotonic()) if more else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in done:
                rnd = task.result()
                before = tracker.health.state
                after = tracker.observe(
                    rnd.ok,
                    self.clock(),
                    loss=rnd.loss,
                    latency_ms=rnd.latency_ms,
                    probe_bytes=rnd.bytes,
                    error=rnd.error,
                )
                if after.state != before:
                    self.wake.set()
                if rnd.ok:
                    answered = True
                    if rnd.latency_ms is not None:
                        x = rnd.latency_ms / 1000
                        latency[0] = x if latency[0] is None else 0.8 * latency[0] + 0.2 * x
                else:  # failed: the next round of the burst at once
                    next_at = min(next_at, time.monotonic() + p.failure_interval_s)

    def _link_changed(self, name: str, up: bool) -> None:
        """A kernel link event: decide now when it is one of the candidates' links."""
        if any(c.interface == name for c in self.candidates):
            log.info("uplink: link %s is %s", name, "up" if up else "down")
            self.wake.set()

    def _health(self) -> dict[str, Health]:
        return {cid: t.health for cid, t in self.trackers.items()}

    def gather(self, now: float) -> list[Candidate]:
        d = self.daemon
        facts = plan_facts(self.plans.statuses()) if self.plans is not None else {}
        legacy = (
            d.config.dataplane.uplink_interface
            if d.backends.chosen.get("modem") == "none"
            else None
        )
        cands = gather(
            self.settings,
            modem=d.live.modem,
            other_modems=d.live.other_modems,
            profiles=self._profiles,
            plans=facts,
            health=self._health(),
            link_up=self.link_io.link_up,
            bearer_interface=d.config.dataplane.uplink_interface,
            legacy_wan=legacy,
            wifi_states=self.wifi_states,
        )
        out = []
        for c in cands:
            until = self.failed_until.get(c.id, 0.0)
            if not c.hot and until > now:
                c = dataclasses.replace(
                    c,
                    health=Health(state="down", since=until - FAILED_COOLDOWN_S,
                                  fails=self.settings.fail_after, last_error="did not come up"),
                )  # fmt: skip
            out.append(c)
        return out

    # -- the loop --------------------------------------------------------------------------------
    async def step(self) -> Decision:
        if not self._watching:
            self._watching = True
            self._links.start()
        now = self.clock()
        await self._refresh_profiles(now)
        await self._refresh_wifi()
        self.candidates = self.gather(now)
        self._schedule_probes(now)
        if self.active is None and not self.decided:
            legacy = self.daemon.default_uplink()
            self.active = legacy[1] if legacy else None
        self._adopt_outside_switch()
        card_busy = bool(self.card is not None and self.card.busy)
        decision = decide(
            self.candidates,
            self.rules,
            current=self.active,
            history=list(self.history),
            now=now,
            pin=self.pin,
            card_busy=card_busy,
            wanted=self.last.wanted if self.last else None,
        )
        self.last = decision
        outcome: str | None = None
        if decision.switch and not self._switching:
            outcome = await self._execute(decision, now)
        self.decided = True
        self._log(decision, now, outcome)
        return decision

    def _adopt_outside_switch(self) -> None:
        """A slot switched outside the policy (`simspot sim switch`): the new slot is current."""
        cur = next((c for c in self.candidates if c.id == self.active), None)
        if cur is None or not cur.cellular or cur.hot or self._switching:
            return
        now_hot = next(
            (c for c in self.candidates if c.cellular and c.hot and c.modem == cur.modem), None
        )
        if now_hot is not None:
            log.info("uplink: %s became active outside the policy", now_hot.id)
            self.active = now_hot.id

    async def _execute(self, decision: Decision, now: float) -> str:
        by_id = {c.id: c for c in self.candidates}
        old = by_id.get(decision.current) if decision.current else None
        new = by_id.get(decision.chosen) if decision.chosen else None
        bus = self.daemon.bus
        self._switching = True
        try:
            if new is None:
                self.active = None
                how = "none"
                result = executor.Outcome(ok=True, steps=["no uplink"])
            elif new.hot:
                how = "hot"
                self.active = new.id  # the data plane follows Daemon.uplink() on its next pass
                result = await executor.hot_switch(
                    new.interface, old.interface if old else None, self.settings.route_metric
                )
            elif new.cold_via == "join":
                how = "join"
                result = await self._join(new)
                if result.ok:
                    self.active = new.id
                    hot = await executor.hot_switch(
                        new.interface, old.interface if old else None, self.settings.route_metric
                    )
                    result.steps += hot.steps
            else:
                how = "profile" if new.cold_via == "profile" else "slot"
                result = await self._cold(new)
                if result.ok:
                    self.active = new.id
                    route = await self._refreshed_route(new)
                    iface = route[0] if route else None
                    hot = await executor.hot_switch(
                        iface, old.interface if old else None, self.settings.route_metric
                    )
                    result.steps += hot.steps
        except SimspotError as exc:
            result = executor.Outcome(ok=False)
            result.failed_with(exc)
            how = "hot"
        finally:
            self._switching = False
        if not result.ok:
            target = decision.chosen or "-"
            self.failed_until[target] = now + FAILED_COOLDOWN_S
            self.history.append(Switch(now, decision.current, target, decision.forced))
            if result.why is None:
                result.failed("uplink.service.failed")
            bus.publish(
                "uplink.rolled-back",
                {
                    "target": target,
                    "back_to": decision.current,
                    "why": result.why,
                    "why_said": result.why_said,
                },
            )
            return f"rolled back: {result.why}; " + "; ".join(result.steps)
        if decision.chosen is not None:
            self.history.append(Switch(now, decision.current, decision.chosen, decision.forced))
        bus.publish(
            "uplink.switched",
            {
                "previous": decision.current,
                "to": decision.chosen,
                "how": how,
                "forced": decision.forced,
                "reason": decision.reason_en,
                "reason_zh": decision.reason_zh,
            },
        )
        return "; ".join(result.steps) or "switched"

    async def _refreshed_route(self, new: Candidate) -> tuple[str, str, str | None] | None:
        """Read the switched modem's status again (the data plane follows it) and its route."""
        d = self.daemon
        st = await d.modem_for(new.modem).status()
        if st is not None and d.live.modem is not None and st.id != d.live.modem.id:
            d.live.other_modems = tuple(st if m.id == st.id else m for m in d.live.other_modems)
        else:
            d.live.modem = st
        return self.route()

    async def _refresh_wifi(self) -> None:
        """Each Wi-Fi link's state, a second at most: a hung supplicant never holds the step."""

        async def one(link: WifiJoiner) -> WifiState:
            try:
                async with asyncio.timeout(WIFI_STATE_S):
                    return await link.state()
            except TimeoutError:
                return WifiState(False, False, False, error="no answer in time")

        if self.wifi:
            names = list(self.wifi)
            states = await asyncio.gather(*(one(self.wifi[n]) for n in names))
            self.wifi_states = dict(zip(names, states, strict=True))

    async def _join(self, new: Candidate) -> executor.Outcome:
        """Join a Wi-Fi link and verify it (``up_after`` good probe rounds through it) within
        ``cold_switch_timeout_s``; leave it again when it does not verify."""
        name = new.id.removeprefix("wifi:")
        link = self.wifi.get(name)
        out = executor.Outcome(ok=False)
        if link is None or new.interface is None:
            out.failed("uplink.service.not-joined", target=new.label, target_zh=new.label_zh)
            return out
        limit = self.settings.cold_switch_timeout_s
        deadline = time.monotonic() + limit
        if not await link.join(limit):
            out.failed(
                "uplink.service.no-association",
                target=new.label,
                target_zh=new.label_zh,
                seconds=limit,
            )
        else:
            out.steps.append(f"joined {new.label}")
            while time.monotonic() < deadline:
                if self.link_io.link_up(new.interface):
                    rounds = [
                        await self.link_io.probe(new.interface, self.settings.probes)
                        for _ in range(self.settings.up_after)
                    ]
                    if all(r.ok for r in rounds):
                        out.steps.append(f"{new.label} healthy")
                        out.ok = True
                        return out
                await asyncio.sleep(0.5)
            out.failed(
                "uplink.exec.not-healthy", target=new.label, target_zh=new.label_zh, seconds=limit
            )
        try:
            await link.leave()
            out.steps.append(f"left {new.label}")
        except SimspotError as exc:
            out.steps.append(f"leaving {new.label} failed: {exc}")
        return out

    async def _cold(self, new: Candidate) -> executor.Outcome:
        d = self.daemon

        async def verify(st: ModemStatus) -> bool:
            iface = d.config.dataplane.uplink_interface or (
                st.bearer.interface if st.bearer else None
            )
            if st.id != (d.live.modem.id if d.live.modem else st.id):
                iface = st.bearer.interface if st.bearer else None  # not the first modem
            if iface is None or not self.link_io.link_up(iface):
                return st.bearer is not None  # nothing to probe here
            for _ in range(self.settings.up_after):
                if not (await self.link_io.probe(iface, self.settings.probes)).ok:
                    return False
            return True

        return await executor.cold_switch(
            d.modem_for(new.modem),
            iccid=new.id,
            slot=new.slot,
            apn_for=d.config.modem.apn_for,
            limit_s=self.settings.cold_switch_timeout_s,
            verify=verify,
            card=self.card,
            profile=new.cold_via == "profile",
        )

    # -- the decision log ------------------------------------------------------------------------
    def _log(self, d: Decision, now: float, outcome: str | None) -> None:
        key = (d.chosen, d.current, d.rule, d.held_by, d.reason_en)
        if key == self._logged and outcome is None:
            return
        self._logged = key
        with self.store.lock:
            self.store.db.execute(
                "INSERT INTO uplink_decision (at, chosen, current, switch, forced, rule, held_by,"
                " reason_en, reason_zh, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, d.chosen, d.current, int(d.switch), int(d.forced), d.rule, d.held_by,
                 d.reason_en, d.reason_zh, outcome),
            )  # fmt: skip
            self.store.db.execute(
                "DELETE FROM uplink_decision WHERE id <= (SELECT MAX(id) FROM uplink_decision) - ?",
                (KEEP_DECISIONS,),
            )
        self.daemon.bus.publish(
            "uplink.decided",
            {"chosen": d.chosen, "current": d.current, "rule": d.rule, "held_by": d.held_by,
             "reason_en": d.reason_en, "reason_zh": d.reason_zh},
        )  # fmt: skip

    def history_rows(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.store.db.execute(
            "SELECT id, at, chosen, current, switch, forced, rule, held_by, reason_en, reason_zh,"
            " outcome FROM uplink_decision ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {"id": r[0], "at": r[1], "chosen": r[2], "current": r[3], "switch": bool(r[4]),
             "forced": bool(r[5]), "rule": r[6], "held_by": r[7],
             "reason": {"en": r[8], "zh": r[9]}, "outcome": r[10]}
            for r in rows
        ]  # fmt: skip

    def policy(self) -> dict[str, Any]:
        s = self.settings
        return json.loads(s.model_dump_json())  # type: ignore[no-any-return]

    async def close(self) -> None:
        self._links.close()
        for link in self.wifi.values():
            link.close()
        for _, task in list(self._probing.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._probing.clear()


class UplinkComponent:
    """Runs the service's step every ``uplink.interval_s`` and at once when woken."""

    name = "uplink-policy"

    def __init__(self, service: UplinkService) -> None:
        self.service = service

    async def run(self) -> None:
        svc = self.service
        bus = svc.daemon.bus
        queue = bus.subscribe()
        try:
            while True:
                await svc.step()
                svc.wake.clear()
                deadline = time.monotonic() + svc.settings.interval_s
                while (left := deadline - time.monotonic()) > 0 and not svc.wake.is_set():
                    # an event, or `wake` (a link's health or carrier changed, a pin)
                    getter = asyncio.ensure_future(queue.get())
                    woken = asyncio.ensure_future(svc.wake.wait())
                    done, _ = await asyncio.wait(
                        {getter, woken}, timeout=left, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in (getter, woken):
                        if not task.done():
                            await cancel_and_wait(task)
                    if getter not in done or getter.cancelled():
                        continue
                    ev = getter.result()
                    if ev.kind == "plan.switch-uplink":
                        break  # the plan's switch action: decide now (its plan is used up)
                    if ev.kind.startswith("esim.profile."):
                        svc.profiles_changed()
                        break
        finally:
            bus.unsubscribe(queue)

    async def close(self) -> None:
        await self.service.close()
