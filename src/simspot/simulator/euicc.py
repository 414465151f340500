"""A virtual eUICC: a software card that speaks ES10 (SGP.22) over ISO 7816 APDUs.

`VirtualEuicc.process(apdu)` is the whole card interface, as a reader would see it:

- SELECT by AID (the ISD-R, optional vendor AIDs that answer as the ISD-R, the ECASD),
  MANAGE CHANNEL open/close (logical channels 1-19), TERMINAL CAPABILITY (80 AA);
- STORE DATA (80 E2) chaining: P1 11 while blocks follow, 91 on the last, P2 = block number,
  any block size; answers longer than 256 bytes (or every answer, in T=0 mode) come as 61xx and
  are fetched with GET RESPONSE (C0);
- the ES10a/b/c functions of SGP.22 5.7, including the whole profile download: the eUICC checks
  the SM-DP+ certificates against its CI, signs with its own key, makes the one-time key pair,
  derives the BSP session keys and decrypts and MAC-checks every segment of the Bound Profile
  Package (`simspot.esim.bsp`).

Installed profiles (metadata + the decrypted profile package), the enabled flag, nicknames and
pending notifications persist in a JSON file, written atomically after every change. A power
cycle (`reset`) loses only the session in progress: a profile is stored only once its last
segment verified, so a half-loaded profile never exists.

`VirtualCardTransport` is the `simspot.esim.transport.ApduTransport` for it: it opens channels
with MANAGE CHANNEL + SELECT APDUs like a reader does, and can inject faults at that edge.
"""

from __future__ import annotations

import enum
import json
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from simspot.errors import EsimError, StateError
from simspot.esim import bsp, codec
from simspot.esim.apdu import channel_of_cla, cla_for_channel
from simspot.esim.certs import load_der_certificate
from simspot.esim.errors import CardError, DecodeError, EncodeError, TransportError
from simspot.esim.iccid import iccid_from_bytes, iccid_to_bytes
from simspot.fsutil import write_atomic
from simspot.simulator import pki
from simspot.simulator.pki import EuiccCredentials, PkiError
from simspot.simulator.profiles import header_iccid

ISDR_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")
ECASD_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000200")
ISDP_AID_PREFIX = bytes.fromhex("A0000005591010FFFFFFFF89000010")  # + 1 byte index

SVN = b"\x02\x02\x02"  # SGP.22 version this card claims (2.2.2)
DEFAULT_ROOT_DS = "lpa.ds.gsma.com"
MAX_CHANNELS = 20  # basic channel 0 + logical channels 1-19

# Status words
SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_CHANNEL_NOT_SUPPORTED = 0x6881
SW_SECURITY = 0x6982
SW_CONDITIONS = 0x6985
SW_WRONG_DATA = 0x6A80
SW_NOT_FOUND = 0x6A82
SW_NO_CHANNEL_LEFT = 0x6A81
SW_WRONG_P1P2 = 0x6A86
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_NO_DIAGNOSIS = 0x6F00

# NotificationEvent bits (SGP.22 5.7.9): (first byte, number of bits) as DER BIT STRING values
OPERATIONS = ("install", "enable", "disable", "delete")

# ES10 command tags (SGP.22 5.7)
TAG_GET_EUICC_INFO1 = 0xBF20
TAG_PREPARE_DOWNLOAD = 0xBF21
TAG_GET_EUICC_INFO2 = 0xBF22
TAG_LIST_NOTIFICATION = 0xBF28
TAG_SET_NICKNAME = 0xBF29
TAG_RETRIEVE_NOTIFICATIONS = 0xBF2B
TAG_PROFILE_INFO = 0xBF2D
TAG_GET_CHALLENGE = 0xBF2E
TAG_NOTIFICATION_SENT = 0xBF30
TAG_ENABLE = 0xBF31
TAG_DISABLE = 0xBF32
TAG_DELETE = 0xBF33
TAG_MEMORY_RESET = 0xBF34
TAG_LOAD_CRL = 0xBF35
TAG_BPP = 0xBF36
TAG_AUTHENTICATE_SERVER = 0xBF38
TAG_CONFIGURED_ADDRESSES = 0xBF3C
TAG_GET_EID = 0xBF3E
TAG_SET_DEFAULT_DP = 0xBF3F
TAG_CANCEL_SESSION = 0xBF41
TAG_GET_RAT = 0xBF43
BPP_CONTINUATION = frozenset({0xA0, 0xA1, 0xA2, 0xA3, 0x86, 0x87, 0x88})

# ProfileInstallationResult bppCommandId / errorReason (SGP.22 5.7.6)
CMD_INIT_SECURE_CHANNEL, CMD_CONFIGURE_ISDP, CMD_STORE_METADATA = 0, 1, 2
CMD_REPLACE_SESSION_KEYS, CMD_LOAD_PROFILE_ELEMENTS = 4, 5
ERR_INCORRECT_INPUT, ERR_INVALID_SIGNATURE, ERR_INVALID_TRANSACTION = 1, 2, 3
ERR_UNSUPPORTED_CRT, ERR_UNSUPPORTED_REMOTE_OP = 4, 5
ERR_STRUCTURE, ERR_SECURITY, ERR_ICCID_EXISTS, ERR_NO_MEMORY = 7, 8, 9, 10
ERR_ICCID_MISMATCH = 13


def operation_bits(operation: str) -> tuple[bytes, int]:
    index = OPERATIONS.index(operation)
    return (bytes([0x80 >> index]), index + 1)


def operations_in(bits: tuple[bytes, int]) -> set[str]:
    data, length = bits
    return {
        op
        for i, op in enumerate(OPERATIONS)
        if i < length and i // 8 < len(data) and data[i // 8] & (0x80 >> (i % 8))
    }


# -- persistent state -------------------------------------------------------------------------


@dataclass
class StoredProfile:
    """An installed profile: its metadata as the SM-DP+ sent it and the decrypted package."""

    iccid: str
    isdp_aid: bytes
    metadata: bytes  # StoreMetadataRequest DER (BF25)
    package: bytes  # the decrypted profile package (the UPP), byte for byte
    enabled: bool = False
    nickname: str | None = None
    dp_oid: str | None = None

    @property
    def profile_class(self) -> int:
        # StoreMetadataRequest: DEFAULT operational (SGP.22 v2.5), so absent means 2
        return int(self.decoded_metadata().get("profileClass", 2))

    def decoded_metadata(self) -> dict[str, Any]:
        value: dict[str, Any] = codec.decode("StoreMetadataRequest", self.metadata)
        return value

    def to_json(self) -> dict[str, Any]:
        return {
            "iccid": self.iccid,
            "isdp_aid": self.isdp_aid.hex(),
            "metadata": self.metadata.hex(),
            "package": self.package.hex(),
            "enabled": self.enabled,
            "nickname": self.nickname,
            "dp_oid": self.dp_oid,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StoredProfile:
        return cls(
            iccid=str(d["iccid"]),
            isdp_aid=bytes.fromhex(d["isdp_aid"]),
            metadata=bytes.fromhex(d["metadata"]),
            package=bytes.fromhex(d["package"]),
            enabled=bool(d["enabled"]),
            nickname=d.get("nickname"),
            dp_oid=d.get("dp_oid"),
        )


@dataclass
class StoredNotification:
    """A pending notification: its metadata and the signed PendingNotification DER."""

    seq: int
    operation: str
    address: str
    iccid: str | None
    pending: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "operation": self.operation,
            "address": self.address,
            "iccid": self.iccid,
            "pending": self.pending.hex(),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StoredNotification:
        return cls(
            seq=int(d["seq"]),
            operation=str(d["operation"]),
            address=str(d["address"]),
            iccid=d.get("iccid"),
            pending=bytes.fromhex(d["pending"]),
        )


@dataclass
class CardState:
    eid: str
    profiles: list[StoredProfile] = field(default_factory=list)
    notifications: list[StoredNotification] = field(default_factory=list)
    next_seq: int = 1
    next_isdp: int = 1
    default_dp_address: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "simspot-virtual-euicc/1",
            "eid": self.eid,
            "profiles": [p.to_json() for p in self.profiles],
            "notifications": [n.to_json() for n in self.notifications],
            "next_seq": self.next_seq,
            "next_isdp": self.next_isdp,
            "default_dp_address": self.default_dp_address,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CardState:
        return cls(
            eid=str(d["eid"]),
            profiles=[StoredProfile.from_json(p) for p in d.get("profiles", [])],
            notifications=[StoredNotification.from_json(n) for n in d.get("notifications", [])],
            next_seq=int(d.get("next_seq", 1)),
            next_isdp=int(d.get("next_isdp", 1)),
            default_dp_address=d.get("default_dp_address"),
        )


def load_state(path: Path) -> CardState | None:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(
            msg_id="simulator.euicc.state-unreadable",
            params={"path": str(path), "error": exc.strerror},
        ) from None
    try:
        return CardState.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise StateError(
            msg_id="simulator.euicc.state-damaged", params={"path": str(path), "error": str(exc)}
        ) from None


def save_state(path: Path, state: CardState) -> None:
    """Write atomically and durably (owner only): the card's state survives a power cut."""
    data = json.dumps(state.to_json(), indent=1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, durable=True)
    except OSError as exc:
        raise StateError(
            msg_id="simulator.euicc.state-unwritable",
            params={"path": str(path), "error": exc.strerror},
        ) from None


# -- session state (volatile) -----------------------------------------------------------------


@dataclass
class _Session:
    transaction_id: bytes
    server_address: str
    server_challenge: bytes
    ci: x509.Certificate
    dpauth: x509.Certificate
    euicc_signature1: bytes
    smdp_oid: str | None
    dppb: x509.Certificate | None = None
    otk: ec.EllipticCurvePrivateKey | None = None
    otpk: bytes | None = None
    finished: bool = False  # a load ended (with a result); only CancelSession remains


class _InstallFailed(Exception):
    """Internal: abort the BPP load with this bppCommandId / errorReason."""

    def __init__(self, command_id: int, reason: int) -> None:
        super().__init__(f"{command_id}/{reason}")
        self.command_id = command_id
        self.reason = reason


@dataclass
class _BppLoad:
    """The Bound Profile Package being received, parsed as a stream across ES10 commands."""

    left: int  # BF36 content bytes not yet received
    buffer: bytearray = field(default_factory=bytearray)
    stage: int = 0  # 0: expect BF23, 1: A0, 2: A1, 3: A2 or A3, 4: A3 done
    container: int | None = None
    container_left: int = 0
    plain: bytearray = field(default_factory=bytearray)
    session: bsp.BspSession | None = None
    dp_oid: str | None = None
    metadata: bytes | None = None
    iccid: str | None = None
    profile: bytearray = field(default_factory=bytearray)


@dataclass
class _Channel:
    selected: bytes | None = None
    chain: bytearray = field(default_factory=bytearray)
    next_block: int = 0
    pending: bytes = b""


class VirtualEuicc:
    """A software eUICC. Thread-safe; every public method takes the card lock."""

    def __init__(
        self,
        credentials: EuiccCredentials,
        *,
        state_path: Path | None = None,
        isdr_aids: Sequence[bytes] = (ISDR_AID,),
        root_ds_address: str = DEFAULT_ROOT_DS,
        default_dp_address: str | None = None,
        memory_bytes: int = 1_500_000,
        t0: bool = False,
        on_change: Callable[[str | None], None] | None = None,
    ) -> None:
        self.credentials = credentials
        self.state_path = state_path
        self.isdr_aids = tuple(bytes(a) for a in isdr_aids)
        self.root_ds_address = root_ds_address
        self.memory_bytes = memory_bytes
        self.t0 = t0
        self.on_change = on_change
        self._lock = threading.RLock()
        loaded = load_state(state_path) if state_path else None
        if loaded is not None and loaded.eid != credentials.eid:
            raise StateError(
                msg_id="simulator.euicc.state-other-eid",
                params={"path": str(state_path), "state_eid": loaded.eid, "eid": credentials.eid},
            )
        self.state = loaded or CardState(eid=credentials.eid, default_dp_address=default_dp_address)
        self.apdu_count = 0
        self._reset_volatile()

    # -- card life cycle ------------------------------------------------------------------

    @property
    def eid(self) -> str:
        return self.state.eid

    def _reset_volatile(self) -> None:
        self._channels: dict[int, _Channel] = {0: _Channel()}
        self._challenge: bytes | None = None
        self._session: _Session | None = None
        self._bpp: _BppLoad | None = None

    def reset(self) -> None:
        """Power cycle: channels, the challenge and any download in progress are lost."""
        with self._lock:
            self._reset_volatile()

    def _save(self) -> None:
        if self.state_path is not None:
            save_state(self.state_path, self.state)

    # -- inspection -----------------------------------------------------------------------

    @property
    def profiles(self) -> list[StoredProfile]:
        with self._lock:
            return list(self.state.profiles)

    @property
    def notifications(self) -> list[StoredNotification]:
        with self._lock:
            return list(self.state.notifications)

    def enabled_iccid(self) -> str | None:
        with self._lock:
            return next((p.iccid for p in self.state.profiles if p.enabled), None)

    def export_profile(self, iccid: str) -> bytes:
        """The decrypted profile package of an installed profile, as it was served."""
        with self._lock:
            for p in self.state.profiles:
                if p.iccid == iccid:
                    return p.package
        raise EsimError(msg_id="simulator.euicc.no-profile", params={"iccid": iccid})

    @property
    def session_in_progress(self) -> bool:
        return self._session is not None

    # -- APDU level -----------------------------------------------------------------------

    def process(self, apdu: bytes) -> bytes:
        """Handle one command APDU; return response data + SW1 SW2."""
        with self._lock:
            self.apdu_count += 1
            try:
                return self._process(bytes(apdu))
            except _Sw as sw:
                return sw.code.to_bytes(2, "big")

    def _process(self, apdu: bytes) -> bytes:
        cla, ins, p1, p2, data, le = _parse_apdu(apdu)
        channel = channel_of_cla(cla)
        if ins == 0x70:  # MANAGE CHANNEL
            return self._manage_channel(p1, p2)
        ch = self._channels.get(channel)
        if ch is None:
            raise _Sw(SW_CHANNEL_NOT_SUPPORTED)
        if ins == 0xC0:  # GET RESPONSE
            return self._get_response(ch, le)
        ch.pending = b""
        if ins == 0xA4:  # SELECT
            return self._select(ch, p1, p2, data)
        if ins == 0xAA and cla & 0x80:  # TERMINAL CAPABILITY
            return SW_OK.to_bytes(2, "big")
        if ins == 0xE2 and cla & 0x80:  # STORE DATA
            return self._store_data(ch, p1, p2, data, le)
        raise _Sw(SW_INS_NOT_SUPPORTED)

    def _manage_channel(self, p1: int, p2: int) -> bytes:
        if p1 == 0x00:
            if p2 != 0:
                if p2 in self._channels or not 0 < p2 < MAX_CHANNELS:
                    raise _Sw(SW_WRONG_P1P2)
                number = p2
            else:
                free = [n for n in range(1, MAX_CHANNELS) if n not in self._channels]
                if not free:
                    raise _Sw(SW_NO_CHANNEL_LEFT)
                number = free[0]
            self._channels[number] = _Channel()
            return bytes([number]) + b"\x90\x00" if p2 == 0 else b"\x90\x00"
        if p1 == 0x80:
            if p2 == 0:
                raise _Sw(SW_WRONG_P1P2)
            self._channels.pop(p2, None)
            return b"\x90\x00"
        raise _Sw(SW_WRONG_P1P2)

    def _select(self, ch: _Channel, p1: int, p2: int, aid: bytes) -> bytes:
        if p1 != 0x04:
            raise _Sw(SW_WRONG_P1P2)
        if aid in self.isdr_aids or aid == ECASD_AID:
            ch.selected = aid
            ch.chain.clear()
            ch.next_block = 0
            if p2 & 0x0C == 0x0C:
                return b"\x90\x00"
            fci = bsp.tlv(0x6F, bsp.tlv(0x84, aid) + bsp.tlv(0xA5, bsp.tlv(0x9F65, b"\xff")))
            return self._respond(ch, fci)
        raise _Sw(SW_NOT_FOUND)

    def _get_response(self, ch: _Channel, le: int | None) -> bytes:
        if not ch.pending:
            raise _Sw(SW_CONDITIONS)
        n = 256 if not le else le
        chunk, ch.pending = ch.pending[:n], ch.pending[n:]
        if ch.pending:
            return chunk + bytes([0x61, min(len(ch.pending), 256) & 0xFF])
        return chunk + b"\x90\x00"

    def _respond(self, ch: _Channel, data: bytes, le: int | None = None) -> bytes:
        """Response data and status word, as the card's protocol allows.

        T=0: only 61xx (the reader fetches the data with GET RESPONSE). T=1: the data at once
        if it fits (256 bytes); a longer answer to a case 4 command (Le present) starts with
        its first Le (0: 256) bytes and 61xx for the rest, a case 3 command gets a bare 61xx.
        """
        if not data:
            return b"\x90\x00"
        if not self.t0 and len(data) <= 256:
            return data + b"\x90\x00"
        if not self.t0 and le is not None:
            n = le or 256
            head, ch.pending = data[:n], data[n:]
            return head + bytes([0x61, min(len(ch.pending), 256) & 0xFF])
        ch.pending = data
        return bytes([0x61, min(len(data), 256) & 0xFF])

    def _store_data(self, ch: _Channel, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        if ch.selected not in self.isdr_aids:
            raise _Sw(SW_CONDITIONS)
        if not data:  # GlobalPlatform: STORE DATA always carries data (Lc); none is 6700
            ch.chain.clear()
            ch.next_block = 0
            raise _Sw(SW_WRONG_LENGTH)
        if p1 & 0x7F not in (0x10, 0x11) or p2 != ch.next_block % 256:
            ch.chain.clear()
            ch.next_block = 0
            raise _Sw(SW_WRONG_P1P2)
        ch.chain += data
        if not p1 & 0x80:
            ch.next_block += 1
            return b"\x90\x00"
        command = bytes(ch.chain)
        ch.chain.clear()
        ch.next_block = 0
        return self._respond(ch, self.es10(command), le)

    # -- ES10 dispatch --------------------------------------------------------------------

    def es10(self, command: bytes) -> bytes:
        """Run one ES10 function (its whole DER request); return the response DER.

        Raises nothing for a well-formed command; a malformed one gives SW 6A80 at APDU level.
        """
        with self._lock:
            if not command:
                raise _Sw(SW_WRONG_DATA)
            if command[0] in BPP_CONTINUATION:
                return self._bpp_continue(command)
            if command[:2] == b"\xbf\x36":  # the BPP arrives in pieces: its TLV is incomplete
                return self._bpp_start(command)
            try:
                tag, _, _ = codec.read_tlv(command)
            except DecodeError:
                raise _Sw(SW_WRONG_DATA) from None
            if self._bpp is not None:
                self._abandon_load()
            handler = self._HANDLERS.get(tag)
            if handler is None:
                raise _Sw(SW_WRONG_DATA)
            try:
                return handler(self, command)
            except (DecodeError, EncodeError):
                raise _Sw(SW_WRONG_DATA) from None
            except (KeyError, TypeError, ValueError, IndexError):
                # a request that decodes but makes no sense to this card: no precise diagnosis
                raise _Sw(SW_NO_DIAGNOSIS) from None

    # ES10c.GetEID (5.7.20)
    def _get_eid(self, command: bytes) -> bytes:
        req = codec.decode("GetEuiccDataRequest", command)
        if req["tagList"] != b"\x5a":
            raise _Sw(SW_WRONG_DATA)
        return codec.encode("GetEuiccDataResponse", {"eidValue": bytes.fromhex(self.eid)})

    # ES10b.GetEUICCInfo (5.7.8)
    def _info1_value(self) -> dict[str, Any]:
        ids = self.credentials.ci_key_ids
        return {
            "svn": SVN,
            "euiccCiPKIdListForVerification": ids,
            "euiccCiPKIdListForSigning": ids,
        }

    def _get_info1(self, command: bytes) -> bytes:
        codec.decode("GetEuiccInfo1Request", command)
        return codec.encode("EUICCInfo1", self._info1_value())

    def _info2_value(self) -> dict[str, Any]:
        used = sum(len(p.package) + len(p.metadata) for p in self.state.profiles)
        free = max(0, self.memory_bytes - used)
        ext = (
            bsp.tlv(0x81, bytes([len(self.state.profiles)]))
            + bsp.tlv(0x82, free.to_bytes(4, "big"))
            + bsp.tlv(0x83, (32768).to_bytes(2, "big"))
        )
        ids = self.credentials.ci_key_ids
        return {
            "profileVersion": b"\x02\x03\x01",
            "svn": SVN,
            "euiccFirmwareVer": b"\x01\x00\x00",
            "extCardResource": ext,
            # usimSupport, isimSupport, akaMilenage, javacard
            "uiccCapability": (b"\x68\x02", 15),
            "ts102241Version": b"\x03\x00\x05",
            "globalplatformVersion": b"\x02\x03\x01",
            # additionalProfile, testProfileSupport
            "rspCapability": (b"\x90", 4),
            "euiccCiPKIdListForVerification": ids,
            "euiccCiPKIdListForSigning": ids,
            "euiccCategory": 2,
            "ppVersion": b"\x00\x00\x01",
            "sasAcreditationNumber": "SIMSPOT-VIRTUAL-EUICC",
        }

    def _get_info2(self, command: bytes) -> bytes:
        codec.decode("GetEuiccInfo2Request", command)
        return codec.encode("EUICCInfo2", self._info2_value())

    # ES10a addresses (5.7.2-3)
    def _configured_addresses(self, command: bytes) -> bytes:
        codec.decode("EuiccConfiguredAddressesRequest", command)
        value: dict[str, Any] = {"rootDsAddress": self.root_ds_address}
        if self.state.default_dp_address:
            value["defaultDpAddress"] = self.state.default_dp_address
        return codec.encode("EuiccConfiguredAddressesResponse", value)

    def _set_default_dp(self, command: bytes) -> bytes:
        req = codec.decode("SetDefaultDpAddressRequest", command)
        self.state.default_dp_address = req["defaultDpAddress"] or None
        self._save()
        return codec.encode("SetDefaultDpAddressResponse", {"setDefaultDpAddressResult": 0})

    # ES10b.GetRAT (5.7.4): no operator restrictions on this card
    def _get_rat(self, command: bytes) -> bytes:
        codec.decode("GetRatRequest", command)
        return codec.encode("GetRatResponse", {"rat": []})

    # ES10b.LoadCRL: not supported by this card (rspCapability says so)
    def _load_crl(self, command: bytes) -> bytes:
        codec.decode("LoadCRLRequest", command)
        return codec.encode("LoadCRLResponse", ("loadCRLResponseError", 127))

    # ES10c.GetProfilesInfo (5.7.15)
    def _profile_info(self, command: bytes) -> bytes:
        req = codec.decode("ProfileInfoListRequest", command)
        profiles = self.state.profiles
        criteria = req.get("searchCriteria")
        if criteria is not None:
            kind, value = criteria
            if kind == "iccid":
                profiles = [p for p in profiles if iccid_to_bytes(p.iccid) == value]
            elif kind == "isdpAid":
                profiles = [p for p in profiles if p.isdp_aid == value]
            else:
                profiles = [p for p in profiles if p.profile_class == value]
        wanted = _tag_list(req["tagList"]) if "tagList" in req else None
        infos = [self._profile_info_value(p, wanted) for p in profiles]
        return codec.encode("ProfileInfoListResponse", ("profileInfoListOk", infos))

    def _profile_info_value(self, p: StoredProfile, wanted: set[int] | None) -> dict[str, Any]:
        meta = p.decoded_metadata()
        info: dict[str, Any] = {
            "iccid": iccid_to_bytes(p.iccid),
            "isdpAid": p.isdp_aid,
            "profileState": 1 if p.enabled else 0,
            "serviceProviderName": meta.get("serviceProviderName", ""),
            "profileName": meta.get("profileName", ""),
            # OPTIONAL without a default in ProfileInfo (SGP.22 v2.5): always said, or an LPA
            # has no class to show
            "profileClass": p.profile_class,
        }
        if p.nickname is not None:
            info["profileNickname"] = p.nickname
        for key in ("iconType", "icon", "notificationConfigurationInfo", "profileOwner"):
            if key in meta:
                info[key] = meta[key]
        if "profilePolicyRules" in meta:
            info["profilePolicyRules"] = meta["profilePolicyRules"]
        if p.dp_oid:
            info["dpProprietaryData"] = {"dpOid": p.dp_oid}
        if wanted is not None:
            info = {k: v for k, v in info.items() if _INFO_TAGS[k] in wanted}
        return info

    def _find(self, identifier: tuple[str, bytes]) -> StoredProfile | None:
        kind, value = identifier
        for p in self.state.profiles:
            if (kind == "iccid" and iccid_to_bytes(p.iccid) == value) or (
                kind == "isdpAid" and p.isdp_aid == value
            ):
                return p
        return None

    # ES10c.EnableProfile / DisableProfile / DeleteProfile (5.7.16-18)
    def _enable(self, command: bytes) -> bytes:
        req = codec.decode("EnableProfileRequest", command)
        target = self._find(req["profileIdentifier"])
        result = 0
        if target is None:
            result = 1
        elif target.enabled:
            result = 2
        else:
            current = next((p for p in self.state.profiles if p.enabled), None)
            if current is not None:
                current.enabled = False
                self._notify(current, "disable")
            target.enabled = True
            self._notify(target, "enable")
            self._save()
            self._changed()
        return codec.encode("EnableProfileResponse", {"enableResult": result})

    def _disable(self, command: bytes) -> bytes:
        req = codec.decode("DisableProfileRequest", command)
        target = self._find(req["profileIdentifier"])
        result = 0
        if target is None:
            result = 1
        elif not target.enabled:
            result = 2
        else:
            target.enabled = False
            self._notify(target, "disable")
            self._save()
            self._changed()
        return codec.encode("DisableProfileResponse", {"disableResult": result})

    def _delete(self, command: bytes) -> bytes:
        req = codec.decode("DeleteProfileRequest", command)
        target = self._find(req)
        result = 0
        if target is None:
            result = 1
        elif target.enabled:
            result = 2
        else:
            self.state.profiles.remove(target)
            self._notify(target, "delete")
            self._save()
            self._changed()
        return codec.encode("DeleteProfileResponse", {"deleteResult": result})

    def _set_nickname(self, command: bytes) -> bytes:
        req = codec.decode("SetNicknameRequest", command)
        target = self._find(("iccid", req["iccid"]))
        if target is None:
            return codec.encode("SetNicknameResponse", {"setNicknameResult": 1})
        target.nickname = req["profileNickname"] or None
        self._save()
        return codec.encode("SetNicknameResponse", {"setNicknameResult": 0})

    # ES10c.eUICCMemoryReset (5.7.19)
    def _memory_reset(self, command: bytes) -> bytes:
        req = codec.decode("EuiccMemoryResetRequest", command)
        data, nbits = req["resetOptions"]
        bits = {i for i in range(nbits) if data[i // 8] & (0x80 >> (i % 8))}
        doomed = [
            p
            for p in self.state.profiles
            if (0 in bits and p.profile_class != 0) or (1 in bits and p.profile_class == 0)
        ]
        did = bool(doomed)
        for p in doomed:
            self.state.profiles.remove(p)
        if 2 in bits and self.state.default_dp_address is not None:
            self.state.default_dp_address = None
            did = True
        if did:
            self._save()
            self._changed()
        return codec.encode("EuiccMemoryResetResponse", {"resetResult": 0 if did else 1})

    # ES10b notifications (5.7.9-11)
    def _list_notifications(self, command: bytes) -> bytes:
        req = codec.decode("ListNotificationRequest", command)
        ops = operations_in(req["profileManagementOperation"]) if req else set(OPERATIONS)
        items = [
            self._notification_metadata(n) for n in self.state.notifications if n.operation in ops
        ]
        return codec.encode("ListNotificationResponse", ("notificationMetadataList", items))

    def _retrieve_notifications(self, command: bytes) -> bytes:
        req = codec.decode("RetrieveNotificationsListRequest", command)
        found = self.state.notifications
        criteria = req.get("searchCriteria")
        if criteria is not None:
            kind, value = criteria
            if kind == "seqNumber":
                found = [n for n in found if n.seq == value]
                if not found:
                    return codec.encode(
                        "RetrieveNotificationsListResponse", ("notificationsListResultError", 1)
                    )
            else:
                ops = operations_in(value)
                found = [n for n in found if n.operation in ops]
        items = [codec.decode("PendingNotification", n.pending) for n in found]
        return codec.encode("RetrieveNotificationsListResponse", ("notificationList", items))

    def _notification_sent(self, command: bytes) -> bytes:
        req = codec.decode("NotificationSentRequest", command)
        before = len(self.state.notifications)
        self.state.notifications = [
            n for n in self.state.notifications if n.seq != req["seqNumber"]
        ]
        status = 0 if len(self.state.notifications) < before else 1
        if status == 0:
            self._save()
        return codec.encode("NotificationSentResponse", {"deleteNotificationStatus": status})

    @staticmethod
    def _notification_metadata(n: StoredNotification) -> dict[str, Any]:
        value: dict[str, Any] = {
            "seqNumber": n.seq,
            "profileManagementOperation": operation_bits(n.operation),
            "notificationAddress": n.address,
        }
        if n.iccid:
            value["iccid"] = iccid_to_bytes(n.iccid)
        return value

    def _next_seq(self) -> int:
        seq = self.state.next_seq
        self.state.next_seq += 1
        return seq

    def _notify(self, profile: StoredProfile, operation: str) -> None:
        """Queue a signed notification if the profile's metadata asks for this operation."""
        meta = profile.decoded_metadata()
        for entry in meta.get("notificationConfigurationInfo", []):
            if operation not in operations_in(entry["profileManagementOperation"]):
                continue
            n = StoredNotification(
                self._next_seq(), operation, entry["notificationAddress"], profile.iccid, b""
            )
            tbs = self._notification_metadata(n)
            signature = self.credentials.euicc.sign(codec.encode("NotificationMetadata", tbs))
            n.pending = codec.encode(
                "PendingNotification",
                (
                    "otherSignedNotification",
                    {
                        "tbsOtherNotification": tbs,
                        "euiccNotificationSignature": signature,
                        "euiccCertificate": self.credentials.euicc.der,
                        "eumCertificate": _der(self.credentials.eum),
                    },
                ),
            )
            self.state.notifications.append(n)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.enabled_iccid())

    # ES10b.GetEUICCChallenge (5.7.7)
    def _get_challenge(self, command: bytes) -> bytes:
        codec.decode("GetEuiccChallengeRequest", command)
        self._abandon_load()
        self._session = None
        self._challenge = secrets.token_bytes(16)
        return codec.encode("GetEuiccChallengeResponse", {"euiccChallenge": self._challenge})

    # ES10b.AuthenticateServer (5.7.13)
    def _authenticate_server(self, command: bytes) -> bytes:
        req = codec.decode("AuthenticateServerRequest", command)
        raw = _children(command)
        signed1 = req["serverSigned1"]
        tid = signed1["transactionId"]

        def error(code: int) -> bytes:
            return codec.encode(
                "AuthenticateServerResponse",
                (
                    "authenticateResponseError",
                    {"transactionId": tid, "authenticateErrorCode": code},
                ),
            )

        ci = next(
            (c for c in self.credentials.ci if pki.subject_key_id(c) == req["euiccCiPKIdToBeUsed"]),
            None,
        )
        if ci is None:
            return error(7)  # ciPKUnknown
        try:
            cert = load_der_certificate(req["serverCertificate"])
            key = pki.cert_public_key(cert)
        except (ValueError, x509.InvalidVersion, PkiError):
            return error(1)  # invalidCertificate
        if not isinstance(key.curve, ec.SECP256R1):
            return error(3)  # unsupportedCurve
        # CERT.XXauth: an SM-DP+ (DPauth) or an SM-DS (DSauth) authenticates the same way
        try:
            role = pki.ROLE_DS_AUTH if pki.has_role(cert, pki.ROLE_DS_AUTH) else pki.ROLE_DP_AUTH
            pki.verify_chain(cert, [], [ci], role)
        except PkiError:
            return error(1)
        if not pki.verify_raw(key, req["serverSignature1"], raw[0]):
            return error(2)  # invalidSignature
        if self._challenge is None:
            return error(4)  # noSessionContext
        if signed1["euiccChallenge"] != self._challenge:
            return error(6)  # euiccChallengeMismatch
        address = signed1["serverAddress"]
        if not address or any(c.isspace() for c in address):
            return error(127)
        self._challenge = None
        euicc_signed1 = {
            "transactionId": tid,
            "serverAddress": address,
            "serverChallenge": signed1["serverChallenge"],
            "euiccInfo2": self._info2_value(),
            "ctxParams1": req["ctxParams1"],
        }
        signature = self.credentials.euicc.sign(codec.encode("EuiccSigned1", euicc_signed1))
        self._session = _Session(
            transaction_id=tid,
            server_address=address,
            server_challenge=signed1["serverChallenge"],
            ci=ci,
            dpauth=cert,
            euicc_signature1=signature,
            smdp_oid=pki.registered_id(cert),
        )
        return codec.encode(
            "AuthenticateServerResponse",
            (
                "authenticateResponseOk",
                {
                    "euiccSigned1": euicc_signed1,
                    "euiccSignature1": signature,
                    "euiccCertificate": self.credentials.euicc.der,
                    "eumCertificate": _der(self.credentials.eum),
                },
            ),
        )

    # ES10b.PrepareDownload (5.7.5)
    def _prepare_download(self, command: bytes) -> bytes:
        req = codec.decode("PrepareDownloadRequest", command)
        raw = _children(command)
        signed2 = req["smdpSigned2"]
        tid = signed2["transactionId"]

        def error(code: int) -> bytes:
            return codec.encode(
                "PrepareDownloadResponse",
                ("downloadResponseError", {"transactionId": tid, "downloadErrorCode": code}),
            )

        session = self._session
        if session is None or session.finished:
            return error(4)  # noSessionContext
        try:
            cert = load_der_certificate(req["smdpCertificate"])
            key = pki.cert_public_key(cert)
            pki.verify_chain(cert, [], [session.ci], pki.ROLE_DP_PB)
        except (ValueError, x509.InvalidVersion, PkiError):
            return error(1)  # invalidCertificate
        if not isinstance(key.curve, ec.SECP256R1):
            return error(3)
        signed_data = raw[0] + _sig_tlv(session.euicc_signature1)
        if not pki.verify_raw(key, req["smdpSignature2"], signed_data):
            return error(2)  # invalidSignature
        if tid != session.transaction_id:
            return error(5)  # invalidTransactionId
        reuse = signed2.get("bppEuiccOtpk")
        if not (reuse is not None and session.otk is not None and reuse == session.otpk):
            session.otk, session.otpk = bsp.new_one_time_key()
        session.dppb = cert
        euicc_signed2: dict[str, Any] = {"transactionId": tid, "euiccOtpk": session.otpk}
        if "hashCc" in req:
            euicc_signed2["hashCc"] = req["hashCc"]
        signature = self.credentials.euicc.sign(
            codec.encode("EUICCSigned2", euicc_signed2) + _sig_tlv(req["smdpSignature2"])
        )
        return codec.encode(
            "PrepareDownloadResponse",
            ("downloadResponseOk", {"euiccSigned2": euicc_signed2, "euiccSignature2": signature}),
        )

    # ES10b.CancelSession (5.7.14)
    def _cancel_session(self, command: bytes) -> bytes:
        req = codec.decode("CancelSessionRequest", command)
        session = self._session
        if session is None or session.transaction_id != req["transactionId"]:
            return codec.encode("CancelSessionResponse", ("cancelSessionResponseError", 5))
        self._abandon_load()
        self._session = None
        signed = {
            "transactionId": session.transaction_id,
            "smdpOid": session.smdp_oid or pki.DEFAULT_SMDP_OID,
            "reason": req["reason"],
        }
        signature = self.credentials.euicc.sign(codec.encode("EuiccCancelSessionSigned", signed))
        return codec.encode(
            "CancelSessionResponse",
            (
                "cancelSessionResponseOk",
                {"euiccCancelSessionSigned": signed, "euiccCancelSessionSignature": signature},
            ),
        )

    # -- ES10b.LoadBoundProfilePackage (5.7.6), streamed ----------------------------------

    def _abandon_load(self) -> None:
        self._bpp = None

    def _bpp_start(self, command: bytes) -> bytes:
        try:
            tag, start, _end = _header(command, 0)
        except _InstallFailed:
            raise _Sw(SW_WRONG_DATA) from None
        if tag != TAG_BPP or start is None:
            raise _Sw(SW_WRONG_DATA)
        length = _declared_length(command)
        self._bpp = _BppLoad(left=length)
        return self._bpp_feed(command[start:])

    def _bpp_continue(self, command: bytes) -> bytes:
        if self._bpp is None:
            raise _Sw(SW_CONDITIONS)
        return self._bpp_feed(command)

    def _bpp_feed(self, data: bytes) -> bytes:
        load = self._bpp
        if load is None:
            raise _Sw(SW_CONDITIONS)
        try:
            if len(data) > load.left:
                raise _InstallFailed(self._step(load), ERR_STRUCTURE)
            load.left -= len(data)
            load.buffer += data
            self._bpp_parse(load)
            if load.left == 0:
                if load.buffer or load.container is not None or load.stage != 4:
                    raise _InstallFailed(self._step(load), ERR_STRUCTURE)
                return self._install(load)
        except _InstallFailed as failed:
            return self._install_failed(load, failed)
        return b""

    @staticmethod
    def _step(load: _BppLoad) -> int:
        return {0: CMD_INIT_SECURE_CHANNEL, 1: CMD_CONFIGURE_ISDP, 2: CMD_STORE_METADATA}.get(
            load.stage,
            CMD_REPLACE_SESSION_KEYS if load.container == 0xA2 else CMD_LOAD_PROFILE_ELEMENTS,
        )

    def _bpp_parse(self, load: _BppLoad) -> None:
        buf = load.buffer
        pos = 0
        while pos < len(buf):
            if load.container is None:
                tag, start, end = _header(bytes(buf), pos)
                if start is None:
                    break  # header incomplete: wait for the next command
                if tag == 0xBF23:
                    if end is None:
                        break
                    if load.stage != 0:
                        raise _InstallFailed(self._step(load), ERR_STRUCTURE)
                    self._initialise_secure_channel(load, bytes(buf[pos:end]))
                    load.stage = 1
                    pos = end
                    continue
                expected = {1: {0xA0}, 2: {0xA1}, 3: {0xA2, 0xA3}}.get(load.stage, set())
                if tag not in expected:
                    raise _InstallFailed(self._step(load), ERR_STRUCTURE)
                load.container = tag
                load.container_left = _declared_length(bytes(buf[pos:start]))
                load.plain.clear()
                pos = start
                if load.container_left == 0:
                    self._container_done(load)
                continue
            tag, start, end = _header(bytes(buf), pos)
            if start is None or end is None:
                break
            child = bytes(buf[pos:end])
            if len(child) > load.container_left:
                raise _InstallFailed(self._step(load), ERR_STRUCTURE)
            self._segment(load, tag, child)
            load.container_left -= len(child)
            pos = end
            if load.container_left == 0:
                self._container_done(load)
        del buf[:pos]

    def _segment(self, load: _BppLoad, tag: int, segment: bytes) -> None:
        session = load.session
        if session is None:
            raise _InstallFailed(self._step(load), ERR_STRUCTURE)
        want = {0xA0: 0x87, 0xA1: 0x88, 0xA2: 0x87, 0xA3: 0x86}[load.container or 0xA3]
        if tag != want:
            raise _InstallFailed(self._step(load), ERR_STRUCTURE)
        try:
            if tag == 0x88:
                load.plain += session.unmac(segment, tag)
            else:
                piece = session.unprotect(segment, tag)
                if tag == 0x86:
                    load.profile += piece
                    used = sum(len(p.package) + len(p.metadata) for p in self.state.profiles)
                    if used + len(load.profile) > self.memory_bytes:
                        raise _InstallFailed(CMD_LOAD_PROFILE_ELEMENTS, ERR_NO_MEMORY)
                else:
                    load.plain += piece
        except bsp.BspMacError:
            raise _InstallFailed(self._step(load), ERR_SECURITY) from None
        except bsp.BspError:  # size, layout, padding: SGP.22 5.7.6 scp03tStructureError
            raise _InstallFailed(self._step(load), ERR_STRUCTURE) from None

    def _container_done(self, load: _BppLoad) -> None:
        tag, load.container = load.container, None
        plain = bytes(load.plain)
        load.plain.clear()
        try:
            if tag == 0xA0:
                isdp = codec.decode("ConfigureISDPRequest", plain)
                dp = isdp.get("dpProprietaryData")
                load.dp_oid = dp["dpOid"] if dp else None
                load.stage = 2
            elif tag == 0xA1:
                meta = codec.decode("StoreMetadataRequest", plain)
                iccid = iccid_from_bytes(meta["iccid"])
                if any(p.iccid == iccid for p in self.state.profiles):
                    raise _InstallFailed(CMD_STORE_METADATA, ERR_ICCID_EXISTS)
                load.metadata, load.iccid = plain, iccid
                load.stage = 3
            elif tag == 0xA2:
                if load.stage != 3:
                    raise _InstallFailed(CMD_REPLACE_SESSION_KEYS, ERR_STRUCTURE)
                keys = codec.decode("ReplaceSessionKeysRequest", plain)
                load.session = bsp.BspSession(
                    bsp.SessionKeys(
                        s_enc=keys["ppkEnc"],
                        s_mac=keys["ppkCmac"],
                        initial_mcv=keys["initialMacChainingValue"],
                    )
                )
                load.stage = 3
            else:
                if not load.profile:
                    raise _InstallFailed(CMD_LOAD_PROFILE_ELEMENTS, ERR_STRUCTURE)
                load.stage = 4
        except (DecodeError, bsp.BspError):
            step = {0xA0: CMD_CONFIGURE_ISDP, 0xA1: CMD_STORE_METADATA}.get(
                tag or 0, CMD_REPLACE_SESSION_KEYS
            )
            raise _InstallFailed(step, ERR_INCORRECT_INPUT) from None

    def _initialise_secure_channel(self, load: _BppLoad, raw: bytes) -> None:
        try:
            req = codec.decode("InitialiseSecureChannelRequest", raw)
        except DecodeError:
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_INCORRECT_INPUT) from None
        session = self._session
        if session is None or session.finished or session.otk is None or session.dppb is None:
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_INVALID_TRANSACTION)
        if req["remoteOpId"] != 1:
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_UNSUPPORTED_REMOTE_OP)
        if req["transactionId"] != session.transaction_id:
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_INVALID_TRANSACTION)
        crt = req["controlRefTemplate"]
        if crt["keyType"] != bytes([bsp.KEY_TYPE_AES]) or crt["keyLen"] != bytes(
            [bsp.KEY_LENGTH_128]
        ):
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_UNSUPPORTED_CRT)
        signed = b""
        try:  # the signed part, read from the bytes as sent (asn1 decoding is more lenient)
            _, start, _ = codec.read_tlv(raw)
            for child_tag, _, child_end in codec.iter_tlvs(raw, start):
                if child_tag == 0x5F37:
                    break
                signed = raw[start:child_end]
        except DecodeError:
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_INCORRECT_INPUT) from None
        signed += bsp.tlv(b"\x5f\x49", session.otpk or b"")
        if not pki.verify_raw(pki.cert_public_key(session.dppb), req["smdpSign"], signed):
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_INVALID_SIGNATURE)
        try:
            secret = bsp.ecka(session.otk, req["smdpOtpk"])
        except bsp.BspError:
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_INCORRECT_INPUT) from None
        keys = bsp.derive_session_keys(secret, crt["hostId"], bytes.fromhex(self.eid))
        load.session = bsp.BspSession(keys)

    def _install(self, load: _BppLoad) -> bytes:
        session = self._session
        if session is None or load.metadata is None or load.iccid is None:
            raise _InstallFailed(CMD_LOAD_PROFILE_ELEMENTS, ERR_STRUCTURE)
        package = bytes(load.profile)
        in_package = header_iccid(package)
        if in_package is not None and in_package != load.iccid:
            raise _InstallFailed(CMD_LOAD_PROFILE_ELEMENTS, ERR_ICCID_MISMATCH)
        isdp_aid = ISDP_AID_PREFIX + bytes([self.state.next_isdp % 256])
        self.state.next_isdp += 1
        profile = StoredProfile(
            iccid=load.iccid,
            isdp_aid=isdp_aid,
            metadata=load.metadata,
            package=package,
            dp_oid=load.dp_oid,
        )
        self.state.profiles.append(profile)
        result = ("successResult", {"aid": isdp_aid, "simaResponse": b""})
        pir = self._pir(session, load.iccid, result, store=True)
        session.finished = True
        self._bpp = None
        self._save()
        self._changed()
        return pir

    def _install_failed(self, load: _BppLoad, failed: _InstallFailed) -> bytes:
        self._bpp = None
        session = self._session
        result = (
            "errorResult",
            {"bppCommandId": failed.command_id, "errorReason": failed.reason},
        )
        if session is None:
            # No session to report to: answer unsigned-by-context, keep nothing.
            return codec.encode(
                "ProfileInstallationResult",
                {
                    "profileInstallationResultData": {
                        "transactionId": b"\x00",
                        "notificationMetadata": {
                            "seqNumber": 0,
                            "profileManagementOperation": operation_bits("install"),
                            "notificationAddress": "",
                        },
                        "finalResult": result,
                    },
                    "euiccSignPIR": bytes(64),
                },
            )
        session.finished = True
        pir = self._pir(session, load.iccid, result, store=True)
        self._save()
        return pir

    def _pir(
        self, session: _Session, iccid: str | None, result: tuple[str, Any], *, store: bool
    ) -> bytes:
        seq = self._next_seq()
        metadata: dict[str, Any] = {
            "seqNumber": seq,
            "profileManagementOperation": operation_bits("install"),
            "notificationAddress": session.server_address,
        }
        if iccid:
            metadata["iccid"] = iccid_to_bytes(iccid)
        data: dict[str, Any] = {
            "transactionId": session.transaction_id,
            "notificationMetadata": metadata,
            "finalResult": result,
        }
        if session.smdp_oid:
            data["smdpOid"] = session.smdp_oid
        signature = self.credentials.euicc.sign(codec.encode("ProfileInstallationResultData", data))
        pir = codec.encode(
            "ProfileInstallationResult",
            {"profileInstallationResultData": data, "euiccSignPIR": signature},
        )
        if store:
            self.state.notifications.append(
                StoredNotification(seq, "install", session.server_address, iccid, pir)
            )
        return pir

    _HANDLERS: ClassVar[dict[int, Callable[[VirtualEuicc, bytes], bytes]]] = {
        TAG_GET_EUICC_INFO1: _get_info1,
        TAG_GET_EUICC_INFO2: _get_info2,
        TAG_GET_EID: _get_eid,
        TAG_PROFILE_INFO: _profile_info,
        TAG_ENABLE: _enable,
        TAG_DISABLE: _disable,
        TAG_DELETE: _delete,
        TAG_SET_NICKNAME: _set_nickname,
        TAG_MEMORY_RESET: _memory_reset,
        TAG_LIST_NOTIFICATION: _list_notifications,
        TAG_RETRIEVE_NOTIFICATIONS: _retrieve_notifications,
        TAG_NOTIFICATION_SENT: _notification_sent,
        TAG_GET_CHALLENGE: _get_challenge,
        TAG_AUTHENTICATE_SERVER: _authenticate_server,
        TAG_PREPARE_DOWNLOAD: _prepare_download,
        TAG_CANCEL_SESSION: _cancel_session,
        TAG_CONFIGURED_ADDRESSES: _configured_addresses,
        TAG_SET_DEFAULT_DP: _set_default_dp,
        TAG_GET_RAT: _get_rat,
        TAG_LOAD_CRL: _load_crl,
    }


# ProfileInfo field -> its tag, for tagList filtering (SGP.22 5.7.15)
_INFO_TAGS = {
    "iccid": 0x5A,
    "isdpAid": 0x4F,
    "profileState": 0x9F70,
    "profileNickname": 0x90,
    "serviceProviderName": 0x91,
    "profileName": 0x92,
    "iconType": 0x93,
    "icon": 0x94,
    "profileClass": 0x95,
    "notificationConfigurationInfo": 0xB6,
    "profileOwner": 0xB7,
    "dpProprietaryData": 0xB8,
    "profilePolicyRules": 0x99,
}


def _tag_list(data: bytes) -> set[int]:
    tags: set[int] = set()
    pos = 0
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag & 0x1F == 0x1F:
            while pos < len(data):
                b = data[pos]
                pos += 1
                tag = (tag << 8) | b
                if not b & 0x80:
                    break
        tags.add(tag)
    return tags


class _Sw(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"SW {code:04X}")
        self.code = code


def _der(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.DER)


def _sig_tlv(signature: bytes) -> bytes:
    return bsp.tlv(b"\x5f\x37", signature)


def _children(command: bytes) -> list[bytes]:
    """The raw TLVs inside the outer TLV of ``command``."""
    _, start, end = codec.read_tlv(command)
    return [command[s0:e] for s0, e in _spans(command, start, end)]


def _spans(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    for _tag, _vstart, vend in codec.iter_tlvs(data, start, end):
        spans.append((pos, vend))
        pos = vend
    return spans


def _header(data: bytes, pos: int) -> tuple[int, int | None, int | None]:
    """Parse a TLV header at ``pos`` of possibly incomplete data: (tag, value start, end).

    ``value start`` is None while the header itself is incomplete; ``end`` is None while the
    value is incomplete.
    """
    n = len(data)
    if pos >= n:
        return 0, None, None
    p = pos
    tag = data[p]
    p += 1
    if tag & 0x1F == 0x1F:
        while True:
            if p >= n:
                return tag, None, None
            b = data[p]
            p += 1
            tag = (tag << 8) | b
            if not b & 0x80:
                break
            if p - pos > 4:
                raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_STRUCTURE)
    if p >= n:
        return tag, None, None
    first = data[p]
    p += 1
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 3:
            raise _InstallFailed(CMD_INIT_SECURE_CHANNEL, ERR_STRUCTURE)
        if p + count > n:
            return tag, None, None
        length = int.from_bytes(data[p : p + count], "big")
        p += count
    end = p + length
    return tag, p, end if end <= n else None


def _declared_length(header: bytes) -> int:
    """The length field of a TLV header (tag + length bytes, value may be absent)."""
    p = 1
    if header[0] & 0x1F == 0x1F:
        while header[p] & 0x80:
            p += 1
        p += 1
    first = header[p]
    if first < 0x80:
        return first
    count = first & 0x7F
    return int.from_bytes(header[p + 1 : p + 1 + count], "big")


def _parse_apdu(apdu: bytes) -> tuple[int, int, int, int, bytes, int | None]:
    """Short APDUs only (cases 1-4): CLA INS P1 P2 [Lc data] [Le]."""
    if len(apdu) < 4:
        raise _Sw(SW_WRONG_LENGTH)
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if cla == 0xFF:
        raise _Sw(SW_CLA_NOT_SUPPORTED)
    if not body:
        return cla, ins, p1, p2, b"", None
    if len(body) == 1:
        return cla, ins, p1, p2, b"", body[0]
    lc = body[0]
    if lc == 0:
        raise _Sw(SW_WRONG_LENGTH)  # extended length is not supported
    if len(body) == 1 + lc:
        return cla, ins, p1, p2, body[1:], None
    if len(body) == 2 + lc:
        return cla, ins, p1, p2, body[1:-1], body[-1]
    raise _Sw(SW_WRONG_LENGTH)


# -- the transport the LPA uses to reach the virtual card -----------------------------------


class Fault(enum.Enum):
    RESET = "reset"  # the card is power-cycled; the APDU gets no answer
    DROP = "drop"  # the link fails; the card never sees the APDU


FaultHook = Callable[[int, bytes], Fault | None]


def reset_after(n: int) -> FaultHook:
    """A fault hook that power-cycles the card instead of delivering APDU number ``n + 1``."""

    def hook(count: int, apdu: bytes) -> Fault | None:
        del apdu
        return Fault.RESET if count == n + 1 else None

    return hook


class VirtualCardTransport:
    """`ApduTransport` over a `VirtualEuicc`: like a reader with the card inserted.

    Channels are opened with MANAGE CHANNEL and SELECT APDUs through `process`, so the card
    sees exactly what it would see from a PC/SC reader. ``fault`` sees every APDU (1-based
    count) and can make the link fail or the card reset at that point.
    """

    def __init__(self, euicc: VirtualEuicc, *, fault: FaultHook | None = None) -> None:
        self.euicc = euicc
        self.fault = fault
        self.apdus = 0
        self._connected = False

    async def connect(self) -> None:
        self._connected = True

    async def disconnect(self) -> None:
        self._connected = False

    async def open_channel(self, aid: bytes) -> int:
        answer = await self.transmit(bytes.fromhex("0070000001"))
        if answer[-2:] != b"\x90\x00" or len(answer) != 3:
            raise CardError(sw=_sw(answer), msg_id="simulator.card.channel-refused")
        channel = answer[0]
        select = (
            bytes([cla_for_channel(channel, proprietary=False), 0xA4, 0x04, 0x00, len(aid)]) + aid
        )
        answer = await self.transmit(select + b"\x00")
        if answer[-2] != 0x61 and answer[-2:] != b"\x90\x00":
            await self.close_channel(channel)
            raise CardError(
                sw=_sw(answer),
                msg_id="simulator.card.no-application",
                params={"aid": aid.hex().upper()},
            )
        if answer[-2] == 0x61:
            await self.transmit(
                bytes([cla_for_channel(channel, proprietary=False), 0xC0, 0, 0, answer[-1]])
            )
        return channel

    async def close_channel(self, channel: int) -> None:
        if channel == 0 or not self._connected:
            return
        try:
            await self.transmit(bytes([0x00, 0x70, 0x80, channel]))
        except TransportError:
            return

    async def transmit(self, apdu: bytes) -> bytes:
        if not self._connected:
            raise TransportError(msg_id="simulator.card.not-connected")
        self.apdus += 1
        fault = self.fault(self.apdus, apdu) if self.fault else None
        if fault is Fault.RESET:
            self.euicc.reset()
            raise TransportError(msg_id="simulator.card.reset")
        if fault is Fault.DROP:
            raise TransportError(msg_id="simulator.card.link-failed")
        return self.euicc.process(apdu)


def _sw(answer: bytes) -> int | None:
    return int.from_bytes(answer[-2:], "big") if len(answer) >= 2 else None
