"""The eSIM exception tree, and the tables that turn SGP.22 codes into plain sentences.

    EsimError (simspot.errors)
    ├── EsimValueError (also SimspotValueError)  input refused: ICCID, AID, nickname, block size
    │   └── ActivationCodeError                   an activation code that is refused
    ├── TransportError                 the link to the card failed (reader gone, port closed)
    │   └── CardTransportError         reaching the card failed: reader, card, port or modem
    │       ├── NoReader               no PC/SC service or reader, or not the one asked for
    │       ├── NoCard                 the reader holds no card (or it does not answer)
    │       ├── CardBusy               another program holds the card
    │       ├── CardRemoved            the card went away mid-operation
    │       ├── ChannelError           a logical channel could not be opened
    │       └── AtError                the modem's AT port failed (esim.at)
    │           ├── AtTimeout          no complete answer in time
    │           ├── AtProtocolError    an answer that is not valid AT
    │           └── AtCommandError     ERROR / +CME ERROR
    ├── CardError                      the card answered an APDU with an error status word
    │   └── IsdrNotFound               no ISD-R AID in the list could be selected
    ├── ProtocolError                  a peer broke SGP.22 (bad TLV, unexpected answer)
    │   ├── DecodeError                bytes that do not decode as the expected ASN.1 type
    │   └── EncodeError                a value that cannot be encoded as the ASN.1 type
    ├── EuiccResultError               the eUICC ran a command and answered with an error code
    │   └── ProfileInstallError        ProfileInstallationResult carried an errorResult
    ├── ServerError                    reaching an SM-DP+ / SM-DS failed
    │   ├── TlsError                   its certificate is not trusted (or TLS failed)
    │   └── ServerConnectionError      connection refused, dropped, timed out, HTTP error
    ├── SmdpError                      the SM-DP+ / SM-DS answered "Failed" (subject/reason code)
    └── ConfirmationRequired           a download needs a confirmation code that was not given

Everything foreign (asn1tools, httpx, ssl, OSError, PC/SC codes) is translated at the module that
sees it. ``AtError`` is the eSIM AT link's error; ModemManager's is ``simspot.modem.errors.ModemError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simspot.errors import EsimError, SimspotValueError

__all__ = [
    "ActivationCodeError",
    "AtCommandError",
    "AtError",
    "AtProtocolError",
    "AtTimeout",
    "CardBusy",
    "CardError",
    "CardRemoved",
    "CardTransportError",
    "ChannelError",
    "ConfirmationRequired",
    "DecodeError",
    "EncodeError",
    "EsimError",
    "EsimValueError",
    "EuiccResultError",
    "IsdrNotFound",
    "NoCard",
    "NoReader",
    "ProfileInstallError",
    "ProtocolError",
    "ServerConnectionError",
    "ServerError",
    "SmdpError",
    "TlsError",
    "TransportError",
    "euicc_result_sentence",
    "install_error_sentence",
    "smdp_status_sentence",
]


class EsimValueError(EsimError, SimspotValueError):
    """Input the LPA refuses (ICCID, AID, nickname, IMEI, block size), with the reason."""


class ActivationCodeError(EsimValueError):
    """An activation code (text or QR) that does not follow SGP.22 section 4.1."""


class TransportError(EsimError):
    """The link to the card failed."""


class CardTransportError(TransportError):
    """Reaching the card failed: reader, card, serial port or modem."""


class NoReader(CardTransportError):
    """No PC/SC service, no reader, or not the reader asked for."""


class NoCard(CardTransportError):
    """The reader is there but holds no card (or the card does not answer)."""


class CardBusy(CardTransportError):
    """Another program holds the card (PC/SC exclusive access or simspot's card lock)."""


class CardRemoved(CardTransportError):
    """The card went away (removed, reset by someone else, reader unplugged) mid-operation."""


class ChannelError(CardTransportError):
    """A logical channel could not be opened (no free channel, AID not on the card)."""


class AtError(CardTransportError):
    """The modem's AT port failed: cannot be opened, refused a command, or answered nonsense."""


class AtTimeout(AtError):
    """The modem did not finish answering a command in time."""


class AtProtocolError(AtError):
    """The modem answered something that is not a valid AT response."""


class AtCommandError(AtError):
    """The modem answered ERROR / +CME ERROR to a command."""

    def __init__(
        self,
        message: str | None = None,
        code: str | None = None,
        *,
        msg_id: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if msg_id is not None:
            super().__init__(msg_id=msg_id, params=params)
        else:
            super().__init__(str(message))
        self.code = code


class CardError(EsimError):
    """The card answered with an error status word.

    Named by id, the status word is a parameter too (``sw``, four hex digits, or ``-``), and the
    sentence shows it where it likes, e.g. ``"... (SW {sw})"``; given as text (not for new code),
    ``" (SW 6A88)"`` is appended.
    """

    def __init__(
        self,
        message: str | None = None,
        sw: int | None = None,
        *,
        msg_id: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if msg_id is not None:
            shown = "-" if sw is None else f"{sw:04X}"
            super().__init__(msg_id=msg_id, params={**(params or {}), "sw": shown})
        else:
            text = str(message)
            super().__init__(text if sw is None else f"{text} (SW {sw:04X})")
        self.sw = sw


class IsdrNotFound(CardError):
    """None of the ISD-R AIDs could be selected: not an eUICC, or a vendor AID to add."""


class ProtocolError(EsimError):
    """A peer (card or server) answered something SGP.22 does not allow."""


class DecodeError(ProtocolError):
    """Bytes that do not decode as the expected ASN.1 type."""


class EncodeError(ProtocolError):
    """A value that cannot be encoded as the ASN.1 type (a bug or bad input)."""


class EuiccResultError(EsimError):
    """The eUICC answered a command with an error code."""

    def __init__(self, command: str, code: int, message: str | None = None) -> None:
        sentence = message or euicc_result_sentence(command, code)
        said = None if message else euicc_result_message(command, code)
        super().__init__(
            f"{command}: {sentence}",
            msg_id="euicc.result" if said else None,
            params={"command": command, "sentence": [said]},
        )
        self.command = command
        self.code = code
        self.sentence = sentence


class ProfileInstallError(EuiccResultError):
    """The eUICC refused the Bound Profile Package (ProfileInstallationResult errorResult)."""

    def __init__(self, bpp_command_id: int, error_reason: int) -> None:
        self.bpp_command_id = bpp_command_id
        self.error_reason = error_reason
        step = _BPP_COMMANDS.get(bpp_command_id, f"step {bpp_command_id}")
        super().__init__(
            "LoadBoundProfilePackage",
            error_reason,
            f"the eUICC refused the profile at {step}: {install_error_sentence(error_reason)}",
        )
        known = error_reason in _INSTALL_ERRORS
        self.msg_id = "euicc.install"
        self.params = {
            "command": "LoadBoundProfilePackage",
            "step": step,
            "problem": [
                _part(f"install.{error_reason}")
                if known
                else _part("install.code", code=error_reason)
            ],
        }


class ServerError(EsimError):
    """Reaching an SM-DP+ or SM-DS failed (no answer we could use)."""


class TlsError(ServerError):
    """The server's TLS certificate is not trusted, or the TLS handshake failed."""


class ServerConnectionError(ServerError):
    """Connection refused, dropped or timed out, or an HTTP error status."""


class SmdpError(EsimError):
    """The SM-DP+ (or SM-DS) answered Failed with SGP.22 status code data."""

    def __init__(
        self,
        function: str,
        subject_code: str,
        reason_code: str,
        message: str | None = None,
        subject_identifier: str | None = None,
    ) -> None:
        self.function = function
        self.subject_code = subject_code
        self.reason_code = reason_code
        self.server_message = message
        self.subject_identifier = subject_identifier
        self.sentence = smdp_status_sentence(subject_code, reason_code)
        extra = f"; server says: {message}" if message else ""
        if (subject_code, reason_code) in SMDP_PAIRS:  # translated (simspot.i18n, "sgp22.*")
            msg_id = f"sgp22.{subject_code}-{reason_code}"
            params: dict[str, object] = {"function": function, "extra": extra}
        else:  # the subject and the reason in words, each translated ("sgp22.subject.*", ...)
            msg_id = "sgp22.generic"
            params = {
                "function": function,
                "subject": [smdp_subject_message(subject_code)],
                "reason": [smdp_reason_message(reason_code)],
                "subject_code": subject_code,
                "reason_code": reason_code,
                "extra": extra,
            }
        super().__init__(
            f"{function}: {self.sentence} (subject {subject_code}, reason {reason_code}{extra})",
            msg_id=msg_id,
            params=params,
        )

    # SGP.22 spells them this way in JSON; keep both spellings handy.
    @property
    def subjectCode(self) -> str:
        return self.subject_code

    @property
    def reasonCode(self) -> str:
        return self.reason_code


class ConfirmationRequired(EsimError):
    """The SM-DP+ requires a confirmation code for this download and none was given."""

    def __init__(self) -> None:
        super().__init__(
            "a confirmation code is required for this profile; ask the operator for it "
            "and pass it with --confirmation-code",
            msg_id="esim.confirmation-required",
        )


# --- SGP.22 5.2.6: subject codes and reason codes of ES9+/ES11 -------------------------------

# (subject, reason) pairs that have a specific meaning in the ES9+ function descriptions.
SMDP_PAIRS: dict[tuple[str, str], str] = {
    ("8.8.1", "3.8"): "the SM-DP+ address is not valid for this server",
    ("8.8.2", "3.1"): "the SM-DP+ supports none of the security configurations of this eUICC",
    ("8.8.3", "3.1"): "the SM-DP+ does not support this eUICC's SGP.22 version",
    ("8.8.4", "3.7"): "the SM-DP+ has no certificate that this eUICC can verify",
    ("8.1.2", "6.1"): "the eUICC manufacturer certificate is not valid",
    ("8.1.2", "6.3"): "the eUICC manufacturer certificate has expired",
    ("8.1.3", "6.1"): "the eUICC certificate is not valid",
    ("8.1.3", "6.3"): "the eUICC certificate has expired",
    ("8.1", "6.1"): "the SM-DP+ could not verify the eUICC's signature",
    ("8.2.6", "3.8"): "the SM-DP+ does not know this activation code (matching ID refused)",
    ("8.2.6", "3.9"): "the SM-DP+ does not know this activation code (matching ID unknown)",
    ("8.1.1", "3.8"): "this profile is reserved for another eUICC (EID does not match)",
    ("8.2", "1.2"): "this profile is not released for download yet",
    ("8.2", "3.7"): "this profile was already downloaded",
    ("8.2.5", "4.3"): "no profile available on the SM-DP+ fits this eUICC or device",
    ("8.8.5", "4.10"): "this activation code has been used too many times",
    ("8.8.5", "6.4"): "this profile was already downloaded (the activation code works only once)",
    ("8.8", "3.10"): "the SM-DP+ does not recognise its own identifier in the request",
    ("8.8.5", "4.8"): "the download order has expired",
    ("8.11.1", "3.9"): "the SM-DP+ does not know any certificate issuer of this eUICC",
    ("8.10.1", "3.9"): "the SM-DP+ does not know this session (it may have expired); start again",
    ("8.2.7", "2.2"): "a confirmation code is required",
    ("8.2.7", "3.8"): "the confirmation code is wrong",
    ("8.2.7", "6.4"): "the confirmation code was wrong too many times; the order is locked",
    ("8.9.1", "3.8"): "the SM-DS address is not valid for this server",
    ("8.9.5", "3.9"): "the SM-DS has no event for this eUICC",
    ("8.1", "4.8"): "the eUICC has no memory left",
    ("8.2.1", "3.9"): "the SM-DP+ does not know this ICCID",
    ("8.2.1", "3.3"): "this profile is already installed on the eUICC",
}

_SUBJECTS: dict[str, str] = {
    "8.1": "the eUICC",
    "8.1.1": "the EID",
    "8.1.2": "the EUM certificate",
    "8.1.3": "the eUICC certificate",
    "8.2": "the profile",
    "8.2.1": "the profile ICCID",
    "8.2.5": "the profile type",
    "8.2.6": "the matching ID",
    "8.2.7": "the confirmation code",
    "8.8": "the SM-DP+",
    "8.8.1": "the SM-DP+ address",
    "8.8.2": "the security configuration",
    "8.8.3": "the specification version",
    "8.8.4": "the SM-DP+ certificate",
    "8.8.5": "the download order",
    "8.9": "the SM-DS",
    "8.9.1": "the SM-DS address",
    "8.9.5": "the event record",
    "8.10.1": "the transaction ID",
    "8.11.1": "the CI public key",
}

_REASONS: dict[str, str] = {
    "1.1": "the caller is not allowed",
    "1.2": "is not allowed",
    "1.3": "is not supported",
    "2.1": "is invalid",
    "2.2": "is missing",
    "2.3": "is missing",
    "3.1": "is not supported",
    "3.3": "already exists",
    "3.4": "already in use",
    "3.7": "is not available",
    "3.8": "was refused",
    "3.9": "is unknown",
    "4.2": "is not in a state that allows this",
    "4.3": "has no eligible match",
    "4.8": "has run out of space or time",
    "4.10": "exceeded the number of attempts",
    "5.1": "timed out",
    "6.1": "failed verification",
    "6.3": "has expired",
    "6.4": "exceeded the number of attempts",
    "8.1": "failed for an unknown reason",
}


def _part(msg_id: str, **params: object) -> dict[str, object]:
    """A message inside another one's parameters (as ``simspot.i18n.part``, which imports us)."""
    return {"id": msg_id, "params": params}


def smdp_subject_message(subject_code: str) -> dict[str, object]:
    """The subject of an ES9+/ES11 status code in words, as a catalogue message."""
    if subject_code in _SUBJECTS:
        return _part(f"sgp22.subject.{subject_code}")
    return _part("sgp22.subject.unknown", code=subject_code)


def smdp_reason_message(reason_code: str) -> dict[str, object]:
    """The reason of an ES9+/ES11 status code in words, as a catalogue message."""
    if reason_code in _REASONS:
        return _part(f"sgp22.reason.{reason_code}")
    return _part("sgp22.reason.unknown", code=reason_code)


def smdp_status_sentence(subject_code: str, reason_code: str) -> str:
    """A plain sentence for an ES9+/ES11 status code pair (SGP.22 5.2.6)."""
    pair = SMDP_PAIRS.get((subject_code, reason_code))
    if pair is not None:
        return pair
    subject = _SUBJECTS.get(subject_code, f"the server (subject {subject_code})")
    reason = _REASONS.get(reason_code, f"failed (reason {reason_code})")
    return f"{subject} {reason}"


# --- eUICC result codes of ES10 responses -----------------------------------------------------

_EUICC_RESULTS: dict[str, dict[int, str]] = {
    "AuthenticateServer": {
        1: "the eUICC does not accept the SM-DP+ certificate",
        2: "the eUICC could not verify the SM-DP+ signature",
        3: "the eUICC does not support the SM-DP+'s curve",
        4: "the eUICC has no session for this download",
        5: "the SM-DP+ certificate carries an OID the eUICC refuses",
        6: "the SM-DP+ answered a different eUICC challenge",
        7: "the eUICC does not know the SM-DP+'s certificate issuer",
    },
    "PrepareDownload": {
        1: "the eUICC does not accept the SM-DP+ certificate",
        2: "the eUICC could not verify the SM-DP+ signature",
        3: "the eUICC does not support the SM-DP+'s curve",
        4: "the eUICC has no session for this download",
        5: "the transaction ID does not match the session",
    },
    "EnableProfile": {
        1: "no profile with this ICCID or AID",
        2: "the profile is already enabled",
        3: "the profile's policy rules forbid this",
        4: "the profile cannot be re-enabled now",
        5: "the card is busy (CAT busy); try again",
    },
    "DisableProfile": {
        1: "no profile with this ICCID or AID",
        2: "the profile is not enabled",
        3: "the profile's policy rules forbid this",
        5: "the card is busy (CAT busy); try again",
    },
    "DeleteProfile": {
        1: "no profile with this ICCID or AID",
        2: "the profile is enabled; disable it first",
        3: "the profile's policy rules forbid this",
    },
    "SetNickname": {1: "no profile with this ICCID"},
    "EuiccMemoryReset": {1: "there was nothing to delete", 5: "the card is busy (CAT busy)"},
    "RemoveNotificationFromList": {1: "there is no notification with this sequence number"},
    "CancelSession": {5: "the transaction ID does not match the session"},
    "GetProfilesInfo": {1: "the search criteria were refused"},
    "RetrieveNotificationsList": {1: "there is no such notification"},
    "LoadCRL": {
        1: "the CRL signature is not valid",
        2: "the CRL format is not valid",
        3: "the eUICC has no memory left for the CRL",
        4: "the eUICC does not know the CRL's issuer key",
    },
}


def euicc_result_message(command: str, code: int) -> dict[str, object]:
    """``euicc_result_sentence`` as a catalogue message (``euicc.<command>.<code>``)."""
    if code == 127:
        return _part("euicc.undefined")
    if code in _EUICC_RESULTS.get(command, {}):
        return _part(f"euicc.{command}.{code}")
    return _part("euicc.code", code=code)


def euicc_result_sentence(command: str, code: int) -> str:
    """A plain sentence for an ES10 response result code."""
    if code == 127:
        return "the eUICC reported an undefined error"
    found = _EUICC_RESULTS.get(command, {}).get(code)
    return found if found is not None else f"the eUICC answered error code {code}"


_BPP_COMMANDS = {
    0: "InitialiseSecureChannel",
    1: "ConfigureISDP",
    2: "StoreMetadata",
    3: "StoreMetadata (second part)",
    4: "ReplaceSessionKeys",
    5: "LoadProfileElements",
}

_INSTALL_ERRORS = {
    1: "the input values were wrong",
    2: "a signature did not verify",
    3: "the transaction ID does not match",
    4: "the key parameters are not supported",
    5: "the remote operation type is not supported",
    6: "the profile class is not supported",
    7: "the protected package is malformed (SCP03t structure error)",
    8: "a package segment failed its integrity check (SCP03t security error)",
    9: "a profile with this ICCID already exists on the eUICC",
    10: "the eUICC has no memory left",
    11: "the installation was interrupted",
    12: "the eUICC could not process the profile elements",
    13: "the ICCID in the package does not match the metadata",
    14: "the test profile has an invalid network key",
    15: "the profile's policy rules are not allowed on this eUICC",
    127: "the eUICC reported an unknown installation error",
}


def install_error_sentence(error_reason: int) -> str:
    """A plain sentence for ProfileInstallationResult errorReason (SGP.22 5.7.6)."""
    return _INSTALL_ERRORS.get(error_reason, f"installation error code {error_reason}")
