"""A small namespace lab for uplinks: a box with two ways out, "ISP A" and "ISP B".

    <p>-ispa  wan 10.91.1.1/30, 198.51.100.53 on lo (DNS answers 10.0.0.1, HTTP 204)
                 |
    <p>-box   upa 10.91.1.2/30 (default route metric 100), upb 10.91.2.2/30 (metric 200)
                 |
    <p>-ispb  wan 10.91.2.1/30, 198.51.100.53 on lo (DNS answers 10.0.0.2, HTTP 204)

Both ISPs serve the same address, so only the interface a probe is bound to says which one
answered. ``blackhole(isp)`` takes the ISP's upstream away (its service address), silently.

``add_lan()`` adds a client behind the box (``<p>-cl``: eth0 192.168.44.10/24, the box's lan0
192.168.44.1/24) for traffic through the box's data plane; ``count_at_isps()`` puts nft counters
at each ISP's side of its link (what crossed it, both ways, of the UDP echo on port 7), read back
by ``isp_bytes()``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SERVICE = "198.51.100.53"
ECHO_PORT = 7
LAN_BOX = "192.168.44.1/24"
LAN_CLIENT = "192.168.44.10"
CLIENT_MAC = "02:53:00:00:00:0a"
ANSWERS = {"a": "10.0.0.1", "b": "10.0.0.2"}
ROOT = Path(__file__).resolve().parents[2]


class TwoIsps:
    def __init__(self) -> None:
        self.prefix = f"ul{os.getpid() % 100000}"
        self.box = f"{self.prefix}-box"
        self.isp = {k: f"{self.prefix}-isp{k}" for k in "ab"}
        self.client = f"{self.prefix}-cl"
        self.servers: list[subprocess.Popen[str]] = []

    def sh(self, ns: str | None, *cmd: str, check: bool = True) -> str:
        argv = ["ip", "netns", "exec", ns, *cmd] if ns else list(cmd)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
        return r.stdout

    def up(self) -> TwoIsps:
        self.down()
        for ns in (self.box, *self.isp.values()):
            self.sh(None, "ip", "netns", "add", ns)
            self.sh(ns, "ip", "link", "set", "lo", "up")
        for n, k in enumerate("ab", start=1):
            isp, up = self.isp[k], f"up{k}"
            self.sh(None, "ip", "link", "add", up, "netns", self.box, "type", "veth",
                    "peer", "name", "wan", "netns", isp)  # fmt: skip
            self.sh(self.box, "ip", "addr", "add", f"10.91.{n}.2/30", "dev", up)
            self.sh(self.box, "ip", "link", "set", up, "up")
            self.sh(isp, "ip", "addr", "add", f"10.91.{n}.1/30", "dev", "wan")
            self.sh(isp, "ip", "link", "set", "wan", "up")
            self.sh(isp, "ip", "addr", "add", f"{SERVICE}/32", "dev", "lo")
            self.sh(self.box, "ip", "route", "add", "default", "via", f"10.91.{n}.1", "dev", up,
                    "metric", str(100 * n))  # fmt: skip
            proc = subprocess.Popen(
                ["ip", "netns", "exec", isp, sys.executable, str(ROOT / "tests/uplink/isp_server.py"),
                 ANSWERS[k], SERVICE],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            self.servers.append(proc)
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"ISP {k} server did not start")
        return self

    def add_lan(self) -> None:
        """A client namespace on the box's lan0 (addresses set statically, no DHCP)."""
        self.sh(None, "ip", "netns", "add", self.client)
        self.sh(self.client, "ip", "link", "set", "lo", "up")
        self.sh(None, "ip", "link", "add", "lan0", "netns", self.box, "type", "veth",
                "peer", "name", "eth0", "netns", self.client)  # fmt: skip
        self.sh(self.client, "ip", "link", "set", "eth0", "address", CLIENT_MAC)
        self.sh(self.box, "ip", "addr", "add", LAN_BOX, "dev", "lan0")
        self.sh(self.box, "ip", "link", "set", "lan0", "up")
        self.sh(self.client, "ip", "addr", "add", f"{LAN_CLIENT}/24", "dev", "eth0")
        self.sh(self.client, "ip", "link", "set", "eth0", "up")
        self.sh(self.client, "ip", "route", "add", "default", "via", LAN_BOX.split("/")[0])

    def count_at_isps(self) -> None:
        """Each ISP counts the echo traffic crossing its link: in before anything else sees it
        (prerouting, raw priority), out after everything else (postrouting)."""
        for ns in self.isp.values():
            script = (
                "add table inet isp\n"
                "add counter inet isp up\n"
                "add counter inet isp down\n"
                "add chain inet isp pre { type filter hook prerouting priority -300; }\n"
                "add chain inet isp post { type filter hook postrouting priority 300; }\n"
                f'add rule inet isp pre iifname "wan" udp dport {ECHO_PORT} counter name "up"\n'
                f'add rule inet isp post oifname "wan" udp sport {ECHO_PORT} counter name "down"\n'
            )
            r = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=script,
                               capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
            if r.returncode != 0:
                raise RuntimeError(f"nft in {ns}: {r.stderr.strip()}")

    def isp_bytes(self) -> dict[str, dict[str, int]]:
        """ISP -> {"up": bytes the box sent through it, "down": bytes it sent to the box}."""
        out: dict[str, dict[str, int]] = {}
        for k, ns in self.isp.items():
            doc = json.loads(self.sh(ns, "nft", "-j", "list", "counters", "table", "inet", "isp"))
            out[k] = {
                str(item["counter"]["name"]): int(item["counter"]["bytes"])
                for item in doc["nftables"]
                if "counter" in item
            }
        return out

    def blackhole(self, k: str) -> None:
        """ISP ``k`` silently drops what goes to the service (no ICMP: probes time out). The
        blackhole route goes first: it takes over the moment the address is gone."""
        self.sh(self.isp[k], "ip", "route", "add", "blackhole", f"{SERVICE}/32")
        self.sh(self.isp[k], "ip", "addr", "del", f"{SERVICE}/32", "dev", "lo")

    def unplug(self, k: str) -> None:
        """ISP ``k``'s end of the link goes down: the box's ``up<k>`` loses its carrier."""
        self.sh(self.isp[k], "ip", "link", "set", "wan", "down")

    def restore(self, k: str) -> None:
        self.sh(self.isp[k], "ip", "route", "del", "blackhole", f"{SERVICE}/32")
        self.sh(self.isp[k], "ip", "addr", "add", f"{SERVICE}/32", "dev", "lo")

    def down(self) -> None:
        for proc in self.servers:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stdout:
                proc.stdout.close()
        self.servers.clear()
        for ns in (self.box, *self.isp.values(), self.client):
            self.sh(None, "ip", "netns", "del", ns, check=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            listed = self.sh(None, "ip", "netns", "list", check=False)
            if self.prefix + "-" not in listed:
                return
            time.sleep(0.1)
