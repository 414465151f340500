"""ICCID and other BCD digit strings as SGP.22 and the eUICC Profile Package code them (pure).

Two codings of the same 10 bytes are in use, and mixing them up breaks every real package:

- EF.ICCID coding (ETSI TS 102 221 13.2), used by every ES10/ES9+ message (ProfileInfo,
  StoreMetadataRequest, NotificationMetadata, searchCriteria): BCD with the two digits of each
  byte swapped, F-padded. ``89 44 ...`` is sent as ``98 44 ...``.
- Plain digit order, used by the ProfileHeader of a SAIP (TCA eUICC Profile Package) package:
  ``89 49 44 99 99 99 99 90 02 3F`` is ICCID ``8949449999999990023``.

TAC and IMEI in DeviceInfo (SGP.22 4.2) use the swapped coding too (:func:`swapped_bcd`).
"""

from __future__ import annotations

from simspot.esim.errors import EsimValueError

ICCID_BYTES = 10


def _check(iccid: str) -> str:
    digits = iccid.strip()
    if not digits.isdigit() or not 18 <= len(digits) <= 20:
        raise EsimValueError(msg_id="esim.iccid.digits", params={"value": repr(iccid)})
    return digits


def swapped_bcd(digits: str, length: int) -> bytes:
    """``digits`` as ``length`` bytes of nibble-swapped BCD, F-padded (EF.ICCID, TAC, IMEI)."""
    if len(digits) > 2 * length or not all(c in "0123456789Ff" for c in digits):
        raise EsimValueError(
            msg_id="esim.iccid.bcd-fit", params={"value": repr(digits), "length": length}
        )
    padded = digits.ljust(2 * length, "F")
    return bytes(int(padded[i + 1] + padded[i], 16) for i in range(0, 2 * length, 2))


def iccid_to_bytes(iccid: str) -> bytes:
    """ICCID digits -> EF.ICCID coding (nibble-swapped BCD, F-padded to 10 bytes)."""
    return swapped_bcd(_check(iccid), ICCID_BYTES)


def iccid_from_bytes(data: bytes) -> str:
    """EF.ICCID coding -> ICCID digits (padding F removed)."""
    return "".join(f"{b & 0x0F:X}{b >> 4:X}" for b in data).rstrip("F")


def iccid_to_header_bytes(iccid: str) -> bytes:
    """ICCID digits -> the plain digit order of a ProfileHeader (F-padded to 10 bytes)."""
    return bytes.fromhex(_check(iccid).ljust(2 * ICCID_BYTES, "F"))


def iccid_from_header_bytes(data: bytes) -> str:
    """The plain digit order of a ProfileHeader -> ICCID digits (padding F removed)."""
    return data.hex().upper().rstrip("F")
