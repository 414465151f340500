"""STORE DATA segmentation, GET RESPONSE, status words and the ISD-R channel over a scripted card."""

from __future__ import annotations

import pytest

from simspot.errors import EsimError
from simspot.esim import apdu
from simspot.esim.errors import CardError, IsdrNotFound


class ScriptedCard:
    """An ApduTransport that answers from a script and records what it was sent."""

    def __init__(
        self, answers: list[bytes], accept_aids: set[bytes] | None = None, channel: int = 1
    ) -> None:
        self.answers = list(answers)
        self.sent: list[bytes] = []
        self.opened: list[bytes] = []
        self.closed: list[int] = []
        self.accept_aids = accept_aids
        self.channel = channel

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def open_channel(self, aid: bytes) -> int:
        self.opened.append(aid)
        if self.accept_aids is not None and aid not in self.accept_aids:
            raise EsimError("application not found (SW 6A82)")
        return self.channel

    async def close_channel(self, channel: int) -> None:
        self.closed.append(channel)

    async def transmit(self, command: bytes) -> bytes:
        self.sent.append(command)
        return self.answers.pop(0)


def test_cla_per_channel() -> None:
    assert [apdu.cla_for_channel(c) for c in (0, 1, 3, 4, 19)] == [0x80, 0x81, 0x83, 0xC0, 0xCF]
    assert apdu.cla_for_channel(5, proprietary=False) == 0x41
    with pytest.raises(CardError):
        apdu.cla_for_channel(20)


@pytest.mark.parametrize("size", [1, 6, 120, 254, 255, 256, 1000, 19_300])
@pytest.mark.parametrize("block", [6, 120, 255])
def test_segmentation_reassembles(size: int, block: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    if (size + block - 1) // block > 256:
        with pytest.raises(EsimError):
            apdu.store_data_apdus(2, payload, block)
        return
    apdus = apdu.store_data_apdus(2, payload, block)
    assert len(apdus) == (size + block - 1) // block
    # every block is case 3 but the last: case 4 with Le = '00' (the response is expected)
    assert apdus[-1][-1] == 0x00 and apdus[-1][4] == len(apdus[-1]) - 6
    assert b"".join(a[5 : 5 + a[4]] for a in apdus) == payload
    for number, a in enumerate(apdus):
        last = number == len(apdus) - 1
        assert a[0] == 0x82 and a[1] == 0xE2
        assert a[2] == (0x91 if last else 0x11)
        assert a[3] == number
        assert a[4] == len(a) - 5 - last <= block


def test_block_size_limits() -> None:
    for bad in (0, 5, 256):
        with pytest.raises(EsimError, match="6-255"):
            apdu.store_data_apdus(1, b"x", bad)


async def test_channel_uses_first_accepting_aid_and_always_closes() -> None:
    card = ScriptedCard([b"\x90\x00"], accept_aids={apdu.KNOWN_REMOVABLE_AIDS[1]}, channel=5)
    async with apdu.Es10Channel(card) as channel:
        assert channel.aid == apdu.KNOWN_REMOVABLE_AIDS[1]
        await channel.transceive(b"\xbf\x20\x00")
    assert card.opened == list(apdu.DEFAULT_AIDS)
    assert card.sent[0][0] == 0xC1  # channel 5: further interindustry CLA
    assert card.closed == [5]

    card = ScriptedCard([b"\x6a\x80"])
    with pytest.raises(CardError, match="refused"):
        async with apdu.Es10Channel(card) as channel:
            await channel.transceive(b"\xbf\x20\x00")
    assert card.closed == [1]


async def test_no_isdr_names_the_aids_tried() -> None:
    card = ScriptedCard([], accept_aids=set())
    extra = bytes.fromhex("A0000005591010FFFFFFFF8900000777")
    with pytest.raises(IsdrNotFound) as info:
        async with apdu.Es10Channel(card, [*apdu.DEFAULT_AIDS, extra]):
            pass
    assert "8900000777" in str(info.value) and "extra_isdr_aids" in str(info.value)
    assert card.closed == []


async def test_get_response_chain_and_wrong_le() -> None:
    card = ScriptedCard(
        [
            b"\x90\x00",  # block 0
            b"\x61\x10",  # last block: 16 bytes waiting
            b"A" * 16 + b"\x61\x05",
            b"\x6c\x03",  # wrong Le: resend asking for 3
            b"BCD\x90\x00",
        ]
    )
    channel = apdu.Es10Channel(card, block_size=6)
    await channel.open()
    answer = await channel.transceive(b"0123456789")
    assert answer == b"A" * 16 + b"BCD"
    assert card.sent[2] == bytes.fromhex("01C0000010")
    assert card.sent[3] == bytes.fromhex("01C0000005")
    assert card.sent[4] == bytes.fromhex("01C0000003")
    assert channel.apdu_count == 5
    await channel.close()


async def test_proactive_pending_counts_as_success_and_errors_are_named() -> None:
    card = ScriptedCard([b"\xbf\x20\x00\x91\x10"])
    channel = apdu.Es10Channel(card)
    await channel.open()
    assert await channel.transceive(b"\xbf\x20\x00") == b"\xbf\x20\x00"

    card.answers = [b"\x6a\x84"]
    with pytest.raises(CardError, match=r"not enough memory.*6A84"):
        await channel.transceive(b"\xbf\x20\x00")

    card.answers = [b"\x6a\x80"]
    with pytest.raises(CardError, match="block 0"):
        await channel.transceive(bytes(300))

    card.answers = [b"\x90"]
    with pytest.raises(CardError, match="too short"):
        await channel.transceive(b"\x01")
    await channel.close()
    with pytest.raises(EsimError, match="not open"):
        await channel.transceive(b"\x01")


async def test_a_card_that_always_has_more_is_refused_not_followed() -> None:
    class Endless(ScriptedCard):
        async def transmit(self, command: bytes) -> bytes:
            self.sent.append(command)
            return bytes(256) + b"\x61\x00"  # 256 bytes, and 256 more waiting, for ever

    card = Endless([])
    async with apdu.Es10Channel(card) as ch:
        with pytest.raises(CardError, match=r"did not end within 1\.0 MB") as refused:
            await ch.transceive(b"\xbf\x2d\x00")
    assert refused.value.sw == 0x6100
    assert 4000 < len(card.sent) < 4200  # about 1 MiB of GET RESPONSE, then it stops
    assert "仍未结束" in refused.value.localized("zh")
