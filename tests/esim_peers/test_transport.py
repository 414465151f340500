"""VirtualCardTransport: the ApduTransport a real LPA uses to reach the virtual eUICC."""

from __future__ import annotations

import pytest

from simspot.esim.errors import CardError, TransportError
from simspot.esim.transport import ApduTransport
from simspot.simulator.euicc import ISDR_AID, Fault, VirtualCardTransport, VirtualEuicc, reset_after


async def test_open_select_transmit_close(card: VirtualEuicc) -> None:
    transport: ApduTransport = VirtualCardTransport(card)
    await transport.connect()
    channel = await transport.open_channel(ISDR_AID)
    assert 1 <= channel <= 19
    answer = await transport.transmit(
        bytes([0x80 | channel, 0xE2, 0x91, 0x00, 0x03]) + b"\xbf\x20\x00"
    )
    assert answer[:2] == b"\xbf\x20" and answer[-2:] == b"\x90\x00"
    await transport.close_channel(channel)
    await transport.close_channel(channel)  # idempotent
    answer = await transport.transmit(
        bytes([0x80 | channel, 0xE2, 0x91, 0x00, 0x03]) + b"\xbf\x20\x00"
    )
    assert answer == b"\x68\x81"
    await transport.disconnect()
    with pytest.raises(TransportError):
        await transport.transmit(b"\x00\x70\x00\x00\x01")


async def test_unknown_aid_is_a_card_error_and_frees_the_channel(card: VirtualEuicc) -> None:
    transport = VirtualCardTransport(card)
    await transport.connect()
    with pytest.raises(CardError) as exc:
        await transport.open_channel(bytes.fromhex("A0000005591010FFFFFFFF8900050500"))
    assert exc.value.sw == 0x6A82
    assert await transport.open_channel(ISDR_AID) == 1  # channel 1 was closed again


async def test_reset_fault_power_cycles_the_card(card: VirtualEuicc) -> None:
    transport = VirtualCardTransport(card, fault=reset_after(3))
    await transport.connect()
    channel = await transport.open_channel(ISDR_AID)  # APDUs 1 and 2
    ok = await transport.transmit(bytes([0x80 | channel, 0xE2, 0x91, 0x00, 0x03]) + b"\xbf\x2e\x00")
    assert ok[-2:] == b"\x90\x00"  # APDU 3
    with pytest.raises(TransportError, match="reset"):
        await transport.transmit(bytes([0x80 | channel, 0xE2, 0x91, 0x00, 0x03]) + b"\xbf\x20\x00")
    # after the power cycle the channel is gone
    answer = await transport.transmit(
        bytes([0x80 | channel, 0xE2, 0x91, 0x00, 0x03]) + b"\xbf\x20\x00"
    )
    assert answer == b"\x68\x81"


async def test_drop_fault_never_reaches_the_card(card: VirtualEuicc) -> None:
    transport = VirtualCardTransport(card, fault=lambda n, apdu: Fault.DROP if n == 1 else None)
    await transport.connect()
    with pytest.raises(TransportError, match="link"):
        await transport.open_channel(ISDR_AID)
    assert card.apdu_count == 0
    assert await transport.open_channel(ISDR_AID) == 1
