"""ES10a/b/c: the LPA's commands to the eUICC, typed (SGP.22 5.7).

:class:`Es10` wraps anything that can ``transceive`` one ES10 command (an open
:class:`~simspot.esim.apdu.Es10Channel`) and turns each command into a call with plain Python
arguments and results. Messages that are signed by one peer and checked by the other (ServerSigned1,
the BPP, pending notifications) are passed through as the exact bytes received, never re-encoded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from simspot.esim import codec
from simspot.esim.errors import (
    DecodeError,
    EsimError,
    EsimValueError,
    EuiccResultError,
    ProtocolError,
)
from simspot.esim.iccid import iccid_from_bytes, iccid_to_bytes

ProfileRef = str | bytes  # an ICCID (digits) or an ISD-P AID (bytes)

NOTIFICATION_EVENTS = ("install", "enable", "disable", "delete")  # NotificationEvent bits 0-3
PROFILE_CLASSES = {0: "test", 1: "provisioning", 2: "operational"}
PROFILE_STATES = {0: "disabled", 1: "enabled"}

# Tags of the ES10 commands (first bytes of each request), for logs and the virtual card.
TAG_PROFILE_INFO_LIST = 0xBF2D  # ProfileInfoListRequest, SGP.22 5.7.15
TAG_BPP = 0xBF36  # BoundProfilePackage, SGP.22 2.5.5
TAG_INITIALISE_SECURE_CHANNEL = 0xBF23  # SGP.22 5.5.1
TAG_PROFILE_INSTALLATION_RESULT = 0xBF37  # SGP.22 5.7.6
TAG_RETRIEVE_NOTIFICATIONS = 0xBF2B  # SGP.22 5.7.10


class Transceiver(Protocol):
    async def transceive(self, payload: bytes) -> bytes: ...


def hash_confirmation_code(code: str, transaction_id: bytes) -> bytes:
    """hashCc of PrepareDownload: SHA-256(SHA-256(code) || transactionId), SGP.22 3.1.3.1."""
    return hashlib.sha256(hashlib.sha256(code.encode()).digest() + transaction_id).digest()


def bits(value: tuple[bytes, int]) -> list[int]:
    """The set bit numbers of an asn1tools BIT STRING (bit 0 = most significant)."""
    data, count = value
    return [i for i in range(count) if data[i // 8] & (0x80 >> (i % 8))]


def bit_string(numbers: list[int]) -> tuple[bytes, int]:
    """An asn1tools BIT STRING with the given bits set (DER: trailing zero bits dropped)."""
    if not numbers:
        return b"", 0
    count = max(numbers) + 1
    data = bytearray((count + 7) // 8)
    for n in numbers:
        data[n // 8] |= 0x80 >> (n % 8)
    return bytes(data), count


def version(data: bytes) -> str:
    return ".".join(str(b) for b in data)


@dataclass(frozen=True)
class EuiccInfo1:
    raw: bytes  # the exact BF20 TLV, sent to the SM-DP+ as is
    svn: str
    ci_pkids_verification: list[bytes]
    ci_pkids_signing: list[bytes]


@dataclass(frozen=True)
class EuiccInfo2:
    raw: bytes
    profile_version: str
    svn: str
    firmware_version: str
    free_nvm: int | None
    installed_applications: int | None
    ci_pkids_verification: list[bytes]
    ci_pkids_signing: list[bytes]
    sas_accreditation_number: str
    category: int | None


@dataclass(frozen=True)
class ProfileInfo:
    iccid: str | None
    isdp_aid: bytes | None
    state: Literal["enabled", "disabled"]
    nickname: str | None
    provider: str | None
    name: str | None
    profile_class: str
    icon_type: str | None = None
    icon: bytes | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "iccid": self.iccid,
            "isdp_aid": self.isdp_aid.hex().upper() if self.isdp_aid else None,
            "state": self.state,
            "nickname": self.nickname,
            "provider": self.provider,
            "name": self.name,
            "profile_class": self.profile_class,
        }


@dataclass(frozen=True)
class NotificationInfo:
    seq_number: int
    operation: str  # install / enable / disable / delete
    address: str
    iccid: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "seq_number": self.seq_number,
            "operation": self.operation,
            "address": self.address,
            "iccid": self.iccid,
        }


@dataclass(frozen=True)
class PendingNotification:
    info: NotificationInfo
    raw: bytes  # the exact signed PendingNotification TLV, for ES9+ handleNotification


@dataclass(frozen=True)
class ConfiguredAddresses:
    default_dp_address: str | None
    root_ds_address: str


@dataclass(frozen=True)
class InstallResult:
    """A ProfileInstallationResult (BF37) as the eUICC returned it."""

    raw: bytes
    transaction_id: bytes
    success: bool
    isdp_aid: bytes | None
    iccid: str | None
    bpp_command_id: int | None
    error_reason: int | None
    notification: NotificationInfo


@dataclass
class LoadProgress:
    """Progress of LoadBoundProfilePackage: ``sent`` of ``total`` ES10 commands."""

    sent: int = 0
    total: int = 0
    bytes_sent: int = 0
    bytes_total: int = 0
    steps: list[str] = field(default_factory=list)


def _notification_info(meta: dict[str, Any]) -> NotificationInfo:
    set_bits = bits(meta["profileManagementOperation"])
    op = NOTIFICATION_EVENTS[set_bits[0]] if set_bits and set_bits[0] < 4 else "unknown"
    iccid = meta.get("iccid")
    return NotificationInfo(
        seq_number=meta["seqNumber"],
        operation=op,
        address=meta["notificationAddress"],
        iccid=iccid_from_bytes(iccid) if iccid is not None else None,
    )


def parse_install_result(raw: bytes) -> InstallResult:
    value = codec.decode("ProfileInstallationResult", raw)
    data = value["profileInstallationResultData"]
    kind, result = data["finalResult"]
    meta = data["notificationMetadata"]
    info = _notification_info(meta)
    if kind == "successResult":
        return InstallResult(
            raw, data["transactionId"], True, result["aid"], info.iccid, None, None, info
        )
    return InstallResult(
        raw,
        data["transactionId"],
        False,
        None,
        info.iccid,
        result["bppCommandId"],
        result["errorReason"],
        info,
    )


def split_bpp(bpp: bytes) -> list[tuple[str, bytes]]:
    """Cut a Bound Profile Package into the ES10b.LoadBoundProfilePackage commands (SGP.22 2.5.5).

    BF36 header + BF23; A0 whole; A1 header then each 88; A2 whole (optional); A3 header then
    each 86. Returns (step name, command bytes) pairs.
    """
    tag, start, end = codec.read_tlv(bpp)
    if tag != TAG_BPP or end != len(bpp):
        raise DecodeError(msg_id="esim.es10.not-bpp")
    parts = codec.iter_tlvs(bpp, start, end)
    tags = [t for t, _, _ in parts]
    if tags not in ([0xBF23, 0xA0, 0xA1, 0xA3], [0xBF23, 0xA0, 0xA1, 0xA2, 0xA3]):
        raise DecodeError(
            msg_id="esim.es10.bpp-order", params={"tags": " ".join(f"{t:X}" for t in tags)}
        )
    header_end = start
    out: list[tuple[str, bytes]] = []
    element_start = start
    for t, vstart, vend in parts:
        if t == 0xBF23:
            out.append(("InitialiseSecureChannel", bpp[:header_end] + bpp[element_start:vend]))
        elif t in (0xA0, 0xA2):
            name = "ConfigureISDP" if t == 0xA0 else "ReplaceSessionKeys"
            out.append((name, bpp[element_start:vend]))
        else:
            child_tag = 0x88 if t == 0xA1 else 0x86
            name = "StoreMetadata" if t == 0xA1 else "LoadProfileElements"
            out.append((name, bpp[element_start:vstart]))
            for ct, _, cend in codec.iter_tlvs(bpp, vstart, vend):
                if ct != child_tag:
                    raise DecodeError(
                        msg_id="esim.es10.bpp-unexpected-tag",
                        params={"tag": f"{ct:X}", "parent": f"{t:X}"},
                    )
                out.append((name, bpp[vstart:cend]))
                vstart = cend
        element_start = vend
    return out


class Es10:
    """The ES10a/b/c commands over one open ISD-R channel."""

    def __init__(self, channel: Transceiver) -> None:
        self._channel = channel

    async def _call(self, request_type: str, request: Any, response_type: str) -> Any:
        raw = await self._channel.transceive(codec.encode(request_type, request))
        return codec.decode(response_type, raw)

    async def _raw(self, payload: bytes) -> bytes:
        return await self._channel.transceive(payload)

    # --- ES10b / ES10c information -----------------------------------------------------------

    async def get_euicc_info1(self) -> EuiccInfo1:
        raw = await self._raw(codec.encode("GetEuiccInfo1Request", {}))
        value = codec.decode("EUICCInfo1", raw)
        return EuiccInfo1(
            raw,
            version(value["svn"]),
            value["euiccCiPKIdListForVerification"],
            value["euiccCiPKIdListForSigning"],
        )

    async def get_euicc_info2(self) -> EuiccInfo2:
        raw = await self._raw(codec.encode("GetEuiccInfo2Request", {}))
        value = codec.decode("EUICCInfo2", raw)
        free_nvm, apps = _ext_card_resource(value["extCardResource"])
        return EuiccInfo2(
            raw=raw,
            profile_version=version(value["profileVersion"]),
            svn=version(value["svn"]),
            firmware_version=version(value["euiccFirmwareVer"]),
            free_nvm=free_nvm,
            installed_applications=apps,
            ci_pkids_verification=value["euiccCiPKIdListForVerification"],
            ci_pkids_signing=value["euiccCiPKIdListForSigning"],
            sas_accreditation_number=value["sasAcreditationNumber"],
            category=value.get("euiccCategory"),
        )

    async def get_eid(self) -> str:
        value = await self._call(
            "GetEuiccDataRequest", {"tagList": b"\x5a"}, "GetEuiccDataResponse"
        )
        return str(value["eidValue"].hex().upper())

    async def get_profiles(self, iccid: str | None = None) -> list[ProfileInfo]:
        request: dict[str, Any] = {}
        if iccid is not None:
            request["searchCriteria"] = ("iccid", iccid_to_bytes(iccid))
        kind, value = await self._call("ProfileInfoListRequest", request, "ProfileInfoListResponse")
        if kind != "profileInfoListOk":
            raise EuiccResultError("GetProfilesInfo", value)
        return [_profile_info(p) for p in value]

    async def get_configured_addresses(self) -> ConfiguredAddresses:
        value = await self._call(
            "EuiccConfiguredAddressesRequest", {}, "EuiccConfiguredAddressesResponse"
        )
        return ConfiguredAddresses(value.get("defaultDpAddress"), value["rootDsAddress"])

    async def set_default_dp_address(self, address: str) -> None:
        value = await self._call(
            "SetDefaultDpAddressRequest",
            {"defaultDpAddress": address},
            "SetDefaultDpAddressResponse",
        )
        _check("SetDefaultDpAddress", value["setDefaultDpAddressResult"])

    async def get_rat(self) -> list[dict[str, Any]]:
        value = await self._call("GetRatRequest", {}, "GetRatResponse")
        rules = []
        for rule in value["rat"]:
            rules.append(
                {
                    "ppr_ids": bits(rule["pprIds"]),
                    "allowed_operators": [
                        op["mccMnc"].hex().upper() for op in rule["allowedOperators"]
                    ],
                    "consent_required": 0 in bits(rule["pprFlags"]),
                }
            )
        return rules

    # --- ES10c profile management ------------------------------------------------------------

    async def enable_profile(self, profile: ProfileRef, *, refresh: bool = True) -> None:
        value = await self._call(
            "EnableProfileRequest",
            {"profileIdentifier": _identifier(profile), "refreshFlag": refresh},
            "EnableProfileResponse",
        )
        _check("EnableProfile", value["enableResult"])

    async def disable_profile(self, profile: ProfileRef, *, refresh: bool = True) -> None:
        value = await self._call(
            "DisableProfileRequest",
            {"profileIdentifier": _identifier(profile), "refreshFlag": refresh},
            "DisableProfileResponse",
        )
        _check("DisableProfile", value["disableResult"])

    async def delete_profile(self, profile: ProfileRef) -> None:
        value = await self._call(
            "DeleteProfileRequest", _identifier(profile), "DeleteProfileResponse"
        )
        _check("DeleteProfile", value["deleteResult"])

    async def set_nickname(self, iccid: str, nickname: str) -> None:
        if len(nickname.encode()) > 64:
            raise EsimValueError(
                "a profile nickname is at most 64 bytes of UTF-8", msg_id="esim.nickname-long"
            )
        value = await self._call(
            "SetNicknameRequest",
            {"iccid": iccid_to_bytes(iccid), "profileNickname": nickname},
            "SetNicknameResponse",
        )
        _check("SetNickname", value["setNicknameResult"])

    async def memory_reset(
        self,
        *,
        confirm: bool,
        operational: bool = True,
        test: bool = True,
        default_dp_address: bool = True,
    ) -> None:
        """eUICCMemoryReset: deletes profiles. Refused unless ``confirm`` is True."""
        if not confirm:
            raise EsimError(
                "eUICC memory reset deletes profiles; it needs an explicit confirmation",
                msg_id="esim.reset-confirm-card",
            )
        options = [n for n, on in enumerate((operational, test, default_dp_address)) if on]
        if not options:
            raise EsimValueError(
                "memory reset with nothing selected to reset", msg_id="esim.reset-nothing"
            )
        value = await self._call(
            "EuiccMemoryResetRequest",
            {"resetOptions": bit_string(options)},
            "EuiccMemoryResetResponse",
        )
        if value["resetResult"] not in (0, 1):  # 1: nothingToDelete, the card is as asked
            _check("EuiccMemoryReset", value["resetResult"])

    # --- ES10b download ----------------------------------------------------------------------

    async def get_euicc_challenge(self) -> bytes:
        value = await self._call("GetEuiccChallengeRequest", {}, "GetEuiccChallengeResponse")
        return bytes(value["euiccChallenge"])

    async def authenticate_server(
        self,
        *,
        server_signed1: bytes,
        server_signature1: bytes,
        euicc_ci_pkid_to_be_used: bytes,
        server_certificate: bytes,
        matching_id: str | None,
        device_info: dict[str, Any],
    ) -> bytes:
        """ES10b.AuthenticateServer; returns the raw AuthenticateServerResponse for the SM-DP+."""
        ctx: dict[str, Any] = {"deviceInfo": device_info}
        if matching_id is not None:
            ctx["matchingId"] = matching_id
        body = (
            server_signed1
            + server_signature1
            + euicc_ci_pkid_to_be_used
            + server_certificate
            + codec.encode("CtxParams1", ("ctxParamsForCommonAuthentication", ctx))
        )
        raw = await self._raw(b"\xbf\x38" + codec.encode_length(len(body)) + body)
        kind, value = codec.decode("AuthenticateServerResponse", raw)
        if kind != "authenticateResponseOk":
            raise EuiccResultError("AuthenticateServer", value["authenticateErrorCode"])
        return raw

    async def prepare_download(
        self,
        *,
        smdp_signed2: bytes,
        smdp_signature2: bytes,
        smdp_certificate: bytes,
        hash_cc: bytes | None = None,
    ) -> bytes:
        """ES10b.PrepareDownload; returns the raw PrepareDownloadResponse for the SM-DP+."""
        cc = b"" if hash_cc is None else b"\x04\x20" + hash_cc
        body = smdp_signed2 + smdp_signature2 + cc + smdp_certificate
        raw = await self._raw(b"\xbf\x21" + codec.encode_length(len(body)) + body)
        kind, value = codec.decode("PrepareDownloadResponse", raw)
        if kind != "downloadResponseOk":
            raise EuiccResultError("PrepareDownload", value["downloadErrorCode"])
        return raw

    async def load_bound_profile_package(
        self,
        bpp: bytes,
        progress: Callable[[LoadProgress], None] | None = None,
    ) -> InstallResult:
        """ES10b.LoadBoundProfilePackage, TLV by TLV; returns the ProfileInstallationResult.

        The eUICC may answer a ProfileInstallationResult early (an error); loading stops there.
        """
        commands = split_bpp(bpp)
        state = LoadProgress(total=len(commands), bytes_total=len(bpp))
        for name, command in commands:
            answer = await self._raw(command)
            state.sent += 1
            state.bytes_sent += len(command)
            state.steps.append(name)
            if progress is not None:
                progress(state)
            if answer:
                result = parse_install_result(answer)
                if result.success and state.sent != state.total:
                    raise ProtocolError(
                        "the eUICC reported success before the whole package was sent",
                        msg_id="esim.install.early-success",
                    )
                return result
        raise ProtocolError(
            "the eUICC sent no ProfileInstallationResult after the last segment",
            msg_id="esim.install.no-result",
        )

    async def cancel_session(self, transaction_id: bytes, reason: int) -> bytes:
        """ES10b.CancelSession; returns the raw signed CancelSessionResponse for the SM-DP+."""
        raw = await self._raw(
            codec.encode(
                "CancelSessionRequest", {"transactionId": transaction_id, "reason": reason}
            )
        )
        kind, value = codec.decode("CancelSessionResponse", raw)
        if kind != "cancelSessionResponseOk":
            raise EuiccResultError("CancelSession", value)
        return raw

    # --- ES10b notifications -----------------------------------------------------------------

    async def list_notifications(self, operation: str | None = None) -> list[NotificationInfo]:
        request: dict[str, Any] = {}
        if operation is not None:
            request["profileManagementOperation"] = bit_string([_event_bit(operation)])
        kind, value = await self._call(
            "ListNotificationRequest", request, "ListNotificationResponse"
        )
        if kind != "notificationMetadataList":
            raise EuiccResultError("ListNotification", value)
        return [_notification_info(m) for m in value]

    async def retrieve_notifications(
        self, seq_number: int | None = None
    ) -> list[PendingNotification]:
        request: dict[str, Any] = {}
        if seq_number is not None:
            request["searchCriteria"] = ("seqNumber", seq_number)
        raw = await self._raw(codec.encode("RetrieveNotificationsListRequest", request))
        kind, value = codec.decode("RetrieveNotificationsListResponse", raw)
        if kind != "notificationList":
            if value == 1:  # noResultAvailable
                return []
            raise EuiccResultError("RetrieveNotificationsList", value)
        # Keep each notification's exact bytes: its signature covers them.
        _, start, _ = codec.read_tlv(raw)
        _, pos, list_end = codec.read_tlv(raw, start)
        out = []
        for kind_n, notification in value:
            _, _, element_end = codec.read_tlv(raw[:list_end], pos)
            if kind_n == "profileInstallationResult":
                meta = notification["profileInstallationResultData"]["notificationMetadata"]
            else:
                meta = notification["tbsOtherNotification"]
            out.append(PendingNotification(_notification_info(meta), raw[pos:element_end]))
            pos = element_end
        if pos != list_end:
            raise DecodeError(msg_id="esim.es10.notification-trailing")
        return out

    async def remove_notification(self, seq_number: int) -> None:
        value = await self._call(
            "NotificationSentRequest", {"seqNumber": seq_number}, "NotificationSentResponse"
        )
        _check("RemoveNotificationFromList", value["deleteNotificationStatus"])


def _check(command: str, code: int) -> None:
    if code != 0:
        raise EuiccResultError(command, code)


def _event_bit(operation: str) -> int:
    try:
        return NOTIFICATION_EVENTS.index(operation)
    except ValueError:
        raise EsimValueError(
            msg_id="esim.es10.notification-operation",
            params={"choices": list(NOTIFICATION_EVENTS)},
        ) from None


def _identifier(profile: ProfileRef) -> tuple[str, bytes]:
    if isinstance(profile, bytes):
        if not 1 <= len(profile) <= 16:
            raise EsimValueError(msg_id="esim.es10.isdp-aid-length")
        return ("isdpAid", profile)
    return ("iccid", iccid_to_bytes(profile))


def _profile_info(p: dict[str, Any]) -> ProfileInfo:
    iccid = p.get("iccid")
    icon_type = p.get("iconType")
    return ProfileInfo(
        iccid=iccid_from_bytes(iccid) if iccid is not None else None,
        isdp_aid=p.get("isdpAid"),
        state="enabled" if p.get("profileState") == 1 else "disabled",
        nickname=p.get("profileNickname"),
        provider=p.get("serviceProviderName"),
        name=p.get("profileName"),
        profile_class=PROFILE_CLASSES.get(p.get("profileClass", 2), "operational"),
        icon_type={0: "jpg", 1: "png"}.get(icon_type) if icon_type is not None else None,
        icon=p.get("icon"),
    )


def _ext_card_resource(data: bytes) -> tuple[int | None, int | None]:
    """Free non-volatile memory and installed application count (ETSI TS 102 226 8.2.1.7.2)."""
    free: int | None = None
    apps: int | None = None
    try:
        for tag, start, end in codec.iter_tlvs(data):
            if tag == 0x81:
                apps = int.from_bytes(data[start:end], "big")
            elif tag == 0x82:
                free = int.from_bytes(data[start:end], "big")
    except DecodeError:
        return None, None
    return free, apps
