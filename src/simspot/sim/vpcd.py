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
from typing import Protocol

from simspot.errors import BackendError, SimspotValueError

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
        raise SimspotValueError("an ATR offers T=0 and/or T=1 and has at most 15 historical bytes")
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
    """``HOST:PORT``, ``HOST`` or ``:PORT`` -> (host, port)."""
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    try:
        number = int(port) if port else DEFAULT_PORT
    except ValueError as exc:
        raise SimspotValueError(f"not a HOST:PORT address: {text!r}") from exc
    if not 0 < number < 65536:
        raise SimspotValueError(f"port {number} is outside 1-65535")
    return host or DEFAULT_HOST, number


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
                        f"cannot reach vpcd at {self.host}:{self.port} (is pcscd running with"
                        f" vsmartcard-vpcd?): {exc}"
                    ) from exc
                await asyncio.sleep(0.2)
        self._reader, self._writer = reader, writer
        self._removed = False
        self.connected.set()
        log.info("virtual card inserted into vpcd at %s:%d", self.host, self.port)

    async def serve(self) -> None:
        """Answer vpcd until the link closes; returns quietly on EOF or removal."""
        reader, writer = self._reader, self._writer
        if reader is None or writer is None:
            raise BackendError("the virtual card is not connected to vpcd")
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
        except (ConnectionError, OSError) as exc:
            if not self._removed:
                log.info("vpcd link lost: %s", exc)
        finally:
            await self._close()

    async def run(self, timeout_s: float = 10.0) -> None:
        await self.connect(timeout_s)
        await self.serve()

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
