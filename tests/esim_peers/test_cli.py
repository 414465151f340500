"""`simspot simulate pki` and `simspot simulate smdp` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
from pathlib import Path
from typing import Any

import httpx

from simspot.esim.activation import parse
from simspot.esim.at import AtTransport
from simspot.esim.lpa import Lpa, LpaOptions
from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import make_iccid, sample_profile
from tests.helpers import SIMSPOT, run_cli


def test_simulate_pki_writes_a_loadable_pki(tmp_path: Path) -> None:
    out = tmp_path / "pki"
    r = run_cli("simulate", "pki", "--out", str(out), "--host", "smdp.lan", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["tls_hosts"][0] == "smdp.lan"
    loaded = TestPki.load(out)
    assert loaded.eid == data["eid"]
    r = run_cli("simulate", "pki", "--out", str(out))
    assert r.returncode == 1 and "--force" in r.stderr


def test_simulate_smdp_serves_https_with_the_given_pki(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "MY-PROFILE").write_bytes(sample_profile(4096, iccid=make_iccid(77)))
    pki_dir = tmp_path / "pki"
    proc = subprocess.Popen(
        [*SIMSPOT, "simulate", "smdp", "--listen", "127.0.0.1:0", "--profiles", str(profiles),
         "--pki", str(pki_dir), "--confirmation-code", "2468", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        info = json.loads(line)
        assert info["url"].startswith("https://localhost:")
        (profile,) = info["profiles"]
        assert profile["matching_id"] == "MY-PROFILE" and profile["confirmation_code_required"]
        assert profile["activation_code"] == f"LPA:1${info['address']}$MY-PROFILE$$1"
        ctx = ssl.create_default_context(cafile=info["ci"])
        r = httpx.post(
            f"{info['url']}/gsma/rsp2/es9plus/initiateAuthentication",
            json={"smdpAddress": "elsewhere"},
            verify=ctx,
            timeout=30,
        )
        status = r.json()["header"]["functionExecutionStatus"]
        assert status["statusCodeData"] == {
            "subjectCode": "8.8.1",
            "reasonCode": "3.8",
            "message": "this SM-DP+ is not elsewhere",
        }
        assert TestPki.load(pki_dir).ci.der  # the PKI was made where asked, for reuse
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == 0


def _serve_with_smds(tmp_path: Path, eid: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "EV-1").write_bytes(sample_profile(3000, iccid=make_iccid(81)))
    proc = subprocess.Popen(
        [*SIMSPOT, "simulate", "smdp", "--listen", "127.0.0.1:0", "--smds", "127.0.0.1:0",
         "--event-eid", eid, "--pki", str(tmp_path / "pki"), "--profiles", str(profiles),
         "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(20)
        raise AssertionError(proc.stderr.read() if proc.stderr else "no output")
    return proc, json.loads(line)


def _modem(tmp_path: Path, root_ds: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [*SIMSPOT, "simulate", "modem", "--state", str(tmp_path / "card.json"),
         "--pki", str(tmp_path / "pki"), "--root-ds", root_ds, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(20)
        raise AssertionError(proc.stderr.read() if proc.stderr else "no output")
    return proc, json.loads(line)


async def test_simulate_smdp_with_a_test_smds_announces_events(tmp_path: Path) -> None:
    pki = TestPki.generate()
    pki.write(tmp_path / "pki")
    proc, info = _serve_with_smds(tmp_path, pki.eid)
    try:
        assert info["smds_url"].startswith("https://localhost:")
        assert info["events"] == [{"event_id": "EV-1", "eid": pki.eid}]
        # a card in the AT modem emulator whose root SM-DS is the test SM-DS (--root-ds)
        modem, pty = _modem(tmp_path, info["smds_address"])
        try:
            options = LpaOptions(extra_ca_files=[info["ci"]])
            found = await Lpa(AtTransport(pty["pty"]), options).discover()
            assert [e.event_id for e in found] == ["EV-1"]
        finally:
            modem.send_signal(signal.SIGINT)
            modem.wait(20)
            for stream in (modem.stdout, modem.stderr):
                if stream is not None:
                    stream.close()
        card = VirtualEuicc(pki.euicc_credentials())
        lpa = Lpa(VirtualCardTransport(card), LpaOptions(extra_ca_files=[info["ci"]]))
        (event,) = await lpa.discover(info["smds_address"])
        assert (event.event_id, event.rsp_server_address) == ("EV-1", info["address"])
        result = await lpa.download(parse(f"LPA:1${event.rsp_server_address}${event.event_id}"))
        assert result.iccid == make_iccid(81)
        assert await lpa.discover(info["smds_address"]) == []  # delivered: the event is gone
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == 0


def test_event_eid_needs_an_smds() -> None:
    r = run_cli("simulate", "smdp", "--event-eid", "89049032000001000000000000000171")
    assert r.returncode == 1 and "--event-eid announces profiles on the SM-DS of --smds" in r.stderr
