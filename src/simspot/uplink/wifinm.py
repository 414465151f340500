"""A Wi-Fi uplink joined through NetworkManager (D-Bus), for boxes where NetworkManager owns the
Wi-Fi interface (then wpa_supplicant is NetworkManager's, not ours to drive).

The link's state comes from its device (``GetDeviceByIpIface``): the access points it sees with
our SSID (present, strength), and whether the device is activated on one of them (associated).
Joining activates simspot's connection for the link (``connection.id`` ``simspot-<name>``) on
the strongest access point with our SSID, or adds it (``AddAndActivateConnection``): SSID as
bytes, the PSK as 64 hex digits (never the passphrase). Leaving deactivates it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from dbus_fast import Variant

from simspot.errors import SimspotError
from simspot.modem.bus import Bus
from simspot.uplink.wifi import WifiNetwork, WifiState

NM = "org.freedesktop.NetworkManager"
NM_PATH = "/org/freedesktop/NetworkManager"
SETTINGS_PATH = "/org/freedesktop/NetworkManager/Settings"
IFACE_DEVICE = "org.freedesktop.NetworkManager.Device"
IFACE_WIRELESS = "org.freedesktop.NetworkManager.Device.Wireless"
IFACE_AP = "org.freedesktop.NetworkManager.AccessPoint"
IFACE_ACTIVE = "org.freedesktop.NetworkManager.Connection.Active"
IFACE_SETTINGS = "org.freedesktop.NetworkManager.Settings"
IFACE_CONNECTION = "org.freedesktop.NetworkManager.Settings.Connection"
DEVICE_ACTIVATED = 100


class NetworkManagerLink:
    def __init__(self, net: WifiNetwork, interface: str, bus_address: str | None = None) -> None:
        self.net = net
        self.interface = interface
        self.bus = Bus(bus_address, timeout_s=10.0)
        self.uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"simspot:uplink:wifi:{net.name}"))

    async def _call(
        self, path: str, iface: str, member: str, sig: str = "", body: list[Any] | None = None
    ) -> list[Any]:
        if not self.bus.connected:
            await self.bus.connect()
        return await self.bus.call(NM, path, iface, member, sig, body)

    async def _prop(self, path: str, iface: str, name: str) -> Any:
        (value,) = await self._call(
            path, "org.freedesktop.DBus.Properties", "Get", "ss", [iface, name]
        )
        return value

    async def _device(self) -> str:
        (dev,) = await self._call(NM_PATH, NM, "GetDeviceByIpIface", "s", [self.interface])
        return str(dev)

    async def _ours(self, dev: str) -> list[tuple[int, str]]:
        """(strength, path) of the access points the device sees with our SSID, best first."""
        (aps,) = await self._call(dev, IFACE_WIRELESS, "GetAllAccessPoints")
        out = []
        for ap in aps:
            props = await self.bus.get_all(NM, str(ap), IFACE_AP)
            if bytes(props.get("Ssid", b"")) == self.net.ssid:
                out.append((int(props.get("Strength", 0)), str(ap)))
        return sorted(out, reverse=True)

    async def state(self) -> WifiState:
        try:
            dev = await self._device()
            ours = await self._ours(dev)
            dev_state = int(await self._prop(dev, IFACE_DEVICE, "State"))
            active = str(await self._prop(dev, IFACE_DEVICE, "ActiveConnection"))
            associated = False
            signal = ours[0][0] if ours else None
            if dev_state == DEVICE_ACTIVATED and active != "/":
                ap = str(await self._prop(active, IFACE_ACTIVE, "SpecificObject"))
                hit = next((s for s, path in ours if path == ap), None)
                associated = hit is not None
                signal = hit if hit is not None else signal
        except SimspotError as exc:
            return WifiState(reachable=False, present=False, associated=False, error=str(exc))
        return WifiState(
            reachable=True,
            present=bool(ours) or associated,
            associated=associated,
            signal_percent=signal,
            wpa_state="activated" if dev_state == DEVICE_ACTIVATED else str(dev_state),
        )

    def settings(self) -> dict[str, dict[str, Variant]]:
        return {
            "connection": {
                "id": Variant("s", self.net.id_str),
                "uuid": Variant("s", self.uuid),
                "type": Variant("s", "802-11-wireless"),
                "autoconnect": Variant("b", False),
            },
            "802-11-wireless": {
                "ssid": Variant("ay", self.net.ssid),
                "mode": Variant("s", "infrastructure"),
            },
            "802-11-wireless-security": {
                "key-mgmt": Variant("s", "wpa-psk"),
                "psk": Variant("s", self.net.psk),
            },
        }

    async def _connection(self) -> str | None:
        try:
            (path,) = await self._call(
                SETTINGS_PATH, IFACE_SETTINGS, "GetConnectionByUuid", "s", [self.uuid]
            )
        except SimspotError:
            return None
        return str(path)

    async def join(self, limit_s: float, poll_s: float = 0.5) -> bool:
        dev = await self._device()
        ours = await self._ours(dev)
        ap = ours[0][1] if ours else "/"
        conn = await self._connection()
        if conn is None:
            await self._call(
                NM_PATH, NM, "AddAndActivateConnection", "a{sa{sv}}oo", [self.settings(), dev, ap]
            )
        else:
            await self._call(NM_PATH, NM, "ActivateConnection", "ooo", [conn, dev, ap])
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if (await self.state()).associated:
                return True
            await asyncio.sleep(poll_s)
        return False

    def close(self) -> None:
        self.bus.disconnect()

    async def leave(self) -> None:
        dev = await self._device()
        active = str(await self._prop(dev, IFACE_DEVICE, "ActiveConnection"))
        if active != "/":
            await self._call(NM_PATH, NM, "DeactivateConnection", "o", [active])
