"""Sample profile packages for tests, the benchmark and the demo.

A real Unprotected Profile Package is a DER sequence of SIMalliance/TCA eUICC Profile Package
profile elements (PEs). These samples look the same on the wire: a ProfileHeader PE (A0) with
version, profile type and ICCID, an MF PE, USIM-like file PEs, an AKA parameter PE, filler
generic-file-management PEs up to the requested size, and an End PE (AA). The content is
deterministic (derived from the ICCID and the size) but carries no real secrets.

The ProfileHeader carries the ICCID in plain digit order, F-padded, as every real SAIP package
does (``89 49 44 99 ...``), not in the nibble-swapped EF.ICCID coding of the ES10 messages; see
`simspot.esim.iccid`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from simspot.errors import SimspotValueError
from simspot.esim.iccid import iccid_from_header_bytes, iccid_to_header_bytes
from simspot.ident import luhn_digit

# ProfileElement CHOICE tags of the eUICC Profile Package (context-specific, constructed)
PE_HEADER = 0xA0  # header [0]
PE_GENERIC_FILE_MANAGEMENT = 0xA1  # genericFileManagement [1]
PE_PIN_CODES = 0xA2  # pinCodes [2]
PE_AKA_PARAMETER = 0xA4  # akaParameter [4]
PE_END = 0xAA  # end [10]
PE_MF = 0xAC  # mf [12]
PE_USIM = 0xAF  # usim [15]

SIZES = {"12k": 12 * 1024, "19k": 19 * 1024}


class ProfileError(SimspotValueError):
    """An ICCID or sample-profile request that cannot be honoured."""


def make_iccid(index: int, *, prefix: str = "8999001") -> str:
    """A 20-digit test ICCID (issuer prefix 89 99 = test) ending in its Luhn digit."""
    body = f"{prefix}{index:012d}"
    if len(body) != 19:
        raise ProfileError(msg_id="simulator.profile.iccid-prefix")
    return body + luhn_digit(body)


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + length + value


def _stream(seed: bytes, n: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:n])


def _header(iccid: str) -> bytes:
    body = (
        _tlv(0x80, b"\x02")  # major-version
        + _tlv(0x81, b"\x03")  # minor-version
        + _tlv(0x82, b"simspot sample profile")  # profileType
        + _tlv(0x83, iccid_to_header_bytes(iccid))  # iccid, plain digit order
        + _tlv(0xA5, _tlv(0x81, b"") + _tlv(0x84, b""))  # eUICC-Mandatory-services: usim, milenage
        + _tlv(0xA6, _tlv(0x06, bytes.fromhex("67810F010201")))  # mandatory GFSTE list (an OID)
    )
    return _tlv(PE_HEADER, body)


def _pe_header(identification: int) -> bytes:
    # PEHeader: mandated NULL + identification INTEGER
    return _tlv(0xA0, _tlv(0x80, b"") + _tlv(0x81, identification.to_bytes(2, "big")))


def _file_pe(tag: int, identification: int, fid: int, content: bytes) -> bytes:
    fcp = _tlv(0x62, _tlv(0x82, b"\x41\x21") + _tlv(0x83, fid.to_bytes(2, "big")))
    file_body = _tlv(0xA0, fcp + _tlv(0x83, content))
    return _tlv(tag, _pe_header(identification) + file_body)


MIN_SIZE = 1024


def sample_profile(size: int, *, iccid: str | None = None, name: str = "sample") -> bytes:
    """A deterministic profile package of exactly ``size`` bytes (1 KiB to 1 MiB)."""
    if not MIN_SIZE <= size <= 1024 * 1024:
        raise ProfileError(msg_id="simulator.profile.sample-size")
    iccid = iccid or make_iccid(int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big"))
    seed = hashlib.sha256(f"{iccid}/{size}/{name}".encode()).digest()
    head = [
        _header(iccid),
        _file_pe(PE_MF, 2, 0x3F00, _stream(seed + b"mf", 32)),
        _file_pe(PE_USIM, 3, 0x7FF0, _stream(seed + b"usim", 96)),
        _tlv(PE_AKA_PARAMETER, _pe_header(4) + _tlv(0xA1, _stream(seed + b"aka", 48))),
    ]
    end = _tlv(PE_END, _pe_header(0xFFFF))
    room = size - sum(map(len, head)) - len(end)
    # Filler PEs of 300-1000 bytes each: their content is >= 256 bytes, so every length field
    # has the same 3-byte form and a filler can be built to an exact size.
    count = -(-room // 1000)
    fillers = []
    for i in range(count):
        target = room // count + (1 if i < room % count else 0)
        ident = 5 + i
        overhead = len(_file_pe(PE_GENERIC_FILE_MANAGEMENT, ident, 0x6F00, bytes(256))) - 256
        content = _stream(seed + ident.to_bytes(4, "big"), target - overhead)
        fillers.append(_file_pe(PE_GENERIC_FILE_MANAGEMENT, ident, 0x6F00 + ident % 256, content))
    data = b"".join(head + fillers) + end
    if len(data) != size:
        raise ProfileError(
            msg_id="simulator.profile.sample-internal", params={"size": len(data), "wanted": size}
        )
    return data


def header_iccid(package: bytes) -> str | None:
    """The ICCID in the ProfileHeader PE at the start of a package (plain digit order), if any."""
    try:
        if not package or package[0] != PE_HEADER:
            return None
        body, _ = _read(package, 0)
        pos = 0
        while pos < len(body):
            tag = body[pos]
            value, nxt = _read(body, pos)
            if tag == 0x83 and len(value) == 10:
                return iccid_from_header_bytes(value)
            pos = nxt
    except (IndexError, ValueError):
        return None
    return None


def _read(data: bytes, pos: int) -> tuple[bytes, int]:
    lb = data[pos + 1]
    start = pos + 2
    if lb & 0x80:
        count = lb & 0x7F
        if count > 3:
            raise ValueError("length too long")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    else:
        length = lb
    end = start + length
    if end > len(data):
        raise ValueError("truncated")
    return data[start:end], end


def write_samples(directory: Path, sizes: dict[str, int] | None = None) -> dict[str, Path]:
    """Write one sample package per matching ID (file name = matching ID) into ``directory``."""
    wanted = sizes or {"SAMPLE-12K": SIZES["12k"], "SAMPLE-19K": SIZES["19k"]}
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, (matching_id, size) in enumerate(sorted(wanted.items())):
        path = directory / matching_id
        path.write_bytes(sample_profile(size, iccid=make_iccid(1000 + i), name=matching_id))
        out[matching_id] = path
    return out
