"""The passphrase policy: what it refuses, why it says so, and what it accepts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.config import validate as validate_config
from simspot.errors import ConfigError
from simspot.hotspot import passphrase
from simspot.hotspot.passphrase import WeakPassphrase, check, estimate, generate, problems

REFUSED = [
    # (passphrase, ssid, words the reason must contain)
    ("short", None, "8 to 63"),
    ("z" * 64, None, "8 to 63"),
    ("a" * 64, None, "repetition"),
    ("kx8Lq2vRt9Z", None, "at least 12"),
    ("password1234", None, "common password"),
    ("P@ssw0rd2024!", None, "common password"),
    ("drowssap12345678", None, "common password"),  # reversed
    ("qwertyuiop12", None, "common password"),
    ("qwertgfdsazxcvb", None, "keyboard pattern"),
    ("rtyhgfvbnm,kiu", None, "keyboard pattern"),
    ("mju7ytgbnhy6", None, "keyboard pattern"),
    ("aaaaaaaaaaaaaaa", None, "repetition"),
    ("xyzxyzxyzxyzxyz", None, "repetition"),
    ("abcdefghijklmnop", None, "sequence"),
    ("98765432109876", None, "sequence"),
    ("Summer2023!!!!", None, "date or year"),
    ("anna-17.03.1989", None, "date"),
    ("MyHotspot-Net-2024", "MyHotspot-Net", "network name"),
    ("h0m3n3tw0rk99", "homenetwork", "network name"),
    ("Café-wifi-pass", None, "not printable ASCII"),
    ("tab\there12345", None, "not printable ASCII"),
    ("line\nbreak12345", None, "not printable ASCII"),
    ("888888888888", None, "too easy"),
]

ACCEPTED = [
    "kx8Lq2vRt9Zm",
    "correct horse battery staple",
    "x7kqm-3vhtr-9pzab-kdm4n",
    "Tr0ub4dor&3-zebra-quilt",
    "3f9a0c27e41bd85697a2c0e1f4b36d82a917e05c4b2d38f61a0e97c5d24b8f03",  # 64 hex: a raw key
    'with "quotes" and #hash ;semi',
]


@pytest.mark.parametrize(("text", "ssid", "because"), REFUSED)
def test_refused_with_a_reason(text: str, ssid: str | None, because: str) -> None:
    with pytest.raises(WeakPassphrase) as exc:
        check(text, ssid)
    assert str(exc.value).startswith("passphrase: ")
    assert because in str(exc.value), str(exc.value)


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted(text: str) -> None:
    assert check(text, "simspot-1234") == text


def test_estimate_orders_passphrases_sensibly() -> None:
    weak, medium, strong = (estimate(t).bits for t in ("password", "Summer2023", "kx8Lq2vRt9Zm"))
    assert weak < medium < strong
    assert estimate("password").bits < 5
    assert estimate("x7kqm-3vhtr-9pzab-kdm4n").bits > 90


def test_explanation_covers_the_whole_passphrase() -> None:
    text = "Summer2023qwer!x"
    pieces = estimate(text).findings
    assert "".join(f.text for f in pieces) == text
    assert {f.kind for f in pieces} >= {"common", "date"}


@given(st.integers(1, 6), st.integers(1, 12))
@settings(max_examples=50)
def test_generated_passphrases_pass_the_policy(groups: int, size: int) -> None:
    if groups * size < passphrase.MIN_LENGTH or groups * (size + 1) - 1 > 63:
        with pytest.raises(ValueError, match="needs 12 random characters"):
            generate(groups, size)
        return
    text = generate(groups, size)
    assert len(text) == groups * size + groups - 1
    assert problems(text) == []


def test_generated_default_is_strong_and_unique() -> None:
    seen = {generate() for _ in range(50)}
    assert len(seen) == 50
    for text in seen:
        assert estimate(text).bits >= 90 and check(text) == text


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=63))
@settings(max_examples=200)
def test_estimate_is_total_and_bounded(text: str) -> None:
    s = estimate(text)
    assert 0 <= s.bits <= 7 * len(text) + 1
    assert "".join(f.text for f in s.findings) == text


def test_config_refuses_a_weak_passphrase_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as exc:
        validate_config({"hotspot": {"passphrase": "letmein-letmein"}})
    assert "hotspot" in str(exc.value) and "passphrase" in str(exc.value)
    assert "got 'letmein-letmein'" not in str(exc.value)
    ok = validate_config({"hotspot": {"passphrase": "kx8Lq2vRt9Zm"}})
    assert ok.hotspot.passphrase is not None
    assert "kx8Lq2vRt9Zm" not in repr(ok.hotspot)


def test_hex_key_only_with_wpa2() -> None:
    key = "3f9a0c27e41bd85697a2c0e1f4b36d82a917e05c4b2d38f61a0e97c5d24b8f03"
    with pytest.raises(ConfigError, match="only with security wpa2"):
        validate_config({"hotspot": {"passphrase": key}})
    assert validate_config({"hotspot": {"passphrase": key, "security": "wpa2"}})
