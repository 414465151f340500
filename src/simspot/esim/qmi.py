"""QMI card transport: the eUICC of a Qualcomm-style modem, through libqmi's ``qmi-proxy``.

The proxy lets simspot share the modem's control port (``/dev/cdc-wdm0``) with a running
ModemManager. The UIM service (0x0B) does the card work: Open Logical Channel (0x0042) opens a
channel with the AID selected, Send APDU (0x003B) carries APDUs on it, Logical Channel (0x003F)
closes it. Message ids and TLVs follow libqmi's data/qmi-service-uim.json (libqmi 1.36), the CTL
messages data/qmi-service-ctl.json, the proxy's own "Internal Proxy Open" (CTL 0xFF00, TLV 0x01 =
device path) libqmi's src/libqmi-glib/qmi-proxy.c.

Own framing, not PyGObject: libqmi 1.32 (Debian 12) has none of the three UIM messages, neither
in C nor in GObject introspection, so the UIM messages must be built by hand anyway; what is
left (QMUX header, TLVs, CID allocation, the proxy open request) is a few dozen lines. Own
framing also keeps GLib's main loop and the system-only python3-gi out of the asyncio daemon and
the venv. The codec below is pure and shared with the device emulator (simspot.simulator.qmidev).

QMUX frame (all little-endian): ``01``, length (u16, the frame minus this byte), control flags
(``00`` host, ``80`` modem), service, client id, then the QMI header (flags, transaction id: u8
for CTL, u16 for other services; message id u16; TLV length u16) and the TLVs (type u8, length
u16, value). Every response carries the Result TLV 0x02 (status u16, QMI error u16).
"""

from __future__ import annotations

import glob
import logging
import os
import struct
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
from simspot.esim.transport import Part, part

log = logging.getLogger(__name__)

__all__ = [
    "ModemGone",
    "QmiError",
    "QmiMessage",
    "QmiTransport",
    "decode",
    "encode",
    "frame_length",
    "list_devices",
]

SERVICE_CTL = 0x00
SERVICE_UIM = 0x0B

CTL_GET_VERSION_INFO = 0x0021
CTL_ALLOCATE_CID = 0x0022  # in: 0x01 service; out: 0x01 (service, cid)
CTL_RELEASE_CID = 0x0023  # in/out: 0x01 (service, cid)
CTL_SYNC = 0x0027
CTL_INTERNAL_PROXY_OPEN = 0xFF00  # qmi-proxy only; in: 0x01 device path (no length prefix)

UIM_SEND_APDU = 0x003B  # in: 0x01 slot, 0x02 APDU (u16 len), 0x10 channel; out: 0x10 (u16 len)
UIM_LOGICAL_CHANNEL = 0x003F  # close: 0x01 slot, 0x11 channel (0x13 terminate app: unused)
UIM_OPEN_LOGICAL_CHANNEL = 0x0042  # in: 0x01 slot, 0x10 AID (u8 len); out: 0x10 channel,
# 0x11 card result (SW1 SW2), 0x12 select response (u8 len)

TLV_RESULT = 0x02

CTL_FLAG_RESPONSE = 0x01
CTL_FLAG_INDICATION = 0x02
SERVICE_FLAG_RESPONSE = 0x02
SERVICE_FLAG_INDICATION = 0x04
QMUX_FROM_MODEM = 0x80

# QMI protocol errors (libqmi's QmiProtocolError), the ones a card transport meets.
QMI_ERRORS = {
    0x0001: "malformed message",
    0x0003: "internal error",
    0x0005: "client ids exhausted",
    0x0007: "invalid client id",
    0x0011: "missing argument",
    0x0025: "UIM not initialized",
    0x0030: "invalid argument",
    0x0034: "device not ready",
    0x0044: "insufficient resources",
    0x0047: "invalid QMI command",
    0x005E: "not supported",
}


class QmiError(CardTransportError):
    """The modem answered a QMI request with an error."""

    def __init__(
        self,
        message: str | None = None,
        code: int | None = None,
        sw: int | None = None,
        *,
        msg_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(*(() if message is None else (message,)), msg_id=msg_id, params=params)
        self.code = code
        self.sw = sw


def error_text(code: int) -> str:
    """The QMI error in English, for logs; errors name it with :func:`error_part`."""
    name = QMI_ERRORS.get(code)
    return f"QMI error 0x{code:04X}" + (f" ({name})" if name else "")


def error_part(code: int) -> Part:
    """The QMI error as a message: its meaning where QMI_ERRORS knows one (esim/messages.py)."""
    if code in QMI_ERRORS:
        return part(f"esim.qmi.error.{code:04x}")
    return part("esim.qmi.error", code=f"{code:04X}")


# -- pure codec -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QmiMessage:
    service: int
    client_id: int
    msg_id: int
    txn: int
    flags: int = 0  # QMI header flags: 0 request; response/indication bits differ for CTL
    tlvs: tuple[tuple[int, bytes], ...] = ()

    def tlv(self, tlv_type: int) -> bytes | None:
        for t, value in self.tlvs:
            if t == tlv_type:
                return value
        return None

    @property
    def is_response(self) -> bool:
        bit = CTL_FLAG_RESPONSE if self.service == SERVICE_CTL else SERVICE_FLAG_RESPONSE
        return bool(self.flags & bit)

    @property
    def is_indication(self) -> bool:
        bit = CTL_FLAG_INDICATION if self.service == SERVICE_CTL else SERVICE_FLAG_INDICATION
        return bool(self.flags & bit)

    def result(self) -> tuple[int, int]:
        """(status, QMI error) of the Result TLV; status 0 is success."""
        value = self.tlv(TLV_RESULT)
        if value is None or len(value) != 4:
            raise ProxyProtocolError(
                msg_id="esim.qmi.no-result", params={"message": f"{self.msg_id:04X}"}
            )
        status, code = struct.unpack("<HH", value)
        return status, code

    def response(self, *tlvs: tuple[int, bytes], error: int = 0) -> QmiMessage:
        """The response to this request: Result TLV first, then ``tlvs``."""
        result = struct.pack("<HH", 1 if error else 0, error)
        flags = CTL_FLAG_RESPONSE if self.service == SERVICE_CTL else SERVICE_FLAG_RESPONSE
        return QmiMessage(
            self.service,
            self.client_id,
            self.msg_id,
            self.txn,
            flags,
            ((TLV_RESULT, result), *tlvs),
        )


def encode(msg: QmiMessage, *, from_modem: bool = False) -> bytes:
    body = b"".join(struct.pack("<BH", t, len(v)) + v for t, v in msg.tlvs)
    if msg.service == SERVICE_CTL:
        header = struct.pack("<BBHH", msg.flags, msg.txn, msg.msg_id, len(body))
    else:
        header = struct.pack("<BHHH", msg.flags, msg.txn, msg.msg_id, len(body))
    qmux = struct.pack("<BBB", QMUX_FROM_MODEM if from_modem else 0, msg.service, msg.client_id)
    payload = qmux + header + body
    if len(payload) + 2 > 0xFFFF:
        raise EsimValueError(msg_id="esim.qmi.too-long", params={"count": len(payload) + 2})
    return b"\x01" + struct.pack("<H", len(payload) + 2) + payload


def frame_length(buf: bytes) -> int | None:
    """Total length of the QMUX frame at the start of ``buf`` (None: need more bytes)."""
    if not buf:
        return None
    if buf[0] != 0x01:
        raise ValueError(f"a QMUX frame starts with 01, not {buf[0]:02X}")
    if len(buf) < 3:
        return None
    length = int.from_bytes(buf[1:3], "little")
    if length < 11:
        raise ValueError(f"QMUX length {length} is shorter than the headers")
    return 1 + length


def decode(frame: bytes) -> QmiMessage:
    """One whole QMUX frame -> :class:`QmiMessage`; ValueError on any inconsistency."""
    if frame_length(frame) != len(frame):
        raise ValueError("QMUX length does not match the frame")
    _, service, client_id = struct.unpack_from("<BBB", frame, 3)
    if service == SERVICE_CTL:
        flags, txn, msg_id, tlv_len = struct.unpack_from("<BBHH", frame, 6)
        offset = 12
    else:
        if len(frame) < 13:
            raise ValueError("QMI service header truncated")
        flags, txn, msg_id, tlv_len = struct.unpack_from("<BHHH", frame, 6)
        offset = 13
    if offset + tlv_len != len(frame):
        raise ValueError(f"QMI TLV length {tlv_len} does not match the frame")
    tlvs: list[tuple[int, bytes]] = []
    while offset < len(frame):
        if offset + 3 > len(frame):
            raise ValueError("truncated TLV header")
        t, n = struct.unpack_from("<BH", frame, offset)
        value = frame[offset + 3 : offset + 3 + n]
        if len(value) != n:
            raise ValueError(f"TLV 0x{t:02X} announces {n} bytes, has {len(value)}")
        tlvs.append((t, value))
        offset += 3 + n
    return QmiMessage(service, client_id, msg_id, txn, flags, tuple(tlvs))


def frame_key(frame: bytes) -> tuple[int, int, int] | None:
    """(service, client id, transaction) of a response; None for requests and indications."""
    msg = decode(frame)
    if not msg.is_response:
        return None
    return (msg.service, msg.client_id, msg.txn)


def u8_prefixed(data: bytes) -> bytes:
    if len(data) > 0xFF:
        raise EsimValueError(msg_id="esim.qmi.field-too-long", params={"count": len(data)})
    return bytes([len(data)]) + data


def u16_prefixed(data: bytes) -> bytes:
    return struct.pack("<H", len(data)) + data


def take_u8_prefixed(value: bytes, what: str) -> bytes:
    if not value or value[0] != len(value) - 1:
        raise ProxyProtocolError(msg_id="esim.qmi.malformed-tlv", params={"what": what})
    return value[1:]


def take_u16_prefixed(value: bytes, what: str) -> bytes:
    if len(value) < 2 or int.from_bytes(value[:2], "little") != len(value) - 2:
        raise ProxyProtocolError(msg_id="esim.qmi.malformed-tlv", params={"what": what})
    return value[2:]


# -- devices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModemDevice:
    path: str
    driver: str | None  # "qmi_wwan", "cdc_mbim", ... (from sysfs), None when unknown
    protocol: str  # "qmi" or "mbim": what the control port speaks


CONTROL_PORTS = ("/dev/cdc-wdm*", "/dev/wwan*qmi*", "/dev/wwan*mbim*")  # USB; PCIe (wwan class)


def list_devices(patterns: Iterable[str] = CONTROL_PORTS) -> list[ModemDevice]:
    """Control ports the QMI transport can reach: ``/dev/cdc-wdm*`` bound to a QMI driver
    (qmi_wwan) or whose driver is unknown, and PCIe modems' ``/dev/wwanNqmiN``. MBIM ports
    are listed by simspot.esim.mbim."""
    return [d for d in scan_control_ports(patterns) if d.protocol == "qmi"]


def scan_control_ports(patterns: Iterable[str]) -> list[ModemDevice]:
    found: list[ModemDevice] = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            driver = _driver(path)
            name = os.path.basename(path)
            mbim = driver == "cdc_mbim" or (name.startswith("wwan") and "mbim" in name)
            protocol = "mbim" if mbim else "qmi"
            found.append(ModemDevice(path, driver, protocol))
    return found


def _driver(path: str) -> str | None:
    """The kernel driver behind a control port (sysfs), or None."""
    name = os.path.basename(os.path.realpath(path))
    for cls in ("usbmisc", "usb", "wwan"):
        try:
            return os.path.basename(os.readlink(f"/sys/class/{cls}/{name}/device/driver"))
        except OSError:
            continue
    return None


# -- the transport ----------------------------------------------------------------------------


class QmiTransport:
    """An eUICC behind a QMI modem, reached through ``qmi-proxy`` (beside ModemManager).

    ``slot`` is the UIM slot (1-based, as qmicli's ``--uim-slot``) holding the eUICC. The proxy
    is started if none runs (``spawn_proxy``), as libqmi's own clients do. Every request has
    ``timeout_s`` to be answered. Open channels are closed and the UIM client id released on
    ``disconnect`` whatever happened before; if the modem went away, they went with it.
    """

    def __init__(
        self,
        device: str = "/dev/cdc-wdm0",
        *,
        slot: int = 1,
        proxy: str = "qmi-proxy",
        spawn_proxy: bool = True,
        timeout_s: float = 30.0,
    ) -> None:
        if not device or not device.startswith("/"):
            raise EsimValueError(
                msg_id="esim.transport.device-path",
                params={"protocol": "QMI", "value": repr(device)},
            )
        if isinstance(slot, bool) or not isinstance(slot, int) or not 1 <= slot <= 5:
            raise EsimValueError(
                msg_id="esim.transport.slot-range",
                params={"protocol": "QMI", "last": 5, "value": repr(slot)},
            )
        if not timeout_s > 0:
            raise EsimValueError(
                msg_id="esim.transport.timeout",
                params={"protocol": "QMI", "value": repr(timeout_s)},
            )
        self.device = device
        self.slot = slot
        self.proxy = proxy
        self.spawn_proxy = spawn_proxy
        self.timeout_s = timeout_s
        self._link: ProxyLink | None = None
        self._cid: int | None = None
        self._channels: set[int] = set()
        self._ctl_txn = 0
        self._uim_txn = 0

    @property
    def what(self) -> str:
        return f"the QMI modem {self.device}"

    # -- requests -----------------------------------------------------------------------------
    async def _request(self, service: int, msg_id: int, *tlvs: tuple[int, bytes]) -> QmiMessage:
        link = self._link
        if link is None:
            raise CardTransportError(
                msg_id="esim.qmi.not-connected", params={"device": self.device}
            )
        if service == SERVICE_CTL:
            self._ctl_txn = self._ctl_txn % 0xFF + 1
            txn, cid = self._ctl_txn, 0
        else:
            if self._cid is None:
                raise CardTransportError(msg_id="esim.qmi.no-cid", params={"device": self.device})
            self._uim_txn = self._uim_txn % 0xFFFF + 1
            txn, cid = self._uim_txn, self._cid
        request = QmiMessage(service, cid, msg_id, txn, 0, tlvs)
        frame = await link.request(
            (service, cid, txn),
            encode(request),
            self.timeout_s,
            part("esim.qmi.doing.request", message=f"{msg_id:04X}"),
        )
        try:
            return decode(frame)
        except ValueError as exc:
            raise ProxyProtocolError(
                msg_id="esim.qmi.malformed", params={"device": self.device, "error": str(exc)}
            ) from exc

    # -- the five calls -----------------------------------------------------------------------
    async def connect(self) -> None:
        if self._link is not None:
            return
        link = ProxyLink(self.proxy, "QMI", self.device, frame_length, frame_key)
        await link.open(self.proxy if self.spawn_proxy else None)
        self._link = link
        try:
            await self._proxy_open()
            answer = await self._request(
                SERVICE_CTL, CTL_ALLOCATE_CID, (0x01, bytes([SERVICE_UIM]))
            )
            status, code = answer.result()
            if status:
                raise QmiError(
                    code=code,
                    msg_id="esim.qmi.cid-refused",
                    params={"device": self.device, "error": [error_part(code)]},
                )
            info = answer.tlv(0x01)
            if info is None or len(info) != 2 or info[0] != SERVICE_UIM:
                raise ProxyProtocolError(
                    msg_id="esim.qmi.malformed-cid", params={"device": self.device}
                )
            self._cid = info[1]
            log.info(
                "QMI transport on %s: UIM client id %d, slot %d", self.device, self._cid, self.slot
            )
        except BaseException:
            await self._drop()
            raise

    async def _proxy_open(self) -> None:
        try:
            answer = await self._request(
                SERVICE_CTL, CTL_INTERNAL_PROXY_OPEN, (0x01, self.device.encode())
            )
        except ModemGone as exc:
            raise await open_refused(self.proxy, self.device, "QMI") from exc
        status, code = answer.result()
        if status:
            raise ProxyUnavailable(
                msg_id="esim.proxy.refused-device",
                params={"proxy": self.proxy, "device": self.device, "status": [error_part(code)]},
            )

    async def disconnect(self) -> None:
        if self._link is None:
            return
        try:
            for channel in sorted(self._channels):
                try:
                    await self.close_channel(channel)
                except CardTransportError as exc:
                    log.warning("could not close logical channel %d: %s", channel, exc)
                    break
            if self._cid is not None and self._link.connected:
                try:
                    await self._request(
                        SERVICE_CTL, CTL_RELEASE_CID, (0x01, bytes([SERVICE_UIM, self._cid]))
                    )
                except CardTransportError as exc:
                    log.warning("could not release UIM client id %d: %s", self._cid, exc)
        finally:
            await self._drop()

    async def _drop(self) -> None:
        link, self._link = self._link, None
        self._cid = None
        self._channels.clear()
        if link is not None:
            await link.close()

    async def open_channel(self, aid: bytes) -> int:
        if not 5 <= len(aid) <= 16:
            raise EsimValueError(msg_id="esim.transport.aid-length", params={"count": len(aid)})
        answer = await self._request(
            SERVICE_UIM,
            UIM_OPEN_LOGICAL_CHANNEL,
            (0x01, bytes([self.slot])),
            (0x10, u8_prefixed(aid)),
        )
        status, code = answer.result()
        card = answer.tlv(0x11)
        sw = int.from_bytes(card, "big") if card is not None and len(card) == 2 else None
        if status:
            card_sw = None if sw is None else part("esim.transport.card-sw", sw=f"{sw:04X}")
            raise ChannelError(
                msg_id="esim.qmi.channel-refused",
                params={
                    "device": self.device,
                    "aid": aid.hex().upper(),
                    "slot": self.slot,
                    "error": [error_part(code)],
                    "card": "" if sw is None else f" (card answered SW {sw:04X})",
                    "card_said": card_sw,
                },
            )
        value = answer.tlv(0x10)
        if value is None or len(value) != 1 or not 1 <= value[0] <= 19:
            raise ProxyProtocolError(msg_id="esim.qmi.bad-channel", params={"device": self.device})
        self._channels.add(value[0])
        return value[0]

    async def close_channel(self, channel: int) -> None:
        if self._link is None or channel not in self._channels:
            return
        self._channels.discard(channel)
        answer = await self._request(
            SERVICE_UIM,
            UIM_LOGICAL_CHANNEL,
            (0x01, bytes([self.slot])),
            (0x11, bytes([channel])),  # slot and channel only, as lpac's QMI driver closes
        )
        status, code = answer.result()
        if status:
            log.info("closing logical channel %d: %s", channel, error_text(code))

    async def transmit(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            raise CardTransportError(
                msg_id="esim.transport.apdu-short", params={"count": len(apdu)}
            )
        channel = channel_of_cla(apdu[0])
        tlvs = [(0x01, bytes([self.slot])), (0x02, u16_prefixed(apdu))]
        if channel:
            if channel not in self._channels:
                raise ChannelError(
                    msg_id="esim.qmi.no-channel",
                    params={"channel": channel, "device": self.device},
                )
            tlvs.append((0x10, bytes([channel])))
        answer = await self._request(SERVICE_UIM, UIM_SEND_APDU, *tlvs)
        status, code = answer.result()
        if status:
            raise QmiError(
                code=code,
                msg_id="esim.qmi.apdu-failed",
                params={"device": self.device, "error": [error_part(code)]},
            )
        value = answer.tlv(0x10)
        if value is None:
            raise ProxyProtocolError(
                msg_id="esim.qmi.no-response-tlv", params={"device": self.device}
            )
        resp = take_u16_prefixed(value, "APDU response")
        if len(resp) < 2:
            raise ProxyProtocolError(msg_id="esim.qmi.no-sw", params={"device": self.device})
        return resp
