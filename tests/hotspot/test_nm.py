"""The NetworkManager backend against python-dbusmock's networkmanager template on a private bus."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus

from simspot.hotspot.contract import ApConfig, ApError
from simspot.hotspot.nm import NM, NM_PATH, NetworkManagerAp
from tests.dbusbus import private_bus, spawn_dbusmock, wait_for_name

MOCK = "org.freedesktop.DBus.Mock"
DEVICE_STATE_DISCONNECTED = 30


@pytest.fixture
def nm_bus() -> Iterator[str]:
    """A private dbus-daemon with the networkmanager mock on it; yields the bus address."""
    with private_bus("simspot-nm") as (address, tmp):
        log = tmp / "mock.log"
        mock = spawn_dbusmock(address, "networkmanager", log, "--system")
        try:
            wait_for_name(address, NM, mock, log)
            yield address
        finally:
            mock.terminate()
            mock.wait(10)


class Peer:
    """The test's own connection to the private bus, to set up and inspect the mock."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus

    async def call(
        self, path: str, iface: str, member: str, sig: str = "", body: list[Any] | None = None
    ) -> list[Any]:
        reply = await self.bus.call(
            Message(
                destination=NM,
                path=path,
                interface=iface,
                member=member,
                signature=sig,
                body=body or [],
            )
        )
        assert reply is not None
        if reply.message_type == MessageType.ERROR:
            raise RuntimeError(f"{member}: {reply.error_name} {reply.body}")
        return list(reply.body)

    async def prop(self, path: str, iface: str, name: str) -> Any:
        (v,) = await self.call(path, "org.freedesktop.DBus.Properties", "Get", "ss", [iface, name])
        return v.value

    async def connections(self) -> list[str]:
        return list(
            await self.prop(
                "/org/freedesktop/NetworkManager/Settings",
                "org.freedesktop.NetworkManager.Settings",
                "Connections",
            )
        )

    async def settings(self, path: str) -> dict[str, dict[str, Any]]:
        (raw,) = await self.call(
            path, "org.freedesktop.NetworkManager.Settings.Connection", "GetSettings"
        )
        return {k: {kk: vv.value for kk, vv in v.items()} for k, v in raw.items()}


@pytest.fixture
async def peer(nm_bus: str) -> AsyncIterator[Peer]:
    bus = await MessageBus(bus_address=nm_bus).connect()
    p = Peer(bus)
    await p.call(
        NM_PATH, MOCK, "AddWiFiDevice", "ssi", ["wlan0dev", "wlan0", DEVICE_STATE_DISCONNECTED]
    )
    try:
        yield p
    finally:
        bus.disconnect()


CONF = ApConfig(interface="wlan0", ssid="Caf\u00e9 hotspot", passphrase="kx8Lq2vRt9Zm", security="wpa3",
                band="5", channel=36, country="DE", hidden=True, isolate_clients=True)  # fmt: skip


async def test_up_creates_an_ap_connection_without_shared_ipv4(nm_bus: str, peer: Peer) -> None:
    ap = NetworkManagerAp("wlan0", bus_address=nm_bus)
    try:
        await ap.up(CONF)
        (conn,) = await peer.connections()
        s = await peer.settings(conn)
        assert s["connection"]["type"] == "802-11-wireless"
        assert (
            s["connection"]["interface-name"] == "wlan0" and s["connection"]["autoconnect"] is False
        )
        wifi = s["802-11-wireless"]
        assert wifi["mode"] == "ap" and bytes(wifi["ssid"]) == CONF.ssid.encode()
        assert (wifi["band"], wifi["channel"], wifi["hidden"], wifi["ap-isolation"]) == (
            "a",
            36,
            True,
            1,
        )
        sec = s["802-11-wireless-security"]
        assert (sec["key-mgmt"], sec["psk"], sec["pmf"]) == ("sae", "kx8Lq2vRt9Zm", 3)
        assert s["ipv4"]["method"] == "disabled" and s["ipv6"]["method"] == "ignore"
        active = await peer.prop(NM_PATH, NM, "ActiveConnections")
        assert len(active) == 1
        assert (
            await peer.prop(active[0], "org.freedesktop.NetworkManager.Connection.Active", "State")
            == 2
        )
        await ap.check()
        assert await ap.stations() is None  # the leases decide

        # The same network again: nothing changes. A new one: the profile is replaced.
        await ap.up(CONF)
        assert await peer.connections() == [conn]
        await ap.up(
            ApConfig(interface="wlan0", ssid="second", passphrase="kx8Lq2vRt9Zm", security="wpa2")
        )
        (conn2,) = await peer.connections()
        s2 = await peer.settings(conn2)
        assert bytes(s2["802-11-wireless"]["ssid"]) == b"second"
        assert (
            s2["802-11-wireless-security"]["key-mgmt"],
            s2["802-11-wireless-security"]["pmf"],
        ) == ("wpa-psk", 1)

        # Someone else deactivates it: check() reports the AP gone.
        (active,) = await peer.prop(NM_PATH, NM, "ActiveConnections")
        await peer.call(NM_PATH, NM, "DeactivateConnection", "o", [active])
        with pytest.raises(ApError, match="deactivated"):
            await ap.check()
        await ap.down()
        assert await peer.connections() == []
    finally:
        await ap.close()


async def test_down_removes_profile_and_activation(nm_bus: str, peer: Peer) -> None:
    ap = NetworkManagerAp("wlan0", bus_address=nm_bus, ipv4_address="192.168.44.1/24")
    try:
        await ap.up(ApConfig(interface="wlan0", ssid="open one", passphrase=None, security="open"))
        (conn,) = await peer.connections()
        s = await peer.settings(conn)
        assert "802-11-wireless-security" not in s and "security" not in s["802-11-wireless"]
        assert s["ipv4"]["method"] == "manual"
        assert [{k: v.value for k, v in a.items()} for a in s["ipv4"]["address-data"]] == [
            {"address": "192.168.44.1", "prefix": 24}
        ]
        await ap.down()
        assert await peer.connections() == []
        assert await peer.prop(NM_PATH, NM, "ActiveConnections") == []
        await ap.down()  # idempotent
    finally:
        await ap.close()


async def test_refusals(nm_bus: str, peer: Peer) -> None:
    ap = NetworkManagerAp("wlan9", bus_address=nm_bus)
    try:
        with pytest.raises(ApError, match="no device 'wlan9'"):
            await ap.up(
                ApConfig(interface="wlan9", ssid="x", passphrase="kx8Lq2vRt9Zm", security="wpa2")
            )
        with pytest.raises(ApError, match="transition mode"):
            await ap.up(ApConfig(interface="wlan0", ssid="x", passphrase="kx8Lq2vRt9Zm"))
        assert await peer.connections() == []
    finally:
        await ap.close()


async def test_no_bus_is_an_ap_error(tmp_path: Path) -> None:
    ap = NetworkManagerAp("wlan0", bus_address=f"unix:path={tmp_path}/nothing")
    with pytest.raises(ApError, match="bus"):
        await ap.up(
            ApConfig(interface="wlan0", ssid="x", passphrase="kx8Lq2vRt9Zm", security="wpa2")
        )
