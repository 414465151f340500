"""`simspot guest ...` end to end: the real CLI against the real demo daemon (simulated AP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simspot.hotspot import qr
from tests.helpers import run_cli, start_demo, stop_demo
from tests.hotspot.test_qr import decode, png_grid


def test_guest_commands_against_the_demo(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state", "--clients", "3", "--speed", "1", seeded=False)
    sd = ("--state-dir", str(demo.state_dir))

    def cli(*args: str) -> Any:
        r = run_cli("guest", *args, "--json", *sd)
        assert r.returncode == 0, r.stdout + r.stderr
        return json.loads(r.stdout)

    try:
        assert cli("list")["passes"] == []
        p = cli(
            "add", "Priya", "--until", "3h", "--allowance", "2GB", "--per", "day", "--cap", "5000"
        )
        pid = p["id"]
        assert p["name"] == "Priya" and p["period"] == "day" and p["rate_kbit"] == 5000
        assert p["allowance_bytes"] == 2_000_000_000 and p["state"] == "active"
        assert qr.parse_wifi_text(p["qr_payload"]).password == p["passphrase"]
        listed = cli("list")
        assert [x["id"] for x in listed["passes"]] == [pid]
        assert listed["passes"][0]["passphrase"] == "***" and listed["supported"]
        assert cli("show", pid)["passphrase"] == p["passphrase"]

        png = tmp_path / "guest.png"
        doc = cli("qr", pid, "--png", str(png))
        assert decode(png_grid(png.read_bytes()), scale=1) == doc["payload"] == p["qr_payload"]

        ext = cli("extend", pid, "--topup", "500MB", "--until", "tomorrow")
        assert ext["topup_bytes"] == 500_000_000 and ext["until"] > p["until"]

        # Refusals name the problem and change nothing.
        bad = run_cli("guest", "add", "Q", "--until", "soon", *sd)
        assert bad.returncode == 1 and "until" in bad.stderr
        bad = run_cli("guest", "add", "Q", "--allowance", "lots", "--json", *sd)
        assert bad.returncode == 1 and "allowance" in json.loads(bad.stdout)["error"]
        bad = run_cli("guest", "show", "gnothere", *sd)
        assert bad.returncode == 1 and "no guest pass" in bad.stderr
        assert len(cli("list")["passes"]) == 1

        assert cli("revoke", pid)["state"] == "revoked"
        gone = run_cli("guest", "qr", pid, *sd)
        assert gone.returncode == 1 and "ended" in gone.stderr
        text = run_cli("guest", "list", *sd)
        assert text.returncode == 0 and "Priya" in text.stdout and "revoked" in text.stdout
    finally:
        stop_demo(demo)
