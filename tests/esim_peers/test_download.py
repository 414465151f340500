"""Full downloads driven between the test SM-DP+ and the virtual eUICC, then profile handling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simspot.esim import bsp, codec
from simspot.esim.iccid import iccid_to_bytes
from simspot.simulator.euicc import VirtualEuicc, operation_bits
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import make_iccid, sample_profile
from simspot.simulator.smdp import TestSmdp

from .conftest import ADDRESS
from .driver import CardLink, Es9Call, cancel, direct, download


def result_of(d: Any) -> tuple[str, Any]:
    kind, value = d.result["profileInstallationResultData"]["finalResult"]
    return kind, value


def profiles(link: CardLink) -> list[dict[str, Any]]:
    kind, items = codec.decode("ProfileInfoListResponse", link.send(bytes.fromhex("BF2D00")))
    assert kind == "profileInfoListOk"
    return list(items)


def es10(link: CardLink, type_name: str, value: Any, response: str) -> Any:
    return codec.decode(response, link.send(codec.encode(type_name, value)))


@pytest.mark.parametrize(("size", "block"), [(12 * 1024, 255), (19 * 1024, 255), (19 * 1024, 120)])
def test_installed_package_equals_the_served_one(
    test_pki: TestPki, tmp_path: Path, size: int, block: int
) -> None:
    card = VirtualEuicc(test_pki.euicc_credentials(), state_path=tmp_path / "card.json")
    smdp = TestSmdp(test_pki.smdp_credentials(), address=ADDRESS)
    served = sample_profile(size, iccid=make_iccid(7), name="big")
    smdp.add_profile("BIG", served)
    link = CardLink(card, block=block)
    d = download(link, direct(smdp), ADDRESS, "BIG")
    kind, ok = result_of(d)
    assert kind == "successResult"
    assert card.export_profile(make_iccid(7)) == served
    assert len(card.profiles) == 1 and not card.profiles[0].enabled
    # the SM-DP+ got the signed install notification
    got = smdp.notifications[-1]
    assert (got.kind, got.success, got.verified, got.iccid) == (
        "install",
        True,
        True,
        make_iccid(7),
    )
    assert smdp.orders["BIG"].installed == 1
    # APDU count: about one STORE DATA per block of every command
    assert link.apdus > size // block
    # and it survives a reload from the state file
    again = VirtualEuicc(test_pki.euicc_credentials(), state_path=tmp_path / "card.json")
    assert again.export_profile(make_iccid(7)) == served
    assert ok["aid"] == again.profiles[0].isdp_aid


def test_ppk_protected_download(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    smdp.use_ppk = True
    d = download(link, call, ADDRESS, "PROFILE-B")
    assert result_of(d)[0] == "successResult"
    assert d.bpp is not None and codec.decode("BoundProfilePackage", d.bpp)["secondSequenceOf87"]
    assert card.export_profile(make_iccid(2)) == smdp.orders["PROFILE-B"].package


def test_one_enabled_profile_notifications_nickname_delete(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    changes: list[str | None] = []
    card.on_change = changes.append
    for mid in ("PROFILE-A", "PROFILE-B"):
        assert result_of(download(link, call, ADDRESS, mid))[0] == "successResult"
    a, b = iccid_to_bytes(make_iccid(1)), iccid_to_bytes(make_iccid(2))
    enable = {"profileIdentifier": ("iccid", a), "refreshFlag": True}
    assert es10(link, "EnableProfileRequest", enable, "EnableProfileResponse")["enableResult"] == 0
    assert es10(link, "EnableProfileRequest", enable, "EnableProfileResponse")["enableResult"] == 2
    enable_b = {"profileIdentifier": ("iccid", b), "refreshFlag": True}
    assert (
        es10(link, "EnableProfileRequest", enable_b, "EnableProfileResponse")["enableResult"] == 0
    )
    states = {p["iccid"]: p["profileState"] for p in profiles(link)}
    assert states == {a: 0, b: 1}  # enabling B disabled A
    assert changes[-1] == make_iccid(2)
    # delete refuses the enabled profile
    assert (
        es10(link, "DeleteProfileRequest", ("iccid", b), "DeleteProfileResponse")["deleteResult"]
        == 2
    )
    # nickname
    nick = {"iccid": a, "profileNickname": "travel"}
    assert es10(link, "SetNicknameRequest", nick, "SetNicknameResponse")["setNicknameResult"] == 0
    assert next(p for p in profiles(link) if p["iccid"] == a)["profileNickname"] == "travel"
    # notifications: 2 installs, enable A, disable A + enable B (the metadata asks for them all)
    kind, listed = es10(link, "ListNotificationRequest", {}, "ListNotificationResponse")
    ops = [n["profileManagementOperation"] for n in listed]
    assert ops == [operation_bits(o) for o in ("install", "install", "enable", "disable", "enable")]
    only = {"profileManagementOperation": operation_bits("enable")}
    assert len(es10(link, "ListNotificationRequest", only, "ListNotificationResponse")[1]) == 2
    kind, pending = es10(
        link, "RetrieveNotificationsListRequest", {}, "RetrieveNotificationsListResponse"
    )
    assert kind == "notificationList" and len(pending) == 5
    for item in pending[2:]:
        smdp.handle_notification(
            {"pendingNotification": _b64(codec.encode("PendingNotification", item))}
        )
    assert [(n.kind, n.verified) for n in smdp.notifications[-3:]] == [
        ("enable", True),
        ("disable", True),
        ("enable", True),
    ]
    for n in listed:
        r = es10(
            link,
            "NotificationSentRequest",
            {"seqNumber": n["seqNumber"]},
            "NotificationSentResponse",
        )
        assert r["deleteNotificationStatus"] == 0
    r = es10(link, "NotificationSentRequest", {"seqNumber": 999}, "NotificationSentResponse")
    assert r["deleteNotificationStatus"] == 1
    by_seq = {"searchCriteria": ("seqNumber", 1)}
    assert es10(
        link, "RetrieveNotificationsListRequest", by_seq, "RetrieveNotificationsListResponse"
    ) == ("notificationsListResultError", 1)
    # disable + delete B; a delete notification is queued
    disable = {"profileIdentifier": ("iccid", b), "refreshFlag": False}
    assert (
        es10(link, "DisableProfileRequest", disable, "DisableProfileResponse")["disableResult"] == 0
    )
    assert (
        es10(link, "DisableProfileRequest", disable, "DisableProfileResponse")["disableResult"] == 2
    )
    assert (
        es10(link, "DeleteProfileRequest", ("iccid", b), "DeleteProfileResponse")["deleteResult"]
        == 0
    )
    assert (
        es10(link, "DeleteProfileRequest", ("iccid", b), "DeleteProfileResponse")["deleteResult"]
        == 1
    )
    assert [n.operation for n in card.notifications] == ["disable", "delete"]
    # everything persisted
    again = VirtualEuicc(card.credentials, state_path=card.state_path)
    assert [p.iccid for p in again.profiles] == [make_iccid(1)]
    assert again.profiles[0].nickname == "travel"
    assert [n.operation for n in again.notifications] == ["disable", "delete"]
    # memory reset deletes operational profiles
    reset = {"resetOptions": (b"\x80", 1)}
    assert (
        es10(link, "EuiccMemoryResetRequest", reset, "EuiccMemoryResetResponse")["resetResult"] == 0
    )
    assert (
        es10(link, "EuiccMemoryResetRequest", reset, "EuiccMemoryResetResponse")["resetResult"] == 1
    )
    assert card.profiles == []


def test_profile_info_filters(card: VirtualEuicc, link: CardLink, call: Es9Call) -> None:
    download(link, call, ADDRESS, "PROFILE-A")
    download(link, call, ADDRESS, "PROFILE-B")
    req = {
        "searchCriteria": ("iccid", iccid_to_bytes(make_iccid(2))),
        "tagList": bytes.fromhex("5A9F70"),
    }
    _, items = es10(link, "ProfileInfoListRequest", req, "ProfileInfoListResponse")
    assert len(items) == 1
    assert items[0] == {"iccid": iccid_to_bytes(make_iccid(2)), "profileState": 0}


@pytest.mark.parametrize("segments_sent", [1, 2, 4, 6])
def test_power_cycle_during_the_load_keeps_no_profile(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call, segments_sent: int
) -> None:
    d = download(link, call, ADDRESS, "PROFILE-A", stop_after_segments=segments_sent)
    assert d.pir is None
    card.reset()
    assert card.profiles == [] and card.notifications == []
    again = VirtualEuicc(card.credentials, state_path=card.state_path)
    assert again.profiles == []
    # the session is gone on the card: CancelSession says so; the SM-DP+ releases the order
    link = CardLink(card)
    assert cancel(link, call, d.transaction_id or "") == ("cancelSessionResponseError", 5)
    assert smdp.cancellations[-1].verified is False
    assert smdp.orders["PROFILE-A"].delivered == 0
    # and a new download works
    assert result_of(download(link, call, ADDRESS, "PROFILE-A"))[0] == "successResult"


def test_cancel_session_is_signed_and_releases_the_order(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    d = download(link, call, ADDRESS, "PROFILE-A", stop_after_segments=0)
    kind, _ = cancel(link, call, d.transaction_id or "", reason=5)
    assert kind == "cancelSessionResponseOk"
    assert smdp.cancellations[-1].verified is True and smdp.cancellations[-1].reason == 5
    assert not card.session_in_progress
    assert result_of(download(link, call, ADDRESS, "PROFILE-A"))[0] == "successResult"


def _flip_in_segment(tag: int, index: int = 0) -> Any:
    def tamper(step: str, data: bytes) -> bytes:
        if step != "bpp":
            return data
        parts = codec.decode("BoundProfilePackage", data)
        field = {0x87: "firstSequenceOf87", 0x88: "sequenceOf88", 0x86: "sequenceOf86"}[tag]
        seg = bytearray(parts[field][index])
        seg[len(seg) // 2] ^= 0x01
        parts[field][index] = bytes(seg)
        return codec.encode("BoundProfilePackage", parts)

    return tamper


@pytest.mark.parametrize(("tag", "command_id"), [(0x87, 1), (0x88, 2), (0x86, 5)])
def test_a_tampered_segment_is_refused_and_nothing_is_stored(
    card: VirtualEuicc, link: CardLink, call: Es9Call, tag: int, command_id: int
) -> None:
    d = download(link, call, ADDRESS, "PROFILE-A", tamper=_flip_in_segment(tag))
    kind, err = result_of(d)
    assert kind == "errorResult"
    assert (err["bppCommandId"], err["errorReason"]) == (command_id, 8)  # scp03tSecurityError
    assert card.profiles == []
    # the failed result is kept as a notification for the SM-DP+
    assert [n.operation for n in card.notifications] == ["install"]


def test_bad_init_secure_channel_signature(
    card: VirtualEuicc, link: CardLink, call: Es9Call
) -> None:
    def tamper(step: str, data: bytes) -> bytes:
        if step != "bpp":
            return data
        parts = codec.decode("BoundProfilePackage", data)
        parts["initialiseSecureChannelRequest"]["controlRefTemplate"]["hostId"] = b"forged"
        return codec.encode("BoundProfilePackage", parts)

    kind, err = result_of(download(link, call, ADDRESS, "PROFILE-A", tamper=tamper))
    assert (kind, err["bppCommandId"], err["errorReason"]) == ("errorResult", 0, 2)
    assert card.profiles == []


def test_duplicate_iccid_and_memory_full(test_pki: TestPki, smdp: TestSmdp, tmp_path: Path) -> None:
    card = VirtualEuicc(test_pki.euicc_credentials(), memory_bytes=20_000)
    link = CardLink(card)
    smdp.orders["PROFILE-A"].reusable = True
    call = direct(smdp)
    assert result_of(download(link, call, ADDRESS, "PROFILE-A"))[0] == "successResult"
    kind, err = result_of(download(link, call, ADDRESS, "PROFILE-A"))
    assert (kind, err["bppCommandId"], err["errorReason"]) == ("errorResult", 2, 9)
    smdp.add_profile("HUGE", sample_profile(16 * 1024, iccid=make_iccid(3)))
    kind, err = result_of(download(link, call, ADDRESS, "HUGE"))
    assert (kind, err["bppCommandId"], err["errorReason"]) == ("errorResult", 5, 10)
    assert [p.iccid for p in card.profiles] == [make_iccid(1)]


def test_iccid_mismatch_between_metadata_and_package(
    card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call: Es9Call
) -> None:
    smdp.add_profile("ODD", sample_profile(2048, iccid=make_iccid(8)), iccid=make_iccid(9))
    kind, err = result_of(download(link, call, ADDRESS, "ODD"))
    assert (kind, err["errorReason"]) == ("errorResult", 13)
    assert card.profiles == []


def test_whole_bpp_in_one_command_also_loads(
    card: VirtualEuicc, smdp: TestSmdp, call: Es9Call
) -> None:
    link = CardLink(card)
    d = download(link, call, ADDRESS, "PROFILE-B", stop_after_segments=0)
    assert d.bpp is not None
    assert bsp.TAG_BPP == b"\xbf\x36" and d.bpp[:2] == bsp.TAG_BPP
    # (the BPP was fetched; now send it as a single ES10 command)
    pir = codec.decode("ProfileInstallationResult", link.send(d.bpp))
    assert pir["profileInstallationResultData"]["finalResult"][0] == "successResult"


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()
