"""Masking of secrets before anything is logged or shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Keys whose values are secrets wherever they appear (config, API payloads, log fields).
SECRET_KEYS = frozenset(
    {
        "passphrase",
        "password",
        "psk",
        "token",
        "api_token",
        "activation_code",
        "confirmation_code",
        "matching_id",
        "pin",
        "puk",
        "authorization",
        "cookie",
        "secret",
        "webhook_secret",
    }
)

_MASK = "***"

# Activation codes (LPA:1$host$matching-id...) and bearer tokens in free text.
_TEXT_PATTERNS = (
    re.compile(r"(LPA:1\$[^$\s]*\$)[^\s\"']+"),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
)


def is_secret_key(key: str) -> bool:
    k = key.lower()
    return k in SECRET_KEYS or k.endswith(("_password", "_token", "_secret", "_passphrase"))


def mask_text(text: str) -> str:
    """Mask secrets that can be recognised in free text."""
    for pattern in _TEXT_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + _MASK, text)
    return text


def mask(value: Any, key: str | None = None) -> Any:
    """Return ``value`` with secret fields replaced, recursively."""
    if key is not None and is_secret_key(key) and value not in (None, ""):
        return _MASK
    if isinstance(value, Mapping):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value
