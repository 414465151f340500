"""`simspot hotspot ...` end to end: the real CLI against the real demo daemon."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simspot.hotspot import qr
from tests.helpers import run_cli, start_demo, wait_for
from tests.hotspot.test_qr import decode, png_grid, svg_grid, terminal_grid


def test_hotspot_commands_against_the_demo(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state", "--clients", "6", "--speed", "1")
    sd = ("--state-dir", str(demo.state_dir))

    def cli(*args: str) -> Any:
        r = run_cli("hotspot", *args, "--json", *sd)
        assert r.returncode == 0, r.stdout + r.stderr
        return json.loads(r.stdout)

    try:
        st = cli("status")
        assert (
            st["backend"] == "simulated"
            and st["passphrase"] == "***"
            and st["security"] == "wpa2-wpa3"
        )
        secret = cli("status", "--show-passphrase")["passphrase"]
        assert len(secret) >= 12

        # The QR in the terminal, as PNG and as SVG: all decode to the same payload.
        png, svg = tmp_path / "join.png", tmp_path / "join.svg"
        doc = cli("qr", "--png", str(png), "--svg", str(svg))
        payload = doc["payload"]
        assert qr.parse_wifi_text(payload).password == secret
        assert decode(png_grid(png.read_bytes()), scale=1) == payload
        assert decode(svg_grid(svg.read_bytes())) == payload
        shown = run_cli("hotspot", "qr", *sd)
        art = "\n".join(line for line in shown.stdout.splitlines() if set(line) <= set("█▀▄ "))
        assert decode(terminal_grid(art)) == payload

        # Refusals are clear and change nothing.
        weak = run_cli("hotspot", "set", "--ssid", "x" * 33, *sd)
        assert weak.returncode == 1 and "ssid" in weak.stderr and "32 bytes" in weak.stderr
        bad = run_cli("hotspot", "set", "--security", "wep", "--json", *sd)
        assert bad.returncode == 1 and "security" in json.loads(bad.stdout)["error"]
        assert cli("status", "--show-passphrase")["passphrase"] == secret

        st = cli(
            "set", "--ssid", "Road trip", "--generate-passphrase", "--deny", "02:00:00:00:00:99"
        )
        assert st["ssid"] == "Road trip" and st["mac_deny"] == ["02:00:00:00:00:99"]
        assert cli("status", "--show-passphrase")["passphrase"] != secret
        open_st = run_cli("hotspot", "set", "--security", "open", *sd)
        assert open_st.returncode == 0 and "OPEN NETWORK" in open_st.stdout

        rows = wait_for(lambda: cli("clients")["clients"], timeout=20)
        mac = rows[0]["mac"]
        assert cli("block", mac) == {"mac": mac, "blocked": True}
        assert next(r for r in cli("clients")["clients"] if r["mac"] == mac)["blocked"] is True
        assert cli("limit", mac, "--down", "400")["rate_down_kbit"] == 400
        assert cli("unblock", mac)["blocked"] is False

        assert cli("down")["held_by"] == {"user": "turned off with simspot hotspot down"}
        wait_for(lambda: not cli("status")["up"] and not cli("clients")["clients"], timeout=20)
        assert cli("up")["enabled"] is True
        wait_for(lambda: cli("status")["up"], timeout=20)
    finally:
        demo.stop()
