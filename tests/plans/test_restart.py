"""The real daemon process, SIGKILLed and restarted, against counters the test controls.

The test plays the kernel (tests/plans/file_daemon.py reads the counters from a file): the
counters keep growing while the daemon is down, and a "reboot" starts a new table from zero.
"""

from __future__ import annotations

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

from simspot.simulator.modem import PHYSICAL_SIM

SIM1 = PHYSICAL_SIM[0]
MAC = "02:5e:00:11:22:33"
ROOT = Path(__file__).parents[2]


class Kernel:
    """The counters file: cumulative counters per uplink and client, and the table identity."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.table = "t1"
        self.up = [0, 0]
        self.client = [0, 0]
        self.write()

    def count(self, rx: int, tx: int, client_share: float = 0.8) -> None:
        self.up[0] += rx
        self.up[1] += tx
        self.client[0] += int(rx * client_share)
        self.client[1] += int(tx * client_share)
        self.write()

    def totals(self) -> tuple[int, int]:
        return sum(self.up), sum(self.client)

    def reboot(self) -> None:
        self.table = self.table + "'"
        self.up, self.client = [0, 0], [0, 0]
        self.write()

    def write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {"table": self.table, "uplinks": {SIM1: self.up}, "clients": {MAC: self.client}}
            )
        )
        tmp.replace(self.path)


class Proc:
    def __init__(self, state: Path, counters: Path, commit_s: float) -> None:
        self.state = state
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "plans" / "file_daemon.py"), str(state),
             str(counters), str(commit_s)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)},
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.proc.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"daemon did not start: {line} {err}")
        token = (state / "api-token").read_text().strip()
        self.http = httpx.Client(
            base_url=line, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    def usage(self, by: str = "uplink") -> dict[str, int]:
        rows = self.http.get("/api/v1/usage", params={"by": by}).json()["rows"]
        return {r["key"]: r["total_bytes"] for r in rows}

    def wait_usage(self, up: int, client: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        got: tuple[int, int] = (-1, -1)
        while time.monotonic() < deadline:
            got = (self.usage().get(SIM1, 0), self.usage("client").get(MAC, 0))
            if got == (up, client):
                return
            time.sleep(0.1)
        raise AssertionError(f"usage {got}, wanted {(up, client)}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        self.http.close()
        self.proc.send_signal(sig)
        self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def committed(state: Path) -> int:
    """What is on disk in the ledger (read from outside, as after a crash)."""
    db = sqlite3.connect(state / "simspot.db")
    try:
        row = db.execute("SELECT COALESCE(SUM(rx + tx), 0) FROM usage_uplink").fetchone()
        return int(row[0])
    finally:
        db.close()


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    try:
        yield started
    finally:
        for p in started:
            if p.proc.poll() is None:
                p.kill()


def test_sigkill_and_restart_reconcile_to_the_byte(tmp_path: Path, procs: list[Proc]) -> None:
    state, kernel = tmp_path / "state", Kernel(tmp_path / "counters.json")
    kernel.count(1_000_000, 100_000)
    # A commit interval of an hour: after the first reconcile nothing is committed again.
    p = Proc(state, kernel.path, 3600)
    procs.append(p)
    p.wait_usage(*kernel.totals())
    assert kernel.totals() == (1_100_000, 880_000)
    kernel.count(4_000_000, 400_000)
    p.wait_usage(*kernel.totals())  # seen by the daemon, not on disk
    p.kill(signal.SIGKILL)
    assert committed(state) == 1_100_000
    # The kernel keeps counting while the daemon is dead.
    kernel.count(3_333_333, 777)
    p = Proc(state, kernel.path, 10)
    procs.append(p)
    p.wait_usage(*kernel.totals())
    assert kernel.totals()[0] == 8_834_110
    assert committed(state) == 8_834_110  # reconciled on start, at once
    # A clean stop writes what was pending; more counting while stopped; still exact.
    kernel.count(1_000, 1)
    p.wait_usage(*kernel.totals())
    p.kill(signal.SIGTERM)
    assert committed(state) == 8_835_111
    kernel.count(9, 9)
    p = Proc(state, kernel.path, 10)
    procs.append(p)
    p.wait_usage(*kernel.totals())
    events = [e["kind"] for e in _events(p)]
    assert "usage.reconciled" in events
    p.kill(signal.SIGKILL)


def test_reboot_loses_at_most_one_commit_interval(tmp_path: Path, procs: list[Proc]) -> None:
    state, kernel = tmp_path / "state", Kernel(tmp_path / "counters.json")
    kernel.count(2_000_000, 200_000)
    p = Proc(state, kernel.path, 0.5)
    procs.append(p)
    p.wait_usage(*kernel.totals())
    deadline = time.monotonic() + 20
    while committed(state) != 2_200_000:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    p.kill(signal.SIGKILL)
    # Power off: what the kernel counted after the last commit is gone with it (here 50 kB),
    # and the new boot's table counts from zero; it has already counted more than the old
    # table had, which only the table identity can tell.
    kernel.count(50_000, 0)
    kernel.reboot()
    kernel.count(3_000_000, 300_000)
    p = Proc(state, kernel.path, 0.5)
    procs.append(p)
    p.wait_usage(2_200_000 + 3_300_000, 1_760_000 + 2_640_000)
    assert kernel.totals() == (3_300_000, 2_640_000)
    p.kill(signal.SIGKILL)


def _events(p: Proc) -> list[dict[str, Any]]:
    """The daemon's recent events from the SSE stream (history only)."""
    out: list[dict[str, Any]] = []
    with p.http.stream("GET", "/api/v1/events") as resp:
        for line in resp.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
            if line.startswith("data: ") and json.loads(line[6:])["kind"] == "usage.reconciled":
                break
    return out
