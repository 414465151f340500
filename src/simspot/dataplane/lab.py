"""A network-namespace lab for the real data plane, no modem needed (root only).

Topology (namespace names start with a prefix so several labs can coexist)::

    <p>-inet   wan0 100.64.0.1/30, fe80::1   servers on lo: 203.0.113.10, 2001:db8:ff::10
                 |                            (iperf3 -s, an HTTP server on port 8080)
    <p>-rtr    up0 100.64.0.2/30, 2001:db8:44::2/64, fe80::2   <- stands in for the cellular uplink
               lan0 (bridge) + one port per client; the data plane runs here
                 |
    <p>-c1..N  eth0, DHCP by dhclient (own lease/pid files), IPv6 by SLAAC from dnsmasq's RA

The "internet" routes the uplink's /64 to the router, as a carrier does for a phone's bearer.
Everything the lab starts is recorded by pid under its directory and stopped by ``down``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simspot.dataplane.nft import find_tool
from simspot.errors import BackendError, DataplaneError
from simspot.i18n import part

LAB_ROOT = Path("/run/simspot-lab")
UPLINK_V4 = ("100.64.0.2/30", "100.64.0.1/30")
UPLINK_PREFIX = "2001:db8:44::/64"  # the simulated modem's bearer reports the same /64
ROUTER_UPLINK_V6 = "2001:db8:44::2/64"
SERVER_V4 = "203.0.113.10"
SERVER_V6 = "2001:db8:ff::10"
HTTP_PORT = 8080
LAN = "lan0"
UPLINK = "up0"


def client_mac(i: int) -> str:
    return f"02:53:00:00:{i >> 8:02x}:{i & 0xFF:02x}"


@dataclass
class Lab:
    prefix: str
    clients: int = 2

    @property
    def dir(self) -> Path:
        return LAB_ROOT / self.prefix

    @property
    def inet(self) -> str:
        return f"{self.prefix}-inet"

    @property
    def router(self) -> str:
        return f"{self.prefix}-rtr"

    def client(self, i: int) -> str:
        return f"{self.prefix}-c{i}"

    @property
    def config_path(self) -> Path:
        return self.dir / "lab.toml"

    # -- running commands ---------------------------------------------------------------------
    def sh(
        self, *cmd: str, ns: str | None = None, check: bool = True, inp: str | None = None
    ) -> str:
        argv = ["ip", "netns", "exec", ns, *cmd] if ns else list(cmd)
        try:
            r = subprocess.run(
                argv, input=inp, capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackendError(
                msg_id="dataplane.command-error",
                params={"command": " ".join(argv), "error": str(exc)},
            ) from None
        if check and r.returncode != 0:
            raise BackendError(
                msg_id="dataplane.command-failed",
                params={"command": " ".join(argv), "error": r.stderr.strip(), "error_said": None},
            )
        return r.stdout

    def namespaces(self) -> list[str]:
        out = self.sh("ip", "-j", "netns", "list", check=False)
        names = [n["name"] for n in json.loads(out or "[]")]
        return sorted(n for n in names if n.startswith(self.prefix + "-"))

    # -- up / down ----------------------------------------------------------------------------
    def up(self) -> None:
        if os.geteuid() != 0:
            raise DataplaneError(msg_id="dataplane.lab.needs-root")
        for tool in ("ip", "nft", "dnsmasq", "dhclient", "iperf3"):
            find_tool(tool)
        if self.namespaces():
            raise DataplaneError(
                msg_id="dataplane.lab.exists", params={"prefix": repr(self.prefix)}
            )
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self._build()
        except BaseException:
            with contextlib.suppress(DataplaneError):  # the build's own error says more
                self.down()
            raise

    def _build(self) -> None:
        inet, rtr = self.inet, self.router
        for ns in (inet, rtr):
            self.sh("ip", "netns", "add", ns)
            self.sh("ip", "link", "set", "lo", "up", ns=ns)
        self.sh("ip", "link", "add", UPLINK, "netns", rtr, "type", "veth",
                "peer", "name", "wan0", "netns", inet)  # fmt: skip
        # The internet: servers on lo, the uplink's /64 routed to the router.
        self.sh("ip", "addr", "add", f"{SERVER_V4}/32", "dev", "lo", ns=inet)
        self.sh("ip", "addr", "add", f"{SERVER_V6}/128", "dev", "lo", ns=inet)
        self.sh("ip", "addr", "add", UPLINK_V4[1], "dev", "wan0", ns=inet)
        self.sh("ip", "addr", "add", "fe80::1/64", "dev", "wan0", "nodad", ns=inet)
        self.sh("ip", "link", "set", "wan0", "up", ns=inet)
        self.sh("ip", "-6", "route", "add", UPLINK_PREFIX, "via", "fe80::2", "dev", "wan0", ns=inet)
        # The router's uplink.
        self.sh("sysctl", "-q", "-w", f"net.ipv6.conf.{UPLINK}.accept_ra=0", ns=rtr)
        self.sh("ip", "addr", "add", UPLINK_V4[0], "dev", UPLINK, ns=rtr)
        self.sh("ip", "addr", "add", "fe80::2/64", "dev", UPLINK, "nodad", ns=rtr)
        self.sh("ip", "addr", "add", ROUTER_UPLINK_V6, "dev", UPLINK, "nodad", ns=rtr)
        self.sh("ip", "link", "set", UPLINK, "up", ns=rtr)
        self.sh("ip", "route", "add", "default", "via", UPLINK_V4[1].split("/")[0], ns=rtr)
        self.sh("ip", "-6", "route", "add", "default", "via", "fe80::1", "dev", UPLINK, ns=rtr)
        self.sh("ip", "link", "add", LAN, "type", "bridge", ns=rtr)
        self.sh("ip", "link", "set", LAN, "up", ns=rtr)
        for i in range(1, self.clients + 1):
            self.add_client(i)
        self._start_servers()
        self._write_config()

    def add_client(self, i: int) -> None:
        ns, rtr = self.client(i), self.router
        self.sh("ip", "netns", "add", ns)
        self.sh("ip", "link", "set", "lo", "up", ns=ns)
        self.sh("ip", "link", "add", f"lp{i}", "netns", rtr, "type", "veth",
                "peer", "name", "eth0", "netns", ns)  # fmt: skip
        self.sh("ip", "link", "set", "eth0", "address", client_mac(i), ns=ns)
        # No duplicate address detection in the lab: addresses are usable at once.
        self.sh("sysctl", "-q", "-w", "net.ipv6.conf.eth0.accept_dad=0", ns=ns)
        self.sh("ip", "link", "set", f"lp{i}", "master", LAN, "up", ns=rtr)
        self.sh("ip", "link", "set", "eth0", "up", ns=ns)
        self.start_dhclient(i)

    def start_dhclient(self, i: int, hostname: str | None = None) -> None:
        """Run the client's dhclient (it sends host-name ``client<i>`` unless told another)."""
        d = self.dir
        script = d / "dhclient-script"
        if not script.exists():
            ip = find_tool("ip")
            script.write_text(_DHCLIENT_SCRIPT.replace("@IP@", ip), encoding="utf-8")
            script.chmod(0o700)
        conf = d / f"dhclient-c{i}.conf"
        conf.write_text(
            f'send host-name "{hostname or f"client{i}"}";\n'
            "timeout 3600;\nretry 1;\ninitial-interval 1;\nbackoff-cutoff 2;\n"
            "request subnet-mask, broadcast-address, routers, domain-name-servers, "
            "domain-name, host-name, vendor-encapsulated-options;\n",
            encoding="utf-8",
        )
        self.sh(
            find_tool("dhclient"), "-4", "-nw",
            "-cf", str(conf), "-lf", str(d / f"dhclient-c{i}.leases"),
            "-pf", str(d / f"dhclient-c{i}.pid"), "-sf", str(script), "eth0",
            ns=self.client(i),
        )  # fmt: skip

    def _start_servers(self) -> None:
        pid = self.dir / "iperf3.pid"
        self.sh(find_tool("iperf3"), "-s", "-D", "-I", str(pid), ns=self.inet)
        www = self.dir / "www"
        www.mkdir(exist_ok=True)
        (www / "index.html").write_text("simspot lab: the internet says hello\n", encoding="utf-8")
        (www / "10M.bin").write_bytes(bytes(10_000_000))
        # Detached (setsid -f), writing its own pid file so `down` can stop it by pid.
        self.sh(
            find_tool("setsid"), "-f", sys.executable, "-c", _HTTP_SERVER,
            str(self.dir / "http.pid"), str(HTTP_PORT), str(www),
            ns=self.inet,
        )  # fmt: skip
        _wait_file(self.dir / "http.pid", 5)
        _wait_file(pid, 5)

    def _write_config(self) -> None:
        self.config_path.write_text(
            "# simspot in the lab: run it inside the router namespace, e.g.\n"
            f"#   ip netns exec {self.router} simspot serve --config {self.config_path}\n"
            "[daemon]\n"
            f'state_dir = "{self.dir / "daemon"}"\n\n'
            "[dataplane]\n"
            'backend = "nft"\n'
            f'lan_interface = "{LAN}"\n'
            f'uplink_interface = "{UPLINK}"\n',
            encoding="utf-8",
        )

    def down(self) -> list[str]:
        """Stop everything the lab, or a daemon inside it, started; delete its namespaces.

        Stops the processes named by pid files anywhere under the lab's directory (when they
        run in one of its namespaces or name the directory on their command line: a stale pid
        file never kills a stranger), then every process still in one of its namespaces, then
        deletes the namespaces and the directory. Returns the namespaces removed; raises
        ``DataplaneError`` naming whatever survived (a process, or a namespace kept alive).
        """
        d = self.dir
        names = self.namespaces()
        inodes = {ns: ino for ns in names if (ino := _netns_inode(ns)) is not None}
        ours = set(inodes.values())
        # pid -> what it is, as a message ({"id", "params"}) naming it in the error below
        victims: dict[int, dict[str, Any]] = {}
        for pidfile in sorted(d.rglob("*.pid")) if d.exists() else []:
            pid = _read_pid(pidfile)
            if pid is not None and pid != os.getpid() and _belongs(pid, ours, d):
                victims[pid] = part(
                    "dataplane.lab.process-pidfile",
                    comm=_comm(pid),
                    pid=pid,
                    pidfile=str(pidfile.relative_to(d)),
                )
        for ns in names:
            for pid in self._netns_pids(ns):
                if pid != os.getpid():
                    victims.setdefault(
                        pid,
                        part("dataplane.lab.process-in", comm=_comm(pid), pid=pid, namespace=ns),
                    )
        living = _stop_all(victims)
        survivors = [victims[pid] for pid in living]
        for ns in names:
            self.sh("ip", "netns", "del", ns, check=False)
        # A process that slipped into a namespace meanwhile, or a mount holding one, keeps it
        # alive after its name is gone.
        survivors += [
            part("dataplane.lab.process-deleted", comm=_comm(pid), pid=pid)
            for pid in _pids_in(ours)
            if pid != os.getpid() and pid not in living
        ]
        survivors += [part("dataplane.lab.mount", path=m) for m in _nsfs_mounts(ours)]
        survivors += [part("dataplane.lab.namespace", namespace=ns) for ns in self.namespaces()]
        shutil.rmtree(d, ignore_errors=True)
        if survivors:
            raise DataplaneError(
                msg_id="dataplane.lab.survivors",
                params={"prefix": self.prefix, "survivors": survivors},
            )
        return names

    def _netns_pids(self, ns: str) -> list[int]:
        out = self.sh("ip", "netns", "pids", ns, check=False)
        return [int(p) for p in out.split() if p.isdigit()]

    # -- looking at it ------------------------------------------------------------------------
    def client_addresses(self, i: int) -> tuple[str | None, list[str]]:
        out = self.sh("ip", "-j", "addr", "show", "dev", "eth0", ns=self.client(i), check=False)
        v4: str | None = None
        v6: list[str] = []
        for link in json.loads(out or "[]"):
            for a in link.get("addr_info", []):
                if a.get("family") == "inet":
                    v4 = a["local"]
                elif a.get("family") == "inet6" and a.get("scope") == "global":
                    if "tentative" not in a and not a.get("tentative"):
                        v6.append(a["local"])
        return v4, sorted(v6)

    def status(self) -> dict[str, object]:
        nss = self.namespaces()
        clients = []
        for i in range(1, 1 + sum(1 for n in nss if n.startswith(f"{self.prefix}-c"))):
            v4, v6 = self.client_addresses(i)
            clients.append(
                {"namespace": self.client(i), "mac": client_mac(i), "ipv4": v4, "ipv6": v6}
            )
        return {
            "prefix": self.prefix,
            "up": bool(nss),
            "namespaces": nss,
            "router": self.router,
            "internet": self.inet,
            "lan_interface": LAN,
            "uplink_interface": UPLINK,
            "server_ipv4": SERVER_V4,
            "server_ipv6": SERVER_V6,
            "config": str(self.config_path) if self.config_path.exists() else None,
            "clients": clients,
        }

    def wait_for_lease(self, i: int, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v4, _ = self.client_addresses(i)
            if v4:
                return v4
            time.sleep(0.2)
        raise DataplaneError(
            msg_id="dataplane.lab.no-lease", params={"client": i, "seconds": f"{timeout:.0f}"}
        )

    def solicit_ipv6(self, i: int) -> None:
        """Restart the client's IPv6 so it sends a router solicitation now."""
        for value in ("1", "0"):
            self.sh(
                "sysctl", "-q", "-w", f"net.ipv6.conf.eth0.disable_ipv6={value}", ns=self.client(i)
            )

    def wait_for_ipv6(self, i: int, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        self.solicit_ipv6(i)
        while time.monotonic() < deadline:
            _, v6 = self.client_addresses(i)
            if v6:
                return v6
            time.sleep(0.2)
        raise DataplaneError(
            msg_id="dataplane.lab.no-slaac", params={"client": i, "seconds": f"{timeout:.0f}"}
        )


def _wait_file(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _read_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid > 1 else None


def _netns_inode(ns: str) -> int | None:
    try:
        return os.stat(f"/run/netns/{ns}").st_ino
    except OSError:
        return None


def _proc_netns(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() or "?"
    except OSError:
        return "?"


def _belongs(pid: int, netns_inodes: set[int], lab_dir: Path) -> bool:
    """The pid runs in one of the lab's namespaces, or names the lab's directory."""
    if _proc_netns(pid) in netns_inodes:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return str(lab_dir).encode() in cmdline


def _pids_in(netns_inodes: set[int]) -> list[int]:
    if not netns_inodes:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _proc_netns(int(entry.name)) in netns_inodes:
            found.append(int(entry.name))
    return sorted(found)


def _nsfs_mounts(netns_inodes: set[int]) -> list[str]:
    """Mount points that keep one of the namespaces alive (``mount --bind`` of its nsfs file)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) > 4 and any(parts[3] == f"net:[{ino}]" for ino in netns_inodes):
            out.append(parts[4])
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead: its parent has not collected it yet.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _stop_all(victims: Mapping[int, object], grace_s: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL what is left after ``grace_s``; the pids that survived."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 3.0)):
        living = [p for p in victims if _alive(p)]
        for pid in living:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait_s
        while living and time.monotonic() < deadline:
            time.sleep(0.05)
            living = [p for p in living if _alive(p)]
        if not living:
            return []
    return [p for p in victims if _alive(p)]


_HTTP_SERVER = """
import functools, http.server, os, socket, sys
pidfile, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6  # dual stack: IPv4 clients arrive as ::ffff:a.b.c.d
server = Server(("::", port), handler)
with open(pidfile, "w") as f:
    f.write(f"{os.getpid()}\\n")
server.serve_forever()
"""

_DHCLIENT_SCRIPT = """#!/bin/sh
# simspot lab: configure the client's address from dhclient (never touches /etc/resolv.conf).
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
      @IP@ -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface"
    fi
    @IP@ -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
    if [ -n "$new_routers" ]; then
      @IP@ -4 route replace default via "${new_routers%% *}" dev "$interface"
    fi
    ;;
  EXPIRE|FAIL|RELEASE|STOP)
    if [ -n "$old_ip_address" ]; then
      @IP@ -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface"
    fi
    ;;
esac
exit 0
"""
