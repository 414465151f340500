"""Wi-Fi client links simspot joins itself. No radio here (no mac80211_hwsim on this kernel), so
what can run for real does: the rendered configuration read back by the real wpa_supplicant
(started on a veth with the wired driver, its control socket in a temp dir), simspot driving that
supplicant over its control socket (status, add network, select, leave), NetworkManager's D-Bus
API in python-dbusmock, the candidate a link's state makes, and bad input refused by name."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus
from pydantic import ValidationError

from simspot.errors import SimspotValueError
from simspot.uplink.candidates import gather
from simspot.uplink.settings import UplinkSettings
from simspot.uplink.wifi import (
    WifiState,
    WpaCtrl,
    WpaSupplicantLink,
    check_passphrase,
    check_ssid,
    decode_ssid,
    joiners,
    network,
    psk_hex,
    read_psk,
    render_config,
)
from simspot.uplink.wifinm import NM, NM_PATH, NetworkManagerLink
from tests.dbusbus import private_bus, spawn_dbusmock, wait_for_name

SSID = 'Hotel "Grand" 酒店 \\ x'


# -- input -----------------------------------------------------------------------------------------
def test_psk_is_the_ieee_80211i_derivation() -> None:
    # IEEE 802.11i-2004, H.4.3: passphrase "password", SSID "IEEE"
    assert psk_hex(b"IEEE", "password") == (
        "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"
    )
    assert psk_hex(b"x", "ab" * 32) == "ab" * 32  # a PSK given as 64 hex digits is kept


@pytest.mark.parametrize("ssid", ["bad\nssid", "tab\there", "bell\x07", "del\x7f", "c1\x85"])
def test_ssids_with_control_characters_are_refused_by_name(ssid: str) -> None:
    with pytest.raises(SimspotValueError, match="ssid: contains a control character"):
        check_ssid(ssid)
    with pytest.raises(ValidationError) as info:
        UplinkSettings.model_validate(
            {"wifi": [{"name": "hotel", "interface": "wlan1", "ssid": ssid}]}
        )
    assert "wifi.0.ssid" in str(info.value) and "control character" in str(info.value)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [("short", "must be 8-63 characters"), ("pass\nword1", "control character"),
     ("pässwörd-long", "printable ASCII"), ("x" * 64, "must be 8-63 characters")],
)  # fmt: skip
def test_bad_passphrases_are_refused_naming_the_field(secret: str, problem: str) -> None:
    with pytest.raises(SimspotValueError, match=f"psk: .*{problem}"):
        check_passphrase(secret)


def test_the_secret_file_is_read_without_its_newline_and_never_echoed(tmp_path: Path) -> None:
    f = tmp_path / "psk"
    f.write_text("correct horse battery\n")
    assert read_psk(f) == "correct horse battery"
    f.write_text("sh\x00rt-secret-value\n")
    with pytest.raises(SimspotValueError) as info:
        read_psk(f, "uplink.wifi[0].psk_file")
    assert "uplink.wifi[0].psk_file" in str(info.value) and "secret" not in str(info.value)
    with pytest.raises(SimspotValueError, match="cannot read"):
        read_psk(tmp_path / "missing")
    with pytest.raises(ValidationError, match="psk_file needs the ssid"):
        UplinkSettings.model_validate(
            {"wifi": [{"name": "hotel", "interface": "wlan1", "psk_file": str(f)}]}
        )


def test_a_link_whose_secret_is_unusable_is_not_joined(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text("a good passphrase\n")
    bad.write_text("short\n")
    s = UplinkSettings.model_validate(
        {"wifi": [
            {"name": "home", "interface": "wlan1", "ssid": "Home", "psk_file": str(good)},
            {"name": "cafe", "interface": "wlan2", "ssid": "Cafe", "psk_file": str(bad)},
            {"name": "open", "interface": "wlan3"},
        ]}
    )  # fmt: skip
    assert set(joiners(s.wifi)) == {"home"}


def test_wifi_candidates_are_present_cold_or_hot_from_their_state() -> None:
    s = UplinkSettings.model_validate(
        {"wifi": [{"name": "home", "interface": "wlan1", "ssid": "Home", "home": True}]}
    )

    def cand(state: WifiState | None, link: bool) -> object:
        (c,) = gather(
            s, modem=None, link_up=lambda _: link, wifi_states={} if state is None else
            {"home": state},
        )  # fmt: skip
        return c

    far = cand(WifiState(True, present=False, associated=False), link=True)
    assert not far.present and not far.hot and far.cold_via is None and not far.selectable
    near = cand(WifiState(True, present=True, associated=False, signal_percent=60), link=True)
    assert near.present and not near.hot and near.cold_via == "join" and near.selectable
    assert near.signal_percent == 60
    on = cand(WifiState(True, present=True, associated=True, signal_percent=80), link=True)
    assert on.hot and on.cold_via is None and on.home_link
    unmanaged = cand(None, link=True)  # no ssid/psk_file: up while something keeps it up
    assert unmanaged.hot and unmanaged.present


# -- the real wpa_supplicant --------------------------------------------------------------------
def ssid_of(reply: str) -> bytes:
    """GET_NETWORK's SSID: quoted text when printable ASCII, else hex."""
    reply = reply.strip()
    return reply[1:-1].encode() if reply.startswith('"') else bytes.fromhex(reply)


class Supplicant:
    """wpa_supplicant on one end of a veth pair in a namespace of its own (wired driver: it
    loads networks and answers its control socket; it cannot associate with a radio)."""

    def __init__(self, tmp: Path, config: str) -> None:
        self.ns = f"wp{os.getpid() % 100000}"
        self.ctrl_dir = tmp / "ctrl"
        self.conf = tmp / "wpa.conf"
        self.conf.write_text(config)
        self.pid = tmp / "wpa.pid"
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        self.ip("link", "add", "wlan1", "type", "veth", "peer", "name", "peer1")
        self.ip("link", "set", "wlan1", "up")
        self.ip("link", "set", "peer1", "up")
        subprocess.run(
            ["ip", "netns", "exec", self.ns, "wpa_supplicant", "-B", "-Dwired", "-iwlan1",
             f"-c{self.conf}", f"-P{self.pid}"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not (self.ctrl_dir / "wlan1").exists():
            assert time.monotonic() < deadline, "wpa_supplicant made no control socket"
            time.sleep(0.1)

    def ip(self, *args: str) -> None:
        subprocess.run(["ip", "-n", self.ns, *args], check=True, capture_output=True, timeout=30)

    def stop(self) -> None:
        try:
            os.kill(int(self.pid.read_text()), 15)
        except (OSError, ValueError):
            pass
        subprocess.run(["ip", "netns", "del", self.ns], check=False, capture_output=True)


@pytest.fixture
def rendered(tmp_path: Path) -> Iterator[Supplicant]:
    nets = [network("hotel", SSID, "kx8Lq2vRt9Zm", priority=5), network("home", "Home", "a" * 20)]
    sup = Supplicant(tmp_path, render_config(nets, str(tmp_path / "ctrl")))
    try:
        yield sup
    finally:
        sup.stop()


def test_render_config_refuses_a_bad_ctrl_dir() -> None:
    with pytest.raises(SimspotValueError, match="ctrl_dir"):
        render_config([], "/run/x\nnetwork={")


async def test_the_rendered_config_is_what_wpa_supplicant_reads_back(rendered: Supplicant) -> None:
    ctrl = WpaCtrl(str(rendered.ctrl_dir / "wlan1"))
    assert (await ctrl.request("PING")).strip() == "PONG"
    listing = (await ctrl.request("LIST_NETWORKS")).splitlines()[1:]
    assert len(listing) == 2 and all("[DISABLED]" in line for line in listing)
    assert decode_ssid(listing[0].split("\t")[1]) == SSID.encode()
    assert ssid_of(await ctrl.request("GET_NETWORK 0 ssid")) == SSID.encode()
    assert (await ctrl.request("GET_NETWORK 0 id_str")).strip() == '"simspot-hotel"'
    assert (await ctrl.request("GET_NETWORK 0 priority")).strip() == "5"
    assert (await ctrl.request("GET_NETWORK 1 key_mgmt")).strip() == "WPA-PSK WPA-PSK-SHA256"
    # the passphrase is nowhere: the file holds the derived PSK, the supplicant hides it
    text = rendered.conf.read_text()
    assert "kx8Lq2vRt9Zm" not in text and psk_hex(SSID.encode(), "kx8Lq2vRt9Zm") in text
    assert (await ctrl.request("GET_NETWORK 0 psk")).strip() in ("*", "FAIL")


async def test_simspot_drives_wpa_supplicant_over_its_control_socket(tmp_path: Path) -> None:
    sup = Supplicant(tmp_path, f"ctrl_interface={tmp_path / 'ctrl'}\nupdate_config=0\n")
    try:
        link = WpaSupplicantLink(network("hotel", SSID, "kx8Lq2vRt9Zm"), "wlan1",
                                 str(sup.ctrl_dir))  # fmt: skip
        st = await link.state()
        assert st.reachable and not st.present and not st.associated
        assert st.wpa_state == "DISCONNECTED"
        nid = await link.ensure_network()
        assert await link.ensure_network() == nid  # found again by its id_str, not added twice
        ctrl = link.ctrl
        assert len((await ctrl.request("LIST_NETWORKS")).splitlines()) == 2
        assert ssid_of(await ctrl.request(f"GET_NETWORK {nid} ssid")) == SSID.encode()
        # joining selects it; without a radio the handshake never completes: not associated
        assert not await link.join(limit_s=1.5, poll_s=0.2)
        listing = (await ctrl.request("LIST_NETWORKS")).splitlines()[1]
        assert "[CURRENT]" in listing
        status = await ctrl.request("STATUS")
        assert "id_str=simspot-hotel" in status
        assert not (await link.state()).associated
        await link.leave()
        assert "[DISABLED]" in (await ctrl.request("LIST_NETWORKS")).splitlines()[1]
    finally:
        sup.stop()
    gone = await WpaSupplicantLink(network("x", "X", "a" * 10), "wlan1", str(sup.ctrl_dir),
                                   timeout_s=1).state()  # fmt: skip
    assert not gone.reachable and "wpa_supplicant" in (gone.error or "")


# -- NetworkManager in dbusmock --------------------------------------------------------------------
MOCK = "org.freedesktop.DBus.Mock"


@pytest.fixture
def nm_bus() -> Iterator[str]:
    with private_bus("simspot-nmwifi") as (address, tmp):
        log = tmp / "mock.log"
        mock = spawn_dbusmock(address, "networkmanager", log, "--system")
        try:
            wait_for_name(address, NM, mock, log)
            yield address
        finally:
            mock.terminate()
            mock.wait(10)


async def mock_call(bus: MessageBus, member: str, sig: str, body: list[object]) -> list[object]:
    reply = await bus.call(
        Message(destination=NM, path=NM_PATH, interface=MOCK, member=member, signature=sig,
                body=body)
    )  # fmt: skip
    assert reply is not None and reply.message_type != MessageType.ERROR, reply
    return list(reply.body)


@pytest.fixture
async def nm_wifi(nm_bus: str) -> AsyncIterator[MessageBus]:
    bus = await MessageBus(bus_address=nm_bus).connect()
    (dev,) = await mock_call(bus, "AddWiFiDevice", "ssi", ["wlan1dev", "wlan1", 30])
    # two access points of our network and one of another
    await mock_call(bus, "AddAccessPoint", "ssssuuuyu",
                    [dev, "ap1", "Home", "11:22:33:44:55:01", 2, 2437, 54000, 40, 0x100])  # fmt: skip
    await mock_call(bus, "AddAccessPoint", "ssssuuuyu",
                    [dev, "ap2", "Home", "11:22:33:44:55:02", 2, 5180, 54000, 72, 0x100])  # fmt: skip
    await mock_call(bus, "AddAccessPoint", "ssssuuuyu",
                    [dev, "ap3", "Other", "11:22:33:44:55:03", 2, 2412, 54000, 90, 0x100])  # fmt: skip
    try:
        yield bus
    finally:
        bus.disconnect()


async def test_networkmanager_link_sees_joins_and_leaves(nm_bus: str, nm_wifi: MessageBus) -> None:
    link = NetworkManagerLink(network("home", "Home", "kx8Lq2vRt9Zm"), "wlan1", nm_bus)
    away = NetworkManagerLink(network("cafe", "Cafe", "kx8Lq2vRt9Zm"), "wlan1", nm_bus)
    none = NetworkManagerLink(network("home", "Home", "kx8Lq2vRt9Zm"), "wlan9", nm_bus)
    try:
        await check_nm(link, away, none)
    finally:
        for x in (link, away, none):
            x.close()


async def check_nm(link: NetworkManagerLink, away: NetworkManagerLink,
                   none: NetworkManagerLink) -> None:  # fmt: skip
    st = await link.state()
    assert st.reachable and st.present and not st.associated and st.signal_percent == 72
    assert await link.join(limit_s=10, poll_s=0.1)
    st = await link.state()
    assert st.associated and st.signal_percent == 72  # on the strongest access point
    await link.leave()
    assert not (await link.state()).associated
    st = await away.state()
    assert st.reachable and not st.present and st.signal_percent is None
    assert not (await none.state()).reachable


def test_networkmanager_settings_carry_the_psk_not_the_passphrase() -> None:
    link = NetworkManagerLink(network("home", "Home", "kx8Lq2vRt9Zm"), "wlan1")
    s = link.settings()
    assert s["802-11-wireless"]["ssid"].value == b"Home"
    assert s["802-11-wireless-security"]["psk"].value == psk_hex(b"Home", "kx8Lq2vRt9Zm")
    assert s["connection"]["id"].value == "simspot-home"
