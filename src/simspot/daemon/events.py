"""In-process event bus: components publish, the API's event stream and notifiers subscribe.

Every event kind simspot publishes is in one catalogue below: ``EventKind`` (for mypy: publishing
an unknown kind does not type-check) and ``PAYLOADS`` (the pydantic model of each kind's data).
A payload that does not fit its model is a bug in the publisher: with ``strict`` (the tests set
``SIMSPOT_STRICT_EVENTS=1``) ``publish`` raises ``EventPayloadError``; otherwise it logs the
problem once per kind and still delivers the event. To add a kind, add it to both and give it a
model; ``tests/test_events.py`` checks the source against the catalogue.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simspot.secrets import mask

log = logging.getLogger("simspot.events")

STRICT_ENV = "SIMSPOT_STRICT_EVENTS"

EventKind = Literal[
    "battery.low",
    "client.joined",
    "client.left",
    "component.failed",
    "daemon.started",
    "dataplane.address-conflict",
    "demo.scenario",
    "demo.seeded",
    "device.approved",
    "device.new",
    "device.unapproved",
    "esim.download.failed",
    "esim.download.progress",
    "esim.profile.deleted",
    "esim.profile.disabled",
    "esim.profile.enabled",
    "esim.profile.installed",
    "esim.ready",
    "esim.reset",
    "fleet.command",
    "fleet.command-done",
    "fleet.command-refused",
    "fleet.connected",
    "fleet.disconnected",
    "fleet.outbox-full",
    "fleet.refused",
    "guest.added",
    "guest.depleted",
    "guest.device",
    "guest.expired",
    "guest.extended",
    "guest.renewed",
    "guest.revoked",
    "hotspot.client-rule",
    "hotspot.down",
    "hotspot.settings",
    "hotspot.station-connected",
    "hotspot.station-disconnected",
    "hotspot.up",
    "modem.absent",
    "modem.unavailable",
    "modem.added",
    "modem.manager-started",
    "modem.manager-stopped",
    "modem.present",
    "modem.registration",
    "modem.removed",
    "modem.uplink",
    "notify.failed",
    "plan.added",
    "plan.corrected",
    "plan.deleted",
    "plan.edited",
    "plan.limit",
    "plan.switch-uplink",
    "plan.threshold",
    "sharing.held",
    "sharing.released",
    "sim.pin-rejected",
    "sim.switched",
    "sim.unlock-refused",
    "sim.unlocked",
    "sms.received",
    "uplink.connected",
    "uplink.decided",
    "uplink.pinned",
    "uplink.rolled-back",
    "uplink.switched",
    "usage.quota-depleted",
    "usage.reconciled",
]


class Payload(BaseModel):
    """Base of event payloads: plain data, nothing beyond what the model names."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Empty(Payload):
    pass


class Mac(Payload):
    mac: str


class BatteryLow(Payload):
    percent: float | None
    warn_percent: float


class ComponentFailed(Payload):
    component: str
    error: str
    restart_in_s: float
    error_said: dict[str, Any] | None = None  # the error by message id, when it has one


class DaemonStarted(Payload):
    mode: str
    version: str
    simulated: list[str] = []


class AddressConflict(Payload):
    """A client used an address bound to another client's MAC; the owner keeps it."""

    address: str
    owner: str
    claimant: str


class DeviceNew(Payload):
    """A MAC never seen before holds a lease (admitted: within the new-device rate)."""

    mac: str
    hostname: str | None
    vendor: str
    admitted: bool
    needs_approval: bool


class DemoSeeded(Payload):
    profile_installed: bool
    plans: int


class DemoScenario(Payload):
    """A step of the demo's scripted story (simspot.simulator.scenarios), in both languages."""

    scenario: str
    step: str
    say_en: str
    say_zh: str


class EsimReady(Payload):
    transport: str


class DownloadProgress(Payload):
    stage: str
    done: int
    total: int
    detail: str


class DownloadFailed(Payload):
    smdp_address: str
    error: str
    error_said: dict[str, Any] | None = None  # the error by message id, when it has one


class ProfileInstalled(Payload):
    iccid: str | None
    name: str | None


class ProfileChanged(Payload):
    profile: str  # the ICCID or ISD-P AID the user named


class ClientRule(Payload):
    mac: str
    blocked: bool
    rate_down_kbit: int | None
    rate_up_kbit: int | None


class FleetCommand(Payload):
    """A command from the fleet (simspot.fleet.report): received and allowed, now running."""

    id: str
    action: str


class FleetCommandRefused(Payload):
    """A command from the fleet that does not run: not allowed here, expired or malformed."""

    id: str
    action: str
    why: str
    why_said: dict[str, Any] | None = None  # the reason by message id, when it has one


class FleetCommandDone(Payload):
    """A fleet command's outcome; ``variant`` "failed" picks the sentence with the error."""

    id: str
    action: str
    ok: bool
    error: str = ""
    error_said: dict[str, Any] | None = None  # the error by message id, when it has one
    variant: Literal["failed"] | None = None


class FleetConnected(Payload):
    broker: str  # host:port


class FleetDisconnected(Payload):
    reason: str


class FleetOutboxFull(Payload):
    """The fleet outbox is full while the broker cannot be reached: usage waits in the ledger
    (``dropped`` 0), the oldest events or uplink decisions are dropped (``dropped`` of them)."""

    channel: str
    dropped: int


class FleetRefused(Payload):
    """The fleet server will never store these outbox rows (it said why); they were dropped."""

    channel: str
    rows: int
    reason: str


class GuestAdded(Payload):
    id: str
    name: str
    until: str  # ISO 8601, UTC
    allowance_bytes: int | None
    period: str


class GuestExtended(Payload):
    id: str
    name: str
    until: str
    allowance_bytes: int | None  # with this period's top-ups


class StationChange(Payload):
    """A station joined or left the Wi-Fi, with the guest pass whose key it used, if any.

    ``variant`` "guest" picks the sentence that names the pass (``event.<kind>.guest``).
    """

    mac: str
    key_id: str | None = None  # the per-person key the AP named (a guest pass's id)
    guest: str | None = None  # that pass's name
    variant: Literal["guest"] | None = None


class GuestRef(Payload):
    """A guest pass by id and name (revoked, ended, used up, renewed)."""

    id: str
    name: str


class GuestDevice(Payload):
    """A device joined with a pass's key: it is counted and limited under that pass."""

    id: str
    name: str
    mac: str


class HotspotDown(Payload):
    held_by: list[str]


class HotspotSettingsChanged(Payload):
    changed: list[str]


class HotspotUp(Payload):
    ssid: str
    security: str
    backend: str


class ModemPresence(Payload):
    id: str | None


class ModemWhy(Payload):
    """Why the modem cannot carry the uplink: the doctor's sentence in both languages."""

    reason: Literal["no-bus", "no-manager", "no-modem", "sim-locked"]
    why_en: str
    why_zh: str


class ModemObject(Payload):
    path: str  # the D-Bus object path ModemManager added or removed


class ManagerOwner(Payload):
    restarted: bool


class Registration(Payload):
    from_: str = Field(alias="from")
    to: str
    operator: str | None


class UplinkIccid(Payload):
    iccid: str | None


class NotifyFailed(Payload):
    to: str
    error: str
    error_said: dict[str, Any] | None = None  # the error by message id, when it has one


class PlanRef(Payload):
    id: int
    iccid: str
    plan: str


class PlanCorrected(Payload):
    id: int
    iccid: str
    used: int | str | None
    tethering_used: int | str | None


class PlanWarning(Payload):
    iccid: str
    plan: str
    cycle_start: str
    cycle_end: str
    message: str  # English; ``message_id`` and ``message_params`` render it in any language
    message_id: str | None = None
    message_params: dict[str, Any] | None = None


class PlanThreshold(PlanWarning):
    of: Literal["allowance", "tethering"]
    percent: int
    used_bytes: int
    allowance_bytes: int | None


class PlanLimit(PlanWarning):
    action: Literal["stop", "throttle", "switch"]
    used_bytes: int


class PlanSwitchUplink(PlanWarning):
    reason: str


class SharingHeld(Payload):
    reason: str
    why: str
    was_on: bool
    why_said: dict[str, Any] | None = None  # the reason by message id, when it has one


class SharingReleased(Payload):
    reason: str
    on: bool


class PinRejected(Payload):
    retries: int | None


class SlotSwitched(Payload):
    slot: int


class UnlockRefused(Payload):
    modem: str
    why: str
    why_said: dict[str, Any] | None = None  # the reason by message id, when it has one


class Unlocked(Payload):
    modem: str | None = None  # the automatic unlock names the modem; the API's does not
    unlocked: bool


class SmsReceived(Payload):
    id: str


class UplinkConnected(Payload):
    interface: str
    apn: str | None


class UplinkDecided(Payload):
    """The uplink policy's decision changed (simspot.uplink.policy)."""

    chosen: str | None
    current: str | None
    rule: str
    held_by: str | None
    reason_en: str
    reason_zh: str


class UplinkPinned(Payload):
    id: str | None  # None: back to automatic


class UplinkSwitched(Payload):
    previous: str | None
    to: str | None
    how: Literal["hot", "slot", "profile", "join", "none"]
    forced: bool
    reason: str  # the policy's sentence in English
    reason_zh: str = ""  # and in Chinese


class UplinkRolledBack(Payload):
    target: str
    back_to: str | None
    why: str
    why_said: dict[str, Any] | None = None  # the reason by message id, when it has one


class QuotaDepleted(Payload):
    uplink: str


class Reconciled(Payload):
    bytes: int
    counter_resets: int


PAYLOADS: dict[str, type[Payload]] = {
    "battery.low": BatteryLow,
    "client.joined": Mac,
    "client.left": Mac,
    "component.failed": ComponentFailed,
    "daemon.started": DaemonStarted,
    "dataplane.address-conflict": AddressConflict,
    "demo.scenario": DemoScenario,
    "demo.seeded": DemoSeeded,
    "device.approved": Mac,
    "device.new": DeviceNew,
    "device.unapproved": Mac,
    "esim.download.failed": DownloadFailed,
    "esim.download.progress": DownloadProgress,
    "esim.profile.deleted": ProfileChanged,
    "esim.profile.disabled": ProfileChanged,
    "esim.profile.enabled": ProfileChanged,
    "esim.profile.installed": ProfileInstalled,
    "esim.ready": EsimReady,
    "esim.reset": Empty,
    "fleet.command": FleetCommand,
    "fleet.command-done": FleetCommandDone,
    "fleet.command-refused": FleetCommandRefused,
    "fleet.connected": FleetConnected,
    "fleet.disconnected": FleetDisconnected,
    "fleet.outbox-full": FleetOutboxFull,
    "fleet.refused": FleetRefused,
    "guest.added": GuestAdded,
    "guest.depleted": GuestRef,
    "guest.device": GuestDevice,
    "guest.expired": GuestRef,
    "guest.extended": GuestExtended,
    "guest.renewed": GuestRef,
    "guest.revoked": GuestRef,
    "hotspot.client-rule": ClientRule,
    "hotspot.down": HotspotDown,
    "hotspot.settings": HotspotSettingsChanged,
    "hotspot.station-connected": StationChange,
    "hotspot.station-disconnected": StationChange,
    "hotspot.up": HotspotUp,
    "modem.absent": ModemPresence,
    "modem.unavailable": ModemWhy,
    "modem.added": ModemObject,
    "modem.manager-started": ManagerOwner,
    "modem.manager-stopped": ManagerOwner,
    "modem.present": ModemPresence,
    "modem.registration": Registration,
    "modem.removed": ModemObject,
    "modem.uplink": UplinkIccid,
    "notify.failed": NotifyFailed,
    "plan.added": PlanRef,
    "plan.corrected": PlanCorrected,
    "plan.deleted": PlanRef,
    "plan.edited": PlanRef,
    "plan.limit": PlanLimit,
    "plan.switch-uplink": PlanSwitchUplink,
    "plan.threshold": PlanThreshold,
    "sharing.held": SharingHeld,
    "sharing.released": SharingReleased,
    "sim.pin-rejected": PinRejected,
    "sim.switched": SlotSwitched,
    "sim.unlock-refused": UnlockRefused,
    "sim.unlocked": Unlocked,
    "sms.received": SmsReceived,
    "uplink.connected": UplinkConnected,
    "uplink.decided": UplinkDecided,
    "uplink.pinned": UplinkPinned,
    "uplink.rolled-back": UplinkRolledBack,
    "uplink.switched": UplinkSwitched,
    "usage.quota-depleted": QuotaDepleted,
    "usage.reconciled": Reconciled,
}

KINDS: frozenset[str] = frozenset(get_args(EventKind))
if KINDS != set(PAYLOADS):  # one catalogue: the Literal and the models name the same kinds
    raise RuntimeError(f"event catalogue out of step: {sorted(KINDS ^ set(PAYLOADS))}")


class EventPayloadError(TypeError):
    """An event published with a kind outside the catalogue or data that does not fit its model."""


def check_payload(kind: str, data: Mapping[str, Any]) -> None:
    """Raise ``EventPayloadError`` unless ``data`` fits the model of ``kind``."""
    model = PAYLOADS.get(kind)
    if model is None:
        raise EventPayloadError(f"event kind {kind!r} is not in the catalogue (daemon/events.py)")
    try:
        model.model_validate(dict(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(data)'}: {e['msg']}" for e in exc.errors()
        )
        raise EventPayloadError(
            f"event {kind}: payload does not fit its model: {problems}"
        ) from None


@dataclass(frozen=True)
class Event:
    id: int
    ts: float
    kind: EventKind
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "ts": self.ts, "kind": self.kind, "data": mask(self.data)}


class EventBus:
    """Fan-out to subscribers; a slow subscriber loses its oldest events, never blocks publishers.

    ``strict`` (default: ``$SIMSPOT_STRICT_EVENTS`` is ``1``) makes a payload that does not fit
    its model raise; otherwise it is logged once per kind and the event is still delivered.
    """

    def __init__(
        self, history: int = 200, queue_size: int = 1000, strict: bool | None = None
    ) -> None:
        self._ids = itertools.count(1)
        self._subs: set[asyncio.Queue[Event]] = set()
        self._history: deque[Event] = deque(maxlen=history)
        self._queue_size = queue_size
        self.strict = os.environ.get(STRICT_ENV) == "1" if strict is None else strict
        self._misfits: set[str] = set()  # kinds already reported as not fitting their model

    def publish(self, kind: EventKind, data: Mapping[str, Any] | None = None) -> Event:
        payload = dict(data or {})
        try:
            check_payload(kind, payload)
        except EventPayloadError as exc:
            if self.strict:
                raise
            if kind not in self._misfits:
                self._misfits.add(kind)
                log.error("%s (reported once per kind)", exc)
        ev = Event(next(self._ids), time.time(), kind, payload)
        self._history.append(ev)
        log.info(kind, extra={"event": mask(ev.data)})
        for q in list(self._subs):
            if q.full():
                q.get_nowait()
            q.put_nowait(ev)
        return ev

    def recent(self) -> list[Event]:
        return list(self._history)

    def subscribe(self) -> asyncio.Queue[Event]:
        q: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._subs.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[Event]) -> None:
        self._subs.discard(q)
