"""Fixtures for the data plane tests: private network namespaces, always removed."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator

import pytest

_seq = itertools.count()


def unique(prefix: str) -> str:
    """A name no other test run on this machine uses (pid-based), short enough for ifnames."""
    return f"{prefix}{os.getpid() % 100000}x{next(_seq)}"


def sh(*cmd: str, ns: str | None = None, check: bool = True, inp: str | None = None) -> str:
    full = ["ip", "netns", "exec", ns, *cmd] if ns else list(cmd)
    r = subprocess.run(full, input=inp, capture_output=True, text=True, timeout=60, check=False)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(full)} failed ({r.returncode}): {r.stderr}")
    return r.stdout


@pytest.fixture
def netns() -> Iterator[str]:
    """An empty network namespace with lo up."""
    name = unique("sst")
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "link", "set", "lo", "up", ns=name)
        yield name
    finally:
        sh("ip", "netns", "del", name, check=False)
