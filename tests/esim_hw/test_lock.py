"""The card lock between real processes: the loser is told who holds the card."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from simspot.esim.lock import CardLock, read_holder
from simspot.esim.pcsc import CardBusy

HOLD = """
import sys
from simspot.esim.lock import CardLock
lock = CardLock(sys.argv[1], sys.argv[2])
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
sys.stdin.readline()
"""


def holder(state_dir: Path, command: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state_dir), command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


def test_loser_gets_the_holders_pid_and_command(tmp_path: Path) -> None:
    proc = holder(tmp_path, "simspot serve")
    try:
        with pytest.raises(CardBusy) as info:
            CardLock(tmp_path, "simspot esim list").acquire()
        message = str(info.value)
        assert f"pid {proc.pid} (simspot serve, since " in message
        assert "the card is in use by" in message
        h = read_holder(tmp_path / "card.lock")
        assert h is not None and h.pid == proc.pid
        # Released: the next one gets it, and becomes the named holder.
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "released"
        with CardLock(tmp_path, "simspot esim enable") as lock:
            assert lock.held
            h = read_holder(tmp_path / "card.lock")
            assert h is not None and (h.pid, h.command) == (os.getpid(), "simspot esim enable")
        assert not lock.held
    finally:
        stop(proc)


def test_waiting_loser_gets_the_lock_when_it_frees(tmp_path: Path) -> None:
    proc = holder(tmp_path, "simspot esim download")
    try:
        assert proc.stdin is not None
        stdin = proc.stdin

        def release() -> None:
            stdin.write("\n")
            stdin.flush()

        timer = threading.Timer(0.5, release)
        timer.start()
        t0 = time.monotonic()
        with CardLock(tmp_path, "simspot serve", wait_s=20):
            assert time.monotonic() - t0 >= 0.4
        timer.join()
    finally:
        stop(proc)


def test_crashed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    proc = holder(tmp_path, "simspot esim download")
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        with CardLock(tmp_path, "simspot serve") as lock:
            assert lock.held
    finally:
        stop(proc)


def test_waiting_times_out_with_the_holder_named(tmp_path: Path) -> None:
    proc = holder(tmp_path, "simspot serve")
    try:
        t0 = time.monotonic()
        with pytest.raises(CardBusy, match=r"simspot serve"):
            CardLock(tmp_path, "x", wait_s=0.5).acquire()
        assert time.monotonic() - t0 >= 0.5
    finally:
        stop(proc)


def test_command_defaults_to_this_process(tmp_path: Path) -> None:
    with CardLock(tmp_path) as lock:
        assert lock.command
        h = read_holder(tmp_path / "card.lock")
        assert h is not None and h.command == lock.command and h.pid == os.getpid()
