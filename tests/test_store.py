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
