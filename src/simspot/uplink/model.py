"""Uplink candidates as plain data: what the policy reads and what the API shows.

A candidate is a way out with an identity: a SIM slot or an eSIM profile (by ICCID), a wired WAN
port (``wan:<interface>``) or a Wi-Fi client link (``wifi:<name>``). Everything here is frozen
data; gathering it (modem, card, plans, probes) lives in :mod:`simspot.uplink.candidates`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

CandidateKind = Literal["sim", "esim", "wired", "wifi"]
HealthState = Literal["up", "down", "unknown"]


@dataclass(frozen=True)
class PlanFacts:
    """The plan on a cellular candidate, as far as choosing an uplink is concerned."""

    name: str
    exhausted: bool = False  # used up, expired, or its kernel quota depleted
    expired: bool = False
    tethering_allowed: bool = True  # False: a tethering allowance of 0 bytes
    remaining_bytes: int | None = None  # None: no limit
    # Marginal price of one more GB: a per-GB price, 0 for a flat price per cycle, None unknown.
    price_per_gb: Decimal | None = None
    currency: str | None = None
    mccs: tuple[str, ...] = ()  # countries the plan is valid in (a travel plan), if it says
    # The plan's action at its limit: "switch" asks the uplink policy to leave it; "stop" and
    # "throttle" are done by plans (sharing stops or slows) and the uplink stays.
    action: str = "stop"

    @property
    def usable(self) -> bool:
        return not (self.exhausted or self.expired) and self.tethering_allowed


@dataclass(frozen=True)
class Health:
    """Probe results of one hot uplink, with the counts the hysteresis needs."""

    state: HealthState = "unknown"
    since: float = 0.0  # when ``state`` began (time.time())
    fails: int = 0  # failed probe rounds in a row
    oks: int = 0  # good probe rounds in a row
    ups: int = 0  # transitions to up / to down so far
    downs: int = 0
    loss: float | None = None  # share of the last probe round's probes that failed
    latency_ms: float | None = None
    probe_bytes: int = 0  # bytes the probes cost on this link so far
    last_error: str | None = None


@dataclass(frozen=True)
class Candidate:
    id: str  # ICCID, "wan:<interface>" or "wifi:<name>"
    kind: CandidateKind
    label: str  # for people: "SIM 1 (Simtel UK)", "eSIM 'Japan 10 GB'", "wired eth1"
    present: bool = True
    hot: bool = False  # up now: traffic can move to it in milliseconds
    # Cold candidates that can be brought up: "slot" (modem slot switch), "profile" (eSIM
    # enable), "join" (a Wi-Fi network in range that simspot joins itself) or None (not
    # reachable from here: a cable not plugged, a Wi-Fi link out of range or not joinable).
    cold_via: Literal["slot", "profile", "join"] | None = None
    registered: bool = False
    roaming: bool = False
    serving_mcc: str | None = None
    home_mcc: str | None = None
    signal_percent: int | None = None
    plan: PlanFacts | None = None
    health: Health = field(default_factory=Health)
    home_link: bool = False  # wired, or Wi-Fi marked home: preferred while healthy
    metered: bool = True
    interface: str | None = None
    ipv6_prefix: str | None = None
    modem: str | None = None
    slot: int | None = None
    # The label in Chinese where simspot made it ("有线 eth1"); None: the same as ``label``.
    label_zh: str | None = None

    @property
    def cellular(self) -> bool:
        return self.kind in ("sim", "esim")

    @property
    def selectable(self) -> bool:
        """Something can make this the uplink: it is up, or a slot/profile switch brings it up."""
        return self.present and (self.hot or self.cold_via is not None)

    def as_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "label_zh": self.label_zh or self.label,
            "present": self.present,
            "hot": self.hot,
            "cold_via": self.cold_via,
            "registered": self.registered,
            "roaming": self.roaming,
            "serving_mcc": self.serving_mcc,
            "home_mcc": self.home_mcc,
            "signal_percent": self.signal_percent,
            "home_link": self.home_link,
            "metered": self.metered,
            "interface": self.interface,
            "modem": self.modem,
            "slot": self.slot,
            "plan": None
            if plan is None
            else {
                "name": plan.name,
                "exhausted": plan.exhausted,
                "expired": plan.expired,
                "tethering_allowed": plan.tethering_allowed,
                "remaining_bytes": plan.remaining_bytes,
                "price_per_gb": None if plan.price_per_gb is None else str(plan.price_per_gb),
                "currency": plan.currency,
            },
            "health": {
                "state": self.health.state,
                "since": self.health.since,
                "fails": self.health.fails,
                "oks": self.health.oks,
                "ups": self.health.ups,
                "downs": self.health.downs,
                "loss": self.health.loss,
                "latency_ms": self.health.latency_ms,
                "probe_bytes": self.health.probe_bytes,
                "last_error": self.health.last_error,
            },
        }


class HealthTracker:
    """Probe rounds -> up/down with hysteresis: down after ``fail_after`` failed rounds in a row,
    up after ``up_after`` good ones. Pure: the time is given."""

    def __init__(self, fail_after: int, up_after: int) -> None:
        self.fail_after = fail_after
        self.up_after = up_after
        self.health = Health()

    def observe(
        self,
        ok: bool,
        now: float,
        *,
        loss: float | None = None,
        latency_ms: float | None = None,
        probe_bytes: int = 0,
        error: str | None = None,
    ) -> Health:
        h = self.health
        fails, oks = (0, h.oks + 1) if ok else (h.fails + 1, 0)
        state, since, ups, downs = h.state, h.since, h.ups, h.downs
        if ok and state != "up" and oks >= self.up_after:
            state, since, ups = "up", now, ups + 1
        elif not ok and state != "down" and fails >= self.fail_after:
            state, since, downs = "down", now, downs + 1
        self.health = Health(
            state=state,
            since=since,
            fails=fails,
            oks=oks,
            ups=ups,
            downs=downs,
            loss=loss,
            latency_ms=latency_ms,
            probe_bytes=h.probe_bytes + probe_bytes,
            last_error=None if ok else error,
        )
        return self.health
