"""STORE DATA with Le: the last block is case 4 and a T=1 card answers with data at once.

The virtual eUICC as a T=1 card gives the first 256 bytes of a long answer with 61xx for the
rest; as a T=0 card (or to a case 3 command) only 61xx. The LPA's channel reassembles every one.
"""

from __future__ import annotations

import pytest

from simspot.esim import apdu, codec
from simspot.esim.apdu import cla_for_channel
from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc
from simspot.simulator.pki import TestPki


def _card(pki: TestPki, *, t0: bool) -> VirtualEuicc:
    # a root SM-DS address of 300 characters makes EuiccConfiguredAddresses longer than 256
    return VirtualEuicc(pki.euicc_credentials(), root_ds_address="d" * 300, t0=t0)


def _open(card: VirtualEuicc) -> int:
    channel = card.process(bytes.fromhex("0070000001"))[0]
    aid = apdu.ISD_R_AID
    sel = bytes([cla_for_channel(channel, proprietary=False), 0xA4, 0x04, 0x0C, len(aid)]) + aid
    assert card.process(sel) == b"\x90\x00"
    return channel


def test_case4_gets_256_bytes_and_61xx_case3_and_t0_only_61xx(pki: TestPki) -> None:
    request = codec.encode("EuiccConfiguredAddressesRequest", {})
    t1 = _card(pki, t0=False)
    channel = _open(t1)
    cla = cla_for_channel(channel)
    case3 = bytes([cla, 0xE2, 0x91, 0x00, len(request)]) + request
    bare = t1.process(case3)
    assert len(bare) == 2 and bare[0] == 0x61
    total = bare[1]
    rest = t1.process(bytes([cla & 0x7F, 0xC0, 0, 0, 0]))
    whole = rest[:-2] + t1.process(bytes([cla & 0x7F, 0xC0, 0, 0, rest[-1]]))[:-2]
    assert len(whole) > 256 and total == 0  # 61 00: 256 or more waiting

    answer = t1.process(case3 + b"\x00")  # the same command as case 4, Le = 256
    assert answer[:-2] == whole[:256] and answer[-2] == 0x61
    assert answer[-1] == len(whole) - 256
    tail = t1.process(bytes([cla & 0x7F, 0xC0, 0, 0, answer[-1]]))
    assert tail == whole[256:] + b"\x90\x00"

    short = t1.process(case3 + b"\x10")  # Le = 16: 16 bytes, the rest waits
    assert short[:-2] == whole[:16] and short[-2:] == bytes([0x61, 0])

    t0 = _card(pki, t0=True)
    channel = _open(t0)
    answer = t0.process(
        bytes([cla_for_channel(channel), 0xE2, 0x91, 0x00, len(request)]) + request + b"\x00"
    )
    assert len(answer) == 2 and answer[0] == 0x61


@pytest.mark.parametrize("t0", [False, True])
async def test_es10_channel_saves_a_get_response_on_t1(pki: TestPki, t0: bool) -> None:
    card = _card(pki, t0=t0)
    transport = VirtualCardTransport(card)
    await transport.connect()
    async with apdu.Es10Channel(transport, [apdu.ISD_R_AID]) as channel:
        before = channel.apdu_count
        long_answer = await channel.transceive(codec.encode("EuiccConfiguredAddressesRequest", {}))
        long_apdus = channel.apdu_count - before
        before = channel.apdu_count
        short_answer = await channel.transceive(
            codec.encode("GetEuiccDataRequest", {"tagList": b"\x5a"})
        )
        short_apdus = channel.apdu_count - before
    decoded = codec.decode("EuiccConfiguredAddressesResponse", long_answer)
    assert decoded["rootDsAddress"] == "d" * 300
    assert short_answer[:2] == b"\xbf\x3e"
    # T=1: STORE DATA brings 256 bytes, one GET RESPONSE the rest; a short answer comes at once.
    # T=0: STORE DATA gets 61xx, GET RESPONSE fetches 256 bytes at a time.
    assert (long_apdus, short_apdus) == ((3, 2) if t0 else (2, 1))
