"""`simspot status` says why a live daemon is not sharing and exits 3 (1: no daemon); the
daemon keeps running without a traceback in its log."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.dataplane.conftest import sh
from tests.helpers import wait_for

SIMSPOT = [sys.executable, "-m", "simspot.cli.main"]


def test_status_names_the_missing_uplink_and_exits_non_zero(netns: str, tmp_path: Path) -> None:
    sh("ip", "link", "add", "lan0", "type", "bridge", ns=netns)
    state = tmp_path / "state"
    conf = tmp_path / "simspot.toml"
    conf.write_text(
        f'[daemon]\nstate_dir = "{state}"\napi_port = 0\nlan_https = false\n\n'
        '[modem]\nbackend = "none"\n\n'
        '[dataplane]\nbackend = "nft"\ndhcp = false\nlan_interface = "lan0"\n'
        'uplink_interface = "nosuch0"\n',
        encoding="utf-8",
    )
    log = (tmp_path / "serve.log").open("w")
    daemon = subprocess.Popen(
        ["ip", "netns", "exec", netns, *SIMSPOT, "serve", "--config", str(conf)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    try:

        def status(*args: str) -> subprocess.CompletedProcess[str] | None:
            r = subprocess.run(
                ["ip", "netns", "exec", netns, *SIMSPOT, "status", *args,
                 "--state-dir", str(state)],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            return None if r.returncode == 1 else r  # 1: not up yet

        r = wait_for(lambda: status("--json"), timeout=60, interval=0.5)
        why = "no uplink (the uplink interface nosuch0 does not exist)"
        assert r.returncode == 3, r.stdout + r.stderr
        assert json.loads(r.stdout)["not_sharing"] == why
        text = status()
        assert text is not None and text.returncode == 3
        assert f"not sharing: {why}" in " ".join(text.stdout.split())
        time.sleep(3)  # a few more quiet retries (backoff 1 s, 2 s)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
    logged = (tmp_path / "serve.log").read_text()
    assert daemon.returncode == 0, logged
    assert "Traceback" not in logged, logged
