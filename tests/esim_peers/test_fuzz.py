"""Garbage in: the virtual eUICC always answers a status word, the SM-DP+ only refuses."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simspot.esim.apdu import cla_for_channel
from simspot.simulator.euicc import VirtualEuicc
from simspot.simulator.pki import TestPki
from simspot.simulator.smdp import Es9Failure, TestSmdp

PKI = TestPki.generate()
ES10_TAGS = [bytes.fromhex(t) for t in (
    "BF20", "BF21", "BF22", "BF28", "BF29", "BF2B", "BF2D", "BF2E", "BF30", "BF31", "BF32", "BF33",
    "BF34", "BF35", "BF36", "BF38", "BF3C", "BF3E", "BF3F", "BF41", "BF43", "A0", "A3", "86", "87",
)]  # fmt: skip


def _card() -> VirtualEuicc:
    return VirtualEuicc(PKI.euicc_credentials())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=300))
def test_any_apdu_gets_a_status_word(apdu: bytes) -> None:
    answer = _card().process(apdu)
    assert len(answer) >= 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(ES10_TAGS),
    st.binary(max_size=200),
    st.lists(st.binary(max_size=120), max_size=3),
)
def test_any_es10_payload_gets_a_status_word(tag: bytes, body: bytes, more: list[bytes]) -> None:
    card = _card()
    channel = card.process(bytes.fromhex("0070000001"))[0]
    card.process(
        bytes([cla_for_channel(channel, proprietary=False), 0xA4, 0x04, 0x00, 16])
        + bytes.fromhex("A0000005591010FFFFFFFF8900000100")
    )
    card.process(
        bytes([cla_for_channel(channel), 0xE2, 0x91, 0, 3]) + b"\xbf\x2e\x00"
    )  # a challenge
    for payload in [tag + bytes([len(body) & 0x7F]) + body, *more]:
        for i in range(0, max(1, len(payload)), 255):
            chunk = payload[i : i + 255] or b"\x00"
            answer = card.process(
                bytes([cla_for_channel(channel), 0xE2, 0x91, 0, len(chunk)]) + chunk
            )
            assert len(answer) >= 2


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


SMDP = TestSmdp(PKI.smdp_credentials(), address="fuzz.test")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["initiate_authentication", "authenticate_client", "get_bound_profile_package",
         "cancel_session", "handle_notification"]
    ),
    st.dictionaries(
        st.sampled_from(["transactionId", "euiccChallenge", "euiccInfo1", "smdpAddress",
                         "authenticateServerResponse", "prepareDownloadResponse",
                         "cancelSessionResponse", "pendingNotification"]),
        st.one_of(st.binary(max_size=80).map(_b64), st.text(max_size=20), st.integers(), st.none()),
    ),
)  # fmt: skip
def test_any_es9_body_is_answered_or_refused(function: str, body: dict[str, Any]) -> None:
    if "smdpAddress" in body and isinstance(body["smdpAddress"], str) and body["smdpAddress"]:
        body["smdpAddress"] = "fuzz.test"
    try:
        getattr(SMDP, function)(body)
    except Es9Failure as failure:
        assert failure.subject.startswith("8.")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["serverSigned1", "serverCertificate", "authenticateServerResponse",
                     "smdpCertificate", "bpp-command"]),
    st.integers(min_value=0),
    st.integers(min_value=1, max_value=255),
    st.integers(min_value=0, max_value=12),
)  # fmt: skip
def test_a_corrupted_message_is_refused_cleanly(step: str, where: int, xor: int, nth: int) -> None:
    from simspot.simulator.profiles import make_iccid, sample_profile

    from .driver import CardLink, CardSw, direct, download

    card = _card()
    smdp = TestSmdp(PKI.smdp_credentials(), address="fuzz.test")
    package = sample_profile(2048, iccid=make_iccid(5))
    smdp.add_profile("P", package)

    seen = {"n": 0}

    def tamper(name: str, data: bytes) -> bytes:
        if name != step:
            return data
        seen["n"] += 1
        if name == "bpp-command" and seen["n"] - 1 != nth:
            return data
        raw = bytearray(data)
        raw[where % len(raw)] ^= xor
        return bytes(raw)

    try:
        d = download(CardLink(card), direct(smdp), "fuzz.test", "P", tamper=tamper)
    except (Es9Failure, CardSw):
        assert card.profiles == []
        return
    if d.result is None:  # the framing was corrupted: the card still waits, nothing stored
        assert card.profiles == []
        return
    kind, _ = d.result["profileInstallationResultData"]["finalResult"]
    if kind == "successResult":  # the flip hit something nobody checks (e.g. an unused field)
        assert card.export_profile(make_iccid(5)) == package
    else:
        assert card.profiles == []
