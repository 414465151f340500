"""`simspot simulate qmi|mbim`: the emulators on their own, reached through the real proxies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from simspot.esim.lpa import Lpa
from simspot.esim.mbim import MbimTransport
from simspot.esim.qmi import QmiTransport
from simspot.esim.transport import ApduTransport

from ..helpers import SIMSPOT


@contextmanager
def simulator(*args: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    proc = subprocess.Popen(
        [*SIMSPOT, "simulate", *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("simulator did not start: " + proc.stderr.read())
        yield proc, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("kind", ["qmi", "mbim"])
async def test_simulate_serves_the_virtual_euicc(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    request.getfixturevalue(f"{kind}_proxy")
    state = tmp_path / "card.json"
    with simulator(kind, "--state", str(state)) as (proc, info):
        assert info["pty"].startswith("/dev/pts/") and info["protocol"] == kind
        transport: ApduTransport = (
            QmiTransport(info["pty"], spawn_proxy=False)
            if kind == "qmi"
            else MbimTransport(info["pty"], spawn_proxy=False)
        )
        assert await Lpa(transport).eid() == info["eid"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0


def test_simulate_qmi_refuses_a_bad_slot(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SIMSPOT, "simulate", "qmi", "--state", str(tmp_path / "c.json"), "--slot", "9"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "--slot" in result.stderr
