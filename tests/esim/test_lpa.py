"""Pure parts of the LPA: DeviceInfo (TAC from the IMEI) and the hashed confirmation code."""

from __future__ import annotations

import hashlib

import pytest

from simspot.errors import EsimError
from simspot.esim import codec
from simspot.esim.es10 import hash_confirmation_code
from simspot.esim.lpa import device_info


def test_device_info_takes_the_tac_from_the_imei() -> None:
    info = device_info("356938035643809")
    assert info["tac"] == bytes.fromhex("53968330")
    assert info["imei"] == bytes.fromhex("53968330653408f9")
    assert codec.decode("DeviceInfo", codec.encode("DeviceInfo", info)) == info


def test_device_info_without_imei_uses_a_neutral_tac() -> None:
    info = device_info()
    assert "imei" not in info and len(info["tac"]) == 4
    with pytest.raises(EsimError, match="IMEI"):
        device_info("12345")
    with pytest.raises(EsimError, match="TAC"):
        device_info(tac="1234")


def test_hashed_confirmation_code() -> None:
    tid = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    expected = hashlib.sha256(hashlib.sha256(b"4711").digest() + tid).digest()
    assert hash_confirmation_code("4711", tid) == expected
    assert hash_confirmation_code("4712", tid) != expected
