"""A minimal scripted card for the transport tests: ISO 7816-4 channels, SELECT of the ISD-R,
STORE DATA that answers through GET RESPONSE. It fakes the card edge only; once the virtual
eUICC exists the integration tests use that instead."""

from __future__ import annotations

ISD_R = bytes.fromhex("A0000005591010FFFFFFFF8900000100")


class ScriptedCard:
    def __init__(self, *, channels: int = 4) -> None:
        self.max_channels = channels
        self.open: dict[int, bytes | None] = {}  # channel -> selected AID
        self.apdus: list[bytes] = []
        self.pending = b""
        self.resets = 0
        self.stored: dict[int, bytearray] = {}

    def reset(self) -> None:
        self.resets += 1
        self.open.clear()
        self.pending = b""

    def process(self, apdu: bytes) -> bytes:
        self.apdus.append(apdu)
        cla, ins, p1, p2 = apdu[:4]
        channel = 4 + (cla & 0x0F) if cla & 0x40 else cla & 0x03
        body = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        if ins == 0xAA:  # TERMINAL CAPABILITY
            return b"\x90\x00"
        if ins == 0x70:  # MANAGE CHANNEL
            if p1 == 0x00:
                free = [c for c in range(1, self.max_channels) if c not in self.open]
                if not free:
                    return b"\x6a\x81"
                self.open[free[0]] = None
                return bytes([free[0]]) + b"\x90\x00"
            if p2 in self.open:
                del self.open[p2]
                return b"\x90\x00"
            return b"\x68\x81"
        if channel != 0 and channel not in self.open:
            return b"\x68\x81"
        if ins == 0xA4:
            if body != ISD_R:
                return b"\x6a\x82"
            self.open[channel] = body
            self.pending = bytes.fromhex("6F108410") + ISD_R
            return bytes([0x61, len(self.pending)])
        if ins == 0xC0:
            out, self.pending = self.pending[: p2 or 256], self.pending[p2 or 256 :]
            sw = bytes([0x61, min(len(self.pending), 255)]) if self.pending else b"\x90\x00"
            return out + sw
        if ins == 0xE2:  # STORE DATA: collect blocks; the last answers a digest-like echo
            if self.open.get(channel) != ISD_R:
                return b"\x69\x85"
            self.stored.setdefault(channel, bytearray()).extend(body)
            if p1 & 0x80:
                data = bytes(self.stored.pop(channel))
                self.pending = b"\xbf\x00" + len(data).to_bytes(2, "big") + data[:300]
                return bytes([0x61, min(len(self.pending), 255)])
            return b"\x90\x00"
        return b"\x6d\x00"
