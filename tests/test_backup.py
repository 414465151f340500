"""`simspot backup` while the demo runs, `simspot restore` into a new state directory."""

from __future__ import annotations

import io
import json
import signal
import sqlite3
import stat
import tarfile
from pathlib import Path

from tests.helpers import run_cli, start_demo


def tables(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


def test_backup_while_running_and_restore(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state", timeout=90)  # a busy machine seeds slowly
    archive = tmp_path / "out" / "simspot-backup.tar.gz"
    try:
        r = run_cli("backup", str(archive), "--state-dir", str(demo.state_dir), "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        files = json.loads(r.stdout)["files"]
        assert "simspot.db" in files and "api.json" not in files
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        # Restoring over a running daemon's state is refused, naming it.
        r = run_cli("restore", str(archive), "--state-dir", str(demo.state_dir), "--force")
        assert r.returncode == 1 and "daemon" in r.stderr and "stop it first" in r.stderr
    finally:
        demo.stop(signal.SIGINT)
    live = tables(demo.state_dir / "simspot.db")

    target = tmp_path / "restored"
    r = run_cli("restore", str(archive), "--state-dir", str(target))
    assert r.returncode == 0, r.stdout + r.stderr
    restored = tables(target / "simspot.db")
    assert set(restored) == set(live) and len(restored) > 3
    assert all(restored[n] <= live[n] for n in live)  # a snapshot taken earlier, never more
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in target.rglob("*") if p.is_file())
    # Existing state is replaced only with --force, and kept beside.
    r = run_cli("restore", str(archive), "--state-dir", str(target))
    assert r.returncode == 1 and "--force" in r.stderr
    r = run_cli("restore", str(archive), "--state-dir", str(target), "--force", "--json")
    assert r.returncode == 0, r.stderr
    kept = Path(json.loads(r.stdout)["previous_kept_at"])
    assert (kept / "simspot.db").is_file() and (target / "simspot.db").is_file()


def test_a_hostile_archive_is_refused_and_nothing_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        for name, data in (
            ("simspot-backup.json", b'{"format": "simspot-backup-1"}'),
            ("simspot.db", b""),
            ("../escape", b"x"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    target = tmp_path / "state"
    r = run_cli("restore", str(bad), "--state-dir", str(target))
    assert r.returncode == 1 and "refusing the member '../escape'" in r.stderr
    assert not target.exists() and not (tmp_path / "escape").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.tar.gz"]  # no staging left behind
