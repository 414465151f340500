"""Every OPTIONAL and DEFAULT of simspot's RSPDefinitions against the SGP.22 v2.5 annex.

The table below was made by hand from the ASN.1 annex of GSMA SGP.22 v2.5 (RSPDefinitions,
module sgp22v2): for every SEQUENCE the LPA, the virtual eUICC or the test SM-DP+ uses, the
members that are OPTIONAL or have a DEFAULT. A member missing from a row is mandatory. Nested
anonymous SEQUENCEs are named ``Outer.member`` (``.item`` for a SEQUENCE OF element).

A swapped OPTIONAL/DEFAULT is an interop defect, not a detail: with ProfileInfo.profileClass
DEFAULT operational the virtual card left the class out and other LPAs showed none, and an
SM-DP+ encoding the DEFAULT of StoreMetadataRequest.profileClass sends non-DER.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import asn1tools

OPT = "OPTIONAL"

SGP22_V25: dict[str, dict[str, str]] = {
    "GetEuiccInfo1Request": {},
    "EUICCInfo1": {},
    "GetEuiccInfo2Request": {},
    "EUICCInfo2": {
        "ts102241Version": OPT,
        "globalplatformVersion": OPT,
        "euiccCategory": OPT,
        "forbiddenProfilePolicyRules": OPT,
        "certificationDataObject": OPT,
        "treProperties": OPT,
        "treProductReference": OPT,
        "additionalEuiccProfilePackageVersions": OPT,
    },
    "CertificationDataObject": {},
    "DeviceInfo": {"imei": OPT},
    "DeviceCapabilities": {
        name: OPT
        for name in (
            "gsmSupportedRelease",
            "utranSupportedRelease",
            "cdma2000onexSupportedRelease",
            "cdma2000hrpdSupportedRelease",
            "cdma2000ehrpdSupportedRelease",
            "eutranEpcSupportedRelease",
            "contactlessSupportedRelease",
            "rspCrlSupportedVersion",
            "nrEpcSupportedRelease",
            "nr5gcSupportedRelease",
            "eutran5gcSupportedRelease",
            "lpaSvn",
            "catSupportedClasses",
            "euiccFormFactorType",
            "deviceAdditionalFeatureSupport",
        )
    },
    "DeviceAdditionalFeatureSupport": {"naiSupport": OPT},
    "ProfileInfoListRequest": {"searchCriteria": OPT, "tagList": OPT},
    "ProfileInfo": {
        name: OPT
        for name in (
            "iccid",
            "isdpAid",
            "profileState",
            "profileNickname",
            "serviceProviderName",
            "profileName",
            "iconType",
            "icon",
            "profileClass",  # no DEFAULT here (it is the other way round in StoreMetadataRequest)
            "notificationConfigurationInfo",
            "profileOwner",
            "dpProprietaryData",
            "profilePolicyRules",
            "serviceSpecificDataStoredInEuicc",
        )
    },
    "OperatorId": {"gid1": OPT, "gid2": OPT},
    "StoreMetadataRequest": {
        "iconType": OPT,
        "icon": OPT,
        "profileClass": "DEFAULT operational",
        "notificationConfigurationInfo": OPT,
        "profileOwner": OPT,
        "profilePolicyRules": OPT,
        "serviceSpecificDataStoredInEuicc": OPT,
        "serviceSpecificDataNotStoredInEuicc": OPT,
    },
    "NotificationConfigurationInformation": {},
    "VendorSpecificExtension.item": {},
    "UpdateMetadataRequest": {
        "serviceProviderName": OPT,
        "profileName": OPT,
        "iconType": OPT,
        "icon": OPT,
        "profilePolicyRules": OPT,
        "serviceSpecificDataStoredInEuicc": OPT,
    },
    "PrepareDownloadRequest": {"hashCc": OPT},
    "SmdpSigned2": {"bppEuiccOtpk": OPT},
    "PrepareDownloadResponseOk": {},
    "EUICCSigned2": {"hashCc": OPT},
    "PrepareDownloadResponseError": {},
    "AuthenticateServerRequest": {},
    "ServerSigned1": {},
    "CtxParamsForCommonAuthentication": {"matchingId": OPT},
    "AuthenticateResponseOk": {},
    "EuiccSigned1": {},
    "AuthenticateResponseError": {},
    "CancelSessionRequest": {},
    "CancelSessionResponseOk": {},
    "EuiccCancelSessionSigned": {},
    "BoundProfilePackage": {"secondSequenceOf87": OPT},
    "GetEuiccChallengeRequest": {},
    "GetEuiccChallengeResponse": {},
    "ProfileInstallationResult": {},
    "ProfileInstallationResultData": {},
    "SuccessResult": {},
    "ErrorResult": {"simaResponse": OPT},
    "ListNotificationRequest": {"profileManagementOperation": OPT},
    "NotificationMetadata": {"iccid": OPT},
    "SetNicknameRequest": {},
    "SetNicknameResponse": {},
    "InitialiseSecureChannelRequest": {},
    "ControlRefTemplate": {},
    "ConfigureISDPRequest": {"dpProprietaryData": OPT},
    "DpProprietaryData": {},
    "ReplaceSessionKeysRequest": {},
    "RetrieveNotificationsListRequest": {"searchCriteria": OPT},
    "OtherSignedNotification": {},
    "NotificationSentRequest": {},
    "NotificationSentResponse": {},
    "EnableProfileRequest": {},
    "EnableProfileResponse": {},
    "DisableProfileRequest": {},
    "DisableProfileResponse": {},
    "DeleteProfileResponse": {},
    "EuiccMemoryResetRequest": {},
    "EuiccMemoryResetResponse": {},
    "GetEuiccDataRequest": {},
    "GetEuiccDataResponse": {},
    "GetRatRequest": {},
    "GetRatResponse": {},
    "ProfilePolicyAuthorisationRule": {},
    "LoadCRLRequest": {},
    "LoadCRLResponseOk": {"missingParts": OPT},
    "InitiateAuthenticationRequest": {},
    "InitiateAuthenticationOkEs9": {},
    "AuthenticateClientRequest": {},
    "AuthenticateClientOk": {},
    "GetBoundProfilePackageRequest": {},
    "GetBoundProfilePackageOk": {},
    "HandleNotification": {},
    "CancelSessionRequestEs9": {},
    "CancelSessionOk": {},
    "EuiccConfiguredAddressesRequest": {},
    "EuiccConfiguredAddressesResponse": {"defaultDpAddress": OPT},
    "SetDefaultDpAddressRequest": {},
    "SetDefaultDpAddressResponse": {},
    "ISDRProprietaryApplicationTemplate": {"lpaeSupport": OPT},
    "AuthenticateClientOkEs11": {},
    "EventEntries": {},
}

# Where simspot accepts more than v2.5 on purpose, and why. Nothing else may differ.
LENIENT: dict[str, dict[str, str]] = {
    # v2.2 had it OPTIONAL; cards of that release may leave it out of their installation result.
    "ProfileInstallationResultData": {"smdpOid": OPT},
}


def _ours() -> dict[str, dict[str, str]]:
    text = resources.files("simspot.esim").joinpath("asn1/rsp.asn").read_text("utf-8")
    types = asn1tools.parse_string(text)["RSPDefinitions"]["types"]
    found: dict[str, dict[str, str]] = {}

    def walk(name: str, node: dict[str, Any]) -> None:
        kind = node.get("type")
        if kind in ("SEQUENCE", "SET"):
            flags: dict[str, str] = {}
            for member in node.get("members", []):
                if member is None:  # an extension marker
                    continue
                if member.get("optional"):
                    flags[member["name"]] = OPT
                elif "default" in member:
                    flags[member["name"]] = f"DEFAULT {member['default']}"
                walk(f"{name}.{member['name']}", member)
            found[name] = flags
        elif kind == "CHOICE":
            for member in node.get("members", []):
                if member is not None:
                    walk(f"{name}.{member['name']}", member)
        elif kind in ("SEQUENCE OF", "SET OF"):
            walk(f"{name}.item", node["element"])

    for type_name, node in types.items():
        walk(type_name, node)
    return found


def test_every_optional_and_default_is_as_sgp22_v25_says() -> None:
    ours = _ours()
    expected = {name: {**flags, **LENIENT.get(name, {})} for name, flags in SGP22_V25.items()}
    differences = {
        name: {"ours": ours.get(name), "SGP.22": flags}
        for name, flags in expected.items()
        if ours.get(name) != flags
    }
    assert differences == {}


def test_no_sequence_escapes_the_table() -> None:
    unknown = sorted(set(_ours()) - set(SGP22_V25))
    assert unknown == []


def test_profile_class_cases_from_the_issue() -> None:
    ours = _ours()
    assert ours["ProfileInfo"]["profileClass"] == OPT
    assert ours["StoreMetadataRequest"]["profileClass"] == "DEFAULT operational"
