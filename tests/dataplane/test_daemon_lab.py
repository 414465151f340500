"""The daemon itself with the real data plane, inside the lab's router namespace."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


# -- a hostile client against the daemon: approval, a taken name, spoofing, a spray, MAC churn ------
HOSTILE = str(Path(__file__).with_name("hostile.py"))


def _in_router(lab: Lab, *args: str) -> dict[str, Any]:
    r = subprocess.run(
        ["ip", "netns", "exec", lab.router, *SIMSPOT, *args, "--json",
         "--state-dir", str(lab.dir / "daemon")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def _get(lab: Lab, i: int, url: str) -> bool:
    code = (
        "import sys, urllib.request\n"
        f"try: urllib.request.urlopen({url!r}, timeout=2).read()\n"
        "except OSError: sys.exit(1)\n"
    )
    r = subprocess.run(["ip", "netns", "exec", lab.client(i), sys.executable, "-c", code],
                       capture_output=True, timeout=30, check=False)  # fmt: skip
    return r.returncode == 0


def _restart_dhclient(lab: Lab, i: int, hostname: str | None = None) -> None:
    pidfile = lab.dir / f"dhclient-c{i}.pid"
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pidfile.read_text()), signal.SIGKILL)
    sh("ip", "-4", "addr", "flush", "dev", "eth0", ns=lab.client(i))
    (lab.dir / f"dhclient-c{i}.leases").unlink(missing_ok=True)
    lab.start_dhclient(i, hostname)


def _settled(lab: Lab, mac: str) -> dict[str, Any]:
    """The client's row once two polls in a row show the same byte counts (nothing in flight)."""
    last: list[tuple[int, int]] = []

    def same() -> dict[str, Any] | None:
        row = {c["mac"]: c for c in _in_router(lab, "status")["clients"]}[mac]
        last.append((row["rx_bytes"], row["tx_bytes"]))
        return row if len(last) > 1 and last[-1] == last[-2] else None

    found: dict[str, Any] = wait_for(same, timeout=60, interval=2.5)
    return found


def test_daemon_holds_new_devices_keeps_names_and_survives_a_hostile_client() -> None:
    lab = Lab(unique("sh"), 2)
    lab.up()
    with lab.config_path.open("a") as f:
        f.write("approve_new_devices = true\nnew_devices_per_minute = 3\n")
    daemon = None
    mac1, mac2 = client_mac(1), client_mac(2)
    url = f"http://{SERVER_V4}:{HTTP_PORT}/index.html"
    try:
        daemon = subprocess.Popen(
            ["ip", "netns", "exec", lab.router, *SIMSPOT, "serve",
             "--config", str(lab.config_path), "--port", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        ip1 = lab.wait_for_lease(1, 90)
        lab.wait_for_lease(2, 90)

        # 1. Approval: both have leases, neither forwards until approved.
        def listed() -> dict[str, dict[str, Any]] | None:
            doc = _in_router(lab, "hotspot", "devices")
            found = {d["mac"]: d for d in doc["devices"]}
            return found if {mac1, mac2} <= set(found) else None

        found = wait_for(listed, timeout=60, interval=1)
        assert found[mac1]["state"] == "waiting" and found[mac1]["hostname"] == "client1"
        assert found[mac1]["vendor"] == "private address (randomised by the device)"
        assert not _get(lab, 1, url)
        _in_router(lab, "hotspot", "approve", mac1)
        _in_router(lab, "hotspot", "approve", mac2)
        wait_for(lambda: _get(lab, 1, url) and _get(lab, 2, url), timeout=30, interval=1)

        # 2. Client 2 claims client 1's name: client 1 keeps it, client 2's is marked.
        _restart_dhclient(lab, 2, hostname="client1")
        lab.wait_for_lease(2, 60)

        def names() -> dict[str, str] | None:
            st = _in_router(lab, "status")
            got = {c["mac"]: c["hostname"] for c in st["clients"]}
            return got if got.get(mac2, "").startswith("client1 ") else None

        got = wait_for(names, timeout=60, interval=1)
        assert got[mac1] == "client1"
        assert got[mac2] == f"client1 (claimed; in use by {mac1})"

        # 3. Spoofing and a spray: nothing billed to client 1, sharing never fails.
        lan_mac = json.loads(sh("ip", "-j", "link", "show", "dev", "lan0", ns=lab.router))
        rmac = lan_mac[0]["address"]
        v6 = lab.wait_for_ipv6(1, 60)[0]
        # Client 1 uses its IPv6 address first, so the kernel binds it to client 1 (first-come).
        wait_for(lambda: _get(lab, 1, f"http://[2001:db8:ff::10]:{HTTP_PORT}/index.html"),
                 timeout=30, interval=1)  # fmt: skip
        before = _settled(lab, mac1)
        for args in (
            ("udp4", ip1, SERVER_V4, "200"),
            ("udp6", v6, "2001:db8:ff::10", "200"),
            ("spray6", "2001:db8:44::/64", "2001:db8:ff::10", "4000", "4"),
        ):
            sh(sys.executable, HOSTILE, "eth0", mac2, rmac, *args, ns=lab.client(2))  # fmt: skip
        time.sleep(3)  # a few polls of the daemon
        st = _in_router(lab, "status")
        sharing = next(c for c in st["components"] if c["name"] == "sharing")
        assert sharing["state"] == "running" and sharing["restarts"] == 0, sharing
        after = {c["mac"]: c for c in st["clients"]}
        assert after[mac1]["tx_bytes"] - before["tx_bytes"] < 2000  # its own few packets, if any
        assert len(after[mac2]["ipv6"]) <= 8
        assert _get(lab, 1, url)
        drops = _in_router(lab, "hotspot", "devices")["drops"]
        assert drops["spoofed_packets"] >= 400 and drops["learn_limited_packets"] >= 3900

        # 4. MAC churn: past 3 new MACs a minute a new MAC is held (no forwarding, no renewal).
        held = []
        for k in range(4):
            mac = f"02:66:00:00:00:{k:02x}"
            sh("ip", "link", "set", "eth0", "address", mac, ns=lab.client(2))
            _restart_dhclient(lab, 2)
            lab.wait_for_lease(2, 60)
            held.append(mac)

        def states() -> dict[str, str] | None:
            doc = {d["mac"]: d["state"] for d in _in_router(lab, "hotspot", "devices")["devices"]}
            return doc if all(m in doc for m in held) else None

        churn = wait_for(states, timeout=60, interval=1)
        assert [churn[m] for m in held].count("held") >= 1, churn
        assert not _get(lab, 2, url)  # the last MAC is held (or waits for approval)
        conf = (lab.dir / "daemon" / "dataplane" / "dnsmasq.conf").read_text()
        assert any(f"dhcp-host={m},ignore" in conf for m in held)
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        lab.down()
