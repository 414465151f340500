"""End to end in the two-ISP lab: `simspot serve` in the box with two wired uplinks, probes bound
to each, ISP A blackholed -> traffic continues through ISP B, then fails back after the dwell.
The CLI (`simspot uplink ... --json`) is what the test reads."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.uplink.twoisp import SERVICE, TwoIsps

CONFIG = f"""
[modem]
backend = "none"

[simulator]
demo_data = false

[esim]
virtual_smdp = false

[dataplane]
backend = "nft"
lan_interface = "lan0"
uplink_interface = "upa"
lan_address = "192.168.44.1/24"
dhcp = false
ipv6 = false

[uplink]
rules = ["healthy", "preferred"]
preferred = ["wan:upa", "wan:upb"]
interval_s = 0.5
fail_after = 2
up_after = 2
failback_dwell_s = 3
min_dwell_s = 2
confirm_s = 1

[[uplink.wired]]
interface = "upa"

[[uplink.wired]]
interface = "upb"

[uplink.probes]
dns_server = "{SERVICE}"
http_url = "http://{SERVICE}/generate_204"
timeout_s = 1
interval_s = 0.5
"""

LOOKUP = (
    "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); "
    f"s.sendto(bytes.fromhex('abcd0100000100000000000001780000010001'), ('{SERVICE}', 53)); "
    "r = s.recv(512); print(socket.inet_ntoa(r[-4:]))"
)


class Served:
    def __init__(self, lab: TwoIsps, state: Path, config: str = CONFIG) -> None:
        self.lab, self.state = lab, state
        cfg = state / "simspot.toml"
        cfg.write_text(config)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", lab.box, sys.executable, "-m", "simspot.cli.main", "serve",
             "--simulate", "--port", "0", "--config", str(cfg), "--state-dir", str(state / "s")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def cli(self, *args: str) -> Any:
        r = subprocess.run(
            ["ip", "netns", "exec", self.lab.box, sys.executable, "-m", "simspot.cli.main",
             "uplink", *args, "--json", "--state-dir", str(self.state / "s")],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if r.returncode != 0:
            raise AssertionError(f"simspot uplink {' '.join(args)}: {r.stdout}{r.stderr}")
        return json.loads(r.stdout)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.drain.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def wait(pred: Any, limit_s: float, what: str) -> Any:
    deadline = time.monotonic() + limit_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = pred()
        except AssertionError as exc:  # the daemon is not answering yet
            last = exc
        else:
            if last:
                return last
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached in {limit_s} s (last: {last})")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    lab = TwoIsps().up()
    lab.add_lan()
    s = Served(lab, tmp_path)
    try:
        yield s
    finally:
        s.stop()
        lab.down()


def route_dev(lab: TwoIsps) -> str:
    return str(json.loads(lab.sh(lab.box, "ip", "-j", "-4", "route", "get", SERVICE))[0]["dev"])


def test_blackholed_isp_fails_over_and_back(served: Served) -> None:
    lab = served.lab

    def active_is(uid: str) -> bool:
        st = served.cli("status")
        return bool(st["active"] == uid)

    def healthy(uid: str) -> bool:
        st = served.cli("list")
        c = next(c for c in st["candidates"] if c["id"] == uid)
        return bool(c["health"]["state"] == "up")

    wait(lambda: healthy("wan:upa") and healthy("wan:upb"), 90, "both uplinks up")
    wait(lambda: active_is("wan:upa"), 30, "ISP A in use")
    wait(lambda: route_dev(lab) == "upa", 10, "the default route through ISP A")
    assert lab.sh(lab.box, "python3", "-c", LOOKUP).strip() == "10.0.0.1"

    lab.blackhole("a")
    wait(lambda: active_is("wan:upb"), 60, "failover to ISP B")
    assert route_dev(lab) == "upb"
    # traffic that is not bound to any link continues, through ISP B
    assert lab.sh(lab.box, "python3", "-c", LOOKUP).strip() == "10.0.0.2"
    explain = served.cli("explain")
    assert explain["decision"]["rule"] in ("keep", "healthy")
    hist = served.cli("history")["decisions"]
    over = next(h for h in hist if h["switch"] and h["chosen"] == "wan:upb")
    assert over["forced"] and over["rule"] == "healthy"
    assert re.search(
        r"wired upa failed \d+ probes in a row; switched to wired upb", over["reason"]["en"]
    )
    assert "连续" in over["reason"]["zh"]

    lab.restore("a")
    wait(lambda: active_is("wan:upa"), 60, "fail back to ISP A")
    assert route_dev(lab) == "upa"
    hist = served.cli("history")["decisions"]
    back = next(h for h in hist if h["switch"] and h["chosen"] == "wan:upa")
    assert not back["forced"] and back["rule"] == "preferred"
    # the fail-back waited for the dwell: a hold was logged first
    assert any(h["held_by"] == "failback-dwell" for h in hist)

    # a pin wins while ISP A is healthy; auto gives the choice back
    served.cli("use", "wan:upb")
    wait(lambda: active_is("wan:upb"), 30, "the pinned ISP B")
    assert served.cli("status")["mode"] == "pinned"
    served.cli("auto")
    wait(lambda: active_is("wan:upa"), 30, "back to the preferred ISP A")


def test_an_unplugged_isp_is_left_as_not_connected(served: Served) -> None:
    """ISP A's end of the link goes down: the box's link loses its carrier, the kernel says so
    and the policy leaves it as not connected (no failed probes needed)."""
    lab = served.lab
    wait(lambda: served.cli("status")["active"] == "wan:upa", 90, "ISP A in use")
    lab.unplug("a")
    wait(lambda: served.cli("status")["active"] == "wan:upb", 60, "failover to ISP B")
    assert route_dev(lab) == "upb"
    assert lab.sh(lab.box, "python3", "-c", LOOKUP).strip() == "10.0.0.2"
    hist = served.cli("history")["decisions"]
    over = next(h for h in hist if h["switch"] and h["chosen"] == "wan:upb")
    assert over["forced"], over
    assert "failed" not in over["reason"]["en"], over["reason"]
    cand = next(c for c in served.cli("list")["candidates"] if c["id"] == "wan:upa")
    assert not cand["hot"]
