"""Ingest under faults: the broker restarted mid-stream, a worker process killed (SIGKILL) in the
middle of a batch, and the store's own rules (status order, command results, migrations and
partitions under concurrency)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from pathlib import Path

import pytest

from simspot.fleet import db, protocol, schema
from simspot.fleet.ingest import IngestPool
from tests.fleet.ingest_helpers import (
    SimBox,
    box_totals,
    running_fleet,
    seq_report,
    store_totals,
    wait_for,
)
from tests.fleet.pg import start_postgres

pytestmark = pytest.mark.slow


def _usage_rows(conn: db.Conn) -> int:
    return int(conn.execute("SELECT count(*) FROM usage").fetchone()[0])


def _complete(conn: db.Conn, boxes: list[SimBox]) -> bool:
    drained = [b.drained() for b in boxes]  # each: sends again what waits too long for an Ack
    return all(drained) and _usage_rows(conn) >= sum(b.seq["usage"] for b in boxes)


def test_broker_restarted_mid_stream_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """The broker restarts twice while the boxes stream. First boxes and workers race back on
    their own; then the workers are away and come back only after the boxes have published to
    the restarted broker, which PUBACKs those messages and drops them (Mosquitto 2.0 does not
    restore shared subscriptions, docs/FLEET.md). The boxes keep every row until the ingest's
    ``Ack`` and send again what was not acknowledged: nothing lost, nothing doubled."""
    names = [f"bus-{i}" for i in range(10)]
    ids = ["ingest-test-1", "ingest-test-2"]
    with running_fleet(tmp_path, names) as fleet, fleet.conn() as conn:
        workers = [fleet.start_worker(i) for i in ids]
        boxes = [fleet.box(n).connect() for n in names]
        for b in boxes:  # back as fast as the workers: a real race
            b.client.reconnect_delay_set(min_delay=0.25, max_delay=0.5)  # type: ignore[arg-type]
        stop = threading.Event()

        def stream() -> None:
            i = 0
            while not stop.is_set():
                for b in boxes:
                    b.count([("uplink", "8931", 1000 + i, 10 + i % 7)])
                    b.tick(20)
                i += 1
                stop.wait(0.05)

        def flowing(more: int = 100) -> None:
            rows = _usage_rows(conn)
            wait_for(lambda: _usage_rows(conn) >= rows + more, "records flowing into the store")

        def boxes_back(before: list[int]) -> None:
            wait_for(
                lambda: all(
                    b.connections > n and b.connected.is_set()
                    for b, n in zip(boxes, before, strict=True)
                ),
                "every box back on the broker",
            )

        feeder = threading.Thread(target=stream)
        feeder.start()
        try:
            flowing()
            # 1: boxes and workers come back on their own, at about the same time.
            before_w = [w.worker.connections for w in workers]
            before_b = [b.connections for b in boxes]
            fleet.broker.restart()
            wait_for(
                lambda: all(
                    w.worker.connections > n and w.worker.subscribed
                    for w, n in zip(workers, before_w, strict=True)
                ),
                "both workers back on the broker",
            )
            boxes_back(before_b)
            flowing()
            # 2: the workers are away; the boxes are back first and publish into the void.
            for w in workers:
                w.stop()
            before_b = [b.connections for b in boxes]
            fleet.broker.restart()
            boxes_back(before_b)
            counted = [b.seq["usage"] for b in boxes]
            wait_for(
                lambda: all(b.taken_after(n) for b, n in zip(boxes, counted, strict=True)),
                "every box's new messages PUBACKed by the restarted broker",
            )
            workers = [fleet.start_worker(i) for i in ids]
            flowing()
        finally:
            stop.set()
            feeder.join()
        try:
            wait_for(lambda: _complete(conn, boxes), "every record after the restarts", 180)
        except AssertionError as exc:
            state = [
                (b.box_id, len(b.outbox), len(b.taken), b.acks, b.resent, b.connected.is_set())
                for b in boxes
            ]
            raise AssertionError(
                f"{exc}; store {_usage_rows(conn)} of {sum(b.seq['usage'] for b in boxes)}, "
                f"missing/doubled {seq_report(conn, boxes)}, (box, outbox, taken, acks, resent, "
                f"connected): {state}"
            ) from None
        assert store_totals(conn) == box_totals(boxes)
        assert seq_report(conn, boxes) == (0, 0)
        # What the broker dropped came back because the boxes sent it again, unacknowledged.
        assert sum(b.resent for b in boxes) > 0
        for b in boxes:
            b.disconnect()


def test_worker_killed_mid_batch_loses_nothing(tmp_path: Path) -> None:
    names = ["kiosk-1", "kiosk-2", "kiosk-3"]
    with running_fleet(tmp_path, names) as fleet, fleet.conn() as conn:
        pool = IngestPool(fleet.settings(), 2, prefix="ingest-kill")
        pool.start()
        try:
            boxes = [fleet.box(n).connect() for n in names]
            # The workers' first subscriptions are made once they are up: wait for them.

            def statuses_in() -> bool:
                if conn.execute("SELECT bool_and(online) FROM box").fetchone()[0]:
                    return True
                for b in boxes:
                    b.send_status()
                return False

            wait_for(statuses_in, "the workers subscribed (the boxes' statuses in PostgreSQL)")
            for b in boxes:
                b.count([("uplink", "8944", 1, 1)])
            wait_for(lambda: _complete(conn, boxes), "the first records")
            # Hold the box table so every batch stops half written: usage rows inserted, the
            # box's last_seen update waiting, nothing committed.
            with db.connect(fleet.dsn, autocommit=False) as holder:
                holder.execute("LOCK TABLE box IN EXCLUSIVE MODE")
                for i in range(40):
                    for b in boxes:
                        b.count([("uplink", "8944", 100 + i, 5 + i), ("client", "aa", 3, 4)])
                waiting = wait_for(
                    lambda: conn.execute(
                        "SELECT application_name FROM pg_stat_activity "
                        "WHERE application_name LIKE 'ingest-kill-%' AND wait_event_type = 'Lock'"
                    ).fetchall(),
                    "a worker blocked in the middle of its batch",
                )
                victim = str(waiting[0][0])
                os.kill(pool.pids()[victim], signal.SIGKILL)
                assert _usage_rows(conn) == 3  # nothing of the blocked batches is visible
                holder.rollback()
            wait_for(lambda: pool.restarts >= 1, "the pool to start the killed worker again")
            wait_for(lambda: _complete(conn, boxes), "every record after the kill", 180)
            assert store_totals(conn) == box_totals(boxes)
            assert store_totals(conn, "client") == box_totals(boxes, "client")
            assert seq_report(conn, boxes) == (0, 0)
            for b in boxes:
                b.disconnect()
        finally:
            pool.stop()
        assert all(p.poll() is not None for p in pool.processes.values())


def test_status_will_and_out_of_order(tmp_path: Path) -> None:
    with running_fleet(tmp_path, ["car-1"]) as fleet, fleet.conn() as conn:
        fleet.start_worker("ingest-test-1")
        box = fleet.box("car-1").connect()
        box.tick(300)
        box.send_status(online=True, signal=71, battery=80, clients=3)

        def row() -> tuple[bool, dict[str, object], dt.datetime]:
            r = conn.execute("SELECT online, status, status_at FROM box").fetchone()
            return bool(r[0]), r[1] or {}, r[2]

        wait_for(lambda: row()[1].get("signal") == 71, "the box's status")
        assert row()[0] is True
        # The last will: offline, timed when the connection began (older than the status).
        will = protocol.Status(box="car-1", online=False, ts=box.now - dt.timedelta(seconds=300))
        box.send_raw("simspot/v1/car-1/status", protocol.encode(will))
        wait_for(lambda: row()[0] is False, "the box offline after its will")
        assert row()[1]["signal"] == 71  # the last known details stay
        # A late online status older than the newest one changes nothing.
        late = protocol.Status(box="car-1", online=True, ts=box.now - dt.timedelta(seconds=60))
        box.send_raw("simspot/v1/car-1/status", protocol.encode(late))
        box.tick(60)
        box.send_status(online=True, signal=40)
        wait_for(lambda: row()[1].get("signal") == 40, "the newer status")
        assert row()[0] is True and row()[2] == box.now
        box.disconnect()


def test_results_answer_their_own_boxs_commands_once(tmp_path: Path) -> None:
    with running_fleet(tmp_path, ["box-a", "box-b"]) as fleet, fleet.conn() as conn:
        worker = fleet.start_worker("ingest-test-1")
        for cid, box in (("cmd-0000-a", "box-a"), ("cmd-0000-b", "box-b"), ("cmd-0000-c", "box-a")):
            conn.execute(
                "INSERT INTO command (id, box_id, action, args) VALUES (%s, %s, 'uplink.use', "
                '\'{"uplink": "wan:eth0"}\')',
                (cid, box),
            )
        a, b = fleet.box("box-a").connect(), fleet.box("box-b").connect()
        t = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
        # box-b answering box-a's command is not an answer.
        b.send_raw(
            "simspot/v1/box-b/result",
            protocol.encode(protocol.Result(box="box-b", id="cmd-0000-a", ok=True, ts=t)),
        )
        ok = protocol.Result(box="box-a", id="cmd-0000-a", ok=True, ts=t, result={"uplink": "x"})
        a.send_raw("simspot/v1/box-a/result", protocol.encode(ok))
        wait_for(
            lambda: conn.execute(
                "SELECT ok FROM command WHERE id = 'cmd-0000-a' AND answered_at IS NOT NULL"
            ).fetchone(),
            "box-a's answer",
        )
        # A second answer (redelivered, or different) does not replace the first.
        again = protocol.Result(box="box-a", id="cmd-0000-a", ok=False, ts=t, error="late")
        a.send_raw("simspot/v1/box-a/result", protocol.encode(again))
        a.send_raw("simspot/v1/box-a/result", protocol.encode(again))
        # A refusal keeps its message id, so the fleet can show it in any language.
        no = protocol.Result(
            box="box-a", id="cmd-0000-c", ok=False, ts=t, error="not allowed here",
            error_id="fleet.command.not-allowed", seq=1,
        )  # fmt: skip
        a.send_raw("simspot/v1/box-a/result", protocol.encode(no))
        wait_for(lambda: worker.worker.stats.messages >= 5, "the other answers")
        rows = conn.execute(
            "SELECT id, ok, result, error, answered_at, error_id FROM command ORDER BY id"
        ).fetchall()
        assert rows[0][:4] == ("cmd-0000-a", True, {"uplink": "x"}, "")
        assert rows[0][4] == t and rows[0][5] == ""
        assert rows[1][1:] == (None, None, "", None, "")  # box-b's command: still open
        assert rows[2][1:] == (False, {}, "not allowed here", t, "fleet.command.not-allowed")
        # Committed: the result's seq is acknowledged to box-a (and only to box-a).
        wait_for(lambda: a.acks >= 1, "box-a's ack for its result")
        assert b.acks == 0
        a.disconnect()
        b.disconnect()


def test_migrations_and_partitions_under_concurrency(tmp_path: Path) -> None:
    pg = start_postgres(tmp_path)
    try:
        results: list[list[int]] = []
        errors: list[BaseException] = []

        def migrate() -> None:
            try:
                with db.connect(pg.dsn) as c:
                    results.append(db.migrate(c))
                    db.ensure_usage_partitions(
                        c, [dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
                    )
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=migrate) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        assert sorted(results) == [[], [], [], list(range(1, len(schema.MIGRATIONS) + 1))]
        with db.connect(pg.dsn) as c:
            assert db.schema_version(c) == len(schema.MIGRATIONS)
            assert db.migrate(c) == []
            assert db.usage_partitions(c) == ["usage_202611", "usage_202612", "usage_202701"]
            # A bucket lands in its month (UTC): the last instant of December goes to 202612.
            db.add_box(c, "box-1")
            batch = db.Batch()
            for seq, bucket in enumerate(
                [
                    dt.datetime(2026, 12, 31, 23, 45, tzinfo=dt.UTC),
                    dt.datetime(2027, 1, 1, 0, 0, tzinfo=dt.UTC),
                ],
                start=1,
            ):
                batch.add(
                    "box-1",
                    protocol.Usage(
                        box="box-1",
                        records=[
                            protocol.UsageRecord(
                                seq=seq, bucket=bucket, scope="uplink", key="k", rx=1, tx=2
                            )
                        ],
                    ),
                )
            assert db.write_batch(c, batch).usage == 2
            assert db.write_batch(c, batch).usage == 0  # idempotent
            counts = dict(
                c.execute("SELECT tableoid::regclass::text, count(*) FROM usage GROUP BY 1")
            )
            assert counts == {"usage_202612": 1, "usage_202701": 1}
            # A database newer than this simspot is refused, not written to.
            with pytest.raises(db.DatabaseError, match="newer than this simspot"):
                db.migrate(c, schema.MIGRATIONS[:-1])
            # A box id that is not one is refused before the database sees it.
            with pytest.raises(ValueError, match="box id"):
                db.add_box(c, "Bad Box")
            with pytest.raises(ValueError, match="already exists"):
                db.add_box(c, "box-1")
    finally:
        pg.stop()


def test_postgres_killed_mid_stream_the_workers_wait_and_lose_nothing(tmp_path: Path) -> None:
    with running_fleet(tmp_path, ["tram-1", "tram-2"]) as fleet:
        workers = [fleet.start_worker("ingest-test-1"), fleet.start_worker("ingest-test-2")]
        boxes = [fleet.box("tram-1").connect(), fleet.box("tram-2").connect()]
        for i in range(20):
            for b in boxes:
                b.count([("uplink", "8960", 100 + i, 1 + i)])
        fleet.pg.kill()  # a crash: the workers' batches fail, nothing is acknowledged
        for i in range(30):
            for b in boxes:
                b.count([("uplink", "8960", 5000 + i, 50 + i)])
                b.tick(30)
        # The broker took them (PUBACK to the boxes); the workers hold them unacknowledged, and
        # the boxes keep them: no Ack comes before a commit.
        wait_for(lambda: all(b.at_broker() for b in boxes), "the boxes' messages at the broker")
        assert not any(b.drained() for b in boxes)
        assert all(w.thread.is_alive() for w in workers)
        fleet.pg.start()
        with fleet.conn() as conn:
            wait_for(lambda: _complete(conn, boxes), "every record after the database came back")
            assert store_totals(conn) == box_totals(boxes)
            assert seq_report(conn, boxes) == (0, 0)
        for b in boxes:
            b.disconnect()
