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

# Activation codes (LPA:1$host$matching-id...), bearer tokens and the credentials in a URL
# (scheme://user:password@host) in free text.
_TEXT_PATTERNS = (
    re.compile(r"(LPA:1\$[^$\s]*\$)[^\s\"']+"),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@\"']+(?=@)"),
)

# Sections whose URL is itself a credential (Slack- or Discord-style webhook URLs carry the secret
# in the path).
_SECRET_URL_SECTIONS = frozenset({"webhook"})

# What a validation error says about a secret value, by pydantic error type: the kind of problem,
# never the value.
_SECRET_PROBLEMS = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "string_too_short": "too short",
    "string_too_long": "too long",
    "too_short": "too short",
    "too_long": "too long",
    "string_pattern_mismatch": "wrong format",
    "literal_error": "not one of the allowed values",
    "url_parsing": "not a valid URL",
    "url_scheme": "not a valid URL",
}


def is_secret_key(key: str) -> bool:
    k = key.lower()
    return k in SECRET_KEYS or k.endswith(("_password", "_token", "_secret", "_passphrase"))


def is_secret_path(loc: tuple[str | int, ...] | list[str | int]) -> bool:
    """Whether a value at this location (config key path, request field path) is a secret."""
    parts = [str(p) for p in loc]
    if any(is_secret_key(p) for p in parts):
        return True
    return bool(parts) and parts[-1] == "url" and any(p in _SECRET_URL_SECTIONS for p in parts)


def secret_problem(kind: str) -> str:
    """Describe a validation problem with a secret value without the value: "too short", ..."""
    if kind in _SECRET_PROBLEMS:
        return _SECRET_PROBLEMS[kind]
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return "wrong type"
    return "invalid value"


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
