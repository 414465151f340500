"""Every GSMA TS.48 test profile through the whole flow: LPA, test SM-DP+ over HTTPS, virtual eUICC.

The packages are read in place from ``<repo>/../shared/testdata/ts48`` (or ``$SIMSPOT_TS48_DIR``);
they are never copied into the project. Each one is downloaded, must be stored byte for byte as
the file (the SM-DP+ serves it unchanged), and is then enabled, disabled and deleted, with the
notifications of each step delivered to the SM-DP+. Without the folder the tests skip, saying
where they looked; under CI=true they fail instead.

One SM-DP+ and one card serve the whole module (each test leaves the card empty again).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.serialization import Encoding

from simspot.esim.activation import parse
from simspot.esim.lpa import Lpa, LpaOptions
from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import header_iccid
from simspot.simulator.smdp import TestSmdp

REPO = Path(__file__).resolve().parents[2]


def _folder() -> Path:
    given = os.environ.get("SIMSPOT_TS48_DIR")
    return Path(given) if given else REPO.parent / "shared" / "testdata" / "ts48"


FOLDER = _folder()
PACKAGES = sorted(FOLDER.glob("*.der")) if FOLDER.is_dir() else []


def _absent() -> None:
    reason = (
        f"the GSMA TS.48 packages are not in {FOLDER} (no *.der there); "
        "set SIMSPOT_TS48_DIR to the folder that holds them"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Bench:
    smdp: TestSmdp
    card: VirtualEuicc
    lpa: Lpa


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bench(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Bench]:
    tmp = tmp_path_factory.mktemp("ts48")
    pki = TestPki.generate()
    ci = tmp / "test-ci.pem"
    ci.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
    smdp = TestSmdp(pki.smdp_credentials())
    for path in PACKAGES:
        smdp.add_profile(path.stem, path.read_bytes())
    await smdp.start("127.0.0.1", 0)
    card = VirtualEuicc(pki.euicc_credentials(), state_path=tmp / "euicc.json")
    lpa = Lpa(VirtualCardTransport(card), LpaOptions(extra_ca_files=[ci]))
    try:
        yield Bench(smdp, card, lpa)
    finally:
        await smdp.stop()


def test_the_folder_holds_the_packages() -> None:
    if not PACKAGES:
        _absent()
    assert len(PACKAGES) >= 36, [p.name for p in PACKAGES]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("package", PACKAGES or [None], ids=lambda p: p.stem if p else "absent")
async def test_ts48_package_installs_byte_equal_then_enable_disable_delete(
    bench: Bench, package: Path | None
) -> None:
    if package is None:
        _absent()
        return
    data = await asyncio.to_thread(package.read_bytes)
    iccid = header_iccid(data)
    assert iccid is not None and iccid.startswith("89"), "no ICCID in the ProfileHeader"
    code = parse(bench.smdp.activation_code(package.stem))
    sent_before = len(bench.smdp.notifications)

    result = await bench.lpa.download(code)
    assert result.iccid == iccid
    assert bench.card.export_profile(iccid) == data  # stored byte for byte
    (info,) = await bench.lpa.list_profiles()
    assert (info.iccid, info.state, info.profile_class) == (iccid, "disabled", "operational")

    await bench.lpa.enable(iccid)
    assert bench.card.enabled_iccid() == iccid
    await bench.lpa.disable(iccid)
    assert bench.card.enabled_iccid() is None
    await bench.lpa.delete(iccid)
    assert bench.card.profiles == []

    got = bench.smdp.notifications[sent_before:]
    assert [(n.kind, n.iccid, n.verified) for n in got] == [
        ("install", iccid, True),
        ("enable", iccid, True),
        ("disable", iccid, True),
        ("delete", iccid, True),
    ]
    assert got[0].success is True
    assert bench.card.notifications == []  # every notification was delivered and removed
