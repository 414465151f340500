"""The demo never reaches for the Internet: discovery goes to the simulator's own test SM-DS.

The demo runs in a network namespace whose only way out is a veth whose peer is down (a
documentation address, TEST-NET-1; packets sent there are dropped and never leave the namespace)
with nftables counting every packet that leaves through anything but loopback. After the demo has
seeded its card, `simspot esim discover` finds the local SM-DS's event, and downloads run, the
counter must still be zero: no DNS lookup, no connection outside loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SIMSPOT

pytestmark = pytest.mark.root


def sh(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout


@pytest.fixture
def netns() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.fail("needs root (network namespaces, nftables)")
    name = f"offline{os.getpid() % 100000}"
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "-n", name, "link", "set", "lo", "up")
        # A veth whose peer stays down: whatever is sent out there is dropped in the namespace.
        sh("ip", "-n", name, "link", "add", "out0", "type", "veth", "peer", "name", "out1")
        sh("ip", "-n", name, "addr", "add", "192.0.2.1/24", "dev", "out0")
        sh("ip", "-n", name, "link", "set", "out0", "up")
        sh("ip", "-n", name, "route", "add", "default", "dev", "out0")
        sh("ip", "-n", name, "-6", "route", "add", "default", "dev", "out0")
        rules = (
            "table inet watch {\n"
            '  chain out { type filter hook output priority 0; oif != "lo" counter; }\n'
            "}\n"
        )
        subprocess.run(
            ["ip", "netns", "exec", name, "nft", "-f", "-"], input=rules, text=True, check=True
        )
        yield name
    finally:
        for pid in sh("ip", "netns", "pids", name).split():
            subprocess.run(["kill", "-9", pid], check=False)
        subprocess.run(["ip", "netns", "del", name], check=False)


def outside_packets(ns: str) -> int:
    doc = json.loads(sh("ip", "netns", "exec", ns, "nft", "-j", "list", "table", "inet", "watch"))
    for item in doc["nftables"]:
        rule = item.get("rule")
        if rule:
            for expr in rule["expr"]:
                if "counter" in expr:
                    return int(expr["counter"]["packets"])
    raise AssertionError("no counter in the watch table")


def cli(ns: str, state: Path, *args: str, timeout: float = 120) -> Any:
    r = subprocess.run(
        ["ip", "netns", "exec", ns, *SIMSPOT, *args, "--json", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def test_demo_discovers_and_downloads_without_leaving_loopback(netns: str, tmp_path: Path) -> None:
    state = tmp_path / "state"
    log = (tmp_path / "demo.log").open("w")
    demo = subprocess.Popen(
        ["ip", "netns", "exec", netns, *SIMSPOT, "demo", "--port", "0", "--state-dir", str(state)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        profiles: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            if (state / "api.json").exists():
                r = subprocess.run(
                    ["ip", "netns", "exec", netns, *SIMSPOT, "esim", "list", "--json",
                     "--state-dir", str(state)],
                    capture_output=True, text=True, timeout=60, check=False,
                )  # fmt: skip
                if r.returncode == 0:
                    profiles = json.loads(r.stdout)["profiles"]
                    if any(p["state"] == "enabled" for p in profiles):
                        break
            time.sleep(0.5)
        assert any(p["state"] == "enabled" for p in profiles), (tmp_path / "demo.log").read_text()

        found = cli(netns, state, "esim", "discover")
        events = found["events"]
        assert len(events) == 1 and events[0]["smdp_address"].startswith("localhost:"), found
        info = cli(netns, state, "esim", "info")
        code = info["test_smdp"]["activation_codes"][0]
        installed = cli(netns, state, "esim", "download", code)
        assert installed["iccid"]
        assert outside_packets(netns) == 0
    finally:
        demo.terminate()
        demo.wait(30)
        log.close()
