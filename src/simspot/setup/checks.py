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
from simspot.setup.plan import Said, localized
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

    def fix_text(self, lang: Lang = "en") -> str | None:
        """The fix in ``lang``: its sentence when it has one (``Said``), else the command."""
        return localized(self.fix, lang) if self.fix is not None else None


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
        out.append(_said("config", "fail", "setup.check.no-config", "sudo simspot setup"))
    simulated = [k for k, v in b.items() if v in ("simulated", "virtual")]
    if simulated:
        out.append(
            _said(
                "simulated",
                "fail",
                "setup.check.simulated",
                Said("setup.fix.real-backends"),
                backends=simulated,
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
                    _said("uplink", "fail", "setup.check.no-uplink-interface",
                          _one_of("dataplane.uplink_interface", facts),
                          name=name)
                )  # fmt: skip
            else:
                out.append(_said("uplink", "ok", "setup.check.wired-uplink", name=name))
        elif facts.modems:
            out.append(
                _said(
                    "uplink",
                    "fail",
                    "setup.check.modem-not-configured",
                    Said("setup.fix.set-by-setup", setting='modem.backend = "modemmanager"'),
                )
            )
        else:
            out.append(
                _said(
                    "uplink",
                    "fail",
                    "setup.check.no-uplink",
                    Said("setup.fix.set-uplink"),
                )
            )
        return out
    if facts.dbus_error:
        return [
            _said(
                "dbus",
                "fail",
                "setup.check.no-dbus",
                "sudo apt-get install dbus && sudo systemctl start dbus",
                problem=facts.dbus_error,
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
    out.append(_said("modemmanager", "ok", "setup.check.mm-running"))
    if not facts.modems:
        out.append(
            _said(
                "modem",
                "fail",
                "modem.why.no-modem",
                Said("setup.fix.plug-modem"),
            )
        )
        return out
    m = facts.modems[0]
    name = " ".join(x for x in (m.manufacturer, m.model) if x) or m.path
    out.append(_said("modem", "ok", "setup.check.modem", name=name))
    if m.locked:
        fix = Said("setup.fix.unlock" if "puk" not in m.lock else "setup.fix.puk")
        out.append(
            _said("sim-lock", "fail", "modem.why.sim-locked", fix, lock=m.lock, retries=m.retries)
        )
    elif not any(s.present and s.active for s in m.slots):
        others = [s.index for s in m.slots if s.present]
        fix = (
            Said("setup.fix.insert-or-switch", slot=others[0])
            if others
            else Said("setup.fix.insert")
        )
        out.append(_said("sim", "fail", "setup.check.slot-empty", fix))
    else:
        out.append(_said("sim-lock", "ok", "setup.check.sim-unlocked"))
    return out


def _dataplane(facts: Facts, conf: Config, b: dict[str, str]) -> list[Check]:
    if b["dataplane"] != "nft":
        return []
    dp = conf.dataplane
    out: list[Check] = []
    if not facts.tools.get("nft"):
        out.append(
            _said("nft", "fail", "setup.check.missing", "sudo apt-get install nftables", tool="nft")
        )
    else:
        out.append(_said("nft", "ok", "setup.check.installed", tool="nftables"))
    if dp.dhcp and not facts.tools.get("dnsmasq"):
        out.append(
            _said(
                "dnsmasq",
                "fail",
                "setup.check.missing",
                "sudo apt-get install dnsmasq-base",
                tool="dnsmasq",
            )
        )
    if facts.iface(dp.lan_interface) is None and not (
        b["hotspot"] in ("hostapd", "networkmanager") and dp.lan_interface == conf.hotspot.interface
    ):
        out.append(
            _said(
                "lan",
                "fail",
                "setup.check.no-lan-interface",
                _one_of("dataplane.lan_interface", facts),
                name=dp.lan_interface,
            )
        )
    if dp.dhcp and dp.dns_port == 53:
        conflicts = facts.port53_conflicts()
        if conflicts:
            who = ", ".join(sorted({x.process or "an unknown process" for x in conflicts}))
            out.append(_said("port53", "fail", "setup.check.port53-taken",
                             _port53_fix(conflicts[0].process), who=who))  # fmt: skip
        elif facts.listeners53 is not None:
            out.append(_said("port53", "ok", "setup.check.port53-free"))
    return out


def _one_of(key: str, facts: Facts) -> str:
    """The fix of an interface setting that names no interface: the ones there are."""
    names = [n.name for n in facts.interfaces]
    if not names:
        return Said("setup.fix.one-of-none", key=key)
    return Said("setup.fix.one-of", key=key, names=names)


def _port53_fix(process: str | None) -> str:
    if process == "dnsmasq":
        return Said("setup.fix.own-dnsmasq")
    if process and process.startswith("systemd-resolve"):
        return (
            "printf '[Resolve]\\nDNSStubListener=no\\n' | sudo tee "
            "/etc/systemd/resolved.conf.d/simspot.conf && sudo systemctl restart systemd-resolved"
        )
    return Said("setup.fix.port53")


def _hotspot(facts: Facts, conf: Config, b: dict[str, str]) -> list[Check]:
    backend = b["hotspot"]
    if backend not in ("hostapd", "networkmanager"):
        return []
    hs = conf.hotspot
    name = hs.interface
    out: list[Check] = []
    if backend == "hostapd" and not facts.tools.get("hostapd"):
        out.append(
            _said(
                "hostapd",
                "fail",
                "setup.check.missing",
                "sudo apt-get install hostapd",
                tool="hostapd",
            )
        )
    if backend == "networkmanager" and not facts.tools.get("nmcli"):
        out.append(
            _said(
                "nmcli",
                "fail",
                "setup.check.missing",
                "sudo apt-get install network-manager",
                tool="nmcli",
            )
        )
    iface = facts.iface(name)
    if iface is None or iface.kind != "wifi":
        wifi = [n.name for n in facts.wifi()]
        fix = (Said("setup.fix.wifi-interface", names=wifi) if wifi
               else Said("setup.fix.wifi-interface-none"))  # fmt: skip
        what = "setup.check.wifi-missing" if iface is None else "setup.check.not-wifi"
        out.append(_said("wifi", "fail", what, fix, name=name))
        return out
    ap = facts.can_ap(iface)
    if ap is False:
        out.append(
            _said(
                "ap-mode",
                "fail",
                "setup.check.no-ap-mode",
                Said("setup.fix.ap-adapter"),
                name=name,
            )
        )
    elif ap is None:
        out.append(_said("ap-mode", "warn", "setup.check.ap-mode-unknown",
                         "sudo apt-get install iw", name=name))  # fmt: skip
    else:
        out.append(_said("ap-mode", "ok", "setup.check.ap-mode", name=name))
        phy = facts.phy_of(iface)
        if phy is not None and hs.band not in phy.bands:
            out.append(_said("band", "fail", "setup.check.no-band",
                             Said("setup.fix.set", setting='hotspot.band = "2.4"'), name=name,
                             band=hs.band))  # fmt: skip
    switch = facts.rfkill_of(iface)
    if switch is not None and switch.hard:
        out.append(_said("rfkill", "fail", "setup.check.hard-blocked",
                         Said("setup.fix.radio-switch"), name=name))  # fmt: skip
    elif switch is not None and switch.soft:
        out.append(
            _said(
                "rfkill", "fail", "setup.check.soft-blocked", "sudo rfkill unblock wifi", name=name
            )
        )
    if facts.country is None and hs.country is None:
        out.append(
            _said(
                "country",
                "warn",
                "setup.check.no-country",
                Said("setup.fix.country"),
            )
        )
    if backend == "hostapd":
        if facts.nm_manages(name):
            out.append(
                _said(
                    "networkmanager",
                    "fail",
                    "setup.check.nm-manages",
                    Said("setup.fix.unmanage", name=name),
                    name=name,
                )
            )
        if facts.dhcpcd_holds(name):
            out.append(
                _said(
                    "dhcpcd",
                    "fail",
                    "setup.check.dhcpcd",
                    f"echo 'denyinterfaces {name}' | sudo tee -a /etc/dhcpcd.conf && "
                    "sudo systemctl restart dhcpcd",
                    name=name,
                )
            )
    elif facts.nm_devices is None:
        out.append(_said("networkmanager", "fail", "setup.check.nm-not-running",
                         "sudo systemctl enable --now NetworkManager"))  # fmt: skip
    return out


def _esim(facts: Facts, conf: Config, b: dict[str, str]) -> list[Check]:
    t = b["esim"]
    if t == "pcsc":
        if not facts.pcscd_running:
            return [_said("pcscd", "warn", "setup.check.no-pcscd",
                          "sudo apt-get install pcscd && sudo systemctl enable --now pcscd.socket")]  # fmt: skip
        if facts.readers_error:
            return [
                _said(
                    "pcsc",
                    "warn",
                    "setup.check.pcsc-error",
                    "pip install pyscard",
                    problem=facts.readers_error,
                )
            ]
        if not facts.readers:
            return [_said("pcsc", "warn", "setup.check.no-reader", Said("setup.fix.plug-reader"))]
        return [_said("pcsc", "ok", "setup.check.reader", reader=facts.readers[0])]
    if t in ("qmi", "mbim"):
        devices = [p for p, proto in facts.control_ports if proto == t]
        if conf.esim.device not in devices:
            fix = (Said("setup.fix.esim-device", names=devices) if devices
                   else Said("setup.fix.esim-device-none"))  # fmt: skip
            return [_said("esim-device", "warn", "setup.check.not-control-port", fix,
                          device=conf.esim.device, protocol=t.upper())]  # fmt: skip
        return [_said("esim-device", "ok", "setup.check.control-port",
                      device=conf.esim.device, protocol=t.upper())]  # fmt: skip
    return []


def _battery(facts: Facts, b: dict[str, str]) -> list[Check]:
    if b["battery"] in ("upower", "sysfs") and not facts.batteries:
        return [_said("battery", "warn", "setup.check.no-battery",
                      Said("setup.fix.set", setting='battery.backend = "none"'))]  # fmt: skip
    return []


def _clock(facts: Facts) -> Check:
    if facts.ntp_synchronized is False:
        return _said(
            "clock",
            "warn",
            "setup.check.clock-unsynced",
            Said("setup.fix.ntp"),
        )
    if facts.ntp_synchronized is None:
        return _said("clock", "warn", "setup.check.clock-unknown",
                     "sudo apt-get install systemd-timesyncd")  # fmt: skip
    return _said("clock", "ok", "setup.check.clock-synced")
