"""The real libqmi / libmbim proxies (Debian's libqmi-utils / libmbim-utils ship them), one each
for the session, as ModemManager runs them on a real box. A proxy that already runs (abstract
socket taken) is used as is and left alone."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from simspot.esim.proxylink import find_proxy


@dataclass
class Proxy:
    name: str
    log: Path

    def tail(self, n: int = 40) -> str:
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(lines[-n:])


def _listening(name: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect("\0" + name)
        except OSError:
            return False
    return True


def _run_proxy(name: str, folder: Path) -> Iterator[Proxy]:
    program = find_proxy(name)
    if program is None:
        pytest.fail(
            f"{name} is not installed: apt-get install the packages in scripts/apt-packages.txt"
        )
    proxy = Proxy(name, folder / f"{name}.log")
    if _listening(name):
        yield proxy
        return
    with proxy.log.open("w") as out:
        process = subprocess.Popen(
            [program, "--no-exit", "--verbose"], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        while not _listening(name):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{name} did not start listening: {proxy.tail()}")
            time.sleep(0.05)
        yield proxy
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="session")
def qmi_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    yield from _run_proxy("qmi-proxy", tmp_path_factory.mktemp("qmi-proxy"))


@pytest.fixture(scope="session")
def mbim_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    yield from _run_proxy("mbim-proxy", tmp_path_factory.mktemp("mbim-proxy"))
