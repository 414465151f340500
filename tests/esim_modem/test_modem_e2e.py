"""The whole LPA through the modem transports and the REAL libqmi / libmbim proxies.

QMI:  LPA -> QmiTransport -> qmi-proxy (libqmi) -> pty -> QmiModem emulator -> VirtualEuicc.
MBIM: LPA -> MbimTransport -> mbim-proxy (libmbim) -> pty -> MbimModem emulator -> VirtualEuicc.
The SM-DP+ is the test SM-DP+ over real HTTPS on loopback. Fault: the modem goes away (USB reset)
mid-download; the LPA ends with a clear error, the card keeps no profile, no download session and
no open logical channel, and a new session on the modem when it is back works.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from simspot.esim.activation import parse
from simspot.esim.apdu import DEFAULT_AIDS
from simspot.esim.errors import CardRemoved, CardTransportError, ChannelError
from simspot.esim.lpa import Lpa, LpaOptions
from simspot.esim.mbim import MbimTransport
from simspot.esim.proxylink import ProxyUnavailable
from simspot.esim.qmi import QmiTransport
from simspot.esim.transport import ApduTransport
from simspot.simulator.euicc import VirtualEuicc
from simspot.simulator.mbimdev import MbimModem
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import sample_profile
from simspot.simulator.ptydev import PtyDevice
from simspot.simulator.qmidev import QmiModem
from simspot.simulator.smdp import TestSmdp

from .conftest import Proxy

PACKAGE = sample_profile(12_000, name="modem-12k")


@dataclass
class Rig:
    card: VirtualEuicc
    smdp: TestSmdp
    ci_file: Path

    def lpa(self, transport: ApduTransport) -> Lpa:
        return Lpa(transport, LpaOptions(extra_ca_files=[self.ci_file], aids=DEFAULT_AIDS))


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


Kind = str  # "qmi" or "mbim"


def modem(kind: Kind, card: object, **options: object) -> PtyDevice:
    cls = QmiModem if kind == "qmi" else MbimModem
    return cls(card, **options).start()  # type: ignore[arg-type]


def transport(kind: Kind, path: str, **options: object) -> ApduTransport:
    if kind == "qmi":
        return QmiTransport(path, spawn_proxy=False, **options)  # type: ignore[arg-type]
    return MbimTransport(path, spawn_proxy=False, **options)  # type: ignore[arg-type]


@pytest.fixture(params=["qmi", "mbim"])
def kind(request: pytest.FixtureRequest) -> Kind:
    proxy: Proxy = request.getfixturevalue(f"{request.param}_proxy")
    assert proxy.name.startswith(request.param)
    return str(request.param)


async def test_full_cycle_through_the_proxy(rig: Rig, kind: Kind) -> None:
    device = modem(kind, rig.card)
    try:
        lpa = rig.lpa(transport(kind, device.path))
        rig.smdp.add_profile(f"{kind}-1", PACKAGE)
        result = await lpa.download(parse(rig.smdp.activation_code(f"{kind}-1")))
        iccid = result.iccid or ""
        assert rig.card.export_profile(iccid) == PACKAGE
        assert [(p.iccid, p.state) for p in await lpa.list_profiles()] == [(iccid, "disabled")]
        await lpa.enable(iccid)
        assert rig.card.enabled_iccid() == iccid
        await lpa.disable(iccid)
        await lpa.delete(iccid)
        assert rig.card.profiles == [] and await lpa.list_profiles() == []
        assert [n.kind for n in rig.smdp.notifications] == [
            "install",
            "enable",
            "disable",
            "delete",
        ]
        assert device.open_channels == set()
        # The card work went through the UICC service of the emulator, not a side door.
        assert device.apdus > 50
    finally:
        device.close()


class UnplugDuring:
    """The virtual eUICC whose modem goes away during the Nth STORE DATA of a BPP load."""

    def __init__(self, card: VirtualEuicc, n: int) -> None:
        self.card, self.n, self.stores = card, n, 0
        self.device: PtyDevice | None = None

    def reset(self) -> None:
        self.card.reset()

    def process(self, apdu: bytes) -> bytes:
        if apdu[1] == 0xE2 and (self.stores or apdu[5:7] == b"\xbf\x36"):
            self.stores += 1  # counting from the first block of the Bound Profile Package
        if self.stores == self.n and self.device is not None:
            self.device.unplug()  # the port closes before this command is answered
            self.n = -1
        return self.card.process(apdu)


async def test_modem_gone_mid_download(rig: Rig, kind: Kind) -> None:
    rig.smdp.add_profile(f"{kind}-GONE", PACKAGE)
    wrapped = UnplugDuring(rig.card, 5)
    device = modem(kind, wrapped)
    wrapped.device = device
    try:
        lpa = rig.lpa(transport(kind, device.path, timeout_s=60))
        with pytest.raises(CardRemoved) as info:
            await lpa.download(parse(rig.smdp.activation_code(f"{kind}-GONE")))
        assert "went away" in str(info.value)
        assert device.path in str(info.value)
        assert device.gone.is_set()
    finally:
        device.close()
    assert rig.card.profiles == [] and not rig.card.session_in_progress
    assert device.open_channels == set()
    # The modem is back (a new port, as after a USB reset): a new session works, leaves no
    # channel open, and the download can be done again from a new code.
    rig.smdp.add_profile(f"{kind}-BACK", PACKAGE)
    device = modem(kind, rig.card)
    try:
        lpa = rig.lpa(transport(kind, device.path))
        result = await lpa.download(parse(rig.smdp.activation_code(f"{kind}-BACK")))
        assert [p.iccid for p in await lpa.list_profiles()] == [result.iccid]
        assert device.open_channels == set()
    finally:
        device.close()


async def test_no_such_device_is_a_clear_error(kind: Kind, tmp_path: Path) -> None:
    missing = str(tmp_path / "cdc-wdm9")
    with pytest.raises(ProxyUnavailable, match=f"could not open {missing}: it does not exist"):
        await transport(kind, missing, timeout_s=20).connect()


async def test_a_modem_that_never_answers_is_a_clear_error(rig: Rig, kind: Kind) -> None:
    device = QmiModem(rig.card) if kind == "qmi" else MbimModem(rig.card)  # never started
    try:
        with pytest.raises(CardTransportError) as info:
            await transport(kind, device.path, timeout_s=3).connect()
        # QMI: the proxy opens the port without a handshake, the first request times out;
        # MBIM: the proxy's OPEN gets no OPEN_DONE and the proxy gives up on the device.
        text = str(info.value)
        assert device.path in text
        assert "did not answer" in text or "it does not answer" in text, text
    finally:
        device.close()


async def test_unknown_aid_leaves_no_channel(rig: Rig, kind: Kind) -> None:
    device = modem(kind, rig.card)
    try:
        t = transport(kind, device.path, timeout_s=20)
        await t.connect()
        try:
            with pytest.raises(ChannelError, match=r"AID A0000005590000.*: .*SW 6A82"):
                await t.open_channel(bytes.fromhex("A0000005590000"))
            with pytest.raises(ChannelError, match="no open logical channel 2"):
                await t.transmit(bytes.fromhex("82E2910003BF3C00"))
        finally:
            await t.disconnect()
        assert device.open_channels == set()
    finally:
        device.close()


async def test_qmi_slot_without_card(rig: Rig, qmi_proxy: Proxy) -> None:
    device = QmiModem(rig.card, slot=1).start()
    try:
        t = QmiTransport(device.path, slot=2, spawn_proxy=False, timeout_s=20)
        await t.connect()
        try:
            with pytest.raises(ChannelError, match="slot 2: QMI error 0x0030"):
                await t.open_channel(DEFAULT_AIDS[0])
        finally:
            await t.disconnect()
        assert device.open_channels == set()
        assert device.clients.get(0x0B) == set()  # the UIM client id was released
    finally:
        device.close()


async def test_mbim_maps_the_slot_asked_for(rig: Rig, mbim_proxy: Proxy) -> None:
    """A dual-slot MBIM modem with the eUICC in slot 2 and slot 1 mapped at power-up; the card
    of a freshly mapped slot answers "not initialized" for a while, as real ones do."""
    device = MbimModem(rig.card, slots=2, card_slot=2, settle_s=0.5).start()
    try:
        eid = await rig.lpa(MbimTransport(device.path, slot=2, spawn_proxy=False)).eid()
        assert eid == rig.card.eid and device.mapped == 1
        # Left mapped: a transport without a slot reaches the same card.
        assert await rig.lpa(MbimTransport(device.path, spawn_proxy=False)).eid() == eid
        t = MbimTransport(device.path, slot=1, spawn_proxy=False, timeout_s=20)
        await t.connect()
        try:
            with pytest.raises(ChannelError, match="SIM not inserted"):
                await t.open_channel(DEFAULT_AIDS[0])
        finally:
            await t.disconnect()
        assert device.mapped == 0 and device.open_channels == set()
        with pytest.raises(CardTransportError, match=r"refused mapping slot 3: .*invalid param"):
            await MbimTransport(device.path, slot=3, spawn_proxy=False, timeout_s=20).connect()
    finally:
        device.close()


@pytest.mark.parametrize(
    ("cli", "argv", "expect"),
    [
        ("qmicli", ["--device-open-qmi", "--get-service-version-info"], "uim (1.50)"),
        ("mbimcli", ["--noop"], ""),
    ],
)
async def test_beside_another_proxy_client(
    rig: Rig, request: pytest.FixtureRequest, cli: str, argv: list[str], expect: str
) -> None:
    """The point of the proxy: another program (ModemManager, qmicli) uses the same port while
    simspot holds a channel open on the card."""
    kind = "qmi" if cli == "qmicli" else "mbim"
    request.getfixturevalue(f"{kind}_proxy")
    program = shutil.which(cli)
    assert program is not None, f"{cli} is missing: see scripts/apt-packages.txt"
    device = modem(kind, rig.card)
    try:
        t = transport(kind, device.path)
        await t.connect()
        try:
            channel = await t.open_channel(DEFAULT_AIDS[0])
            proc = await asyncio.create_subprocess_exec(
                program, "-p", "-d", device.path, *argv,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, err.decode()
            assert expect in out.decode()
            # simspot's channel survived the other client: EuiccConfiguredAddresses (BF3C) works.
            store = bytes([0x80 | channel, 0xE2, 0x91, 0x00, 0x03, 0xBF, 0x3C, 0x00])
            resp = await t.transmit(store)
            assert resp[-2] in (0x90, 0x61), resp.hex()
        finally:
            await t.disconnect()
        assert device.open_channels == set()
    finally:
        device.close()
