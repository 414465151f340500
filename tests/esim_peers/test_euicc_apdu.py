"""The virtual eUICC at APDU level: channels, SELECT, STORE DATA chaining, GET RESPONSE."""

from __future__ import annotations

from pathlib import Path

import pytest

from simspot.esim import codec
from simspot.esim.apdu import cla_for_channel
from simspot.simulator.euicc import ECASD_AID, ISDR_AID, VirtualEuicc
from simspot.simulator.pki import TestPki

from .driver import CardLink, CardSw

VENDOR_AID = bytes.fromhex("A0000005591010FFFFFFFF8900050500")


def sw(answer: bytes) -> int:
    return int.from_bytes(answer[-2:], "big")


def test_channels_open_close_and_run_out(card: VirtualEuicc) -> None:
    opened = []
    for _ in range(19):
        answer = card.process(bytes.fromhex("0070000001"))
        assert sw(answer) == 0x9000
        opened.append(answer[0])
    assert opened == list(range(1, 20))
    assert sw(card.process(bytes.fromhex("0070000001"))) == 0x6A81
    assert sw(card.process(bytes.fromhex("00708005"))) == 0x9000
    assert card.process(bytes.fromhex("0070000001"))[0] == 5  # reused
    # closed channel: commands on it are refused
    card.process(bytes.fromhex("00708007"))
    select = bytes([cla_for_channel(7, proprietary=False), 0xA4, 0x04, 0x00, 16]) + ISDR_AID
    assert sw(card.process(select)) == 0x6881


def test_high_channels_use_the_further_interindustry_cla(card: VirtualEuicc) -> None:
    for _ in range(12):
        card.process(bytes.fromhex("0070000001"))
    assert cla_for_channel(12) == 0xC8 and cla_for_channel(3) == 0x83
    link = CardLink.__new__(CardLink)
    link.card, link.block, link.apdus, link.channel = card, 255, 0, 12
    card.process(bytes([cla_for_channel(12, proprietary=False), 0xA4, 0x04, 0x00, 16]) + ISDR_AID)
    eid = codec.decode("GetEuiccDataResponse", link.send(bytes.fromhex("BF3E035C015A")))
    assert eid["eidValue"].hex() == card.eid


def test_select_rules(card: VirtualEuicc) -> None:
    assert sw(card.process(bytes.fromhex("00A4040005A000000001"))) == 0x6A82
    answer = card.process(bytes([0x00, 0xA4, 0x04, 0x00, 16]) + ISDR_AID + b"\x00")
    assert sw(answer) == 0x9000 and answer[0] == 0x6F and ISDR_AID in answer
    # ECASD selects, but takes no ES10 commands
    card.process(bytes([0x00, 0xA4, 0x04, 0x0C, 16]) + ECASD_AID)
    assert sw(card.process(bytes.fromhex("80E2910003BF2000"))) == 0x6985
    assert sw(card.process(bytes.fromhex("80AA00000AA9088100820101830107"))) == 0x9000
    assert sw(card.process(bytes.fromhex("00C0000010"))) == 0x6985  # nothing to get
    assert sw(card.process(bytes.fromhex("0012"))) == 0x6700
    assert sw(card.process(bytes.fromhex("00FE0000"))) == 0x6D00


def test_vendor_aid_card(test_pki: TestPki, tmp_path: Path) -> None:
    vendor = VirtualEuicc(test_pki.euicc_credentials(), isdr_aids=(VENDOR_AID,))
    with pytest.raises(AssertionError):
        CardLink(vendor)  # the standard ISD-R AID is not there
    link = CardLink(vendor, aid=VENDOR_AID)
    assert link.send(bytes.fromhex("BF2000"))[:2] == b"\xbf\x20"


@pytest.mark.parametrize("block", [6, 7, 120, 254, 255])
def test_store_data_chaining_at_any_block_size(card: VirtualEuicc, block: int) -> None:
    link = CardLink(card, block=block)
    nick = "x" * 64
    iccid = bytes.fromhex("98990001000000000010")
    request = codec.encode("SetNicknameRequest", {"iccid": iccid, "profileNickname": nick})
    assert len(request) > 6
    answer = codec.decode("SetNicknameResponse", link.send(request))
    assert answer == {"setNicknameResult": 1}  # no such profile, but the command arrived whole
    blocks = -(-len(request) // block)
    assert link.apdus == 2 + blocks


def test_wrong_block_number_breaks_the_chain(card: VirtualEuicc) -> None:
    link = CardLink(card)
    cla = cla_for_channel(link.channel)
    assert sw(card.process(bytes([cla, 0xE2, 0x11, 0x00, 2]) + b"\xbf\x20")) == 0x9000
    assert sw(card.process(bytes([cla, 0xE2, 0x91, 0x05, 1]) + b"\x00")) == 0x6A86
    # a fresh command starts again at block 0
    assert link.send(bytes.fromhex("BF2000"))[:2] == b"\xbf\x20"


def test_long_responses_come_through_get_response(card: VirtualEuicc) -> None:
    link = CardLink(card)
    info2 = link.send(bytes.fromhex("BF2200"))
    assert codec.decode("EUICCInfo2", info2)["svn"] == b"\x02\x02\x02"
    # T=0 style: every answer with data goes through 61xx + GET RESPONSE
    t0 = VirtualEuicc(card.credentials, t0=True)
    t0_link = CardLink(t0)
    before = t0_link.apdus
    assert t0_link.send(bytes.fromhex("BF2200")) == info2
    assert t0_link.apdus == before + 2
    cla = cla_for_channel(t0_link.channel)
    answer = t0.process(bytes([cla, 0xE2, 0x91, 0x00, 3]) + bytes.fromhex("BF2200"))
    assert answer[0] == 0x61 and answer[1] == len(info2)
    first = t0.process(bytes([cla & 0x7F, 0xC0, 0, 0, 10]))  # ask for less: the rest stays
    assert first[-2] == 0x61 and first[-1] == len(info2) - 10
    rest = t0.process(bytes([cla & 0x7F, 0xC0, 0, 0, first[-1]]))
    assert first[:-2] + rest[:-2] == info2 and sw(rest) == 0x9000


def test_responses_over_256_bytes_are_split(card: VirtualEuicc) -> None:
    link = CardLink(card)
    # EUICCInfo2 with many CI ids would be long; ProfileInfo of several profiles is simpler:
    req = codec.encode("ProfileInfoListRequest", {})
    assert codec.decode("ProfileInfoListResponse", link.send(req)) == ("profileInfoListOk", [])
    big = VirtualEuicc(card.credentials, root_ds_address="d" * 300)
    big_link = CardLink(big)
    before = big_link.apdus
    answer = big_link.send(codec.encode("EuiccConfiguredAddressesRequest", {}))
    assert codec.decode("EuiccConfiguredAddressesResponse", answer)["rootDsAddress"] == "d" * 300
    assert big_link.apdus - before == 3  # STORE DATA + two GET RESPONSE


def test_unknown_or_malformed_es10_commands(card: VirtualEuicc) -> None:
    link = CardLink(card)
    with pytest.raises(CardSw) as exc:
        link.send(bytes.fromhex("BF7F00"))
    assert exc.value.sw == 0x6A80
    with pytest.raises(CardSw) as exc:
        link.send(bytes.fromhex("BF3E055C"))  # truncated
    assert exc.value.sw == 0x6A80
    with pytest.raises(CardSw) as exc:
        link.send(bytes.fromhex("A30400"))  # BPP piece without a load in progress
    assert exc.value.sw == 0x6985


def test_basic_eid_info_and_addresses(card: VirtualEuicc) -> None:
    link = CardLink(card)
    info1 = codec.decode("EUICCInfo1", link.send(bytes.fromhex("BF2000")))
    assert info1["euiccCiPKIdListForVerification"] == card.credentials.ci_key_ids
    addresses = codec.decode("EuiccConfiguredAddressesResponse", link.send(bytes.fromhex("BF3C00")))
    assert "defaultDpAddress" not in addresses
    req = codec.encode("SetDefaultDpAddressRequest", {"defaultDpAddress": "smdp.example"})
    assert (
        codec.decode("SetDefaultDpAddressResponse", link.send(req))["setDefaultDpAddressResult"]
        == 0
    )
    addresses = codec.decode("EuiccConfiguredAddressesResponse", link.send(bytes.fromhex("BF3C00")))
    assert addresses["defaultDpAddress"] == "smdp.example"
    assert codec.decode("GetRatResponse", link.send(bytes.fromhex("BF4300"))) == {"rat": []}
    # the default address survives a reload; a power cycle drops the channel
    again = VirtualEuicc(card.credentials, state_path=card.state_path)
    assert again.state.default_dp_address == "smdp.example"
    card.reset()
    assert (
        sw(card.process(bytes([cla_for_channel(link.channel), 0xE2, 0x91, 0, 3]) + b"\xbf\x20\x00"))
        == 0x6881
    )
