"""Identifiers people type or hardware reports: MAC addresses and Luhn check digits (pure).

Each caller raises its own error (naming its field) when these say no; the rules live here once.
"""

from __future__ import annotations

import re

# Six hex pairs, all separated by ":" or all by "-", or not separated at all.
_MAC = re.compile(r"[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}")


def normal_mac(text: str) -> str | None:
    """A MAC address in lower case with colons (``02:00:00:aa:bb:cc``), or None if ``text`` is not
    one. Accepts ``02:00:00:AA:BB:CC``, ``02-00-00-aa-bb-cc`` and ``020000aabbcc``."""
    if not isinstance(text, str):
        return None
    mac = text.strip().lower()
    if not _MAC.fullmatch(mac):
        return None
    digits = mac.replace(":", "").replace("-", "")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def _luhn_sum(digits: str, double_first: bool) -> int:
    """The Luhn sum, doubling every second digit from the right (from the last one when
    ``double_first``, as when computing a check digit for ``digits``)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if (i % 2 == 0) == double_first:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


def luhn_ok(digits: str) -> bool:
    """Whether the last of ``digits`` is their Luhn check digit (ICCID, IMEI, card numbers)."""
    return digits.isdigit() and _luhn_sum(digits, double_first=False) % 10 == 0


def luhn_digit(body: str) -> str:
    """The Luhn check digit to append to ``body`` (digits only)."""
    if not body.isdigit():
        raise ValueError(f"a Luhn check digit needs digits, not {body!r}")
    return str(-_luhn_sum(body, double_first=True) % 10)
