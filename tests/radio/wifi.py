"""Wi-Fi pieces for radio scenarios: simspot's own hostapd config, and clients built as phones do.

The AP side is always rendered by simspot (``simspot.hotspot.render``); the client side is a
wpa_supplicant config written from what a phone would know: the join QR text, parsed by simspot's
``parse_wifi_text``, and what the phone supports (WPA2 only, or WPA3 too, with or without SAE
password identifiers).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from simspot.hotspot.contract import ApConfig
from simspot.hotspot.qr import parse_wifi_text
from simspot.hotspot.render import HostapdFiles, hostapd_conf, mac_file, wpa_psk_file
from tests.radio.harness import Scenario, channel_mhz

CTRL_DIR = "/run/hostapd"

Phone = Literal["wpa2", "wpa3", "wpa3-id"]
# wpa2: knows only WPA2-PSK. wpa3: WPA2 and SAE (prefers SAE where offered), no password
# identifiers (most phones). wpa3-id: also sends an SAE password identifier when it has one.


def add_ap(
    sc: Scenario, name: str, config: ApConfig, addr: str | None = None, wait: bool = False
) -> str:
    """Render ``config`` with simspot's renderer into the scenario and start hostapd on it
    (``sc.wait_aps`` waits for it unless ``wait``)."""
    files = HostapdFiles(
        ctrl_dir=CTRL_DIR,
        accept_file=f"/scenario/files/{name}.accept",
        deny_file=f"/scenario/files/{name}.deny",
        psk_file=f"/scenario/files/{name}.psk",
    )
    sc.file(f"{name}.accept", mac_file(config.mac_allow))
    sc.file(f"{name}.deny", mac_file(config.mac_deny))
    sc.file(f"{name}.psk", wpa_psk_file(config))
    conf = sc.file(f"{name}.conf", hostapd_conf(config, files))
    sc.ap(name, config.interface, conf, addr, wait=wait)
    return conf


@dataclass(frozen=True)
class Network:
    """What a client knows about a network."""

    ssid: str
    kind: str  # the QR's T: WPA, SAE or nopass
    password: str | None = None
    password_id: str | None = None
    hidden: bool = False
    transition_disabled: bool = False  # the QR's R:1


def from_qr(text: str) -> Network:
    qr = parse_wifi_text(text)
    return Network(
        ssid=qr.ssid,
        kind=qr.kind,
        password=qr.password,
        password_id=qr.password_id,
        hidden=qr.hidden,
        transition_disabled=qr.fields.get("R") == "1",
    )


def _token(text: str) -> str:
    if any(not ("0" <= c <= "9" or "a" <= c.lower() <= "z" or c in "_.-") for c in text):
        raise ValueError(f"{text!r} is not a plain token")
    return f'"{text}"'


def supplicant_conf(net: Network, phone: Phone, channel: int, scan_ssid: bool | None = None) -> str:
    """A wpa_supplicant config for ``net`` as a phone of kind ``phone`` would set it up."""
    lines = [
        "ctrl_interface=/run/wpa_supplicant",
        "network={",
        f"  ssid={net.ssid.encode('utf-8').hex()}",
        f"  scan_freq={channel_mhz(channel)}",
        f"  freq_list={channel_mhz(channel)}",
        f"  scan_ssid={1 if (net.hidden if scan_ssid is None else scan_ssid) else 0}",
    ]
    if net.kind == "nopass":
        lines.append("  key_mgmt=NONE")
    else:
        if net.password is None:
            raise ValueError("the QR has no password")
        if net.kind == "SAE" or net.transition_disabled:
            if phone == "wpa2":
                raise ValueError("a WPA2-only phone cannot join a WPA3-only network")
            lines += ["  key_mgmt=SAE", "  ieee80211w=2"]
        elif phone == "wpa2":
            lines += ["  key_mgmt=WPA-PSK", "  ieee80211w=0"]
        else:
            lines += ["  key_mgmt=WPA-PSK SAE", "  ieee80211w=1"]
        # wpa_supplicant's config cuts a quoted value at a '#' after an inner '"', so the
        # secret goes in as data: the WPA2 PMK (PBKDF2 of passphrase and SSID, as the phone
        # computes it) and the SAE password hex-encoded. Both are the exact QR passphrase.
        pmk = hashlib.pbkdf2_hmac("sha1", net.password.encode(), net.ssid.encode(), 4096, 32)
        lines += ["  proto=RSN", "  pairwise=CCMP", f"  psk={pmk.hex()}"]
        lines.append(f"  sae_password={net.password.encode().hex()}")
        if net.password_id is not None and phone == "wpa3-id":
            lines.append(f"  sae_password_id={_token(net.password_id)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def add_client(
    sc: Scenario,
    name: str,
    iface: str,
    net: Network,
    phone: Phone,
    channel: int,
    *,
    addr: str | None = None,
    wait: bool = False,
    timeout_s: int = 60,
    refused: bool = False,
) -> None:
    conf = sc.file(f"{name}.supplicant", supplicant_conf(net, phone, channel))
    sc.join(name, iface, conf, addr=addr, wait=wait, timeout_s=timeout_s, refused=refused)
