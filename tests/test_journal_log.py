"""Logs under systemd's journal: a priority prefix on every line, no timestamp of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CODE = """
import logging
from simspot.log import setup
setup("debug")
log = logging.getLogger("simspot.test")
log.debug("quiet retry")
log.warning("uplink lost", extra={"iface": "wwan0"})
try:
    raise ValueError("boom")
except ValueError:
    log.error("a bug", exc_info=True)
"""


def run(tmp_path: Path, journal: bool) -> list[str]:
    out = tmp_path / "stderr"
    with out.open("w") as f:
        st = os.fstat(f.fileno())
        env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
        if journal:
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        subprocess.run([sys.executable, "-c", CODE], stderr=f, env=env, check=True, timeout=60)
    return out.read_text().splitlines()


def test_under_the_journal_lines_carry_priorities_and_no_timestamps(tmp_path: Path) -> None:
    lines = run(tmp_path, journal=True)
    assert lines[0] == "<7>simspot.test: quiet retry"
    assert lines[1] == "<4>simspot.test: uplink lost  iface=wwan0"
    assert lines[2] == "<3>simspot.test: a bug"
    assert all(line.startswith("<3>") for line in lines[3:]) and "ValueError: boom" in lines[-1]


def test_elsewhere_json_with_its_own_timestamp(tmp_path: Path) -> None:
    lines = run(tmp_path, journal=False)  # stderr is a file, not a terminal: JSON
    first = json.loads(lines[0])
    assert first["msg"] == "quiet retry" and first["level"] == "debug" and "ts" in first
