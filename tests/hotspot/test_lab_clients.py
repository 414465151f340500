"""The client list fed by real DHCP leases: the daemon in the data plane's netns lab, wired sharing.

``hotspot.backend = "none"`` (Ethernet/USB sharing) has no station table, so the clients are
whoever holds a lease from the daemon's dnsmasq; their bytes come from the nftables counters. The
lab's clients get their addresses from dhclient, so everything here is real: DHCP, nft, traffic.
Blocking a client through the CLI cuts its traffic off in the kernel; unblocking restores it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

from simspot.dataplane.lab import HTTP_PORT, LAN, SERVER_V4, UPLINK, Lab, client_mac
from tests.helpers import SIMSPOT, wait_for


def test_clients_from_leases_with_bytes_and_blocking() -> None:
    lab = Lab(f"hs{os.getpid() % 100000}", 2)
    lab.up()
    daemon = None
    try:
        state = lab.dir / "daemon"
        conf = lab.dir / "hotspot.toml"
        conf.write_text(
            f'[daemon]\nstate_dir = "{state}"\n\n'
            f'[dataplane]\nbackend = "nft"\nlan_interface = "{LAN}"\nuplink_interface = "{UPLINK}"\n\n'
            '[hotspot]\nbackend = "none"\ninterface = "lan0"\n'
        )
        with (lab.dir / "serve.log").open("w") as log:
            daemon = subprocess.Popen(
                ["ip", "netns", "exec", lab.router, *SIMSPOT, "serve", "--config", str(conf), "--port", "0"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        ips = {i: lab.wait_for_lease(i, 90) for i in (1, 2)}

        def cli(*args: str) -> Any:
            r = subprocess.run(
                ["ip", "netns", "exec", lab.router, *SIMSPOT, "hotspot", *args, "--json",
                 "--state-dir", str(state)],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            return json.loads(r.stdout) if r.returncode == 0 else None

        def fetch(i: int, timeout_s: int) -> bool:
            code = (
                "import urllib.request\n"
                f"urllib.request.urlopen('http://{SERVER_V4}:{HTTP_PORT}/10M.bin', "
                f"timeout={timeout_s}).read()\n"
            )
            r = subprocess.run(
                ["ip", "netns", "exec", lab.client(i), sys.executable, "-c", code],
                capture_output=True, timeout=120, check=False,
            )  # fmt: skip
            return r.returncode == 0

        def both_listed() -> dict[str, Any] | None:
            doc = cli("clients")
            rows = {c["mac"]: c for c in doc["clients"]} if doc else {}
            return rows if {client_mac(1), client_mac(2)} <= rows.keys() else None

        rows = wait_for(both_listed, timeout=60, interval=1)
        for i in (1, 2):
            row = rows[client_mac(i)]
            assert row["ipv4"] == ips[i] and row["hostname"] == f"client{i}"
            assert row["blocked"] is False and row["signal_dbm"] is None
            assert row["cycle_bytes"] is None  # no plan for the lab's uplink
        status = cli("status")
        assert status["backend"] == "none" and status["up"] is True

        assert fetch(1, 20)

        def counted() -> dict[str, Any] | None:
            r = both_listed()
            me = r[client_mac(1)] if r else None
            return me if me and me["session_rx_bytes"] >= 10_000_000 else None

        wait_for(counted, timeout=30, interval=1)

        assert fetch(2, 20), "client 2 must work before it is blocked"
        assert cli("block", client_mac(2)) == {"mac": client_mac(2), "blocked": True}

        def cut_off() -> bool:
            return not fetch(2, 3)

        wait_for(cut_off, timeout=30, interval=1)
        assert both_listed()[client_mac(2)]["blocked"] is True  # type: ignore[index]
        assert fetch(1, 20), "blocking one client must not cut off another"
        assert cli("unblock", client_mac(2))["blocked"] is False
        wait_for(lambda: fetch(2, 10), timeout=30, interval=1)

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        lab.down()
