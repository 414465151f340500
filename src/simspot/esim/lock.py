"""One process talks to the card at a time: an exclusive file lock in the state directory.

The daemon holds it for as long as it runs; a CLI run that reaches the card directly (no daemon)
holds it for the length of the command. The lock is ``flock`` on ``<state dir>/card.lock``: the
kernel drops it when the holder exits, even on a crash, so there are no stale locks to clean.
The holder writes its pid and command line into the file so the loser can say who has the card.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from simspot.errors import StateError
from simspot.esim.errors import CardBusy

LOCK_NAME = "card.lock"


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: str

    def describe(self) -> str:
        return f"pid {self.pid} ({self.command}, since {self.since})"


def _own_command() -> str:
    try:
        raw = Path("/proc/self/cmdline").read_bytes()
        args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    except OSError:
        args = list(sys.argv)
    # "python -m simspot.cli.main esim download" reads better as "simspot esim download".
    for i, arg in enumerate(args):
        if arg.endswith(("simspot", "simspot.cli.main")):
            args = ["simspot", *args[i + 1 :]]
            break
    text = " ".join(args) or "unknown"
    return text if len(text) <= 120 else text[:117] + "..."


class CardLock:
    """``with CardLock(state_dir, "simspot esim download"):`` or ``acquire()``/``release()``.

    ``wait_s`` > 0 retries until the lock frees up (the daemon finishing an operation) before
    giving up with :class:`CardBusy` naming the holder.
    """

    def __init__(self, state_dir: Path, command: str | None = None, *, wait_s: float = 0.0) -> None:
        self.path = Path(state_dir) / LOCK_NAME
        self.command = command or _own_command()
        self.wait_s = wait_s
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StateError(
                f"cannot open the card lock {self.path}: {exc}",
                msg_id="esim.lock.open",
                params={"path": str(self.path), "problem": str(exc)},
            ) from exc
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = read_holder(self.path)
                    os.close(fd)
                    who = holder.describe() if holder else "another process"
                    raise CardBusy(
                        f"the card is in use by {who}; wait for it to finish or stop it",
                        msg_id="esim.card-busy",
                        params={"who": who},
                    ) from None
                time.sleep(0.1)
            except OSError as exc:
                os.close(fd)
                raise StateError(
                    f"cannot lock {self.path}: {exc}",
                    msg_id="esim.lock.lock",
                    params={"path": str(self.path), "problem": str(exc)},
                ) from exc
        holder = Holder(
            os.getpid(), self.command, dt.datetime.now(dt.UTC).isoformat("T", "seconds")
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder.__dict__).encode() + b"\n", 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> CardLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def read_holder(path: Path) -> Holder | None:
    """Who holds the lock, as the holder wrote it (None: nobody wrote, or unreadable).

    A holder writes right after locking, so a loser may read an empty file for a moment: retry
    briefly before giving up.
    """
    for _ in range(10):
        try:
            data = json.loads(path.read_text() or "null")
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict):
            try:
                return Holder(int(data["pid"]), str(data["command"]), str(data["since"]))
            except (KeyError, TypeError, ValueError):
                return None
        time.sleep(0.02)
    return None
