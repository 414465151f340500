"""MBIM card transport: the eUICC of an MBIM modem, through libmbim's ``mbim-proxy``.

The proxy lets simspot share the modem's control port (``/dev/cdc-wdm0``, driver cdc_mbim) with a
running ModemManager. Microsoft's "UICC low-level access" service (MBIM extension, UUID
c2f6588e-f037-4bc9-8665-f4d44bd09367) does the card work: Open Channel (CID 2) opens a channel
with the AID selected, APDU (CID 4) carries APDUs on it, Close Channel (CID 3) closes it. Fields
follow libmbim's data/mbim-service-ms-uicc-low-level-access.json; the proxy's own Configuration
command (service 838cf7fb-8d0d-4d7f-871e-d71dbefbb39b, CID 1: device path, timeout) and its
handling of OPEN/CLOSE follow libmbim's src/libmbim-glib/mbim-proxy.c.

Own framing, not PyGObject with gir1.2-mbim-1.0: libmbim 1.28 does have these messages in
introspection, but using them means running GLib's main loop beside asyncio and depending on the
system-only python3-gi; the QMI transport speaks its framing itself anyway (libqmi 1.32 lacks
the UIM messages), and MBIM framing is as small: a 12-byte header, a fragment header, a service
UUID and CID, and information buffers of 32-bit fields and (offset, length) pairs. The codec is
pure and shared with the device emulator (simspot.simulator.mbimdev).

The APDU status word travels in a 32-bit Status field, SW1 in its low byte and SW2 in the next
(as lpac's MBIM driver reads it); the response data comes without it and the transport appends
it, so ``transmit`` answers data + SW1 SW2 like every transport.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from simspot.esim.apdu import channel_of_cla
from simspot.esim.errors import CardTransportError, ChannelError, EsimValueError
from simspot.esim.proxylink import (
    ModemGone,
    ProxyLink,
    ProxyProtocolError,
    ProxyUnavailable,
    open_refused,
)
from simspot.esim.qmi import CONTROL_PORTS, ModemDevice, scan_control_ports
from simspot.esim.transport import Part, part

log = logging.getLogger(__name__)

__all__ = ["MbimError", "MbimTransport", "ModemGone", "list_devices"]

OPEN = 0x00000001
CLOSE = 0x00000002
COMMAND = 0x00000003
HOST_ERROR = 0x00000004
OPEN_DONE = 0x80000001
CLOSE_DONE = 0x80000002
COMMAND_DONE = 0x80000003
FUNCTION_ERROR = 0x80000004
INDICATE_STATUS = 0x80000007
DONE_TYPES = (OPEN_DONE, CLOSE_DONE, COMMAND_DONE, FUNCTION_ERROR)

QUERY = 0
SET = 1

UICC_LOW_LEVEL_ACCESS = uuid.UUID("c2f6588e-f037-4bc9-8665-f4d44bd09367").bytes
PROXY_CONTROL = uuid.UUID("838cf7fb-8d0d-4d7f-871e-d71dbefbb39b").bytes
BASIC_CONNECT = uuid.UUID("a289cc33-bcbb-8b4f-b6b0-133ec2aae6df").bytes
BASIC_CONNECT_EXTENSIONS = uuid.UUID("3d01dcc5-fef5-4d05-0d3a-bef7058e9aaf").bytes

CID_UICC_ATR = 1
CID_UICC_OPEN_CHANNEL = 2  # set: AppId (ref), SelectP2Arg, ChannelGroup
CID_UICC_CLOSE_CHANNEL = 3  # set: Channel, ChannelGroup
CID_UICC_APDU = 4  # set: Channel, SecureMessaging, ClassByteType, Command (ref)
CID_PROXY_CONFIGURATION = 1  # set: DevicePath (UTF-16 string ref), Timeout (s)
CID_BASIC_DEVICE_CAPS = 1
# MS Basic Connect Extensions DEVICE_SLOT_MAPPINGS: MapCount, then MapCount (offset, length)
# pairs each pointing at a u32 slot index (0-based); executor 0's slot is the first.
CID_DEVICE_SLOT_MAPPINGS = 7

CHANNEL_GROUP = 1  # as lpac and Windows use it: the group every channel we open belongs to
MAX_CONTROL_TRANSFER = 4096
# The longest message taken from the proxy: fragments are at most MAX_CONTROL_TRANSFER; a proxy
# that reassembles them still stays far below this (an APDU answer is at most 64 KiB).
MAX_MESSAGE = 1 << 20

STATUS_TEXT = {
    0: "success",
    1: "busy",
    2: "failure",
    3: "SIM not inserted",
    4: "bad SIM",
    9: "no device support",
    14: "not initialized",
    21: "invalid parameters",
    0x87430001: "no free logical channel",
    0x87430002: "SELECT failed",
    0x87430003: "invalid logical channel",
}
STATUS_BUSY = 1
STATUS_SIM_NOT_INSERTED = 3
STATUS_NO_DEVICE_SUPPORT = 9
STATUS_NOT_INITIALIZED = 14
STATUS_INVALID_PARAMETERS = 21
STATUS_NO_LOGICAL_CHANNELS = 0x87430001
STATUS_SELECT_FAILED = 0x87430002
STATUS_INVALID_LOGICAL_CHANNEL = 0x87430003

PROTOCOL_ERROR_TEXT = {
    1: "fragment timeout",
    2: "fragment out of sequence",
    3: "length mismatch",
    4: "duplicated transaction id",
    5: "not opened",
    6: "unknown",
    7: "cancel",
    8: "maximum transfer exceeded",
}
PROTOCOL_ERROR_NOT_OPENED = 5


class MbimError(CardTransportError):
    """The modem answered an MBIM command with an error status."""

    def __init__(
        self,
        message: str | None = None,
        status: int | None = None,
        *,
        msg_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(*(() if message is None else (message,)), msg_id=msg_id, params=params)
        self.status = status


def status_text(status: int) -> str:
    """The MBIM status in English, for logs; errors name it with :func:`status_part`."""
    name = STATUS_TEXT.get(status)
    return f"MBIM status 0x{status:08X}" + (f" ({name})" if name else "")


def status_part(status: int) -> Part:
    """The MBIM status as a message: its meaning where STATUS_TEXT knows one."""
    if status in STATUS_TEXT:
        return part(f"esim.mbim.status.{status:08x}")
    return part("esim.mbim.status", status=f"{status:08X}")


def error_part(code: int) -> Part:
    """An MBIM protocol error (FUNCTION_ERROR) as a message."""
    if code in PROTOCOL_ERROR_TEXT:
        return part(f"esim.mbim.error.{code}")
    return part("esim.mbim.error", code=code)


def _doing(name: str) -> Part:
    """A command named in an error sentence (``refused {doing}``): OPEN, APDU, Open Channel."""
    return part("esim.mbim.doing.command", name=name)


# -- pure codec -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MbimMessage:
    type: int
    txn: int
    body: bytes = b""  # everything after the 12-byte header

    def encode(self) -> bytes:
        return struct.pack("<III", self.type, 12 + len(self.body), self.txn) + self.body


@dataclass(frozen=True)
class Command:
    """A COMMAND (host -> modem) or COMMAND_DONE (modem -> host); ``code`` is the command type
    (query/set) of a COMMAND and the status of a COMMAND_DONE."""

    service: bytes
    cid: int
    code: int
    info: bytes = b""
    fragments: tuple[int, int] = (1, 0)  # (total, current)

    def message(self, kind: int, txn: int) -> MbimMessage:
        body = struct.pack("<II", *self.fragments) + self.service
        body += struct.pack("<III", self.cid, self.code, len(self.info)) + self.info
        return MbimMessage(kind, txn, body)

    @classmethod
    def parse(cls, msg: MbimMessage) -> Command:
        if len(msg.body) < 36:
            raise ValueError("MBIM command shorter than its header")
        total, current = struct.unpack_from("<II", msg.body, 0)
        service = msg.body[8:24]
        cid, code, length = struct.unpack_from("<III", msg.body, 24)
        info = msg.body[36:]
        if length != len(info):
            raise ValueError(f"information buffer announces {length} bytes, has {len(info)}")
        return cls(service, cid, code, info, (total, current))


def frame_length(buf: bytes) -> int | None:
    """Total length of the MBIM message at the start of ``buf`` (None: need more bytes)."""
    if len(buf) < 12:
        return None
    length = int.from_bytes(buf[4:8], "little")
    if length < 12:
        raise ValueError(f"MBIM message length {length} is shorter than its header")
    if length > MAX_MESSAGE:  # else the link would buffer up to 4 GiB waiting for the rest
        raise ValueError(f"MBIM message length {length} is larger than {MAX_MESSAGE}")
    return length


def decode(frame: bytes) -> MbimMessage:
    if frame_length(frame) != len(frame):
        raise ValueError("MBIM length does not match the message")
    kind, _, txn = struct.unpack_from("<III", frame, 0)
    return MbimMessage(kind, txn, frame[12:])


def frame_key(frame: bytes) -> int | None:
    """The transaction a *_DONE / FUNCTION_ERROR message answers; None for indications."""
    kind, _, txn = struct.unpack_from("<III", frame, 0)
    return txn if kind in DONE_TYPES else None


def build_info(*fields: int | bytes) -> bytes:
    """An information buffer: ints are u32 fields, bytes become an (offset, length) pair in the
    fixed part pointing into the variable part (offsets from the buffer start, 4-byte aligned)."""
    fixed_len = sum(4 if isinstance(f, int) else 8 for f in fields)
    fixed, data = b"", b""
    for f in fields:
        if isinstance(f, int):
            fixed += struct.pack("<I", f)
        else:
            offset = fixed_len + len(data) if f else 0
            fixed += struct.pack("<II", offset, len(f))
            data += f + b"\x00" * (-len(f) % 4)
    return fixed + data


def read_u32(info: bytes, at: int) -> int:
    if at + 4 > len(info):
        raise ValueError(f"information buffer too short for a field at {at}")
    return int(struct.unpack_from("<I", info, at)[0])


def read_ref(info: bytes, at: int) -> bytes:
    offset, length = read_u32(info, at), read_u32(info, at + 4)
    if length and (offset + length > len(info) or offset < at + 8):
        raise ValueError(f"(offset {offset}, length {length}) points outside the buffer")
    return info[offset : offset + length] if length else b""


# -- devices ----------------------------------------------------------------------------------


def list_devices(patterns: Iterable[str] = CONTROL_PORTS) -> list[ModemDevice]:
    """Control ports the MBIM transport can reach: ``/dev/cdc-wdm*`` bound to cdc_mbim, and
    PCIe modems' ``/dev/wwanNmbimN``."""
    return [d for d in scan_control_ports(patterns) if d.protocol == "mbim"]


# -- the transport ----------------------------------------------------------------------------


class MbimTransport:
    """An eUICC behind an MBIM modem, reached through ``mbim-proxy`` (beside ModemManager).

    MBIM has no per-request slot: the card is the one the modem maps to its executor. With
    ``slot`` (1-based, like QMI's) the transport maps that slot first (MS Basic Connect
    Extensions DEVICE_SLOT_MAPPINGS, as lpac does) when another one is mapped; the mapping is
    left as it is afterwards (the modem then runs on that SIM). The proxy is started if none runs (``spawn_proxy``). Every request has ``timeout_s`` to be
    answered. Open channels are closed on ``disconnect`` whatever happened before; if the modem
    went away, they went with it.
    """

    def __init__(
        self,
        device: str = "/dev/cdc-wdm0",
        *,
        slot: int | None = None,
        proxy: str = "mbim-proxy",
        spawn_proxy: bool = True,
        timeout_s: float = 30.0,
    ) -> None:
        if not device or not device.startswith("/"):
            raise EsimValueError(
                msg_id="esim.transport.device-path",
                params={"protocol": "MBIM", "value": repr(device)},
            )
        if slot is not None and (isinstance(slot, bool) or not isinstance(slot, int)
                                 or not 1 <= slot <= 8):  # fmt: skip
            raise EsimValueError(
                msg_id="esim.transport.slot-range",
                params={"protocol": "MBIM", "last": 8, "value": repr(slot)},
            )
        if not timeout_s > 0:
            raise EsimValueError(
                msg_id="esim.transport.timeout",
                params={"protocol": "MBIM", "value": repr(timeout_s)},
            )
        self.device = device
        self.slot = slot
        self.proxy = proxy
        self.spawn_proxy = spawn_proxy
        self.timeout_s = timeout_s
        self._link: ProxyLink | None = None
        self._channels: set[int] = set()
        self._txn = 0
        self._settling_until = 0.0  # after a slot switch the new card takes a while

    @property
    def what(self) -> str:
        return f"the MBIM modem {self.device}"

    async def _exchange(self, msg: MbimMessage, doing: Part) -> MbimMessage:
        link = self._link
        if link is None:
            raise CardTransportError(
                msg_id="esim.mbim.not-connected", params={"device": self.device}
            )
        frame = await link.request(msg.txn, msg.encode(), self.timeout_s, doing)
        try:
            answer = decode(frame)
        except ValueError as exc:
            raise ProxyProtocolError(
                msg_id="esim.mbim.malformed", params={"device": self.device, "error": str(exc)}
            ) from exc
        if answer.type == FUNCTION_ERROR:
            code = read_u32(answer.body, 0) if len(answer.body) >= 4 else 0
            raise MbimError(
                msg_id="esim.mbim.refused",
                params={"device": self.device, "doing": [doing], "status": [error_part(code)]},
            )
        return answer

    def _next_txn(self) -> int:
        self._txn = self._txn % 0xFFFFFFFF + 1
        return self._txn

    async def _command(
        self, service: bytes, cid: int, kind: int, info: bytes, doing: Part
    ) -> Command:
        txn = self._next_txn()
        answer = await self._exchange(
            Command(service, cid, kind, info).message(COMMAND, txn), doing
        )
        if answer.type != COMMAND_DONE:
            raise ProxyProtocolError(
                msg_id="esim.mbim.unexpected-type",
                params={"device": self.device, "doing": [doing], "type": f"{answer.type:X}"},
            )
        try:
            done = Command.parse(answer)
        except ValueError as exc:
            raise ProxyProtocolError(
                msg_id="esim.mbim.malformed-answer",
                params={"device": self.device, "doing": [doing], "error": str(exc)},
            ) from exc
        if done.service != service or done.cid != cid:
            raise ProxyProtocolError(
                msg_id="esim.mbim.other-command", params={"device": self.device, "doing": [doing]}
            )
        return done

    # -- the five calls -----------------------------------------------------------------------
    async def connect(self) -> None:
        if self._link is not None:
            return
        link = ProxyLink(self.proxy, "MBIM", self.device, frame_length, frame_key)
        await link.open(self.proxy if self.spawn_proxy else None)
        self._link = link
        try:
            await self._configure_proxy()
            txn = self._next_txn()
            done = await self._exchange(
                MbimMessage(OPEN, txn, struct.pack("<I", MAX_CONTROL_TRANSFER)), _doing("OPEN")
            )
            try:
                status = read_u32(done.body, 0) if done.type == OPEN_DONE else None
            except ValueError as exc:
                raise ProxyProtocolError(
                    msg_id="esim.mbim.malformed", params={"device": self.device, "error": str(exc)}
                ) from exc
            if status != 0:
                said = (
                    status_part(status)
                    if status is not None
                    else part("esim.mbim.message-type", type=f"{done.type:X}")
                )
                raise ProxyUnavailable(
                    msg_id="esim.mbim.open-refused",
                    params={"device": self.device, "status": [said]},
                )
            if self.slot is not None:
                await self._map_slot(self.slot - 1)
            log.info("MBIM transport on %s: open", self.device)
        except BaseException:
            await self._drop()
            raise

    async def _configure_proxy(self) -> None:
        path = self.device.encode("utf-16-le")
        try:
            done = await self._command(
                PROXY_CONTROL,
                CID_PROXY_CONFIGURATION,
                SET,
                build_info(path, int(min(self.timeout_s, 300))),
                part("esim.mbim.doing.proxy-open"),
            )
        except ModemGone as exc:
            raise await open_refused(self.proxy, self.device, "MBIM") from exc
        if done.code != 0:
            raise ProxyUnavailable(
                msg_id="esim.proxy.refused-device",
                params={
                    "proxy": self.proxy,
                    "device": self.device,
                    "status": [status_part(done.code)],
                },
            )

    async def _slot_mapping(self, info: bytes, doing: Part) -> Command:
        done = await self._command(BASIC_CONNECT_EXTENSIONS, CID_DEVICE_SLOT_MAPPINGS,
                                   SET if info else QUERY, info, doing)  # fmt: skip
        if done.code != 0:
            raise MbimError(
                status=done.code,
                msg_id="esim.mbim.refused",
                params={
                    "device": self.device,
                    "doing": [doing],
                    "status": [status_part(done.code)],
                },
            )
        return done

    async def _map_slot(self, index: int) -> None:
        """Map slot ``index`` (0-based) to executor 0 unless it already is."""
        done = await self._slot_mapping(b"", part("esim.mbim.doing.slot-query"))
        try:
            count = read_u32(done.info, 0)
            current = read_u32(read_ref(done.info, 4), 0) if count else None
        except ValueError as exc:
            raise ProxyProtocolError(
                msg_id="esim.mbim.malformed-slots",
                params={"device": self.device, "error": str(exc)},
            ) from exc
        if current == index:
            return
        log.info("MBIM transport on %s: mapping slot %d (was %s)", self.device, index + 1,
                 "none" if current is None else current + 1)  # fmt: skip
        doing = part("esim.mbim.doing.map-slot", slot=index + 1)
        done = await self._slot_mapping(build_info(1, struct.pack("<I", index)), doing)
        try:
            mapped = read_u32(read_ref(done.info, 4), 0) if read_u32(done.info, 0) else None
        except ValueError as exc:
            raise ProxyProtocolError(
                msg_id="esim.mbim.malformed-slots",
                params={"device": self.device, "error": str(exc)},
            ) from exc
        if mapped is None:
            raise MbimError(
                msg_id="esim.mbim.slot-unmapped", params={"device": self.device, "slot": index + 1}
            )
        if mapped != index:
            raise MbimError(
                msg_id="esim.mbim.slot-kept",
                params={"device": self.device, "kept": mapped + 1, "slot": index + 1},
            )
        self._settling_until = time.monotonic() + min(self.timeout_s, 20.0)

    async def disconnect(self) -> None:
        link = self._link
        if link is None:
            return
        try:
            for channel in sorted(self._channels):
                try:
                    await self.close_channel(channel)
                except CardTransportError as exc:
                    log.warning("could not close logical channel %d: %s", channel, exc)
                    break
            if link.connected:
                try:
                    await self._exchange(MbimMessage(CLOSE, self._next_txn()), _doing("CLOSE"))
                except CardTransportError as exc:
                    log.info("MBIM CLOSE: %s", exc)
        finally:
            await self._drop()

    async def _drop(self) -> None:
        link, self._link = self._link, None
        self._channels.clear()
        if link is not None:
            await link.close()

    async def open_channel(self, aid: bytes) -> int:
        if not 5 <= len(aid) <= 16:
            raise EsimValueError(msg_id="esim.transport.aid-length", params={"count": len(aid)})
        while True:
            done = await self._command(
                UICC_LOW_LEVEL_ACCESS,
                CID_UICC_OPEN_CHANNEL,
                SET,
                build_info(aid, 0x00, CHANNEL_GROUP),  # P2 00: return the FCI, as SELECT by AID
                _doing("Open Channel"),
            )
            settling = time.monotonic() < self._settling_until
            if done.code not in (STATUS_BUSY, STATUS_NOT_INITIALIZED) or not settling:
                break
            await asyncio.sleep(0.25)  # the card of a freshly mapped slot is starting up
        sw = _sw(done.info) if len(done.info) >= 4 else None
        if done.code != 0:
            raise ChannelError(
                msg_id="esim.mbim.channel-refused",
                params={
                    "device": self.device,
                    "aid": aid.hex().upper(),
                    "status": [status_part(done.code)],
                    "card": f" (card answered SW {sw:04X})" if sw else "",
                    "card_said": part("esim.transport.card-sw", sw=f"{sw:04X}") if sw else None,
                },
            )
        try:
            channel = read_u32(done.info, 4)
        except ValueError as exc:
            raise ProxyProtocolError(
                msg_id="esim.mbim.malformed-open", params={"device": self.device, "error": str(exc)}
            ) from exc
        if not 1 <= channel <= 19:
            raise ProxyProtocolError(
                msg_id="esim.mbim.channel-range",
                params={"device": self.device, "channel": channel},
            )
        self._channels.add(channel)
        return channel

    async def close_channel(self, channel: int) -> None:
        if self._link is None or channel not in self._channels:
            return
        self._channels.discard(channel)
        done = await self._command(
            UICC_LOW_LEVEL_ACCESS,
            CID_UICC_CLOSE_CHANNEL,
            SET,
            build_info(channel, CHANNEL_GROUP),
            _doing("Close Channel"),
        )
        if done.code != 0:
            log.info("closing logical channel %d: %s", channel, status_text(done.code))

    async def transmit(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            raise CardTransportError(
                msg_id="esim.transport.apdu-short", params={"count": len(apdu)}
            )
        channel = channel_of_cla(apdu[0])
        if channel and channel not in self._channels:
            raise ChannelError(
                msg_id="esim.mbim.no-channel", params={"channel": channel, "device": self.device}
            )
        # SecureMessaging 0 (none), ClassByteType 0 (inter-industry): the modem sets the
        # channel bits of CLA from Channel.
        done = await self._command(
            UICC_LOW_LEVEL_ACCESS,
            CID_UICC_APDU,
            SET,
            build_info(channel, 0, 0, apdu),
            _doing("APDU"),
        )
        if done.code != 0:
            raise MbimError(
                status=done.code,
                msg_id="esim.mbim.apdu-failed",
                params={"device": self.device, "status": [status_part(done.code)]},
            )
        try:
            data = read_ref(done.info, 4)
        except ValueError as exc:
            raise ProxyProtocolError(
                msg_id="esim.mbim.malformed-apdu", params={"device": self.device, "error": str(exc)}
            ) from exc
        return data + _sw(done.info).to_bytes(2, "big")


def _sw(info: bytes) -> int:
    """SW1 SW2 from a Status field: SW1 is its low byte, SW2 the next."""
    status = read_u32(info, 0)
    return ((status & 0xFF) << 8) | ((status >> 8) & 0xFF)


def status_field(sw: int) -> int:
    """The Status field for SW1 SW2 (inverse of :func:`_sw`)."""
    return ((sw >> 8) & 0xFF) | ((sw & 0xFF) << 8)
