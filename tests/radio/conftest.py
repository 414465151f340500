"""Radio tests: a QEMU VM with Debian's kernel and mac80211_hwsim (see harness.py)."""

from __future__ import annotations

import pytest

from tests.radio.harness import RadioImage, build_image


@pytest.fixture(scope="session")
def radio_image() -> RadioImage:
    """Built from the installed Debian packages on first use, then cached across runs."""
    return build_image()
