"""The CLI as a person meets it: --version, help without `<bool>` on flags, setup --dry-run and
doctor --json on this machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from simspot import __version__, config


def simspot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simspot.cli.main", *args],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"},
    )  # fmt: skip


def test_version() -> None:
    done = simspot("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"simspot {__version__}"


def test_flags_are_shown_without_a_type() -> None:
    for args in (["--help"], ["status", "--help"], ["setup", "--help"], ["doctor", "--help"]):
        done = simspot(*args)
        assert done.returncode == 0, done.stderr
        assert "<bool>" not in done.stdout, args
        assert "--help" in done.stdout
    out = simspot("status", "--help").stdout
    assert "--json" in out and "<path>" in out  # options with values keep their type


def test_setup_dry_run_on_this_machine(tmp_path: Path) -> None:
    target = tmp_path / "simspot.toml"
    done = simspot("setup", "--dry-run", "--yes", "--config", str(target))
    assert done.returncode == 0, done.stderr
    assert "Found:" in done.stdout and f"Would write {target}" in done.stdout
    assert not target.exists()
    start = done.stdout.index("# simspot configuration")
    ends = [done.stdout.find(m, start) for m in ("\nconflict:", "\nadmin page on the hotspot:")]
    end = min((e for e in ends if e != -1), default=-1)
    text = done.stdout[start : end if end != -1 else None]
    config.validate(tomllib.loads(text))  # what it would write loads


def test_doctor_json_on_this_machine(tmp_path: Path) -> None:
    done = simspot("doctor", "--json", "--config", str(tmp_path / "none.toml"))
    # A named config that does not exist is an error, said as JSON.
    assert done.returncode == 1 and "config file not found" in json.loads(done.stdout)["error"]
    conf = tmp_path / "simspot.toml"
    conf.write_text('[dataplane]\nbackend = "nft"\nlan_interface = "lo"\n')
    done = simspot("doctor", "--json", "--config", str(conf),
                   "--dbus-address", f"unix:path={tmp_path}/no-bus")  # fmt: skip
    report = json.loads(done.stdout)
    ids = {c["id"]: c for c in report["checks"]}
    # No modem backend and no wired uplink: nothing to share, so it exits 1 with the fix.
    assert done.returncode == 1 and report["ok"] is False
    assert ids["uplink"]["status"] == "fail" and "simspot setup" in ids["uplink"]["fix"]
    assert {"nft", "clock"} <= set(ids)
