"""A QMI modem emulator: raw QMUX on a pseudo-terminal, its UIM service backed by a card (the
virtual eUICC).

libqmi opens the pty as it opens /dev/cdc-wdm0 (``qmicli -d <pty> --device-open-qmi``, or through
``qmi-proxy``), so simspot's QMI transport is tested through the real proxy. It answers CTL
(Get Version Info, Allocate / Release CID, Sync) and UIM Open Logical Channel, Send APDU and
Logical Channel (close), for the card in ``slot``; everything else gets "invalid QMI command".
Options: a per-message latency, and the modem going away (``unplug()``, or ``gone_after`` N
APDUs): the port closes and the card loses power, as when a USB modem resets.
"""

from __future__ import annotations

import logging
import struct

from simspot.esim.qmi import (
    CTL_ALLOCATE_CID,
    CTL_GET_VERSION_INFO,
    CTL_RELEASE_CID,
    CTL_SYNC,
    SERVICE_CTL,
    SERVICE_UIM,
    UIM_LOGICAL_CHANNEL,
    UIM_OPEN_LOGICAL_CHANNEL,
    UIM_SEND_APDU,
    QmiMessage,
    decode,
    encode,
    frame_length,
)
from simspot.simulator.ptydev import Card, CardFailure, PtyDevice

log = logging.getLogger(__name__)

CTL_SET_INSTANCE_ID = 0x0020

ERR_MALFORMED = 0x0001
ERR_CLIENT_IDS_EXHAUSTED = 0x0005
ERR_INVALID_CLIENT_ID = 0x0007
ERR_MISSING_ARGUMENT = 0x0011
ERR_INVALID_ARGUMENT = 0x0030
ERR_INSUFFICIENT_RESOURCES = 0x0044
ERR_INVALID_QMI_COMMAND = 0x0047

# Services and versions reported by Get Version Info (CTL 1.5 and UIM 1.50, as recent modems).
VERSIONS = ((SERVICE_CTL, 1, 5), (SERVICE_UIM, 1, 50))


class QmiModem(PtyDevice):
    """Answers QMUX on a pty; ``path`` is the port, ``start()`` serves it on a thread."""

    name = "qmi-modem"

    def __init__(
        self,
        card: Card,
        *,
        slot: int = 1,
        latency_s: float = 0.0,
        gone_after: int | None = None,
    ) -> None:
        super().__init__(card, latency_s=latency_s, gone_after=gone_after)
        self.slot = slot
        self.clients: dict[int, set[int]] = {}  # service -> allocated client ids
        self.requests: list[tuple[int, int]] = []  # (service, message id), in order

    def frame_length(self, buf: bytes) -> int | None:
        return frame_length(buf)

    def handle(self, frame: bytes) -> bytes | None:
        try:
            msg = decode(frame)
        except ValueError as exc:
            log.warning("qmi-modem: malformed QMUX frame dropped: %s", exc)
            return None
        if msg.is_response or msg.is_indication:
            return None
        self.requests.append((msg.service, msg.msg_id))
        if msg.service == SERVICE_CTL:
            answer = self._ctl(msg)
        elif msg.client_id not in self.clients.get(msg.service, set()):
            answer = msg.response(error=ERR_INVALID_CLIENT_ID)
        elif msg.service == SERVICE_UIM:
            answer = self._uim(msg)
        else:
            answer = msg.response(error=ERR_INVALID_QMI_COMMAND)
        return encode(answer, from_modem=True)

    # -- CTL ----------------------------------------------------------------------------------
    def _ctl(self, msg: QmiMessage) -> QmiMessage:
        if msg.msg_id == CTL_GET_VERSION_INFO:
            body = bytes([len(VERSIONS)]) + b"".join(
                struct.pack("<BHH", s, major, minor) for s, major, minor in VERSIONS
            )
            return msg.response((0x01, body))
        if msg.msg_id in (CTL_SYNC,):
            self.clients.clear()  # Sync releases every client id
            return msg.response()
        if msg.msg_id == CTL_SET_INSTANCE_ID:
            return msg.response((0x01, b"\x00\xff"))
        if msg.msg_id == CTL_ALLOCATE_CID:
            service = msg.tlv(0x01)
            if service is None or len(service) != 1:
                return msg.response(error=ERR_MISSING_ARGUMENT)
            if service[0] not in (SERVICE_UIM,):
                return msg.response(error=ERR_INVALID_ARGUMENT)
            used = self.clients.setdefault(service[0], set())
            free = [cid for cid in range(1, 255) if cid not in used]
            if not free:
                return msg.response(error=ERR_CLIENT_IDS_EXHAUSTED)
            used.add(free[0])
            return msg.response((0x01, bytes([service[0], free[0]])))
        if msg.msg_id == CTL_RELEASE_CID:
            info = msg.tlv(0x01)
            if info is None or len(info) != 2:
                return msg.response(error=ERR_MISSING_ARGUMENT)
            if info[1] not in self.clients.get(info[0], set()):
                return msg.response(error=ERR_INVALID_CLIENT_ID)
            self.clients[info[0]].discard(info[1])
            return msg.response((0x01, info))
        return msg.response(error=ERR_INVALID_QMI_COMMAND)

    # -- UIM ----------------------------------------------------------------------------------
    def _uim(self, msg: QmiMessage) -> QmiMessage:
        slot = msg.tlv(0x01)
        if msg.msg_id not in (UIM_OPEN_LOGICAL_CHANNEL, UIM_SEND_APDU, UIM_LOGICAL_CHANNEL):
            return msg.response(error=ERR_INVALID_QMI_COMMAND)
        if slot is None or len(slot) != 1:
            return msg.response(error=ERR_MISSING_ARGUMENT)
        if slot[0] != self.slot:
            return msg.response(error=ERR_INVALID_ARGUMENT)  # no card in that slot
        if msg.msg_id == UIM_OPEN_LOGICAL_CHANNEL:
            aid = msg.tlv(0x10)
            if aid is None or not aid or aid[0] != len(aid) - 1:
                return msg.response(error=ERR_MISSING_ARGUMENT)
            try:
                channel, data = self.open_channel(aid[1:])
            except CardFailure as exc:
                error = ERR_INSUFFICIENT_RESOURCES if exc.no_channel else ERR_INVALID_ARGUMENT
                return msg.response((0x11, exc.sw.to_bytes(2, "big")), error=error)
            return msg.response(
                (0x10, bytes([channel])), (0x11, b"\x90\x00"), (0x12, bytes([len(data)]) + data)
            )
        if msg.msg_id == UIM_LOGICAL_CHANNEL:
            which = msg.tlv(0x11)
            if which is None or len(which) != 1:
                return msg.response(error=ERR_MISSING_ARGUMENT)
            if not self.close_channel(which[0]):
                return msg.response(error=ERR_INVALID_ARGUMENT)
            return msg.response()
        apdu_tlv = msg.tlv(0x02)
        if apdu_tlv is None or len(apdu_tlv) < 2:
            return msg.response(error=ERR_MISSING_ARGUMENT)
        apdu = apdu_tlv[2:]
        if int.from_bytes(apdu_tlv[:2], "little") != len(apdu) or len(apdu) < 4:
            return msg.response(error=ERR_MALFORMED)
        channel_tlv = msg.tlv(0x10)
        if channel_tlv is not None and channel_tlv[0] not in self.open_channels:
            return msg.response(error=ERR_INVALID_ARGUMENT)
        resp = self.apdu(apdu)
        return msg.response((0x10, struct.pack("<H", len(resp)) + resp))
