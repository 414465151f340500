"""One failure policy for every backend, with the real daemon: a backend that cannot start never
stops the daemon.

`simspot serve` runs (in a network namespace of its own, with the real nftables data plane) with
ModemManager, UPower, NetworkManager (the AP) and PC/SC configured, DBUS_SYSTEM_BUS_ADDRESS
naming a socket nobody listens on and no pcscd. The daemon keeps running, the API answers,
`status` names the cause and exits 3, each failure is logged once however often it is retried. Then a real dbus-daemon appears at that
address: the backends start without a restart, and status follows the causes the doctor names
(ModemManager not running, running without a modem, a locked SIM), each published once as
``modem.unavailable``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dataplane.conftest import sh, unique
from tests.dbusbus import spawn_dbusmock, start_bus, stop_bus, wait_for_name
from tests.helpers import wait_for

SIMSPOT = [sys.executable, "-m", "simspot.cli.main"]
MM_TEMPLATE = str(Path(__file__).parent.parent / "dbus" / "mm_template.py")
MM = "org.freedesktop.ModemManager1"


@pytest.fixture
def netns() -> Iterator[str]:
    name = unique("sbr")
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "link", "set", "lo", "up", ns=name)
        sh("ip", "link", "add", "lan0", "type", "bridge", ns=name)
        yield name
    finally:
        sh("ip", "netns", "del", name, check=False)


def test_a_backend_without_its_bus_recovers_without_a_restart(netns: str, tmp_path: Path) -> None:
    busdir = tmp_path / "bus"
    busdir.mkdir()
    address = f"unix:path={busdir / 'bus'}"  # nobody listens there yet
    state = tmp_path / "state"
    conf = tmp_path / "simspot.toml"
    conf.write_text(
        f'[daemon]\nstate_dir = "{state}"\napi_port = 0\nlan_https = false\n'
        'log_format = "text"\nrestart_backoff_s = 0.5\nrestart_backoff_max_s = 2\n\n'
        '[modem]\nbackend = "modemmanager"\npoll_interval_s = 1\n\n'
        '[battery]\nbackend = "upower"\nsysfs_fallback = false\n\n'
        '[esim]\ntransport = "pcsc"\n\n'
        '[hotspot]\nbackend = "networkmanager"\ninterface = "lan0"\nsecurity = "wpa2"\n\n'
        '[dataplane]\nbackend = "nft"\ndhcp = false\nlan_interface = "lan0"\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DBUS_SYSTEM_BUS_ADDRESS": address,
        "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm"),  # pcscd is not running
        "NO_COLOR": "1",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        daemon = subprocess.Popen(
            ["ip", "netns", "exec", netns, *SIMSPOT, "serve", "--config", str(conf)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    bus: subprocess.Popen[str] | None = None
    mock: subprocess.Popen[bytes] | None = None

    def status(*args: str) -> subprocess.CompletedProcess[str] | None:
        r = subprocess.run(
            ["ip", "netns", "exec", netns, *SIMSPOT, "status", *args, "--state-dir", str(state)],
            capture_output=True, text=True, timeout=30, check=False, env=env,
        )  # fmt: skip
        return None if r.returncode == 1 else r  # 1: no daemon answers (yet)

    def doc() -> dict[str, Any]:
        r = status("--json")
        assert r is not None, "the daemon stopped answering"
        out: dict[str, Any] = json.loads(r.stdout)
        out["rc"] = r.returncode
        return out

    def component(d: dict[str, Any], name: str) -> dict[str, Any]:
        found: dict[str, Any] = next(c for c in d["components"] if c["name"] == name)
        return found

    def message_id(d: dict[str, Any]) -> str | None:
        msg = d.get("not_sharing_message")
        return msg["id"] if msg else None

    try:
        # No bus: the daemon runs and answers, status says why and exits 3.
        first = wait_for(lambda: status("--json"), timeout=90, interval=0.5)
        assert first.returncode == 3, first.stdout + first.stderr

        def retried() -> dict[str, Any] | None:
            d = doc()
            return d if component(d, "modem-backend")["restarts"] >= 4 else None

        d = wait_for(retried, timeout=60, interval=0.5)
        assert daemon.poll() is None
        assert d["rc"] == 3
        want = f"no uplink (cannot connect to D-Bus at the system bus ({address}): "
        assert d["not_sharing"].startswith(want), d["not_sharing"]
        assert "sudo systemctl start dbus" in d["not_sharing"]
        assert message_id(d) == "dbus.unreachable"
        assert component(d, "modem-backend")["state"] in ("restarting", "running")
        assert component(d, "battery-backend")["restarts"] >= 1
        esim = component(d, "esim")
        assert esim["state"] in ("restarting", "running") and esim["restarts"] >= 1
        assert "no PC/SC reader: is pcscd running" in esim["last_error"]
        text = status()
        assert text is not None and text.returncode == 3
        assert "not sharing: no uplink (cannot connect to D-Bus" in " ".join(text.stdout.split())
        # Reported once (one line, no traceback) although it was retried several times.
        logged = log_path.read_text()
        assert logged.count("modem-backend: cannot connect to D-Bus") == 1, logged
        assert logged.count("esim: no PC/SC reader") == 1, logged
        assert logged.count("hotspot: cannot reach NetworkManager's bus") == 1, logged
        assert "esim.ready" not in logged
        assert "Traceback" not in logged, logged

        # The system bus appears at that address: the backends start, no restart needed.
        bus, got = start_bus(busdir)
        assert got.split(",")[0] == address

        def cause(want: str) -> dict[str, Any] | None:
            d = doc()
            return d if message_id(d) == want else None

        d = wait_for(lambda: cause("modem.why.no-manager"), timeout=60, interval=0.5)
        assert d["rc"] == 3
        assert d["not_sharing"] == (
            "no uplink (ModemManager is not running (sudo systemctl start ModemManager))"
        )
        assert component(d, "modem-backend")["state"] == "running"
        wait_for(lambda: component(doc(), "battery-backend")["state"] == "running", timeout=60)

        # ModemManager starts (dbusmock) without a modem, then a modem with a locked SIM.
        mock = spawn_dbusmock(address, MM_TEMPLATE, tmp_path / "mm.log")
        wait_for_name(address, MM, mock, tmp_path / "mm.log")
        d = wait_for(lambda: cause("modem.why.no-modem"), timeout=60, interval=0.5)
        assert "ModemManager runs but sees no modem" in d["not_sharing"]
        assert "mmcli -L" in d["not_sharing"]
        subprocess.run(
            ["dbus-send", f"--bus={address}", "--print-reply", f"--dest={MM}",
             "/org/freedesktop/ModemManager1", "org.freedesktop.DBus.Mock.AddDualSimModem",
             "dict:string:boolean:locked,true"],
            check=True, capture_output=True,
        )  # fmt: skip
        d = wait_for(lambda: cause("modem.why.sim-locked"), timeout=60, interval=0.5)
        assert d["rc"] == 3 and d["modem"] is not None
        assert "the SIM is locked (sim-pin" in d["not_sharing"]
        assert "simspot sim unlock --pin PIN" in d["not_sharing"]
        assert d["not_sharing_message"]["params"]["lock"] == "sim-pin"
        assert daemon.poll() is None
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
            if mock is not None:
                mock.terminate()
                mock.wait(10)
            if bus is not None:
                stop_bus(bus)
    logged = log_path.read_text()
    assert daemon.returncode == 0, logged
    assert "Traceback" not in logged, logged
    # Each cause published once, in the order they came, with the doctor's sentence.
    events = [line for line in logged.splitlines() if "modem.unavailable" in line]
    reasons = [r for line in events for r in ("no-manager", "no-modem", "sim-locked") if r in line]
    assert reasons == ["no-manager", "no-modem", "sim-locked"], events
    assert "esim.ready" not in logged  # never claimed while pcscd is absent
