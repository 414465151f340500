"""The admin page on the hotspot, in the namespace lab with the real daemon: over IPv4 and IPv6
from the LAN, never from an uplink, the one in use or the one on standby.

The router gets a second uplink (``up1`` to an "ISP 2" namespace that reaches nothing), listed
as a wired uplink: the policy keeps ``up0``, ``up1`` waits on standby. The certificate is made
before the first start, as ``simspot setup`` does, and the daemon keeps it. A client on the LAN
reaches the HTTPS page at the LAN's IPv4 address, at the router address of the shared IPv6 /64
and at the LAN's link-local address, with that certificate, and a headless Chromium in the
client's namespace shows the fingerprint on the join card; from ISP 2 (standby) and from the
internet (in use, over IPv6 too) the admin port, DNS and SSH's port are dropped and counted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from simspot.daemon import tls
from simspot.dataplane.lab import LAN, Lab
from tests.dataplane.conftest import sh, unique
from tests.dataplane.test_firewall_lab import _HTTPS, drops, probe, start_daemon, wait_sharing

ROUTER_LAN = "192.168.44.1"
ROUTER_LAN6 = "2001:db8:44::1"  # the first free address of the shared /64 (the uplink has ::2)
ROUTER_UP1 = "100.64.1.2"
REPO = Path(__file__).resolve().parents[2]


def https(ns: str, host: str) -> tuple[str, str]:
    out = sh(sys.executable, "-c", _HTTPS, host, ns=ns).split()
    return out[0], out[1]


def test_admin_page_on_lan_ipv4_and_ipv6_not_from_any_uplink() -> None:
    lab = Lab(unique("sa"), 1)
    lab.up()
    isp2 = f"{lab.prefix}-isp2"
    daemon = None
    try:
        # A standby uplink: up1 in the router, wan1 in ISP 2, which has no way anywhere.
        sh("ip", "netns", "add", isp2)
        sh("ip", "link", "set", "lo", "up", ns=isp2)
        sh("ip", "link", "add", "up1", "netns", lab.router, "type", "veth",
           "peer", "name", "wan1", "netns", isp2)  # fmt: skip
        sh("ip", "addr", "add", f"{ROUTER_UP1}/30", "dev", "up1", ns=lab.router)
        sh("ip", "addr", "add", "100.64.1.1/30", "dev", "wan1", ns=isp2)
        sh("ip", "link", "set", "up1", "up", ns=lab.router)
        sh("ip", "link", "set", "wan1", "up", ns=isp2)
        sh("ip", "route", "add", "192.168.44.0/24", "via", ROUTER_UP1, ns=isp2)
        with lab.config_path.open("a", encoding="utf-8") as conf:
            conf.write(
                '\n[uplink]\npreferred = ["wan:up0", "wan:up1"]\n\n'
                '[[uplink.wired]]\ninterface = "up0"\n\n[[uplink.wired]]\ninterface = "up1"\n\n'
                '[uplink.probes]\ntcp_target = "203.0.113.10:8080"\n'
            )
        # The certificate made before the first start (simspot setup does this): kept.
        state = lab.dir / "daemon"
        state.mkdir(mode=0o700, exist_ok=True)
        made = tls.ensure(state, ROUTER_LAN, "hotspot.lan")

        daemon = start_daemon(lab, "serve.log")
        lab.wait_for_lease(1, 90)
        st = wait_sharing(lab)
        assert st["not_sharing"] is None, st["not_sharing"]
        assert st["admin_lan_fingerprint"] == made.fingerprint
        fp = made.fingerprint.replace(":", "").lower()
        client = lab.client(1)

        # From the LAN: IPv4, the shared /64's router address, the link-local address.
        assert https(client, f"{ROUTER_LAN}:8443") == ("200", fp)
        lab.wait_for_ipv6(1, 60)
        assert https(client, f"[{ROUTER_LAN6}]:8443") == ("200", fp)
        links = json.loads(sh("ip", "-6", "-j", "addr", "show", "dev", LAN, ns=lab.router))
        ll = next(
            a["local"]
            for link in links
            for a in link.get("addr_info", [])
            if str(a.get("local", "")).startswith("fe80:")
        )
        assert https(client, f"[{ll}%eth0]:8443") == ("200", fp)

        # From the standby uplink: the admin page (at either address), DNS and SSH's port
        # dropped, counted; nothing answers, not even a reset.
        before = drops(lab.router).get("drop_in_uplink", 0)
        assert probe(isp2, ROUTER_LAN, 8443) == "timeout"
        assert probe(isp2, ROUTER_UP1, 8443) == "timeout"
        assert probe(isp2, ROUTER_UP1, 22) == "timeout"
        assert probe(isp2, ROUTER_UP1, 53) == "timeout"
        # From the uplink in use, over IPv6, at the LAN's router address (routed to the box).
        assert probe(lab.inet, ROUTER_LAN6, 8443) == "timeout"
        assert drops(lab.router)["drop_in_uplink"] >= before + 5

        # The join card a phone on the hotspot sees names the page and the fingerprint.
        password = (state / "initial-admin-password").read_text().strip()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")])}
        r = subprocess.run(
            ["ip", "netns", "exec", client, sys.executable, "-m",
             "tests.dataplane.joincard_browser", f"https://{ROUTER_LAN}:8443", password],
            capture_output=True, text=True, timeout=240, cwd=REPO, env=env, check=False,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr[-3000:]
        shown = json.loads(r.stdout.strip().splitlines()[-1])
        assert f"https://{ROUTER_LAN}:8443" in shown["card"]
        assert made.fingerprint in shown["card"].replace("\n", "")
        errors = [e for e in shown["errors"] if e.get("source") != "network"]  # 401 before login
        assert errors == [], errors

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
        log = (lab.dir / "serve.log").read_text()
        assert "Traceback" not in log, log
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        sh("ip", "netns", "del", isp2, check=False)
        lab.down()
