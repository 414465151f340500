"""The demo end to end: the real CLI starts the real daemon on the simulator."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx

from tests.helpers import run_cli, start_demo, wait_for


def test_demo_serves_status_page_api_and_cli(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state")
    try:
        page = httpx.get(demo.url + "/")
        assert page.status_code == 200 and "simspot" in page.text
        assert httpx.get(demo.url + "/api/v1/status").status_code == 401

        with demo.client() as c:
            status = wait_for(lambda: (s := c.get("/api/v1/status").json())["clients"] and s)
        assert status["mode"] == "demo"
        assert status["modem"]["state"] in ("registered", "connected", "searching")
        kinds = sorted(s["kind"] for s in status["modem"]["slots"])
        assert kinds == ["euicc", "physical"]
        assert status["battery"]["present"] is True
        assert all(c["state"] == "running" for c in status["components"])

        # The web password works for a session login.
        with httpx.Client(base_url=demo.url) as web:
            assert web.post("/api/v1/login", json={"password": demo.password}).status_code == 200
            assert web.get("/api/v1/status").status_code == 200

        result = run_cli("status", "--json", "--state-dir", str(demo.state_dir))
        assert result.returncode == 0, result.stderr
        cli = json.loads(result.stdout)
        assert cli["mode"] == "demo"
        assert cli["modem"]["slots"] == status["modem"]["slots"]
        assert {c["mac"] for c in cli["clients"]} >= set()

        human = run_cli("status", "--state-dir", str(demo.state_dir))
        assert human.returncode == 0 and "SIM slots" in human.stdout
    finally:
        elapsed = demo.stop(signal.SIGINT)
    assert demo.proc.returncode == 0
    assert elapsed < 5
    assert not (demo.state_dir / "api.json").exists()


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state")
    elapsed = demo.stop(signal.SIGTERM)
    assert demo.proc.returncode == 0 and elapsed < 5


def test_status_without_daemon_says_so(tmp_path: Path) -> None:
    result = run_cli("status", "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert "no simspot daemon is running" in result.stderr
    result = run_cli("status", "--json", "--state-dir", str(tmp_path))
    assert "no simspot daemon is running" in json.loads(result.stdout)["error"]
