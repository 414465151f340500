"""The daemon's runtime: backends chosen by name, components supervised, the live state kept.

``Daemon`` is what every capability plugs into: it holds the config, the store, the event bus,
the supervisor, the backends and the latest snapshots that the API serves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from simspot import __version__
from simspot.config import Config
from simspot.contracts import BatteryBackend, ExplainsAbsence, HasOtherModems, ModemBackend
from simspot.daemon import capabilities as caps
from simspot.daemon.auth import Auth
from simspot.daemon.events import EventBus
from simspot.daemon.supervisor import Component, Supervisor
from simspot.daemon.why import why_not_sharing
from simspot.dataplane.contract import DataPlane, DataplaneSpec
from simspot.hotspot.clients import HotspotStations
from simspot.hotspot.contract import AccessPoint
from simspot.i18n import Message, part, render
from simspot.model import BatteryStatus, ClientInfo, ModemStatus, SharingState, Status
from simspot.registry import Kind
from simspot.store import Store

if TYPE_CHECKING:
    from simspot.esim.cards import CardBackend

log = logging.getLogger(__name__)
T = TypeVar("T")

# The capabilities every daemon installs; each module declares `CAPABILITY` (what it provides,
# needs and wants), and the daemon installs them in dependency order (simspot.daemon.capabilities).
CAPABILITIES: tuple[str, ...] = (
    "simspot.dataplane.capability",
    "simspot.plans.capability",
    "simspot.hotspot.capability",
    "simspot.modem.capability",
    "simspot.esim.capability",
    "simspot.uplink.capability",
    "simspot.daemon.metrics",
    "simspot.fleet.capability",
)


@dataclass
class Backends:
    """The hardware-facing parts, one per kind, built by ``simspot.daemon.build``."""

    modem: ModemBackend
    battery: BatteryBackend | None
    dataplane: DataPlane
    access_point: AccessPoint
    card: CardBackend
    chosen: dict[Kind, str] = field(default_factory=dict)  # kind -> backend name
    simulate: bool = False  # the daemon runs with the simulator (`demo`, `serve --simulate`)
    # Components the backends need supervised (the simulated world's clock).
    components: list[Component] = field(default_factory=list)
    # Capabilities the backends bring (the simulator's demo seeding).
    capabilities: list[caps.Capability] = field(default_factory=list)


@dataclass
class LiveState:
    modem: ModemStatus | None = None
    # Why the modem cannot carry the uplink (ModemManager not running, no modem, SIM locked).
    modem_why: Message | None = None
    battery: BatteryStatus | None = None
    clients: tuple[ClientInfo, ...] = ()
    # The modems besides the first (a backend driving several: ``contracts.HasOtherModems``).
    other_modems: tuple[ModemStatus, ...] = ()


class SharingSwitch:
    """Whether the hotspot shares the uplink: on unless some reason holds it off.

    Reasons are short names ("user", "battery", "idle", "plan"); the battery guard, the idle timer,
    plan enforcement and the user each add or clear their own, so one clearing does not override
    another. The AP backend and the data plane follow ``enabled``.
    """

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.reasons: dict[str, str] = {}
        self.said: dict[str, dict[str, Any]] = {}  # reason -> its why by id (``part``)

    @property
    def enabled(self) -> bool:
        return not self.reasons

    def hold(self, reason: str, msg_id: str, **params: Any) -> None:
        """Hold sharing for ``reason``; why, in a sentence of the catalogue (``sharing.why.*``)."""
        if reason not in self.reasons:
            was = self.enabled
            why = render(msg_id, params)
            self.reasons[reason] = why
            self.said[reason] = part(msg_id, **params)
            self._bus.publish(
                "sharing.held",
                {"reason": reason, "why": why, "why_said": part(msg_id, **params), "was_on": was},
            )

    def release(self, reason: str) -> None:
        self.said.pop(reason, None)
        if self.reasons.pop(reason, None) is not None:
            self._bus.publish("sharing.released", {"reason": reason, "on": self.enabled})


class Daemon:
    def __init__(self, config: Config, backends: Backends) -> None:
        self.config = config
        # "demo": the simulator runs (some backends are simulated); "live": real backends only.
        self.mode: Literal["demo", "live"] = "demo" if backends.simulate else "live"
        self.state_dir = config.daemon.state_dir
        self.backends = backends
        self.bus = EventBus()
        self.supervisor = Supervisor(
            self.bus, config.daemon.restart_backoff_s, config.daemon.restart_backoff_max_s
        )
        self.auth = Auth(self.state_dir)
        self.store: Store | None = None
        self.live = LiveState()
        self.started_at = dt.datetime.now(dt.UTC)
        self._t0 = time.monotonic()
        self._lifecycles: list[Any] = []
        self.routers: list[Any] = []  # FastAPI routers capabilities add (see simspot.daemon.api)
        # Capabilities adjust the data plane's wanted state (plans: quotas; hotspot: block, caps).
        self.spec_hooks: list[Callable[[DataplaneSpec], DataplaneSpec]] = []
        self.sharing = SharingSwitch(self.bus)
        # Who is on the hotspot: the AP's station table joined with the data plane's leases.
        self.stations = HotspotStations(backends.access_point, backends.dataplane.leases())
        from simspot.daemon.build import simulated_keys

        self.simulated = simulated_keys(backends.chosen)
        self.admin_lan: tuple[str, str] | None = None  # (HTTPS URL, fingerprint): server.py
        self.services = caps.Services()  # filled at start by the installed capabilities
        self._backend_ready: dict[str, asyncio.Event] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.store = Store(self.state_dir / "simspot.db")
        # One failure policy for every backend: one that cannot start (no system D-Bus, a tool
        # missing, a foreign table) never stops the daemon; its start is retried under the
        # supervisor (reported once with its sentence, then quietly with backoff) and the parts
        # that read it wait for it (``backend_ready``).
        kinds: tuple[tuple[Kind, Any], ...] = (
            ("modem", self.backends.modem),
            ("battery", self.backends.battery),
            ("dataplane", self.backends.dataplane),
        )
        for kind, backend in kinds:
            if backend is not None:
                await self._start_backend(kind, backend)
        for component in self.backends.components:
            self.supervisor.add(component)
        self.supervisor.add(ModemWatch(self))
        if self.backends.battery is not None:
            self.supervisor.add(BatteryWatch(self))
        self.supervisor.add(ClientWatch(self))
        self.supervisor.add(Uplink(self))
        from simspot.dataplane.sharing import Sharing

        self.supervisor.add(Sharing(self))
        declared = [*caps.load(CAPABILITIES), *self.backends.capabilities]
        self.services = caps.install(self, declared)
        self.supervisor.start()
        if self.simulated:
            log.warning("SIMULATED: the built-in simulator runs %s", ", ".join(self.simulated))
        self.bus.publish(
            "daemon.started",
            {"mode": self.mode, "version": __version__, "simulated": list(self.simulated)},
        )

    async def _start_backend(self, kind: Kind, backend: Any) -> None:
        """Start ``backend`` now; if it cannot start, a supervised ``BackendStart`` retries."""
        try:
            await backend.start()
        except Exception as exc:  # the policy's boundary: reported and retried, never fatal
            self.supervisor.add(BackendStart(self, kind, backend, first_error=exc))
        else:
            self._lifecycles.append(backend)
            self._ready(kind).set()

    def _ready(self, kind: str) -> asyncio.Event:
        return self._backend_ready.setdefault(kind, asyncio.Event())

    async def backend_ready(self, kind: str) -> None:
        """Wait until the backend of ``kind`` has started (at once when it started with the
        daemon; a kind without a backend never is)."""
        await self._ready(kind).wait()

    async def stop(self) -> None:
        await self.supervisor.stop()
        for backend in reversed(self._lifecycles):
            try:
                await asyncio.wait_for(backend.stop(), 5)
            except Exception as exc:  # keep stopping the others; report it
                log.error(
                    "backend did not stop cleanly",
                    extra={"backend": type(backend).__name__, "error": str(exc)},
                )
        self._lifecycles.clear()
        if self.store is not None:
            self.store.close()
            self.store = None

    def service(self, key: caps.Key[T]) -> T:
        """A service an installed capability provides (tools and tests; capabilities declare)."""
        found = self.services.get(key)
        if found is None:
            raise KeyError(key.name)
        return found

    # -- views -------------------------------------------------------------------------------
    def other_modems(self) -> Sequence[ModemBackend]:
        """The modems besides the first, when the modem backend drives several."""
        modem = self.backends.modem
        return modem.other_modems() if isinstance(modem, HasOtherModems) else ()

    def modem_for(self, modem_id: str | None) -> ModemBackend:
        """The backend of the modem whose status has ``modem_id`` (else the first modem)."""
        for status, backend in zip(self.live.other_modems, self.other_modems(), strict=False):
            if status.id == modem_id:
                return backend
        return self.backends.modem

    def first_modem_iccid(self) -> str | None:
        """The ICCID of the first modem's active SIM slot, whatever uplink is in use: what that
        modem's own bearer is connected with (its APN) and what the diagnostics say about it."""
        modem = self.live.modem
        slot = modem.active_slot() if modem else None
        return slot.iccid if slot else None

    def uplink_iccid(self) -> str | None:
        """The ICCID of the uplink in use (``uplink()``): the SIM or eSIM profile the uplink
        policy chose, on whichever modem it is; None when the uplink is wired or Wi-Fi, or when
        there is none. The plan that is enforced and that clients and guests are counted
        against is this ICCID's."""
        up = self.uplink()
        if up is None:
            return None
        for modem in (self.live.modem, *self.live.other_modems):
            slot = modem.active_slot() if modem else None
            if slot is not None and slot.iccid == up[1]:
                return up[1]
        return None

    def uplink_id(self) -> str | None:
        """The identity usage is billed to now (an ICCID, ``wan:<interface>`` or a Wi-Fi id);
        None without an uplink (the ledger then bills the uplink whose counter grew)."""
        up = self.uplink()
        return up[1] if up else None

    def uplink(self) -> tuple[str, str, str | None] | None:
        """The way out now: (interface, uplink id, IPv6 prefix), or None when there is none.

        The uplink policy's choice once it has decided (``simspot.uplink``); before that, the
        modem's bearer, identified by the active SIM's ICCID; without a modem, the configured
        ``dataplane.uplink_interface`` as a wired uplink (id ``wan:<interface>``).
        """
        from simspot.services import UPLINK_CHOICE

        choice = self.services.get(UPLINK_CHOICE)
        if choice is not None and choice.deciding:
            return choice.route()
        return self.default_uplink()

    def default_uplink(self) -> tuple[str, str, str | None] | None:
        """The way out without the uplink policy: the active slot's bearer, else the wired WAN."""
        modem = self.live.modem
        iface = self.config.dataplane.uplink_interface
        if modem is not None:
            iccid = self.first_modem_iccid()
            if modem.bearer is None or iccid is None:
                return None
            return (iface or modem.bearer.interface, iccid, modem.bearer.ipv6_prefix)
        if self.backends.chosen.get("modem") == "none" and iface:
            return (iface, f"wan:{iface}", None)
        return None

    def status(self) -> Status:
        why = why_not_sharing(self)
        return Status(
            version=__version__,
            mode=self.mode,
            started_at=self.started_at,
            uptime_s=round(time.monotonic() - self._t0, 1),
            modem=self.live.modem,
            battery=self.live.battery,
            clients=self.live.clients,
            uplink_iccid=self.uplink_iccid(),
            components=self.supervisor.health(),
            sharing=SharingState(
                enabled=self.sharing.enabled,
                reasons=dict(self.sharing.reasons),
                reasons_said=dict(self.sharing.said),
            ),
            simulated=self.simulated,
            not_sharing=why[0] if why else None,
            not_sharing_message=why[1].as_json() if why and why[1] else None,
            admin_lan_url=self.admin_lan[0] if self.admin_lan else None,
            admin_lan_fingerprint=self.admin_lan[1] if self.admin_lan else None,
        )


class BackendStart:
    """Starts a backend that could not start with the daemon, under the supervisor's failure
    policy: its error (the doctor's sentence, e.g. "cannot connect to D-Bus ...") is reported
    once, then the start is retried quietly with backoff until it works; from then on the
    backend is the daemon's like any other (stopped with it) and whatever waited for it runs.
    """

    def __init__(
        self, daemon: Daemon, kind: Kind, backend: Any, first_error: Exception | None = None
    ) -> None:
        self.name = f"{kind}-backend"
        self.kind = kind
        self.daemon = daemon
        self.backend = backend
        self.started = False
        self._first = first_error
        self.error: Exception | None = first_error  # the last failure (status names its cause)

    async def run(self) -> None:
        if not self.started:
            if self._first is not None:  # the failure at the daemon's start, reported here
                first, self._first = self._first, None
                raise first
            try:
                await self.backend.start()
            except Exception as exc:
                self.error = exc
                raise
            self.started, self.error = True, None
            self.daemon._lifecycles.append(self.backend)
            self.daemon._ready(self.kind).set()
            log.info("the %s backend started", self.kind)
        await asyncio.Event().wait()  # nothing more to do until the daemon stops

    async def close(self) -> None:
        return None


class _Poller:
    """A component that refreshes one piece of live state at an interval (once the backend it
    reads, ``backend_kind``, has started)."""

    name = "poller"
    interval_s = 2.0
    backend_kind: str | None = None

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def poll(self) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        if self.backend_kind is not None:
            await self.daemon.backend_ready(self.backend_kind)
        while True:
            await self.poll()
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        return None


class ModemWatch(_Poller):
    name = "modem"
    backend_kind = "modem"

    def __init__(self, daemon: Daemon) -> None:
        super().__init__(daemon)
        self.interval_s = min(daemon.config.modem.poll_interval_s, 2.0)

    async def poll(self) -> None:
        before = self.daemon.live.modem
        now = await self.daemon.backends.modem.status()
        self.daemon.live.modem = now
        bus = self.daemon.bus
        why = modem_unavailable(self.daemon.backends.modem, now)
        if why != self.daemon.live.modem_why:
            self.daemon.live.modem_why = why
            if why is not None:  # once per cause: the same sentence as the doctor's
                reason = why.id.rsplit(".", 1)[-1]
                bus.publish(
                    "modem.unavailable",
                    {"reason": reason, "why_en": why.text("en"), "why_zh": why.text("zh")},
                )
        if (before is None) != (now is None):
            bus.publish(
                "modem.present" if now else "modem.absent",
                {"id": now.id if now else before.id if before else None},
            )
        others = self.daemon.other_modems()
        if others or self.daemon.live.other_modems:
            statuses = [await m.status() for m in others]
            self.daemon.live.other_modems = tuple(st for st in statuses if st is not None)
        if before and now:
            if before.registration != now.registration:
                bus.publish(
                    "modem.registration",
                    {
                        "from": before.registration,
                        "to": now.registration,
                        "operator": now.operator_name,
                    },
                )
            b_slot, n_slot = before.active_slot(), now.active_slot()
            if (b_slot and b_slot.iccid) != (n_slot and n_slot.iccid):
                bus.publish("modem.uplink", {"iccid": n_slot.iccid if n_slot else None})


class BatteryWatch(_Poller):
    name = "battery"
    interval_s = 5.0
    backend_kind = "battery"

    async def poll(self) -> None:
        assert self.daemon.backends.battery is not None
        self.daemon.live.battery = await self.daemon.backends.battery.status()


class ClientWatch(_Poller):
    """Joins the AP's stations with the data plane's counters into the client list."""

    name = "clients"
    backend_kind = "dataplane"

    async def poll(self) -> None:
        stations = await self.daemon.stations.stations()
        counters = await self.daemon.backends.dataplane.counters()
        before = {c.mac for c in self.daemon.live.clients}
        out = []
        for st in stations:
            cc = counters.clients.get(st.mac)
            out.append(
                st.model_copy(update={"rx_bytes": cc.rx_bytes, "tx_bytes": cc.tx_bytes})
                if cc
                else st
            )
        self.daemon.live.clients = tuple(out)
        now = {c.mac for c in out}
        for mac in sorted(now - before):
            self.daemon.bus.publish("client.joined", {"mac": mac})
        for mac in sorted(before - now):
            self.daemon.bus.publish("client.left", {"mac": mac})


def modem_unavailable(backend: ModemBackend, now: ModemStatus | None) -> Message | None:
    """Why the modem cannot carry the uplink, as the doctor says it (ids ``modem.why.*``):
    the modem service not running, running without a modem, or a locked SIM; None otherwise."""
    if now is None:
        absence = backend.absence() if isinstance(backend, ExplainsAbsence) else None
        return Message(f"modem.why.{absence}") if absence else None
    lock = now.unlock_required
    if lock and lock != "none":
        left = now.unlock_retries
        return Message("modem.why.sim-locked", {"lock": lock, "retries": left})
    return None


class Uplink(_Poller):
    """Keeps the cellular data connection up while the modem is registered."""

    name = "uplink"

    async def poll(self) -> None:
        modem = self.daemon.live.modem
        if modem is not None and modem.state == "registered":
            # the first modem's bearer, with the APN of its own active SIM (not the uplink's)
            await self._connect(self.daemon.backends.modem, self.daemon.first_modem_iccid())
        await self._connect_others()

    async def _connect(self, backend: ModemBackend, iccid: str | None) -> None:
        bearer = await backend.connect(self.daemon.config.modem.apn_for(iccid))
        self.daemon.bus.publish(
            "uplink.connected", {"interface": bearer.interface, "apn": bearer.apn}
        )

    async def _connect_others(self) -> None:
        """The other modems' bearers stay up too: hot standby links for the uplink policy."""
        d = self.daemon
        for status, backend in zip(d.live.other_modems, d.other_modems(), strict=False):
            if status.state == "registered":
                slot = status.active_slot()
                await self._connect(backend, slot.iccid if slot else None)


__all__ = ["Backends", "Component", "Daemon"]
