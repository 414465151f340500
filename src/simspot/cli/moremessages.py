"""What the CLI prints for fleet join/leave/status, guest passes, eSIM, usage and config (the
rest is in cli/messages.py), English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (MESSAGE_MODULES there)."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {}
