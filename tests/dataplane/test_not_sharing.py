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
        # Either sentence, depending on who looks first: the uplink policy (no such interface)
        # or the sharing loop trying it meanwhile (its failure, reported once).
        whys = (
            "no uplink (the uplink interface nosuch0 does not exist)",
            "the data plane cannot be set up (unknown uplink interface 'nosuch0')",
        )
        assert r.returncode == 3, r.stdout + r.stderr
        assert json.loads(r.stdout)["not_sharing"] in whys
        text = status()
        assert text is not None and text.returncode == 3
        shown = " ".join(text.stdout.split())
        assert any(f"not sharing: {why}" in shown for why in whys), shown
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


def test_a_taken_https_port_leaves_the_daemon_running_without_the_lan_page(
    netns: str, tmp_path: Path
) -> None:
    sh("ip", "link", "add", "lan0", "type", "bridge", ns=netns)
    blocker = subprocess.Popen(
        ["ip", "netns", "exec", netns, sys.executable, "-c",
         "import socket, time\ns = socket.socket()\n"
         "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)\n"
         "s.bind(('0.0.0.0', 8443)); s.listen(); print('bound', flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    state = tmp_path / "state"
    conf = tmp_path / "simspot.toml"
    conf.write_text(
        f'[daemon]\nstate_dir = "{state}"\napi_port = 0\nlog_format = "text"\n\n'
        '[modem]\nbackend = "none"\n\n'
        '[dataplane]\nbackend = "nft"\ndhcp = false\nlan_interface = "lan0"\n'
        'uplink_interface = "nosuch0"\n',
        encoding="utf-8",
    )
    daemon = None
    try:
        assert blocker.stdout is not None and blocker.stdout.readline().strip() == "bound"
        log = (tmp_path / "serve.log").open("w")
        daemon = subprocess.Popen(
            ["ip", "netns", "exec", netns, *SIMSPOT, "serve", "--config", str(conf)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()

        def answered() -> subprocess.CompletedProcess[str] | None:
            r = subprocess.run(
                ["ip", "netns", "exec", netns, *SIMSPOT, "status", "--json",
                 "--state-dir", str(state)],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            return None if r.returncode == 1 else r

        r = wait_for(answered, timeout=60, interval=0.5)
        assert json.loads(r.stdout)["admin_lan_url"] is None
        logged = (tmp_path / "serve.log").read_text()
        assert "no admin page on the LAN: cannot listen on the LAN address 192.168.44.1:8443" in (
            " ".join(logged.split())
        )
    finally:
        blocker.kill()
        blocker.wait()
        if blocker.stdout is not None:
            blocker.stdout.close()
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(30)
            finally:
                if daemon.poll() is None:
                    daemon.kill()
                    daemon.wait()
    assert daemon.returncode == 0
