"""A tiny ES10 exchange over any ApduTransport: STORE DATA blocks + GET RESPONSE, as the LPA does
it (kept here so transport tests do not depend on the LPA being finished)."""

from __future__ import annotations

from simspot.esim.transport import ApduTransport


async def store_data(t: ApduTransport, channel: int, data: bytes, block: int = 120) -> bytes:
    cla = 0x80 | channel if channel <= 3 else 0xC0 | (channel - 4)
    blocks = [data[i : i + block] for i in range(0, len(data), block)] or [b""]
    resp = b""
    for n, chunk in enumerate(blocks):
        p1 = 0x91 if n == len(blocks) - 1 else 0x11
        resp = await t.transmit(bytes([cla, 0xE2, p1, n, len(chunk), *chunk]))
    out = b""
    while resp[-2] == 0x61:
        out += resp[:-2]
        resp = await t.transmit(bytes([cla & 0x7F if channel <= 3 else cla, 0xC0, 0, 0, resp[-1]]))
    if resp[-2:] != b"\x90\x00":
        raise AssertionError(f"STORE DATA failed: {resp[-2:].hex()}")
    return out + resp[:-2]
