"""ModemManager backend benchmark against the dbusmock ModemManager: prints one JSON object.

A private dbus-daemon and the extended ModemManager mock (tests/dbus/mm_template.py), then:

- status_us: cost of ``status()`` (the cached snapshot), median of 10,000 calls;
- reread_ms: one full re-read of modem, SIMs and bearer over D-Bus (median of 50);
- signal_to_snapshot_ms: from the mock changing the registration to the snapshot showing it
  (median of 20), i.e. how fast a hot event reaches the daemon without polling;
- slot_switch_ms: SetPrimarySimSlot until the re-probed modem (new object path) is known (median
  of 10 switches);
- connect_ms: Simple.Connect with the APN until the BearerInfo is returned (median of 10).

Usage: .venv/bin/python benchmarks/modem.py
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dbus_fast import Variant

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.dbus.conftest import (
    BUS_CONFIG,
    MM_MAIN,
    MM_NAME,
    MM_TEMPLATE,
    MockService,
    eventually,
)

from simspot.config import ApnConfig
from simspot.modem.mm import ModemManagerBackend


async def bench(address: str, tmp: Path) -> dict[str, float]:
    mock = MockService(address, MM_TEMPLATE, MM_NAME, MM_MAIN, tmp / "mock.log")
    await mock.start()
    await mock.call("AddDualSimModem", "a{sv}", [{"primary": Variant("u", 1)}])
    backend = ModemManagerBackend(bus_address=address, refresh_interval_s=300)
    await backend.start()
    out: dict[str, float] = {}
    try:
        t: list[float] = []
        for _ in range(10_000):
            t0 = time.perf_counter()
            await backend.status()
            t.append(time.perf_counter() - t0)
        out["status_us"] = round(statistics.median(t) * 1e6, 2)

        t = []
        for _ in range(50):
            t0 = time.perf_counter()
            await backend._read()
            t.append(time.perf_counter() - t0)
        out["reread_ms"] = round(statistics.median(t) * 1e3, 2)

        t = []
        for i in range(20):
            code = "20801" if i % 2 == 0 else "23415"
            t0 = time.perf_counter()
            await mock.call("SetRegistration", "uss", [1, code, "x"])

            async def seen(code: str = code) -> bool:
                st = await backend.status()
                return st is not None and st.operator_code == code

            await eventually(seen, within_s=10)
            t.append(time.perf_counter() - t0)
        out["signal_to_snapshot_ms"] = round(statistics.median(t) * 1e3, 1)

        t = []
        for i in range(10):
            t0 = time.perf_counter()
            await backend.set_primary_slot(2 if i % 2 == 0 else 1)
            t.append(time.perf_counter() - t0)
        out["slot_switch_ms"] = round(statistics.median(t) * 1e3, 1)

        t = []
        for _ in range(10):
            t0 = time.perf_counter()
            await backend.connect(ApnConfig(apn="internet"))
            t.append(time.perf_counter() - t0)
            await backend.disconnect()
            await eventually(lambda: _disconnected(backend), within_s=10)
        out["connect_ms"] = round(statistics.median(t) * 1e3, 1)
    finally:
        await backend.stop()
        await mock.close()
    return out


async def _disconnected(backend: ModemManagerBackend) -> bool:
    st = await backend.status()
    return st is not None and st.bearer is None


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"simspot-bench-{os.getpid()}-"))
    conf = tmp / "bus.conf"
    conf.write_text(BUS_CONFIG.format(socket=tmp / "bus"))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={conf}", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        print(json.dumps(asyncio.run(bench(address, tmp))))
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
