"""The card contract: how the LPA reaches an eUICC (PC/SC reader, modem over AT, virtual card).

Five calls, as small as a card link can be (the Protocol), plus what the raw-pipe transports
(PC/SC, AT+CSIM) share: opening a logical channel with MANAGE CHANNEL then SELECT. ``transmit`` takes one short APDU (CLA INS P1 P2 [Lc
data] [Le]) and returns the response data followed by SW1 SW2. Channel management is the
transport's job because AT dialects do it differently (AT+CCHO vs MANAGE CHANNEL inside AT+CSIM).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from simspot.esim.apdu import cla_for_channel
from simspot.esim.errors import CardTransportError, ChannelError

log = logging.getLogger(__name__)


class ApduTransport(Protocol):
    async def connect(self) -> None:
        """Reach the card (power up / open the port). Raises EsimError with a clear reason."""

    async def disconnect(self) -> None:
        """Release the card; idempotent."""

    async def open_channel(self, aid: bytes) -> int:
        """Open a logical channel with ``aid`` selected on it; return the channel number."""

    async def close_channel(self, channel: int) -> None:
        """Close a logical channel; idempotent, never raises for an already closed channel."""

    async def transmit(self, apdu: bytes) -> bytes:
        """Send one APDU, return response data + SW1 SW2 (no GET RESPONSE handling here)."""


# -- what raw-pipe transports share (PC/SC, AT+CSIM): ISO 7816-4 logical channels -------------

Transmit = Callable[[bytes], Awaitable[bytes]]

SW_TEXT = {
    0x6881: "logical channels not supported",
    0x6A81: "function not supported (no free logical channel)",
    0x6A82: "application not found",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
}


def sw_text(sw: int) -> str:
    """The status word in English, for logs; errors name it with :func:`sw_part`."""
    return f"SW {sw:04X}" + (f" ({SW_TEXT[sw]})" if sw in SW_TEXT else "")


# A sentence inside another one's parameters (a ``{name:msglist}`` of simspot.i18n), so that
# what comes from a code table is translated too; ``simspot.i18n.part`` without importing it.
Part = dict[str, Any]


def part(msg_id: str, /, **params: object) -> Part:
    return {"id": msg_id, "params": params}


def sw_part(sw: int) -> Part:
    """The status word as a message: its meaning where SW_TEXT knows one (esim/messages.py)."""
    if sw in SW_TEXT:
        return part(f"esim.transport.sw.{sw:04x}")
    return part("esim.transport.sw", sw=f"{sw:04X}")


def status_word(resp: bytes) -> int:
    """SW1 SW2 of a response APDU; a transport error when there is none."""
    if len(resp) < 2:
        raise CardTransportError(msg_id="esim.transport.no-sw", params={"count": len(resp)})
    return int.from_bytes(resp[-2:], "big")


async def open_channel_iso(transmit: Transmit, aid: bytes) -> int:
    """MANAGE CHANNEL (open) then SELECT ``aid`` on the new channel; returns the channel.

    The channel is closed again if the SELECT fails, so a refused AID leaves nothing open.
    """
    resp = await transmit(bytes.fromhex("0070000001"))
    sw = status_word(resp)
    if sw != 0x9000 or len(resp) != 3:
        raise ChannelError(
            msg_id="esim.transport.channel-refused", params={"status": [sw_part(sw)]}
        )
    channel = resp[0]
    if not 1 <= channel <= 19:
        raise ChannelError(msg_id="esim.transport.channel-range", params={"channel": channel})
    ok = False
    try:
        cla = cla_for_channel(channel, proprietary=False)
        resp = await transmit(bytes([cla, 0xA4, 0x04, 0x00, len(aid), *aid, 0x00]))
        sw = status_word(resp)
        while sw >> 8 == 0x61:  # fetch (and drop) the FCI
            resp = await transmit(bytes([cla, 0xC0, 0x00, 0x00, sw & 0xFF]))
            sw = status_word(resp)
        if sw >> 8 == 0x6C:
            resp = await transmit(bytes([cla, 0xA4, 0x04, 0x00, len(aid), *aid, sw & 0xFF]))
            sw = status_word(resp)
        if sw != 0x9000:
            raise ChannelError(
                msg_id="esim.transport.select-failed",
                params={"aid": aid.hex().upper(), "status": [sw_part(sw)]},
            )
        ok = True
        return channel
    finally:
        if not ok:
            await close_channel_iso(transmit, channel)


async def close_channel_iso(transmit: Transmit, channel: int) -> None:
    """MANAGE CHANNEL (close); a refusal (already closed) is only logged."""
    resp = await transmit(bytes([0x00, 0x70, 0x80, channel, 0x00]))
    if status_word(resp) != 0x9000:
        log.info("closing logical channel %d: %s", channel, sw_text(status_word(resp)))
