"""Join QR codes decoded back with zxing-cpp, from each rendering simspot produces."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.hotspot import qr
from simspot.hotspot.validate import HotspotValueError

Grid = list[list[bool]]  # True = dark


def decode(grid: Grid, scale: int = 4) -> str:
    """Rasterise a module grid (scaled, with a white margin) and decode it with zxing-cpp."""
    h, w = len(grid) * scale, len(grid[0]) * scale
    buf = bytearray(w * h)
    for y in range(h):
        row = grid[y // scale]
        for x in range(w):
            buf[y * w + x] = 0 if row[x // scale] else 255
    found = zxingcpp.read_barcodes(memoryview(bytes(buf)).cast("B", (h, w)))
    assert len(found) == 1, "zxing-cpp found no QR code"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


def png_grid(data: bytes) -> Grid:
    """Read the 1-bit greyscale PNG segno writes (enough of PNG for that, no library)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = depth = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (1, 0), (depth, colour)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    grid, prev = [], bytearray(stride)
    for y in range(height):
        f, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        if f == 2:  # "up" filter; segno uses 0 or 2
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        else:
            assert f == 0, f"PNG filter {f}"
        prev = line
        grid.append([not (line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
    return grid


def svg_grid(data: bytes) -> Grid:
    """Rasterise segno's SVG path (M/m moves and h strokes of one module) back to modules."""
    root = ET.fromstring(data)
    size = int(root.get("width", "0"))
    path = next(e for e in root.iter() if e.tag.endswith("path"))
    scale = float(re.fullmatch(r"scale\((\d+)\)", path.get("transform", "scale(1)")).group(1))  # type: ignore[union-attr]
    n = round(size / scale)
    grid = [[False] * n for _ in range(n)]
    x = y = 0.0
    for cmd, a, b in re.findall(r"([Mmh])\s*(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path.get("d", "")):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(float(a))):
                grid[int(y)][int(x) + i] = True
            x += float(a)
    return grid


def terminal_grid(text: str) -> Grid:
    top = {"█": False, "▀": False, "▄": True, " ": True}
    bottom = {"█": False, "▀": True, "▄": False, " ": True}
    grid: Grid = []
    for line in text.splitlines():
        grid.append([top[c] for c in line])
        grid.append([bottom[c] for c in line])
    # Light modules are drawn, so a dark-background terminal shows dark-on-light; add a margin.
    w = len(grid[0]) + 8
    pad = [[False] * w for _ in range(4)]
    return pad + [[False] * 4 + row + [False] * 4 for row in grid] + pad


def test_payload_format_and_escaping() -> None:
    assert qr.wifi_text("home", "kx8Lq2vRt9Zm", "wpa2-wpa3", False) == (
        "WIFI:T:WPA;S:home;P:kx8Lq2vRt9Zm;H:false;;"
    )
    assert qr.wifi_text('a;b:c\\d,e"f', 'p;:\\,"', "wpa3", True) == (
        'WIFI:T:SAE;R:1;S:a\\;b\\:c\\\\d\\,e\\"f;P:p\\;\\:\\\\\\,\\";H:true;;'
    )
    assert qr.wifi_text("guests", None, "open", False) == "WIFI:T:nopass;S:guests;H:false;;"
    with pytest.raises(HotspotValueError, match=r"^passphrase: "):
        qr.wifi_text("x", None, "wpa2", False)


CASES = [
    ("simspot-7f3a", "kx8Lq2vRt9Zm", "wpa2-wpa3", False),
    ('Caf\u00e9 ;:\\,"\u65e5\u672c\U0001f4f6', 'p;a:s\\s,"w #1', "wpa3", True),
    ("guests", None, "open", False),
]


@pytest.mark.parametrize(("ssid", "password", "security", "hidden"), CASES)
def test_every_rendering_decodes_back(
    ssid: str, password: str | None, security: str, hidden: bool
) -> None:
    text = qr.wifi_text(ssid, password, security, hidden)  # type: ignore[arg-type]
    assert decode(png_grid(qr.png(text)), scale=1) == text
    assert decode(svg_grid(qr.svg(text))) == text
    assert decode(terminal_grid(qr.terminal(text))) == text
    parsed = qr.parse_wifi_text(decode(qr.matrix(text)))
    assert (parsed.ssid, parsed.password, parsed.hidden) == (ssid, password, hidden)
    assert parsed.kind == {"wpa2-wpa3": "WPA", "wpa3": "SAE", "open": "nopass"}[security]
    assert ("R" in parsed.fields) == (security == "wpa3")


tricky = st.text(
    st.one_of(
        st.sampled_from(list(';:\\,"')),
        st.characters(blacklist_categories=("Cc", "Cs")),
    ),
    min_size=1,
    max_size=24,
)
ascii_pass = st.text(
    st.one_of(
        st.sampled_from(list(';:\\,"')), st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    ),
    min_size=8,
    max_size=40,
)


@given(
    ssid=tricky,
    password=ascii_pass,
    security=st.sampled_from(["wpa2", "wpa2-wpa3", "wpa3"]),
    hidden=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_decoded_payload_equals_input(
    ssid: str, password: str, security: str, hidden: bool
) -> None:
    text = qr.wifi_text(ssid, password, security, hidden)  # type: ignore[arg-type]
    decoded = decode(qr.matrix(text), scale=3)
    assert decoded == text
    parsed = qr.parse_wifi_text(decoded)
    assert (parsed.ssid, parsed.password, parsed.hidden) == (ssid, password, hidden)
