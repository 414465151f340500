"""Usage history series, client names kept after they leave, and QR scanning, on the demo daemon."""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import segno

from tests.helpers import RunningDemo, start_demo, stop_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    # Simulated time runs fast enough for clients to come and go within a minute.
    d = start_demo(tmp_path_factory.mktemp("history") / "state", "--speed", "30", "--clients", "4")
    yield d
    stop_demo(d)


def get(demo: RunningDemo, path: str, **params: Any) -> Any:
    with demo.client() as c:
        r = c.get("/api/v1" + path, params=params)
        assert r.status_code == 200, r.text
        return r.json()


def wait_for(fn: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := fn():
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def cycle_usage(demo: RunningDemo) -> dict[str, int]:
    return {r["key"]: r["total_bytes"] for r in get(demo, "/usage", by="client")["rows"]}


def test_daily_history_adds_up_to_the_cycle_usage(demo: RunningDemo) -> None:
    wait_for(lambda: sum(cycle_usage(demo).values()) > 0)
    before = cycle_usage(demo)
    h = get(demo, "/usage/history", step="day")
    after = cycle_usage(demo)
    start, end = (
        dt.datetime.fromisoformat(h["cycle_start"]),
        dt.datetime.fromisoformat(h["cycle_end"]),
    )
    assert h["points"], "a cycle has at least today"
    days = [
        (dt.datetime.fromisoformat(p["start"]), dt.datetime.fromisoformat(p["end"]))
        for p in h["points"]
    ]
    assert days[0][0] == start and all(a < b <= end for a, b in days)
    assert all(days[i][1] == days[i + 1][0] for i in range(len(days) - 1))  # no gaps, no overlaps
    for p in h["points"]:
        assert p["total_bytes"] == sum(p["values"]) and len(p["values"]) == len(h["series"])
    keys = [s["key"] for s in h["series"]]
    assert len(keys) <= 7 and (len(keys) < 7 or keys[-1] == "other")
    for i, key in enumerate(keys):
        if key == "other":
            continue
        total = sum(p["values"][i] for p in h["points"])
        # Traffic goes on between the calls: the history lies between the two readings.
        assert before.get(key, 0) <= total <= after[key], key


def test_hourly_history_and_one_clients_own(demo: RunningDemo) -> None:
    h = get(demo, "/usage/history", step="hour")
    hours = [dt.datetime.fromisoformat(p["start"]) for p in h["points"]]
    now = dt.datetime.fromisoformat(h["now"])
    assert hours and hours[-1] <= now < hours[-1] + dt.timedelta(hours=1)
    assert all(b - a == dt.timedelta(hours=1) for a, b in itertools.pairwise(hours))

    mac = max(cycle_usage(demo).items(), key=lambda kv: kv[1])[0]
    before = cycle_usage(demo)[mac]
    own = get(demo, "/usage/history", step="day", mac=mac.upper())
    after = cycle_usage(demo)[mac]
    assert own["mac"] == mac and [s["key"] for s in own["series"]] == ["rx", "tx"]
    assert before <= sum(p["total_bytes"] for p in own["points"]) <= after

    with demo.client() as c:
        r = c.get("/api/v1/usage/history", params={"mac": "not-a-mac"})
    assert r.status_code == 422 and r.json()["field"] == "mac"


def test_plan_history_has_allowance_and_forecast_to_the_cycle_end(demo: RunningDemo) -> None:
    plan = next(p for p in get(demo, "/plans")["plans"] if p["allowance_bytes"])
    h = get(demo, f"/plans/{plan['id']}/history")
    assert h["allowance_bytes"] == plan["allowance_bytes"] and h["name"] == plan["plan"]["name"]
    cum = [d["cumulative_bytes"] for d in h["days"]]
    assert cum == sorted(cum), "use in a cycle only grows"
    # The last day's running total is the plan's use (corrections included) at that moment.
    assert abs(cum[-1] - h["used_bytes"]) <= max(1, h["used_bytes"] // 100)
    first, last = h["forecast"]
    assert first["bytes"] == h["used_bytes"] and last["at"] == h["cycle_end"]
    assert last["bytes"] >= first["bytes"]
    assert h["message"]["id"].startswith("forecast.") and h["message"]["text"]
    shown = get(demo, f"/plans/{plan['id']}")
    assert shown["forecast"]["message"]["id"].startswith("forecast.")
    assert shown["forecast"]["message"]["text"] == shown["forecast"]["explanation"]


def test_names_stay_for_clients_that_left(
    tmp_path: Path,
) -> None:
    d = start_demo(tmp_path / "state", "--speed", "60", "--clients", "3")
    try:
        named: dict[str, str] = {}

        def left_with_name() -> str | None:
            for c in get(d, "/hotspot/clients"):
                if c["hostname"]:
                    named[c["mac"]] = c["hostname"]
            live = {c["mac"] for c in get(d, "/hotspot/clients")}
            gone = [m for m in named if m not in live]
            return gone[0] if gone else None

        mac = wait_for(left_with_name, timeout=120)
        wait_for(lambda: get(d, "/usage/names")["names"].get(mac) == named[mac])
        rows = {r["key"]: r for r in get(d, "/usage", by="client")["rows"]}
        if mac in rows:  # it used data: the table names it, not "-"
            assert rows[mac]["label"] == named[mac]
    finally:
        stop_demo(d)
    # Kept in the state database, for the next start of the daemon (the demo starts afresh).
    with sqlite3.connect(tmp_path / "state" / "simspot.db") as db:
        kept = dict(db.execute("SELECT mac, hostname FROM client_name").fetchall())
    assert kept[mac] == named[mac]


def qr_png(text: str) -> bytes:
    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="png", scale=6, border=4)
    return buf.getvalue()


def test_scan_reads_an_activation_code_from_a_picture(demo: RunningDemo) -> None:
    code = "LPA:1$smdp.example.com$ABC-123$$1"
    with demo.client() as c:
        r = c.post("/api/v1/esim/scan", json={"image": base64.b64encode(qr_png(code)).decode()})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["activation_code"] == "LPA:1$smdp.example.com$ABC-123$$1"
        assert body["confirmation_code_required"] is True
        assert body["message"]["id"] == "esim.scan.needs-code"
        r = c.post("/api/v1/esim/scan", json={"image": base64.b64encode(qr_png("hello")).decode()})
        assert r.status_code == 422 and r.json()["message"]["id"] == "esim.scan.not-activation"
        blank = b"P5\n64 64\n255\n" + b"\xff" * 64 * 64
        r = c.post("/api/v1/esim/scan", json={"image": base64.b64encode(blank).decode()})
        assert r.status_code == 422 and r.json()["message"]["id"] == "esim.scan.no-qr"
        r = c.post("/api/v1/esim/scan", json={"image": "***"})
        assert r.status_code == 422 and r.json()["field"] == "image"
    # The catalogue is served for the web UI, with a Chinese text for every sentence.
    with demo.client() as c:
        cat = c.get("/api/v1/messages").json()
    assert cat["messages"]["esim.scan.no-qr"]["zh"] == "图片中没有找到二维码。"


def test_refusals_carry_their_sentence_by_id(demo: RunningDemo) -> None:
    plan = get(demo, "/plans")["plans"][0]
    with demo.client() as c:
        r = c.post(f"/api/v1/plans/{plan['id']}/usage", json={"used_bytes": "lots"})
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "used_bytes"
    assert body["message"]["id"] == "error.size.not-a-size"
    assert body["message"]["params"] == {"field": "used_bytes", "value": "'lots'"}
    assert body["message"]["text"] == body["detail"]


def test_malformed_pictures_are_refused_not_crashed_on(demo: RunningDemo) -> None:
    bad = [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x02IHDRab\x00\x00\x00\x00",  # a header chunk cut short
        b"P5\n0 0\n255\n",  # no pixels at all
        b"GIF89a",
    ]
    with demo.client() as c:
        for data in bad:
            r = c.post("/api/v1/esim/scan", json={"image": base64.b64encode(data).decode()})
            assert r.status_code == 422, (data, r.text)
            assert r.json()["field"] == "image" and r.json()["message"]["id"].startswith(
                "esim.scan."
            )
