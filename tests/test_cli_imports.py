"""Lean start-up: CLI commands that only talk to the daemon import no server framework, no asn1
compiler and no crypto library (issue 11, item 6).

The commands run in a fresh interpreter with ``-X importtime``, against a stand-in daemon (a stdlib
HTTP server answering every request with a JSON object, found through the runtime file a real
daemon writes), so the whole path is taken: option parsing, finding the daemon, the request, the
output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from simspot.paths import RUNTIME_FILE, TOKEN_FILE

HEAVY = ("fastapi", "uvicorn", "starlette", "asn1tools", "cryptography")


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "plans": [], "clients": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def daemon_dir(tmp_path: Path) -> Iterator[Path]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    (tmp_path / RUNTIME_FILE).write_text(json.dumps({"url": url, "pid": os.getpid()}))
    (tmp_path / TOKEN_FILE).write_text("test-token\n")
    try:
        yield tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def imported_modules(*args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules ``simspot <args>`` imports (from ``-X importtime``), and the finished run."""
    env = {k: v for k, v in os.environ.items() if k != "SIMSPOT_STATE_DIR"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "simspot.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "simspot.cli.common" in names, done.stderr[-2000:]
    return names, done


def heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in HEAVY)


def test_status_imports_no_server_framework_asn1_or_crypto(daemon_dir: Path) -> None:
    names, done = imported_modules("status", "--json", "--state-dir", str(daemon_dir))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert json.loads(done.stdout)["path"] == "/api/v1/status"  # the request really went out
    assert heavy(names) == []
    assert not any(n.startswith("simspot.simulator") for n in names)
    # The CLI talks HTTP to the daemon: none of the daemon's own modules is needed, nor httpx's
    # own command line.
    assert not any(n.startswith("simspot.daemon.") for n in names)
    assert not any(n.split(".")[0] in ("pygments", "click") for n in names)


def test_status_without_a_daemon_is_lean_too(tmp_path: Path) -> None:
    names, done = imported_modules("status", "--json", "--state-dir", str(tmp_path))
    assert done.returncode == 1
    assert "no simspot daemon is running" in json.loads(done.stdout)["error"]
    assert heavy(names) == []


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("plan", "list", "--json"),
        ("usage", "--json"),
        ("hotspot", "clients", "--json"),
    ],
)
def test_other_daemon_commands_are_lean(daemon_dir: Path, args: tuple[str, ...]) -> None:
    extra = () if args == ("--help",) else ("--state-dir", str(daemon_dir))
    names, done = imported_modules(*args, *extra)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert heavy(names) == []
    assert "simspot.config" not in names  # pydantic models of every capability: not needed here
