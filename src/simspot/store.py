"""State store: one SQLite database (WAL) in the state directory, with per-namespace migrations.

Each capability migrates its own tables: ``store.migrate("plans", [step1_sql, step2_sql, ...])``.
Steps are append-only; the applied count is kept per namespace in ``schema_version``.

The state directory holds MAC addresses, host names, usage, keys and credentials: opening the store
makes the directory 0700 and everything in it private (``secure_state_dir``), whatever modes it
had before, and the database is created 0600 so SQLite's WAL and shared-memory files, which take
the database's mode, are private too.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Sequence
from pathlib import Path

from simspot.errors import StateError

CORE_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE event_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX event_log_ts ON event_log (ts);
    """,
)


def secure_state_dir(directory: Path) -> int:
    """Make ``directory`` 0700 and every file and directory in it owner-only; return the number
    of modes changed.

    Files become 0600 (0700 if the owner could execute them), directories 0700. Symbolic links
    are not followed. Sockets and other special files lose their group and other bits too.
    """
    changed = 0

    def fix(path: str, is_dir: bool) -> None:
        nonlocal changed
        try:
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                return
            perms = stat.S_IMODE(mode)
            if is_dir:
                wanted = 0o700
            elif stat.S_ISREG(mode):
                wanted = 0o700 if perms & stat.S_IXUSR else 0o600
            else:
                wanted = perms & 0o700
            if perms != wanted:
                os.chmod(path, wanted)
                changed += 1
        except FileNotFoundError:  # removed while we walked
            return

    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fix(str(directory), True)
        for root, dirs, files in os.walk(directory):
            for name in dirs:
                fix(os.path.join(root, name), True)
            for name in files:
                fix(os.path.join(root, name), False)
    except OSError as exc:
        raise StateError(
            f"cannot make the state directory {directory} private: {exc}",
            msg_id="state.private",
            params={"path": str(directory), "problem": str(exc)},
        ) from None
    return changed


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            secure_state_dir(path.parent)
            # Created private before SQLite opens it: the -wal and -shm files copy its mode.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise StateError(
                f"cannot open state database {path}: {exc}",
                msg_id="state.open",
                params={"path": str(path), "problem": str(exc)},
            ) from None
        os.chmod(path, 0o600)
        self.lock = threading.Lock()
        self.migrate("core", CORE_MIGRATIONS)

    def version(self, namespace: str) -> int:
        row = self.db.execute(
            "SELECT version FROM schema_version WHERE namespace = ?", (namespace,)
        ).fetchone()
        return int(row[0]) if row else 0

    def migrate(self, namespace: str, steps: Sequence[str]) -> int:
        """Apply the steps not applied yet, each in its own transaction. Returns the new version."""
        if not namespace.isidentifier():
            raise ValueError(f"bad migration namespace {namespace!r}")
        current = self.version(namespace)
        if current > len(steps):
            raise StateError(
                f"state database {self.path} has {namespace} schema version {current}, newer than "
                f"this simspot knows ({len(steps)}): a newer simspot used it. Upgrade simspot "
                "again, or to roll back restore the backup made before the upgrade "
                "(simspot restore FILE); its tables were left as they are",
                msg_id="state.newer",
                params={
                    "path": str(self.path),
                    "namespace": namespace,
                    "version": current,
                    "known": len(steps),
                },
            )
        with self.lock:
            for number, sql in enumerate(steps[current:], start=current + 1):
                # executescript so that steps may hold triggers; the transaction it opens stays
                # open until the version row is written too.
                try:
                    self.db.executescript("BEGIN IMMEDIATE;\n" + sql)
                    self.db.execute(
                        "INSERT INTO schema_version (namespace, version) VALUES (?, ?) "
                        "ON CONFLICT(namespace) DO UPDATE SET version = excluded.version",
                        (namespace, number),
                    )
                    self.db.execute("COMMIT")
                except sqlite3.Error as exc:
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    raise StateError(
                        f"{namespace} migration {number} failed: {exc}",
                        msg_id="state.migration",
                        params={"namespace": namespace, "number": number, "problem": str(exc)},
                    ) from None
        return self.version(namespace)

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        self.db.close()
