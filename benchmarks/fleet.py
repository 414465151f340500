"""Fleet ingest benchmark with the real engines (Mosquitto over TLS, PostgreSQL). Prints one JSON
object.

- ingest_msgs_per_s_1 / _2: usage messages (4 records each, 50 boxes) ingested per second by one
  and by two worker processes (``simspot.fleet.ingest.IngestPool``). The messages are published
  first and wait in the workers' sessions, so the figure is the ingest's own pace (broker
  delivery, decoding, PostgreSQL), not the publishers'; counted from the first row committed to
  the last. Best of ``--rounds`` runs each, one and two workers alternately (the per-round
  ratios are printed too: other load on the shared machine moves single runs a lot).
- scale_ratio: _2 over _1 (the machine's two cores also run the broker and the database).
- e2e_p50_ms / e2e_p95_ms: one usage message published by a box (its PUBACK wait included) until
  its row is visible in PostgreSQL, two workers idle otherwise; polled every 2 ms.
- lost_or_doubled: 20 boxes stream for a while with numbered records (kept until the ingest's
  Ack, sent again after every reconnect and 3 s after a PUBACK without an Ack); meanwhile the
  broker is restarted with the boxes publishing and one worker is SIGKILLed (the pool starts it
  again). Then usage seqs missing from the store plus rows stored twice, plus boxes whose byte
  sums differ from what they counted. The boxes reconnect on their own (1 s, doubling, as the
  box's reporter does), the workers within 0.5 s: Mosquitto 2.0 does not keep shared
  subscriptions over a restart and drops what a box publishes before the workers are back; the
  boxes send it again (docs/FLEET.md). faults_resent: messages sent again for want of an Ack.

Usage: .venv/bin/python benchmarks/fleet.py [--messages 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from tests.fleet.ingest_helpers import (
    BASE_TIME,
    SimBox,
    box_totals,
    running_fleet,
    seq_report,
    store_totals,
    wait_for,
)

from simspot.fleet import db, protocol
from simspot.fleet.ingest import IngestPool

BOXES = [f"bench-{i:02d}" for i in range(50)]


def _count(conn: db.Conn) -> int:
    return int(conn.execute("SELECT count(*) FROM usage").fetchone()[0])


def _payloads(box: str, first_seq: int, n: int, records: int = 4) -> list[bytes]:
    out = []
    seq = first_seq
    for i in range(n):
        recs = []
        for r in range(records):
            recs.append(
                protocol.UsageRecord(
                    seq=seq, bucket=BASE_TIME, scope="client", key=f"02:00:00:00:00:{r:02x}",
                    uplink="8901", rx=1000 + i, tx=10 + r,
                )
            )  # fmt: skip
            seq += 1
        out.append(protocol.encode(protocol.Usage(box=box, records=recs)))
    return out


class Publisher:
    """One box's plain publisher for preloading: QoS 1, waits for every PUBACK."""

    def __init__(self, fleet: object, box: str, password: str) -> None:
        broker = fleet.broker  # type: ignore[attr-defined]
        self.box = box
        self.acked = 0
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{box}-pre", protocol=mqtt.MQTTv5
        )
        self.c.username_pw_set(box, password)
        self.c.tls_set(ca_certs=str(broker.ca_path))
        self.c.max_inflight_messages_set(100)
        self.c.on_connect = lambda *a: self.ready.set()
        self.c.on_publish = self._acked
        self.c.connect(broker.host, broker.port, keepalive=60)
        self.c.loop_start()
        if not self.ready.wait(60):
            raise RuntimeError(f"{box}: no connection")

    def _acked(self, *args: object) -> None:
        with self.lock:
            self.acked += 1

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def warm_up(fleet: object, conn: db.Conn, prefix: str, workers: int) -> None:
    """Probe until every worker of the pool has written a batch (so each is subscribed)."""
    probe = SimBox(fleet.broker, BOXES[0], fleet.passwords[BOXES[0]]).connect()  # type: ignore[attr-defined]

    def all_busy() -> bool:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s "
            "AND state_change > backend_start + interval '50 ms'",
            (prefix + "-%",),
        ).fetchone()
        if row and int(row[0]) >= workers:
            return True
        probe.count([("uplink", "probe", 1, 1)])
        return False

    try:
        wait_for(all_busy, "every worker subscribed", 300)
    finally:
        probe.disconnect()


def ingest_rate(fleet: object, conn: db.Conn, workers: int, messages: int) -> float:
    """Preload ``messages`` into a fresh group's sessions, then time the workers draining it."""
    group = f"bench-{workers}-{secrets.token_hex(4)}"
    settings = fleet.settings(share_group=group)  # type: ignore[attr-defined]
    prefix = f"bench{workers}-{secrets.token_hex(3)}"
    conn.execute("TRUNCATE usage")
    # Make the sessions and their subscriptions, then leave: the broker queues for them.
    pool = IngestPool(settings, workers, prefix)
    pool.start()
    try:
        warm_up(fleet, conn, prefix, workers)
    finally:
        pool.stop()
    conn.execute("TRUNCATE usage")
    per_box = messages // len(BOXES)
    pubs = [Publisher(fleet, b, fleet.passwords[b]) for b in BOXES]  # type: ignore[attr-defined]
    try:
        for p in pubs:
            for payload in _payloads(p.box, 1_000_000, per_box):
                p.c.publish(f"simspot/v1/{p.box}/usage", payload, qos=1)
        wait_for(lambda: all(p.acked >= per_box for p in pubs), "the preload acknowledged", 600)
    finally:
        for p in pubs:
            p.close()
    want = per_box * len(BOXES) * 4
    pool = IngestPool(settings, workers, prefix)
    pool.start()
    try:
        t0 = None
        n0 = 0
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            # client rows only: a late warm-up probe (uplink) does not count
            n = int(conn.execute("SELECT count(*) FROM usage WHERE scope = 'client'").fetchone()[0])
            now = time.monotonic()
            if t0 is None and n > 0:
                t0, n0 = now, n
            if n >= want:
                break
            time.sleep(0.02)
        elapsed = now - (t0 or now)
    finally:
        pool.stop()
    rows_per_message = 4
    return (want - n0) / rows_per_message / elapsed if elapsed > 0 else 0.0


def e2e_latency(fleet: object, conn: db.Conn, samples: int) -> list[float]:
    settings = fleet.settings(share_group=f"bench-e2e-{secrets.token_hex(4)}")  # type: ignore[attr-defined]
    prefix = f"bench-e2e-{secrets.token_hex(3)}"
    pool = IngestPool(settings, 2, prefix)
    pool.start()
    try:
        warm_up(fleet, conn, prefix, 2)
        box = SimBox(fleet.broker, BOXES[1], fleet.passwords[BOXES[1]]).connect()  # type: ignore[attr-defined]
        out = []
        for _ in range(samples):
            t0 = time.monotonic()
            (seq,) = box.count([("uplink", "e2e", 1, 1)])
            while not conn.execute(
                "SELECT 1 FROM usage WHERE box_id = %s AND seq = %s", (box.box_id, seq)
            ).fetchone():
                time.sleep(0.002)
            out.append((time.monotonic() - t0) * 1000)
            time.sleep(0.03)
        box.disconnect()
        return out
    finally:
        pool.stop()


def faults(fleet: object, conn: db.Conn, seconds: float) -> dict[str, object]:
    settings = fleet.settings(share_group=f"bench-faults-{secrets.token_hex(4)}")  # type: ignore[attr-defined]
    conn.execute("TRUNCATE usage")
    prefix = f"bench-faults-{secrets.token_hex(3)}"
    pool = IngestPool(settings, 2, prefix)
    pool.start()
    try:
        warm_up(fleet, conn, prefix, 2)
    except BaseException:
        pool.stop()
        raise
    conn.execute("TRUNCATE usage")
    names = BOXES[:20]
    boxes = [SimBox(fleet.broker, n, fleet.passwords[n]) for n in names]  # type: ignore[attr-defined]
    for b in boxes:
        b.connect()
    # The boxes back off like the box's reporter (1 s, doubling).
    for b in boxes:
        b.client.reconnect_delay_set(1, 30)
    time.sleep(1.0)
    stop = threading.Event()

    def stream() -> None:
        i = 0
        while not stop.is_set():
            for b in boxes:
                b.count([("uplink", "8931", 1000 + i, 10 + i % 7)])
                b.tick(20)
            i += 1
            time.sleep(0.02)

    t = threading.Thread(target=stream)
    t.start()
    events = []
    try:
        time.sleep(seconds / 3)
        victim = next(iter(pool.pids().values()))
        os.kill(victim, signal.SIGKILL)
        events.append("worker SIGKILL")
        time.sleep(seconds / 3)
        fleet.broker.restart()  # type: ignore[attr-defined]
        events.append("broker restart")
        time.sleep(seconds / 3)
    finally:
        stop.set()
        t.join()
    try:
        wait_for(lambda: all(b.drained() for b in boxes), "the boxes' outboxes empty", 300)
        want = sum(b.seq["usage"] for b in boxes)
        end = time.monotonic() + 60
        while _count(conn) < want and time.monotonic() < end:
            time.sleep(0.2)
        missing, doubled = seq_report(conn, boxes)
        stored, counted = store_totals(conn), box_totals(boxes)
        wrong = sum(1 for b in counted if stored.get(b) != counted[b])
        return {
            "lost_or_doubled": missing + doubled,
            "faults_missing_seqs": missing,
            "faults_doubled_rows": doubled,
            "faults_boxes_with_wrong_sums": wrong,
            "faults_records": want,
            "faults_events": events,
            "faults_worker_restarts": pool.restarts,
            "faults_resent": sum(b.resent for b in boxes),
        }
    finally:
        for b in boxes:
            b.disconnect()
        pool.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--fault-seconds", type=float, default=15.0)
    args = ap.parse_args()
    os.environ.setdefault("SIMSPOT_LOG_LEVEL", "WARNING")
    result: dict[str, object] = {"messages": args.messages, "records_per_message": 4}
    with tempfile.TemporaryDirectory(prefix="simspot-fleet-bench-") as tmp:
        with running_fleet(Path(tmp), BOXES) as fleet, fleet.conn() as conn:
            # Alternately (1, 2, 1, 2, ...): other load on the machine hits both alike.
            r1: list[float] = []
            r2: list[float] = []
            for _ in range(args.rounds):
                r1.append(ingest_rate(fleet, conn, 1, args.messages))
                r2.append(ingest_rate(fleet, conn, 2, args.messages))
            result["ingest_msgs_per_s_1"] = round(max(r1))
            result["ingest_msgs_per_s_2"] = round(max(r2))
            result["ingest_runs_1"] = [round(x) for x in r1]
            result["ingest_runs_2"] = [round(x) for x in r2]
            result["scale_ratio"] = round(max(r2) / max(r1), 2) if max(r1) else None
            result["scale_ratio_per_round"] = [
                round(b / a, 2) if a else None for a, b in zip(r1, r2, strict=True)
            ]
            lat = e2e_latency(fleet, conn, args.samples)
            result["e2e_p50_ms"] = round(statistics.median(lat), 1)
            result["e2e_p95_ms"] = round(statistics.quantiles(lat, n=20)[-1], 1)
            result.update(faults(fleet, conn, args.fault_seconds))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
