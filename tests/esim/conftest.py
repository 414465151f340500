"""Shared eSIM fixtures: a test PKI, a virtual eUICC, a test SM-DP+ over real HTTPS on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from simspot.esim.lpa import Lpa, LpaOptions
from simspot.simulator.euicc import FaultHook, VirtualCardTransport, VirtualEuicc
from simspot.simulator.pki import SmdpCredentials, TestPki
from simspot.simulator.smdp import TestSmdp


@dataclass
class Rig:
    pki: TestPki
    card: VirtualEuicc
    smdp: TestSmdp
    ci_file: Path
    tmp: Path

    def lpa(self, fault: FaultHook | None = None, **options: object) -> Lpa:
        opts = {"extra_ca_files": [self.ci_file], **options}
        return Lpa(VirtualCardTransport(self.card, fault=fault), LpaOptions(**opts))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pki() -> TestPki:
    return TestPki.generate()


async def _rig(
    pki: TestPki, tmp_path: Path, credentials: SmdpCredentials | None = None
) -> AsyncIterator[Rig]:
    ci = tmp_path / "test-ci.pem"
    ci.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
    card = VirtualEuicc(pki.euicc_credentials(), state_path=tmp_path / "euicc.json")
    smdp = TestSmdp(credentials or pki.smdp_credentials())
    await smdp.start("127.0.0.1", 0)
    try:
        yield Rig(pki, card, smdp, ci, tmp_path)
    finally:
        await smdp.stop()


@pytest.fixture
async def rig(pki: TestPki, tmp_path: Path) -> AsyncIterator[Rig]:
    async for r in _rig(pki, tmp_path):
        yield r


make_rig = _rig
