"""A command's whole round trip: the fleet API stores and publishes it, a running box (the
simulated daemon with fleet reporting on) runs it through its own API and answers, the ingest
stores the answer in PostgreSQL, and the fleet API shows the result; the box's effect is checked
on the box itself. Real PostgreSQL, Mosquitto, ingest worker and daemon."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simspot.daemon.auth import Auth
from simspot.fleet.api import create_app
from simspot.fleet.publisher import MqttCommandPublisher
from tests.fleet.ingest_helpers import Fleet, running_fleet, wait_for
from tests.fleet.served import served
from tests.fleet.test_report import USERS
from tests.fleet.test_report_daemon import serve
from tests.helpers import RunningDemo, stop_demo


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    (tmp_path / "fleet").mkdir()
    with running_fleet(tmp_path / "fleet", ["box-1"]) as f:
        # The daemon's helper logs in with its own test password for box-1.
        f.broker.add_user("box-1", USERS["box-1"])
        f.start_worker("roundtrip-ingest")
        yield f


@pytest.fixture
def box(tmp_path: Path, fleet: Fleet) -> Iterator[RunningDemo]:
    demo = serve(tmp_path, fleet.broker)  # allow_commands = ["uplink.use", "guest.add"]
    try:
        yield demo
    finally:
        stop_demo(demo)


def test_uplink_and_guest_commands_from_the_fleet_api_to_a_running_box(
    tmp_path: Path, fleet: Fleet, box: RunningDemo
) -> None:
    publisher = MqttCommandPublisher(
        fleet.broker.host,
        fleet.broker.port,
        username="fleet",
        password=fleet.passwords["fleet"],
        ca_path=str(fleet.broker.ca_path),
        client_id="roundtrip-commands",
    )
    publisher.start(wait_s=60)
    (tmp_path / "fleet-state").mkdir()
    auth = Auth(tmp_path / "fleet-state")
    auth.setup()
    app = create_app(fleet.dsn, publisher, auth, run_alerts=False)
    headers = {"Authorization": f"Bearer {auth.token}"}
    try:
        with (
            served(app) as url,
            httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=60) as api,
            box.client() as on_box,
        ):

            def get(path: str, **params: Any) -> Any:
                r = api.get(path, params=params)
                assert r.status_code == 200, r.text
                return r.json()

            def send(action: str, args: dict[str, Any]) -> dict[str, Any]:
                r = api.post("/commands", json={"action": action, "box": "box-1", "args": args})
                assert r.status_code == 202, r.text
                (cmd,) = r.json()["commands"]
                return dict(cmd)

            def answered(cid: str) -> dict[str, Any]:
                return dict(
                    wait_for(
                        lambda: (c := get(f"/commands/{cid}"))["state"] != "pending" and c,
                        f"the answer to {cid}",
                    )
                )

            # The box reports in: online, its name, simulated.
            row = wait_for(
                lambda: (b := get("/boxes/box-1"))["state"] == "online" and b, "box-1 online"
            )
            assert row["name"] == "Van 7" and row["simulated"]

            candidates = on_box.get("/api/v1/uplink/candidates").json()["candidates"]
            target = next(c["id"] for c in candidates if c["kind"] != "wired")
            cmd = send("uplink.use", {"id": target})
            assert cmd["state"] == "pending"
            done = answered(cmd["id"])
            assert done["state"] == "ok", done
            assert done["result"]["pin"] == target
            assert on_box.get("/api/v1/uplink").json()["pin"] == target  # it happened

            until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
            cmd = send("guest.add", {"name": "Anna", "until": until, "allowance_bytes": 10**7})
            done = answered(cmd["id"])
            assert done["state"] == "ok", done
            passes = on_box.get("/api/v1/guests").json()["passes"]
            assert [p["name"] for p in passes] == ["Anna"]
            assert done["result"]["id"] == passes[0]["id"]

            # Not allowed on this box: the box refuses, and says why.
            cmd = send("hotspot.off", {})
            done = answered(cmd["id"])
            assert done["state"] == "failed" and "allow_commands" in done["error"]
            assert on_box.get("/api/v1/hotspot").json()["enabled"] is not False

            # The box's event log reaches the fleet: each command's outcome is there.
            def kinds() -> set[str]:
                return {e["kind"] for e in get("/boxes/box-1/events", limit=500)["events"]}

            wait_for(
                lambda: {"fleet.command-done", "fleet.command-refused"} <= kinds(),
                "the commands in the box's events",
            )
    finally:
        publisher.close()
