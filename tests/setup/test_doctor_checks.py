"""Detection and the doctor's checks against a fake sysfs tree and `iw`/`nmcli`/`ss` text: a
healthy box passes, and each broken environment fails its own check with the command that fixes
it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from simspot import config
from simspot.setup.checks import blocking, run_checks
from simspot.setup.detect import parse_iw_list, parse_iw_reg, parse_ss_listeners
from simspot.setup.probe import Facts, Inputs
from tests.setup import world

LIVE = {
    "modem": {"backend": "modemmanager"},
    "dataplane": {"backend": "nft", "lan_interface": "wlan0"},
    "hotspot": {"backend": "hostapd", "interface": "wlan0", "country": "DE"},
    "battery": {"backend": "none"},
}


def healthy(root: Path, **sysfs: bool) -> Inputs:
    objects, sims = world.mm_answer()
    return replace(world.healthy_inputs(root, **sysfs), mm_objects=objects, mm_sims=sims)


def checks_of(inputs: Inputs, conf: dict[str, Any] = LIVE) -> dict[str, Any]:
    done = run_checks(Facts.of(inputs), config.validate(conf))
    return {c.id: c for c in done}


def test_parsers() -> None:
    phys = parse_iw_list(world.IW_LIST_AP)
    assert phys["phy0"].can_ap and phys["phy0"].bands == {"2.4", "5"}
    assert not parse_iw_list(world.IW_LIST_NO_AP)["phy0"].can_ap
    assert parse_iw_reg(world.IW_REG_DE) == "DE"
    assert parse_iw_reg(world.IW_REG_UNSET) is None
    resolved = parse_ss_listeners(world.SS_RESOLVED)
    assert {(x.process, x.address, x.wildcard) for x in resolved} == {
        ("systemd-resolve", "127.0.0.53", False)
    }
    assert all(x.wildcard and x.pid == 733 for x in parse_ss_listeners(world.SS_DNSMASQ))


def test_detects_the_fake_box(tmp_path: Path) -> None:
    f = Facts.of(healthy(tmp_path, battery=True))
    kinds = {n.name: n.kind for n in f.interfaces}
    assert kinds == {"eth0": "ethernet", "wlan0": "wifi", "wwan0": "wwan"}  # lo left out
    wlan = f.iface("wlan0")
    assert wlan is not None and wlan.phy == "phy0" and f.can_ap(wlan)
    assert [b.name for b in f.batteries] == ["BAT0"]  # the mouse's battery is not the box's
    (m,) = f.modems
    assert (m.model, m.lock, m.has_euicc) == ("EM12-G", "none", True)
    assert [(s.index, s.euicc, s.active) for s in m.slots] == [(1, False, True), (2, True, False)]
    assert m.port(6) == "/dev/cdc-wdm0" and m.port(3) == "/dev/ttyUSB2"


def test_healthy_box_passes(tmp_path: Path) -> None:
    done = run_checks(Facts.of(healthy(tmp_path)), config.validate(LIVE))
    assert blocking(done) == [], done
    assert {c.id for c in done} >= {"modemmanager", "modem", "sim-lock", "nft", "ap-mode", "clock"}


# One broken environment per check: (what is changed, config changes, failing check, status,
# a word of the fix).
BROKEN = [
    ("mm-absent", {"mm_running": False, "mm_objects": {}}, None, "modemmanager", "fail",
     "systemctl enable --now ModemManager"),
    ("no-bus", {"dbus_error": "cannot connect", "mm_running": False}, None, "dbus", "fail",
     "systemctl start dbus"),
    ("no-modem", {"mm_objects": {}}, None, "modem", "fail", "mmcli -L"),
    ("sim-locked", "locked", None, "sim-lock", "fail", "simspot sim unlock"),
    ("no-sim", "nosim", None, "sim", "fail", "insert a SIM"),
    ("nft-missing", {"tools": {**world.ALL_TOOLS, "nft": False}}, None, "nft", "fail",
     "apt-get install nftables"),
    ("dnsmasq-missing", {"tools": {**world.ALL_TOOLS, "dnsmasq": False}}, None, "dnsmasq", "fail",
     "dnsmasq-base"),
    ("hostapd-missing", {"tools": {**world.ALL_TOOLS, "hostapd": False}}, None, "hostapd", "fail",
     "apt-get install hostapd"),
    ("no-ap-mode", {"iw_list": world.IW_LIST_NO_AP}, None, "ap-mode", "fail", "Supported interface"),
    ("no-wifi", "nowifi", None, "wifi", "fail", "hotspot.interface"),
    ("port53-dnsmasq", {"ss_listeners": world.SS_DNSMASQ}, None, "port53", "fail",
     "systemctl disable --now dnsmasq"),
    ("nm-holds-wlan0", {"nmcli_devices": world.NMCLI_MANAGED}, None, "networkmanager", "fail",
     "nmcli device set wlan0 managed no"),
    ("dhcpcd", {"processes": frozenset({"ModemManager", "dhcpcd"})}, None, "dhcpcd", "fail",
     "denyinterfaces wlan0"),
    ("rfkill-soft", "soft", None, "rfkill", "fail", "rfkill unblock wifi"),
    ("rfkill-hard", "hard", None, "rfkill", "fail", "switch"),
    ("no-country", {"iw_reg": world.IW_REG_UNSET}, {"country": None}, "country", "warn",
     "iw reg set"),
    ("clock", {"ntp_synchronized": False}, None, "clock", "warn", "timedatectl set-ntp true"),
    ("pcscd-absent", {"pcscd_running": False}, {"esim": "pcsc"}, "pcscd", "warn",
     "apt-get install pcscd"),
    ("no-qmi-port", {"control_ports": ()}, {"esim": "qmi"}, "esim-device", "warn",
     "simspot esim readers"),
    ("5ghz-unusable", {"iw_list": world.IW_LIST_AP.replace("5180 MHz [36] (20.0 dBm)",
     "5180 MHz [36] (disabled)").replace("(radar detection)", "(disabled)")},
     {"band": "5"}, "band", "fail", 'hotspot.band = "2.4"'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "change", "conf_change", "check_id", "status", "fix_word"),
    BROKEN,
    ids=[b[0] for b in BROKEN],
)
def test_each_broken_environment_fails_its_check(
    tmp_path: Path,
    name: str,
    change: Any,
    conf_change: dict[str, Any] | None,
    check_id: str,
    status: str,
    fix_word: str,
) -> None:
    if change == "locked":
        objects, sims = world.mm_answer(locked=True)
        inputs = replace(healthy(tmp_path), mm_objects=objects, mm_sims=sims)
    elif change == "nosim":
        objects, sims = world.mm_answer(sim=False)
        inputs = replace(healthy(tmp_path), mm_objects=objects, mm_sims=sims)
    elif change == "nowifi":
        inputs = healthy(tmp_path, wifi=False)
    elif change in ("soft", "hard"):
        inputs = healthy(tmp_path, soft_blocked=change == "soft", hard_blocked=change == "hard")
    else:
        inputs = replace(healthy(tmp_path), **change)
    conf = {k: dict(v) for k, v in LIVE.items()}
    if conf_change:
        if "esim" in conf_change:
            conf["esim"] = {"transport": conf_change["esim"]}
        else:
            conf["hotspot"].update(conf_change)
    found = checks_of(inputs, conf)
    assert check_id in found, (name, sorted(found))
    check = found[check_id]
    assert check.status == status, check
    assert check.fix and fix_word in check.fix, check
    others = {c.id for c in found.values() if c.status == "fail"} - {check_id}
    assert not others - {"modem", "sim-lock", "ap-mode"}, (name, others)


def test_resolved_stub_is_not_a_conflict(tmp_path: Path) -> None:
    # systemd-resolved on 127.0.0.53 leaves the LAN address free for simspot's dnsmasq.
    found = checks_of(healthy(tmp_path))
    assert found["port53"].status == "ok"


def test_simspot_own_dnsmasq_is_not_a_conflict(tmp_path: Path) -> None:
    inputs = replace(
        healthy(tmp_path),
        ss_listeners=world.SS_DNSMASQ,
        cmdlines={733: "dnsmasq --conf-file=/var/lib/simspot/dataplane/dnsmasq.conf simspot"},
    )
    assert checks_of(inputs)["port53"].status == "ok"


def test_no_uplink_and_missing_config(tmp_path: Path) -> None:
    facts = Facts.of(healthy(tmp_path))
    done = {c.id: c for c in run_checks(facts, config.Config(), config_found=False)}
    assert done["config"].status == "fail" and done["config"].fix == "sudo simspot setup"
    # A modem is there, but the (default) config would not use it.
    assert done["uplink"].status == "fail" and "modemmanager" in (done["uplink"].fix or "")


def test_dhcpcd_told_to_leave_wlan0_alone(tmp_path: Path) -> None:
    inputs = replace(healthy(tmp_path), processes=frozenset({"ModemManager", "dhcpcd"}))
    (inputs.etc / "dhcpcd.conf").write_text("hostname\ndenyinterfaces wlan0 # simspot\n")
    assert "dhcpcd" not in checks_of(inputs)
