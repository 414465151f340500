"""Interop defects of the simulated peers found against other implementations (issue 13, 1a-1e).

Each test failed before its fix. 1d (``simulate euicc --protocols t0``) runs through pcscd in
``tests/esim_hw/test_cli.py``; the OPTIONAL/DEFAULT table is ``tests/esim/test_asn1_conformance``.
"""

from __future__ import annotations

from typing import Any

from simspot.esim import codec
from simspot.esim.apdu import Es10Channel, cla_for_channel
from simspot.esim.es10 import Es10
from simspot.esim.iccid import iccid_to_bytes
from simspot.simulator.euicc import ISDR_AID, VirtualCardTransport, VirtualEuicc
from simspot.simulator.profiles import header_iccid, sample_profile
from simspot.simulator.smdp import TestSmdp

from .conftest import ADDRESS
from .driver import CardLink, Es9Call, direct, download

TS48_ICCID = "8949449999999990023"  # the example of ../shared/testdata/ts48/README.md


def _final(d: Any) -> tuple[str, Any]:
    kind, value = d.result["profileInstallationResultData"]["finalResult"]
    return kind, value


def _tlvs(data: bytes) -> dict[int, bytes]:
    """The direct children of one constructed TLV, by tag."""
    _, start, end = codec.read_tlv(data)
    return {tag: data[vs:ve] for tag, vs, ve in codec.iter_tlvs(data, start, end)}


# -- 1a: the ProfileHeader ICCID is in plain digit order -------------------------------------


def test_a_sample_header_carries_the_iccid_in_plain_digit_order() -> None:
    package = sample_profile(4096, iccid=TS48_ICCID)
    # ProfileHeader PE (A0) ... iccid [3] (83 0A) as a SAIP package codes it: unswapped, F-padded
    assert bytes.fromhex("830A 8949449999999990023F") in package[:80]
    assert header_iccid(package) == TS48_ICCID


# A ProfileHeader as a SAIP package has it (major 2, minor 3, ICCID in plain order), then End.
PLAIN_HEADER_PACKAGE = bytes.fromhex(
    "A012 800102 810103 830A 8949449999999990023F AA07A0058000810100"
)


def test_a_the_card_reads_the_header_iccid_in_plain_order(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    # as an independent SM-DP+ does: the order's ICCID given, the package served unchanged
    smdp.add_profile("SAIP", PLAIN_HEADER_PACKAGE, iccid=TS48_ICCID)
    d = download(link, call, ADDRESS, "SAIP")
    assert _final(d)[0] == "successResult", _final(d)  # was errorResult 13 (dataMismatch)
    assert card.export_profile(TS48_ICCID) == PLAIN_HEADER_PACKAGE


def test_a_package_with_a_plain_order_header_installs(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    package = sample_profile(6000, iccid=TS48_ICCID)
    order = smdp.add_profile("TS48-LIKE", package)
    assert order.iccid == TS48_ICCID  # the test SM-DP+ reads it from the header
    d = download(link, call, ADDRESS, "TS48-LIKE")
    assert _final(d)[0] == "successResult", _final(d)  # was errorResult 13 (dataMismatch)
    assert [p.iccid for p in card.profiles] == [TS48_ICCID]
    assert card.export_profile(TS48_ICCID) == package
    # the metadata carries the same ICCID in the EF.ICCID coding
    assert codec.decode("StoreMetadataRequest", d.metadata or b"")["iccid"] == iccid_to_bytes(
        TS48_ICCID
    )


# -- 1b: size and structure faults are scp03tStructureError (7), MAC faults 8 ------------------


def test_b_an_oversized_segment_with_a_valid_mac_is_a_structure_error(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    smdp.segment_plaintext = 1100  # 86 segments of 1116 bytes: over the 1020-byte limit
    d = download(link, call, ADDRESS, "PROFILE-A")
    kind, err = _final(d)
    assert (kind, err["bppCommandId"], err["errorReason"]) == ("errorResult", 5, 7)
    assert card.profiles == []


def test_b_the_same_segments_within_the_limit_install(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    smdp.segment_plaintext = 1007  # the largest that fits (1 + 3 + 1008 + 8 = 1020)
    assert _final(download(link, call, ADDRESS, "PROFILE-A"))[0] == "successResult"


# -- 1c: profileClass: DEFAULT in StoreMetadataRequest, said in ProfileInfo ------------------


def test_c_the_smdp_leaves_the_default_class_out_and_the_card_says_it(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    smdp.orders["PROFILE-B"].profile_class = 0  # test
    a = download(link, call, ADDRESS, "PROFILE-A")  # operational
    b = download(link, call, ADDRESS, "PROFILE-B")
    assert 0x95 not in _tlvs(a.metadata or b"")  # DER leaves a DEFAULT value out
    assert _tlvs(b.metadata or b"")[0x95] == b"\x00"
    answer = link.send(bytes.fromhex("BF2D00"))  # GetProfilesInfo, every field
    _, start, _end = codec.read_tlv(answer)
    _, list_start, list_end = codec.read_tlv(answer, start)
    classes = [_tlvs(answer[s:e]).get(0x95) for _, s, e in _spans(answer, list_start, list_end)]
    assert classes == [b"\x02", b"\x00"]  # operational said, not left to a default


def _spans(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    for tag, _vs, ve in codec.iter_tlvs(data, start, end):
        out.append((tag, pos, ve))
        pos = ve
    return out


async def test_c_the_lpa_reads_the_class_the_card_sends(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink
) -> None:
    download(link, direct(smdp), ADDRESS, "PROFILE-A")
    transport = VirtualCardTransport(card)
    await transport.connect()
    async with Es10Channel(transport) as channel:
        infos = await Es10(channel).get_profiles()
    assert [i.profile_class for i in infos] == ["operational"]


# -- 1e: STORE DATA without data ------------------------------------------------------------


def test_e_store_data_with_no_data_field_is_wrong_length(card: VirtualEuicc) -> None:
    link = CardLink(card, aid=ISDR_AID)
    cla = cla_for_channel(link.channel)
    for apdu in (
        bytes([cla, 0xE2, 0x91, 0x00]),  # case 1
        bytes([cla, 0xE2, 0x91, 0x00, 0x00]),  # case 2 (Le only)
        bytes([cla, 0xE2, 0x11, 0x00]),  # "more blocks follow", but no block
    ):
        assert card.process(apdu) == b"\x67\x00", apdu.hex()
    # the channel still works afterwards
    assert link.send(bytes.fromhex("BF2E00"))[:2] == b"\xbf\x2e"
