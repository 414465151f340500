from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simspot.errors import StateError
from simspot.store import Store


def test_wal_and_core_schema(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.version("core") >= 1
    store.set_meta("k", "v")
    assert store.get_meta("k") == "v"
    assert (tmp_path / "s.db").stat().st_mode & 0o777 == 0o600


def test_migrations_apply_once_in_order(tmp_path: Path) -> None:
    steps = ["CREATE TABLE a (x INTEGER)", "ALTER TABLE a ADD COLUMN y TEXT"]
    store = Store(tmp_path / "s.db")
    assert store.migrate("plans", steps[:1]) == 1
    store.close()
    store = Store(tmp_path / "s.db")
    assert store.migrate("plans", steps) == 2
    assert store.migrate("plans", steps) == 2
    store.db.execute("INSERT INTO a (x, y) VALUES (1, 'z')")


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    with pytest.raises(StateError, match="plans migration 1 failed"):
        store.migrate("plans", ["CREATE TABLE b (x INTEGER); CREATE TABLE b (y INTEGER)"])
    assert store.version("plans") == 0
    with pytest.raises(sqlite3.OperationalError):
        store.db.execute("SELECT * FROM b")


def test_newer_database_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.migrate("x", ["CREATE TABLE t1 (a)", "CREATE TABLE t2 (a)"])
    with pytest.raises(StateError, match="newer than this simspot knows"):
        store.migrate("x", ["CREATE TABLE t1 (a)"])


def test_state_directory_and_every_file_made_private(tmp_path: Path) -> None:
    import os

    state = tmp_path / "state"
    (state / "esim" / "deep").mkdir(parents=True)
    for d in (state, state / "esim", state / "esim" / "deep"):
        d.chmod(0o755)
    (state / "simspot.db").touch(mode=0o644)
    (state / "esim" / "card.json").write_text("{}")
    (state / "esim" / "card.json").chmod(0o664)
    (state / "esim" / "deep" / "tool").write_text("#!/bin/sh\n")
    (state / "esim" / "deep" / "tool").chmod(0o755)
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    outside.chmod(0o644)
    os.symlink(outside, state / "link")

    store = Store(state / "simspot.db")
    store.set_meta("k", "v")  # WAL and shared-memory files exist now

    modes = {
        str(p.relative_to(state)): p.lstat().st_mode & 0o777
        for p in [state, *state.rglob("*")]
        if not p.is_symlink()
    }
    assert modes == {
        ".": 0o700,
        "simspot.db": 0o600,
        "simspot.db-wal": 0o600,
        "simspot.db-shm": 0o600,
        "esim": 0o700,
        "esim/card.json": 0o600,
        "esim/deep": 0o700,
        "esim/deep/tool": 0o700,  # the owner keeps what it could run; nobody else anything
    }
    assert outside.stat().st_mode & 0o777 == 0o644  # a link's target is left alone
    store.close()


def test_new_database_files_are_private_from_the_start(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        store = Store(tmp_path / "fresh" / "s.db")
        store.set_meta("k", "v")
        for name in ("s.db", "s.db-wal", "s.db-shm"):
            assert (tmp_path / "fresh" / name).stat().st_mode & 0o777 == 0o600, name
        store.close()
    finally:
        os.umask(old)
