"""AT card transport: the eUICC inside a cellular modem, reached over its AT serial port.

Two dialects (3GPP TS 27.007 8.17, 8.43-8.45):

- ``csim``: ``AT+CSIM=<len>,"<apdu>"`` carries whole APDUs; logical channels are opened with
  MANAGE CHANNEL inside it, exactly as over PC/SC.
- ``ccho``: ``AT+CCHO="<aid>"`` opens a channel with the AID selected and returns a session id,
  ``AT+CGLA=<session>,<len>,"<apdu>"`` sends on it, ``AT+CCHC=<session>`` closes it.

``dialect="auto"`` probes ``AT+CCHO=?`` then ``AT+CSIM=?`` (CCHO first: the modem then knows which
channels are in use). The line parser is pure (:class:`ResponseParser`): it tolerates the quirks
modems are known for (echo on, URCs such as ``+CREG:``/``RING``/``^RSSI:`` between lines, a
missing ``+CSIM:`` prefix, lower-case hex) and refuses anything else with :class:`AtProtocolError`.
We always send upper-case hex, which every modem accepts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from simspot.esim.apdu import channel_of_cla
from simspot.esim.errors import (
    AtCommandError,
    AtError,
    AtProtocolError,
    AtTimeout,
    CardTransportError,
    ChannelError,
)
from simspot.esim.transport import close_channel_iso, open_channel_iso

__all__ = [  # the AT errors are re-exported for callers that import them from here
    "AtCommandError",
    "AtError",
    "AtProtocolError",
    "AtTimeout",
    "AtTransport",
    "ResponseParser",
    "refresh_modem",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
Dialect = Literal["auto", "csim", "ccho"]


# -- pure line parsing ------------------------------------------------------------------------

# Unsolicited result codes modems interleave with answers (27.007 and vendor ones).
URC_PREFIXES = (
    "+CREG:", "+CGREG:", "+CEREG:", "+C5GREG:", "+CRING:", "+CMTI:", "+CDSI:", "+CBM:",
    "+CUSD:", "+CIEV:", "+CGEV:", "+CPIN:", "+QIND:", "+QUSIM:", "+QSTK", "^RSSI:",
    "^HCSQ:", "^MODE:", "^BOOT:", "^SYSSTART", "^SIMST:", "^SRVST:", "^DSFLOWRPT:",
    "^CEND:", "^ORIG:", "^CONF:", "^CONN:", "^NDISSTAT:", "+PACSP", "+STIN:", "+CTZV:",
    "+CTZE:", "+NITZ:", "*PSUTTZ:", "+SIM READY", "+ECSQ:",
)  # fmt: skip
URC_WORDS = frozenset({"RING", "RDY", "SMS READY", "CALL READY", "PB DONE", "+CFUN: 1"})

# Lengths and session ids have a few ASCII digits: int() of a 5000-digit run raises ValueError.
_HEX_ANSWER = re.compile(r'^\s*([0-9]{1,6})\s*,\s*"?([0-9A-Fa-f]*)"?\s*$')
_NUMBER = re.compile(r"^\s*([0-9]{1,9})\s*$")


@dataclass(frozen=True)
class Expect:
    """What information line a command answers with: its prefix, and whether a bare payload
    (the prefix missing, a known quirk) is acceptable and what it looks like."""

    prefix: str | None  # e.g. "+CSIM:"; None: the command has no information response
    bare: re.Pattern[str] | None = None


EXPECT_NOTHING = Expect(None)
EXPECT_CSIM = Expect("+CSIM:", _HEX_ANSWER)
EXPECT_CGLA = Expect("+CGLA:", _HEX_ANSWER)
EXPECT_CCHO = Expect("+CCHO:", _NUMBER)


@dataclass
class AtResponse:
    ok: bool
    info: list[str] = field(default_factory=list)  # payloads, prefix stripped
    error: str | None = None  # "ERROR" or the +CME ERROR text


class ResponseParser:
    """Feed the lines the modem sends after one command; get an :class:`AtResponse` on the final
    result code. Pure: no I/O, so it is tested over many generated inputs."""

    def __init__(self, command: str, expect: Expect) -> None:
        self.command = command.strip()
        self.expect = expect
        self.info: list[str] = []
        self.ignored: list[str] = []

    def feed(self, raw: str) -> AtResponse | None:
        line = raw.strip()
        if not line:
            return None
        upper = line.upper()
        if upper == "OK":
            return AtResponse(True, self.info)
        if upper in ("ERROR", "NO CARRIER", "COMMAND NOT SUPPORT"):
            return AtResponse(False, self.info, line)
        if upper.startswith(("+CME ERROR:", "+CMS ERROR:", "+EXT ERROR:")):
            return AtResponse(False, self.info, line)
        if upper == self.command.upper():  # echo on
            self.ignored.append(line)
            return None
        prefix = self.expect.prefix
        if prefix is not None and upper.startswith(prefix):
            self.info.append(line[len(prefix) :].strip())
            return None
        if upper.startswith(URC_PREFIXES) or upper in URC_WORDS:
            self.ignored.append(line)
            return None
        if self.expect.bare is not None and self.expect.bare.match(line):
            self.info.append(line)
            return None
        raise AtProtocolError(
            msg_id="esim.at.unexpected-line",
            params={"command": _name(self.command), "line": repr(_clip(line))},
        )


def parse_hex_answer(payload: str, command: str) -> bytes:
    """``<len>,"<hex>"`` (the +CSIM / +CGLA payload) -> bytes; the length must match."""
    m = _HEX_ANSWER.match(payload)
    if m is None:
        raise AtProtocolError(
            msg_id="esim.at.malformed",
            params={"command": _name(command), "answer": repr(_clip(payload))},
        )
    length, hexdata = int(m.group(1)), m.group(2)
    if length != len(hexdata) or len(hexdata) % 2 or len(hexdata) < 4:
        raise AtProtocolError(
            msg_id="esim.at.hex-length",
            params={"command": _name(command), "length": length, "count": len(hexdata)},
        )
    return bytes.fromhex(hexdata)


def csim_command(apdu: bytes) -> str:
    h = apdu.hex().upper()
    return f'AT+CSIM={len(h)},"{h}"'


def cgla_command(session: int, apdu: bytes) -> str:
    h = apdu.hex().upper()
    return f'AT+CGLA={session},{len(h)},"{h}"'


def _name(command: str) -> str:
    """The command without its data (APDUs may carry a matching ID): ``AT+CSIM``."""
    return re.split(r"[=?]", command.strip(), maxsplit=1)[0].upper() or "AT"


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."


class _CommandRefused(AtCommandError):
    """An :class:`AtCommandError` that names its sentence: ``AtCommandError(message, code)``
    (simspot.esim.errors) takes no message id yet."""

    def __init__(self, code: str, *, msg_id: str, params: dict[str, Any]) -> None:
        AtError.__init__(self, msg_id=msg_id, params=params)
        self.code = code


# -- serial I/O (blocking, on the transport's worker thread) ----------------------------------


class _SerialLink:
    def __init__(self, port: str, baudrate: int) -> None:
        import serial

        self._serial_error: type[Exception] = serial.SerialException
        try:
            self.ser = serial.Serial(port, baudrate, timeout=0.05, write_timeout=5)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise AtError(
                msg_id="esim.at.port-open", params={"port": port, "error": str(exc)}
            ) from exc
        self.port = port
        self._buf = b""
        self.desynced = False  # a command timed out or failed to parse: resync before the next

    def close(self) -> None:
        try:
            self.ser.close()
        except (OSError, self._serial_error) as exc:
            log.info("closing %s: %s", self.port, exc)

    def command(self, command: str, expect: Expect, timeout_s: float) -> AtResponse:
        if self.desynced:
            self.resync(min(timeout_s, 5.0))
        try:
            self._discard_input()
            self.ser.write(command.encode("ascii") + b"\r")
            self.ser.flush()
            parser = ResponseParser(command, expect)
            deadline = time.monotonic() + timeout_s
            while True:
                line = self._readline(deadline)
                if line is None:
                    self.desynced = True
                    raise AtTimeout(
                        msg_id="esim.at.timeout",
                        params={
                            "port": self.port,
                            "command": _name(command),
                            "seconds": float(timeout_s),
                        },
                    )
                result = parser.feed(line)
                if result is not None:
                    return result
        except AtProtocolError:
            self.desynced = True
            raise
        except (OSError, self._serial_error) as exc:
            self.desynced = True
            raise AtError(
                msg_id="esim.at.port-failed", params={"port": self.port, "error": str(exc)}
            ) from exc

    def resync(self, timeout_s: float) -> None:
        """After a timeout or garbage: drop what is buffered, and wait until ``AT`` gets OK."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._discard_input()
            try:
                self.ser.write(b"AT\r")
                self.ser.flush()
            except (OSError, self._serial_error) as exc:
                raise AtError(
                    msg_id="esim.at.port-failed", params={"port": self.port, "error": str(exc)}
                ) from exc
            step = min(deadline, time.monotonic() + 1.0)
            while (line := self._readline(step)) is not None:
                if line.strip().upper() == "OK":
                    self.desynced = False
                    self._discard_input()
                    return
        raise AtTimeout(msg_id="esim.at.silent", params={"port": self.port})

    def _discard_input(self) -> None:
        self._buf = b""
        self.ser.reset_input_buffer()

    def _readline(self, deadline: float) -> str | None:
        while True:
            m = re.search(rb"[\r\n]", self._buf)
            if m is not None:
                line, self._buf = self._buf[: m.start()], self._buf[m.end() :]
                if line.strip():
                    return line.decode("ascii", errors="replace")
                continue
            if time.monotonic() >= deadline:
                return None
            chunk = self.ser.read(max(1, self.ser.in_waiting))
            self._buf += chunk
            if len(self._buf) > 65536:
                raise AtProtocolError(msg_id="esim.at.endless-line", params={"port": self.port})


# -- the transport ----------------------------------------------------------------------------

# Channels a session could not close (the modem stopped answering), per port: ("ccho", session)
# or ("csim", channel). The next connect to the port closes them once the modem answers again.
_ORPHANS: dict[str, set[tuple[str, int]]] = {}


class AtTransport:
    """An eUICC behind a modem's AT port (``/dev/ttyUSB2``, ``/dev/cdc-wdm0``-less modems, ...).

    Every command has ``timeout_s`` to finish (modems answer STORE DATA slowly). Open channels
    are tracked and closed on ``disconnect`` whatever happened before, after a resync if the
    modem stopped answering for a while.
    """

    def __init__(
        self,
        port: str,
        *,
        dialect: Dialect = "auto",
        baudrate: int = 115200,
        timeout_s: float = 10.0,
    ) -> None:
        self.port = port
        self.dialect_choice: Dialect = dialect
        self.dialect: Literal["csim", "ccho"] | None = None
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        self._link: _SerialLink | None = None
        self._has_csim = False
        self._sessions: dict[int, int] = {}  # channel -> CCHO session id (ccho dialect)
        self._channels: set[int] = set()  # channels opened with MANAGE CHANNEL (csim dialect)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    async def _call(self, fn: Callable[[], T]) -> T:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="simspot-at")
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    async def command(self, command: str, expect: Expect = EXPECT_NOTHING) -> AtResponse:
        """Send one AT command; raises AtCommandError on ERROR / +CME ERROR."""
        link = self._link
        if link is None:
            raise AtError(msg_id="esim.at.not-connected")
        resp = await self._call(lambda: link.command(command, expect, self.timeout_s))
        if not resp.ok:
            raise _CommandRefused(
                resp.error or "ERROR",
                msg_id="esim.at.refused",
                params={"command": _name(command), "error": resp.error},
            )
        return resp

    async def _supported(self, test: str) -> bool:
        try:
            await self.command(test)
        except AtCommandError:
            return False
        return True

    async def attach(self) -> None:
        """Open the port and wait until the modem answers ``AT`` (no probing, no channels):
        enough for plain AT commands such as AT+CFUN."""
        if self._link is not None:
            return
        link = self._link = await self._call(lambda: _SerialLink(self.port, self.baudrate))
        try:
            await self._call(lambda: link.resync(min(self.timeout_s, 10.0)))
        except BaseException:
            await self._drop_link()
            raise

    # -- the five calls -----------------------------------------------------------------------
    async def connect(self) -> None:
        if self._link is not None:
            return
        await self.attach()
        try:
            await self.command("ATE0")
            # An override is trusted without probing: some modems implement the commands but
            # not their "=?" test form.
            self._has_csim = self.dialect_choice == "csim" or await self._supported("AT+CSIM=?")
            if self.dialect_choice != "auto":
                self.dialect = self.dialect_choice
            elif await self._supported("AT+CCHO=?"):
                self.dialect = "ccho"
            elif self._has_csim:
                self.dialect = "csim"
            else:
                raise AtError(msg_id="esim.at.no-dialect", params={"port": self.port})
            log.info("AT transport on %s: dialect %s", self.port, self.dialect)
            await self._close_orphans()
        except BaseException:
            await self._drop_link()
            raise

    async def disconnect(self) -> None:
        if self._link is None:
            return
        try:
            for channel in sorted({*self._sessions, *self._channels}):
                try:
                    await self.close_channel(channel)
                except CardTransportError as exc:
                    log.warning("could not close logical channel %d: %s", channel, exc)
        finally:
            await self._drop_link()

    async def _drop_link(self) -> None:
        link, self._link = self._link, None
        self._sessions.clear()
        self._channels.clear()
        if link is not None:
            await self._call(link.close)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    async def open_channel(self, aid: bytes) -> int:
        if self.dialect == "csim":
            channel = await open_channel_iso(self._csim, aid)
            self._channels.add(channel)
            return channel
        try:
            resp = await self.command(f'AT+CCHO="{aid.hex().upper()}"', EXPECT_CCHO)
        except AtCommandError as exc:
            raise ChannelError(
                msg_id="esim.at.channel-refused",
                params={"aid": aid.hex().upper(), "error": exc.code},
            ) from exc
        if len(resp.info) != 1 or not _NUMBER.match(resp.info[0]):
            raise AtProtocolError(
                msg_id="esim.at.malformed",
                params={"command": "AT+CCHO", "answer": repr(resp.info)},
            )
        session = int(resp.info[0])
        # The session id is the channel number on every modem seen so far; where it is not,
        # the modem still routes AT+CGLA by session and fixes the CLA itself.
        channel = session if 1 <= session <= 19 else 1
        self._sessions[channel] = session
        return channel

    async def close_channel(self, channel: int) -> None:
        if self._link is None:
            return
        if channel in self._sessions:
            await self._close(("ccho", self._sessions.pop(channel)))
        elif channel in self._channels:
            self._channels.discard(channel)
            await self._close(("csim", channel))

    async def _close(self, handle: tuple[str, int]) -> None:
        """Close a channel; if the modem cannot be reached now, remember it for the next
        connect to this port (the channel is still open on the card)."""
        kind, number = handle
        try:
            if kind == "ccho":
                try:
                    await self.command(f"AT+CCHC={number}", Expect("+CCHC:"))
                except AtCommandError as exc:
                    log.info("AT+CCHC=%d: %s", number, exc)
            else:
                await close_channel_iso(self._csim, number)
        except CardTransportError:
            _ORPHANS.setdefault(self.port, set()).add(handle)
            raise
        _ORPHANS.get(self.port, set()).discard(handle)

    async def _close_orphans(self) -> None:
        """Close channels an earlier session could not close because the modem was silent."""
        for handle in sorted(_ORPHANS.get(self.port, set())):
            if handle[0] == "csim" and not self._has_csim:
                continue
            log.info("closing logical channel %s %d left open by an earlier session", *handle)
            await self._close(handle)

    async def transmit(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            raise CardTransportError(
                msg_id="esim.transport.apdu-short", params={"count": len(apdu)}
            )
        channel = channel_of_cla(apdu[0])
        if self.dialect == "ccho" and channel in self._sessions:
            command = cgla_command(self._sessions[channel], apdu)
            resp = await self.command(command, EXPECT_CGLA)
        elif self.dialect == "ccho" and not self._has_csim:
            raise ChannelError(msg_id="esim.at.no-channel", params={"channel": channel})
        else:
            return await self._csim(apdu)
        return self._single_hex(resp, command)

    async def _csim(self, apdu: bytes) -> bytes:
        command = csim_command(apdu)
        return self._single_hex(await self.command(command, EXPECT_CSIM), command)

    @staticmethod
    def _single_hex(resp: AtResponse, command: str) -> bytes:
        if len(resp.info) != 1:
            raise AtProtocolError(
                msg_id="esim.at.lines",
                params={"command": _name(command), "count": len(resp.info)},
            )
        return parse_hex_answer(resp.info[0], command)


# -- refresh after enable/disable -------------------------------------------------------------

MM_BUS = "org.freedesktop.ModemManager1"
MM_PATH = "/org/freedesktop/ModemManager1"
MM_MODEM = "org.freedesktop.ModemManager1.Modem"


@dataclass(frozen=True)
class RefreshResult:
    method: Literal["modemmanager-reset", "at-cfun"]
    detail: str


async def refresh_modem(
    *,
    at_port: str | None = None,
    bus_address: str | None = None,
    use_modemmanager: bool = True,
    cfun: Literal["reset", "cycle"] = "cycle",
    timeout_s: float = 30.0,
) -> RefreshResult:
    """Make the modem see the profile the eUICC switched to (after enable/disable).

    When ModemManager manages the modem (it is on the system bus and owns a modem whose ports
    include ``at_port``, or the only modem when no port is given), ask it to reset the modem:
    ModemManager then re-probes it and reads the new SIM. Otherwise talk AT directly: ``cycle``
    sends AT+CFUN=0 then AT+CFUN=1 (radio and SIM off and on: the modem re-reads the card),
    ``reset`` sends AT+CFUN=1,1 (full modem reset; the port may vanish for a while).
    """
    if use_modemmanager:
        found = await _modemmanager_reset(at_port, bus_address)
        if found is not None:
            return found
    if at_port is None:
        raise AtError(msg_id="esim.at.no-refresh")
    transport = AtTransport(at_port, timeout_s=timeout_s)
    await transport.attach()
    try:
        if cfun == "reset":
            await transport.command("AT+CFUN=1,1")
            return RefreshResult("at-cfun", "AT+CFUN=1,1")
        await transport.command("AT+CFUN=0")
        await transport.command("AT+CFUN=1")
        return RefreshResult("at-cfun", "AT+CFUN=0, AT+CFUN=1")
    finally:
        await transport.disconnect()


async def _modemmanager_reset(at_port: str | None, bus_address: str | None) -> RefreshResult | None:
    """Reset through ModemManager; None when ModemManager does not manage this modem."""
    from dbus_fast import BusType, DBusError, Message, MessageType
    from dbus_fast.aio import MessageBus

    try:
        if bus_address is not None:
            bus = await MessageBus(bus_address=bus_address).connect()
        else:
            bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    except (OSError, DBusError, ValueError) as exc:
        log.info("no D-Bus system bus for ModemManager: %s", exc)
        return None
    try:
        reply = await bus.call(
            Message(
                destination=MM_BUS,
                path=MM_PATH,
                interface="org.freedesktop.DBus.ObjectManager",
                member="GetManagedObjects",
            )
        )
        if reply is None or reply.message_type != MessageType.METHOD_RETURN:
            log.info("ModemManager is not running: %s", reply.body if reply else "no reply")
            return None
        path = _pick_modem(reply.body[0], at_port)
        if path is None:
            return None
        answer = await bus.call(
            Message(destination=MM_BUS, path=path, interface=MM_MODEM, member="Reset")
        )
        if answer is None or answer.message_type != MessageType.METHOD_RETURN:
            error = answer.error_name if answer else "no reply"
            raise AtError(
                msg_id="esim.at.reset-refused", params={"path": path, "error": str(error)}
            )
        return RefreshResult("modemmanager-reset", path)
    finally:
        bus.disconnect()
        await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]


def _pick_modem(objects: dict[str, Any], at_port: str | None) -> str | None:
    modems = {p: ifaces[MM_MODEM] for p, ifaces in objects.items() if MM_MODEM in ifaces}
    if at_port is None:
        return next(iter(modems)) if len(modems) == 1 else None
    port_name = at_port.rsplit("/", 1)[-1]
    for path, props in modems.items():
        ports = props.get("Ports")
        values = getattr(ports, "value", ports) or []
        if any(str(entry[0]) == port_name for entry in values):
            return path
    return None
