"""`simspot esim ...` end to end: directly on the virtual card, and through the demo daemon."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from simspot.simulator.modem import EUICC_PROFILE
from tests.helpers import run_cli, start_demo, wait_for


def cli_json(*args: str) -> dict:  # type: ignore[type-arg]
    result = run_cli("esim", *args, "--json", timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_direct_on_the_virtual_card(tmp_path: Path) -> None:
    config = tmp_path / "simspot.toml"
    # a port of its own, so the test SM-DP+ of each CLI run answers on the same address
    config.write_text(f"[esim]\nvirtual_smdp_port = {free_port()}\n")
    where = ["--state-dir", str(tmp_path), "--config", str(config), "--transport", "virtual"]
    info = cli_json("info", *where)
    assert len(info["eid"]) == 32 and info["transport"] == "virtual"
    code = info["test_smdp"]["activation_codes"][0]
    installed = cli_json("download", code, *where)
    assert installed["notification_sent"] and installed["iccid"]
    listed = cli_json("list", *where)
    assert [(p["iccid"], p["state"]) for p in listed["profiles"]] == [
        (installed["iccid"], "disabled")
    ]
    enabled = cli_json("enable", installed["iccid"], *where)
    assert enabled["state"] == "enabled"
    assert [n["operation"] for n in enabled["notifications"]] == ["enable"]

    refused = run_cli("esim", "delete", installed["iccid"], "--yes", "--json", *where)
    assert refused.returncode == 1
    assert "disable it first" in json.loads(refused.stdout)["error"]

    bad = run_cli("esim", "download", "LPA:1$https://x.example$A", "--json", *where)
    assert bad.returncode == 1 and "not a URL" in json.loads(bad.stdout)["error"]
    no_confirm = run_cli("esim", "reset", "--json", *where)
    assert no_confirm.returncode == 1 and "--yes-delete-all-profiles" in no_confirm.stdout
    cli_json("reset", "--yes-delete-all-profiles", *where)
    assert cli_json("list", *where)["profiles"] == []


def test_through_the_daemon(tmp_path: Path) -> None:
    demo = start_demo(tmp_path)
    try:
        where = ["--state-dir", str(tmp_path)]
        info = wait_for(lambda: _info(where), timeout=30)
        code = info["test_smdp"]["activation_codes"][1]
        installed = cli_json("download", code, *where)
        with demo.client() as api:
            profiles = api.get("/api/v1/esim/profiles").json()["profiles"]
            # the operator profile the simulator installed on the empty card comes first
            assert [p["iccid"] for p in profiles] == [EUICC_PROFILE[0], installed["iccid"]]
            answer = api.post(f"/api/v1/esim/profiles/{installed['iccid']}/enable")
            assert answer.status_code == 200 and answer.json()["state"] == "enabled"
            refused = api.post("/api/v1/esim/reset", json={})
            assert refused.status_code == 409 and "confirmation" in refused.json()["detail"]
            bad = api.post("/api/v1/esim/download", json={"activation_code": "nonsense"})
            assert bad.status_code == 422
        assert cli_json("notifications", *where)["notifications"] == []
        # the daemon holds the card: a direct run is told who has it
        busy = run_cli("esim", "list", "--transport", "virtual", "--json", *where)
        assert busy.returncode == 1 and "in use by" in json.loads(busy.stdout)["error"]
    finally:
        try:
            demo.stop(timeout=15)
        except subprocess.TimeoutExpired:
            demo.proc.kill()
            raise


def _info(where: list[str]) -> dict | None:  # type: ignore[type-arg]
    result = run_cli("esim", "info", "--json", *where)
    if result.returncode != 0:
        return None
    data = json.loads(result.stdout)
    return data if data.get("test_smdp") else None
