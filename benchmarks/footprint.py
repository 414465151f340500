"""Start-up and memory footprint (issue 11). Prints one JSON object.

- ``cli_status_heavy_modules``: which of fastapi, uvicorn, starlette, asn1tools and cryptography
  ``simspot status --json`` imports (from ``python -X importtime``), talking to a running demo;
  target: none.
- ``cli_status_s``: median wall time of ``simspot status --json`` against that demo (a fresh
  interpreter each time, as a user runs it); ``cli_status_cpu_s`` its median CPU time, which a
  busy machine disturbs less; ``python_bare_s``/``_cpu_s`` the same for an empty interpreter.
- ``daemon_rss_mb_demo``: resident memory of ``simspot demo`` 30 s after it was started;
  target <= 80.
- ``daemon_rss_mb_live``: resident memory of ``simspot serve`` 30 s after it was started, in the
  namespace lab's router with the real nft data plane and no simulated backend (every other
  backend "none"); target <= 60. Needs root; without it the value is null and ``live_error``
  says why.

Usage: sudo .venv/bin/python benchmarks/footprint.py [--settle-s 30] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEAVY = ("fastapi", "uvicorn", "starlette", "asn1tools", "cryptography")
SIMSPOT = [sys.executable, "-m", "simspot.cli.main"]
# Runs the simspot CLI as ``-m simspot.cli.main`` does, and writes the names of the loaded modules
# to argv[1] after argv[2] seconds: what the daemon holds in memory, for the report.
_BOOT = """
import json, os, runpy, sys, threading
out, delay = sys.argv[1], float(sys.argv[2])
sys.argv = ["simspot", *sys.argv[3:]]
def dump():
    with open(out + ".tmp", "w") as f:
        json.dump(sorted(sys.modules), f)
    os.replace(out + ".tmp", out)
timer = threading.Timer(delay, dump)
timer.daemon = True
timer.start()
runpy.run_module("simspot.cli.main", run_name="__main__", alter_sys=True)
"""
# Module families worth naming when they are loaded in a daemon.
NOTABLE = (*HEAVY, "pyparsing", "httpx", "pydantic", "dbus_fast", "serial", "smartcard")


def daemon_argv(modules_file: Path, settle_s: float, *args: str) -> list[str]:
    return [sys.executable, "-c", _BOOT, str(modules_file), str(max(1.0, settle_s - 2)), *args]


def loaded(modules_file: Path) -> dict[str, Any]:
    """Which notable libraries and simspot's simulator modules the daemon had loaded."""
    names: list[str] = json.loads(modules_file.read_text())
    return {
        "libraries": sorted({n.split(".")[0] for n in names} & set(NOTABLE)),
        "simulator": sorted(n for n in names if n.startswith("simspot.simulator")),
        "modules": len(names),
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for pid {pid}")


def wait_for(pred: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not within {timeout:.0f} s")


def running(proc: subprocess.Popen[bytes], log: Path) -> Callable[[], None]:
    def check() -> None:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the daemon exited with {proc.returncode}: {tail}")

    return check


def settle(proc: subprocess.Popen[bytes], started: float, settle_s: float, log: Path) -> float:
    """Wait until ``settle_s`` after ``started`` (the daemon still running), then its RSS."""
    alive = running(proc, log)
    while time.monotonic() < started + settle_s:
        alive()
        time.sleep(0.5)
    alive()
    return rss_mb(proc.pid)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def status_imports(state_dir: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "simspot.cli.main", "status", "--json",
         "--state-dir", str(state_dir)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"simspot status failed: {done.stdout} {done.stderr[-1000:]}")
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return sorted({n.split(".")[0] for n in names} & set(HEAVY))


def status_seconds(state_dir: Path, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``simspot status --json``: on a
    busy machine the wall time mostly measures the wait for a core, the CPU time does not."""
    return timed([*SIMSPOT, "status", "--json", "--state-dir", str(state_dir)], runs)


def timed(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time of running ``argv`` (it must succeed)."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, timeout=120, check=False)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[1:4]} failed: {done.stdout!r} {done.stderr!r}")
    return round(statistics.median(times), 3), round(statistics.median(cpu), 3)


def measure_demo(settle_s: float, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="simspot-footprint-") as tmp:
        state = Path(tmp) / "demo"
        log = Path(tmp) / "demo.log"
        modules = Path(tmp) / "modules.json"
        started = time.monotonic()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                daemon_argv(modules, settle_s, "demo", "--port", "0", "--state-dir", str(state)),
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            alive = running(proc, log)

            def ready() -> bool:
                alive()
                return (state / "api.json").exists()

            wait_for(ready, 120, "the demo serving")
            rss = settle(proc, started, settle_s, log)
            wait_for(modules.exists, 30, "the list of loaded modules")
            heavy = status_imports(state)
            seconds, cpu = status_seconds(state, runs)
            bare_s, bare_cpu = timed([sys.executable, "-c", "pass"], runs)
        finally:
            stop(proc)
        return {
            "cli_status_heavy_modules": heavy,
            "cli_status_s": seconds,
            "cli_status_cpu_s": cpu,
            "python_bare_s": bare_s,  # the same machine starting an empty interpreter, for scale
            "python_bare_cpu_s": bare_cpu,
            "daemon_rss_mb_demo": rss,
            "daemon_loaded_demo": loaded(modules),
        }


def live_config(lab_config: Path) -> str:
    """The lab's config (nft data plane in the router) with every other backend "none"."""
    from simspot import registry

    # Every kind but the data plane (the lab's real nft one) gets "none".
    kinds: tuple[registry.Kind, ...] = ("modem", "battery", "hotspot", "esim")
    text = lab_config.read_text(encoding="utf-8")
    for kind in kinds:
        key = registry.CONFIG_KEY[kind]
        section, _, name = key.partition(".")
        if "none" not in registry.names(kind, simulated=False):
            raise RuntimeError(f"{key} has no real 'none' backend to choose")
        text += f'\n[{section}]\n{name} = "none"\n'
    return text


def measure_live(settle_s: float) -> dict[str, Any]:
    from simspot.dataplane.lab import Lab

    if os.geteuid() != 0:
        return {"daemon_rss_mb_live": None, "live_error": "needs root (network namespaces)"}
    lab = Lab(f"fp{secrets.token_hex(2)}", 1)
    lab.up()
    proc = None
    try:
        config = lab.dir / "live.toml"
        config.write_text(live_config(lab.config_path), encoding="utf-8")
        log = lab.dir / "serve.log"
        modules = lab.dir / "modules.json"
        started = time.monotonic()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", lab.router,
                 *daemon_argv(modules, settle_s, "serve", "--config", str(config), "--port", "0")],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        lab.wait_for_lease(1, 90)  # the daemon's dnsmasq serves the lab's client: it is working
        rss = settle(proc, started, settle_s, log)
        status = subprocess.run(
            ["ip", "netns", "exec", lab.router, *SIMSPOT, "status", "--json", "--state-dir",
             str(lab.dir / "daemon")],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        simulated = json.loads(status.stdout).get("simulated")
        if simulated:
            raise RuntimeError(f"the live daemon runs simulated parts: {simulated}")
        wait_for(modules.exists, 30, "the list of loaded modules")
        return {"daemon_rss_mb_live": rss, "daemon_loaded_live": loaded(modules)}
    finally:
        if proc is not None:
            stop(proc)
        lab.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settle-s", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    result: dict[str, Any] = {}
    result |= measure_demo(args.settle_s, args.runs)
    result |= measure_live(args.settle_s)
    result["targets"] = {
        "cli_status_heavy_modules": [],
        "daemon_rss_mb_live": 60,
        "daemon_rss_mb_demo": 80,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
