"""BSP (SCP03t): how a Bound Profile Package is protected between SM-DP+ and eUICC.

Pure functions and small state objects, no I/O. SGP.22 2.6.6 (v2: "SCP03t"; v3: "BSP"):

- Key agreement: ECKA-DH between otSK.DP and otPK.EUICC (or otSK.EUICC and otPK.DP) gives the
  shared secret ShS (the x coordinate).
- Key derivation: X9.63 KDF with SHA-256 over ShS, shared info = keyType || keyLength ||
  L(hostId) || hostId || L(EID) || EID; the 48 output bytes are the initial MAC chaining value,
  S-ENC and S-MAC, in that order.
- Each segment: pad the plaintext (80 00..), AES-128-CBC with ICV = AES(S-ENC, block counter as
  16 bytes), counter starting at 1 and counted for every segment (MAC-only ones too); then
  C-MAC = AES-CMAC(S-MAC, MAC chaining value || tag || final length || ciphertext), the chaining
  value becomes the full 16-byte CMAC and its first 8 bytes are appended.
- A whole segment (tag, length, data, MAC) is at most 1020 bytes, so one segment carries at most
  1007 bytes of encrypted plaintext or 1008 bytes of MAC-only data.

The Bound Profile Package (BF36, SGP.22 2.5.5 / 5.5) is: BF23 InitialiseSecureChannel, A0 {87
ConfigureISDP}, A1 {88 StoreMetadata, MAC only}, optional A2 {87 ReplaceSessionKeys}, A3 {86
profile package segments}. With ReplaceSessionKeys the 86 segments use the Profile Protection
Keys (PPK) it carries, with its own initial MAC chaining value and a fresh counter.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF

from simspot.esim.codec import encode_length, read_tlv
from simspot.esim.errors import DecodeError, ProtocolError

MAX_SEGMENT = 1020  # tag + length + data + MAC, SGP.22 2.6.6
MAC_LEN = 8
BLOCK = 16
MAX_ENCRYPTED_PLAINTEXT = 1007  # pads to 1008; 1 + 3 + 1008 + 8 = 1020
MAX_MAC_ONLY_DATA = 1008

KEY_TYPE_AES = 0x88  # ControlRefTemplate keyType, SGP.22 5.5.1
KEY_LENGTH_128 = 0x10

TAG_BPP = b"\xbf\x36"  # BoundProfilePackage, SGP.22 2.5.5
TAG_INIT_SECURE_CHANNEL = b"\xbf\x23"  # InitialiseSecureChannelRequest, SGP.22 5.5.1
TAG_FIRST_87 = 0xA0  # firstSequenceOf87 (ConfigureISDP)
TAG_SEQ_88 = 0xA1  # sequenceOf88 (StoreMetadata)
TAG_SECOND_87 = 0xA2  # secondSequenceOf87 (ReplaceSessionKeys)
TAG_SEQ_86 = 0xA3  # sequenceOf86 (profile elements)
TAG_87 = 0x87
TAG_88 = 0x88
TAG_86 = 0x86


class BspError(ProtocolError):
    """A BPP segment failed its MAC check, had bad padding, or could not be parsed."""


class BspStructureError(BspError):
    """A segment's size or layout is wrong: too long, not whole AES blocks, bad padding, bad TLV.

    An eUICC reports these as scp03tStructureError (7), MAC faults as scp03tSecurityError (8).
    """


class BspMacError(BspError):
    """A segment's MAC does not verify (scp03tSecurityError)."""


# -- BER-TLV framing (parsing is simspot.esim.codec's) -----------------------------------------


def tlv(tag: int | bytes, value: bytes) -> bytes:
    if isinstance(tag, int):
        tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    else:
        tag_bytes = tag
    return tag_bytes + encode_length(len(value)) + value


# -- key agreement and derivation ------------------------------------------------------------


@dataclass(frozen=True)
class SessionKeys:
    s_enc: bytes
    s_mac: bytes
    initial_mcv: bytes


def new_one_time_key() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """A one-time ECKA key pair on P-256: (private key, uncompressed public point, 65 bytes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key, public_point(key)


def public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def ecka(private_key: ec.EllipticCurvePrivateKey, peer_point: bytes) -> bytes:
    """ECKA-DH shared secret with the peer's uncompressed public point."""
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(private_key.curve, peer_point)
        return private_key.exchange(ec.ECDH(), peer)
    except ValueError:
        raise BspError(msg_id="esim.bsp.bad-point") from None


def derive_session_keys(
    shared_secret: bytes,
    host_id: bytes,
    eid: bytes,
    *,
    key_type: int = KEY_TYPE_AES,
    key_length: int = KEY_LENGTH_128,
) -> SessionKeys:
    """X9.63 KDF (SHA-256), SGP.22 2.6.6.2 / annex G. ``eid`` is the 16-byte binary EID."""
    shared_info = bytes([key_type, key_length]) + tlv_lv(host_id) + tlv_lv(eid)
    out = X963KDF(algorithm=hashes.SHA256(), length=3 * key_length, sharedinfo=shared_info).derive(
        shared_secret
    )
    n = key_length
    return SessionKeys(s_enc=out[n : 2 * n], s_mac=out[2 * n : 3 * n], initial_mcv=out[:n])


def tlv_lv(value: bytes) -> bytes:
    return encode_length(len(value)) + value


# -- segment protection ----------------------------------------------------------------------


def _pad(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % BLOCK)


def _unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) - len(stripped) >= BLOCK:
        raise BspStructureError(msg_id="esim.bsp.bad-padding")
    return stripped[:-1]


class BspSession:
    """One direction of BSP state: the block counter and the MAC chaining value.

    The SM-DP+ calls `protect`/`mac_only`; the eUICC calls `unprotect`/`unmac` on the same
    segments in the same order with a session made from the same keys.
    """

    def __init__(self, keys: SessionKeys) -> None:
        if len(keys.s_enc) != 16 or len(keys.s_mac) != 16 or len(keys.initial_mcv) != 16:
            raise BspError(msg_id="esim.bsp.key-length")
        self._enc = algorithms.AES(keys.s_enc)
        self._s_mac = keys.s_mac
        self._mcv = keys.initial_mcv
        self._counter = 1
        self._ecb = Cipher(algorithms.AES(keys.s_enc), modes.ECB())  # noqa: S305 - ICV, SGP.22

    def _icv(self) -> bytes:
        enc = self._ecb.encryptor()
        icv = enc.update(self._counter.to_bytes(BLOCK, "big")) + enc.finalize()
        self._counter += 1
        return icv

    def _mac(self, header: bytes, data: bytes) -> bytes:
        cmac = CMAC(algorithms.AES(self._s_mac))
        cmac.update(self._mcv + header + data)
        full = cmac.finalize()
        self._mcv = full
        return full[:MAC_LEN]

    def protect(self, tag: int, plaintext: bytes, *, limit: int = MAX_ENCRYPTED_PLAINTEXT) -> bytes:
        """One encrypted+MACed segment (``plaintext`` at most 1007 bytes).

        ``limit`` above 1007 makes segments over SGP.22's 1020 bytes, for a misbehaving peer in
        tests; their MAC is still right.
        """
        if len(plaintext) > limit:
            raise BspError(
                msg_id="esim.bsp.plaintext-too-long", params={"max": MAX_ENCRYPTED_PLAINTEXT}
            )
        enc = Cipher(self._enc, modes.CBC(self._icv())).encryptor()
        ciphertext = enc.update(_pad(plaintext)) + enc.finalize()
        header = bytes([tag]) + encode_length(len(ciphertext) + MAC_LEN)
        return header + ciphertext + self._mac(header, ciphertext)

    def mac_only(self, tag: int, data: bytes) -> bytes:
        """One MAC-only segment (``data`` at most 1008 bytes); the counter still advances."""
        if len(data) > MAX_MAC_ONLY_DATA:
            raise BspError(msg_id="esim.bsp.mac-only-too-long", params={"max": MAX_MAC_ONLY_DATA})
        self._counter += 1
        header = bytes([tag]) + encode_length(len(data) + MAC_LEN)
        return header + data + self._mac(header, data)

    def protect_all(
        self, tag: int, plaintext: bytes, *, step: int = MAX_ENCRYPTED_PLAINTEXT
    ) -> list[bytes]:
        return [
            self.protect(tag, plaintext[i : i + step], limit=max(step, MAX_ENCRYPTED_PLAINTEXT))
            for i in range(0, len(plaintext), step)
        ]

    def mac_only_all(self, tag: int, data: bytes) -> list[bytes]:
        step = MAX_MAC_ONLY_DATA
        return [self.mac_only(tag, data[i : i + step]) for i in range(0, len(data), step)]

    def _verify(self, segment: bytes, tag: int) -> bytes:
        if len(segment) > MAX_SEGMENT:  # checked first: size is structure, whatever the MAC
            raise BspStructureError(msg_id="esim.bsp.segment-too-long", params={"max": MAX_SEGMENT})
        try:
            got_tag, start, end = read_tlv(segment)
        except DecodeError as exc:
            raise BspStructureError(
                msg_id="esim.bsp.malformed",
                params={"error": str(exc), "error_said": exc.message_json()},
            ) from None
        if got_tag != tag or end != len(segment):
            raise BspStructureError(msg_id="esim.bsp.wrong-tag", params={"tag": f"{tag:02X}"})
        if end - start < MAC_LEN:
            raise BspStructureError(msg_id="esim.bsp.shorter-than-mac")
        header = segment[:start]
        data, mac = segment[start : end - MAC_LEN], segment[end - MAC_LEN : end]
        cmac = CMAC(algorithms.AES(self._s_mac))
        cmac.update(self._mcv + header + data)
        full = cmac.finalize()
        if not hmac.compare_digest(full[:MAC_LEN], mac):
            raise BspMacError(msg_id="esim.bsp.mac-failed")
        self._mcv = full
        return data

    def unprotect(self, segment: bytes, tag: int = TAG_86) -> bytes:
        """Verify the MAC of one encrypted segment and return its plaintext."""
        ciphertext = self._verify(segment, tag)
        if not ciphertext or len(ciphertext) % BLOCK:
            raise BspStructureError(msg_id="esim.bsp.not-whole-blocks")
        dec = Cipher(self._enc, modes.CBC(self._icv())).decryptor()
        return _unpad(dec.update(ciphertext) + dec.finalize())

    def unmac(self, segment: bytes, tag: int = TAG_88) -> bytes:
        """Verify the MAC of one MAC-only segment and return its data."""
        data = self._verify(segment, tag)
        self._counter += 1
        return data


# -- the Bound Profile Package ---------------------------------------------------------------


@dataclass(frozen=True)
class ProtectedParts:
    """The protected segments of a BPP, ready to be framed after BF23."""

    configure_isdp: list[bytes]  # 87 segments
    store_metadata: list[bytes]  # 88 segments
    replace_session_keys: list[bytes]  # 87 segments, empty without PPK
    profile: list[bytes]  # 86 segments


def protect_bpp(
    keys: SessionKeys,
    configure_isdp: bytes,
    store_metadata: bytes,
    profile_package: bytes,
    *,
    replace_session_keys: bytes | None = None,
    ppk: SessionKeys | None = None,
    segment_plaintext: int = MAX_ENCRYPTED_PLAINTEXT,
) -> ProtectedParts:
    """Protect the BPP contents (each given as its complete DER TLV) with the session keys.

    ``replace_session_keys`` is the DER ReplaceSessionKeysRequest (BF26) carrying ``ppk``; the
    profile segments are then protected with the PPK instead of the session keys.
    """
    if (replace_session_keys is None) != (ppk is None):
        raise BspError(msg_id="esim.bsp.ppk-pair")
    session = BspSession(keys)
    first = session.protect_all(TAG_87, configure_isdp)
    meta = session.mac_only_all(TAG_88, store_metadata)
    second: list[bytes] = []
    if replace_session_keys is not None and ppk is not None:
        second = session.protect_all(TAG_87, replace_session_keys)
        session = BspSession(ppk)
    profile = session.protect_all(TAG_86, profile_package, step=segment_plaintext)
    return ProtectedParts(first, meta, second, profile)


def assemble_bpp(initialise_secure_channel: bytes, parts: ProtectedParts) -> bytes:
    """Frame a BoundProfilePackage (BF36) from the DER BF23 and the protected segments."""
    body = initialise_secure_channel
    body += tlv(TAG_FIRST_87, b"".join(parts.configure_isdp))
    body += tlv(TAG_SEQ_88, b"".join(parts.store_metadata))
    if parts.replace_session_keys:
        body += tlv(TAG_SECOND_87, b"".join(parts.replace_session_keys))
    body += tlv(TAG_SEQ_86, b"".join(parts.profile))
    return tlv(TAG_BPP, body)
