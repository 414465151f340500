"""A certificate that breaks RFC 5280 is refused as unparsable, never passed on as a warning."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from simspot.esim.certs import load_der_certificate
from simspot.simulator.pki import TestPki


def test_a_negative_serial_number_is_refused_as_a_value_error() -> None:
    der = TestPki.generate().ci.cert.public_bytes(Encoding.DER)
    cert = load_der_certificate(der)
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")
    field = bytes([0x02, len(serial)]) + serial
    assert der.count(field) == 1
    negative = bytes([0x80 | serial[0]]) + serial[1:]  # same length, sign bit set
    broken = der.replace(field, bytes([0x02, len(serial)]) + negative)
    with pytest.raises(ValueError, match="breaks RFC 5280"):
        load_der_certificate(broken)
