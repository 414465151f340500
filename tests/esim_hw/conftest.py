"""Real components for the card transport tests: a private pcscd with vsmartcard's vpcd driver.

pcscd 1.9 always serves /run/pcscd/pcscd.comm, so it runs in a private mount namespace where a
temporary directory is bind-mounted on /run/pcscd; this process reaches it through
PCSCLITE_CSOCK_NAME (read by libpcsclite on first use). The vpcd slots listen on a free port pair.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"


@dataclass
class Pcscd:
    port: int  # vpcd slot 0; slot 1 is port + 1
    socket_path: Path
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return int(port)
    raise RuntimeError("no free port pair for vpcd")


@pytest.fixture(scope="session")
def pcscd() -> Iterator[Pcscd]:
    for tool in ("pcscd", "unshare", "mount"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise RuntimeError(f"{tool} is needed for the PC/SC tests (scripts/apt-packages.txt)")
    if not Path(VPCD_DRIVER).exists():
        raise RuntimeError("vsmartcard-vpcd is not installed (scripts/apt-packages.txt)")
    base = Path(tempfile.mkdtemp(prefix=f"simspot-pcscd-{os.getpid()}-"))
    run, conf = base / "run", base / "reader.conf.d"
    run.mkdir()
    conf.mkdir()
    port = _free_port_pair()
    (conf / "vpcd").write_text(
        f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:{port}\n'
        f"LIBPATH {VPCD_DRIVER}\nCHANNELID {port}\n"
    )
    log_path = base / "pcscd.log"
    script = f"mkdir -p /run/pcscd && mount --bind {run} /run/pcscd && exec pcscd -f -c {conf}"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    sock = run / "pcscd.comm"
    server = Pcscd(port, sock, proc, log_path)
    try:
        deadline = time.monotonic() + 20
        while not (_listening(port) and sock.exists()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pcscd did not start:\n" + server.log())
            time.sleep(0.1)
        before = os.environ.get("PCSCLITE_CSOCK_NAME")
        os.environ["PCSCLITE_CSOCK_NAME"] = str(sock)
        try:
            yield server
        finally:
            if before is None:
                os.environ.pop("PCSCLITE_CSOCK_NAME", None)
            else:
                os.environ["PCSCLITE_CSOCK_NAME"] = before
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        shutil.rmtree(base, ignore_errors=True)


def _listening(port: int) -> bool:
    """Whether something listens on ``port`` (read from /proc: connecting would be a card)."""
    needle = f":{port:04X} "
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if (fields[1] + " ").endswith(needle) and fields[3] == "0A":
                    return True
    return False
