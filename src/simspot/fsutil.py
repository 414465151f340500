"""Writing files safely: whole or not at all, readable only by their owner unless said otherwise."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(
    path: Path, data: str | bytes, *, mode: int = 0o600, durable: bool = False
) -> None:
    """Replace ``path`` with ``data`` atomically: readers see the old file or the new one, never a
    part. The new file has ``mode`` (default 0600: owner only) from its first byte on, whatever a
    left-over temporary file or the umask would say. ``durable`` also flushes the file and its
    directory to the disk, for state that must survive a power cut."""
    raw = data.encode() if isinstance(data, str) else data
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(raw)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if durable:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_private(path: Path, text: str | bytes) -> None:
    """Write a file only its owner can read (tokens, passwords, passphrases), atomically."""
    write_atomic(path, text, mode=0o600)
