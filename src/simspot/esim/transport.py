"""The card contract: how the LPA reaches an eUICC (PC/SC reader, modem over AT, virtual card).

Five calls, as small as a card link can be. ``transmit`` takes one short APDU (CLA INS P1 P2 [Lc
data] [Le]) and returns the response data followed by SW1 SW2. Channel management is the
transport's job because AT dialects do it differently (AT+CCHO vs MANAGE CHANNEL inside AT+CSIM).
"""

from __future__ import annotations

from typing import Protocol


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
