"""The PC/SC transport through a real pcscd, with a card in vsmartcard's virtual reader."""

from __future__ import annotations

import pytest

from simspot.esim.pcsc import (
    TERMINAL_CAPABILITY,
    CardBusy,
    CardRemoved,
    CardTransportError,
    ChannelError,
    NoCard,
    NoReader,
    PcscTransport,
    list_readers,
)
from simspot.simulator.vpcd import make_atr

from .cards import ISD_R, ScriptedCard
from .conftest import Pcscd
from .helpers import store_data
from .vcard import READER, inserted

PAYLOAD = bytes(range(256)) * 2


async def test_readers_are_listed_with_card_and_atr(pcscd: Pcscd) -> None:
    async with inserted(ScriptedCard(), pcscd.port) as bridge:
        readers = await list_readers()
        assert [r.name for r in readers] == [READER, "Virtual PCD 00 01"]
        assert readers[0].card_present and readers[0].atr == bridge.atr.hex().upper()
        assert not readers[1].card_present and readers[1].atr is None


@pytest.mark.parametrize("block", [120, 255])
async def test_es10_exchange_with_terminal_capability_first(pcscd: Pcscd, block: int) -> None:
    card = ScriptedCard()
    async with inserted(card, pcscd.port):
        t = PcscTransport(READER)
        await t.connect()
        try:
            assert t.active_protocol == "T=1"  # pcsc-lite picks T=1 when the card offers both
            channel = await t.open_channel(ISD_R)
            assert card.open == {channel: ISD_R}
            answer = await store_data(t, channel, PAYLOAD, block=block)
            assert answer[4:] == PAYLOAD[:300]
            await t.close_channel(channel)
            assert card.open == {}
        finally:
            await t.disconnect()
        assert card.apdus[0] == TERMINAL_CAPABILITY
        assert card.apdus[1][:4] == bytes.fromhex("00700000")
        stores = [a for a in card.apdus if a[1] == 0xE2]
        assert len(stores) == -(-len(PAYLOAD) // block)


@pytest.mark.parametrize(
    ("atr_protocols", "choice", "expected"),
    [((0, 1), "t1", "T=1"), ((0, 1), "t0", "T=0"), ((1,), "auto", "T=1"), ((0,), "auto", "T=0")],
)
async def test_t0_and_t1(
    pcscd: Pcscd, atr_protocols: tuple[int, ...], choice: str, expected: str
) -> None:
    card = ScriptedCard()
    async with inserted(card, pcscd.port, atr=make_atr(atr_protocols)):
        t = PcscTransport(0, protocol=choice)  # type: ignore[arg-type]
        await t.connect()
        try:
            assert t.active_protocol == expected
            channel = await t.open_channel(ISD_R)
            assert (await store_data(t, channel, b"\x01" * 20))[4:] == b"\x01" * 20
        finally:
            await t.disconnect()
        assert card.open == {}


async def test_card_without_t1_refuses_forced_t1(pcscd: Pcscd) -> None:
    async with inserted(ScriptedCard(), pcscd.port, atr=make_atr((0,))):
        t = PcscTransport(READER, protocol="t1")
        with pytest.raises(CardTransportError, match="does not speak the requested protocol"):
            await t.connect()
        await t.disconnect()


async def test_exclusive_access_while_a_session_runs(pcscd: Pcscd) -> None:
    async with inserted(ScriptedCard(), pcscd.port):
        first = PcscTransport(READER)
        await first.connect()
        try:
            second = PcscTransport(READER)
            with pytest.raises(CardBusy, match="in use by another program"):
                await second.connect()
            await second.disconnect()
        finally:
            await first.disconnect()
        third = PcscTransport(READER)  # free again once the session ended
        await third.connect()
        await third.disconnect()


async def test_reader_choice_errors_name_the_readers(pcscd: Pcscd) -> None:
    async with inserted(ScriptedCard(), pcscd.port):
        with pytest.raises(NoReader, match=r"no reader matches 'Gemalto'.*0: Virtual PCD 00 00"):
            await PcscTransport("Gemalto").connect()
        with pytest.raises(NoReader, match="no reader number 7"):
            await PcscTransport(7).connect()
        with pytest.raises(NoReader, match="several readers match 'virtual'"):
            await PcscTransport("virtual").connect()
        with pytest.raises(NoCard, match="no card in reader 'Virtual PCD 00 01'"):
            await PcscTransport("PCD 00 01").connect()
        t = PcscTransport("pcd 00 00")  # a unique part of the name, any case
        await t.connect()
        assert t.reader == READER
        await t.disconnect()


async def test_no_card_anywhere(pcscd: Pcscd) -> None:
    with pytest.raises(NoCard, match="no card in any reader"):
        await PcscTransport().connect()


async def test_unknown_aid_leaves_no_channel_open(pcscd: Pcscd) -> None:
    card = ScriptedCard()
    async with inserted(card, pcscd.port):
        t = PcscTransport()
        await t.connect()
        try:
            with pytest.raises(ChannelError, match="6A82"):
                await t.open_channel(bytes.fromhex("A0000005591010FFFFFFFF8900000300"))
            assert card.open == {}
        finally:
            await t.disconnect()


class RemovedAfter(ScriptedCard):
    """Pulled out of the reader while the Nth STORE DATA is being processed."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.bridge = None

    def process(self, apdu: bytes) -> bytes:
        resp = super().process(apdu)
        if apdu[1] == 0xE2 and sum(1 for a in self.apdus if a[1] == 0xE2) == self.n:
            assert self.bridge is not None
            self.bridge.remove()
        return resp


async def test_card_removed_mid_download(pcscd: Pcscd) -> None:
    card = RemovedAfter(3)
    async with inserted(card, pcscd.port) as bridge:
        card.bridge = bridge  # type: ignore[assignment]
        t = PcscTransport(READER)
        await t.connect()
        channel = await t.open_channel(ISD_R)
        with pytest.raises(CardRemoved, match=r"removed (or reset )?while exchanging an APDU"):
            await store_data(t, channel, PAYLOAD, block=100)
        with pytest.raises(CardTransportError):
            await t.transmit(bytes.fromhex("80E2910000"))
        await t.disconnect()  # does not raise with the card gone
    assert sum(1 for a in card.apdus if a[1] == 0xE2) == 3
