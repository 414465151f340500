"""The ModemManager backend: modem, SIM slots, bearer, PIN and SMS over D-Bus (dbus-fast).

The backend keeps one snapshot of the modem that is re-read whenever ModemManager signals a
change (objects added or removed, properties changed, the service restarting) and at a slow
interval as a safety net, so ``status()`` is cheap and always current. Operations that change the
modem (slot switch, connect, PIN) are serialised behind one lock: the daemon is the modem's one
owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from dbus_fast import Message, Variant

from simspot.contracts import ApnSettings
from simspot.daemon.events import EventKind
from simspot.errors import SimspotValueError
from simspot.i18n import part
from simspot.model import BearerInfo, ModemStatus, PinResult, SimSlot, SmsMessage
from simspot.modem.bus import Bus, DBusAbsent, DBusCallError
from simspot.modem.defs import (
    _IP_TYPES,
    DBUS_NAME,
    MM_BEARER,
    MM_BUS_NAME,
    MM_MESSAGING,
    MM_MODEM,
    MM_MODEM_3GPP,
    MM_PATH,
    MM_SIGNAL,
    MM_SIM,
    MM_SIMPLE,
    MM_SMS,
    NO_OBJECT,
    OBJECT_MANAGER,
    BearerProps,
    MMModemLock,
    Modem3gppProps,
    ModemProps,
    SignalProps,
    SimProps,
    SmsProps,
    access_tech_name,
    ip_family,
    lock_name,
    mcc_of,
    modem_state_of,
    registration_of,
)
from simspot.modem.errors import ModemError, ModemUnavailable, PinRejected
from simspot.modem.pin import PinPolicy, check_pin_attempt, check_pin_format

log = logging.getLogger(__name__)

Listener = Callable[[EventKind, dict[str, Any]], object]

SIGNAL_RATE_S = 30  # how often ModemManager refreshes detailed signal values once asked


def apn_for(
    iccid: str | None, table: Mapping[str, ApnSettings], default: ApnSettings
) -> ApnSettings:
    """The APN settings of an uplink identity: its own entry, else the default."""
    if iccid is not None and iccid in table:
        return table[iccid]
    return default


def bearer_info(props: BearerProps, apn: str | None = None) -> BearerInfo | None:
    """The data plane's view of a connected bearer (None while it has no interface)."""
    if props.interface is None:
        return None
    prefix6 = None
    if props.ip6.address and props.ip6.prefix:
        with contextlib.suppress(ValueError):
            net = ipaddress.ip_interface(f"{props.ip6.address}/{props.ip6.prefix}").network
            prefix6 = str(net)
    return BearerInfo(
        interface=props.interface,
        ipv4_address=props.ip4.address,
        ipv4_prefix=props.ip4.prefix,
        ipv4_gateway=props.ip4.gateway,
        ipv6_prefix=prefix6,
        dns=props.ip4.dns + props.ip6.dns,
        apn=props.apn or apn,
        rx_bytes=props.rx_bytes,
        tx_bytes=props.tx_bytes,
    )


class ModemManagerBackend:
    """ModemBackend on ModemManager (``org.freedesktop.ModemManager1``).

    Several modems: this backend is the first (in the order of their device identifiers, which
    survive a re-probe, unlike object paths) and ``other_modems()`` (``contracts.HasOtherModems``)
    gives one backend for each other modem; they share this one's bus connection and are read
    on each of its refreshes.
    """

    def __init__(
        self,
        *,
        bus_address: str | None = None,
        apns: Mapping[str, ApnSettings] | None = None,
        default_apn: ApnSettings | None = None,
        pin_policy: PinPolicy | None = None,
        refresh_interval_s: float = 10.0,
        switch_timeout_s: float = 90.0,
        connect_timeout_s: float = 120.0,
        nth: int = 0,
    ) -> None:
        self._nth = nth  # which modem, in the order of their device identifiers
        self._count = 0  # modems seen in the last read
        self._children: list[ModemManagerBackend] = []
        self._bus = Bus(bus_address)
        self._apns = dict(apns or {})
        self._default_apn = default_apn
        self._pin_policy = pin_policy or PinPolicy()
        self._refresh_interval_s = refresh_interval_s
        self._switch_timeout_s = switch_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._snapshot: ModemStatus | None = None
        self.modem_path: str | None = None
        self.listeners: list[Listener] = []
        self._dirty = asyncio.Event()
        self._refreshed = asyncio.Condition()
        self._ops = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._signal_setup: set[str] = set()
        self._absence: Literal["no-bus", "no-manager", "no-modem"] | None = "no-bus"

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self._connect()
        await self._refresh()
        self._task = asyncio.create_task(self._keep_current(), name="modemmanager-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._bus.disconnect()

    async def _connect(self) -> None:
        await self._bus.connect()
        # Everything ModemManager signals, and its name changing owner (restart, crash).
        await self._bus.add_match(f"type='signal',sender='{MM_BUS_NAME}'")
        await self._bus.add_match(
            f"type='signal',sender='{DBUS_NAME}',member='NameOwnerChanged',arg0='{MM_BUS_NAME}'"
        )
        self._bus.on_signal(self._on_signal)

    def _on_signal(self, msg: Message) -> None:
        if msg.member == "NameOwnerChanged":
            _, old, new = msg.body
            kind: EventKind = "modem.manager-started" if new else "modem.manager-stopped"
            self._emit(kind, {"restarted": bool(old and new)})
        elif msg.member in ("InterfacesAdded", "InterfacesRemoved") and MM_MODEM in msg.body[1]:
            added = msg.member == "InterfacesAdded"
            self._emit("modem.added" if added else "modem.removed", {"path": msg.body[0]})
        elif msg.member == "Added" and msg.interface == MM_MESSAGING and msg.body[1]:
            # A text arrived from the network (carriers send usage warnings this way).
            self._emit("sms.received", {"id": str(msg.body[0]).rsplit("/", 1)[-1]})
        self._dirty.set()

    def _emit(self, kind: EventKind, data: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(kind, data)

    async def _keep_current(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._refresh_interval_s):
                    await self._dirty.wait()
            await asyncio.sleep(0.05)  # let a burst of signals settle into one re-read
            self._dirty.clear()
            try:
                if not self._bus.connected:
                    await self._connect()
                await self._refresh()
            except ModemError as exc:
                log.warning("modem re-read failed", extra={"error": str(exc)})
                if isinstance(exc, ModemUnavailable):  # the bus itself is gone: nothing is known
                    self.modem_path, self._snapshot = None, None
                    for child in self._children:
                        child.modem_path, child._snapshot = None, None
                    if not self._bus.connected:
                        self._absence = "no-bus"
                await asyncio.sleep(1.0)
                self._dirty.set()

    async def _refresh(self) -> None:
        try:
            path, snapshot = await self._read()
        except DBusAbsent:
            # An object vanished while it was being read (unplug, re-probe): signals follow.
            path, snapshot = self.modem_path, self._snapshot
            self._dirty.set()
        if path != self.modem_path:
            log.info("modem object changed", extra={"from": self.modem_path, "to": path})
        self.modem_path, self._snapshot = path, snapshot
        async with self._refreshed:
            self._refreshed.notify_all()
        if self._nth == 0:
            await self._refresh_others()

    async def _refresh_others(self) -> None:
        want = max(0, self._count - 1)
        while len(self._children) < want:
            child = ModemManagerBackend(
                apns=self._apns,
                default_apn=self._default_apn,
                pin_policy=self._pin_policy,
                refresh_interval_s=self._refresh_interval_s,
                switch_timeout_s=self._switch_timeout_s,
                connect_timeout_s=self._connect_timeout_s,
                nth=len(self._children) + 1,
            )
            # one connection and one watch for all: a child's wait asks this one to re-read
            child._bus, child._dirty, child._signal_setup = (
                self._bus,
                self._dirty,
                self._signal_setup,
            )
            self._children.append(child)
        del self._children[want:]
        for child in self._children:
            await child._refresh()

    def other_modems(self) -> list[ModemManagerBackend]:
        """The modems besides this one (``contracts.HasOtherModems``)."""
        return list(self._children)

    async def _wait_until(
        self, predicate: Callable[[], bool], timeout_s: float, what: dict[str, Any]
    ) -> None:
        """Wait for ``predicate``; ``what`` names the step as a catalogue message (``part``)."""

        async def wait() -> None:
            async with self._refreshed:
                while not predicate():
                    self._dirty.set()
                    await self._refreshed.wait()

        try:
            async with asyncio.timeout(timeout_s):
                await wait()
        except TimeoutError:
            raise ModemError(
                msg_id="modem.mm.wait-timeout",
                params={"what": [what], "seconds": f"{timeout_s:.0f}"},
            ) from None

    # -- reading -----------------------------------------------------------------------------
    async def _read(self) -> tuple[str | None, ModemStatus | None]:
        try:
            (objects,) = await self._bus.call(
                MM_BUS_NAME, MM_PATH, OBJECT_MANAGER, "GetManagedObjects"
            )
        except DBusAbsent:
            self._absence = "no-manager"
            return None, None  # ModemManager is not running
        modems = sorted(
            (p for p, ifaces in objects.items() if MM_MODEM in ifaces),
            key=lambda p: (str(objects[p][MM_MODEM].get("DeviceIdentifier") or ""), p),
        )
        self._count = len(modems)
        if len(modems) <= self._nth:
            self._absence = "no-modem"
            return None, None
        self._absence = None
        path = modems[self._nth]
        ifaces = objects[path]
        modem = ModemProps.parse(ifaces[MM_MODEM])
        g3 = Modem3gppProps.parse(ifaces.get(MM_MODEM_3GPP) or {})
        if MM_SIGNAL in ifaces:
            await self._setup_signal(path, ifaces[MM_SIGNAL])
        signal = SignalProps.parse(ifaces.get(MM_SIGNAL) or {})
        slots, active_sim = await self._read_slots(modem)
        bearer = await self._read_bearer(modem)
        home_mcc = mcc_of(active_sim.imsi) if active_sim else None
        current_mcc = mcc_of(g3.operator_code)
        registration = registration_of(g3.registration_state, home_mcc, current_mcc)
        state = modem_state_of(modem.state)
        if bearer is not None:
            state = "connected"
        registered = registration in ("home", "roaming")
        return path, ModemStatus(
            id=modem.device_identifier or path.rsplit("/", 1)[-1],
            manufacturer=modem.manufacturer,
            model=modem.model,
            imei=g3.imei or modem.equipment_identifier,
            state=state,
            signal_percent=modem.signal_quality,
            access_tech=access_tech_name(modem.access_technologies),
            operator_name=g3.operator_name if registered else None,
            operator_code=g3.operator_code if registered else None,
            registration=registration,
            home_mcc=home_mcc,
            current_mcc=current_mcc if registered else None,
            slots=slots,
            bearer=bearer,
            unlock_required=lock_name(modem.unlock_required),
            unlock_retries=modem.unlock_retries.get(modem.unlock_required),
            rsrp_dbm=signal.rsrp_dbm,
        )

    async def _setup_signal(self, path: str, props: dict[str, Any]) -> None:
        """Ask for detailed signal values (RSRP, SNR): ModemManager only polls them on request."""
        if path in self._signal_setup or int(props.get("Rate") or 0) > 0:
            return
        self._signal_setup.add(path)
        try:
            await self._mm(path, MM_SIGNAL, "Setup", "u", [SIGNAL_RATE_S])
        except DBusCallError as exc:  # not every modem can; the coarse SignalQuality remains
            log.info("detailed signal not available", extra={"error": str(exc)})

    async def _read_slots(self, modem: ModemProps) -> tuple[tuple[SimSlot, ...], SimProps | None]:
        multi = bool(modem.sim_slots)
        paths = modem.sim_slots if multi else ((modem.sim,) if modem.sim else ())
        slots: list[SimSlot] = []
        active_sim: SimProps | None = None
        for index, sim_path in enumerate(paths, 1):
            if sim_path == NO_OBJECT:
                slots.append(SimSlot(index=index, kind="physical", present=False, active=False))
                continue
            sim = SimProps.parse(await self._bus.get_all(MM_BUS_NAME, sim_path, MM_SIM))
            active = modem.primary_sim_slot == index if multi else True
            if active:
                active_sim = sim
            slots.append(
                SimSlot(
                    index=index,
                    kind="euicc" if sim.is_euicc else "physical",
                    present=True,
                    active=active,
                    iccid=sim.iccid,
                    imsi=sim.imsi,
                    operator_name=sim.operator_name,
                    operator_code=sim.operator_code,
                    eid=sim.eid,
                )
            )
        return tuple(slots), active_sim

    async def _read_bearer(self, modem: ModemProps) -> BearerInfo | None:
        for path in modem.bearers:
            props = BearerProps.parse(await self._bus.get_all(MM_BUS_NAME, path, MM_BEARER))
            if props.connected:
                return bearer_info(props)
        return None

    def _current(self) -> tuple[str, ModemStatus]:
        if self.modem_path is None or self._snapshot is None:
            raise ModemUnavailable(
                "no modem: ModemManager is not running or sees no modem", msg_id="modem.none"
            )
        return self.modem_path, self._snapshot

    # -- ModemBackend ------------------------------------------------------------------------
    async def status(self) -> ModemStatus | None:
        return self._snapshot

    def absence(self) -> Literal["no-bus", "no-manager", "no-modem"] | None:
        """Why ``status()`` is None (``contracts.ExplainsAbsence``)."""
        return None if self._snapshot is not None else self._absence

    async def set_primary_slot(self, slot: int) -> None:
        async with self._ops:
            path, snap = self._current()
            indexes = [s.index for s in snap.slots]
            if len(indexes) < 2:
                raise ModemError(
                    "this modem has a single SIM slot; there is nothing to switch",
                    msg_id="modem.single-slot",
                )
            target = next((s for s in snap.slots if s.index == slot), None)
            if target is None:
                raise ModemError(
                    f"no SIM slot {slot}; this modem has slots {indexes}",
                    msg_id="modem.no-slot",
                    params={"slot": slot, "slots": str(indexes)},
                )
            if not target.present:
                raise ModemError(
                    f"SIM slot {slot} is empty", msg_id="modem.slot-empty", params={"slot": slot}
                )
            if target.active:
                return
            await self._mm(path, MM_MODEM, "SetPrimarySimSlot", "u", [slot])

            # ModemManager re-probes the modem, which comes back under a new object path.
            def switched() -> bool:
                active = self._snapshot.active_slot() if self._snapshot else None
                return active is not None and active.index == slot

            await self._wait_until(
                switched, self._switch_timeout_s, part("modem.mm.switching", slot=slot)
            )

    async def connect(self, apn: ApnSettings) -> BearerInfo:
        async with self._ops:
            path, snap = self._current()
            active = snap.active_slot()
            chosen = apn_for(active.iccid if active else None, self._apns, self._default_apn or apn)
            if snap.bearer is not None and snap.bearer.apn == chosen.apn:
                return snap.bearer
            try:
                family = ip_family(chosen.ip_type)
            except ValueError:
                raise SimspotValueError(
                    msg_id="modem.mm.ip-type",
                    params={"choices": list(_IP_TYPES), "value": repr(chosen.ip_type)},
                ) from None
            props: dict[str, Variant] = {
                "apn": Variant("s", chosen.apn),
                "ip-type": Variant("u", int(family)),
            }
            if chosen.username:
                props["user"] = Variant("s", chosen.username)
            if chosen.password:
                props["password"] = Variant("s", chosen.password)
            (bearer_path,) = await self._mm(
                path, MM_SIMPLE, "Connect", "a{sv}", [props], timeout_s=self._connect_timeout_s
            )
            bearer = BearerProps.parse(await self._bus.get_all(MM_BUS_NAME, bearer_path, MM_BEARER))
            info = bearer_info(bearer, chosen.apn)
            if info is None:
                raise ModemError(
                    f"connected with APN {chosen.apn!r} but the bearer has no interface",
                    msg_id="modem.no-interface",
                    params={"apn": repr(chosen.apn)},
                )
            self._dirty.set()
            return info

    async def disconnect(self) -> None:
        async with self._ops:
            path, _ = self._current()
            await self._mm(path, MM_SIMPLE, "Disconnect", "o", [NO_OBJECT])
            self._dirty.set()

    async def unlock_pin(self, pin: str) -> PinResult:
        check_pin_format(pin)
        async with self._ops:
            path, _ = self._current()
            modem = await self._modem_props(path)
            if modem.unlock_required == MMModemLock.NONE:
                return PinResult(unlocked=True, unlock_required="none")
            if modem.unlock_required != MMModemLock.SIM_PIN:
                raise ModemError(
                    f"the SIM needs {lock_name(modem.unlock_required)}, which simspot does not "
                    "enter; use the operator's PUK with another tool",
                    msg_id="modem.puk",
                    params={"lock": lock_name(modem.unlock_required)},
                )
            check_pin_attempt(modem.unlock_retries.get(MMModemLock.SIM_PIN), self._pin_policy)
            if modem.sim is None:
                raise ModemUnavailable(
                    "the modem shows no SIM to unlock", msg_id="modem.no-sim-to-unlock"
                )
            try:
                await self._mm(modem.sim, MM_SIM, "SendPin", "s", [pin])
            except DBusCallError as exc:
                after = await self._modem_props(path)
                left = after.unlock_retries.get(after.unlock_required)
                if "IncorrectPassword" in exc.name or "IncorrectPin" in exc.name:
                    raise PinRejected(
                        f"the SIM rejected the PIN; {left if left is not None else 'unknown'} "
                        f"attempt(s) left for {lock_name(after.unlock_required)}",
                        left,
                        msg_id="modem.pin-rejected",
                        params={
                            "left": left if left is not None else "unknown",
                            "lock": lock_name(after.unlock_required),
                        },
                    ) from None
                raise
            self._dirty.set()
            try:
                after = await self._modem_props(path)
            except DBusAbsent:
                # ModemManager re-probes an unlocked modem: read the new object when it is back.
                def reprobed() -> bool:
                    return (
                        self._snapshot is not None and self._snapshot.unlock_required != "sim-pin"
                    )

                await self._wait_until(reprobed, self._switch_timeout_s, part("modem.mm.unlocking"))
                snap = self._snapshot
                required = snap.unlock_required if snap and snap.unlock_required else "unknown"
                return PinResult(
                    unlocked=required == "none",
                    unlock_required=required,
                    retries=snap.unlock_retries if snap else None,
                )
            return PinResult(
                unlocked=after.unlock_required == MMModemLock.NONE,
                unlock_required=lock_name(after.unlock_required),
                retries=after.unlock_retries.get(after.unlock_required),
            )

    async def messages(self) -> list[SmsMessage]:
        path, _ = self._current()
        (paths,) = await self._mm(path, MM_MESSAGING, "List")
        out: list[SmsMessage] = []
        for sms_path in paths:
            try:
                sms = SmsProps.parse(await self._bus.get_all(MM_BUS_NAME, sms_path, MM_SMS))
            except DBusAbsent:
                continue  # deleted meanwhile
            out.append(
                SmsMessage(
                    id=str(sms_path).rsplit("/", 1)[-1],
                    number=sms.number,
                    text=sms.text,
                    timestamp=sms.timestamp,
                    state=sms.state_name,
                )
            )
        return sorted(out, key=lambda m: (m.timestamp or "", m.id))

    # -- helpers -----------------------------------------------------------------------------
    async def _modem_props(self, path: str) -> ModemProps:
        return ModemProps.parse(await self._bus.get_all(MM_BUS_NAME, path, MM_MODEM))

    def _mm(
        self,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> Awaitable[list[Any]]:
        return self._bus.call(
            MM_BUS_NAME, path, interface, member, signature, body, timeout_s=timeout_s
        )
