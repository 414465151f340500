"""The hostapd backend against the real hostapd: process, control socket, station events.

This kernel has no mac80211_hwsim (no radio to simulate), so hostapd runs with its "wired" driver
on one end of a veth pair in a private network namespace: everything simspot does (render, start,
supervise, PING, ATTACH, STA-FIRST/STA-NEXT, AP-STA-CONNECTED/DISCONNECTED events) is the same
code path as on a radio. A station "associates" by sending an EAPOL-Start frame from the other
end, which makes hostapd add it to its station table and announce it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from simspot.hotspot.contract import ApConfig, ApError
from simspot.hotspot.hostapd import HostapdAp, parse_event, parse_sta
from simspot.hotspot.validate import HotspotValueError


@dataclass
class Veth:
    netns: str
    ap_side: str
    station_side: str


@pytest.fixture
def veth() -> Iterator[Veth]:
    tag = f"{os.getpid() % 100000}"
    v = Veth(f"simspot-hs{tag}", f"hsa{tag}", f"hsb{tag}")
    run = ["ip", "netns", "exec", v.netns, "ip", "link"]
    subprocess.run(["ip", "netns", "add", v.netns], check=True)
    try:
        subprocess.run(
            [*run, "add", v.ap_side, "type", "veth", "peer", "name", v.station_side], check=True
        )
        for dev in (v.ap_side, v.station_side):
            subprocess.run([*run, "set", dev, "up"], check=True)
        yield v
    finally:
        subprocess.run(["ip", "netns", "del", v.netns], check=False)


def associate(v: Veth, mac: str) -> None:
    """Send an EAPOL-Start from ``mac`` to the PAE group address on the station side."""
    frame = (
        bytes.fromhex("0180c2000003") + bytes.fromhex(mac.replace(":", "")) + b"\x88\x8e"
        + bytes([1, 1, 0, 0]) + bytes(42)
    )  # fmt: skip
    code = (
        "import socket,sys; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); "
        f"s.bind(({v.station_side!r}, 0)); s.send(bytes.fromhex(sys.argv[1]))"
    )
    subprocess.run(
        ["ip", "netns", "exec", v.netns, sys.executable, "-c", code, frame.hex()],
        check=True,
        timeout=30,
    )


def unescape_hostapd(text: str) -> bytes:
    """hostapd prints SSIDs printf-escaped (\\xNN, \\", \\\\)."""
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1] == "x":
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        elif text[i] == "\\":
            out += text[i + 1].encode()
            i += 2
        else:
            out += text[i].encode()
            i += 1
    return bytes(out)


@pytest.fixture
async def ap(tmp_path: Path, veth: Veth) -> AsyncIterator[tuple[HostapdAp, list[tuple[str, str]]]]:
    events: list[tuple[str, str]] = []
    backend = HostapdAp(
        tmp_path / "run",
        driver="wired",
        netns=veth.netns,
        on_event=lambda k, m: events.append((k, m)),
    )
    try:
        yield backend, events
    finally:
        await backend.down()


async def until(predicate, within_s: float = 15.0):  # type: ignore[no-untyped-def]
    for _ in range(int(within_s / 0.1)):
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_real_hostapd_runs_and_reports_stations(
    ap: tuple[HostapdAp, list[tuple[str, str]]], veth: Veth, tmp_path: Path
) -> None:
    backend, events = ap
    ssid = 'Caf\u00e9 ;"x\\y'
    await backend.up(ApConfig(interface=veth.ap_side, ssid=ssid, passphrase=None, security="open"))
    status = await backend.command("STATUS")
    assert "state=ENABLED" in status
    m = re.search(r"^ssid\[0\]=(.*)$", status, re.M)
    assert m and unescape_hostapd(m.group(1)) == ssid.encode()
    assert (tmp_path / "run" / "hostapd.conf").stat().st_mode & 0o077 == 0
    assert await backend.stations() == []

    macs = ["02:5e:00:11:22:33", "02:5e:00:44:55:66"]
    for mac in macs:
        associate(veth, mac)

    async def both() -> list[str]:
        st = await backend.stations() or []
        return sorted(s.mac for s in st) if len(st) == 2 else []

    assert await until(both) == macs

    async def connected_events() -> list[tuple[str, str]]:
        found = [e for e in events if e[0] == "connected"]
        return found if len(found) == 2 else []

    assert sorted(await until(connected_events, 10)) == [("connected", m) for m in macs]
    stations = await backend.stations() or []
    assert all(s.connected_since is not None for s in stations)

    assert (await backend.command(f"DEAUTHENTICATE {macs[0]}")).strip() == "OK"

    async def one_left() -> bool:
        return [s.mac for s in await backend.stations() or []] == [macs[1]]

    assert await until(one_left)

    async def disconnected() -> bool:
        return ("disconnected", macs[0]) in events

    assert await until(disconnected)
    await backend.check()

    # Same config: nothing restarts. A changed config: hostapd restarts with it.
    pid = backend._proc.pid if backend._proc else None
    await backend.up(ApConfig(interface=veth.ap_side, ssid=ssid, passphrase=None, security="open"))
    assert backend._proc is not None and backend._proc.pid == pid
    await backend.up(
        ApConfig(interface=veth.ap_side, ssid="second", passphrase=None, security="open")
    )
    assert backend._proc is not None and backend._proc.pid != pid
    assert "ssid[0]=second" in await backend.command("STATUS")

    # hostapd dies: check() says so (the supervisor then restarts the component).
    os.kill(backend._proc.pid, signal.SIGKILL)
    with pytest.raises(ApError, match="hostapd stopped"):
        await until(lambda: backend.check(), within_s=10)  # type: ignore[arg-type,return-value]
    await backend.down()
    assert not any((tmp_path / "run").glob("c*-*")), "client sockets left behind"


async def test_hostapd_refusing_to_start_is_an_error_with_its_output(
    ap: tuple[HostapdAp, list[tuple[str, str]]],
) -> None:
    backend, _ = ap
    with pytest.raises(ApError, match=r"hostapd exited .*while starting") as exc:
        await backend.up(
            ApConfig(interface="nosuchif0", ssid="x", passphrase=None, security="open")
        )
    assert "nosuchif0" in str(exc.value)
    await backend.check()  # down after the failure: nothing to report


async def test_injection_is_never_written(
    ap: tuple[HostapdAp, list[tuple[str, str]]], veth: Veth, tmp_path: Path
) -> None:
    backend, _ = ap
    for bad in (
        ApConfig(interface=veth.ap_side, ssid="x\nwpa=0", passphrase=None, security="open"),
        ApConfig(interface=veth.ap_side, ssid="x", passphrase="kx8Lq2vRt9Zm\nwpa=0"),
        ApConfig(interface=f"{veth.ap_side}\nx", ssid="x", passphrase=None, security="open"),
    ):
        with pytest.raises(HotspotValueError):
            await backend.up(bad)
        assert not (tmp_path / "run" / "hostapd.conf").exists()


def test_control_replies_parse() -> None:
    assert parse_sta("FAIL\n") is None and parse_sta("") is None
    assert parse_sta("02:00:00:00:00:01\nflags=[AUTHORIZED]\nsignal=-51\nconnected_time=12\n") == (
        "02:00:00:00:00:01",
        {"flags": "[AUTHORIZED]", "signal": "-51", "connected_time": "12"},
    )
    assert parse_event("<3>AP-STA-CONNECTED 02:00:00:00:00:01") == (
        "connected",
        "02:00:00:00:00:01",
    )
    assert parse_event("<3>AP-STA-DISCONNECTED 02:00:00:00:00:01") == (
        "disconnected",
        "02:00:00:00:00:01",
    )
    assert parse_event("<3>CTRL-EVENT-EAP-STARTED 02:00:00:00:00:01") is None


@pytest.mark.parametrize(
    ("security", "key_mgmt"),
    [("wpa2", "WPA-PSK"), ("wpa2-wpa3", "WPA-PSK SAE"), ("wpa3", "SAE")],
)
async def test_real_hostapd_runs_each_security_with_the_mac_lists(
    ap: tuple[HostapdAp, list[tuple[str, str]]], veth: Veth, security: str, key_mgmt: str
) -> None:
    backend, _ = ap
    conf = ApConfig(
        interface=veth.ap_side,
        ssid="secure",
        passphrase="kx8Lq2vRt9Zm",
        security=security,  # type: ignore[arg-type]
        mac_allow=("02:00:00:00:00:02",),
        mac_deny=("02:00:00:00:00:01",),
    )
    await backend.up(conf)
    got = dict(
        line.split("=", 1)
        for line in (await backend.command("GET_CONFIG")).splitlines()
        if "=" in line
    )
    assert (got["wpa"], got["key_mgmt"], got["rsn_pairwise_cipher"]) == ("2", key_mgmt, "CCMP")
    assert "02:00:00:00:00:01" in await backend.command("DENY_ACL SHOW")
    assert "02:00:00:00:00:02" in await backend.command("ACCEPT_ACL SHOW")
