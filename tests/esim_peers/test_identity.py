"""Foreign identities from files (issue 13 item 2): the virtual eUICC needs its CI, EUM and eUICC
certificates and its own key only; the test SM-DP+ its DPauth, DPpb and DPtls pairs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from simspot.esim.activation import parse
from simspot.esim.at import AtTransport
from simspot.esim.lpa import Lpa, LpaOptions
from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc
from simspot.simulator.pki import (
    PkiError,
    TestPki,
    load_euicc_identity,
    load_smdp_identity,
    load_smds_identity,
)
from simspot.simulator.profiles import make_iccid, sample_profile
from simspot.simulator.smdp import TestSmdp
from tests.helpers import SIMSPOT

EUICC_FILES = ("ci.pem", "eum.pem", "euicc.pem", "euicc.key")
SMDP_FILES = (
    "ci.pem",
    "dpauth.pem",
    "dpauth.key",
    "dppb.pem",
    "dppb.key",
    "dptls.pem",
    "dptls.key",
)


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestPki, Path, Path]:
    """Another PKI's files, split the way each peer would get them: no stray private keys."""
    pki = TestPki.generate(eid="89049032000001000000000000000171")
    everything = tmp_path_factory.mktemp("foreign-pki")
    pki.write(everything)
    card_dir, smdp_dir = everything.parent / "card-id", everything.parent / "smdp-id"
    for directory, names in ((card_dir, EUICC_FILES), (smdp_dir, SMDP_FILES)):
        directory.mkdir()
        for name in names:
            shutil.copy(everything / name, directory / name)
    return pki, card_dir, smdp_dir


def test_the_card_needs_only_its_own_key(foreign: tuple[TestPki, Path, Path]) -> None:
    pki, card_dir, _ = foreign
    creds = load_euicc_identity(card_dir)
    assert sorted(p.name for p in card_dir.iterdir()) == sorted(EUICC_FILES)
    assert creds.eid == pki.eid
    assert creds.ci_key_ids == [pki.ci.ski]
    assert creds.euicc.key.private_numbers() == pki.euicc.key.private_numbers()


def test_der_files_and_a_second_ci(foreign: tuple[TestPki, Path, Path], tmp_path: Path) -> None:
    pki, card_dir, _ = foreign
    other = TestPki.generate()
    shutil.copytree(card_dir, tmp_path / "id")
    eum = tmp_path / "id" / "eum.pem"
    (tmp_path / "id" / "eum.der").write_bytes(pki.eum.cert.public_bytes(Encoding.DER))
    eum.unlink()
    (tmp_path / "id" / "ci-other.pem").write_bytes(other.ci.cert.public_bytes(Encoding.PEM))
    creds = load_euicc_identity(tmp_path / "id")
    assert creds.ci_key_ids == [pki.ci.ski, other.ci.ski]  # ci.pem first, then ci-*.pem


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("euicc.key", r"has no euicc\.key; an identity directory holds ci\.pem"),
        ("eum.pem", r"has no eum\.pem/\.der/\.crt"),
        ("ci.pem", r"has no CI certificate \(ci\.pem\)"),
    ],
)
def test_a_missing_file_is_named(
    foreign: tuple[TestPki, Path, Path], tmp_path: Path, remove: str, message: str
) -> None:
    shutil.copytree(foreign[1], tmp_path / "id")
    (tmp_path / "id" / remove).unlink()
    with pytest.raises(PkiError, match=message):
        load_euicc_identity(tmp_path / "id")


def test_wrong_key_or_foreign_chain_is_refused(
    foreign: tuple[TestPki, Path, Path], tmp_path: Path
) -> None:
    other = TestPki.generate()
    shutil.copytree(foreign[1], tmp_path / "a")
    other.euicc.write(tmp_path, "other")
    shutil.copy(tmp_path / "other.key", tmp_path / "a" / "euicc.key")
    with pytest.raises(PkiError, match="does not belong to the certificate"):
        load_euicc_identity(tmp_path / "a")
    shutil.copytree(foreign[1], tmp_path / "b")
    (tmp_path / "b" / "ci.pem").write_bytes(other.ci.cert.public_bytes(Encoding.PEM))
    with pytest.raises(PkiError, match="not issued by a trusted CI"):
        load_euicc_identity(tmp_path / "b")
    with pytest.raises(PkiError, match="does not exist"):
        load_euicc_identity(tmp_path / "nowhere")


def test_the_smdp_identity_rejects_an_intermediate_for_dpauth(
    foreign: tuple[TestPki, Path, Path], tmp_path: Path
) -> None:
    pki, _, smdp_dir = foreign
    shutil.copytree(smdp_dir, tmp_path / "id")
    with (tmp_path / "id" / "dpauth.pem").open("ab") as f:
        f.write(pki.ci.cert.public_bytes(Encoding.PEM))
    with pytest.raises(PkiError, match=r"dpauth\.pem and dppb\.pem must each hold one certificate"):
        load_smdp_identity(tmp_path / "id")


async def test_a_download_between_two_foreign_identities(
    foreign: tuple[TestPki, Path, Path], tmp_path: Path
) -> None:
    pki, card_dir, smdp_dir = foreign
    card = VirtualEuicc(load_euicc_identity(card_dir), state_path=tmp_path / "card.json")
    smdp = TestSmdp(load_smdp_identity(smdp_dir))
    package = sample_profile(5000, iccid=make_iccid(41))
    smdp.add_profile("FOREIGN", package)
    await smdp.start("127.0.0.1", 0)
    try:
        lpa = Lpa(VirtualCardTransport(card), LpaOptions(extra_ca_files=[smdp_dir / "ci.pem"]))
        result = await lpa.download(parse(smdp.activation_code("FOREIGN")))
    finally:
        await smdp.stop()
    assert result.iccid == make_iccid(41)
    assert card.export_profile(make_iccid(41)) == package
    assert card.eid == pki.eid


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen(
        [*SIMSPOT, "simulate", *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(20)
        raise AssertionError(proc.stderr.read() if proc.stderr else "no output")
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(20)
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


async def test_cli_card_and_smdp_take_identities(
    foreign: tuple[TestPki, Path, Path], tmp_path: Path
) -> None:
    pki, card_dir, smdp_dir = foreign
    modem, info = _start(
        "modem", "--state", str(tmp_path / "card.json"), "--identity", str(card_dir)
    )
    try:
        assert info["eid"] == pki.eid
        assert await Lpa(AtTransport(str(info["pty"]))).eid() == pki.eid
    finally:
        assert _stop(modem) == 0
    assert not (tmp_path / "card.json.pki").exists()  # no test PKI was made beside it
    server, info = _start("smdp", "--listen", "127.0.0.1:0", "--identity", str(smdp_dir))
    try:
        assert info["ci_files"] == [str(smdp_dir / "ci.pem")]
        ctx = ssl.create_default_context(cafile=str(info["ci"]))
        async with httpx.AsyncClient(verify=ctx, timeout=30) as client:
            r = await client.post(
                f"{info['url']}/gsma/rsp2/es9plus/initiateAuthentication",
                json={"smdpAddress": "elsewhere"},
            )
        assert r.json()["header"]["functionExecutionStatus"]["status"] == "Failed"
        served = await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", _port(info)))
        served = ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(served))
        assert served.encode() == pki.dptls.cert.public_bytes(Encoding.PEM)
    finally:
        assert _stop(server) == 0


def _port(info: dict[str, object]) -> int:
    return int(str(info["url"]).rsplit(":", 1)[1])


def test_cli_refuses_identity_with_pki(foreign: tuple[TestPki, Path, Path], tmp_path: Path) -> None:
    r = subprocess.run(
        [*SIMSPOT, "simulate", "smdp", "--identity", str(foreign[2]), "--pki", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and "--identity or --pki, not both" in r.stderr


def test_the_smds_identity_from_files(tmp_path: Path) -> None:
    pki = TestPki.generate()
    creds = pki.smds_credentials()
    directory = tmp_path / "smds-id"
    directory.mkdir()
    (directory / "ci.pem").write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
    creds.dsauth.write(directory, "dsauth")
    creds.tls.write(directory, "dstls")
    loaded = load_smds_identity(directory)
    assert loaded.dsauth.cert == creds.dsauth.cert and loaded.tls.cert == creds.tls.cert
    (directory / "dstls.key").unlink()
    with pytest.raises(PkiError, match=r"has no dstls\.key"):
        load_smds_identity(directory)
    # a DSauth certificate does not pass as a DPauth one: the roles are checked
    smdp_like = tmp_path / "smdp-like"
    pki.write(smdp_like)
    creds.dsauth.write(smdp_like, "dpauth")
    with pytest.raises(PkiError, match=r"not a SM-DP\+ authentication \(DPauth\) one"):
        load_smdp_identity(smdp_like)
