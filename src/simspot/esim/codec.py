"""DER encoding and decoding of the SGP.22 RSPDefinitions types (asn1tools), plus small TLV tools.

The ASN.1 module (``asn1/rsp.asn``) is compiled once, on first use, and cached: importing this
module costs nothing, so start-up paths that never touch a card do not pay for it.

Values follow asn1tools' conventions: SEQUENCE -> dict, CHOICE -> ``(name, value)``, BIT STRING ->
``(bytes, number_of_bits)``, OCTET STRING -> ``bytes``, OBJECT IDENTIFIER -> dotted ``str``,
Certificate -> the certificate's whole DER bytes.
"""

from __future__ import annotations

import threading
from importlib import resources
from typing import Any

from simspot.esim.errors import DecodeError, EncodeError

_lock = threading.Lock()
_compiled: Any = None

# Fields typed OBJECT IDENTIFIER. asn1tools decodes a first sub-identifier >= 120 (e.g. the
# private-use arc 2.999) as "26.39..." instead of "2.999...", so we repair those after decoding.
_OID_FIELDS = frozenset({"smdpOid", "dpOid"})

# ProfileClass is DEFAULT operational in StoreMetadataRequest. asn1tools hands a defaulted member
# back by name ("operational") and encodes it when given as a number, which DER forbids
# (X.690 11.5): decoded classes are always numbers here, and encode() leaves the default out.
_PROFILE_CLASSES = {"test": 0, "provisioning": 1, "operational": 2}
_DER_DEFAULTS: dict[str, tuple[str, int]] = {"StoreMetadataRequest": ("profileClass", 2)}


def _specification() -> Any:
    """The compiled RSPDefinitions (compiled on first use, then cached for the process)."""
    global _compiled
    if _compiled is None:
        with _lock:
            if _compiled is None:
                import asn1tools

                _guard_der_arrays()
                text = resources.files("simspot.esim").joinpath("asn1/rsp.asn").read_text("utf-8")
                _compiled = asn1tools.compile_string(text, "der")
    return _compiled


def _guard_der_arrays() -> None:
    """Make asn1tools' DER decoder refuse a SEQUENCE OF / SET OF element with the wrong tag.

    asn1tools (0.169) checks the element's tag in its BER decoder but not in its DER one: there a
    wrong tag decodes as "no match" without consuming a byte, and the loop appends that for ever,
    so seven bytes from a card or an SM-DP+ (``BF2D04A0020400``, a profile list whose entry is an
    OCTET STRING) took all memory. The DER decoder gets the BER decoder's check, and a loop that
    makes no progress is an error.
    """
    from asn1tools.codecs import ber, der

    if getattr(der.ArrayType.decode_content, "simspot_guarded", False):
        return

    def decode_content(self: Any, data: bytearray, offset: int, length: int) -> tuple[Any, int]:
        decoded = []
        start = offset
        while offset - start < length:
            element, after = self.element_type.decode(data, offset)
            ber.check_decode_error(self.element_type, element, data, offset)
            if after <= offset:
                raise ber.DecodeTagError(
                    self.element_type, data, offset, location=self.element_type
                )
            decoded.append(element)
            offset = after
        return decoded, offset

    decode_content.simspot_guarded = True  # type: ignore[attr-defined]
    der.ArrayType.decode_content = decode_content


def type_names() -> list[str]:
    """Every type name the codec knows (RSPDefinitions plus the reduced PKIX types)."""
    return sorted(_specification().types)


def encode(type_name: str, value: Any) -> bytes:
    """DER-encode ``value`` as the ASN.1 type ``type_name``; EncodeError on a bad value."""
    spec = _specification()
    if type_name not in spec.types:
        raise EncodeError(msg_id="esim.codec.unknown-type", params={"type": type_name})
    default = _DER_DEFAULTS.get(type_name)
    if default is not None and isinstance(value, dict):
        name, number = default
        given = value.get(name)
        if given == number or (isinstance(given, str) and _PROFILE_CLASSES.get(given) == number):
            value = {k: v for k, v in value.items() if k != name}
    try:
        return bytes(spec.encode(type_name, value, check_constraints=True))
    except Exception as exc:  # asn1tools raises many kinds; translate them all here
        raise EncodeError(
            msg_id="esim.codec.cannot-encode", params={"type": type_name, "error": str(exc)}
        ) from exc


def decode(type_name: str, data: bytes, *, allow_trailing: bool = False) -> Any:
    """Decode DER ``data`` as ``type_name``; DecodeError on anything malformed.

    Trailing bytes after the value are an error unless ``allow_trailing``.
    """
    value, length = decode_prefix(type_name, data)
    if length != len(data) and not allow_trailing:
        raise DecodeError(
            msg_id="esim.codec.trailing", params={"type": type_name, "count": len(data) - length}
        )
    return value


def decode_prefix(type_name: str, data: bytes) -> tuple[Any, int]:
    """Decode the value at the start of ``data``; return it with the number of bytes it used."""
    spec = _specification()
    if type_name not in spec.types:
        raise DecodeError(msg_id="esim.codec.unknown-type", params={"type": type_name})
    if not data:
        raise DecodeError(msg_id="esim.codec.no-data", params={"type": type_name})
    try:
        value, length = spec.decode_with_length(type_name, bytes(data))
    except RecursionError as exc:
        raise DecodeError(msg_id="esim.codec.too-deep", params={"type": type_name}) from exc
    except Exception as exc:  # asn1tools raises many kinds; translate them all here
        raise DecodeError(
            msg_id="esim.codec.invalid", params={"type": type_name, "error": str(exc)}
        ) from exc
    if length > len(data):
        raise DecodeError(msg_id="esim.codec.past-end", params={"type": type_name})
    if isinstance(value, tuple) and len(value) == 2 and value[0] is None:
        # asn1tools decodes an unknown alternative of an extensible CHOICE as (None, None);
        # at the top level nothing can be done with it, so it is malformed input here.
        raise DecodeError(
            msg_id="esim.codec.unknown-alternative",
            params={"type": type_name, "tag": data[:2].hex()},
        )
    try:
        return _normalise(value, None, type_name), length
    except _UnknownAlternative as exc:
        raise DecodeError(
            msg_id="esim.codec.unknown-alternative-in",
            params={"type": type_name, "field": exc.field},
        ) from None


class _UnknownAlternative(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _normalise(value: Any, key: str | None, where: str) -> Any:
    """asn1tools' value in our conventions; ``where`` names the field for an error."""
    if isinstance(value, dict):
        return {k: _normalise(v, k, k) for k, v in value.items()}
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, tuple):
        if len(value) == 2 and isinstance(value[0], str):  # CHOICE: keep the member name
            return (value[0], _normalise(value[1], value[0], value[0]))
        if len(value) == 2 and value[0] is None:
            # An unknown alternative of a CHOICE inside the value (asn1tools' lenient decoding,
            # as at the top level): nothing reading it can know what it holds, so it is
            # malformed input; the field lookups behind it failed with TypeError (found by
            # fuzzing: a ProfileInstallationResult whose finalResult had tag A7).
            raise _UnknownAlternative(where)
        return tuple(_normalise(v, None, where) for v in value)
    if isinstance(value, list):
        return [_normalise(v, None, where) for v in value]
    if isinstance(value, str) and key in _OID_FIELDS:
        return _repair_oid(value)
    if isinstance(value, str) and key == "profileClass":
        return _PROFILE_CLASSES.get(value, value)
    return value


def _repair_oid(oid: str) -> str:
    arcs = oid.split(".")
    if len(arcs) >= 2 and arcs[0].isdigit() and arcs[1].isdigit() and int(arcs[0]) > 2:
        first = int(arcs[0]) * 40 + int(arcs[1])
        return ".".join(["2", str(first - 80), *arcs[2:]])
    return oid


# --- BER-TLV tools (ISO/IEC 7816-4 / X.690) used for APDU payloads and the BPP ----------------


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """Read one BER-TLV header at ``offset``: return (tag, value_offset, end_offset).

    The tag is returned as an int of its raw bytes (``0xBF36``, ``0x86``).
    """
    n = len(data)
    if offset >= n:
        raise DecodeError(msg_id="esim.codec.tlv.no-data")
    pos = offset
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        while True:
            if pos >= n:
                raise DecodeError(msg_id="esim.codec.tlv.tag-past-end")
            b = data[pos]
            pos += 1
            tag = (tag << 8) | b
            if not b & 0x80:
                break
            if pos - offset > 4:
                raise DecodeError(msg_id="esim.codec.tlv.tag-too-long")
    if pos >= n:
        raise DecodeError(msg_id="esim.codec.tlv.no-length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DecodeError(msg_id="esim.codec.tlv.indefinite")
    else:
        count = first & 0x7F
        if count > 4 or pos + count > n:
            raise DecodeError(msg_id="esim.codec.tlv.bad-length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > n:
        raise DecodeError(
            msg_id="esim.codec.tlv.past-end", params={"tag": f"{tag:X}", "length": length}
        )
    return tag, pos, end


def iter_tlvs(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
    """All consecutive TLVs between ``start`` and ``end`` as (tag, value_offset, end_offset)."""
    stop = len(data) if end is None else end
    out = []
    pos = start
    while pos < stop:
        tag, vstart, vend = read_tlv(data[:stop], pos)
        out.append((tag, vstart, vend))
        pos = vend
    return out


def encode_length(length: int) -> bytes:
    """A DER length field."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body
