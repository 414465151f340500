"""A fake box for setup and doctor tests: a sysfs tree under a temp dir and the text `iw`,
`nmcli` and `ss` print, shaped like a Raspberry Pi with an LTE HAT (wlan0 on phy0, eth0)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from simspot.setup.probe import Facts, Inputs

IW_LIST_AP = """Wiphy phy0
\tmax # scan SSIDs: 10
\tBand 1:
\t\tCapabilities: 0x1062
\t\tFrequencies:
\t\t\t* 2412 MHz [1] (20.0 dBm)
\t\t\t* 2437 MHz [6] (20.0 dBm)
\t\t\t* 2484 MHz [14] (disabled)
\tBand 2:
\t\tFrequencies:
\t\t\t* 5180 MHz [36] (20.0 dBm)
\t\t\t* 5260 MHz [52] (20.0 dBm) (radar detection)
\tSupported interface modes:
\t\t * IBSS
\t\t * managed
\t\t * AP
\t\t * P2P-client
\tsoftware interface modes (can always be added):
\t\t * monitor
\tvalid interface combinations:
\t\t * #{ managed } <= 1, #{ P2P-device } <= 1, #{ P2P-client, P2P-GO } <= 1,
"""

IW_LIST_NO_AP = IW_LIST_AP.replace("\t\t * AP\n", "").replace("P2P-client, P2P-GO", "P2P-client")
IW_REG_DE = "global\ncountry DE: DFS-ETSI\n\t(2400 - 2483 @ 40), (N/A, 20), (N/A)\n"
IW_REG_UNSET = "global\ncountry 00: DFS-UNSET\n\t(2402 - 2472 @ 40), (N/A, 20), (N/A)\n"
NMCLI_MANAGED = "wlan0:wifi:disconnected\neth0:ethernet:connected\nlo:loopback:unmanaged\n"
NMCLI_RELEASED = "wlan0:wifi:unmanaged\neth0:ethernet:connected\n"
SS_RESOLVED = (
    "udp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*    "
    'users:(("systemd-resolve",pid=412,fd=13))\n'
    "tcp   LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*    "
    'users:(("systemd-resolve",pid=412,fd=14))\n'
)
SS_DNSMASQ = (
    "udp   UNCONN 0      0            0.0.0.0:53        0.0.0.0:*    "
    'users:(("dnsmasq",pid=733,fd=4))\n'
    "tcp   LISTEN 0      32              [::]:53           [::]:*    "
    'users:(("dnsmasq",pid=733,fd=7))\n'
)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def make_sysfs(
    root: Path,
    *,
    wifi: bool = True,
    eth_carrier: bool = True,
    soft_blocked: bool = False,
    hard_blocked: bool = False,
    battery: bool = False,
) -> Path:
    """A sysfs tree: /sys/class/net/{eth0,wlan0,wwan0,lo}, rfkill0 for phy0, a battery."""
    sysfs = root / "sys"
    if sysfs.exists():
        return sysfs  # made by an earlier call for this box
    devices = sysfs / "devices"
    net = sysfs / "class" / "net"

    def iface(name: str, driver: str, devtype: str | None, carrier: bool) -> Path:
        dev = devices / "platform" / name
        drv = sysfs / "bus" / "drivers" / driver
        drv.mkdir(parents=True, exist_ok=True)
        dev.mkdir(parents=True, exist_ok=True)
        (dev / "driver").symlink_to(drv)
        d = net / name
        d.mkdir(parents=True)
        (d / "device").symlink_to(dev)
        _write(d / "type", "1")
        _write(d / "carrier", "1" if carrier else "0")
        _write(d / "uevent", f"INTERFACE={name}" + (f"\nDEVTYPE={devtype}" if devtype else ""))
        return d

    iface("eth0", "bcmgenet", None, eth_carrier)
    iface("wwan0", "qmi_wwan", "wwan", False)
    lo = net / "lo"
    lo.mkdir(parents=True)
    _write(lo / "type", "772")
    if wifi:
        w = iface("wlan0", "brcmfmac", "wlan", False)
        phy = sysfs / "class" / "ieee80211" / "phy0"
        _write(phy / "name", "phy0")
        (w / "phy80211").symlink_to(phy)
        rf = sysfs / "class" / "rfkill" / "rfkill0"
        _write(rf / "name", "phy0")
        _write(rf / "type", "wlan")
        _write(rf / "soft", "1" if soft_blocked else "0")
        _write(rf / "hard", "1" if hard_blocked else "0")
    if battery:
        bat = sysfs / "class" / "power_supply" / "BAT0"
        _write(bat / "type", "Battery")
        _write(bat / "capacity", "87")
        mouse = sysfs / "class" / "power_supply" / "hidpp_battery_0"
        _write(mouse / "type", "Battery")
        _write(mouse / "scope", "Device")
    ac = sysfs / "class" / "power_supply" / "AC"
    _write(ac / "type", "Mains")
    return sysfs


ALL_TOOLS = {t: True for t in ("nft", "dnsmasq", "hostapd", "iw", "nmcli", "rfkill", "ip",
                               "systemctl", "mmcli")}  # fmt: skip


def healthy_inputs(root: Path, **sysfs: bool) -> Inputs:
    """A box with everything in place for ModemManager + hostapd on wlan0 + nft (the modem
    answers are filled by the tests that need them)."""
    os.makedirs(root / "etc", exist_ok=True)
    return Inputs(
        sysfs=make_sysfs(root, **sysfs),
        etc=root / "etc",
        iw_list=IW_LIST_AP,
        iw_reg=IW_REG_DE,
        nmcli_devices=NMCLI_RELEASED,
        ss_listeners=SS_RESOLVED,
        processes=frozenset({"ModemManager", "NetworkManager", "systemd-resolve"}),
        ntp_synchronized=True,
        tools=dict(ALL_TOOLS),
        mm_running=True,
    )


def facts(inputs: Inputs, **changes: object) -> Facts:
    return Facts.of(replace(inputs, **changes))  # type: ignore[arg-type]


MODEM = "/org/freedesktop/ModemManager1/Modems/0"


def mm_answer(*, locked: bool = False, sim: bool = True) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """ModemManager's GetManagedObjects and SIM properties (as simspot.modem.bus unwraps them)
    for a dual-slot Quectel with a SIM in slot 1 and an eUICC in slot 2."""
    slots = ["/org/freedesktop/ModemManager1/SIM/1" if sim else "/",
             "/org/freedesktop/ModemManager1/SIM/2"]  # fmt: skip
    modem = {
        "Manufacturer": "Quectel",
        "Model": "EM12-G",
        "UnlockRequired": 2 if locked else 1,
        "UnlockRetries": {2: 3} if locked else {},
        "Sim": slots[0],
        "SimSlots": slots,
        "PrimarySimSlot": 1,
        "Ports": [["cdc-wdm0", 6], ["ttyUSB2", 3], ["wwan0", 2]],
    }
    objects = {MODEM: {"org.freedesktop.ModemManager1.Modem": modem}}
    sims = {
        "/org/freedesktop/ModemManager1/SIM/2": {"SimIdentifier": "8988247000000000021",
                                                 "Eid": "89049032000000000000000000000042",
                                                 "SimType": 2, "Active": False},
    }  # fmt: skip
    if sim:
        sims["/org/freedesktop/ModemManager1/SIM/1"] = {
            "SimIdentifier": "8944200000000000017", "SimType": 1, "Active": True,
            "OperatorName": "Simtel UK"}  # fmt: skip
    return objects, sims
