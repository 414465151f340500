"""Kernel link events through rtnetlink (the uplink service's immediate signal for a pulled
cable or a lost carrier), heard in a network namespace of their own. The daemon acting on one:
tests/uplink/test_failover_lab.py (an unplugged ISP)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from simspot.uplink.linkwatch import IFF_LOWER_UP, IFF_UP, RTM_NEWLINK, parse

ROOT = Path(__file__).resolve().parents[2]


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


def test_link_changes_are_heard_as_they_happen() -> None:
    ns = f"lw{os.getpid() % 100000}"
    sh("ip", "netns", "add", ns)
    proc = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, str(ROOT / "tests/uplink/linkwatch_runner.py"),
         "60"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        # a veth pair: one end up with its peer down has no carrier (not up), then it has
        sh("ip", "netns", "exec", ns, "ip", "link", "add", "wan0", "type", "veth",
           "peer", "name", "isp0")  # fmt: skip
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "wan0", "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "isp0", "up")
        heard: list[str] = []
        deadline = time.monotonic() + 30
        while "wan0 up" not in heard and time.monotonic() < deadline:
            heard.append(proc.stdout.readline().strip())
        assert "wan0 up" in heard, heard
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "isp0", "down")  # carrier lost
        line = ""
        while not line.startswith("wan0") and time.monotonic() < deadline:
            line = proc.stdout.readline().strip()
        assert line == "wan0 down"
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "isp0", "up")  # carrier back
        line = ""
        while not line.startswith("wan0") and time.monotonic() < deadline:
            line = proc.stdout.readline().strip()
        assert line == "wan0 up"
        sh("ip", "netns", "exec", ns, "ip", "link", "del", "wan0")  # gone (a bearer torn down)
        line = ""
        while not line.startswith("wan0") and time.monotonic() < deadline:
            line = proc.stdout.readline().strip()
        assert line == "wan0 down"
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def test_parse_reads_name_and_state_and_skips_garbage() -> None:
    import struct

    def msg(kind: int, flags: int, name: bytes, oper: int | None) -> bytes:
        attrs = struct.pack("=HH", 4 + len(name) + 1, 3) + name + b"\0"
        attrs += b"\0" * (-len(attrs) % 4)
        if oper is not None:
            attrs += struct.pack("=HHB3x", 5, 16, oper)
        body = struct.pack("=BxHiII", 0, 1, 7, flags, 0) + attrs
        return struct.pack("=IHHII", 16 + len(body), kind, 0, 0, 0) + body

    up = msg(RTM_NEWLINK, IFF_UP | IFF_LOWER_UP, b"eth1", 6)
    down = msg(RTM_NEWLINK, IFF_UP, b"eth1", 2)
    assert list(parse(up + down)) == [("eth1", True), ("eth1", False)]
    assert list(parse(up[:20])) == []  # truncated: nothing, no exception
    assert list(parse(b"\xff" * 64)) == []
