"""Certificates from the wire, refused cleanly when they break the rules.

cryptography only warns today about some malformed certificates (a serial number that is not
positive) and will refuse them in a later release; simspot refuses them now, as a ValueError
like any other unparsable certificate, so a corrupted message never turns into a warning.
"""

from __future__ import annotations

import warnings

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning


def load_der_certificate(der: bytes) -> x509.Certificate:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CryptographyDeprecationWarning)
        try:
            return x509.load_der_x509_certificate(der)
        except CryptographyDeprecationWarning as exc:
            raise ValueError(f"the certificate breaks RFC 5280: {exc}") from None
