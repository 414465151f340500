"""Test helpers: running the real `simspot` CLI and daemon as subprocesses."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

SIMSPOT = [sys.executable, "-m", "simspot.cli.main"]


async def until(pred: Callable[[], Any], limit_s: float = 60, what: str = "condition") -> Any:
    """Poll ``pred`` until it returns something true (returned), or fail after ``limit_s``."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        value = pred()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached in {limit_s} s")
        await asyncio.sleep(0.05)


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SIMSPOT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


@dataclass
class RunningDemo:
    proc: subprocess.Popen[str]
    url: str
    password: str
    state_dir: Path

    def token(self) -> str:
        return (self.state_dir / "api-token").read_text().strip()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token()}"})

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> float:
        """Signal the demo and wait (generously: a busy machine); never leave it running."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"the demo did not stop within {timeout} s of {sig!r}") from None
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()
        return time.monotonic() - t0


def patient(demo: RunningDemo, timeout: float = 60) -> httpx.Client:
    """A client of the demo's API that waits as long as a loaded 2-core machine may need."""
    return httpx.Client(
        base_url=demo.url, headers={"Authorization": f"Bearer {demo.token()}"}, timeout=timeout
    )


def stop_demo(demo: RunningDemo, timeout: float = 30) -> None:
    """Stop a demo for good: SIGINT with a generous wait (a busy machine), then SIGKILL."""
    try:
        demo.stop(timeout=timeout)
    except subprocess.TimeoutExpired:
        demo.proc.kill()
        demo.proc.wait(10)
        if demo.proc.stdout is not None:
            demo.proc.stdout.close()


def start_demo(
    state_dir: Path, *extra: str, timeout: float = 30, seeded: bool = True
) -> RunningDemo:
    proc = subprocess.Popen(
        [*SIMSPOT, "demo", "--port", "0", "--state-dir", str(state_dir), "--speed", "600", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    url = password = None
    while time.monotonic() < deadline and (url is None or password is None):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if m := re.search(r"(http://\S+)", line):
            url = m.group(1)
        if m := re.search(r"admin password for this run: (\S+)", line):
            password = m.group(1)
    if url is None or password is None:
        proc.kill()
        raise AssertionError("demo did not start:\n" + "".join(lines) + (proc.stdout.read() or ""))
    # Keep the pipe drained so the daemon never blocks on a full stdout.
    threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
    demo = RunningDemo(proc, url, password, state_dir)
    if seeded:
        try:
            wait_seeded(demo, max(timeout, 90))
        except BaseException:
            stop_demo(demo)  # never leave a demo running behind a failed start
            raise
    return demo


def wait_seeded(demo: RunningDemo, timeout: float = 60) -> None:
    """Wait for the demo's first state: the operator eSIM profile on the card, seen by the modem's
    status snapshot, and a plan on each SIM (the demo-seed component adds them after start)."""

    def ready() -> bool:
        with demo.client() as c:
            plans = c.get("/api/v1/plans")
            status = c.get("/api/v1/status")
        if plans.status_code != 200 or status.status_code != 200:
            return False
        modem = status.json().get("modem") or {}
        slot2 = next((s for s in modem.get("slots", []) if s["index"] == 2), {})
        return len(plans.json()["plans"]) == 2 and slot2.get("iccid") is not None

    wait_for(ready, timeout=timeout, interval=0.2)


def api_client(daemon: Any, *, authed: bool = True, timeout: float = 5.0) -> httpx.AsyncClient:
    """The daemon's real API app in process (ASGI), with the CLI's bearer token unless told not."""
    from simspot.daemon.api import create_app

    headers = {"Authorization": f"Bearer {daemon.auth.token}"} if authed else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(daemon)),
        base_url="http://localhost",
        headers=headers,
        timeout=timeout,
    )


def _drain(stream: IO[str]) -> None:
    try:
        while stream.read(4096):
            pass
    except (ValueError, OSError):
        return


def wait_for(predicate, timeout: float = 10, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def as_json(text: str) -> object:
    return json.loads(text)
