"""`simspot setup` on the fake box: the config it writes (valid, commented), the fixes it applies
with consent, the unit it installs (checked by systemd-analyze verify)."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from simspot import config
from simspot.setup.install import install
from simspot.setup.plan import Fix, Question, render_unit
from simspot.setup.probe import Facts
from tests.setup import world


class Recorder:
    """The system's commands, recorded (files go under ``root``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ran: list[tuple[str, ...]] = []

    def run(self, argv: tuple[str, ...]) -> tuple[int, str]:
        self.ran.append(argv)
        return 0, ""


def pi_facts(root: Path) -> Facts:
    """A Pi: NetworkManager holds wlan0, no country, rfkill soft-blocked, another dnsmasq on
    port 53, a dual-slot modem with an eUICC behind a QMI port."""
    objects, sims = world.mm_answer()
    inputs = replace(
        world.healthy_inputs(root, soft_blocked=True, battery=True),
        mm_objects=objects,
        mm_sims=sims,
        nmcli_devices=world.NMCLI_MANAGED,
        iw_reg=world.IW_REG_UNSET,
        ss_listeners=world.SS_DNSMASQ,
    )
    return Facts.of(inputs)


def run(root: Path, *, answers: dict[str, str], agree: bool) -> tuple:  # type: ignore[type-arg]
    asked: list[Question] = []
    offered: list[Fix] = []

    def ask(q: Question) -> str | None:
        asked.append(q)
        return answers.get(q.key, q.default)

    def consent(fix: Fix) -> bool:
        offered.append(fix)
        return agree or fix.safe

    system = Recorder(root)
    report = install(
        pi_facts(root), system, ask, consent,
        config_path=Path("/etc/simspot/simspot.toml"),
        executable="/opt/simspot/bin/simspot", wait_password_s=0,
    )  # fmt: skip
    return report, system, asked, offered


def test_setup_writes_a_valid_commented_config_and_fixes_with_consent(tmp_path: Path) -> None:
    report, system, asked, offered = run(tmp_path, answers={"hotspot.country": "de"}, agree=False)
    assert [q.key for q in asked] == ["hotspot.country"]  # the one thing it could not decide
    path = tmp_path / "etc/simspot/simspot.toml"
    text = path.read_text()
    conf = config.validate(tomllib.loads(text))
    assert conf.modem.backend == "modemmanager"
    assert (conf.hotspot.backend, conf.hotspot.interface, conf.hotspot.country) == (
        "hostapd", "wlan0", "DE",
    )  # fmt: skip
    assert conf.dataplane.lan_interface == "wlan0"
    assert (conf.esim.transport, conf.esim.device, conf.esim.slot) == ("qmi", "/dev/cdc-wdm0", 2)
    assert conf.battery.backend == "upower"
    assert "# The Wi-Fi interface the access point runs on." in text
    assert "#   modem Quectel EM12-G; slot 1: SIM (active), slot 2: eUICC; SIM lock none" in text
    assert path.stat().st_mode & 0o777 == 0o600
    # Safe fixes applied, the unsafe one (stopping another dnsmasq) left for a person.
    assert ("nmcli", "device", "set", "wlan0", "managed", "no") in system.ran
    nm_conf = tmp_path / "etc/NetworkManager/conf.d/90-simspot.conf"
    assert "unmanaged-devices=interface-name:wlan0" in nm_conf.read_text()
    assert ("rfkill", "unblock", "wifi") in system.ran
    assert ("iw", "reg", "set", "DE") in system.ran
    assert ("systemctl", "disable", "--now", "dnsmasq.service") not in system.ran
    assert [f.id for f in report.left] == ["port53"]
    assert {f.id for f in offered} == {"networkmanager", "rfkill", "country", "port53"}
    # The unit, then systemd told to enable and start it.
    unit = (tmp_path / "etc/systemd/system/simspot.service").read_text()
    assert "ExecStart=/opt/simspot/bin/simspot serve --config /etc/simspot/simspot.toml" in unit
    assert system.ran[-2:] == [
        ("systemctl", "daemon-reload"),
        ("systemctl", "enable", "--now", "simspot.service"),
    ]
    assert report.admin_url == "http://127.0.0.1:8765/"
    assert str(report.password_file) == "/var/lib/simspot/initial-admin-password"


def test_consent_given_stops_the_other_dnsmasq_and_rerun_keeps_a_backup(tmp_path: Path) -> None:
    run(tmp_path, answers={}, agree=True)
    report, system, _, _ = run(tmp_path, answers={}, agree=True)
    assert ("systemctl", "disable", "--now", "dnsmasq.service") in system.ran
    assert report.backup is not None and report.backup.exists()
    # No country given: the key is left out rather than guessed.
    conf = tomllib.loads((tmp_path / "etc/simspot/simspot.toml").read_text())
    assert "country" not in conf["hotspot"]


def test_dhcpcd_denied_once(tmp_path: Path) -> None:
    objects, sims = world.mm_answer()
    inputs = replace(world.healthy_inputs(tmp_path), mm_objects=objects, mm_sims=sims,
                     processes=frozenset({"ModemManager", "dhcpcd"}))  # fmt: skip
    (tmp_path / "etc/dhcpcd.conf").write_text("hostname\nnoipv6")  # no final newline
    system = Recorder(tmp_path)
    for _ in range(2):
        install(Facts.of(inputs), system, lambda q: q.default, lambda f: True,
                config_path=Path("/etc/simspot/simspot.toml"), executable="/usr/bin/simspot",
                wait_password_s=0)  # fmt: skip
        inputs = replace(inputs, etc=tmp_path / "etc")
    text = (tmp_path / "etc/dhcpcd.conf").read_text()
    assert text == "hostname\nnoipv6\ndenyinterfaces wlan0\n"
    assert ("systemctl", "restart", "dhcpcd.service") in system.ran


def test_wired_only_box(tmp_path: Path) -> None:
    """No modem, no Wi-Fi: the Ethernet port with a cable is the uplink and nothing is left
    for the LAN; setup says so instead of writing a config that cannot share."""
    inputs = replace(world.healthy_inputs(tmp_path, wifi=False), mm_running=False,
                     processes=frozenset())  # fmt: skip
    report = install(Facts.of(inputs), Recorder(tmp_path), lambda q: q.default,
                     lambda f: False, config_path=Path("/etc/simspot/simspot.toml"),
                     executable="/usr/bin/simspot", dry_run=True)  # fmt: skip
    conf = config.validate(tomllib.loads(report.config_text))
    assert (conf.modem.backend, conf.dataplane.uplink_interface) == ("none", "eth0")
    assert any("no spare Ethernet port" in n for n in report.notes)
    assert not (tmp_path / "etc/simspot").exists()  # a dry run writes nothing


@pytest.fixture
def verify() -> str:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: apt-get install systemd (scripts/apt-packages.txt)"
    return tool


def _verify(tool: str, unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=120)


def test_unit_passes_systemd_analyze_verify(tmp_path: Path, verify: str) -> None:
    unit = tmp_path / "simspot.service"
    unit.write_text(render_unit("/usr/bin/true", Path("/etc/simspot/simspot.toml")))
    done = _verify(verify, unit)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    text = unit.read_text()
    for line in ("ProtectSystem=strict", "StateDirectory=simspot", "NoNewPrivileges=yes",
                 "After=network-pre.target dbus.service ModemManager.service"):  # fmt: skip
        assert line in text
    caps = next(x for x in text.splitlines() if x.startswith("CapabilityBoundingSet="))
    assert "CAP_SYS_ADMIN" not in caps and "CAP_NET_ADMIN" in caps


def test_verify_catches_a_broken_unit(tmp_path: Path, verify: str) -> None:
    unit = tmp_path / "simspot.service"
    unit.write_text(render_unit("/usr/bin/true", Path("/etc/simspot/simspot.toml"))
                    .replace("ProtectSystem=strict", "ProtectSystem=sometimes"))  # fmt: skip
    done = _verify(verify, unit)
    assert done.returncode != 0 or done.stderr.strip() != ""


def test_unit_refuses_paths_it_cannot_quote() -> None:
    with pytest.raises(ValueError, match="unit file"):
        render_unit("/opt/my simspot/bin/simspot", Path("/etc/simspot/simspot.toml"))
