"""Real components for the card transport tests: a private pcscd with vsmartcard's vpcd driver
(see simspot.simulator.vpcd.PrivatePcscd), shared by the session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from simspot.simulator.vpcd import PrivatePcscd

Pcscd = PrivatePcscd


@pytest.fixture(scope="session")
def pcscd() -> Iterator[PrivatePcscd]:
    with PrivatePcscd() as server:
        before = os.environ.get("PCSCLITE_CSOCK_NAME")
        os.environ["PCSCLITE_CSOCK_NAME"] = str(server.socket_path)
        try:
            yield server
        finally:
            if before is None:
                os.environ.pop("PCSCLITE_CSOCK_NAME", None)
            else:
                os.environ["PCSCLITE_CSOCK_NAME"] = before
