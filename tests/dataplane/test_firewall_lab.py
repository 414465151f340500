"""The firewall around the box and leaving the host as found, with the real daemon in the lab.

The daemon runs in the lab's router namespace with the real data plane: its admin page answers
over HTTPS from a client on the LAN (with the certificate whose fingerprint status shows) and not
from the "internet" namespace, even aimed at the LAN address through the uplink; DNS answers on
the LAN; ports from the uplink and unlisted ports from the LAN are dropped (no reset), counted;
after stop the sysctls it changed are back, also after a crash and a restart.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

from simspot.dataplane.lab import HTTP_PORT, LAN, SERVER_V4, UPLINK, Lab
from tests.dataplane.conftest import sh, unique
from tests.helpers import wait_for

SIMSPOT = [sys.executable, "-m", "simspot.cli.main"]
ROUTER_LAN = "192.168.44.1"
ROUTER_UPLINK = "100.64.0.2"
SYSCTLS = (
    "net.ipv4.ip_forward",
    "net.ipv6.conf.all.forwarding",
    f"net.ipv6.conf.{UPLINK}.accept_ra",
)

# Prints "open", "refused" or "timeout" for a TCP connect to argv[1]:argv[2].
_CONNECT = """
import socket, sys
s = socket.socket()
s.settimeout(float(sys.argv[3]))
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("open")
except ConnectionRefusedError:
    print("refused")
except OSError:
    print("timeout")
"""

# A DNS query for argv[2] (type A) to argv[1]:53: prints the reply's rcode, or "none".
_DNS = """
import os, socket, struct, sys
qid = int.from_bytes(os.urandom(2), "big")
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in sys.argv[2].split(".")) + b"\\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for _ in range(3):
    s.sendto(q, (sys.argv[1], 53))
    try:
        data = s.recv(512)
    except OSError:
        continue
    if int.from_bytes(data[:2], "big") == qid:
        print(data[3] & 0x0F)
        break
else:
    print("none")
"""

# GET https://argv[1]/ without verifying; prints the status and the certificate's SHA-256.
_HTTPS = """
import hashlib, http.client, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = http.client.HTTPSConnection(sys.argv[1], context=ctx, timeout=10)
c.request("GET", "/")
r = c.getresponse()
der = c.sock.getpeercert(binary_form=True)
print(r.status, hashlib.sha256(der).hexdigest())
"""


def probe(ns: str, host: str, port: int, timeout: float = 3.0) -> str:
    return sh(sys.executable, "-c", _CONNECT, host, str(port), str(timeout), ns=ns).strip()


def sysctls(ns: str) -> dict[str, str]:
    return {k: sh("sysctl", "-n", k, ns=ns).strip() for k in SYSCTLS}


def drops(ns: str) -> dict[str, int]:
    doc = json.loads(sh("nft", "-j", "list", "counters", "table", "inet", "simspot", ns=ns))
    return {
        c["counter"]["name"]: int(c["counter"]["packets"])
        for c in doc["nftables"]
        if "counter" in c and c["counter"]["name"].startswith("drop_in_")
    }


def status(lab: Lab) -> tuple[int, dict[str, Any]]:
    r = subprocess.run(
        ["ip", "netns", "exec", lab.router, *SIMSPOT, "status", "--json",
         "--state-dir", str(lab.dir / "daemon")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else {})


def start_daemon(lab: Lab, log_name: str) -> subprocess.Popen[bytes]:
    with (lab.dir / log_name).open("w") as log:
        return subprocess.Popen(
            ["ip", "netns", "exec", lab.router, *SIMSPOT, "serve",
             "--config", str(lab.config_path), "--port", "0"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def wait_sharing(lab: Lab) -> dict[str, Any]:
    def sharing() -> dict[str, Any] | None:
        rc, doc = status(lab)
        return doc if rc == 0 and doc.get("admin_lan_url") else None

    result: dict[str, Any] = wait_for(sharing, timeout=60, interval=0.5)
    return result


def test_admin_page_on_the_lan_only_firewall_and_sysctls_restored() -> None:
    lab = Lab(unique("sf"), 1)
    lab.up()
    daemon = None
    try:
        before = sysctls(lab.router)
        assert before["net.ipv4.ip_forward"] == "0"  # else the test proves nothing
        daemon = start_daemon(lab, "serve.log")
        lab.wait_for_lease(1, 90)  # DHCP through the firewall
        st = wait_sharing(lab)
        assert st["not_sharing"] is None and st["admin_lan_url"] == f"https://{ROUTER_LAN}:8443"
        fingerprint = st["admin_lan_fingerprint"]
        assert sysctls(lab.router)["net.ipv4.ip_forward"] == "1"
        client, inet = lab.client(1), lab.inet

        # The admin page answers the hotspot's client, with the certificate status shows.
        out = sh(sys.executable, "-c", _HTTPS, f"{ROUTER_LAN}:8443", ns=client).split()
        assert out[0] == "200"
        assert out[1] == fingerprint.replace(":", "").lower()
        # DNS answers on the LAN (an authoritative answer for the hotspot's own domain).
        rcode = sh(sys.executable, "-c", _DNS, ROUTER_LAN, "nothing-here.hotspot.lan", ns=client)
        assert rcode.strip() in ("0", "3")
        # Other ports on the box: dropped from the LAN (no reset), counted.
        lan_drops = drops(lab.router).get("drop_in_lan", 0)
        assert probe(client, ROUTER_LAN, 2222) == "timeout"
        assert drops(lab.router)["drop_in_lan"] > lan_drops

        # From the internet: nothing, neither at the uplink's address nor at the LAN address
        # routed through the uplink (the kernel would deliver it: the weak host model).
        sh("ip", "route", "add", "192.168.44.0/24", "via", ROUTER_UPLINK, ns=inet)
        up_drops = drops(lab.router).get("drop_in_uplink", 0)
        assert probe(inet, ROUTER_LAN, 8443) == "timeout"
        assert probe(inet, ROUTER_UPLINK, 8443) == "timeout"
        assert probe(inet, ROUTER_UPLINK, 22) == "timeout"
        rcode = sh(sys.executable, "-c", _DNS, ROUTER_UPLINK, "x.hotspot.lan", ns=inet)
        assert rcode.strip() == "none"
        assert drops(lab.router)["drop_in_uplink"] >= up_drops + 4
        # The box's own connections out get their answers (established).
        url = f"http://{SERVER_V4}:{HTTP_PORT}/"
        code = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=10).read()"
        sh(sys.executable, "-c", code, ns=lab.router)
        # The client still reaches the internet through the box (forwarding untouched).
        sh(sys.executable, "-c", code, ns=client)

        # A crash (SIGKILL) and a restart: the restarted daemon must not take the values the
        # crashed one set for the host's own.
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(30)
        daemon = start_daemon(lab, "serve2.log")
        assert wait_sharing(lab)["admin_lan_fingerprint"] == fingerprint  # kept, not remade
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
        assert sysctls(lab.router) == before
        assert sh("nft", "list", "ruleset", ns=lab.router).strip() == ""
        assert ROUTER_LAN not in sh("ip", "-o", "addr", "show", "dev", LAN, ns=lab.router)
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        lab.down()
