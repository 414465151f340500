"""Present a card object (the virtual eUICC) as a card in vsmartcard's virtual reader.

pcscd's vpcd driver (Debian ``vsmartcard-vpcd``, /etc/reader.conf.d/vpcd) listens on TCP port
35963 (0x8C7B) for its first slot; a virtual card connects to it as a client. Every message in
both directions is a 2-byte big-endian length followed by that many bytes. A 1-byte message from
vpcd is a control code (power off, power on, reset, ATR request); anything longer is a command
APDU, answered with the response APDU. Power on/off/reset get no answer.

Once connected, any PC/SC program (simspot's PC/SC transport, lpac, pcsc_scan) sees the card.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Protocol

from simspot.errors import BackendError, SimspotValueError, ToolMissing

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963  # 0x8C7B, vpcd's first slot

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4


class Card(Protocol):
    def process(self, apdu: bytes) -> bytes: ...


def make_atr(protocols: tuple[int, ...] = (0, 1), historical: bytes = b"\x80simspot") -> bytes:
    """An ISO 7816-3 ATR offering ``protocols`` (T=0 and/or T=1), with TCK when required.

    TS=3B (direct convention); T0 announces TD1 and the historical bytes; each TDi names one
    protocol and whether another TD follows.
    """
    if not protocols or any(p not in (0, 1) for p in protocols) or len(historical) > 15:
        raise SimspotValueError(msg_id="simulator.vpcd.atr")
    if protocols == (0,):
        return bytes([0x3B, len(historical)]) + historical  # T=0 implied, no TCK
    body = bytes([0x80 | len(historical)])
    for i, proto in enumerate(protocols):
        more = 0x80 if i < len(protocols) - 1 else 0x00
        body += bytes([more | proto])
    body += historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


EUICC_ATR = make_atr((0, 1))


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``:PORT`` -> (host, port)."""
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    try:
        number = int(port) if port else DEFAULT_PORT
    except ValueError as exc:
        raise SimspotValueError(msg_id="simulator.vpcd.address", params={"text": text}) from exc
    if not 0 < number < 65536:
        raise SimspotValueError(msg_id="simulator.vpcd.port-range", params={"port": number})
    return host.removeprefix("[").removesuffix("]") or DEFAULT_HOST, number


class VpcdCard:
    """One virtual card in a vpcd slot. ``run()`` serves until the reader closes the link or
    ``remove()`` pulls the card (pcscd then reports it removed)."""

    def __init__(
        self,
        card: Card,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        atr: bytes = EUICC_ATR,
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.atr = atr
        self.powered = False
        self.apdu_count = 0
        self.connected = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._removed = False

    async def connect(self, timeout_s: float = 10.0) -> None:
        """Connect to vpcd, retrying while pcscd is still starting."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                break
            except OSError as exc:
                if loop.time() >= deadline:
                    raise BackendError(
                        msg_id="simulator.vpcd.unreachable",
                        params={"host": self.host, "port": self.port, "error": str(exc)},
                    ) from exc
                await asyncio.sleep(0.2)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._quickack(writer)
        self._reader, self._writer = reader, writer
        self._removed = False
        self.connected.set()
        log.info("virtual card inserted into vpcd at %s:%d", self.host, self.port)

    async def serve(self) -> None:
        """Answer vpcd until the link closes; returns quietly on EOF or removal."""
        reader, writer = self._reader, self._writer
        if reader is None or writer is None:
            raise BackendError(msg_id="simulator.vpcd.not-connected")
        try:
            while not self._removed:
                try:
                    header = await reader.readexactly(2)
                    msg = await reader.readexactly(int.from_bytes(header, "big"))
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                answer = self._handle(msg)
                if answer is not None and not self._removed:
                    writer.write(len(answer).to_bytes(2, "big") + answer)
                    await writer.drain()
                self._quickack(writer)  # before the next command arrives
        except (ConnectionError, OSError) as exc:
            if not self._removed:
                log.info("vpcd link lost: %s", exc)
        finally:
            await self._close()

    async def run(self, timeout_s: float = 10.0) -> None:
        await self.connect(timeout_s)
        await self.serve()

    @staticmethod
    def _quickack(writer: asyncio.StreamWriter) -> None:
        """ACK at once: vpcd sends length and data in two writes, and with Nagle on its side
        a delayed ACK from ours would cost about 40 ms per APDU."""
        sock = writer.get_extra_info("socket")
        quickack = getattr(socket, "TCP_QUICKACK", None)
        if sock is not None and quickack is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)

    def remove(self) -> None:
        """Pull the card out: close the link now (mid-APDU if one is running)."""
        self._removed = True
        if self._writer is not None:
            self._writer.close()

    async def _close(self) -> None:
        writer, self._writer = self._writer, None
        self.connected.clear()
        self.powered = False
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    def _handle(self, msg: bytes) -> bytes | None:
        if len(msg) == 1:
            code = msg[0]
            if code == CTRL_ATR:
                return self.atr
            if code in (CTRL_OFF, CTRL_ON, CTRL_RESET):
                if code != CTRL_ON or not self.powered:
                    self._reset_card()
                self.powered = code != CTRL_OFF
                return None
            log.warning("vpcd sent unknown control code %d", code)
            return None
        self.apdu_count += 1
        if len(msg) < 4:
            return b"\x67\x00"  # wrong length
        try:
            return self.card.process(msg)
        except Exception:  # a bug in the card must not pull it out of the reader
            log.exception("the card failed on an APDU")
            return b"\x6f\x00"  # no precise diagnosis

    def _reset_card(self) -> None:
        reset = getattr(self.card, "reset", None)
        if callable(reset):
            reset()


# -- a private pcscd with the vpcd driver (tests, benchmarks, development) ----------------------

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"


class PrivatePcscd:
    """A pcscd of our own whose only reader is vpcd on ``port`` (slot 0; slot 1 is port + 1).

    pcscd 1.9 always serves ``/run/pcscd/pcscd.comm``, so it runs in a private mount namespace
    (needs root and util-linux's ``unshare``) where a temporary directory is bind-mounted on
    /run/pcscd. Clients reach it by setting ``PCSCLITE_CSOCK_NAME`` to :attr:`socket_path`
    before their first PC/SC call (libpcsclite reads it once). A system pcscd is left alone.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port_pair()
        self.base = Path(tempfile.mkdtemp(prefix=f"simspot-pcscd-{os.getpid()}-"))
        self.socket_path = self.base / "run" / "pcscd.comm"
        self.log_path = self.base / "pcscd.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> PrivatePcscd:
        for tool in ("pcscd", "unshare", "mount"):
            if shutil.which(tool) is None:
                raise ToolMissing(tool, "pcscd" if tool == "pcscd" else "util-linux")
        if not Path(VPCD_DRIVER).exists():
            raise ToolMissing("the vpcd driver", "vsmartcard-vpcd")
        run, conf = self.base / "run", self.base / "reader.conf.d"
        run.mkdir(exist_ok=True)
        conf.mkdir(exist_ok=True)
        (conf / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:{self.port}\n'
            f"LIBPATH {VPCD_DRIVER}\nCHANNELID {self.port}\n"
        )
        script = f"mkdir -p /run/pcscd && mount --bind {run} /run/pcscd && exec pcscd -f -c {conf}"
        with self.log_path.open("wb") as log_file:
            self._proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while not (_listening(self.port) and self.socket_path.exists()):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                log_text = self.log_path.read_text(errors="replace")
                self.stop()
                raise BackendError(msg_id="simulator.vpcd.pcscd-failed", params={"log": log_text})
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PrivatePcscd:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port_pair() -> int:
    """A free TCP port whose successor is free too (vpcd's two slots)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise BackendError(msg_id="simulator.vpcd.no-port-pair")


def _listening(port: int) -> bool:
    """Whether something listens on ``port``, read from /proc (a probe connection would look
    like a card being inserted)."""
    needle = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[1].endswith(needle) and fields[3] == "0A":
                return True
    return False
