"""Activation codes (SGP.22 4.1): parse and validate text, or read it from a QR image.

    [LPA:]1$<SM-DP+ address>$<Matching ID>[$<SM-DP+ OID>[$<CC required flag>[$<CI PKID>]]]

The matching ID may be empty (the SM-DP+ then identifies the order by the EID). The matching ID
is a secret (whoever holds it can take the profile), so it is masked in ``repr`` and in logs.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from simspot.esim.errors import ActivationCodeError

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_MATCHING_ID = re.compile(r"^[A-Za-z0-9._-]*$")
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
MAX_MATCHING_ID = 255
# The pure-Python PNG decoder takes about 3 s per million RGBA pixels, and a few kB of PNG can
# announce 40 M pixels (and inflate to hundreds of MB): a bigger image than a phone screenshot
# (1440 x 3200 = 4.6 M) is refused instead of taking minutes and gigabytes.
MAX_PIXELS = 5_000_000


@dataclass(frozen=True)
class ActivationCode:
    """A parsed activation code. ``matching_id`` is secret; ``repr`` masks it."""

    smdp_address: str
    matching_id: str = field(repr=False)
    smdp_oid: str | None = None
    confirmation_code_required: bool = False
    ci_pkid: str | None = None

    def __repr__(self) -> str:
        return (
            f"ActivationCode(smdp_address={self.smdp_address!r}, matching_id={self.masked_matching_id!r}, "
            f"smdp_oid={self.smdp_oid!r}, confirmation_code_required={self.confirmation_code_required})"
        )

    __str__ = __repr__

    @property
    def masked_matching_id(self) -> str:
        return "" if not self.matching_id else "***"

    @property
    def text(self) -> str:
        """The canonical activation code (without the ``LPA:`` prefix). Contains the secret."""
        fields = ["1", self.smdp_address, self.matching_id]
        tail = [
            self.smdp_oid or "",
            "1" if self.confirmation_code_required else "",
            self.ci_pkid or "",
        ]
        while tail and not tail[-1]:
            tail.pop()
        return "$".join(fields + tail)

    @property
    def qr_text(self) -> str:
        return "LPA:" + self.text


def validate_smdp_address(address: str) -> str:
    """An SM-DP+ address is an FQDN, optionally with ``:port``; never a URL."""
    if not address:
        raise ActivationCodeError("the SM-DP+ address is empty", msg_id="esim.code.address-empty")
    if "://" in address or "/" in address:
        raise ActivationCodeError(
            f"the SM-DP+ address must be a host name such as smdp.example.com, not a URL ({address!r})",
            msg_id="esim.code.address-url",
            params={"address": repr(address)},
        )
    host, sep, port = address.rpartition(":")
    # The port in ASCII digits only: str.isdigit() takes '²' (int() then raises ValueError), '١'
    # and fullwidth digits, and int() refuses runs of more than 4300 digits (found by fuzzing).
    if not sep:
        host, port = address, ""
    elif not re.fullmatch(r"[0-9]{1,5}", port) or not 0 < int(port) < 65536:
        raise ActivationCodeError(
            f"the SM-DP+ address has a bad port: {address!r}",
            msg_id="esim.code.address-port",
            params={"address": repr(address)},
        )
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ActivationCodeError(
            f"the SM-DP+ address is not a valid host name: {address!r}",
            msg_id="esim.code.address-host",
            params={"address": repr(address)},
        )
    return address.lower()


def parse(text: str) -> ActivationCode:
    """Parse an activation code as typed, pasted or read from a QR code."""
    code = text.strip()
    if code[:4].upper() == "LPA:":
        code = code[4:]
    if not code:
        raise ActivationCodeError("the activation code is empty", msg_id="esim.code.empty")
    fields = code.split("$")
    if fields[0] != "1":
        if len(fields) == 1:
            raise ActivationCodeError(
                "this is not an activation code: it should look like LPA:1$smdp.example.com$MATCHING-ID",
                msg_id="esim.code.not-code",
            )
        raise ActivationCodeError(
            f"unsupported activation code format {fields[0]!r} (only format 1 exists, SGP.22 4.1)",
            msg_id="esim.code.format",
            params={"format": repr(fields[0])},
        )
    if len(fields) < 3:
        raise ActivationCodeError(
            "the activation code has no matching ID field (expected 1$<SM-DP+ address>$<matching ID>)",
            msg_id="esim.code.no-matching-id",
        )
    if len(fields) > 6:
        raise ActivationCodeError(
            f"the activation code has {len(fields)} fields; at most 6 are allowed",
            msg_id="esim.code.fields",
            params={"fields": len(fields)},
        )
    address = validate_smdp_address(fields[1])
    matching_id = fields[2]
    if len(matching_id) > MAX_MATCHING_ID:
        raise ActivationCodeError(
            f"the matching ID is longer than {MAX_MATCHING_ID} characters",
            msg_id="esim.code.matching-id-long",
            params={"max": MAX_MATCHING_ID},
        )
    if not _MATCHING_ID.match(matching_id):
        raise ActivationCodeError(
            "the matching ID may only contain letters, digits, '-', '_' and '.' "
            "(check for spaces or characters lost when copying)",
            msg_id="esim.code.matching-id-chars",
        )
    oid = fields[3] if len(fields) > 3 and fields[3] else None
    if oid is not None and not _OID.match(oid):
        raise ActivationCodeError(
            f"the SM-DP+ OID {oid!r} is not a dotted object identifier",
            msg_id="esim.code.oid",
            params={"oid": repr(oid)},
        )
    cc_field = fields[4] if len(fields) > 4 else ""
    if cc_field not in ("", "0", "1"):
        raise ActivationCodeError(
            f"the confirmation-code-required flag must be 1 (or absent), not {cc_field!r}",
            msg_id="esim.code.cc-flag",
            params={"value": repr(cc_field)},
        )
    ci_pkid = fields[5] if len(fields) > 5 and fields[5] else None
    if ci_pkid is not None and not re.fullmatch(r"[0-9A-Fa-f]{2,64}", ci_pkid):
        raise ActivationCodeError(
            "the CI public key identifier must be hexadecimal", msg_id="esim.code.ci-pkid"
        )
    return ActivationCode(
        address, matching_id, oid, cc_field == "1", ci_pkid.upper() if ci_pkid else None
    )


# --- QR images --------------------------------------------------------------------------------


def read_qr(path: str | Path) -> ActivationCode:
    """Read an activation code from a QR code in a PNG, PGM or PPM image file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ActivationCodeError(
            f"cannot read the QR image {path}: {exc.strerror}",
            msg_id="esim.qr.unreadable",
            params={"path": str(path), "problem": exc.strerror},
        ) from exc
    return read_qr_bytes(data)


def read_qr_bytes(data: bytes) -> ActivationCode:
    import zxingcpp

    width, height, pixels = decode_image(data)
    view = memoryview(pixels).cast("B", (height, width))
    results = zxingcpp.read_barcodes(view)
    texts = [r.text for r in results if r.valid and r.format == zxingcpp.BarcodeFormat.QRCode]
    if not texts:
        raise ActivationCodeError("no QR code found in the image", msg_id="esim.qr.none")
    errors: list[ActivationCodeError] = []
    for text in texts:
        try:
            return parse(text)
        except ActivationCodeError as exc:
            errors.append(exc)
    raise ActivationCodeError(
        "the QR code does not hold an eSIM activation code: " + str(errors[0]),
        msg_id="esim.qr.not-code",
        params={"problem": [errors[0].message_json()]},
    )


def decode_image(data: bytes) -> tuple[int, int, bytes]:
    """Decode a PNG (non-interlaced) or binary PGM/PPM to (width, height, 8-bit grey pixels)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _decode_png(data)
    if data[:2] in (b"P5", b"P6"):
        return _decode_pnm(data)
    raise ActivationCodeError(
        "unsupported image format: give a PNG (or PGM/PPM) image of the QR code",
        msg_id="esim.qr.format",
    )


def _decode_pnm(data: bytes) -> tuple[int, int, bytes]:
    # at most 9 digits a number: int() refuses more than 4300 (ValueError)
    tokens = re.match(rb"(P[56])\s+(?:#[^\n]*\n\s*)*(\d{1,9})\s+(\d{1,9})\s+(\d{1,9})\s", data)
    if tokens is None:
        raise ActivationCodeError("malformed PGM/PPM image", msg_id="esim.qr.pnm-malformed")
    kind, w, h, maxval = (
        tokens.group(1),
        int(tokens.group(2)),
        int(tokens.group(3)),
        int(tokens.group(4)),
    )
    if w == 0 or h == 0:
        raise ActivationCodeError("malformed PGM/PPM image", msg_id="esim.qr.pnm-malformed")
    if maxval > 255:
        raise ActivationCodeError(
            "16-bit PGM/PPM images are not supported", msg_id="esim.qr.pnm-16bit"
        )
    body = data[tokens.end() :]
    channels = 1 if kind == b"P5" else 3
    if len(body) < w * h * channels:
        raise ActivationCodeError("truncated PGM/PPM image", msg_id="esim.qr.pnm-truncated")
    if channels == 1:
        return w, h, bytes(body[: w * h])
    return (
        w,
        h,
        bytes((body[i] * 3 + body[i + 1] * 6 + body[i + 2]) // 10 for i in range(0, w * h * 3, 3)),
    )


def _decode_png(data: bytes) -> tuple[int, int, bytes]:
    pos = 8
    idat = bytearray()
    header: tuple[int, ...] | None = None
    palette = b""
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            if len(chunk) != 13:
                raise ActivationCodeError(
                    "malformed PNG image (no header)", msg_id="esim.qr.png-header"
                )
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"PLTE":
            palette = chunk
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    if header is None:
        raise ActivationCodeError("malformed PNG image (no header)", msg_id="esim.qr.png-header")
    width, height, depth, color, _, _, interlace = header
    if interlace:
        raise ActivationCodeError(
            "interlaced PNG images are not supported; save it without interlacing",
            msg_id="esim.qr.png-interlaced",
        )
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color)
    if channels is None or depth not in (1, 2, 4, 8, 16) or not 0 < width * height <= MAX_PIXELS:
        raise ActivationCodeError("unsupported PNG image", msg_id="esim.qr.png-unsupported")
    bits_pp = depth * channels
    stride = (width * bits_pp + 7) // 8
    bpp = max(1, bits_pp // 8)
    try:  # inflate only what the header announces: a small IDAT can expand to gigabytes
        raw = zlib.decompressobj().decompress(bytes(idat), (stride + 1) * height)
    except zlib.error as exc:
        raise ActivationCodeError("malformed PNG image data", msg_id="esim.qr.png-data") from exc
    if len(raw) < (stride + 1) * height:
        raise ActivationCodeError("truncated PNG image", msg_id="esim.qr.png-truncated")
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        _unfilter(ftype, line, prev, bpp)
        rows.append(bytes(line))
        prev = line
    grey = bytearray(width * height)
    maxval = (1 << depth) - 1 if depth < 16 else 65535
    for y, row in enumerate(rows):
        for x in range(width):
            grey[y * width + x] = _grey(row, x, depth, color, channels, palette, maxval)
    return width, height, bytes(grey)


def _unfilter(ftype: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    if ftype == 0:
        return
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ftype == 1:
            line[i] = (line[i] + a) & 0xFF
        elif ftype == 2:
            line[i] = (line[i] + b) & 0xFF
        elif ftype == 3:
            line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
        elif ftype == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
        else:
            raise ActivationCodeError(
                "malformed PNG image (bad filter)", msg_id="esim.qr.png-filter"
            )


def _sample(line: bytes, index: int, depth: int) -> int:
    if depth == 8:
        return line[index]
    if depth == 16:
        return line[2 * index]  # the high byte is enough for a QR code
    per_byte = 8 // depth
    byte = line[index // per_byte]
    shift = 8 - depth * (index % per_byte + 1)
    return (byte >> shift) & ((1 << depth) - 1)


def _grey(
    line: bytes, x: int, depth: int, color: int, channels: int, palette: bytes, maxval: int
) -> int:
    if color == 3:
        i = _sample(line, x, depth) * 3
        if i + 2 >= len(palette):
            return 255
        return (palette[i] * 3 + palette[i + 1] * 6 + palette[i + 2]) // 10
    values = [_sample(line, x * channels + c, depth) for c in range(channels)]
    scale = 255 / maxval if depth < 8 else 1
    if depth == 16:
        scale = 1
    if color in (0, 4):
        grey = values[0] * scale
        alpha = values[1] * scale if color == 4 else 255
    else:
        grey = (values[0] * 3 + values[1] * 6 + values[2]) / 10 * scale
        alpha = values[3] * scale if color == 6 else 255
    # Transparent pixels count as white (a QR code on a transparent background).
    return int(grey * alpha / 255 + 255 - alpha)
