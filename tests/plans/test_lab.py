"""Plans on the real data plane in the namespace lab (root): real traffic through nftables.

The daemon runs as `simspot serve` with ``dataplane.backend = "nft"`` in the lab's router
namespace; clients download from the lab's internet. The kernel's counters are the truth the
ledger must match to the byte, across a SIGKILL in the middle of a transfer, and a plan's
allowance becomes an in-kernel quota that cuts a download off at exactly the limit.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simspot.dataplane.contract import Counters
from simspot.dataplane.lab import HTTP_PORT, LAN, SERVER_V4, UPLINK, Lab, client_mac
from simspot.dataplane.real import NftDataPlane
from simspot.dataplane.settings import DataplaneSettings
from simspot.simulator.modem import PHYSICAL_SIM

SIM1 = PHYSICAL_SIM[0]
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    lab = Lab(f"spl{os.getpid() % 100000}", 2)
    lab.up()
    try:
        yield lab
    finally:
        lab.down()


def settings(lab: Lab) -> DataplaneSettings:
    return DataplaneSettings.model_validate(
        {"backend": "nft", "lan_interface": LAN, "uplink_interface": UPLINK,
         "netns": lab.router, "dns_port": 0}
    )  # fmt: skip


class Served:
    """`simspot serve` on the lab's router, talked to over its API."""

    def __init__(self, lab: Lab, state: Path, commit_s: float) -> None:
        self.state = state
        conf = state.parent / f"{state.name}.toml"
        s = settings(lab)
        conf.write_text(
            "[daemon]\n"
            f'state_dir = "{state}"\napi_port = 0\nlog_level = "warning"\n'
            "[simulator]\nclients = 0\ndemo_data = false\n"
            "[dataplane]\n"
            f'backend = "nft"\nlan_interface = "{s.lan_interface}"\n'
            f'uplink_interface = "{s.uplink_interface}"\nnetns = "{s.netns}"\ndns_port = 0\n'
            f"[plans]\ncommit_interval_s = {commit_s}\npoll_interval_s = 0.2\n",
            encoding="utf-8",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simspot.cli.main", "serve", "--simulate", "--config", str(conf)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT / "src")},
        )  # fmt: skip
        assert self.proc.stdout is not None
        lines = []
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "serving http://" in line:
                url = line.rsplit(" ", 1)[-1].strip()
        if url is None:
            self.proc.kill()
            raise AssertionError("serve did not start:\n" + "".join(lines))
        token = (state / "api-token").read_text().strip()
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})

    def usage(self, by: str) -> dict[str, int]:
        rows = self.http.get("/api/v1/usage", params={"by": by}).json()["rows"]
        return {r["key"]: r["total_bytes"] for r in rows}

    def stop(self, sig: int) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(15)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    try:
        yield started
    finally:
        for s in started:
            s.stop(signal.SIGTERM)  # a clean stop removes the table


def dnsmasq_pids(state: Path) -> list[int]:
    """dnsmasq processes running on the config in ``state``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if proc.name.isdigit() and "dnsmasq" in cmdline and str(state) in cmdline:
            pids.append(int(proc.name))
    return pids


def truth(lab: Lab) -> Counters:
    """The kernel's counters, read with the data plane's own reader (it never applies)."""
    dp = NftDataPlane(settings(lab), Path("/nonexistent"))
    try:
        return asyncio.run(dp.counters())
    finally:
        dp.table.close()  # its netlink socket


def kernel_totals(c: Counters, mac: str) -> tuple[int, int]:
    up = c.uplinks.get(SIM1)
    cl = c.clients.get(mac)
    return (
        up.rx_bytes + up.tx_bytes if up else 0,
        cl.rx_bytes + cl.tx_bytes if cl else 0,
    )


def matches_kernel(s: Served, lab: Lab, mac: str, timeout: float = 30) -> tuple[int, int]:
    """Wait until the ledger equals the kernel counters (read around it, both unchanged)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        before = kernel_totals(truth(lab), mac)
        ledger = (s.usage("uplink").get(SIM1, 0), s.usage("client").get(mac, 0))
        after = kernel_totals(truth(lab), mac)
        if before == after == ledger and before[0] > 0:
            return ledger
        last = (before, ledger, after)
        time.sleep(0.2)
    raise AssertionError(f"ledger never matched the kernel: (kernel, ledger, kernel) = {last}")


def fetch(lab: Lab, i: int, path: str = "10M.bin", timeout: float = 30) -> bool:
    code = (
        "import sys, urllib.request\n"
        "try:\n"
        f"    urllib.request.urlopen('http://{SERVER_V4}:{HTTP_PORT}/{path}', timeout=3).read()\n"
        "except OSError:\n"
        "    sys.exit(1)\n"
    )
    r = subprocess.run(
        ["ip", "netns", "exec", lab.client(i), sys.executable, "-c", code],
        capture_output=True, timeout=timeout, check=False,
    )  # fmt: skip
    return r.returncode == 0


def total_quota_limit(lab: Lab) -> int:
    """The kernel limit of the uplink's quota object (2**62 while unlimited)."""
    out = subprocess.run(
        ["ip", "netns", "exec", lab.router, "nft", "-j", "list", "quotas", "table", "inet",
         "simspot"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    for item in json.loads(out or "{}").get("nftables", []):
        q = item.get("quota")
        if q and q.get("name") == f"qt_{SIM1}":
            return int(q["bytes"])
    return 2**62


def committed(state: Path) -> int:
    db = sqlite3.connect(state / "simspot.db")
    try:
        return int(db.execute("SELECT COALESCE(SUM(rx + tx), 0) FROM usage_uplink").fetchone()[0])
    finally:
        db.close()


def wait_client_in_table(lab: Lab, mac: str, i: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if mac in (truth(lab)).clients and fetch(lab, i, "index.html", 10):
            return
        time.sleep(0.3)
    raise AssertionError(f"client {mac} never got through the data plane")


def test_sigkill_during_real_traffic_reconciles_exactly_then_the_plan_cuts_off_exactly(
    lab: Lab, served: list[Served], tmp_path: Path
) -> None:
    mac = client_mac(1)
    state = tmp_path / "state"
    # An hour between commits: only the reconcile at start reaches the disk in this run.
    first = Served(lab, state, 3600)
    served.append(first)
    lab.wait_for_lease(1, 60)
    wait_client_in_table(lab, mac, 1)
    assert fetch(lab, 1)
    matches_kernel(first, lab, mac)
    # A paced transfer (iperf3, 20 Mbit/s for 4 s) is running when the daemon is SIGKILLed.
    flow = subprocess.Popen(
        ["ip", "netns", "exec", lab.client(1), "iperf3", "-c", SERVER_V4, "-R", "-b", "20M",
         "-t", "4", "--connect-timeout", "3000", "-J"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(1.5)
        first.stop(signal.SIGKILL)
        out, _ = flow.communicate(timeout=30)
    finally:
        if flow.poll() is None:
            flow.kill()
            flow.wait()
    assert json.loads(out)["end"]["sum_received"]["bytes"] > 5_000_000
    kernel = kernel_totals(truth(lab), mac)
    on_disk = committed(state)
    assert on_disk < kernel[0] - 10_000_000  # the transfers after the start were never committed
    # The table survived the SIGKILL; the restarted daemon adopts it and reconciles at once.
    left_behind = dnsmasq_pids(state)
    assert len(left_behind) == 1  # the killed daemon's dnsmasq goes on serving DHCP
    second = Served(lab, state, 10)
    served.append(second)
    up, client = matches_kernel(second, lab, mac)
    assert up >= kernel[0] and client >= kernel[1]
    assert committed(state) >= kernel[0]
    # The restarted daemon replaced that dnsmasq with its own (one owner, ports 53/67 free).
    deadline = time.monotonic() + 15
    while (now := dnsmasq_pids(state)) == left_behind or not now:
        assert time.monotonic() < deadline, "the old dnsmasq was not replaced"
        time.sleep(0.2)
    assert len(now) == 1

    # Same daemon, same kernel table: a plan's allowance becomes an in-kernel quota.
    s = second
    used = matches_kernel(s, lab, mac)[0]
    allowance = used + 3_000_000
    r = s.http.post(
        "/api/v1/plans",
        json={"iccid": SIM1, "name": "Lab 3 MB", "allowance_bytes": allowance,
              "cycle": {"kind": "monthly", "day": 1}, "action": "stop"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    # Wait until the quota is in the kernel (the plan's hook, applied by the sharing loop; the
    # data plane keeps an "unlimited" quota object while there is no limit).
    deadline = time.monotonic() + 30
    while total_quota_limit(lab) >= 2**61:
        assert time.monotonic() < deadline, "no quota in the kernel"
        time.sleep(0.2)
    # A 10 MB download cannot complete: the kernel stops it at the allowance.
    assert not fetch(lab, 1)
    up = kernel_totals(truth(lab), mac)[0]
    assert allowance - 65536 <= up <= allowance
    # The ledger agrees with the kernel, the plan reports it used up and sharing is held.
    body: dict[str, Any] = {}
    deadline = time.monotonic() + 30
    while not body.get("exhausted"):
        assert time.monotonic() < deadline, body
        body = s.http.get(f"/api/v1/plans/{SIM1}").json()
        time.sleep(0.2)
    assert body["used_bytes"] == up
    status = s.http.get("/api/v1/status").json()
    # the only uplink's plan is used up: the policy uses none (uplink_iccid names the uplink in
    # use), and sharing is held for that plan (the last uplink's)
    assert status["uplink_iccid"] is None, status
    assert "Lab 3 MB" in status["sharing"]["reasons"]["plan"], status
    # A clean stop leaves no dnsmasq behind.
    s.stop(signal.SIGTERM)
    assert dnsmasq_pids(state) == []
