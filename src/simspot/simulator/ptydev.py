"""What the QMI and MBIM device emulators share: a control port on a pseudo-terminal in raw
mode (libqmi and libmbim open it like /dev/cdc-wdm0), framed messages answered on a thread after
an optional latency, the card's logical channels, and unplugging (the port vanishes, the card
loses power)."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import termios
import threading
import time
import tty
from typing import Protocol, Self

from simspot.esim.apdu import cla_for_channel

log = logging.getLogger(__name__)


class Card(Protocol):
    def process(self, apdu: bytes) -> bytes: ...


class CardFailure(Exception):
    """The card could not do what the modem asked (channel refused, SELECT failed)."""

    def __init__(self, message: str, sw: int, *, no_channel: bool = False) -> None:
        super().__init__(message)
        self.sw = sw
        self.no_channel = no_channel  # True: no free channel; False: the SELECT failed


class PtyDevice:
    """Base of the emulators: subclasses give ``frame_length`` and ``handle``."""

    name = "device"

    def __init__(self, card: Card, *, latency_s: float = 0.0, gone_after: int | None = None):
        self.card = card
        self.latency_s = latency_s
        self.gone_after = gone_after  # unplug on this APDU (1-based), left unanswered
        self.apdus = 0  # APDUs sent to the card on behalf of the host
        self.messages = 0  # framed requests answered
        self.open_channels: set[int] = set()
        self.gone = threading.Event()
        self._unplug = threading.Event()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave, termios.TCSANOW)
        tty.setraw(self._master, termios.TCSANOW)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._serve, name=f"simspot-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._close_fds()

    def unplug(self) -> None:
        """The modem goes away now (USB unplugged): the port closes, the card loses power."""
        self._unplug.set()

    def _close_fds(self) -> None:
        with self._lock:
            for fd in (self._master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._master = self._slave = -1

    def _go(self) -> None:
        log.info("%s on %s: unplugged", self.name, self.path)
        # Card power and port go together; the state is final before the host can see the
        # hang-up, so whoever reacts to it sees a reset card.
        self.power_down()
        self.gone.set()
        self._close_fds()

    def power_down(self) -> None:
        """The card loses power: every logical channel goes, the card resets."""
        self.open_channels.clear()
        reset = getattr(self.card, "reset", None)
        if callable(reset):
            reset()

    # -- serving ------------------------------------------------------------------------------
    def frame_length(self, buf: bytes) -> int | None:
        raise NotImplementedError

    def handle(self, frame: bytes) -> bytes | None:
        """Answer one frame; None: no answer."""
        raise NotImplementedError

    def _serve(self) -> None:
        buf = b""
        while not self._stop.is_set():
            if self._unplug.is_set():
                self._go()
                return
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                continue  # EIO while nobody holds the port open: wait for the next client
            buf += chunk
            while buf:
                try:
                    length = self.frame_length(buf)
                except ValueError as exc:
                    log.warning(
                        "%s: framing broken (%s): dropping %d bytes", self.name, exc, len(buf)
                    )
                    buf = b""
                    break
                if length is None or len(buf) < length:
                    break
                frame, buf = buf[:length], buf[length:]
                answer = self.handle(frame)
                if self._unplug.is_set():
                    self._go()
                    return
                if answer is None:
                    continue
                self.messages += 1
                if self.latency_s:
                    time.sleep(self.latency_s)
                with contextlib.suppress(OSError):
                    os.write(self._master, answer)

    # -- the card -----------------------------------------------------------------------------
    def apdu(self, apdu: bytes) -> bytes:
        """One APDU to the card on the host's behalf (counts towards ``gone_after``)."""
        self.apdus += 1
        if self.gone_after is not None and self.apdus >= self.gone_after:
            self._unplug.set()
            return b""
        return self.process(apdu)

    def process(self, apdu: bytes) -> bytes:
        try:
            resp = self.card.process(apdu)
        except Exception:  # a bug in the card must not kill the modem: answer as a SIM failure
            log.exception("the card failed on an APDU")
            return b"\x6f\x00"
        if len(apdu) >= 4 and apdu[1] == 0x70 and resp[-2:] == b"\x90\x00":
            if apdu[2] == 0x00 and len(resp) == 3:
                self.open_channels.add(resp[0])
            elif apdu[2] == 0x80:
                self.open_channels.discard(apdu[3])
        return resp

    def open_channel(self, aid: bytes, p2: int = 0x00) -> tuple[int, bytes]:
        """MANAGE CHANNEL then SELECT ``aid`` (with GET RESPONSE), as a modem does for the host:
        returns (channel, select response data). The channel is closed again if SELECT fails."""
        resp = self.process(bytes.fromhex("0070000001"))
        if resp[-2:] != b"\x90\x00" or len(resp) != 3:
            raise CardFailure("no free logical channel", _sw(resp), no_channel=True)
        channel = resp[0]
        cla = cla_for_channel(channel, proprietary=False)
        sel = self.process(bytes([cla, 0xA4, 0x04, p2, len(aid), *aid, 0x00]))
        data = b""
        while sel[-2] == 0x61:
            data += sel[:-2]
            sel = self.process(bytes([cla, 0xC0, 0x00, 0x00, sel[-1]]))
        if sel[-2:] != b"\x90\x00":
            self.close_channel(channel)
            raise CardFailure("SELECT failed", _sw(sel))
        return channel, data + sel[:-2]

    def close_channel(self, channel: int) -> bool:
        if channel not in self.open_channels:
            return False
        self.process(bytes([0x00, 0x70, 0x80, channel, 0x00]))
        return True

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sw(resp: bytes) -> int:
    return int.from_bytes(resp[-2:], "big") if len(resp) >= 2 else 0x6F00
