"""The fleet capability in a running daemon (`simspot serve --simulate` with a [fleet] section)
against a real Mosquitto: it reports status, plans, usage and events, announces itself to Home
Assistant, runs an allowed command through its own API and answers it, refuses another, and
both show in its event log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jinja2
import pytest

from simspot.fleet import protocol
from tests.fleet.broker import Broker, running_broker
from tests.fleet.mqtt import Client, wait_until
from tests.fleet.test_report import USERS
from tests.helpers import RunningDemo, run_cli, stop_demo, wait_seeded

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with running_broker(tmp_path, USERS, ha_user="ha") as b:
        yield b


def join_token(broker: Broker, box: str) -> str:
    der = ssl.PEM_cert_to_DER_cert(broker.ca_path.read_text())
    return protocol.make_join_token(box, USERS[box], hashlib.sha256(der).digest())


def serve(tmp_path: Path, broker: Broker) -> RunningDemo:
    """The box joins with `simspot fleet join` (its config then runs the daemon)."""
    state = tmp_path / "state"
    conf = tmp_path / "simspot.toml"
    conf.write_text(
        "[daemon]\n"
        f'state_dir = "{state}"\napi_port = 0\nlog_level = "warning"\n'
        "[simulator]\nspeed = 600\n"
        "[plans]\ncommit_interval_s = 1\n",
        encoding="utf-8",
    )
    joined = run_cli(
        "fleet",
        "join",
        f"mqtts://{broker.host}:{broker.port}",
        join_token(broker, "box-1"),
        "--ca",
        str(broker.ca_path),
        "--name",
        "Van 7",
        "--allow",
        "uplink.use",
        "--allow",
        "guest.add",
        "--home-assistant",
        "--config",
        str(conf),
        "--json",
        timeout=60,
    )
    assert joined.returncode == 0, joined.stdout + joined.stderr
    assert json.loads(joined.stdout)["config_written"] is True
    with conf.open("a", encoding="utf-8") as f:  # [fleet] is last: quicker rounds for the test
        f.write("usage_interval_s = 1\nstatus_interval_s = 5\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "simspot.cli.main", "serve", "--simulate", "--config", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    url = None
    deadline = time.monotonic() + 90
    while url is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "serving http://" in line:
            url = line.rsplit(" ", 1)[-1].strip()
    if url is None:
        proc.kill()
        proc.wait(10)
        raise AssertionError("serve did not start:\n" + "".join(lines))
    threading.Thread(target=lambda: [None for _ in proc.stdout or ()], daemon=True).start()
    demo = RunningDemo(proc, url, "", state)
    try:
        wait_seeded(demo, 120)
    except BaseException:
        stop_demo(demo)
        raise
    return demo


def event_log(demo: RunningDemo, limit_s: float = 3.0) -> list[dict[str, Any]]:
    """The daemon's recent events, from its event stream (history, then quiet)."""
    out: list[dict[str, Any]] = []
    timeout = httpx.Timeout(30.0, read=limit_s)
    with (
        httpx.Client(
            base_url=demo.url, headers={"Authorization": f"Bearer {demo.token()}"}, timeout=timeout
        ) as c,
        c.stream("GET", "/api/v1/events", params={"history": "true"}) as r,
    ):
        try:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    out.append(json.loads(line[6:]))
        except httpx.ReadTimeout:
            pass
    return out


def render(template: str, payload: bytes) -> str:
    """A value template as Home Assistant renders it (Jinja2 with ``value_json``)."""
    return jinja2.Environment().from_string(template).render(value_json=json.loads(payload))


def test_a_running_box_reports_runs_allowed_commands_and_refuses_others(
    tmp_path: Path, broker: Broker
) -> None:
    fleet = Client(
        broker, "fleet", USERS["fleet"], "fleet-test", subscribe=("simspot/v1/+/+",), acks=True
    )
    ha = Client(
        broker, "ha", USERS["ha"], "ha-test", subscribe=("homeassistant/#", "simspot/v1/+/status")
    )
    for c in (fleet, ha):
        c.wait_connected()
        c.wait_subscribed(len(c._subscribe))
    demo = serve(tmp_path, broker)
    try:
        with demo.client() as api:
            # Status, plans and usage arrive.
            wait_until(
                lambda: any(m.json()["online"] for m in fleet.messages("/box-1/status")),
                90,
                "the box's status",
            )
            status = protocol.decode(protocol.Status, fleet.messages("/box-1/status")[-1].payload)
            assert status.name == "Van 7" and status.simulated
            # Published again when they change: the demo's seeding adds a plan on each SIM.
            wait_until(
                lambda: any(len(m.json()["plans"]) == 2 for m in fleet.messages("/box-1/plans")),
                90,
                "the box's two plans",
            )
            wait_until(lambda: fleet.messages("/box-1/usage"), 120, "usage records")
            state = api.get("/api/v1/fleet").json()
            assert state["box"] == "box-1" and state["connected"] is True
            assert state["allow_commands"] == ["guest.add", "uplink.use"]
            conf = str(tmp_path / "simspot.toml")
            shown = run_cli("fleet", "status", "--config", conf, "--json")
            assert shown.returncode == 0, shown.stdout + shown.stderr
            shown_json = json.loads(shown.stdout)
            assert shown_json["enabled"] and shown_json["reporter"]["connected"] is True
            records = protocol.decode(protocol.Usage, fleet.messages("/box-1/usage")[0].payload)
            assert records.records[0].seq == 1

            # An allowed command: pin an uplink, through the box's own API.
            candidates = api.get("/api/v1/uplink/candidates").json()["candidates"]
            target = next(c["id"] for c in candidates if c["kind"] != "wired")
            now = dt.datetime.now(dt.UTC)
            cmd = protocol.Command(
                id="cmd-uplink-0001",
                action="uplink.use",
                args={"id": target},
                ts=now,
                expires=now + dt.timedelta(minutes=10),
            )
            fleet.publish("simspot/v1/box-1/cmd", protocol.encode(cmd))
            until = (now + dt.timedelta(days=1)).isoformat()
            guest = protocol.Command(
                id="cmd-guest-0001",
                action="guest.add",
                args={"name": "Anna", "until": until, "allowance_bytes": 10_000_000},
                ts=now,
            )
            fleet.publish("simspot/v1/box-1/cmd", protocol.encode(guest))
            # Not allowed on this box: refused, never run.
            off = protocol.Command(id="cmd-off-000001", action="hotspot.off", ts=now)
            fleet.publish("simspot/v1/box-1/cmd", protocol.encode(off))

            def results() -> dict[str, protocol.Result]:
                return {
                    r.id: r
                    for r in (
                        protocol.decode(protocol.Result, m.payload)
                        for m in fleet.messages("/box-1/result")
                    )
                }

            wait_until(lambda: len(results()) == 3, 120, "three answers")
            got = results()
            assert got["cmd-uplink-0001"].ok, got["cmd-uplink-0001"].error
            assert got["cmd-uplink-0001"].result["pin"] == target
            assert api.get("/api/v1/uplink").json()["pin"] == target
            assert got["cmd-guest-0001"].ok, got["cmd-guest-0001"].error
            passes = api.get("/api/v1/guests").json()["passes"]
            assert [p["name"] for p in passes] == ["Anna"]
            assert got["cmd-guest-0001"].result["id"] == passes[0]["id"]
            assert not got["cmd-off-000001"].ok
            assert "allow_commands" in got["cmd-off-000001"].error
            assert api.get("/api/v1/hotspot").json()["enabled"] is not False
            assert "user" not in api.get("/api/v1/status").json()["sharing"]["reasons"]

            # Each command and its outcome is in the box's event log, and reaches the fleet.
            wanted = {
                ("fleet.command", "cmd-uplink-0001"),
                ("fleet.command-done", "cmd-uplink-0001"),
                ("fleet.command-done", "cmd-guest-0001"),
                ("fleet.command-refused", "cmd-off-000001"),
            }

            def logged() -> set[tuple[str, str]]:
                return {(e["kind"], e["data"].get("id")) for e in event_log(demo)}

            wait_until(lambda: wanted <= logged(), 60, "the commands in the event log")
            assert ("fleet.command", "cmd-off-000001") not in logged()

            def forwarded() -> set[tuple[str, str]]:
                return {
                    (e["kind"], e["params"].get("id"))
                    for m in fleet.messages("/box-1/events")
                    for e in m.json()["events"]
                }

            wait_until(lambda: wanted <= forwarded(), 60, "the commands' events at the fleet")
            # Events from before the reporter ran (the daemon's start) reach the fleet once.
            started = [
                e
                for m in fleet.messages("/box-1/events")
                for e in m.json()["events"]
                if e["kind"] == "daemon.started"
            ]
            assert len(started) == 1 and started[0]["params"]["mode"] == "demo"
            refused = next(
                e
                for m in fleet.messages("/box-1/events")
                for e in m.json()["events"]
                if e["kind"] == "fleet.command-refused"
            )
            assert refused["severity"] == "warning"
            assert refused["message"].startswith("Refused the fleet's command hotspot.off")

        # Home Assistant: discovery configs for the box's entities, rendered from its status.
        wait_until(lambda: len(ha.messages("/config")) >= 6, 60, "discovery configs")
        configs = {m.topic: m.json() for m in ha.messages("/config")}
        # Retained: a Home Assistant that starts later gets them at once.
        late = Client(broker, "ha", USERS["ha"], "ha-late", subscribe=("homeassistant/#",))
        late.wait_connected()
        wait_until(lambda: len(late.messages("/config")) == len(configs), 60, "retained configs")
        assert all(m.retain for m in late.messages("/config"))
        late.close()
        by_object = {t.split("/")[3]: (t.split("/")[1], c) for t, c in configs.items()}
        assert set(by_object) >= {"data_left", "signal", "battery", "clients", "sharing"}
        assert by_object["sharing"][0] == "binary_sensor"
        state = ha.messages("/box-1/status")[-1]
        for obj, (component, config) in by_object.items():
            assert config["state_topic"] == "simspot/v1/box-1/status"
            assert config["unique_id"] == f"simspot_box-1_{obj}"
            assert config["device"]["identifiers"] == ["simspot_box-1"]
            assert config["device"]["name"] == "Van 7"
            value = render(config["value_template"], state.payload)
            assert render(config["availability_template"], state.payload) == "online"
            if obj in ("signal", "battery", "clients"):
                assert value.isdigit(), (obj, value)
            if obj == "data_left":
                assert value.isdigit() or value == "None"
            if component == "binary_sensor":
                assert value in (config["payload_on"], config["payload_off"])
    finally:
        stop_demo(demo)
        fleet_after = fleet
    # Stopped: the retained status says offline, and Home Assistant's availability follows.
    wait_until(
        lambda: not fleet_after.messages("/box-1/status")[-1].json()["online"], 30, "offline"
    )
    last = fleet_after.messages("/box-1/status")[-1]
    config = next(iter(m.json() for m in ha.messages("/signal/config")))
    assert render(config["availability_template"], last.payload) == "offline"
    for c in (fleet, ha):
        c.close()
