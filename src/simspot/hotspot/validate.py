"""Checks for every value that can reach an AP config file or a D-Bus call.

Each check either returns the value (normalised) or raises ``HotspotValueError`` naming the field,
so no SSID, passphrase, interface name or MAC address can add a line or an option to hostapd's
config: newlines, control characters, NUL, quotes where a value is not hex-encoded, and anything
outside the documented ranges are refused. The renderer runs these checks again on what it writes.
"""

from __future__ import annotations

import re
import unicodedata

from simspot.errors import SimspotValueError
from simspot.ident import normal_mac


class HotspotValueError(SimspotValueError):
    """A hotspot setting that simspot refuses; the message starts with the field's name."""

    def __init__(
        self, field: str, problem: str, msg_id: str | None = None, /, **params: object
    ) -> None:
        super().__init__(
            f"{field}: {problem}", field=field, msg_id=msg_id, params={"field": field, **params}
        )


SSID_MAX_BYTES = 32
PASSPHRASE_MIN, PASSPHRASE_MAX = 8, 63  # IEEE 802.11 RSN passphrase length, printable ASCII
_HEX64 = re.compile(r"[0-9A-Fa-f]{64}")
_IFNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")  # Linux IFNAMSIZ is 16 with the NUL
_COUNTRY = re.compile(r"[A-Z]{2}")
_CIDR4 = re.compile(
    r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}/(3[0-2]|[12]?\d)"
)


def _describe_char(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def _control(text: str) -> str | None:
    """The first control, format-breaking or unassigned character, described; None if clean."""
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Zl", "Zp") or ch == "\x00":
            return _describe_char(ch)
    return None


def ssid(value: str, field: str = "ssid") -> str:
    """1-32 bytes of UTF-8 with no control characters (it is written hex-encoded anyway)."""
    if not isinstance(value, str):
        raise HotspotValueError(field, "must be text", "error.text.type")
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError:
        raise HotspotValueError(field, "is not valid Unicode text", "error.text.unicode") from None
    if not raw:
        raise HotspotValueError(field, "must not be empty", "error.empty")
    if len(raw) > SSID_MAX_BYTES:
        raise HotspotValueError(
            field,
            f"is {len(raw)} bytes in UTF-8; a Wi-Fi network name is at most 32 bytes",
            "error.ssid.too-long",
            bytes=len(raw),
        )
    bad = _control(value)
    if bad:
        raise HotspotValueError(
            field, f"contains the control character {bad}", "error.text.control-char", char=bad
        )
    return value


def passphrase_format(value: str, field: str = "passphrase") -> str:
    """What WPA itself allows: 8-63 printable ASCII characters, or exactly 64 hex digits."""
    if not isinstance(value, str):
        raise HotspotValueError(field, "must be text", "error.text.type")
    if _HEX64.fullmatch(value):
        return value
    for pos, ch in enumerate(value, start=1):
        if not " " <= ch <= "~":
            raise HotspotValueError(
                field,
                f"character {pos} ({_describe_char(ch)}) is not printable ASCII; a WPA "
                "passphrase may only use the characters from space to '~'",
                "error.passphrase.not-ascii",
                pos=pos,
                char=_describe_char(ch),
            )
    if not PASSPHRASE_MIN <= len(value) <= PASSPHRASE_MAX:
        raise HotspotValueError(
            field,
            f"is {len(value)} characters; WPA needs 8 to 63 characters (or 64 hex digits)",
            "error.passphrase.length",
            length=len(value),
        )
    return value


def is_hex_psk(value: str) -> bool:
    return _HEX64.fullmatch(value) is not None


def mac(value: str, field: str = "mac") -> str:
    """A MAC address, normalised to lower case with colons."""
    normal = normal_mac(value)
    if normal is None:
        raise HotspotValueError(
            field,
            f"{value!r} is not a MAC address like 02:00:00:aa:bb:cc",
            "error.mac",
            value=repr(value),
        )
    return normal


def interface(value: str, field: str = "interface") -> str:
    if not isinstance(value, str) or not _IFNAME.fullmatch(value):
        raise HotspotValueError(
            field,
            f"{value!r} is not a network interface name (1-15 letters, digits, '_', '.', '-')",
            "error.interface",
            value=repr(value),
        )
    return value


def country(value: str, field: str = "country") -> str:
    text = value.strip().upper() if isinstance(value, str) else ""
    if not _COUNTRY.fullmatch(text):
        raise HotspotValueError(
            field,
            f"{value!r} is not a two-letter country code like DE",
            "error.country",
            value=repr(value),
        )
    return text


def cidr4(value: str, field: str) -> str:
    if not isinstance(value, str) or not _CIDR4.fullmatch(value):
        raise HotspotValueError(
            field,
            f"{value!r} is not an IPv4 address with prefix (10.0.0.1/24)",
            "error.cidr4",
            value=repr(value),
        )
    return value


def path_text(value: str, field: str) -> str:
    """A file path written into a config: absolute, no control characters, quotes or spaces."""
    if not value.startswith("/") or any(c in value for c in "\"'\\ ") or _control(value):
        raise HotspotValueError(
            field,
            f"{value!r} cannot be written into a config file",
            "error.path",
            value=repr(value),
        )
    return value
