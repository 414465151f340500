"""Ingest with the real engines: Mosquitto (TLS, passwords, the fleet ACL) and PostgreSQL.

PostgreSQL's sums are compared with what the simulated boxes counted, exactly; every usage seq
a box numbered is in the store once.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from simspot.fleet import db, protocol
from tests.fleet.ingest_helpers import (
    SimBox,
    box_totals,
    running_fleet,
    seq_report,
    store_totals,
    wait_for,
)

pytestmark = pytest.mark.slow

BOXES = [f"box-{i:02d}" for i in range(50)]


def _all_in(conn: db.Conn, boxes: list[SimBox]) -> bool:
    want = sum(b.seq["usage"] for b in boxes)
    row = conn.execute("SELECT count(*) FROM usage").fetchone()
    return bool(row) and int(row[0]) >= want and all(b.drained() for b in boxes)


def test_fifty_boxes_two_workers_count_every_byte_once(tmp_path: Path) -> None:
    with running_fleet(tmp_path, BOXES) as fleet, fleet.conn() as conn:
        w1 = fleet.start_worker("ingest-test-1")
        w2 = fleet.start_worker("ingest-test-2")
        boxes = [fleet.box(b).connect() for b in BOXES]
        for i, box in enumerate(boxes):
            box.send_plans(
                [protocol.PlanState(iccid=f"8900{i:04d}", name="prepaid", allowance=10**9)]
            )
            box.event("uplink.switched", "event.uplink_switched", to="wan:eth0")
            box.decision("wan:eth0", previous=f"8900{i:04d}")
        for minute in range(30):
            for i, box in enumerate(boxes):
                box.count(
                    [
                        ("uplink", f"8900{i:04d}", 1000 * minute + i, 7 * minute + i),
                        ("client", "02:00:00:00:00:01", 400 * minute, 3 * minute),
                    ]
                )
                box.tick(60)
        wait_for(lambda: _all_in(conn, boxes), "every usage record in PostgreSQL")

        assert store_totals(conn) == box_totals(boxes)
        assert store_totals(conn, "client") == box_totals(boxes, "client")
        assert seq_report(conn, boxes) == (0, 0)
        # Both workers took part (the broker splits the shared subscription).
        assert w1.worker.stats.messages > 0 and w2.worker.stats.messages > 0
        assert w1.worker.stats.refused == w2.worker.stats.refused == 0

        wait_for(
            lambda: conn.execute("SELECT count(*) FROM box WHERE online").fetchone()[0] == 50,
            "every box online",
        )
        rows = conn.execute("SELECT count(*), count(last_seen), count(status) FROM box").fetchone()
        assert rows == (50, 50, 50)
        wait_for(
            lambda: conn.execute("SELECT count(*) FROM plan_state").fetchone()[0] == 50,
            "every box's plan",
        )
        plan = conn.execute("SELECT body FROM plan_state WHERE box_id = 'box-07'").fetchone()[0]
        assert plan["iccid"] == "89000007" and plan["allowance"] == 10**9
        assert conn.execute("SELECT count(*) FROM event").fetchone()[0] == 50
        assert conn.execute("SELECT count(*) FROM uplink_decision").fetchone()[0] == 50
        assert db.usage_partitions(conn) == ["usage_202611"]
        for box in boxes:
            box.disconnect()


def test_box_offline_for_an_hour_comes_back_with_nothing_lost_or_doubled(tmp_path: Path) -> None:
    with running_fleet(tmp_path, ["van-1", "van-2"]) as fleet, fleet.conn() as conn:
        fleet.start_worker("ingest-test-1")
        van, other = fleet.box("van-1").connect(), fleet.box("van-2").connect()
        van.count([("uplink", "8901", 5000, 600)])
        wait_for(lambda: _all_in(conn, [van]), "the first record")
        van.disconnect()  # out of coverage: counting goes on into the outbox
        for _ in range(60):
            van.tick(60)
            van.count([("uplink", "8901", 12_345, 678), ("guest", "pass-1", 1000, 10)])
            other.count([("uplink", "8902", 1, 1)])
            other.tick(60)
        assert len(van.outbox) == 60
        van.connect()  # back: sends the whole outbox
        # Half of it arrives twice, as when the PUBACKs were lost in the outage.
        van.resend_all([m for m in van.sent if m[0] == "usage"][1:31])
        wait_for(lambda: _all_in(conn, [van, other]), "the hour's records")

        assert store_totals(conn) == box_totals([van, other])
        assert store_totals(conn, "guest") == box_totals([van], "guest")
        assert seq_report(conn, [van, other]) == (0, 0)
        buckets = conn.execute(
            "SELECT count(DISTINCT bucket) FROM usage WHERE box_id = 'van-1'"
        ).fetchone()[0]
        assert buckets == 5  # 22:00 .. 23:00 in 15-minute buckets
        van.disconnect()
        other.disconnect()


def test_duplicates_change_nothing(tmp_path: Path) -> None:
    with running_fleet(tmp_path, ["shop-1"]) as fleet, fleet.conn() as conn:
        worker = fleet.start_worker("ingest-test-1")
        box = fleet.box("shop-1").connect()
        for i in range(10):
            box.count([("uplink", "wan:eth0", 100 + i, 10 + i)])
            box.event("plan.low", "event.plan_low", left=i)
        wait_for(lambda: _all_in(conn, [box]), "the records")
        for _ in range(3):
            box.resend_all(box.sent)
        wait_for(lambda: worker.worker.stats.duplicates >= 30, "the duplicates handled")
        assert store_totals(conn) == box_totals([box]) == {"shop-1": {"wan:eth0": (1045, 145)}}
        assert seq_report(conn, [box]) == (0, 0)
        assert conn.execute("SELECT count(*) FROM event").fetchone()[0] == 10
        box.disconnect()


def test_bad_messages_are_refused_logged_once_and_the_worker_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="simspot.fleet.ingest")
    # "ghost" has broker credentials but is not a box of the fleet's database.
    with running_fleet(tmp_path, ["box-a", "box-b", "ghost"]) as fleet, fleet.conn() as conn:
        conn.execute("DELETE FROM box WHERE id = 'ghost'")
        worker = fleet.start_worker("ingest-test-1")
        a, ghost = fleet.box("box-a").connect(), fleet.box("ghost").connect()
        good = protocol.Usage(
            box="box-a",
            records=[
                protocol.UsageRecord(
                    seq=1, bucket=dt.datetime(2026, 11, 30, tzinfo=dt.UTC), scope="uplink",
                    key="8901", rx=10, tx=1,
                )
            ],
        )  # fmt: skip
        claims_b = protocol.encode(good).replace(b'"box":"box-a"', b'"box":"box-b"')
        bad = {
            "not json": b"{not json",
            "unknown field": protocol.encode(good).replace(b'"tx":1', b'"tx":1,"extra":2'),
            "negative": protocol.encode(good).replace(b'"rx":10', b'"rx":-10'),
            "claims box-b": claims_b,
            "too large": protocol.encode(good).replace(b'"rx":10', b'"rx":' + b"9" * 30),
            "box clock": protocol.encode(good).replace(b"2026-11-30", b"1970-01-01"),
            "nul in key": protocol.encode(good).replace(b'"8901"', b'"89\\u000001"'),
        }
        for _ in range(3):  # the same faults again: logged once each
            for payload in bad.values():
                a.send_raw("simspot/v1/box-a/usage", payload)
            ghost.send_raw(
                "simspot/v1/ghost/usage", protocol.encode(good).replace(b"box-a", b"ghost")
            )
        a.send_raw("simspot/v1/box-a/usage", protocol.encode(good))
        wait_for(
            lambda: conn.execute("SELECT count(*) FROM usage").fetchone()[0] == 1,
            "the good message",
        )
        wait_for(lambda: worker.worker.stats.refused >= 3 * (len(bad) + 1), "the refusals")
        assert store_totals(conn) == {"box-a": {"8901": (10, 1)}}
        refusals = [r.getMessage() for r in caplog.records if "refused a message" in r.getMessage()]
        assert len(refusals) == len(bad) + 1, refusals
        text = "\n".join(refusals)
        assert "not JSON" in text and "claims to be from box 'box-b'" in text
        assert "ghost" in text and "not a box of this fleet" in text
        assert "box clock" in text and "too large" in text
        assert "extra" in text  # the unknown field is named
        assert "database refused" in text  # the NUL byte: PostgreSQL text cannot hold it
        assert worker.thread.is_alive()
        a.disconnect()
        ghost.disconnect()
