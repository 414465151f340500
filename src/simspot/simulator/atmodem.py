"""An AT modem emulator on a pseudo-terminal, backed by a card object (the virtual eUICC).

Any AT tool (simspot's AT transport, lpac's AT driver, minicom) can open the pty path. The
dialect is chosen with flags that mirror real modem quirks: no AT+CCHO, upper-case-only hex, no
``+CSIM:`` prefix, echo on, unsolicited result codes interleaved, a per-command latency, a
garbage line, and going silent after N commands (fault tests).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import select
import termios
import threading
import time
import tty
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from simspot.errors import SimspotValueError

log = logging.getLogger(__name__)


class Card(Protocol):
    def process(self, apdu: bytes) -> bytes: ...


@dataclass(frozen=True)
class ModemDialect:
    ccho: bool = True  # AT+CCHO/AT+CGLA/AT+CCHC supported
    csim: bool = True
    uppercase_only: bool = False  # lower-case hex in a command -> ERROR
    prefix: bool = True  # "+CSIM: " / "+CGLA: " / "+CCHO: " before answers
    echo: bool = False  # initial echo state (ATE0/ATE1 change it)
    urc_noise: bool = False  # +CREG: / RING / ^RSSI: lines around answers
    latency_s: float = 0.0  # before every answer
    stop_after: int | None = None  # go silent after this many commands
    garbage_at: int | None = None  # the answer to this command (1-based) carries a garbage line


PRESETS: dict[str, dict[str, object]] = {
    "standard": {},
    "csim-only": {"ccho": False},
    "ccho-only": {"csim": False},
    "uppercase-only": {"uppercase_only": True},
    "no-prefix": {"prefix": False},
    "echo": {"echo": True},
    "urc-noise": {"urc_noise": True},
}


def dialect_from(names: Iterable[str], **overrides: object) -> ModemDialect:
    """Combine named presets (``csim-only``, ``echo``, ...) and explicit fields."""
    d = ModemDialect()
    for name in names:
        if name not in PRESETS:
            raise SimspotValueError(
                msg_id="simulator.dialect.unknown", params={"name": name, "known": list(PRESETS)}
            )
        d = replace(d, **PRESETS[name])  # type: ignore[arg-type]
    return replace(d, **overrides)  # type: ignore[arg-type]


_URCS = ("+CREG: 1,5", "RING", "^RSSI:17", "+CEREG: 1", '^HCSQ:"LTE",50,40,120,20')
_CSIM = re.compile(r'^AT\+CSIM=(\d+),"([0-9A-Fa-f]*)"$', re.IGNORECASE)
_CGLA = re.compile(r'^AT\+CGLA=(\d+),(\d+),"([0-9A-Fa-f]*)"$', re.IGNORECASE)
_CCHO = re.compile(r'^AT\+CCHO="([0-9A-Fa-f]+)"$', re.IGNORECASE)
_CCHC = re.compile(r"^AT\+CCHC=(\d+)$", re.IGNORECASE)
_CFUN = re.compile(r"^AT\+CFUN=(\d)(?:,(\d))?$", re.IGNORECASE)


@dataclass
class ModemLog:
    commands: list[str] = field(default_factory=list)
    cfun: list[str] = field(default_factory=list)


class AtModem:
    """Answers AT commands on a pty. ``start()`` runs it on a thread; ``path`` is the pty."""

    def __init__(self, card: Card, dialect: ModemDialect | None = None) -> None:
        self.card = card
        self.dialect = dialect or ModemDialect()
        self.echo = self.dialect.echo
        self.cfun = 1
        self.log = ModemLog()
        self.open_channels: set[int] = set()  # every logical channel open on the card
        self.silent = False
        self._count = 0
        self._urc = 0
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave, termios.TCSANOW)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> AtModem:
        self._thread = threading.Thread(target=self._serve, name="simspot-atmodem", daemon=True)
        self._thread.start()
        return self

    def resume(self) -> None:
        """Answer again after ``stop_after`` made the modem silent (commands meanwhile are lost)."""
        self.silent = False
        self.dialect = replace(self.dialect, stop_after=None)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> AtModem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- serving ------------------------------------------------------------------------------
    def _serve(self) -> None:
        buf = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 4096)
            except OSError:
                return
            buf += chunk
            while (m := re.search(rb"[\r\n]", buf)) is not None:
                line, buf = buf[: m.start()], buf[m.end() :]
                text = line.decode("ascii", errors="replace").strip()
                if text:
                    self._handle(text)

    def _write(self, *lines: str) -> None:
        data = "".join(f"\r\n{line}\r\n" for line in lines).encode()
        with contextlib.suppress(OSError):
            os.write(self._master, data)

    def _noise(self) -> list[str]:
        if not self.dialect.urc_noise:
            return []
        self._urc += 1
        return [_URCS[self._urc % len(_URCS)]]

    def _handle(self, command: str) -> None:
        self._count += 1
        self.log.commands.append(command)
        d = self.dialect
        if self.silent or (d.stop_after is not None and self._count > d.stop_after):
            self.silent = True
            return
        if d.latency_s:
            time.sleep(d.latency_s)
        if self.echo:
            with contextlib.suppress(OSError):
                os.write(self._master, command.encode() + b"\r")
        try:
            info = self._answer(command)
            final = "OK"
        except _AtError as exc:
            info, final = [], exc.text
        out = [*self._noise(), *info]
        if info:
            out += self._noise()
        if d.garbage_at == self._count:
            out.insert(len(out) // 2, "#%x!GARBAGE\x07")
        self._write(*out, final)

    def _answer(self, command: str) -> list[str]:
        d = self.dialect
        upper = command.upper()
        if upper in ("AT", "ATZ", "AT&F"):
            return []
        if upper in ("ATE0", "ATE1"):
            self.echo = upper == "ATE1"
            return []
        if upper == "ATI":
            return ["simspot", "AT modem emulator", "Revision: 1"]
        if upper == "AT+CFUN?":
            return [f"+CFUN: {self.cfun}"]
        if upper == "AT+CSIM=?":
            return self._need(d.csim)
        if upper in ("AT+CCHO=?", "AT+CGLA=?", "AT+CCHC=?"):
            return self._need(d.ccho)
        if m := _CFUN.match(command):
            return self._cfun(int(m.group(1)), m.group(2))
        if m := _CSIM.match(command):
            self._need(d.csim)
            apdu = self._hex(m.group(2), int(m.group(1)))
            return [self._prefixed("+CSIM:", self._fmt(self._process(apdu)))]
        if m := _CGLA.match(command):
            self._need(d.ccho)
            session = int(m.group(1))
            if session not in self.open_channels:
                raise _AtError("+CME ERROR: 21")  # invalid index
            apdu = self._hex(m.group(3), int(m.group(2)))
            return [self._prefixed("+CGLA:", self._fmt(self._process(apdu)))]
        if m := _CCHO.match(command):
            self._need(d.ccho)
            return [self._prefixed("+CCHO:", str(self._ccho(self._hex(m.group(1)))))]
        if m := _CCHC.match(command):
            self._need(d.ccho)
            channel = int(m.group(1))
            if channel not in self.open_channels:
                raise _AtError("+CME ERROR: 21")
            self._process(bytes([0x00, 0x70, 0x80, channel, 0x00]))
            return []
        raise _AtError("ERROR")

    def _need(self, supported: bool) -> list[str]:
        if not supported:
            raise _AtError("ERROR")
        return []

    def _prefixed(self, prefix: str, payload: str) -> str:
        return f"{prefix} {payload}" if self.dialect.prefix else payload

    def _hex(self, text: str, length: int | None = None) -> bytes:
        if self.dialect.uppercase_only and text != text.upper():
            raise _AtError("+CME ERROR: 50")  # incorrect parameters
        if (length is not None and length != len(text)) or len(text) % 2:
            raise _AtError("+CME ERROR: 50")
        return bytes.fromhex(text)

    @staticmethod
    def _fmt(resp: bytes) -> str:
        h = resp.hex().upper()
        return f'{len(h)},"{h}"'

    def _process(self, apdu: bytes) -> bytes:
        if self.cfun == 0:
            raise _AtError("+CME ERROR: 13")  # SIM failure: the SIM is powered off
        try:
            resp = self.card.process(apdu)
        except Exception:  # a bug in the card must not kill the modem: answer as a SIM failure
            log.exception("the card failed on an APDU")
            raise _AtError("+CME ERROR: 13") from None
        # Track channels as the card sees them (MANAGE CHANNEL open/close), whichever dialect.
        if len(apdu) >= 4 and apdu[1] == 0x70 and resp[-2:] == b"\x90\x00":
            if apdu[2] == 0x00 and len(resp) == 3:
                self.open_channels.add(resp[0])
            elif apdu[2] == 0x80:
                self.open_channels.discard(apdu[3])
        return resp

    def _ccho(self, aid: bytes) -> int:
        resp = self._process(bytes.fromhex("0070000001"))
        if resp[-2:] != b"\x90\x00" or len(resp) != 3:
            raise _AtError("+CME ERROR: 4")
        channel = resp[0]
        cla = channel if channel <= 3 else 0x40 | (channel - 4)
        sel = self._process(bytes([cla, 0xA4, 0x04, 0x00, len(aid), *aid, 0x00]))
        while sel[-2] == 0x61:
            sel = self._process(bytes([cla, 0xC0, 0x00, 0x00, sel[-1]]))
        if sel[-2:] != b"\x90\x00":
            self._process(bytes([0x00, 0x70, 0x80, channel, 0x00]))
            raise _AtError("+CME ERROR: 4")
        return channel

    def _cfun(self, fun: int, rst: str | None) -> list[str]:
        if fun not in (0, 1, 4):
            raise _AtError("+CME ERROR: 50")
        self.log.cfun.append(f"{fun},{rst}" if rst else str(fun))
        if fun == 0 or rst == "1":
            # The SIM is powered down: every logical channel goes, the card resets.
            self.open_channels.clear()
            reset = getattr(self.card, "reset", None)
            if callable(reset):
                reset()
        self.cfun = 1 if rst == "1" else fun
        return []


class _AtError(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
