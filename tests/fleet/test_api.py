"""The fleet API against a real PostgreSQL (and, for commands, a real Mosquitto and ingest).

Data goes in the way the ingest writes it (``db.write_batch`` with the contract's messages), or
through the broker and a real ingest worker; every answer is checked against what went in.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest

from simspot.daemon.auth import Auth, LoginThrottle
from simspot.fleet import alerts, db, protocol
from simspot.fleet.api import SESSION_COOKIE, create_app
from simspot.fleet.publisher import MqttCommandPublisher, PublishError
from simspot.i18n import render
from tests.fleet.fleet_data import (
    BOXES,
    GB,
    ICCID_A,
    MAC,
    UTC,
    BoxAnswers,
    plan,
    seed,
    status,
    usage,
    write,
)
from tests.fleet.ingest_helpers import Fleet, running_fleet, wait_for
from tests.fleet.mqtt import Client
from tests.fleet.served import served

# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with running_fleet(tmp_path_factory.mktemp("fleet-api"), BOXES) as f:
        with f.conn() as conn:
            seed(conn)
        f.start_worker("api-test-ingest")
        yield f


@pytest.fixture(scope="module")
def publisher(fleet: Fleet) -> Iterator[MqttCommandPublisher]:
    p = MqttCommandPublisher(
        fleet.broker.host,
        fleet.broker.port,
        username="fleet",
        password=fleet.passwords["fleet"],
        ca_path=str(fleet.broker.ca_path),
        client_id="api-test-commands",
    )
    p.start(wait_s=60)
    yield p
    p.close()


class Server:
    def __init__(self, url: str, auth: Auth, password: str) -> None:
        self.url, self.auth, self.password = url, auth, password
        self.client = httpx.Client(base_url=url, timeout=60)

    def get(self, path: str, **kw: Any) -> Any:
        r = self.client.get("/api/v1" + path, headers=self.bearer, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: Any, status: int = 202) -> Any:
        r = self.client.post("/api/v1" + path, json=body, headers=self.bearer)
        assert r.status_code == status, r.text
        return r.json()

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.auth.token}"}


@pytest.fixture(scope="module")
def server(
    fleet: Fleet, publisher: MqttCommandPublisher, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    auth = Auth(tmp_path_factory.mktemp("fleet-state"))
    password = auth.setup()
    assert password is not None and len(password) >= 20  # generated, never a default
    app = create_app(fleet.dsn, publisher, auth, run_alerts=False)
    with served(app) as url:
        s = Server(url, auth, password)
        yield s
        s.client.close()


# -- auth ----------------------------------------------------------------------------------------


def test_every_route_needs_a_login_or_the_token(server: Server) -> None:
    c = server.client
    for path in ["/api/v1/boxes", "/api/v1/usage", "/api/v1/alerts", "/api/v1/commands"]:
        assert c.get(path).status_code == 401
        assert c.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert c.get("/openapi.json").status_code == 401
    assert c.get("/openapi.json", headers=server.bearer).status_code == 200
    assert c.get("/api/v1/messages").status_code == 200  # sentences only, for the login page
    r = c.post("/api/v1/commands", json={"action": "hotspot.on", "box": "box-a"})
    assert r.status_code == 401


def test_login_session_and_csrf(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.post("/api/v1/login", json={"password": "wrong-password"})
        assert r.status_code == 401
        r = c.post("/api/v1/login", json={"password": server.password})
        assert r.status_code == 200, r.text
        assert "httponly" in r.headers["set-cookie"].lower()
        assert "samesite=strict" in r.headers["set-cookie"].lower()
        assert c.get("/api/v1/boxes").status_code == 200
        # A write from a session must be JSON (a cross-site form cannot send that).
        r = c.post("/api/v1/logout", content=b"x", headers={"Content-Type": "text/plain"})
        assert r.status_code == 415
        assert c.post("/api/v1/logout", json={}).status_code == 200
        assert c.get("/api/v1/boxes").status_code == 401


def test_login_guessing_is_slowed(tmp_path: Path, fleet: Fleet) -> None:
    auth = Auth(tmp_path, throttle=LoginThrottle(free=2, base_s=60))
    password = auth.setup()
    app = create_app(fleet.dsn, _Unreachable(), auth, run_alerts=False)
    with served(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        codes = [c.post("/api/v1/login", json={"password": f"guess-{i}"}) for i in range(4)]
        assert [r.status_code for r in codes[:2]] == [401, 401]
        assert codes[3].status_code == 429
        assert int(codes[3].headers["Retry-After"]) >= 1
        # Even the right password waits its turn (the delay is never a lock, but it holds now).
        assert c.post("/api/v1/login", json={"password": password}).status_code == 429
        assert SESSION_COOKIE not in c.cookies


def test_a_foreign_host_name_is_refused(server: Server, fleet: Fleet) -> None:
    evil = server.bearer | {"Host": "evil.example"}
    assert server.client.get("/api/v1/boxes", headers=evil).status_code == 421
    app = create_app(
        fleet.dsn, _Unreachable(), server.auth, allowed_hosts=["fleet.example"], run_alerts=False
    )
    named = server.bearer | {"Host": "fleet.example:8443"}
    with served(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        assert c.get("/api/v1/boxes", headers=named).status_code == 200
        assert c.get("/api/v1/boxes", headers=evil).status_code == 421


class _Unreachable:
    def publish(self, box: str, command: protocol.Command) -> None:
        raise AssertionError("this test sends no commands")


# -- boxes, usage, plans, events -------------------------------------------------------------------


def test_boxes_show_what_they_reported(server: Server) -> None:
    boxes = {b["id"]: b for b in server.get("/boxes")["boxes"]}
    assert set(boxes) == set(BOXES)
    a, b, c = boxes["box-a"], boxes["box-b"], boxes["box-c"]
    assert a["state"] == "online" and a["online"] is True
    assert a["name"] == "Van 1" and a["group"] == "vans" and a["version"] == "0.1.0"
    assert (a["uplink"], a["uplink_label"]) == (ICCID_A, "China Unicom")
    assert (a["signal"], a["battery"], a["clients"], a["guests"]) == (71, 84, 3, 1)
    assert a["sharing"] is True and a["simulated"] == ["modem", "battery"]
    assert b["state"] == "offline" and b["online"] is False and b["last_seen"] is not None
    assert c["state"] == "online" and c["sharing"] is False
    assert c["reason"] == "the battery is low" and c["group"] == ""
    vans = server.get("/boxes", params={"group": "vans"})["boxes"]
    assert [x["id"] for x in vans] == ["box-a", "box-b"]
    assert server.get("/boxes/box-a")["signal"] == 71
    groups = server.get("/groups")
    assert groups == [{"name": "vans", "boxes": 2, "online": 1}]


def test_unknown_box_and_bad_ids_are_refused_by_name(server: Server) -> None:
    r = server.client.get("/api/v1/boxes/box-zz", headers=server.bearer)
    assert r.status_code == 422 and r.json()["field"] == "box"
    assert "box-zz" in r.json()["detail"]
    r = server.client.get("/api/v1/boxes/Box_A", headers=server.bearer)
    assert r.status_code == 422  # not a box id at all


def test_group_of_a_box_can_be_set_and_cleared(server: Server) -> None:
    r = server.client.put(
        "/api/v1/boxes/box-c/group", json={"group": "shops"}, headers=server.bearer
    )
    assert r.status_code == 200 and r.json()["group"] == "shops"
    assert {g["name"] for g in server.get("/groups")} == {"shops", "vans"}
    r = server.client.put("/api/v1/boxes/box-c/group", json={"group": ""}, headers=server.bearer)
    assert r.json()["group"] == ""
    r = server.client.put("/api/v1/boxes/nobox/group", json={"group": "x"}, headers=server.bearer)
    assert r.status_code == 422 and r.json()["field"] == "box"


def test_usage_per_box_by_day_and_hour_in_a_time_zone(server: Server) -> None:
    u = server.get(
        "/boxes/box-a/usage",
        params={"by": "day", "since": "2026-11-28T00:00:00Z", "until": "2026-11-30T00:00:00Z"},
    )
    assert [p["at"][:10] for p in u["points"]] == ["2026-11-28", "2026-11-29"]
    day1, day2 = u["points"]
    assert (day1["rx"], day1["tx"], day1["parts"]) == (3000, 300, {ICCID_A: 3300})
    assert (day2["rx"], day2["tx"], day2["parts"]) == (4000, 400, {"wan:eth0": 4400})
    assert (u["rx"], u["tx"]) == (7000, 700)  # the client scope is not counted twice
    assert u["parts"] == sorted([ICCID_A, "wan:eth0"])

    # In Shanghai (UTC+8) 23:45 UTC is the next morning: the second day gets it.
    sh = server.get(
        "/boxes/box-a/usage",
        params={
            "by": "day",
            "tz": "Asia/Shanghai",
            "since": "2026-11-28T00:00:00+08:00",
            "until": "2026-11-30T00:00:00+08:00",
        },
    )
    assert [(p["at"], p["rx"] + p["tx"]) for p in sh["points"]] == [
        ("2026-11-27T16:00:00Z", 1100),
        ("2026-11-28T16:00:00Z", 2200 + 4400),
    ]
    hours = server.get(
        "/boxes/box-a/usage",
        params={"by": "hour", "since": "2026-11-28T22:00:00Z", "until": "2026-11-29T01:00:00Z"},
    )
    assert [p["rx"] + p["tx"] for p in hours["points"]] == [0, 2200, 4400]  # empty hours too
    clients = server.get(
        "/boxes/box-a/usage",
        params={"scope": "client", "since": "2026-11-28T00:00:00Z", "until": "2026-11-29T00:00Z"},
    )
    assert clients["points"][0]["parts"] == {MAC: 660}


def test_fleet_usage_totals_per_box_and_group(server: Server) -> None:
    window = {"since": "2026-11-28T00:00:00Z", "until": "2026-11-30T00:00:00Z"}
    u = server.get("/usage", params=window)
    assert u["points"][1]["parts"] == {"box-a": 4400, "box-b": 8800}
    assert (u["rx"], u["tx"]) == (15000, 1500)
    assert server.get("/usage", params=window | {"group": "none-such"})["rx"] == 0
    assert server.get("/usage", params=window | {"group": "vans"})["rx"] == 15000
    default = server.get("/usage")
    assert len(default["points"]) == 14  # the last 14 days, today included


def test_usage_refuses_bad_ranges_naming_the_field(server: Server) -> None:
    def refused(params: dict[str, str]) -> str:
        r = server.client.get("/api/v1/usage", params=params, headers=server.bearer)
        assert r.status_code == 422, r.text
        return str(r.json().get("field") or r.json()["detail"][0]["loc"][-1])

    assert refused({"tz": "Mars/Olympus"}) == "tz"
    assert refused({"since": "2026-11-28T00:00:00"}) == "since"  # no time zone
    assert refused({"since": "2026-11-29T00:00:00Z", "until": "2026-11-28T00:00:00Z"}) == "since"
    assert refused({"by": "hour", "since": "2026-01-01T00:00:00Z"}) == "since"  # too wide
    assert refused({"by": "week"}) == "by"


def test_plans_and_sims_per_box(server: Server) -> None:
    p = server.get("/boxes/box-a/plans")
    assert [x["plan"]["name"] for x in p["plans"]] == ["Unicom 10 GB"]
    assert p["plans"][0]["plan"]["left"] == GB // 2
    sims = {s["key"]: s for s in p["sims"]}
    assert set(sims) == {ICCID_A, "wan:eth0"}
    assert sims[ICCID_A]["current"] and sims[ICCID_A]["plan"] == "Unicom 10 GB"
    assert (sims[ICCID_A]["rx_31d"], sims[ICCID_A]["tx_31d"]) == (3000, 300)
    assert not sims["wan:eth0"]["current"] and sims["wan:eth0"]["plan"] is None
    assert server.get("/boxes/box-b/plans")["plans"] == []


def test_events_and_uplink_decisions_per_box(server: Server) -> None:
    ev = server.get("/boxes/box-a/events")["events"]
    assert [e["seq"] for e in ev] == [2, 1]  # newest first
    assert ev[1]["message"] is None and ev[1]["text"] == "the hotspot is up"
    assert ev[0]["message"]["id"] == "fleet.alert.not-sharing"
    assert ev[0]["message"]["text"] == "x is not sharing its connection: y."
    assert [
        e["seq"] for e in server.get("/boxes/box-a/events", params={"before": 2})["events"]
    ] == [1]
    d = server.get("/boxes/box-a/uplink")
    assert [(x["chosen"], x["previous"], x["reason"]) for x in d] == [
        (ICCID_A, "wan:eth0", "the cable is out")
    ]


# -- alerts --------------------------------------------------------------------------------------


def test_alerts_are_raised_once_and_cleared_when_resolved(server: Server, fleet: Fleet) -> None:
    import asyncio

    from simspot.fleet.queries import Store

    async def evaluate() -> alerts.Changes:
        store = Store(fleet.dsn)
        try:
            async with store.conn() as conn:
                return await alerts.evaluate(conn, alerts.AlertSettings(quiet_minutes=10))
        finally:
            await store.close()

    first = asyncio.run(evaluate())
    raised = {(w.box, w.kind, w.key): w.message_id for w in first.raised}
    assert raised == {
        ("box-b", "box.quiet", ""): "fleet.alert.offline",
        ("box-c", "box.not-sharing", ""): "fleet.alert.not-sharing",
        ("box-a", "plan.low", ICCID_A): "fleet.alert.plan-low",
    }
    again = asyncio.run(evaluate())
    assert again.raised == [] and again.cleared == []  # raised once
    open_ = server.get("/alerts")["alerts"]
    assert len(open_) == 3
    low = next(a for a in open_ if a["kind"] == "plan.low")
    assert low["message"]["text"] == (
        "Plan Unicom 10 GB on Van 1 is running low: 500.0 MB left of 10.0 GB."
    )
    zh = render(low["message"]["id"], low["message"]["params"], "zh")
    assert "剩余 500.0 MB" in zh and "Van 1" in zh
    assert server.get("/boxes/box-c")["open_alerts"] == 1

    # box-b comes back; box-c shares again; box-a's plan is topped up: all three clear.
    with fleet.conn() as conn:
        write(
            conn,
            statuses=[status("box-b", sharing=True), status("box-c", sharing=True)],
            plans=[
                protocol.Plans(
                    box="box-a",
                    ts=dt.datetime.now(UTC),
                    plans=[plan(ICCID_A, "Unicom 10 GB", 20 * GB, int(9.5 * GB))],
                )
            ],
        )
        # ... and box-a has been silent for an hour: that is an alert of its own.
        conn.execute("UPDATE box SET last_seen = now() - interval '1 hour' WHERE id = 'box-a'")
    third = asyncio.run(evaluate())
    assert {(b, k) for b, k, _ in third.cleared} == {
        ("box-b", "box.quiet"),
        ("box-c", "box.not-sharing"),
        ("box-a", "plan.low"),
    }
    assert [(w.box, w.message_id) for w in third.raised] == [("box-a", "fleet.alert.quiet")]
    assert server.get("/boxes/box-a")["state"] == "quiet"
    assert {a["box"] for a in server.get("/alerts")["alerts"]} == {"box-a"}
    cleared = server.get("/alerts", params={"state": "cleared"})["alerts"]
    assert len(cleared) == 3 and all(a["cleared_at"] for a in cleared)
    with fleet.conn() as conn:
        conn.execute("UPDATE box SET last_seen = now() WHERE id = 'box-a'")
    assert asyncio.run(evaluate()).cleared == [("box-a", "box.quiet", "")]


def test_plan_alert_rules() -> None:
    def kind(**body: Any) -> str | None:
        w = alerts.plan_alert("b", "b", {"iccid": "1", "name": "p", **body}, 0.1)
        return None if w is None else w.message_id

    assert kind(allowance=None, used=10**12) is None  # unlimited
    assert kind(allowance=100, used=50) is None
    assert kind(allowance=100, used=95, left=5) == "fleet.alert.plan-low"
    assert kind(allowance=100, used=100, left=0) == "fleet.alert.plan-exhausted"
    assert kind(allowance=100, used=10, state="exhausted") == "fleet.alert.plan-exhausted"
    assert kind(allowance=100, used=50, forecast=130) == "fleet.alert.plan-forecast"


# -- commands ------------------------------------------------------------------------------------


def _refusal(server: Server, body: dict[str, Any]) -> dict[str, Any]:
    r = server.client.post("/api/v1/commands", json=body, headers=server.bearer)
    assert r.status_code == 422, r.text
    data: dict[str, Any] = r.json()
    return data


def test_commands_are_checked_before_anything_is_stored(server: Server, fleet: Fleet) -> None:
    with fleet.conn() as conn:
        before = conn.execute("SELECT count(*) FROM command").fetchone()
    bad = _refusal(server, {"action": "uplink.use", "box": "box-a", "args": {}})
    assert bad["field"] == "args.id" and "uplink.use" in bad["detail"]
    bad = _refusal(server, {"action": "client.block", "box": "box-a", "args": {"mac": "nope"}})
    assert bad["field"] == "args.mac"
    bad = _refusal(server, {"action": "hotspot.on", "box": "box-a", "args": {"x": 1}})
    assert bad["field"] == "args.x"
    bad = _refusal(server, {"action": "reboot", "box": "box-a"})
    assert bad["detail"][0]["loc"] == ["body", "action"]
    bad = _refusal(server, {"action": "hotspot.on"})
    assert bad["field"] == "box"
    bad = _refusal(server, {"action": "hotspot.on", "box": "box-a", "group": "vans"})
    assert bad["field"] == "box"
    bad = _refusal(server, {"action": "hotspot.on", "box": "box-zz"})
    assert bad["field"] == "box"
    bad = _refusal(server, {"action": "hotspot.on", "group": "nobody"})
    assert bad["field"] == "group"
    secret = "LPA:1$smdp.example.com$SECRET-MATCHING-ID"
    bad = _refusal(
        server,
        {
            "action": "esim.download",
            "box": "box-a",
            "args": {"activation_code": secret, "confirmation_code": "x" * 65},
        },
    )
    assert bad["field"] == "args.confirmation_code" and "SECRET" not in str(bad)
    with fleet.conn() as conn:
        assert conn.execute("SELECT count(*) FROM command").fetchone() == before


def test_command_round_trip_to_one_box(server: Server, fleet: Fleet) -> None:
    box = BoxAnswers(fleet, "box-a")
    try:
        secret = "LPA:1$smdp.example.com$SECRET-MATCHING-ID"
        sent = server.post(
            "/commands",
            {"action": "esim.download", "box": "box-a", "args": {"activation_code": secret}},
        )["commands"]
        assert len(sent) == 1 and sent[0]["state"] == "pending"
        cmd = sent[0]
        assert cmd["args"]["activation_code"] == "***"  # what the fleet keeps and shows
        assert cmd["requested_by"] == "admin (token)"
        expires = dt.datetime.fromisoformat(cmd["expires_at"])
        created = dt.datetime.fromisoformat(cmd["created_at"])
        assert expires - created == dt.timedelta(seconds=3600)
        wait_for(lambda: box.commands(), "the command on the box's topic")
        got = box.commands()[0]
        assert got.id == cmd["id"] and got.args == {"activation_code": secret}  # the box has it
        assert got.expires is not None and got.expires == expires
        with fleet.conn() as conn:
            stored = conn.execute("SELECT args::text FROM command").fetchall()
        assert not any("SECRET" in row[0] for row in stored)
        box.answer_all()
        done = wait_for(
            lambda: (c := server.get(f"/commands/{cmd['id']}"))["state"] != "pending" and c,
            "the box's answer in the API",
        )
        assert done["state"] == "ok" and done["ok"] is True
        assert done["result"]["action"] == "esim.download"
        assert done["answered_at"] is not None
    finally:
        box.close()


def test_group_command_and_a_refusal(server: Server, fleet: Fleet) -> None:
    a, b = BoxAnswers(fleet, "box-a"), BoxAnswers(fleet, "box-b", ok=False)
    try:
        sent = server.post("/commands", {"action": "guest.add", "group": "vans", "args": _guest()})[
            "commands"
        ]
        assert sorted(c["box"] for c in sent) == ["box-a", "box-b"]
        ids = {c["box"]: c["id"] for c in sent}
        assert ids["box-a"] != ids["box-b"]
        wait_for(lambda: any(c.id == ids["box-a"] for c in a.commands()), "box-a's command")
        wait_for(lambda: any(c.id == ids["box-b"] for c in b.commands()), "box-b's command")
        assert not any(c.id == ids["box-b"] for c in a.commands())  # each box its own
        a.answer_all()
        b.answer_all()
        states = wait_for(
            lambda: (
                (s := {k: server.get(f"/commands/{v}")["state"] for k, v in ids.items()})["box-a"]
                != "pending"
                and s["box-b"] != "pending"
                and s
            ),
            "both answers",
        )
        assert states == {"box-a": "ok", "box-b": "failed"}
        failed = server.get(f"/commands/{ids['box-b']}")
        assert failed["error"] == "this box does not take it" and failed["ok"] is False
        listed = server.get("/commands", params={"box": "box-b"})["commands"]
        assert ids["box-b"] in [c["id"] for c in listed]
    finally:
        a.close()
        b.close()


def _guest() -> dict[str, Any]:
    until = (dt.datetime.now(UTC) + dt.timedelta(days=1)).isoformat()
    return {"name": "Visitor", "until": until, "allowance_bytes": 500_000_000}


def test_an_unanswered_command_expires(server: Server) -> None:
    sent = server.post("/commands", {"action": "hotspot.off", "box": "box-c", "expires_in_s": 10})[
        "commands"
    ]
    cid = sent[0]["id"]
    assert sent[0]["state"] == "pending"
    wait_for(lambda: server.get(f"/commands/{cid}")["state"] == "expired", "expiry", 60)


def test_a_command_the_broker_does_not_take_fails_at_once(server: Server, fleet: Fleet) -> None:
    # Not connected: nothing listens on this port.
    offline = MqttCommandPublisher(
        "127.0.0.1", _closed_port(), username="fleet", password="x", client_id="nowhere"
    )
    offline.start()
    # Connected as a box: the broker's ACL lets a box write no other box's cmd topic.
    as_box = MqttCommandPublisher(
        fleet.broker.host,
        fleet.broker.port,
        username="box-b",
        password=fleet.passwords["box-b"],
        ca_path=str(fleet.broker.ca_path),
        client_id="box-b-impostor",
    )
    as_box.start(wait_s=60)
    try:
        for publisher, why in [(offline, "not connected"), (as_box, "refused")]:
            app = create_app(fleet.dsn, publisher, server.auth, run_alerts=False)
            with served(app) as url, httpx.Client(base_url=url, timeout=60) as c:
                r = c.post(
                    "/api/v1/commands",
                    json={"action": "hotspot.on", "box": "box-a"},
                    headers=server.bearer,
                )
                assert r.status_code == 202, r.text
                cmd = r.json()["commands"][0]
                assert cmd["state"] == "failed", cmd
                assert why in cmd["error"]
    finally:
        offline.close()
        as_box.close()


# paho leaves the socket of a failed TLS handshake to the garbage collector (its reconnect loop).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_brokers_certificate_is_always_checked(fleet: Fleet) -> None:
    # Without a CA file the system's CAs are used: the test broker's CA is not among them.
    unverified = MqttCommandPublisher(
        fleet.broker.host,
        fleet.broker.port,
        username="fleet",
        password=fleet.passwords["fleet"],
        client_id="fleet-without-ca",
    )
    try:
        with pytest.raises(PublishError, match="cannot connect"):
            unverified.start(wait_s=5)
    finally:
        unverified.close()
        gc.collect()  # any socket paho left behind goes here, under this test's filter
    with pytest.raises(PublishError, match="without TLS"):
        MqttCommandPublisher("127.0.0.1", 1, username="f", password="p", ca_path="/x", tls=False)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_alerts_run_in_the_background(fleet: Fleet, server: Server) -> None:
    with fleet.conn() as conn:
        write(conn, statuses=[status("box-c", sharing=False, reason="held by you")])
    app = create_app(
        fleet.dsn,
        _Unreachable(),
        server.auth,
        alert_settings=alerts.AlertSettings(every_s=0.5),
    )
    with served(app) as url, httpx.Client(base_url=url, timeout=60) as c:

        def open_for_c() -> list[dict[str, Any]]:
            r = c.get("/api/v1/alerts", params={"box": "box-c"}, headers=server.bearer)
            return [a for a in r.json()["alerts"] if a["kind"] == "box.not-sharing"]

        found = wait_for(open_for_c, "the background evaluation")
        assert found[0]["message"]["params"]["reason"] == "held by you"
    with fleet.conn() as conn:
        write(conn, statuses=[status("box-c", sharing=True)])


def test_command_args_are_the_box_api_bodies() -> None:
    from simspot.errors import SimspotValueError
    from simspot.fleet.commands import ACTIONS, args_model, check_args

    assert set(ACTIONS) == set(get_args(protocol.CommandAction))
    for action in ACTIONS:
        assert args_model(action) is not None  # every action has its args' model
    # plan.set: any of a plan's fields, for the plan of one SIM.
    assert check_args("plan.set", {"iccid": ICCID_A, "allowance_bytes": "10GB"}) == {
        "iccid": ICCID_A,
        "allowance_bytes": "10GB",
    }
    for args, field in [
        ({"allowance_bytes": "10GB"}, "args.iccid"),
        ({"iccid": ICCID_A, "cycle": {"kind": "monthly", "day": "x"}}, "args.cycle.monthly.day"),
        ({"iccid": ICCID_A, "colour": "red"}, "args.colour"),
    ]:
        with pytest.raises(SimspotValueError) as err:
            check_args("plan.set", args)
        assert err.value.field == field
    assert check_args("guest.revoke", {"id": "abc123"}) == {"id": "abc123"}
    with pytest.raises(SimspotValueError, match="action"):
        check_args("reboot", {})


def test_a_database_outage_is_a_503_and_the_api_recovers(tmp_path: Path) -> None:
    from tests.fleet.pg import start_postgres

    pg = start_postgres(tmp_path)
    try:
        with db.connect(pg.dsn) as conn:
            db.migrate(conn)
            db.add_box(conn, "box-x")
        auth = Auth(tmp_path / "state")
        (tmp_path / "state").mkdir()
        auth.setup()
        headers = {"Authorization": f"Bearer {auth.token}"}
        app = create_app(pg.dsn, _Unreachable(), auth, run_alerts=False)
        with served(app) as url, httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            assert [b["id"] for b in c.get("/api/v1/boxes").json()["boxes"]] == ["box-x"]
            pg.kill()  # the pooled connection is now dead too
            r = c.get("/api/v1/boxes")
            assert r.status_code == 503
            assert r.json()["detail"] == "the fleet database cannot be reached"
            assert "password" not in r.text and str(pg.port) not in r.text
            pg.start()
            wait_for(lambda: c.get("/api/v1/boxes").status_code == 200, "the API back")
            assert [b["id"] for b in c.get("/api/v1/boxes").json()["boxes"]] == ["box-x"]
        # A database without the schema: a 503 that says what to check.
        empty = create_app(pg.create_database("empty"), _Unreachable(), auth, run_alerts=False)
        with served(empty) as url, httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            r = c.get("/api/v1/boxes")
            assert r.status_code == 503 and "migrated" in r.json()["detail"]
    finally:
        pg.stop()


def test_days_follow_the_local_clock_over_a_daylight_saving_change(
    server: Server, fleet: Fleet
) -> None:
    # Berlin leaves summer time on 25 Oct 2026: that day has 25 hours.
    with fleet.conn() as conn:
        write(
            conn,
            usage=[
                usage("box-c", 101, "2026-10-24T21:30:00", "wan:eth1", 1, 0),  # 24 Oct, 23:30
                usage("box-c", 102, "2026-10-24T22:00:00", "wan:eth1", 10, 0),  # 25 Oct, 00:00
                usage("box-c", 103, "2026-10-25T22:45:00", "wan:eth1", 100, 0),  # 25 Oct, 23:45
                usage("box-c", 104, "2026-10-25T23:00:00", "wan:eth1", 1000, 0),  # 26 Oct, 00:00
            ],
        )
    u = server.get(
        "/boxes/box-c/usage",
        params={
            "tz": "Europe/Berlin",
            "since": "2026-10-24T00:00:00+02:00",
            "until": "2026-10-27T00:00:00+01:00",
        },
    )
    assert [(p["at"], p["rx"]) for p in u["points"]] == [
        ("2026-10-23T22:00:00Z", 1),
        ("2026-10-24T22:00:00Z", 110),
        ("2026-10-25T23:00:00Z", 1000),
    ]
    hours = server.get(
        "/boxes/box-c/usage",
        params={"by": "hour", "since": "2026-10-24T22:00:00Z", "until": "2026-10-25T23:00:00Z"},
    )
    assert len(hours["points"]) == 25 and hours["rx"] == 110


def test_the_publisher_reconnects_after_a_broker_restart(tmp_path: Path) -> None:
    with running_fleet(tmp_path, ["box-z"]) as f:
        box = Client(
            f.broker,
            "box-z",
            f.passwords["box-z"],
            "box-z-commands",
            subscribe=(protocol.topic("box-z", "cmd"),),
        )
        publisher = MqttCommandPublisher(
            f.broker.host,
            f.broker.port,
            username="fleet",
            password=f.passwords["fleet"],
            ca_path=str(f.broker.ca_path),
            client_id="restart-commands",
        )
        publisher.start(wait_s=60)
        try:
            box.wait_subscribed()

            def command(n: int) -> protocol.Command:
                now = dt.datetime.now(UTC)
                return protocol.Command(
                    id=f"restart-test-{n:04d}",
                    action="hotspot.on",
                    ts=now,
                    expires=now + dt.timedelta(minutes=5),
                )

            publisher.publish("box-z", command(1))
            f.broker.stop()
            wait_for(lambda: not publisher.connected, "the publisher to notice")
            with pytest.raises(PublishError, match="not connected"):
                publisher.publish("box-z", command(2))
            f.broker.restart()
            wait_for(lambda: publisher.connected, "the publisher back")
            box.wait_subscribed(2)  # the box's client is back too
            publisher.publish("box-z", command(3))
            wait_for(lambda: len(box.messages("/cmd")) >= 2, "the commands at the box")
            ids = [protocol.decode(protocol.Command, m.payload).id for m in box.messages("/cmd")]
            assert ids == ["restart-test-0001", "restart-test-0003"]
        finally:
            publisher.close()
            box.close()


class _NoPuback:
    """A broker that took the command but did not confirm it in time (the edge, simulated)."""

    def publish(self, box: str, command: protocol.Command) -> None:
        from simspot.fleet.publisher import PublishUnconfirmed

        raise PublishUnconfirmed("the broker did not acknowledge the command within 10 s")


def test_an_unconfirmed_command_stays_pending_until_answered(server: Server, fleet: Fleet) -> None:
    app = create_app(fleet.dsn, _NoPuback(), server.auth, run_alerts=False)
    with served(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        r = c.post(
            "/api/v1/commands",
            json={"action": "hotspot.on", "box": "box-c"},
            headers=server.bearer,
        )
        assert r.status_code == 202, r.text
        (cmd,) = r.json()["commands"]
        assert cmd["state"] == "pending" and cmd["error"] == ""
    # The box got it after all and answers: the answer counts.
    with fleet.conn() as conn:
        write(
            conn,
            results=[protocol.Result(box="box-c", id=cmd["id"], ok=True, ts=dt.datetime.now(UTC))],
        )
    assert server.get(f"/commands/{cmd['id']}")["state"] == "ok"
