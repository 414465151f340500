"""What `simspot setup` decides from the facts, the conflicts it resolves with consent, and the
files it writes (the config with comments, the systemd unit). Pure: the CLI asks the questions,
applies the fixes and writes the files through ``System``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from simspot.i18n import Lang, Message, render
from simspot.setup import configdoc
from simspot.setup.detect import PORT_AT, PORT_MBIM, PORT_QMI
from simspot.setup.probe import Facts

UNIT_NAME = "simspot.service"


class Said(str):
    """An English sentence that also names its catalogue message (simspot.i18n): it is the
    English text wherever a ``str`` goes (the config file's header, JSON, tests), and the CLI
    says it in the reader's language with ``localized``."""

    message: dict[str, Any]

    def __new__(cls, msg_id: str, /, **params: Any) -> Said:
        msg = Message(msg_id, params)
        said = super().__new__(cls, msg.text("en"))
        said.message = {"id": msg.id, "params": dict(params)}
        return said

    def text(self, lang: Lang = "en") -> str:
        return render(self.message["id"], self.message["params"], lang)

    def __copy__(self) -> Said:
        return self

    def __deepcopy__(self, memo: Any) -> Said:
        return self


def localized(text: str, lang: Lang = "en") -> str:
    """``text`` in ``lang`` when it names its sentence (``Said``), else as it is."""
    return text.text(lang) if isinstance(text, Said) else text


@dataclass
class Plan:
    """The choices for the config, and why; ``questions`` are what the facts leave open."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def set(self, key: str, value: Any) -> None:
        section, _, name = key.partition(".")
        self.values.setdefault(section, {})[name] = value

    def get(self, key: str) -> Any:
        section, _, name = key.partition(".")
        return self.values.get(section, {}).get(name)


@dataclass(frozen=True)
class Question:
    key: str  # "hotspot.interface"
    text: str
    choices: tuple[str, ...] = ()  # empty: free text checked by the config model
    default: str | None = None  # what --yes takes (None: --yes leaves the key unset)


Ask = Callable[[Question], str | None]


def decide(facts: Facts, ask: Ask) -> Plan:
    """The config for this box. ``ask`` answers what the facts leave open (the CLI prompts, or
    takes each question's default with --yes)."""
    plan = Plan()
    # The uplink: a modem through ModemManager, else an Ethernet port with a cable in.
    modem = facts.modems[0] if facts.modems else None
    wired_up = [n for n in facts.ethernet() if n.carrier]
    if modem is not None or facts.mm_running:
        plan.set("modem.backend", "modemmanager")
        if modem is None:
            plan.notes.append(Said("setup.note.no-modem-yet"))
        elif modem.locked:
            plan.notes.append(Said("setup.note.sim-locked", lock=modem.lock))
    elif facts.control_ports:
        plan.set("modem.backend", "modemmanager")
        plan.notes.append(Said("setup.note.no-manager"))
    elif wired_up:
        plan.set("modem.backend", "none")
        plan.set("dataplane.uplink_interface", wired_up[0].name)
        plan.notes.append(Said("setup.note.wired-uplink", name=wired_up[0].name))
    else:
        plan.set("modem.backend", "none")
        plan.notes.append(Said("setup.note.no-uplink"))

    # The LAN: a Wi-Fi interface that can be an access point, else a spare Ethernet port.
    candidates = [n for n in facts.wifi() if facts.can_ap(n) is not False]
    uplink = plan.get("dataplane.uplink_interface")
    spare_eth = [n for n in facts.ethernet() if n.name != uplink]
    if candidates:
        names = tuple(n.name for n in candidates)
        choice = names[0]
        if len(names) > 1:
            choice = ask(Question("hotspot.interface", Said("setup.question.interface"),
                                  names, names[0])) or names[0]  # fmt: skip
        wifi = next(n for n in candidates if n.name == choice)
        plan.set("hotspot.backend", "hostapd")
        plan.set("hotspot.interface", wifi.name)
        plan.set("dataplane.lan_interface", wifi.name)
        plan.set("hotspot.band", "2.4")
        country = facts.country
        if country is None:
            answer = ask(Question("hotspot.country", Said("setup.question.country")))
            country = answer.strip().upper() if answer else None
        if country:
            plan.set("hotspot.country", country)
        else:
            plan.notes.append(Said("setup.note.no-country"))
    elif spare_eth:
        plan.set("hotspot.backend", "none")
        plan.set("dataplane.lan_interface", spare_eth[0].name)
        plan.notes.append(Said("setup.note.wired-lan", name=spare_eth[0].name))
    else:
        plan.set("hotspot.backend", "none")
        plan.notes.append(Said("setup.note.no-lan"))
    plan.set("dataplane.backend", "nft")

    # The eUICC: the modem's (QMI/MBIM beside ModemManager), else a PC/SC reader.
    if modem is not None and modem.has_euicc:
        qmi, mbim = modem.port(PORT_QMI), modem.port(PORT_MBIM)
        if qmi or mbim:
            plan.set("esim.transport", "qmi" if qmi else "mbim")
            plan.set("esim.device", qmi or mbim)
            slot = next(s.index for s in modem.slots if s.euicc)
            if len(modem.slots) > 1:
                plan.set("esim.slot", slot)
        elif modem.port(PORT_AT):
            plan.set("esim.transport", "at")
            plan.set("esim.at_port", modem.port(PORT_AT))
    if plan.get("esim.transport") is None and facts.readers:
        plan.set("esim.transport", "pcsc")
    if plan.get("esim.transport") is None:
        plan.set("esim.transport", "none")

    plan.set("battery.backend", "upower" if facts.batteries else "none")
    return plan


# -- conflicts ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fix:
    id: str
    problem: str
    commands: tuple[tuple[str, ...], ...] = ()
    files: tuple[tuple[str, str], ...] = ()  # (absolute path, whole content)
    appends: tuple[tuple[str, str], ...] = ()  # (absolute path, line to add)
    safe: bool = True  # --yes applies it; otherwise it needs an explicit yes
    manual: str | None = None  # what a person must do instead (nothing to run)

    def describe(self) -> list[str]:
        steps: list[str] = [" ".join(c) for c in self.commands]
        steps += [Said("setup.fix.write", path=p) for p, _ in self.files]
        steps += [Said("setup.fix.add", line=repr(line), path=p) for p, line in self.appends]
        return steps or ([self.manual] if self.manual else [])


def conflicts(facts: Facts, plan: Plan) -> list[Fix]:
    out: list[Fix] = []
    if plan.get("modem.backend") == "modemmanager" and not facts.mm_running:
        out.append(
            Fix(
                "modemmanager",
                Said("setup.conflict.mm-not-running"),
                commands=(("systemctl", "enable", "--now", "ModemManager.service"),)
                if facts.tools.get("mmcli")
                else (),
                manual="sudo apt-get install modemmanager",
            )
        )
    wifi = plan.get("hotspot.interface") if plan.get("hotspot.backend") == "hostapd" else None
    if wifi:
        iface = facts.iface(wifi)
        if facts.nm_manages(wifi):
            out.append(
                Fix(
                    "networkmanager",
                    Said("setup.conflict.nm-manages", name=wifi),
                    commands=(("nmcli", "device", "set", wifi, "managed", "no"),),
                    files=(
                        (
                            "/etc/NetworkManager/conf.d/90-simspot.conf",
                            "# written by simspot setup: hostapd runs the access point here\n"
                            f"[keyfile]\nunmanaged-devices=interface-name:{wifi}\n",
                        ),
                    ),
                )
            )
        if facts.dhcpcd_holds(wifi):
            out.append(
                Fix(
                    "dhcpcd",
                    Said("setup.conflict.dhcpcd", name=wifi),
                    appends=(("/etc/dhcpcd.conf", f"denyinterfaces {wifi}"),),
                    commands=(("systemctl", "restart", "dhcpcd.service"),),
                )
            )
        switch = facts.rfkill_of(iface) if iface else None
        if switch is not None and switch.hard:
            out.append(Fix("rfkill", Said("setup.check.hard-blocked", name=wifi),
                           manual=Said("setup.conflict.radio-switch")))  # fmt: skip
        elif switch is not None and switch.soft:
            out.append(Fix("rfkill", Said("setup.check.soft-blocked", name=wifi),
                           commands=(("rfkill", "unblock", "wifi"),)))  # fmt: skip
        country = plan.get("hotspot.country")
        if facts.country is None and country:
            out.append(Fix("country", Said("setup.conflict.no-country"),
                           commands=(("iw", "reg", "set", country),)))  # fmt: skip
    for listener in facts.port53_conflicts():
        if listener.process == "dnsmasq":
            out.append(
                Fix("port53", Said("setup.conflict.dnsmasq"),
                    commands=(("systemctl", "disable", "--now", "dnsmasq.service"),), safe=False)
            )  # fmt: skip
        elif listener.process and listener.process.startswith("systemd-resolve"):
            out.append(
                Fix(
                    "port53",
                    Said("setup.conflict.resolved"),
                    files=(("/etc/systemd/resolved.conf.d/simspot.conf",
                            "# written by simspot setup\n[Resolve]\nDNSStubListener=no\n"),),
                    commands=(("systemctl", "restart", "systemd-resolved.service"),),
                    safe=False,
                )
            )  # fmt: skip
        else:
            problem = (
                Said("setup.conflict.port53", process=listener.process)
                if listener.process
                else Said("setup.conflict.port53-unknown")
            )
            out.append(Fix("port53", problem, manual=Said("setup.conflict.port53-fix")))
        break
    return out


# -- the config file ---------------------------------------------------------------------------
def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _wrap(text: str, width: int = 96) -> list[str]:
    words, line = text.split(), "#"
    lines: list[str] = []
    for w in words:
        if len(line) + 1 + len(w) > width and line != "#":
            lines.append(line)
            line = "#"
        line += " " + w
    if line != "#":
        lines.append(line)
    return lines


def render_config(plan: Plan, facts_summary: list[str]) -> str:
    """The config file: the chosen keys with their meaning above each, and what setup saw."""
    meanings = {k.path: k.meaning for k in configdoc.keys()}
    out = [
        "# simspot configuration, written by `simspot setup` (re-run it after a hardware change).",
        "# Every key is explained in docs/CONFIG.md; `simspot config check FILE` validates an",
        "# edited file and `simspot doctor` checks the box against it.",
        "#",
        "# What setup found:",
        *[f"#   {line}" for line in facts_summary],
    ]
    for section, values in plan.values.items():
        out += ["", f"[{section}]"]
        for name, value in values.items():
            out += _wrap(meanings.get(f"{section}.{name}", ""))
            out.append(f"{name} = {_toml(value)}")
    return "\n".join(out) + "\n"


def _part(msg_id: str) -> tuple[str, dict[str, Any]]:
    """A part of a sentence (``{name:said}``): its English text and its message."""
    return render(msg_id, {}), {"id": msg_id, "params": {}}


def summary(facts: Facts) -> list[str]:
    """What setup saw, one line each (for the config's header and the terminal)."""
    lines: list[str] = []
    for m in facts.modems:
        name = " ".join(x for x in (m.manufacturer, m.model) if x) or m.path
        slots = [
            {
                "id": f"setup.found.slot.{'euicc' if s.euicc else 'sim' if s.present else 'empty'}"
                + ("-active" if s.active else ""),
                "params": {"index": s.index},
            }
            for s in m.slots
        ]
        if slots:
            lines.append(Said("setup.found.modem", name=name, slots=slots, lock=m.lock))
        else:
            lines.append(Said("setup.found.modem-no-sim", name=name, lock=m.lock))
    if not facts.modems:
        lines.append(Said("setup.found.no-modem" if facts.mm_running else "setup.found.no-manager"))
    for n in facts.wifi():
        ap = {True: "ap", False: "no-ap", None: "ap-unknown"}[facts.can_ap(n)]
        phy = facts.phy_of(n)
        sw = facts.rfkill_of(n)
        parts = {
            "ap": _part(f"setup.found.{ap}"),
            "bands": ("/".join(sorted(phy.bands)) + " GHz", None)
            if phy and phy.bands
            else _part("setup.found.bands-unknown"),
            "blocked": _part("setup.found.rfkill-blocked")
            if sw and (sw.soft or sw.hard)
            else ("", None),
        }
        params: dict[str, Any] = {"name": n.name}
        for key, (text, said) in parts.items():
            params |= {key: text, f"{key}_said": said}
        lines.append(Said("setup.found.wifi", **params))
    for n in facts.ethernet():
        cable = "setup.found.ethernet" if n.carrier else "setup.found.ethernet-no-cable"
        lines.append(Said(cable, name=n.name))
    if facts.country:
        lines.append(Said("setup.found.country", country=facts.country))
    else:
        lines.append(Said("setup.found.no-country"))
    for path, proto in facts.control_ports:
        lines.append(Said("setup.check.control-port", protocol=proto.upper(), device=path))
    if facts.readers:
        lines.append(Said("setup.found.readers", readers=list(facts.readers)))
    for b in facts.batteries:
        if b.capacity_percent is not None:
            lines.append(Said("setup.found.battery-at", name=b.name, percent=b.capacity_percent))
        else:
            lines.append(Said("setup.found.battery", name=b.name))
    return lines


# -- the systemd unit --------------------------------------------------------------------------
def render_unit(executable: str, config_path: Path) -> str:
    template = resources.files("simspot").joinpath("data/simspot.service").read_text("utf-8")
    for ch in " \t\n\"'\\%$;":
        if ch in executable or ch in str(config_path):
            raise ValueError(f"the path {executable} or {config_path} cannot go in a unit file")
    return template.replace("@EXEC@", executable).replace("@CONFIG@", str(config_path))


# -- applying ----------------------------------------------------------------------------------
class System(Protocol):
    """Where setup's changes go: commands run and files written (under ``root``)."""

    root: Path

    def run(self, argv: tuple[str, ...]) -> tuple[int, str]: ...


class HostSystem:
    """This machine (``root`` is / outside tests)."""

    def __init__(self, root: Path = Path("/")) -> None:
        self.root = root

    def run(self, argv: tuple[str, ...]) -> tuple[int, str]:
        try:
            done = subprocess.run(
                list(argv), capture_output=True, text=True, timeout=120, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return 127, str(exc)
        return done.returncode, (done.stderr or done.stdout).strip()


def place(system: System, path: str | Path) -> Path:
    """An absolute path under the system's root."""
    return system.root / str(path).lstrip("/")


def apply_fix(system: System, fix: Fix) -> list[str]:
    """Apply a fix; returns the problems (empty: done)."""
    problems: list[str] = []
    for path, content in fix.files:
        target = place(system, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    for path, line in fix.appends:
        target = place(system, path)
        text = target.read_text(encoding="utf-8") if target.exists() else ""
        if line not in text.splitlines():
            sep = "" if not text or text.endswith("\n") else "\n"
            target.write_text(f"{text}{sep}{line}\n", encoding="utf-8")
    for argv in fix.commands:
        code, text = system.run(argv)
        if code != 0:
            problems.append(
                Said("setup.fix.failed", command=" ".join(argv), code=code, output=text)
            )
    return problems
