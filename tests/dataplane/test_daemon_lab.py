"""The daemon itself with the real data plane, inside the lab's router namespace."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from pathlib import Path

from simspot.dataplane.lab import HTTP_PORT, SERVER_V4, Lab, client_mac
from simspot.errors import DataplaneError
from tests.dataplane.conftest import sh, unique
from tests.helpers import run_cli, wait_for

SIMSPOT = [sys.executable, "-m", "simspot.cli.main"]


def test_daemon_serves_lab_clients_from_leases_counts_them_and_cleans_up() -> None:
    lab = Lab(unique("sd"), 1)
    lab.up()
    daemon = None
    try:
        state = lab.dir / "daemon"
        log = (lab.dir / "serve.log").open("w")
        daemon = subprocess.Popen(
            ["ip", "netns", "exec", lab.router, *SIMSPOT, "serve",
             "--config", str(lab.config_path), "--port", "0"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        ip = lab.wait_for_lease(1, 90)  # dnsmasq is started by the daemon

        def in_table() -> bool:
            out = sh("nft", "list", "table", "inet", "simspot", ns=lab.router, check=False)
            return ip in out

        wait_for(in_table, timeout=60, interval=0.5)
        code = (
            "import urllib.request\n"
            f"urllib.request.urlopen('http://{SERVER_V4}:{HTTP_PORT}/10M.bin', timeout=10).read()\n"
        )
        sh(sys.executable, "-c", code, ns=lab.client(1))

        def counted() -> dict[str, object] | None:
            r = subprocess.run(
                ["ip", "netns", "exec", lab.router, *SIMSPOT, "status", "--json",
                 "--state-dir", str(state)],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            if r.returncode != 0:
                return None
            clients = {c["mac"]: c for c in json.loads(r.stdout)["clients"]}
            me = clients.get(client_mac(1))
            return me if me and me["rx_bytes"] >= 10_000_000 else None

        me = wait_for(counted, timeout=30, interval=1)
        assert me["ipv4"] == ip and me["hostname"] == "client1"
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
        assert sh("nft", "list", "ruleset", ns=lab.router).strip() == ""
        dnsmasq = subprocess.run(["pgrep", "-f", str(state)], capture_output=True, check=False)
        assert dnsmasq.stdout == b""
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        lab.down()


def test_lab_cli_up_status_down() -> None:
    prefix = unique("sc")
    up = run_cli("lab", "up", "--prefix", prefix, "--clients", "1", "--json", timeout=120)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        doc = json.loads(up.stdout)
        assert doc["namespaces"] == sorted([f"{prefix}-c1", f"{prefix}-inet", f"{prefix}-rtr"])
        assert doc["config"].endswith("lab.toml")
        again = run_cli("lab", "up", "--prefix", prefix, "--json")
        assert again.returncode == 1 and "exists" in json.loads(again.stdout)["error"]
        st = json.loads(run_cli("lab", "status", "--prefix", prefix, "--json").stdout)
        assert st["up"] and st["clients"][0]["mac"] == client_mac(1)
    finally:
        down = run_cli("lab", "down", "--prefix", prefix, "--json", timeout=60)
    assert down.returncode == 0
    assert len(json.loads(down.stdout)["removed"]) == 3
    st = json.loads(run_cli("lab", "status", "--prefix", prefix, "--json").stdout)
    assert not st["up"]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_lab_down_stops_a_running_daemon_its_dnsmasq_and_every_stray() -> None:
    lab = Lab(unique("sk"), 1)
    lab.up()
    daemon = None
    strays: list[subprocess.Popen[bytes]] = []
    try:
        daemon = subprocess.Popen(
            ["ip", "netns", "exec", lab.router, *SIMSPOT, "serve",
             "--config", str(lab.config_path), "--port", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        lab.wait_for_lease(1, 90)  # the daemon's dnsmasq serves the client
        dnsmasq = int((lab.dir / "daemon" / "dataplane" / "dnsmasq.pid").read_text())
        # A stray with a pid file deep in the lab's directory, and one with none at all (each
        # in a session of its own, as a daemon would be; `ip netns exec` becomes the program).
        deep = lab.dir / "daemon" / "x" / "y"
        deep.mkdir(parents=True)
        strays = [
            subprocess.Popen(
                ["ip", "netns", "exec", ns, "sleep", "600"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for ns in (lab.client(1), lab.inet)
        ]
        (deep / "stray.pid").write_text(f"{strays[0].pid}\n")
        stray, unnamed = (p.pid for p in strays)
        down = run_cli("lab", "down", "--prefix", lab.prefix, "--json", timeout=60)
        assert down.returncode == 0, down.stdout + down.stderr
        assert len(json.loads(down.stdout)["removed"]) == 3
        assert daemon.wait(10) is not None  # the daemon (in the router namespace) was stopped
        for pid in (dnsmasq, stray, unnamed):
            assert not _running(pid), pid
        assert lab.namespaces() == [] and not lab.dir.exists()
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        with contextlib.suppress(DataplaneError):
            lab.down()
        for p in strays:
            p.kill()
            p.wait()


def test_lab_down_fails_naming_a_namespace_that_survives(tmp_path: Path) -> None:
    lab = Lab(unique("sm"), 1)
    lab.up()
    hold = tmp_path / "held-netns"
    hold.touch()
    sh("mount", "--bind", f"/run/netns/{lab.client(1)}", str(hold))
    try:
        down = run_cli("lab", "down", "--prefix", lab.prefix, "--json", timeout=60)
        assert down.returncode == 1
        assert f"a mount of a lab namespace at {hold}" in json.loads(down.stdout)["error"]
    finally:
        sh("umount", str(hold), check=False)
        with contextlib.suppress(DataplaneError):
            lab.down()
    assert lab.namespaces() == []
