"""The whole LPA through the hardware transports: download, enable, disable, delete.

PC/SC: LPA -> PcscTransport -> real pcscd -> vpcd driver -> VpcdCard -> VirtualEuicc.
AT:    LPA -> AtTransport -> pty -> AtModem emulator (each dialect) -> VirtualEuicc.
The SM-DP+ is the test SM-DP+ over real HTTPS on loopback. Faults: the card pulled out of the
reader mid-download, the modem going silent mid-download; neither leaves a partial profile, an
open download session or an open logical channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from simspot.esim.activation import parse
from simspot.esim.apdu import DEFAULT_AIDS
from simspot.esim.at import AtTimeout, AtTransport
from simspot.esim.errors import TransportError
from simspot.esim.lpa import Lpa, LpaOptions
from simspot.esim.pcsc import CardRemoved, PcscTransport
from simspot.esim.transport import ApduTransport
from simspot.simulator.atmodem import AtModem, ModemDialect, dialect_from
from simspot.simulator.euicc import VirtualEuicc
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import sample_profile
from simspot.simulator.smdp import TestSmdp
from simspot.simulator.vpcd import VpcdCard, make_atr

from .conftest import Pcscd
from .vcard import READER, inserted

PACKAGE = sample_profile(12_000, name="hw-12k")


@dataclass
class Rig:
    card: VirtualEuicc
    smdp: TestSmdp
    ci_file: Path

    def lpa(self, transport: ApduTransport, **options: object) -> Lpa:
        opts = {"extra_ca_files": [self.ci_file], "aids": DEFAULT_AIDS, **options}
        return Lpa(transport, LpaOptions(**opts))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return TestPki.generate()


@pytest.fixture
async def rig(pki: TestPki, tmp_path: Path) -> AsyncIterator[Rig]:
    ci = tmp_path / "test-ci.pem"
    ci.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
    card = VirtualEuicc(pki.euicc_credentials(), state_path=tmp_path / "euicc.json")
    smdp = TestSmdp(pki.smdp_credentials())
    await smdp.start("127.0.0.1", 0)
    try:
        yield Rig(card, smdp, ci)
    finally:
        await smdp.stop()


async def full_cycle(rig: Rig, lpa: Lpa, matching_id: str) -> None:
    rig.smdp.add_profile(matching_id, PACKAGE)
    result = await lpa.download(parse(rig.smdp.activation_code(matching_id)))
    iccid = result.iccid or ""
    assert rig.card.export_profile(iccid) == PACKAGE
    assert [(p.iccid, p.state) for p in await lpa.list_profiles()] == [(iccid, "disabled")]
    await lpa.enable(iccid)
    assert rig.card.enabled_iccid() == iccid
    await lpa.disable(iccid)
    assert rig.card.enabled_iccid() is None
    await lpa.delete(iccid)
    assert rig.card.profiles == [] and await lpa.list_profiles() == []
    kinds = [n.kind for n in rig.smdp.notifications]
    assert kinds == ["install", "enable", "disable", "delete"]
    assert rig.card.notifications == []


@pytest.mark.parametrize("block", [255, 120])
async def test_full_cycle_through_pcscd(pcscd: Pcscd, rig: Rig, block: int) -> None:
    async with inserted(rig.card, pcscd.port):
        await full_cycle(rig, rig.lpa(PcscTransport(READER), block_size=block), "PCSC-1")
    assert not rig.card.session_in_progress


async def test_full_cycle_on_a_t0_only_card(pcscd: Pcscd, rig: Rig, pki: TestPki) -> None:
    """Many removable eUICCs only do T=0: every answer then comes through GET RESPONSE."""
    rig.card = VirtualEuicc(pki.euicc_credentials(), t0=True)
    async with inserted(rig.card, pcscd.port, atr=make_atr((0,))):
        transport = PcscTransport(READER)
        await full_cycle(rig, rig.lpa(transport), "PCSC-T0")
        assert transport.active_protocol == "T=0"


AT_DIALECTS = {
    "ccho": (dialect_from([]), "auto"),
    "csim": (dialect_from(["csim-only"]), "auto"),
    "quirky-csim": (dialect_from(["csim-only", "echo", "urc-noise", "no-prefix"]), "auto"),
    "quirky-ccho": (dialect_from(["uppercase-only", "no-prefix", "urc-noise"]), "ccho"),
}


@pytest.mark.parametrize("name", AT_DIALECTS)
async def test_full_cycle_through_the_at_modem(rig: Rig, name: str) -> None:
    dialect, choice = AT_DIALECTS[name]
    with AtModem(rig.card, dialect) as modem:
        transport = AtTransport(modem.path, dialect=choice)  # type: ignore[arg-type]
        await full_cycle(rig, rig.lpa(transport), f"AT-{name}")
        assert modem.open_channels == set()


class PulledAfter:
    """The virtual eUICC, pulled out of the reader during the Nth STORE DATA of a BPP load."""

    def __init__(self, card: VirtualEuicc, n: int) -> None:
        self.card, self.n, self.stores = card, n, 0
        self.bridge: VpcdCard | None = None

    def reset(self) -> None:
        self.card.reset()

    def process(self, apdu: bytes) -> bytes:
        if apdu[1] == 0xE2 and (self.stores or apdu[5:7] == b"\xbf\x36"):
            self.stores += 1  # counting from the first block of the Bound Profile Package
        if self.stores == self.n and self.bridge is not None:
            self.bridge.remove()
            self.card.reset()  # power is gone with the card
            self.n = -1
            return b"\x6f\x00"
        return self.card.process(apdu)


async def test_card_removed_mid_download(pcscd: Pcscd, rig: Rig) -> None:
    rig.smdp.add_profile("PULL-1", PACKAGE)
    pulled = PulledAfter(rig.card, 5)
    async with inserted(pulled, pcscd.port) as bridge:
        pulled.bridge = bridge
        with pytest.raises(CardRemoved, match="removed or reset"):
            await rig.lpa(PcscTransport(READER)).download(parse(rig.smdp.activation_code("PULL-1")))
    assert rig.card.profiles == [] and not rig.card.session_in_progress
    # Put back in: the card works and the download can be done again from a new code.
    rig.smdp.add_profile("PULL-2", PACKAGE)
    async with inserted(rig.card, pcscd.port):
        lpa = rig.lpa(PcscTransport(READER))
        result = await lpa.download(parse(rig.smdp.activation_code("PULL-2")))
        assert [p.iccid for p in await lpa.list_profiles()] == [result.iccid]


async def test_modem_goes_silent_mid_download(rig: Rig) -> None:
    rig.smdp.add_profile("MUTE-1", PACKAGE)
    with AtModem(rig.card, ModemDialect(ccho=False)) as modem:
        lpa = rig.lpa(AtTransport(modem.path, timeout_s=2))
        modem.dialect = ModemDialect(ccho=False, stop_after=40)
        with pytest.raises(TransportError) as info:
            await lpa.download(parse(rig.smdp.activation_code("MUTE-1")))
        assert isinstance(info.value, AtTimeout) or "did not answer" in str(info.value)
        assert "within 2 s" in str(info.value) or "does not answer AT" in str(info.value)
        modem.resume()
        assert rig.card.profiles == []
        # The modem answers again: the next session works and leaves nothing open.
        rig.smdp.add_profile("MUTE-2", PACKAGE)
        lpa = rig.lpa(AtTransport(modem.path, timeout_s=10))
        result = await lpa.download(parse(rig.smdp.activation_code("MUTE-2")))
        assert [p.iccid for p in await lpa.list_profiles()] == [result.iccid]
        assert modem.open_channels == set()
