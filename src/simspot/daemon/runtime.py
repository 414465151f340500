"""The daemon's runtime: backends chosen by name, components supervised, the live state kept.

``Daemon`` is what every capability plugs into: it holds the config, the store, the event bus,
the supervisor, the backends and the latest snapshots that the API serves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import importlib.util
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from simspot import __version__
from simspot.config import Config
from simspot.contracts import BatteryBackend, ModemBackend, StationSource
from simspot.daemon.auth import Auth
from simspot.daemon.events import EventBus
from simspot.daemon.supervisor import Component, Supervisor
from simspot.dataplane.contract import DataPlane, DataplaneSpec
from simspot.model import BatteryStatus, ClientInfo, ModemStatus, SharingState, Status
from simspot.store import Store

log = logging.getLogger(__name__)

# Capabilities plug into the daemon here: each module has `install(daemon)`, called at start before
# the supervisor starts and before the API is built, to add its components and API routers.
CAPABILITIES: tuple[str, ...] = (
    "simspot.dataplane.capability",
    "simspot.hotspot.capability",
    "simspot.modem.capability",
    "simspot.plans.capability",
    "simspot.esim.capability",
)


@dataclass
class Backends:
    modem: ModemBackend
    battery: BatteryBackend | None
    stations: StationSource
    dataplane: DataPlane
    extra: dict[str, Any] = field(default_factory=dict)
    # Components the backends need supervised (e.g. the simulated world's clock).
    components: list[Component] = field(default_factory=list)


@dataclass
class LiveState:
    modem: ModemStatus | None = None
    battery: BatteryStatus | None = None
    clients: tuple[ClientInfo, ...] = ()


class SharingSwitch:
    """Whether the hotspot shares the uplink: on unless some reason holds it off.

    Reasons are short names ("user", "battery", "idle", "plan"); the battery guard, the idle timer,
    plan enforcement and the user each add or clear their own, so one clearing does not override
    another. The AP backend and the data plane follow ``enabled``.
    """

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.reasons: dict[str, str] = {}

    @property
    def enabled(self) -> bool:
        return not self.reasons

    def hold(self, reason: str, why: str) -> None:
        if reason not in self.reasons:
            was = self.enabled
            self.reasons[reason] = why
            self._bus.publish("sharing.held", {"reason": reason, "why": why, "was_on": was})

    def release(self, reason: str) -> None:
        if self.reasons.pop(reason, None) is not None:
            self._bus.publish("sharing.released", {"reason": reason, "on": self.enabled})


class Daemon:
    def __init__(
        self,
        config: Config,
        backends: Backends,
        *,
        mode: Literal["demo", "live"] = "live",
    ) -> None:
        self.config = config
        self.mode: Literal["demo", "live"] = mode
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

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.store = Store(self.state_dir / "simspot.db")
        for backend in (self.backends.modem, self.backends.battery, self.backends.dataplane):
            if backend is not None:
                await backend.start()
                self._lifecycles.append(backend)
        for component in self.backends.components:
            self.supervisor.add(component)
        self.supervisor.add(ModemWatch(self))
        if self.backends.battery is not None:
            self.supervisor.add(BatteryWatch(self))
        self.supervisor.add(ClientWatch(self))
        self.supervisor.add(Uplink(self))
        from simspot.dataplane.sharing import Sharing

        self.supervisor.add(Sharing(self))
        for name in CAPABILITIES:
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name).install(self)
        self.supervisor.start()
        self.bus.publish("daemon.started", {"mode": self.mode, "version": __version__})

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

    # -- views -------------------------------------------------------------------------------
    def uplink_iccid(self) -> str | None:
        modem = self.live.modem
        slot = modem.active_slot() if modem else None
        return slot.iccid if slot else None

    def status(self) -> Status:
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
            sharing=SharingState(enabled=self.sharing.enabled, reasons=dict(self.sharing.reasons)),
        )


class _Poller:
    """A component that refreshes one piece of live state at an interval."""

    name = "poller"
    interval_s = 2.0

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def poll(self) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        while True:
            await self.poll()
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        return None


class ModemWatch(_Poller):
    name = "modem"

    def __init__(self, daemon: Daemon) -> None:
        super().__init__(daemon)
        self.interval_s = min(daemon.config.modem.poll_interval_s, 2.0)

    async def poll(self) -> None:
        before = self.daemon.live.modem
        now = await self.daemon.backends.modem.status()
        self.daemon.live.modem = now
        bus = self.daemon.bus
        if (before is None) != (now is None):
            bus.publish(
                "modem.present" if now else "modem.absent",
                {"id": now.id if now else before.id if before else None},
            )
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

    async def poll(self) -> None:
        assert self.daemon.backends.battery is not None
        self.daemon.live.battery = await self.daemon.backends.battery.status()


class ClientWatch(_Poller):
    """Joins the AP's stations with the data plane's counters into the client list."""

    name = "clients"

    async def poll(self) -> None:
        stations = await self.daemon.backends.stations.stations()
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


class Uplink(_Poller):
    """Keeps the cellular data connection up while the modem is registered."""

    name = "uplink"

    async def poll(self) -> None:
        modem = self.daemon.live.modem
        if modem is None or modem.state != "registered":
            return
        apn = self.daemon.config.modem.apn_for(self.daemon.uplink_iccid())
        bearer = await self.daemon.backends.modem.connect(apn)
        self.daemon.bus.publish(
            "uplink.connected", {"interface": bearer.interface, "apn": bearer.apn}
        )


__all__ = ["Backends", "Component", "Daemon"]
