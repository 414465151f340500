"""Login flood benchmark: does password hashing stall the API? Prints one JSON object.

Runs the daemon (simulated backends) with its real uvicorn in this process, trusting X-Forwarded-
For from loopback so that every guess comes from its own address (what an attacker with many
addresses gets). It sends ``--logins`` wrong-password logins at once (the global budget lets the
first 20 be hashed, the rest get 429) while timing ``GET /api/v1/status`` with the CLI token.

- status_ms_p50 / status_ms_max: /status latency during the flood.
- status_ms_idle_p50 / status_ms_idle_max: the same with no logins running (a loaded machine
  shows in these).
- hashed: logins whose password was checked (401); throttled: answered 429 without hashing.
- hash_ms: one scrypt check on this machine (what a blocked event loop would add per guess).

Usage: .venv/bin/python benchmarks/login.py [--logins 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time

import httpx

from simspot import config
from simspot.asgiserve import bind
from simspot.daemon.auth import hash_password, verify_password
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.daemon.server import serve


async def status_times(c: httpx.AsyncClient, token: str, until: asyncio.Event) -> list[float]:
    out = []
    while not until.is_set():
        t0 = time.perf_counter()
        r = await c.get("/api/v1/status", headers={"authorization": f"Bearer {token}"})
        r.raise_for_status()
        out.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.01)
    return out


async def run(logins: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        conf = config.validate(
            {
                "daemon": {"state_dir": tmp, "api_port": 0, "trusted_proxies": ["127.0.0.1"]},
                "simulator": {"seed": 1},
            }
        )
        daemon = Daemon(conf, build_backends(conf, simulate=True))
        daemon.auth.setup()
        ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        stop = asyncio.Event()
        task = asyncio.create_task(serve(daemon, bind("127.0.0.1", 0), ready.set_result, stop))
        url = await asyncio.wait_for(ready, 60)
        token = daemon.auth.token
        limits = httpx.Limits(max_connections=logins + 4)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as c:
            await asyncio.sleep(5)  # let the start-up work (demo eSIM seeding) finish
            idle_done = asyncio.Event()
            idle = asyncio.create_task(status_times(c, token, idle_done))
            await asyncio.sleep(3)
            idle_done.set()
            idle_ms = await idle

            flood_done = asyncio.Event()
            timing = asyncio.create_task(status_times(c, token, flood_done))
            t0 = time.perf_counter()
            answers = await asyncio.gather(
                *(
                    c.post(
                        "/api/v1/login",
                        json={"password": "wrong"},
                        headers={"x-forwarded-for": f"198.18.{i // 250}.{i % 250 + 1}"},
                    )
                    for i in range(logins)
                )
            )
            flood_s = time.perf_counter() - t0
            flood_done.set()
            flood_ms = await timing
        stop.set()
        await task
    record = hash_password("x")
    t1 = time.perf_counter()
    verify_password("y", record)
    hash_ms = (time.perf_counter() - t1) * 1000
    codes = [a.status_code for a in answers]
    return {
        "status_ms_p50": round(statistics.median(flood_ms), 1),
        "status_ms_max": round(max(flood_ms), 1),
        "status_samples": len(flood_ms),
        "status_ms_idle_p50": round(statistics.median(idle_ms), 1),
        "status_ms_idle_max": round(max(idle_ms), 1),
        "hashed": codes.count(401),
        "throttled": codes.count(429),
        "flood_s": round(flood_s, 2),
        "hash_ms": round(hash_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.logins))))


if __name__ == "__main__":
    main()
