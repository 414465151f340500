"""eSIM download benchmark: prints one JSON object.

Full downloads (LPA <-> test SM-DP+ over HTTPS on loopback <-> virtual eUICC) of a 12 KB and a
19 KB profile package, with the default STORE DATA block size and with 120-byte blocks:

- ``downloads``: APDU count (every APDU on the card link, channel management included) and
  wall time per download;
- ``apdu_ratio``: APDUs with the default block size / APDUs with 120-byte blocks (19 KB), every
  APDU counted; ``store_data_ratio`` the same for STORE DATA commands only (the part the block
  size governs: GET RESPONSE chains and channel management are set by the card);
- ``lpa_cpu_ms``: the LPA's own CPU time per download (median), excluding the card (the virtual
  eUICC's time inside ``transmit`` is subtracted) and the SM-DP+ (it runs in another process).

Other transports (PC/SC, AT) can add their own entries to ``SCENARIOS``; each returns a dict
that is merged into the output under its name. ``python benchmarks/esim.py virtual pcsc at``:

- ``pcsc``: the same downloads through a real (private) pcscd and vsmartcard's virtual reader,
  with the PC/SC transport (needs root for the private pcscd);
- ``at``: a 12 KB download through the AT transport and the AT modem emulator answering every
  command after 300 ms, as a real modem does (APDU count dominates: expect tens of seconds).
- ``qmi`` / ``mbim``: the same downloads as ``pcsc`` through the QMI / MBIM transport, the real
  libqmi ``qmi-proxy`` / libmbim ``mbim-proxy``, and the QMI / MBIM modem emulator answering
  every message after 50 ms (needs root: the proxies only serve root by default).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZES = {"12k": 12_000, "19k": 19_300}
BLOCKS = {"default": None, "120": 120}
REPEAT = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_smdp(pki_dir: str, profiles_dir: str, port: int) -> None:
    """Child process: the test SM-DP+ over HTTPS, reusable orders, until killed."""
    from simspot.simulator.pki import TestPki
    from simspot.simulator.smdp import TestSmdp

    async def main() -> None:
        smdp = TestSmdp(TestPki.load(Path(pki_dir)).smdp_credentials())
        smdp.load_directory(Path(profiles_dir), reusable=True)
        await smdp.start("127.0.0.1", port)
        await asyncio.Event().wait()

    asyncio.run(main())


class TimedTransport:
    """Wraps a card transport and adds up the CPU time spent inside it (the card's share)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cpu = 0.0
        self.apdus = 0
        self.store_data = 0

    async def connect(self) -> None:
        await self.inner.connect()

    async def disconnect(self) -> None:
        await self.inner.disconnect()

    async def open_channel(self, aid: bytes) -> int:
        t = time.process_time()
        try:
            return int(await self.inner.open_channel(aid))
        finally:
            self.cpu += time.process_time() - t

    async def close_channel(self, channel: int) -> None:
        t = time.process_time()
        try:
            await self.inner.close_channel(channel)
        finally:
            self.cpu += time.process_time() - t

    async def transmit(self, apdu: bytes) -> bytes:
        t = time.process_time()
        try:
            self.apdus += 1
            self.store_data += apdu[1] == 0xE2
            return bytes(await self.inner.transmit(apdu))
        finally:
            self.cpu += time.process_time() - t


async def _virtual_downloads(work: Path) -> dict[str, Any]:
    from cryptography.hazmat.primitives.serialization import Encoding

    from simspot.esim.activation import parse
    from simspot.esim.apdu import DEFAULT_BLOCK
    from simspot.esim.lpa import Lpa, LpaOptions
    from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc
    from simspot.simulator.pki import TestPki
    from simspot.simulator.profiles import sample_profile

    pki = TestPki.generate()
    pki.write(work / "pki")
    ci = work / "ci.pem"
    ci.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
    profiles = work / "profiles"
    profiles.mkdir()
    for name, size in SIZES.items():
        (profiles / f"BENCH-{name}").write_bytes(sample_profile(size, name=name))
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve_smdp, args=(str(work / "pki"), str(profiles), port), daemon=True
    )
    server.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or not server.is_alive():
                    raise SystemExit("the test SM-DP+ did not start") from None
                await asyncio.sleep(0.1)

        card = VirtualEuicc(pki.euicc_credentials())
        out: dict[str, Any] = {}
        cpu_samples: list[float] = []
        first = True
        for size_name in SIZES:
            for block_name, block in BLOCKS.items():
                walls, apdus, store_data = [], [], []
                for _ in range(REPEAT + (1 if first else 0)):
                    transport = TimedTransport(VirtualCardTransport(card))
                    options = LpaOptions(extra_ca_files=[ci], block_size=block or DEFAULT_BLOCK)
                    lpa = Lpa(transport, options)
                    code = parse(f"LPA:1$localhost:{port}$BENCH-{size_name}")
                    cpu0, wall0 = time.process_time(), time.perf_counter()
                    result = await lpa.download(code)
                    wall = time.perf_counter() - wall0
                    cpu = time.process_time() - cpu0 - transport.cpu
                    await lpa.delete(result.iccid or "")
                    if first:  # warm-up: ASN.1 compilation, imports
                        first = False
                        continue
                    walls.append(wall)
                    apdus.append(transport.apdus)
                    store_data.append(transport.store_data)
                    cpu_samples.append(cpu)
                out[f"{size_name}_{block_name}"] = {
                    "block_size": block or DEFAULT_BLOCK,
                    "apdus": apdus[0],
                    "store_data_apdus": store_data[0],
                    "wall_ms": round(statistics.median(walls) * 1000, 1),
                }
        ratio = out["19k_default"]["apdus"] / out["19k_120"]["apdus"]
        sd_ratio = out["19k_default"]["store_data_apdus"] / out["19k_120"]["store_data_apdus"]
        return {
            "downloads": out,
            "apdu_ratio": round(ratio, 3),
            "store_data_ratio": round(sd_ratio, 3),
            "lpa_cpu_ms": round(statistics.median(cpu_samples) * 1000, 1),
        }
    finally:
        server.kill()
        server.join(5)


def virtual() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="simspot-bench-esim-") as tmp:
        return asyncio.run(_virtual_downloads(Path(tmp)))


# -- hardware transports: PC/SC through a real pcscd, AT through the modem emulator ----------

HW_SIZES = {"12k": 12_000, "19k": 19_300}
AT_LATENCY_S = 0.3  # a realistic modem: about 300 ms per AT command


async def _hw_downloads(
    make_transport: Callable[[Any], Any],
    card: Any,
    sizes: dict[str, int],
    repeat: int,
) -> dict[str, Any]:
    """Full downloads through ``make_transport(card)`` with the default and 120-byte blocks,
    against an in-process test SM-DP+ over HTTPS on loopback."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from simspot.esim.activation import parse
    from simspot.esim.apdu import DEFAULT_BLOCK
    from simspot.esim.lpa import Lpa, LpaOptions
    from simspot.simulator.profiles import sample_profile
    from simspot.simulator.smdp import TestSmdp

    pki = card.bench_pki
    with tempfile.TemporaryDirectory(prefix="simspot-bench-hw-") as tmp:
        ci = Path(tmp) / "ci.pem"
        ci.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
        smdp = TestSmdp(pki.smdp_credentials())
        await smdp.start("127.0.0.1", 0)
        try:
            out: dict[str, Any] = {}
            n = 0
            for size_name, size in sizes.items():
                package = sample_profile(size, name=f"hw-{size_name}")
                for block_name, block in BLOCKS.items():
                    walls, apdus = [], []
                    for _ in range(repeat):
                        n += 1
                        smdp.add_profile(f"HW-{n}", package)
                        transport = TimedTransport(make_transport(card))
                        options = LpaOptions(extra_ca_files=[ci], block_size=block or DEFAULT_BLOCK)
                        lpa = Lpa(transport, options)
                        wall0 = time.perf_counter()
                        result = await lpa.download(parse(smdp.activation_code(f"HW-{n}")))
                        walls.append(time.perf_counter() - wall0)
                        apdus.append(transport.apdus)
                        await lpa.delete(result.iccid or "")
                    wall = statistics.median(walls)
                    out[f"{size_name}_{block_name}"] = {
                        "block_size": block or DEFAULT_BLOCK,
                        "apdus": apdus[0],
                        "wall_ms": round(wall * 1000, 1),
                        "ms_per_apdu": round(wall * 1000 / apdus[0], 2),
                    }
            return out
        finally:
            await smdp.stop()


def _bench_card() -> Any:
    from simspot.simulator.euicc import VirtualEuicc
    from simspot.simulator.pki import TestPki

    pki = TestPki.generate()
    card = VirtualEuicc(pki.euicc_credentials())
    card.bench_pki = pki  # type: ignore[attr-defined]
    return card


def pcsc() -> dict[str, Any]:
    """LPA -> PcscTransport -> real pcscd (private) -> vpcd -> virtual eUICC (needs root)."""
    import os

    from simspot.esim.pcsc import PcscTransport, list_readers
    from simspot.simulator.vpcd import PrivatePcscd, VpcdCard

    with PrivatePcscd() as pcscd:
        os.environ["PCSCLITE_CSOCK_NAME"] = str(pcscd.socket_path)

        async def run() -> dict[str, Any]:
            card = _bench_card()
            bridge = VpcdCard(card, "127.0.0.1", pcscd.port)
            await bridge.connect(timeout_s=20)
            served = asyncio.create_task(bridge.serve())
            try:
                deadline = time.monotonic() + 20
                while not any(r.card_present for r in await list_readers()):
                    if time.monotonic() > deadline:
                        raise SystemExit("pcscd did not see the virtual card")
                    await asyncio.sleep(0.1)
                first = next(iter(await list_readers())).name
                return await _hw_downloads(lambda _c: PcscTransport(first), card, HW_SIZES, 3)
            finally:
                bridge.remove()
                await served

        return {"repeat": 3, "downloads": asyncio.run(run())}


def at() -> dict[str, Any]:
    """LPA -> AtTransport -> pty -> AT modem emulator (300 ms per command) -> virtual eUICC."""
    from simspot.esim.at import AtTransport
    from simspot.simulator.atmodem import AtModem, ModemDialect

    async def run() -> dict[str, Any]:
        card = _bench_card()
        with AtModem(card, ModemDialect(latency_s=AT_LATENCY_S)) as modem:
            return await _hw_downloads(
                lambda _c: AtTransport(modem.path, timeout_s=30), card, {"12k": 12_000}, 1
            )

    return {"latency_ms": AT_LATENCY_S * 1000, "repeat": 1, "downloads": asyncio.run(run())}


MODEM_LATENCY_S = 0.05  # the QMI / MBIM emulator answers every message after 50 ms


def _modem(kind: str) -> dict[str, Any]:
    """LPA -> QmiTransport / MbimTransport -> the real qmi-proxy / mbim-proxy -> pty -> QMI /
    MBIM modem emulator (50 ms per message) -> virtual eUICC. A proxy that already runs is
    used; otherwise one is started for the run and stopped after."""
    import subprocess

    from simspot.esim.mbim import MbimTransport
    from simspot.esim.proxylink import find_proxy
    from simspot.esim.qmi import QmiTransport
    from simspot.simulator.mbimdev import MbimModem
    from simspot.simulator.qmidev import QmiModem

    name = f"{kind}-proxy"
    program = find_proxy(name)
    if program is None:
        raise SystemExit(f"{name} is not installed (scripts/apt-packages.txt)")
    started = None
    if not _listening(name):
        started = subprocess.Popen(
            [program, "--no-exit"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while not _listening(name):
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not start")
            time.sleep(0.05)

    async def run() -> dict[str, Any]:
        card = _bench_card()
        device_cls = QmiModem if kind == "qmi" else MbimModem
        transport_cls = QmiTransport if kind == "qmi" else MbimTransport
        with device_cls(card, latency_s=MODEM_LATENCY_S) as device:
            return await _hw_downloads(
                lambda _c: transport_cls(device.path, spawn_proxy=False), card, HW_SIZES, 1
            )

    try:
        downloads = asyncio.run(run())
    finally:
        if started is not None:
            started.terminate()
            started.wait(10)
    return {"latency_ms": MODEM_LATENCY_S * 1000, "repeat": 1, "downloads": downloads}


def _listening(abstract_name: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect("\0" + abstract_name)
        except OSError:
            return False
    return True


def qmi() -> dict[str, Any]:
    return _modem("qmi")


def mbim() -> dict[str, Any]:
    return _modem("mbim")


# name -> measurement; results are merged into the printed object (virtual at the top level).
SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    "virtual": virtual,
    "pcsc": pcsc,
    "at": at,
    "qmi": qmi,
    "mbim": mbim,
}


def main(argv: list[str]) -> int:
    wanted = argv or ["virtual"]
    result: dict[str, Any] = {"transport": "virtual", "repeat": REPEAT}
    for name in wanted:
        data = SCENARIOS[name]()
        if name == "virtual":
            result.update(data)
        else:
            result[name] = data
    result["targets"] = {"apdu_ratio_max": 0.5, "lpa_cpu_ms_max": 150}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
