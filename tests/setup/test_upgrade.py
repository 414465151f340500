"""Upgrades and rollbacks of the state (docs: README, "Upgrade and roll back").

Each part of simspot keeps its tables' schema version in the state database (``schema_version``,
per namespace) and applies the steps it is missing at start. A state left by an older simspot (one
step short in every namespace) opens in the daemon, is brought up to date and keeps its data; a
state a newer simspot migrated is refused with a sentence naming the namespace, both versions and
the way back, and the database is left exactly as it was.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from simspot.dataplane import devices
from simspot.hotspot import capability as hotspot_capability
from simspot.hotspot import guests
from simspot.plans import ledger
from simspot.store import CORE_MIGRATIONS, Store
from simspot.uplink import service as uplink_service
from tests.helpers import SIMSPOT, RunningDemo, patient, stop_demo, wait_for

NAMESPACES: dict[str, Sequence[str]] = {
    "core": CORE_MIGRATIONS,
    "plans": ledger.MIGRATIONS,
    "hotspot": hotspot_capability.MIGRATIONS,
    "dataplane": devices.MIGRATIONS,
    "uplink": uplink_service.MIGRATIONS,
    "guests": guests.MIGRATIONS,
}


def serve(conf: Path, state: Path) -> RunningDemo:
    """`simspot serve --simulate` on ``conf`` (unlike `demo`, it keeps the state it finds)."""
    proc = subprocess.Popen(
        [*SIMSPOT, "serve", "--simulate", "--config", str(conf)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line)
        if m := re.search(r"simspot is serving (http://\S+)", line):
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep it drained
            return RunningDemo(proc, m.group(1), "", state)
    proc.wait(30)
    raise AssertionError("the daemon did not start:\n" + "".join(seen))


def versions(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT namespace, version FROM schema_version").fetchall())


def dump(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_an_older_state_opens_and_a_newer_one_is_refused_untouched(tmp_path: Path) -> None:
    state = tmp_path / "state"
    db = state / "simspot.db"
    # The state an older simspot left: every namespace one step short (core has one step).
    older = Store(db)
    for ns, steps in NAMESPACES.items():
        if ns != "core":
            older.migrate(ns, steps[: len(steps) - 1])
    older.set_meta("kept-across-upgrade", "yes")
    older.close()
    before = versions(db)
    assert any(before.get(ns, 0) < len(s) for ns, s in NAMESPACES.items())

    conf = tmp_path / "simspot.toml"
    conf.write_text(f'[daemon]\nstate_dir = "{state}"\napi_port = 0\n', encoding="utf-8")
    demo = serve(conf, state)
    try:
        with patient(demo) as c:
            wait_for(lambda: c.get("/api/v1/status").status_code == 200, timeout=90)
            assert c.get("/api/v1/plans").status_code == 200  # the plans tables work
    finally:
        stop_demo(demo)
    after = versions(db)
    for ns, steps in NAMESPACES.items():
        assert after[ns] == len(steps), (ns, after)
    reopened = Store(db)
    assert reopened.get_meta("kept-across-upgrade") == "yes"
    reopened.close()

    # Now a newer simspot's state (one plans step more than this one knows): refused, untouched.
    with sqlite3.connect(db) as con:
        con.execute("UPDATE schema_version SET version = version + 1 WHERE namespace = 'plans'")
    con.close()
    newer = dump(db)
    done = subprocess.run(
        [*SIMSPOT, "serve", "--simulate", "--config", str(conf)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0, said
    n = len(ledger.MIGRATIONS)
    assert f"has plans schema version {n + 1}, newer than this simspot knows ({n})" in said
    assert "simspot restore FILE" in said
    assert "Traceback" not in said
    assert dump(db) == newer
