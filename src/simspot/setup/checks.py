"""The doctor's checks: each prerequisite of the configured backends, over ``Facts`` (pure).

A check answers ``ok``, ``warn`` (something degrades: eSIM downloads, the battery guard) or
``fail`` (sharing cannot work), with one sentence and, when it is not ok, the command that fixes
it. The backends are those the daemon would run live: an unset backend is ``none`` (modem,
battery, hotspot, eSIM) or ``nft`` (data plane), never simulated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from simspot.config import Config
from simspot.i18n import Lang, Message, render
from simspot.setup.probe import Facts

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    id: str
    status: Status
    summary: str
    fix: str | None = None
    # The summary as a catalogue sentence (simspot.i18n), when it has one: the same words the
    # daemon's status and its ``modem.unavailable`` event use for the cause.
    message: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self, lang: Lang = "en") -> str:
        """The summary in ``lang`` (English when it has no catalogue sentence)."""
        if self.message is None:
            return self.summary
        return render(self.message["id"], self.message["params"], lang)


def _said(id: str, status: Status, msg_id: str, fix: str | None = None, **params: Any) -> Check:
    """A check whose summary is the catalogue sentence ``msg_id``."""
    msg = Message(msg_id, params)
    return Check(id, status, msg.text("en"), fix, msg.as_json())


def live_backends(conf: Config) -> dict[str, str]:
    """The backend of each kind the daemon runs without --simulate."""
    return {
        "modem": conf.modem.backend or "none",
        "battery": conf.battery.backend or "none",
        "dataplane": conf.dataplane.backend or "nft",
        "hotspot": conf.hotspot.backend or "none",
        "esim": conf.esim.transport or "none",
    }


def blocking(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "fail"]


def run_checks(facts: Facts, conf: Config, *, config_found: bool = True) -> list[Check]:
    b = live_backends(conf)
    out: list[Check] = []
    if not config_found:
        out.append(
            Check(
                "config",
                "fail",
                "no config file: the daemon would run with no modem, no AP and no uplink",
                "sudo simspot setup",
            )
        )
    simulated = [k for k, v in b.items() if v in ("simulated", "virtual")]
    if simulated:
        out.append(
            Check(
                "simulated",
                "fail",
                f"the config sets simulated backends ({', '.join(simulated)}): they run only "
                "with `simspot serve --simulate`",
                "set real backends (sudo simspot setup), or run simspot demo",
            )
        )
    out += _uplink(facts, conf, b)
    out += _dataplane(facts, conf, b)
    out += _hotspot(facts, conf, b)
    out += _esim(facts, conf, b)
    out += _battery(facts, b)
    out.append(_clock(facts))
    return out


def _uplink(facts: Facts, conf: Config, b: dict[str, str]) -> list[Check]:
    out: list[Check] = []
    if b["modem"] != "modemmanager":
        if conf.dataplane.uplink_interface:
            name = conf.dataplane.uplink_interface
            iface = facts.iface(name)
            if iface is None:
                out.append(
                    Check("uplink", "fail", f"the uplink interface {name} does not exist",
                          "set dataplane.uplink_interface to one of: "
                          + (", ".join(n.name for n in facts.interfaces) or "(none found)"))
                )  # fmt: skip
            else:
                out.append(Check("uplink", "ok", f"wired uplink {name}"))
        elif facts.modems:
            out.append(
                Check(
                    "uplink",
                    "fail",
                    'ModemManager sees a modem but modem.backend is not "modemmanager" and '
                    "there is no dataplane.uplink_interface: nothing to share",
                    'set modem.backend = "modemmanager" (sudo simspot setup)',
                )
            )
        else:
            out.append(
                Check(
                    "uplink",
                    "fail",
                    "no uplink: no modem backend and no dataplane.uplink_interface",
                    'set modem.backend = "modemmanager" or dataplane.uplink_interface '
                    "(sudo simspot setup)",
                )
            )
        return out
    if facts.dbus_error:
        return [
            Check(
                "dbus",
                "fail",
                f"the system D-Bus cannot be reached ({facts.dbus_error})",
                "sudo apt-get install dbus && sudo systemctl start dbus",
            )
        ]
    if not facts.mm_running:
        return [
            _said(
                "modemmanager",
                "fail",
                "modem.why.no-manager",
                "sudo apt-get install modemmanager && sudo systemctl enable --now ModemManager",
            )
        ]
    out.append(Check("modemmanager", "ok", "ModemManager is running"))
    if not facts.modems:
        out.append(
            _said(
                "modem",
                "fail",
                "modem.why.no-modem",
                "plug the modem in (then `mmcli -L` lists it); for a modem in USB storage "
                "mode: sudo apt-get install usb-modeswitch",
            )
        )
        return out
    m = facts.modems[0]
    name = " ".join(x for x in (m.manufacturer, m.model) if x) or m.path
    out.append(Check("modem", "ok", f"modem {name}"))
    if m.locked:
        fix = (
            "simspot sim unlock --pin PIN (with the daemon running)"
            if "puk" not in m.lock
            else "the SIM is PUK-blocked: mmcli -i any --puk=PUK --pin=NEWPIN"
        )
        out.append(
            _said("sim-lock", "fail", "modem.why.sim-locked", fix, lock=m.lock, retries=m.retries)
        )
    elif not any(s.present and s.active for s in m.slots):
        others = [s.index for s in m.slots if s.present]
        fix = "insert a SIM card" + (
            f", or use slot {others[0]}: simspot sim switch {others[0]}" if others else ""
        )
        out.append(Check("sim", "fail", "the modem's active SIM slot is empty", fix))
    else:
        out.append(Check("sim-lock", "ok", "the SIM is unlocked"))
    return out


def _dataplane(facts: Facts, conf: Config, b: dict[str, str]) -> list[Check]:
    if b["dataplane"] != "nft":
        return []
    dp = conf.dataplane
    out: list[Check] = []
    if not facts.tools.get("nft"):
        out.append(Check("nft", "fail", "nft is missing", "sudo apt-get install nftables"))
    else:
        out.append(Check("nft", "ok", "nftables is installed"))
    if dp.dhcp and not facts.tools.get("dnsmasq"):
        out.append(
            Check("dnsmasq", "fail", "dnsmasq is missing", "sudo apt-get install dnsmasq-base")
        )
    if facts.iface(dp.lan_interface) is None and not (
        b["hotspot"] in ("hostapd", "networkmanager") and dp.lan_interface == conf.hotspot.interface
    ):
        out.append(
            Check(
                "lan",
                "fail",
                f"the LAN interface {dp.lan_interface} does not exist",
                "set dataplane.lan_interface to one of: "
                + (", ".join(n.name for n in facts.interfaces) or "(none found)"),
            )
        )
    if dp.dhcp and dp.dns_port == 53:
        conflicts = facts.port53_conflicts()
        if conflicts:
            who = ", ".join(sorted({x.process or "an unknown process" for x in conflicts}))
            out.append(Check("port53", "fail", f"port 53 is taken on all addresses by {who}",
                             _port53_fix(conflicts[0].process)))  # fmt: skip
        elif facts.listeners53 is not None:
            out.append(Check("port53", "ok", "port 53 is free on the LAN"))
    return out


def _port53_fix(process: str | None) -> str:
    if process == "dnsmasq":
        return "sudo systemctl disable --now dnsmasq (simspot runs its own dnsmasq)"
    if process and process.startswith("systemd-resolve"):
        return (
            "printf '[Resolve]\\nDNSStubListener=no\\n' | sudo tee "
            "/etc/systemd/resolved.conf.d/simspot.conf && sudo systemctl restart systemd-resolved"
        )
    return "stop the program listening on port 53, or set dataplane.dns_port = 0 (DHCP only)"


def _hotspot(facts: Facts, conf: Config, b: dict[str, str]) -> list[Check]:
    backend = b["hotspot"]
    if backend not in ("hostapd", "networkmanager"):
        return []
    hs = conf.hotspot
    name = hs.interface
    out: list[Check] = []
    if backend == "hostapd" and not facts.tools.get("hostapd"):
        out.append(Check("hostapd", "fail", "hostapd is missing", "sudo apt-get install hostapd"))
    if backend == "networkmanager" and not facts.tools.get("nmcli"):
        out.append(
            Check("nmcli", "fail", "nmcli is missing", "sudo apt-get install network-manager")
        )
    iface = facts.iface(name)
    if iface is None or iface.kind != "wifi":
        found = ", ".join(n.name for n in facts.wifi()) or "none found"
        what = "does not exist" if iface is None else "is not a Wi-Fi interface"
        out.append(Check("wifi", "fail", f"hotspot.interface {name} {what}",
                         f"set hotspot.interface to a Wi-Fi interface ({found})"))  # fmt: skip
        return out
    ap = facts.can_ap(iface)
    if ap is False:
        out.append(
            Check(
                "ap-mode",
                "fail",
                f"{name} cannot run an access point (iw list: no AP in its interface modes)",
                "use a Wi-Fi adapter whose `iw list` shows `* AP` under Supported interface "
                "modes, then set hotspot.interface",
            )
        )
    elif ap is None:
        out.append(Check("ap-mode", "warn", f"cannot tell whether {name} supports AP mode",
                         "sudo apt-get install iw"))  # fmt: skip
    else:
        out.append(Check("ap-mode", "ok", f"{name} supports AP mode"))
        phy = facts.phy_of(iface)
        if phy is not None and hs.band not in phy.bands:
            out.append(Check("band", "fail", f"{name} has no usable {hs.band} GHz channel",
                             'set hotspot.band = "2.4"'))  # fmt: skip
    switch = facts.rfkill_of(iface)
    if switch is not None and switch.hard:
        out.append(Check("rfkill", "fail", f"{name} is blocked by a hardware switch",
                         "turn the radio switch on (rfkill list shows it)"))  # fmt: skip
    elif switch is not None and switch.soft:
        out.append(
            Check("rfkill", "fail", f"{name} is blocked by rfkill", "sudo rfkill unblock wifi")
        )
    if facts.country is None and hs.country is None:
        out.append(
            Check(
                "country",
                "warn",
                "no regulatory country is set: channels are limited and some boards keep Wi-Fi "
                "blocked",
                "sudo iw reg set DE (your country) and set hotspot.country",
            )
        )
    if backend == "hostapd":
        if facts.nm_manages(name):
            out.append(
                Check(
                    "networkmanager",
                    "fail",
                    f"NetworkManager manages {name}, so hostapd cannot use it",
                    f"sudo nmcli device set {name} managed no (setup makes it permanent)",
                )
            )
        if facts.dhcpcd_holds(name):
            out.append(
                Check(
                    "dhcpcd",
                    "fail",
                    f"dhcpcd runs and may configure {name}",
                    f"echo 'denyinterfaces {name}' | sudo tee -a /etc/dhcpcd.conf && "
                    "sudo systemctl restart dhcpcd",
                )
            )
    elif facts.nm_devices is None:
        out.append(Check("networkmanager", "fail", "NetworkManager is not running",
                         "sudo systemctl enable --now NetworkManager"))  # fmt: skip
    return out


def _esim(facts: Facts, conf: Config, b: dict[str, str]) -> list[Check]:
    t = b["esim"]
    if t == "pcsc":
        if not facts.pcscd_running:
            return [Check("pcscd", "warn", "pcscd is not running: no eSIM profile management",
                          "sudo apt-get install pcscd && sudo systemctl enable --now pcscd.socket")]  # fmt: skip
        if facts.readers_error:
            return [Check("pcsc", "warn", f"PC/SC: {facts.readers_error}", "pip install pyscard")]
        if not facts.readers:
            return [Check("pcsc", "warn", "no PC/SC reader is connected", "plug in the reader")]
        return [Check("pcsc", "ok", f"PC/SC reader {facts.readers[0]}")]
    if t in ("qmi", "mbim"):
        devices = [p for p, proto in facts.control_ports if proto == t]
        if conf.esim.device not in devices:
            found = ", ".join(devices) or "none found"
            return [Check("esim-device", "warn", f"esim.device {conf.esim.device} is not a {t.upper()} control port",
                          f"set esim.device to one of: {found} (simspot esim readers)")]  # fmt: skip
        return [Check("esim-device", "ok", f"{t.upper()} control port {conf.esim.device}")]
    return []


def _battery(facts: Facts, b: dict[str, str]) -> list[Check]:
    if b["battery"] in ("upower", "sysfs") and not facts.batteries:
        return [Check("battery", "warn", "no battery found: the battery guard has nothing to watch",
                      'set battery.backend = "none"')]  # fmt: skip
    return []


def _clock(facts: Facts) -> Check:
    if facts.ntp_synchronized is False:
        return Check(
            "clock",
            "warn",
            "the clock is not synchronised: TLS to an SM-DP+ (eSIM downloads) fails with a wrong date",
            "sudo timedatectl set-ntp true (and check the network), or install an RTC",
        )
    if facts.ntp_synchronized is None:
        return Check("clock", "warn", "cannot tell whether the clock is synchronised",
                     "sudo apt-get install systemd-timesyncd")  # fmt: skip
    return Check("clock", "ok", "the clock is synchronised")
