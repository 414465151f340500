"""ATRs and addresses of the vpcd bridge (pure)."""

from __future__ import annotations

import functools
import operator

import pytest

from simspot.errors import SimspotValueError
from simspot.simulator.vpcd import DEFAULT_PORT, make_atr, parse_address


@pytest.mark.parametrize("protocols", [(0,), (1,), (0, 1)])
def test_atr_offers_the_protocols_with_a_valid_check_byte(protocols: tuple[int, ...]) -> None:
    atr = make_atr(protocols, b"\x80abc")
    assert atr[0] == 0x3B
    assert atr[1] & 0x0F == 4  # historical bytes
    offered = []
    pos, y = 1, atr[1] >> 4
    while y & 0x8:
        pos += 1
        offered.append(atr[pos] & 0x0F)
        y = atr[pos] >> 4
    assert tuple(offered or [0]) == protocols
    if protocols != (0,):  # TCK present: T0..TCK XOR to zero
        assert functools.reduce(operator.xor, atr[1:], 0) == 0
    else:
        assert len(atr) == 2 + 4


def test_atr_refuses_what_iso_7816_cannot_say() -> None:
    with pytest.raises(SimspotValueError):
        make_atr((2,))
    with pytest.raises(SimspotValueError):
        make_atr((0,), b"x" * 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:35963", ("127.0.0.1", 35963)),
        ("reader.local:4000", ("reader.local", 4000)),
        (":4000", ("127.0.0.1", 4000)),
        ("[::1]:4000", ("::1", 4000)),
    ],
)
def test_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected
    assert DEFAULT_PORT == 0x8C7B


@pytest.mark.parametrize("text", ["host:port", "host:0", "host:70000"])
def test_bad_addresses(text: str) -> None:
    with pytest.raises(SimspotValueError):
        parse_address(text)
