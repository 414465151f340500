"""A private dbus-daemon for tests, and python-dbusmock services on it.

The bus is a real dbus-daemon with a session-like config listening on a socket in a temp dir. Mock
services run as `python -m dbusmock` processes with DBUS_SYSTEM_BUS_ADDRESS pointing at it, so
system-bus templates (ModemManager, UPower, NetworkManager) land on the private bus.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def start_bus(directory: Path) -> tuple[subprocess.Popen[str], str]:
    """A dbus-daemon listening on ``directory``/bus; returns the process and its address."""
    if shutil.which("dbus-daemon") is None:
        raise RuntimeError(
            "dbus-daemon is missing: apt-get install dbus (scripts/apt-packages.txt)"
        )
    conf = directory / "bus.conf"
    conf.write_text(BUS_CONFIG.format(socket=directory / "bus"))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={conf}", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    if not address:
        stop_bus(proc)
        raise RuntimeError("dbus-daemon did not start")
    return proc, address


def stop_bus(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


@contextmanager
def private_bus(prefix: str) -> Iterator[tuple[str, Path]]:
    """A dbus-daemon in a fresh temp dir (named after ``prefix`` and the pid) for the block;
    yields its address and the dir (for logs). Both are gone afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-"))
    try:
        proc, address = start_bus(tmp)
        try:
            yield address, tmp
        finally:
            stop_bus(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def spawn_dbusmock(address: str, template: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`python -m dbusmock [args] --template TEMPLATE` on the bus at ``address``, output to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "dbusmock", *args, "--template", template],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": address},
        )


def wait_for_name(
    address: str, name: str, mock: subprocess.Popen[bytes], log: Path, within_s: float = 30
) -> None:
    """Block until ``name`` has an owner on the bus (asked with dbus-send); fail with the mock's
    log if it exits or the time runs out."""
    deadline = time.monotonic() + within_s
    while True:
        probe = subprocess.run(
            ["dbus-send", f"--bus={address}", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if "boolean true" in probe.stdout:
            return
        if time.monotonic() > deadline or mock.poll() is not None:
            raise AssertionError(f"dbusmock did not start {name}:\n" + log.read_text())
        time.sleep(0.1)
