"""The join QR code: the Wi-Fi QR text phones read, and its PNG, SVG and terminal renderings.

Text format: ``WIFI:T:<WPA|SAE|nopass>;[R:1;]S:<ssid>;[I:<id>;][P:<password>;]H:<true|false>;;``
with ``\\ ; , : "`` escaped by a backslash. ``I:`` is the SAE password identifier of a per-person
key (the WPA3 specification's Wi-Fi URI); clients that do not know it ignore it. ``T:SAE`` with
``R:1`` marks a WPA3-only network (Android reads ``R:1`` as "transition disabled"); WPA2 and
WPA2/WPA3 networks use ``T:WPA``. The text is encoded as UTF-8 (byte mode), which is what phones
expect for non-ASCII SSIDs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from simspot.hotspot.settings import Security
from simspot.hotspot.validate import HotspotValueError

_SPECIAL = '\\;,:"'


def escape(text: str) -> str:
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def wifi_text(
    ssid: str,
    passphrase: str | None,
    security: Security,
    hidden: bool,
    password_id: str | None = None,
) -> str:
    """The Wi-Fi QR payload for a network (``password_id``: a per-person key's SAE identifier)."""
    if security == "open":
        if password_id is not None:
            raise HotspotValueError(
                "password_id", "an open network has no password identifier", "qr.open-password-id"
            )
        fields = ["T:nopass", f"S:{escape(ssid)}"]
    else:
        if not passphrase:
            raise HotspotValueError(
                "passphrase",
                f"is needed for a {security} QR code",
                "qr.needs-passphrase",
                security=security,
            )
        kind = ["T:SAE", "R:1"] if security == "wpa3" else ["T:WPA"]
        fields = [*kind, f"S:{escape(ssid)}"]
        if password_id is not None and security != "wpa2":  # SAE only; WPA2 names no key
            fields.append(f"I:{escape(password_id)}")
        fields.append(f"P:{escape(passphrase)}")
    fields.append(f"H:{'true' if hidden else 'false'}")
    return "WIFI:" + "".join(f + ";" for f in fields) + ";"


@dataclass(frozen=True)
class WifiQr:
    """A parsed Wi-Fi QR payload (used to check what a phone would read back)."""

    fields: dict[str, str]

    @property
    def ssid(self) -> str:
        return self.fields.get("S", "")

    @property
    def password(self) -> str | None:
        return self.fields.get("P")

    @property
    def password_id(self) -> str | None:
        return self.fields.get("I")

    @property
    def kind(self) -> str:
        return self.fields.get("T", "nopass")

    @property
    def hidden(self) -> bool:
        return self.fields.get("H", "false").lower() == "true"


def parse_wifi_text(text: str) -> WifiQr:
    """Parse ``WIFI:...;;`` as phones do: fields split on unescaped ``;``, key up to first ``:``."""
    if not text.startswith("WIFI:"):
        raise HotspotValueError(
            "qr", "not a Wi-Fi QR payload (it must start with WIFI:)", "qr.not-wifi"
        )
    fields: dict[str, str] = {}
    body, i = text[5:], 0
    current: list[str] = []
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            current.append("\\" + body[i + 1])
            i += 2
            continue
        if ch == ";":
            if current:
                raw = "".join(current)
                key, sep, value = raw.partition(":")
                if not sep:
                    raise HotspotValueError(
                        "qr", f"field without ':' in {text!r}", "qr.field", text=repr(text)
                    )
                fields[key] = _unescape(value)
            current = []
        else:
            current.append(ch)
        i += 1
    return WifiQr(fields)


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _code(text: str) -> Any:
    import segno

    return segno.make(text, error="m", encoding="utf-8", micro=False)


def png(text: str, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    _code(text).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def svg(text: str, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    _code(text).save(buf, kind="svg", scale=scale, border=4, xmldecl=False)
    return buf.getvalue()


def matrix(text: str, border: int = 4) -> list[list[bool]]:
    """The modules, True for dark, with a quiet zone of ``border`` modules."""
    return [[bool(m) for m in row] for row in _code(text).matrix_iter(border=border)]


def terminal(text: str) -> str:
    """Two module rows per line with half blocks, light modules drawn (for dark terminals)."""
    rows = matrix(text, border=2)
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    glyph = {(False, False): "█", (False, True): "▀", (True, False): "▄", (True, True): " "}
    return "\n".join(
        "".join(glyph[(top, bottom)] for top, bottom in zip(rows[r], rows[r + 1], strict=True))
        for r in range(0, len(rows), 2)
    )
