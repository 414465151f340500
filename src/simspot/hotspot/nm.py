"""The NetworkManager backend: an 802-11-wireless connection in mode "ap", over D-Bus (dbus-fast).

simspot's data plane keeps doing DHCP, DNS, NAT and accounting, so the connection never uses
``ipv4.method shared`` (NetworkManager's own dnsmasq and NAT): IPv4 is ``manual`` with the LAN
address when one is configured, else ``disabled`` (the data plane adds its address); IPv6 is
``ignore`` so the data plane's RFC 7278 prefix stays its own. NetworkManager has no station table
on D-Bus, no per-AP MAC lists and no client limit: the DHCP leases are the stations and the data
plane enforces the lists. It cannot offer WPA2/WPA3 transition mode, so that choice is refused.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from simspot.hotspot import validate
from simspot.hotspot.contract import ApConfig, ApError, Station

NM = "org.freedesktop.NetworkManager"
NM_PATH = "/org/freedesktop/NetworkManager"
SETTINGS_PATH = "/org/freedesktop/NetworkManager/Settings"
IFACE_SETTINGS = "org.freedesktop.NetworkManager.Settings"
IFACE_CONNECTION = "org.freedesktop.NetworkManager.Settings.Connection"
IFACE_ACTIVE = "org.freedesktop.NetworkManager.Connection.Active"
PROPS = "org.freedesktop.DBus.Properties"
# NMActiveConnectionState
ACTIVATING, ACTIVATED, DEACTIVATING, DEACTIVATED = 1, 2, 3, 4
# NMSettingWirelessSecurityPmf: 1 disable, 2 optional, 3 required
_PMF = {"wpa2": 1, "wpa3": 3}
_KEY_MGMT = {"wpa2": "wpa-psk", "wpa3": "sae"}
CONNECTION_ID = "simspot hotspot"


def connection_settings(
    config: ApConfig, conn_uuid: str, ipv4_address: str | None
) -> dict[str, dict[str, Any]]:
    """The connection as NetworkManager's a{sa{sv}}, with plain Python values (see ``_variants``)."""
    from simspot.hotspot.render import check

    check(config)
    if config.security == "wpa2-wpa3":
        raise ApError(msg_id="hotspot.nm.transition")
    wifi: dict[str, Any] = {
        "ssid": ("ay", config.ssid.encode("utf-8")),
        "mode": ("s", "ap"),
        "band": ("s", "bg" if config.band == "2.4" else "a"),
        "channel": ("u", config.channel),
        "hidden": ("b", config.hidden),
        "ap-isolation": ("i", 1 if config.isolate_clients else 0),
    }
    out: dict[str, dict[str, Any]] = {
        "connection": {
            "id": ("s", CONNECTION_ID),
            "uuid": ("s", conn_uuid),
            "type": ("s", "802-11-wireless"),
            "interface-name": ("s", validate.interface(config.interface)),
            "autoconnect": ("b", False),
        },
        "802-11-wireless": wifi,
        "ipv6": {"method": ("s", "ignore")},
    }
    if ipv4_address is not None:
        address, prefix = validate.cidr4(ipv4_address, "nm_address").split("/")
        out["ipv4"] = {
            "method": ("s", "manual"),
            "address-data": ("aa{sv}", [{"address": ("s", address), "prefix": ("u", int(prefix))}]),
        }
    else:
        out["ipv4"] = {"method": ("s", "disabled")}
    if config.security != "open" and config.passphrase is not None:
        wifi["security"] = ("s", "802-11-wireless-security")
        out["802-11-wireless-security"] = {
            "key-mgmt": ("s", _KEY_MGMT[config.security]),
            "psk": ("s", config.passphrase),
            "proto": ("as", ["rsn"]),
            "pairwise": ("as", ["ccmp"]),
            "group": ("as", ["ccmp"]),
            "pmf": ("i", _PMF[config.security]),
        }
    return out


def _variants(value: Any) -> Any:
    from dbus_fast import Variant

    if isinstance(value, dict):
        return {k: _variants(v) for k, v in value.items()}
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        sig, inner = value
        if sig == "aa{sv}":
            inner = [{k: _variants(v) for k, v in d.items()} for d in inner]
        return Variant(sig, inner)
    return value


class NetworkManagerAp:
    kind = "networkmanager"
    mac_lists = False  # NetworkManager has none: the data plane blocks listed clients

    def __init__(
        self,
        interface: str,
        *,
        ipv4_address: str | None = None,
        bus_address: str | None = None,
        activate_timeout_s: float = 30.0,
    ) -> None:
        self.interface = interface
        self.ipv4_address = ipv4_address
        self.bus_address = bus_address
        self.activate_timeout_s = activate_timeout_s
        # One stable UUID per interface, so a restarted simspot finds and replaces its own profile.
        self.uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"simspot:hotspot:{interface}"))
        self._bus: Any = None
        self._connection: str | None = None
        self._active: str | None = None
        self.config: ApConfig | None = None

    async def _call(
        self, path: str, interface: str, member: str, sig: str = "", body: list[Any] | None = None
    ) -> list[Any]:
        from dbus_fast import BusType, Message, MessageType
        from dbus_fast.aio import MessageBus

        if self._bus is None:
            try:
                self._bus = await MessageBus(
                    bus_address=self.bus_address, bus_type=BusType.SYSTEM
                ).connect()
            except (OSError, ValueError) as exc:
                raise ApError(msg_id="hotspot.nm.unreachable", params={"error": str(exc)}) from None
        msg = Message(
            destination=NM, path=path, interface=interface, member=member,
            signature=sig, body=body or [],
        )  # fmt: skip
        reply = await self._bus.call(msg)
        if reply is None or reply.message_type == MessageType.ERROR:
            text = reply.body[0] if reply is not None and reply.body else ""
            name = reply.error_name if reply is not None else "no reply"
            raise NmError(member, str(name), str(text))
        return list(reply.body)

    async def _state(self, active: str) -> int:
        (value,) = await self._call(active, PROPS, "Get", "ss", [IFACE_ACTIVE, "State"])
        return int(value.value)

    async def up(self, config: ApConfig) -> None:
        settings = _variants(connection_settings(config, self.uuid, self.ipv4_address))
        if config == self.config and self._active is not None:
            return
        await self.down()
        try:
            (device,) = await self._call(NM_PATH, NM, "GetDeviceByIpIface", "s", [config.interface])
        except NmError as exc:
            raise ApError(
                msg_id="hotspot.nm.no-device",
                params={"interface": repr(config.interface), "text": exc.text},
            ) from None
        with_old = await self._find_own()
        if with_old is not None:
            await self._call(with_old, IFACE_CONNECTION, "Delete")
        (self._connection,) = await self._call(
            SETTINGS_PATH, IFACE_SETTINGS, "AddConnection", "a{sa{sv}}", [settings]
        )
        (self._active,) = await self._call(
            NM_PATH, NM, "ActivateConnection", "ooo", [self._connection, device, "/"]
        )
        self.config = config
        deadline = time.monotonic() + self.activate_timeout_s
        while (state := await self._state(self._active)) != ACTIVATED:
            if state in (DEACTIVATING, DEACTIVATED) or time.monotonic() > deadline:
                await self.down()
                raise ApError(
                    msg_id="hotspot.nm.not-activated", params={"interface": config.interface}
                )
            await asyncio.sleep(0.2)

    async def _find_own(self) -> str | None:
        try:
            (path,) = await self._call(
                SETTINGS_PATH, IFACE_SETTINGS, "GetConnectionByUuid", "s", [self.uuid]
            )
        except NmError:
            return None
        return str(path)

    async def down(self) -> None:
        if self._bus is None:
            return
        active, self._active = self._active, None
        conn, self._connection = self._connection, None
        self.config = None
        if active is not None:
            try:
                await self._call(NM_PATH, NM, "DeactivateConnection", "o", [active])
            except NmError:
                pass  # already gone: what we wanted
        if conn is not None:
            try:
                await self._call(conn, IFACE_CONNECTION, "Delete")
            except NmError:
                pass  # deleted by someone else

    async def check(self) -> None:
        if self._active is None:
            return
        try:
            state = await self._state(self._active)
        except NmError:
            state = DEACTIVATED
        if state in (DEACTIVATING, DEACTIVATED):
            self._active = None
            self.config = None
            raise ApError(msg_id="hotspot.nm.deactivated", params={"interface": self.interface})

    async def stations(self) -> list[Station] | None:
        return None  # NetworkManager has no station table on D-Bus: the leases decide

    async def close(self) -> None:
        await self.down()
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None


class NmError(ApError):
    """A D-Bus call to NetworkManager answered an error (it names its sentence itself)."""

    def __init__(self, member: str, name: str, text: str) -> None:
        super().__init__(
            msg_id="hotspot.nm.call-failed",
            params={"member": member, "name": name, "text": text},
        )
        self.name, self.text = name, text
