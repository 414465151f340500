"""`serve --host 0.0.0.0` serves plain HTTP on every address: it says so, loudly, in its log."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.helpers import SIMSPOT


def serve_log(tmp_path: Path, host: str) -> str:
    conf = tmp_path / "simspot.toml"
    conf.write_text(f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nlog_format = "text"\n')
    log = tmp_path / f"serve-{host}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*SIMSPOT, "serve", "--simulate", "--config", str(conf), "--host", host, "--port", "0"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "simspot is serving" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return log.read_text()


def test_all_addresses_warn_and_loopback_does_not(tmp_path: Path) -> None:
    exposed = serve_log(tmp_path, "0.0.0.0")
    assert "THE ADMIN API SERVES PLAIN HTTP ON 0.0.0.0" in exposed
    assert "on EVERY address" in " ".join(exposed.split())
    quiet = serve_log(tmp_path, "127.0.0.1")
    assert "PLAIN HTTP" not in quiet
