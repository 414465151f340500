"""`simspot simulate pki` and `simspot simulate smdp` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
from pathlib import Path

import httpx

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
