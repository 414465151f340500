"""The RSPDefinitions codec: every ES10/ES9+ message round-trips; decoders only raise our errors."""

from __future__ import annotations

import contextlib
import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.errors import SimspotError
from simspot.esim import codec
from simspot.esim.errors import DecodeError, EncodeError


def _certificate() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "codec test")])
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


CERT = _certificate()
TID = bytes(range(16))
ICCID = bytes.fromhex("98001032547698103214")
SKI = bytes(range(20))
EUICC_INFO1 = {
    "svn": b"\x02\x02\x02",
    "euiccCiPKIdListForVerification": [SKI],
    "euiccCiPKIdListForSigning": [SKI],
}
EUICC_INFO2 = {
    "profileVersion": b"\x02\x03\x01",
    "svn": b"\x02\x02\x02",
    "euiccFirmwareVer": b"\x01\x00\x00",
    "extCardResource": bytes.fromhex("810100820400010000830200ff"),
    "uiccCapability": (b"\x7f\xff\xe0", 19),
    "ts102241Version": b"\x03\x00\x05",
    "globalplatformVersion": b"\x02\x03\x01",
    "rspCapability": (b"\xf0", 4),
    "euiccCiPKIdListForVerification": [SKI],
    "euiccCiPKIdListForSigning": [SKI],
    "euiccCategory": 2,
    "ppVersion": b"\x01\x00\x00",
    "sasAcreditationNumber": "TEST-SAS-1",
    "certificationDataObject": {"platformLabel": "p", "discoveryBaseURL": "https://x"},
}
DEVICE_INFO = {
    "tac": bytes.fromhex("35290611"),
    "deviceCapabilities": {
        "gsmSupportedRelease": b"\x0f\x00\x00",
        "eutranEpcSupportedRelease": b"\x0f\x00\x00",
    },
    "imei": bytes.fromhex("3529061100000000"),
}
CTX = ("ctxParamsForCommonAuthentication", {"matchingId": "ABC-123", "deviceInfo": DEVICE_INFO})
SERVER_SIGNED1 = {
    "transactionId": TID,
    "euiccChallenge": b"\x11" * 16,
    "serverAddress": "smdp.example",
    "serverChallenge": b"\x22" * 16,
}
METADATA = {
    "iccid": ICCID,
    "serviceProviderName": "Op",
    "profileName": "Op test",
    "iconType": 1,
    "icon": b"\x89PNG",
    "profileClass": 1,
    "notificationConfigurationInfo": [
        {"profileManagementOperation": (b"\xf0", 4), "notificationAddress": "smdp.example"}
    ],
    "profileOwner": {"mccMnc": b"\x00\xf1\x10", "gid1": b"\x01"},
    "profilePolicyRules": (b"\x40", 2),
}
NOTIF_META = {
    "seqNumber": 5,
    "profileManagementOperation": (b"\x80", 1),
    "notificationAddress": "smdp.example",
    "iccid": ICCID,
}
PIR = {
    "profileInstallationResultData": {
        "transactionId": TID,
        "notificationMetadata": NOTIF_META,
        "smdpOid": "2.999.10",
        "finalResult": (
            "successResult",
            {"aid": bytes(16), "simaResponse": b"\x30\x03\x80\x01\x00"},
        ),
    },
    "euiccSignPIR": b"\x55" * 64,
}
PIR_ERROR = {
    "profileInstallationResultData": {
        "transactionId": TID,
        "notificationMetadata": NOTIF_META,
        "finalResult": ("errorResult", {"bppCommandId": 5, "errorReason": 10}),
    },
    "euiccSignPIR": b"\x55" * 64,
}
OTHER_NOTIF = {
    "tbsOtherNotification": NOTIF_META,
    "euiccNotificationSignature": b"\x66" * 64,
    "euiccCertificate": CERT,
    "eumCertificate": CERT,
}
AUTH_OK = {
    "euiccSigned1": {
        "transactionId": TID,
        "serverAddress": "smdp.example",
        "serverChallenge": b"\x22" * 16,
        "euiccInfo2": EUICC_INFO2,
        "ctxParams1": CTX,
    },
    "euiccSignature1": b"\x33" * 64,
    "euiccCertificate": CERT,
    "eumCertificate": CERT,
}
PREPARE_REQ = {
    "smdpSigned2": {
        "transactionId": TID,
        "ccRequiredFlag": True,
        "bppEuiccOtpk": b"\x04" + b"\x01" * 64,
    },
    "smdpSignature2": b"\x44" * 64,
    "hashCc": b"\x99" * 32,
    "smdpCertificate": CERT,
}
PREPARE_OK = (
    "downloadResponseOk",
    {
        "euiccSigned2": {
            "transactionId": TID,
            "euiccOtpk": b"\x04" + b"\x02" * 64,
            "hashCc": b"\x99" * 32,
        },
        "euiccSignature2": b"\x77" * 64,
    },
)
BPP = {
    "initialiseSecureChannelRequest": {
        "remoteOpId": 1,
        "transactionId": TID,
        "controlRefTemplate": {"keyType": b"\x88", "keyLen": b"\x10", "hostId": b"host"},
        "smdpOtpk": b"\x04" + b"\x03" * 64,
        "smdpSign": b"\x88" * 64,
    },
    "firstSequenceOf87": [b"\x01" * 40],
    "sequenceOf88": [b"\x02" * 300, b"\x03" * 20],
    "secondSequenceOf87": [b"\x04" * 60],
    "sequenceOf86": [b"\x05" * 1020, b"\x06" * 1020, b"\x07" * 33],
}
CANCEL_OK = (
    "cancelSessionResponseOk",
    {
        "euiccCancelSessionSigned": {"transactionId": TID, "smdpOid": "2.999.10", "reason": 0},
        "euiccCancelSessionSignature": b"\x12" * 64,
    },
)

SAMPLES: list[tuple[str, Any]] = [
    ("GetEuiccInfo1Request", {}),
    ("EUICCInfo1", EUICC_INFO1),
    ("GetEuiccInfo2Request", {}),
    ("EUICCInfo2", EUICC_INFO2),
    ("GetEuiccDataRequest", {"tagList": b"\x5a"}),
    ("GetEuiccDataResponse", {"eidValue": bytes.fromhex("89049032123451234512345678901235")}),
    ("ProfileInfoListRequest", {}),
    ("ProfileInfoListRequest", {"searchCriteria": ("iccid", ICCID), "tagList": b"\x5a\x9f\x70"}),
    ("ProfileInfoListRequest", {"searchCriteria": ("profileClass", 2)}),
    (
        "ProfileInfoListResponse",
        (
            "profileInfoListOk",
            [
                {
                    "iccid": ICCID,
                    "isdpAid": bytes.fromhex("a0000005591010ffffffff8900001000"),
                    "profileState": 1,
                    "profileNickname": "work",
                    "serviceProviderName": "Op",
                    "profileName": "Op test",
                    "profileClass": 2,
                    "dpProprietaryData": {"dpOid": "2.999.10"},
                    "profileOwner": {"mccMnc": b"\x00\xf1\x10"},
                },
                {"iccid": ICCID, "profileState": 0, "profileClass": 0},
            ],
        ),
    ),
    ("ProfileInfoListResponse", ("profileInfoListError", 1)),
    ("EnableProfileRequest", {"profileIdentifier": ("iccid", ICCID), "refreshFlag": True}),
    ("EnableProfileRequest", {"profileIdentifier": ("isdpAid", bytes(16)), "refreshFlag": False}),
    ("EnableProfileResponse", {"enableResult": 2}),
    ("DisableProfileRequest", {"profileIdentifier": ("iccid", ICCID), "refreshFlag": True}),
    ("DisableProfileResponse", {"disableResult": 0}),
    ("DeleteProfileRequest", ("iccid", ICCID)),
    ("DeleteProfileRequest", ("isdpAid", bytes(16))),
    ("DeleteProfileResponse", {"deleteResult": 2}),
    ("SetNicknameRequest", {"iccid": ICCID, "profileNickname": "Reise ✈"}),
    ("SetNicknameResponse", {"setNicknameResult": 1}),
    ("GetEuiccChallengeRequest", {}),
    ("GetEuiccChallengeResponse", {"euiccChallenge": b"\x11" * 16}),
    ("DeviceInfo", DEVICE_INFO),
    ("ServerSigned1", SERVER_SIGNED1),
    ("CtxParams1", CTX),
    (
        "AuthenticateServerRequest",
        {
            "serverSigned1": SERVER_SIGNED1,
            "serverSignature1": b"\x01" * 64,
            "euiccCiPKIdToBeUsed": SKI,
            "serverCertificate": CERT,
            "ctxParams1": CTX,
        },
    ),
    ("AuthenticateServerResponse", ("authenticateResponseOk", AUTH_OK)),
    (
        "AuthenticateServerResponse",
        ("authenticateResponseError", {"transactionId": TID, "authenticateErrorCode": 6}),
    ),
    ("EuiccSigned1", AUTH_OK["euiccSigned1"]),
    ("PrepareDownloadRequest", PREPARE_REQ),
    ("SmdpSigned2", PREPARE_REQ["smdpSigned2"]),
    ("PrepareDownloadResponse", PREPARE_OK),
    (
        "PrepareDownloadResponse",
        ("downloadResponseError", {"transactionId": TID, "downloadErrorCode": 2}),
    ),
    ("EUICCSigned2", PREPARE_OK[1]["euiccSigned2"]),
    ("BoundProfilePackage", BPP),
    ("InitialiseSecureChannelRequest", BPP["initialiseSecureChannelRequest"]),
    ("ConfigureISDPRequest", {"dpProprietaryData": {"dpOid": "1.3.6.1.4.1.31746"}}),
    ("ConfigureISDPRequest", {}),
    ("StoreMetadataRequest", METADATA),
    (
        "ReplaceSessionKeysRequest",
        {"initialMacChainingValue": b"\x01" * 16, "ppkEnc": b"\x02" * 16, "ppkCmac": b"\x03" * 16},
    ),
    ("ProfileInstallationResult", PIR),
    ("ProfileInstallationResult", PIR_ERROR),
    ("ProfileInstallationResultData", PIR["profileInstallationResultData"]),
    ("CancelSessionRequest", {"transactionId": TID, "reason": 1}),
    ("CancelSessionResponse", CANCEL_OK),
    ("CancelSessionResponse", ("cancelSessionResponseError", 5)),
    ("ListNotificationRequest", {}),
    ("ListNotificationRequest", {"profileManagementOperation": (b"\x40", 2)}),
    (
        "ListNotificationResponse",
        ("notificationMetadataList", [NOTIF_META, {**NOTIF_META, "seqNumber": 6}]),
    ),
    ("ListNotificationResponse", ("listNotificationsResultError", 127)),
    ("RetrieveNotificationsListRequest", {}),
    ("RetrieveNotificationsListRequest", {"searchCriteria": ("seqNumber", 5)}),
    (
        "RetrieveNotificationsListResponse",
        (
            "notificationList",
            [("profileInstallationResult", PIR), ("otherSignedNotification", OTHER_NOTIF)],
        ),
    ),
    ("RetrieveNotificationsListResponse", ("notificationsListResultError", 1)),
    ("PendingNotification", ("otherSignedNotification", OTHER_NOTIF)),
    ("OtherSignedNotification", OTHER_NOTIF),
    ("NotificationMetadata", NOTIF_META),
    ("NotificationSentRequest", {"seqNumber": 5}),
    ("NotificationSentResponse", {"deleteNotificationStatus": 0}),
    ("EuiccConfiguredAddressesRequest", {}),
    (
        "EuiccConfiguredAddressesResponse",
        {"defaultDpAddress": "smdp.example", "rootDsAddress": "lpa.ds.gsma.com"},
    ),
    ("EuiccConfiguredAddressesResponse", {"rootDsAddress": "lpa.ds.gsma.com"}),
    ("SetDefaultDpAddressRequest", {"defaultDpAddress": "smdp.example"}),
    ("SetDefaultDpAddressResponse", {"setDefaultDpAddressResult": 0}),
    ("GetRatRequest", {}),
    (
        "GetRatResponse",
        {
            "rat": [
                {
                    "pprIds": (b"\x60", 3),
                    "allowedOperators": [{"mccMnc": b"\xee\xee\xee"}],
                    "pprFlags": (b"\x80", 1),
                }
            ]
        },
    ),
    ("EuiccMemoryResetRequest", {"resetOptions": (b"\xe0", 3)}),
    ("EuiccMemoryResetResponse", {"resetResult": 0}),
    (
        "InitiateAuthenticationRequest",
        {"euiccChallenge": b"\x11" * 16, "smdpAddress": "smdp.example", "euiccInfo1": EUICC_INFO1},
    ),
    (
        "AuthenticateClientResponseEs9",
        (
            "authenticateClientOk",
            {
                "transactionId": TID,
                "profileMetaData": METADATA,
                "smdpSigned2": PREPARE_REQ["smdpSigned2"],
                "smdpSignature2": PREPARE_REQ["smdpSignature2"],
                "smdpCertificate": PREPARE_REQ["smdpCertificate"],
            },
        ),
    ),
    (
        "GetBoundProfilePackageRequest",
        {"transactionId": TID, "prepareDownloadResponse": PREPARE_OK},
    ),
    ("HandleNotification", {"pendingNotification": ("profileInstallationResult", PIR)}),
    ("CancelSessionRequestEs9", {"transactionId": TID, "cancelSessionResponse": CANCEL_OK}),
    (
        "AuthenticateClientResponseEs11",
        (
            "authenticateClientOk",
            {
                "transactionId": TID,
                "eventEntries": [{"eventId": "E1", "rspServerAddress": "smdp.example"}],
            },
        ),
    ),
]


@pytest.mark.parametrize(
    ("type_name", "value"), SAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SAMPLES)]
)
def test_round_trip(type_name: str, value: Any) -> None:
    data = codec.encode(type_name, value)
    assert codec.decode(type_name, data) == value
    # DER is canonical: re-encoding the decoded value gives the same bytes.
    assert codec.encode(type_name, codec.decode(type_name, data)) == data


@pytest.mark.parametrize(
    ("type_name", "value", "first_bytes"),
    [
        ("GetEuiccInfo1Request", {}, "bf2000"),
        ("GetEuiccInfo2Request", {}, "bf2200"),
        ("GetEuiccDataRequest", {"tagList": b"\x5a"}, "bf3e035c015a"),
        ("ProfileInfoListRequest", {}, "bf2d00"),
        ("GetEuiccChallengeRequest", {}, "bf2e00"),
        ("ListNotificationRequest", {}, "bf2800"),
        ("RetrieveNotificationsListRequest", {}, "bf2b00"),
        ("NotificationSentRequest", {"seqNumber": 5}, "bf3003800105"),
        ("EuiccConfiguredAddressesRequest", {}, "bf3c00"),
        ("GetRatRequest", {}, "bf4300"),
        ("DeleteProfileRequest", ("iccid", ICCID), "bf330c5a0a" + ICCID.hex()),
        (
            "EnableProfileRequest",
            {"profileIdentifier": ("iccid", ICCID), "refreshFlag": True},
            "bf3111a00c5a0a" + ICCID.hex() + "8101ff",
        ),
        ("CancelSessionRequest", {"transactionId": b"\x01", "reason": 0}, "bf4106800101810100"),
        (
            "EuiccMemoryResetRequest",
            {"resetOptions": (b"\x80", 1)},
            "bf3404820207 80".replace(" ", ""),
        ),
    ],
)
def test_tags_match_sgp22(type_name: str, value: Any, first_bytes: str) -> None:
    assert codec.encode(type_name, value).hex() == first_bytes


def test_certificates_travel_byte_for_byte() -> None:
    ok = codec.decode(
        "AuthenticateServerResponse",
        codec.encode("AuthenticateServerResponse", ("authenticateResponseOk", AUTH_OK)),
    )
    assert ok[1]["euiccCertificate"] == CERT
    x509.load_der_x509_certificate(ok[1]["eumCertificate"])


def test_private_oid_arcs_survive() -> None:
    data = codec.encode("DpProprietaryData", {"dpOid": "2.999.123456.7"})
    assert codec.decode("DpProprietaryData", data) == {"dpOid": "2.999.123456.7"}
    data = codec.encode("DpProprietaryData", {"dpOid": "2.40.1"})
    assert codec.decode("DpProprietaryData", data) == {"dpOid": "2.40.1"}


def test_extension_fields_of_newer_cards_are_skipped() -> None:
    plain = codec.encode("EUICCInfo1", EUICC_INFO1)
    extra = bytes.fromhex("8d0102")  # a field a later SGP.22 version appends
    data = bytes([0xBF, 0x20, plain[2] + len(extra)]) + plain[3:] + extra
    assert codec.decode("EUICCInfo1", data) == EUICC_INFO1


def test_errors_are_ours() -> None:
    with pytest.raises(EncodeError, match="GetEuiccChallengeResponse"):
        codec.encode("GetEuiccChallengeResponse", {"euiccChallenge": b"short"})
    with pytest.raises(EncodeError, match=r"unknown ASN\.1 type"):
        codec.encode("NoSuchType", {})
    with pytest.raises(DecodeError, match="no data"):
        codec.decode("EUICCInfo1", b"")
    with pytest.raises(DecodeError, match="unexpected bytes"):
        codec.decode("GetEuiccInfo1Request", bytes.fromhex("bf200000"))
    assert (
        codec.decode("GetEuiccInfo1Request", bytes.fromhex("bf200000"), allow_trailing=True) == {}
    )


def test_tlv_reader() -> None:
    data = codec.encode("BoundProfilePackage", BPP)
    tag, start, end = codec.read_tlv(data)
    assert tag == 0xBF36 and end == len(data)
    inner = [t for t, _, _ in codec.iter_tlvs(data, start, end)]
    assert inner == [0xBF23, 0xA0, 0xA1, 0xA2, 0xA3]
    with pytest.raises(DecodeError):
        codec.read_tlv(b"\x86\x05\x00")
    with pytest.raises(DecodeError):
        codec.read_tlv(b"\x86\x80\x00")
    assert codec.encode_length(5) == b"\x05"
    assert codec.encode_length(300) == b"\x82\x01\x2c"


FUZZ_TYPES = [  # every type the LPA decodes from a card or an SM-DP+
    "EUICCInfo1",
    "EUICCInfo2",
    "GetEuiccDataResponse",
    "ProfileInfoListResponse",
    "AuthenticateServerResponse",
    "PrepareDownloadResponse",
    "BoundProfilePackage",
    "ProfileInstallationResult",
    "RetrieveNotificationsListResponse",
    "ListNotificationResponse",
    "AuthenticateClientResponseEs9",
    "EuiccConfiguredAddressesResponse",
    "SetDefaultDpAddressResponse",
    "GetRatResponse",
    "EnableProfileResponse",
    "DisableProfileResponse",
    "DeleteProfileResponse",
    "SetNicknameResponse",
    "EuiccMemoryResetResponse",
    "GetEuiccChallengeResponse",
    "CancelSessionResponse",
    "NotificationSentResponse",
    "StoreMetadataRequest",
    "SmdpSigned2",
    "ServerSigned1",
]


@settings(max_examples=300, deadline=None)
@given(type_name=st.sampled_from(FUZZ_TYPES), data=st.binary(max_size=200))
def test_fuzzed_random_bytes_raise_only_our_errors(type_name: str, data: bytes) -> None:
    with contextlib.suppress(SimspotError):
        codec.decode(type_name, data)


VALID = [codec.encode(n, v) for n, v in SAMPLES]


@settings(max_examples=400, deadline=None)
@given(
    index=st.integers(0, len(SAMPLES) - 1),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.integers(0, 10_000),
)
def test_fuzzed_mutations_raise_only_our_errors(
    index: int, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(VALID[index])
    for pos, byte in flips:
        data[pos % len(data)] = byte
    data = data[: max(1, cut % (len(data) + 1))]
    with contextlib.suppress(SimspotError):
        codec.decode(SAMPLES[index][0], bytes(data))


def test_a_list_entry_with_the_wrong_tag_is_refused_not_looped_on() -> None:
    # asn1tools' DER decoder looped for ever (and took all memory) on a SEQUENCE OF entry with the
    # wrong tag; run in a child process so that a return of the bug fails instead of hanging.
    import subprocess
    import sys

    code = """
from simspot.esim import codec
from simspot.esim.errors import DecodeError
for name, hexdata in [
    ("ProfileInfoListResponse", "BF2D04A0020400"),  # an OCTET STRING where a ProfileInfo goes
    ("ProfileInfoListResponse", "BF2D06A004E3000400"),  # a good entry, then a bad one
]:
    try:
        codec.decode(name, bytes.fromhex(hexdata))
    except DecodeError as exc:
        print("refused:", exc)
    else:
        print("decoded")
"""
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(x.startswith("refused:") for x in lines), lines
    assert "ProfileInfo" in lines[0]
    ok = codec.decode("ProfileInfoListResponse", bytes.fromhex("BF2D04A002E300"))
    assert ok == ("profileInfoListOk", [{}])


def test_an_unknown_alternative_inside_a_value_is_refused() -> None:
    # Found by fuzzing the ES10 layer: asn1tools decodes an unknown CHOICE alternative as
    # (None, None) at any depth; only the top level was refused, so a ProfileInstallationResult
    # whose finalResult had tag A7 (or a notification list entry with an unknown tag) reached
    # the field lookups and raised TypeError.
    from simspot.esim import es10

    data = bytearray(codec.encode("ProfileInstallationResult", PIR_ERROR))
    final = data.index(bytes.fromhex("a208a106"))
    data[final + 2] = 0xA7
    with pytest.raises(DecodeError) as caught:
        codec.decode("ProfileInstallationResult", bytes(data))
    assert caught.value.msg_id == "esim.codec.unknown-alternative-in"
    assert "finalResult" in str(caught.value)
    with pytest.raises(DecodeError):
        es10.parse_install_result(bytes(data))
    bad_entry = bytes.fromhex("bf2b04a002a000")  # a notification list whose entry is [0] {}
    with pytest.raises(DecodeError, match="notificationList"):
        codec.decode("RetrieveNotificationsListResponse", bad_entry)
