"""Fixtures: one test PKI per module, a fresh virtual eUICC and test SM-DP+ per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simspot.simulator.euicc import VirtualEuicc
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import make_iccid, sample_profile
from simspot.simulator.smdp import TestSmdp

from .driver import CardLink, direct

ADDRESS = "smdp.test:8443"


@pytest.fixture(scope="session")
def test_pki() -> TestPki:
    return TestPki.generate(eid="89049032123451234512345678901235")


@pytest.fixture
def card(test_pki: TestPki, tmp_path: Path) -> VirtualEuicc:
    return VirtualEuicc(test_pki.euicc_credentials(), state_path=tmp_path / "euicc.json")


@pytest.fixture
def smdp(test_pki: TestPki) -> TestSmdp:
    server = TestSmdp(test_pki.smdp_credentials(), address=ADDRESS)
    server.add_profile("PROFILE-A", sample_profile(12 * 1024, iccid=make_iccid(1), name="A"))
    server.add_profile("PROFILE-B", sample_profile(4096, iccid=make_iccid(2), name="B"))
    return server


@pytest.fixture
def link(card: VirtualEuicc) -> Iterator[CardLink]:
    yield CardLink(card)


@pytest.fixture
def call(smdp: TestSmdp):  # type: ignore[no-untyped-def]
    return direct(smdp)
