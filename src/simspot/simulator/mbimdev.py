"""An MBIM modem emulator: MBIM control messages on a pseudo-terminal, its UICC low-level access
service backed by a card (the virtual eUICC).

libmbim opens the pty as it opens /dev/cdc-wdm0 (``mbimcli -d <pty>``, or through ``mbim-proxy``),
so simspot's MBIM transport is tested through the real proxy. It answers OPEN / CLOSE and the
MS UICC low-level access Open Channel, APDU and Close Channel commands; other commands get
"no device support", commands before OPEN a "not opened" function error. Options: a per-message
latency, and the modem going away (``unplug()``, or ``gone_after`` N APDUs): the port closes and
the card loses power, as when a USB modem resets.
"""

from __future__ import annotations

import logging
import struct
import time

from simspot.esim.apdu import cla_for_channel
from simspot.esim.mbim import (
    BASIC_CONNECT_EXTENSIONS,
    CID_DEVICE_SLOT_MAPPINGS,
    CID_UICC_APDU,
    CID_UICC_CLOSE_CHANNEL,
    CID_UICC_OPEN_CHANNEL,
    CLOSE,
    CLOSE_DONE,
    COMMAND,
    COMMAND_DONE,
    FUNCTION_ERROR,
    OPEN,
    OPEN_DONE,
    PROTOCOL_ERROR_NOT_OPENED,
    SET,
    STATUS_INVALID_LOGICAL_CHANNEL,
    STATUS_INVALID_PARAMETERS,
    STATUS_NO_DEVICE_SUPPORT,
    STATUS_NO_LOGICAL_CHANNELS,
    STATUS_NOT_INITIALIZED,
    STATUS_SELECT_FAILED,
    STATUS_SIM_NOT_INSERTED,
    UICC_LOW_LEVEL_ACCESS,
    Command,
    MbimMessage,
    build_info,
    decode,
    frame_length,
    read_ref,
    read_u32,
    status_field,
)
from simspot.simulator.ptydev import Card, CardFailure, PtyDevice

log = logging.getLogger(__name__)


class MbimModem(PtyDevice):
    """Answers MBIM on a pty; ``path`` is the port, ``start()`` serves it on a thread."""

    name = "mbim-modem"

    def __init__(
        self,
        card: Card,
        *,
        latency_s: float = 0.0,
        gone_after: int | None = None,
        slots: int = 1,
        card_slot: int = 1,
        settle_s: float = 0.0,
    ) -> None:
        super().__init__(card, latency_s=latency_s, gone_after=gone_after)
        self.slots = slots  # physical slots; the card sits in ``card_slot`` (1-based)
        self.card_slot = card_slot
        self.mapped = 0  # slot index (0-based) mapped to the executor: slot 1 at power-up
        self.settle_s = settle_s  # after a slot switch the card answers "not initialized"
        self._ready_at = 0.0
        self.opened = False
        self.requests: list[tuple[str, int]] = []  # ("open" / "close" / service UUID hex, cid)

    def frame_length(self, buf: bytes) -> int | None:
        return frame_length(buf)

    def handle(self, frame: bytes) -> bytes | None:
        try:
            msg = decode(frame)
        except ValueError as exc:
            log.warning("mbim-modem: malformed message dropped: %s", exc)
            return None
        if msg.type == OPEN:
            self.requests.append(("open", 0))
            self.opened = True
            return MbimMessage(OPEN_DONE, msg.txn, struct.pack("<I", 0)).encode()
        if msg.type == CLOSE:
            self.requests.append(("close", 0))
            self.opened = False
            for channel in sorted(self.open_channels):  # the function resets: channels go
                self.close_channel(channel)
            return MbimMessage(CLOSE_DONE, msg.txn, struct.pack("<I", 0)).encode()
        if msg.type != COMMAND:
            return None
        if not self.opened:
            return MbimMessage(
                FUNCTION_ERROR, msg.txn, struct.pack("<I", PROTOCOL_ERROR_NOT_OPENED)
            ).encode()
        try:
            cmd = Command.parse(msg)
        except ValueError as exc:
            log.warning("mbim-modem: malformed command dropped: %s", exc)
            return None
        self.requests.append((cmd.service.hex(), cmd.cid))
        try:
            status, info = self._command(cmd)
        except ValueError:
            status, info = STATUS_INVALID_PARAMETERS, b""
        done = Command(cmd.service, cmd.cid, status, info)
        return done.message(COMMAND_DONE, msg.txn).encode()

    def _command(self, cmd: Command) -> tuple[int, bytes]:
        if cmd.service == BASIC_CONNECT_EXTENSIONS and cmd.cid == CID_DEVICE_SLOT_MAPPINGS:
            return self._slot_mappings(cmd)
        if cmd.service != UICC_LOW_LEVEL_ACCESS or cmd.code != SET:
            return STATUS_NO_DEVICE_SUPPORT, b""
        if self.mapped != self.card_slot - 1:
            return STATUS_SIM_NOT_INSERTED, b""
        if time.monotonic() < self._ready_at:
            return STATUS_NOT_INITIALIZED, b""
        if cmd.cid == CID_UICC_OPEN_CHANNEL:
            aid, p2 = read_ref(cmd.info, 0), read_u32(cmd.info, 8)
            if not aid or p2 > 0xFF:
                return STATUS_INVALID_PARAMETERS, b""
            try:
                channel, data = self.open_channel(aid, p2)
            except CardFailure as exc:
                status = STATUS_NO_LOGICAL_CHANNELS if exc.no_channel else STATUS_SELECT_FAILED
                return status, build_info(status_field(exc.sw), 0, b"")
            return 0, build_info(status_field(0x9000), channel, data)
        if cmd.cid == CID_UICC_CLOSE_CHANNEL:
            channel = read_u32(cmd.info, 0)
            if not self.close_channel(channel):
                return STATUS_INVALID_LOGICAL_CHANNEL, build_info(status_field(0x6881))
            return 0, build_info(status_field(0x9000))
        if cmd.cid == CID_UICC_APDU:
            channel, apdu = read_u32(cmd.info, 0), read_ref(cmd.info, 12)
            if len(apdu) < 4:
                return STATUS_INVALID_PARAMETERS, b""
            if channel and channel not in self.open_channels:
                return STATUS_INVALID_LOGICAL_CHANNEL, b""
            resp = self.apdu(_with_channel(apdu, channel))
            if len(resp) < 2:  # unplugged while answering: nothing goes back
                return STATUS_NO_DEVICE_SUPPORT, b""
            sw = int.from_bytes(resp[-2:], "big")
            return 0, build_info(status_field(sw), resp[:-2])
        return STATUS_NO_DEVICE_SUPPORT, b""

    def _slot_mappings(self, cmd: Command) -> tuple[int, bytes]:
        if cmd.code == SET:
            count = read_u32(cmd.info, 0)
            if count != 1:
                return STATUS_INVALID_PARAMETERS, b""
            index = read_u32(read_ref(cmd.info, 4), 0)
            if index >= self.slots:
                return STATUS_INVALID_PARAMETERS, b""
            if index != self.mapped:
                if self.mapped == self.card_slot - 1:
                    self.power_down()  # the card's slot is no longer mapped
                self.mapped = index
                self._ready_at = time.monotonic() + self.settle_s
        return 0, build_info(1, struct.pack("<I", self.mapped))


def _with_channel(apdu: bytes, channel: int) -> bytes:
    """The modem puts the channel into CLA (ClassByteType inter-industry), keeping bit 8 (the
    proprietary class GlobalPlatform commands use)."""
    return bytes([cla_for_channel(channel, proprietary=bool(apdu[0] & 0x80))]) + apdu[1:]
