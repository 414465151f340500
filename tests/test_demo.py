"""The demo end to end: the real CLI starts the real daemon on the simulator."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from tests.helpers import run_cli, start_demo, wait_for


def test_demo_serves_status_page_api_and_cli(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state")
    try:
        page = httpx.get(demo.url + "/")
        assert page.status_code == 200 and "simspot" in page.text
        assert httpx.get(demo.url + "/api/v1/status").status_code == 401

        with demo.client() as c:
            # Sharing once the simulated modem connected (status exits non-zero until then).
            status = wait_for(
                lambda: (
                    (s := c.get("/api/v1/status").json())["clients"]
                    and s["not_sharing"] is None
                    and s
                ),
                timeout=60,
            )
        assert status["mode"] == "demo"
        # Every simulated backend is named, so nothing simulated passes for hardware.
        assert {k.split("=")[0] for k in status["simulated"]} == {
            "modem.backend", "battery.backend", "dataplane.backend", "hotspot.backend",
            "esim.transport",
        }  # fmt: skip
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
        assert result.returncode in (0, 3), result.stderr
        cli = json.loads(result.stdout)
        # Exit 3 exactly when not sharing (the simulated modem may have lost its connection).
        assert (result.returncode == 3) == (cli["not_sharing"] is not None)
        assert cli["mode"] == "demo"
        assert cli["modem"]["slots"] == status["modem"]["slots"]
        # The CLI prints the API's client records (simulated MACs, the same fields).
        assert all(c["mac"].startswith("02:5e:") for c in cli["clients"])
        if cli["clients"]:
            assert cli["clients"][0].keys() == status["clients"][0].keys()

        assert cli["sharing"] == {"enabled": True, "reasons": {}, "reasons_said": {}}
        human = run_cli("status", "--state-dir", str(demo.state_dir))
        # 3 when the simulated modem lost its connection meanwhile (it roams and searches).
        assert human.returncode in (0, 3) and "SIM slots" in human.stdout
        assert "SIMULATED: the built-in simulator runs modem.backend=simulated" in " ".join(
            human.stdout.split()
        )
        assert "sharing: on" in human.stdout and "SIM lock: unlocked" in human.stdout

        # Turning the hotspot off holds sharing; status names the reason, in JSON and in text.
        assert run_cli("hotspot", "down", "--state-dir", str(demo.state_dir)).returncode == 0
        held = json.loads(run_cli("status", "--json", "--state-dir", str(demo.state_dir)).stdout)
        assert held["sharing"]["enabled"] is False and "user" in held["sharing"]["reasons"]
        human = run_cli("status", "--state-dir", str(demo.state_dir))
        assert "sharing: held off by user (turned off with simspot hotspot down)" in human.stdout
        assert human.returncode == 3  # not sharing
        assert held["not_sharing"] == "held off by user (turned off with simspot hotspot down)"
        zh = {"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
        human = run_cli("status", "--state-dir", str(demo.state_dir), env=zh)
        assert "已被你关闭 (已通过 simspot hotspot down 关闭)" in human.stdout, human.stdout
        shown = run_cli("hotspot", "status", "--state-dir", str(demo.state_dir), env=zh)
        assert "已通过 simspot hotspot down 关闭" in shown.stdout, shown.stdout
    finally:
        demo.stop(signal.SIGINT)
    assert demo.proc.returncode == 0  # it stopped by itself, cleanly
    assert not (demo.state_dir / "api.json").exists()


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state")
    demo.stop(signal.SIGTERM)
    assert demo.proc.returncode == 0
    assert not (demo.state_dir / "api.json").exists()


def test_status_without_daemon_says_so(tmp_path: Path) -> None:
    result = run_cli("status", "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert "no simspot daemon is running" in result.stderr
    result = run_cli("status", "--json", "--state-dir", str(tmp_path))
    assert "no simspot daemon is running" in json.loads(result.stdout)["error"]


def test_status_text_shows_pin_lock_and_rsrp(capsys: pytest.CaptureFixture[str]) -> None:
    from simspot.cli.main import _render_status

    modem = {
        "id": "m0", "model": "EM7455", "state": "locked", "registration": "home",
        "operator_name": None, "access_tech": None, "signal_percent": 0, "slots": [],
        "unlock_required": "sim-pin", "unlock_retries": 3, "rsrp_dbm": -97.4,
    }  # fmt: skip
    status = {
        "version": "1", "mode": "live", "uptime_s": 5.0, "modem": modem, "battery": None,
        "clients": [{"mac": "02:00:00:00:00:01", "rx_bytes": 1_500_000, "tx_bytes": 999}],
        "components": [], "sharing": {"enabled": False, "reasons": {"battery": "at 9%"}},
    }  # fmt: skip
    _render_status(status)
    out = capsys.readouterr().out
    assert "(RSRP -97 dBm)" in out
    assert "SIM lock: needs sim-pin (3 attempts left)" in out
    assert "sharing: held off by battery (at 9%)" in out
    assert "1.5 MB" in out and "999 B" in out
