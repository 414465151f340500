"""Backup and restore of the state directory, consistent while the daemon runs.

A backup is a gzip'd tar (owner-only) of the state directory: the SQLite database copied with
SQLite's online backup API (a consistent snapshot even while the daemon writes; its ``-wal`` and
``-shm`` files are not needed), every other regular file as it is. Left out: what describes one
run on one host (the API's runtime file, pid files, the data plane's record of host settings and
pinned neighbours, the admin certificate's key stays in).

Restore refuses while a daemon uses the state directory, checks every member before writing
anything (regular files and directories only, relative paths inside the directory), checks the
database's integrity, then swaps the directory in whole: the old one is kept beside it as
``<dir>.before-restore-<time>``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path, PurePosixPath

from simspot.errors import SimspotError
from simspot.paths import RUNTIME_FILE

DB_FILE = "simspot.db"
FORMAT = "simspot-backup-1"
MANIFEST = "simspot-backup.json"
_SKIP_NAMES = {RUNTIME_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", f"{DB_FILE}-journal"}
_SKIP_PATHS = {"dataplane/host-before.json", "dataplane/neighbours.json"}


class BackupError(SimspotError):
    pass


def _skipped(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name in _SKIP_NAMES or rel in _SKIP_PATHS or name.endswith(".pid")


def backup(state_dir: Path, dest: Path) -> dict[str, object]:
    """Write a backup of ``state_dir`` to ``dest`` (0600); returns its manifest."""
    if not (state_dir / DB_FILE).is_file():
        raise BackupError(
            f"{state_dir} holds no simspot state ({DB_FILE} is missing)",
            msg_id="backup.no-state",
            params={"state_dir": str(state_dir), "db": DB_FILE},
        )
    files: list[str] = []
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            with tempfile.TemporaryDirectory(prefix="simspot-backup-") as scratch:
                snap = Path(scratch) / DB_FILE
                _sqlite_copy(state_dir / DB_FILE, snap)
                tar.add(snap, arcname=DB_FILE, recursive=False)
            files.append(DB_FILE)
            for root, dirs, names in os.walk(state_dir):
                dirs.sort()
                for name in sorted(names):
                    path = Path(root) / name
                    rel = path.relative_to(state_dir).as_posix()
                    if rel == DB_FILE or _skipped(rel) or path.is_symlink() or not path.is_file():
                        continue
                    tar.add(path, arcname=rel, recursive=False)
                    files.append(rel)
            manifest = {"format": FORMAT, "created": int(time.time()), "files": files}
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return manifest


def _sqlite_copy(src: Path, dst: Path) -> None:
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(
            f"cannot copy the database {src}: {exc}",
            msg_id="backup.copy",
            params={"path": str(src), "problem": str(exc)},
        ) from None
    finally:
        source.close()


def daemon_running(state_dir: Path) -> int | None:
    """The pid of a daemon serving ``state_dir`` (from its runtime file), if it is alive."""
    try:
        pid = int(json.loads((state_dir / RUNTIME_FILE).read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def restore(archive: Path, state_dir: Path, *, force: bool = False) -> Path | None:
    """Replace ``state_dir`` by the backup in ``archive``; returns where the old one was kept
    (None when there was none). Refused while a daemon uses it, or when it holds state and
    ``force`` is not given."""
    pid = daemon_running(state_dir)
    if pid is not None:
        raise BackupError(
            f"a simspot daemon (pid {pid}) uses {state_dir}: stop it first",
            msg_id="backup.daemon-running",
            params={"pid": pid, "state_dir": str(state_dir)},
        )
    if state_dir.exists() and any(state_dir.iterdir()) and not force:
        raise BackupError(
            f"{state_dir} is not empty: give --force to replace it (it is kept)",
            msg_id="backup.not-empty",
            params={"state_dir": str(state_dir)},
        )
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{state_dir.name}.restore-", dir=state_dir.parent))
    try:
        _extract(archive, staging)
        _check_db(staging / DB_FILE)
        kept: Path | None = None
        if state_dir.exists():
            kept = state_dir.with_name(f"{state_dir.name}.before-restore-{int(time.time())}")
            os.replace(state_dir, kept)
        os.replace(staging, state_dir)
    except BaseException:
        with contextlib.suppress(OSError):
            _remove_tree(staging)
        raise
    return kept


def _extract(archive: Path, into: Path) -> None:
    try:
        tar = tarfile.open(archive, mode="r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(
            f"{archive} is not a simspot backup: {exc}",
            msg_id="backup.not-backup",
            params={"archive": str(archive), "problem": str(exc)},
        ) from None
    with tar:
        members = tar.getmembers()
        names = {m.name for m in members}
        if MANIFEST not in names or DB_FILE not in names:
            raise BackupError(
                f"{archive} is not a simspot backup (no {MANIFEST} or {DB_FILE})",
                msg_id="backup.incomplete",
                params={"archive": str(archive), "manifest": MANIFEST, "db": DB_FILE},
            )
        for m in members:
            p = PurePosixPath(m.name)
            if p.is_absolute() or ".." in p.parts or not (m.isfile() or m.isdir()):
                raise BackupError(
                    f"{archive}: refusing the member {m.name!r}",
                    msg_id="backup.member",
                    params={"archive": str(archive), "member": repr(m.name)},
                )
        manifest = json.loads(_read(tar, MANIFEST))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(
                f"{archive}: unknown backup format",
                msg_id="backup.format",
                params={"archive": str(archive)},
            )
        os.chmod(into, 0o700)
        for m in members:
            if m.name == MANIFEST:
                continue
            target = into / m.name
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True, mode=0o700)
                continue
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            src = tar.extractfile(m)
            assert src is not None
            with src, open(target, "wb", opener=_private) as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    f = tar.extractfile(name)
    if f is None:
        raise BackupError(
            f"{name} is missing from the backup", msg_id="backup.missing", params={"name": name}
        )
    with f:
        return f.read()


def _check_db(path: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA integrity_check").fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise BackupError(
            f"the backup's database is damaged: {exc}",
            msg_id="backup.damaged",
            params={"problem": str(exc)},
        ) from None
    if not result or result[0] != "ok":
        raise BackupError(
            f"the backup's database is damaged: {result}",
            msg_id="backup.damaged",
            params={"problem": str(result)},
        )


def _remove_tree(path: Path) -> None:
    for root, dirs, names in os.walk(path, topdown=False):
        for name in names:
            (Path(root) / name).unlink()
        for name in dirs:
            (Path(root) / name).rmdir()
    path.rmdir()
