"""The esim package's sentences (cardmessages.py), English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {}
