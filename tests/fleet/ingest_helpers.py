"""Ingest test helpers: a fleet (PostgreSQL + Mosquitto + migrated schema + registered boxes),
in-process ingest workers, and ``SimBox``, a box that publishes the contract's messages the way
a box must (numbered once, QoS 1, kept until the fleet's ``Ack`` covers it, sent again after a
reconnect and when PUBACKed but not acknowledged for ``resend_after_s``) and counts what it sent, so a test can compare PostgreSQL's sums with the boxes' own counts.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from simspot.fleet import db, protocol
from simspot.fleet.ingest import BrokerSettings, IngestSettings, IngestWorker
from tests.fleet.broker import Broker, start_broker
from tests.fleet.pg import Postgres, start_postgres

SERVER_USER = "fleet"
DEADLINE_S = 120.0


def wait_for(check: Callable[[], Any], what: str, deadline_s: float = DEADLINE_S) -> Any:
    """Poll ``check`` until it returns something true; an AssertionError naming ``what``."""
    end = time.monotonic() + deadline_s
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@dataclass
class Fleet:
    pg: Postgres
    broker: Broker
    passwords: dict[str, str]
    tmp: Path
    workers: list[WorkerThread] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return self.pg.dsn

    def settings(self, **kw: Any) -> IngestSettings:
        return IngestSettings(
            dsn=self.pg.dsn,
            broker=BrokerSettings(
                host=self.broker.host,
                port=self.broker.port,
                tls=True,
                username=SERVER_USER,
                password=self.passwords[SERVER_USER],
                ca_path=str(self.broker.ca_path),
            ),
            **kw,
        )

    def conn(self) -> db.Conn:
        return db.connect(self.pg.dsn)

    def start_worker(self, client_id: str, **kw: Any) -> WorkerThread:
        w = WorkerThread(IngestWorker(self.settings(**kw), client_id))
        w.start()
        self.workers.append(w)
        return w

    def box(self, box_id: str, **kw: Any) -> SimBox:
        return SimBox(self.broker, box_id, self.passwords[box_id], **kw)


class WorkerThread:
    """An ingest worker in a thread of the test process (the pool's processes run the same)."""

    def __init__(self, worker: IngestWorker) -> None:
        self.worker = worker
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(
            target=worker.run, args=(self.stop_event, self.ready.set), daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(DEADLINE_S):
            raise AssertionError(f"ingest worker {self.worker.client_id} did not connect")

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(DEADLINE_S)


def new_password() -> str:
    return secrets.token_urlsafe(18)


@contextmanager
def running_fleet(tmp: Path, boxes: list[str], *, plain: bool = False) -> Iterator[Fleet]:
    """PostgreSQL (migrated, ``boxes`` registered) and Mosquitto with a user per box."""
    passwords = {SERVER_USER: new_password(), **{b: new_password() for b in boxes}}
    pg = start_postgres(tmp)
    broker: Broker | None = None
    fleet: Fleet | None = None
    try:
        with db.connect(pg.dsn) as conn:
            db.migrate(conn)
            for b in boxes:
                db.add_box(conn, b)
        broker = start_broker(tmp, passwords, SERVER_USER, plain=plain)
        fleet = Fleet(pg, broker, passwords, tmp)
        yield fleet
    finally:
        if fleet is not None:
            for w in fleet.workers:
                w.stop()
        if broker is not None:
            broker.stop()
        pg.stop()


BASE_TIME = dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC)


def bucket_of(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0)


class SimBox:
    """A box's reporting, reduced to what the fleet's ingest sees, with a fake clock.

    Every record gets its seq when it is counted (``count``); the message holding it stays in the
    outbox until the fleet's ``Ack`` covers all its seqs, and is sent again after every reconnect
    and (``poll``, which ``drained`` calls) when the broker took it ``resend_after_s`` ago. ``counted``
    is what the box counted: (scope, key) -> [rx, tx].
    """

    def __init__(
        self,
        broker: Broker,
        box_id: str,
        password: str,
        *,
        username: str | None = None,
        clock: dt.datetime = BASE_TIME,
        resend_after_s: float = 3.0,
    ) -> None:
        self.box_id = box_id
        self.broker = broker
        self.now = clock
        self.seq = {"usage": 0, "events": 0, "uplink": 0}
        self.outbox: dict[tuple[str, int], bytes] = {}  # (channel, first seq) -> payload
        self.waiting: dict[tuple[str, int], set[int]] = {}  # seqs of it not acknowledged yet
        self.taken: dict[tuple[str, int], float] = {}  # when the broker took it (PUBACK)
        self.resend_after_s = resend_after_s
        self.resent = 0  # messages sent again because no Ack came in time
        self.acks = 0  # Ack messages received
        self.connections = 0  # successful connects (reconnects included)
        self.inflight: dict[int, tuple[str, int] | None] = {}
        self.stray: dict[int, tuple[bool, str]] = {}
        self.refused: list[str] = []
        self.sent: list[tuple[str, bytes]] = []  # every message queued, in order
        self.counted: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.username = username or box_id
        self.password = password
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        """A new MQTT client each time the box connects (as after a restart): paho leaks its
        wake-up socket pair when one client's loop is started twice."""
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.box_id, protocol=mqtt.MQTTv5
        )
        client.username_pw_set(self.username, self.password)
        client.tls_set(ca_certs=str(self.broker.ca_path))
        client.reconnect_delay_set(min_delay=1, max_delay=2)
        will = protocol.Status(box=self.box_id, online=False, ts=self.now)
        client.will_set(
            protocol.topic(self.box_id, "status"), protocol.encode(will), qos=1, retain=True
        )
        client.on_connect = self._on_connect
        client.on_disconnect = lambda *a: self.connected.clear()
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    # -- connection ------------------------------------------------------------------------

    def connect(self, deadline_s: float = DEADLINE_S) -> SimBox:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect_async(
            self.broker.host, self.broker.port, keepalive=20, clean_start=False, properties=props
        )
        self.client.loop_start()
        if not self.connected.wait(deadline_s):
            raise AssertionError(f"box {self.box_id} did not connect")
        return self

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()
        with self.lock:
            self.inflight.clear()
            self.stray.clear()
        self.client = self._make_client()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            return
        client.subscribe(protocol.topic(self.box_id, "ack"), qos=1)
        self.connections += 1
        self.connected.set()
        self.send_status(online=True)
        with self.lock:
            pending = list(self.outbox.items())
            self.taken.clear()
        for key, payload in pending:  # whatever was not acknowledged, again
            self._publish(key, payload)

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        # Never call paho while holding self.lock (paho holds its own locks around callbacks).
        with self.lock:
            if mid in self.inflight:
                self._done(self.inflight.pop(mid), not reason.is_failure, str(reason))
            else:  # acknowledged before _send recorded the packet id
                self.stray[mid] = (not reason.is_failure, str(reason))

    def _done(self, key: tuple[str, int] | None, ok: bool, reason: str) -> None:
        if not ok:
            self.refused.append(reason)
        if key is not None and key in self.outbox:
            self.taken[key] = time.monotonic()  # kept until the fleet's Ack covers it

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        ack = protocol.decode(protocol.Ack, bytes(msg.payload))
        with self.lock:
            self.acks += 1
            for key in list(self.waiting):
                left = self.waiting[key]
                for lo, hi in getattr(ack, key[0]):
                    left.difference_update(range(lo, hi + 1))
                if not left:
                    del self.waiting[key]
                    self.outbox.pop(key, None)
                    self.taken.pop(key, None)

    def poll(self) -> None:
        """Send again what the broker took ``resend_after_s`` ago and the fleet never acked."""
        if not self.connected.is_set():
            return
        due = time.monotonic() - self.resend_after_s
        with self.lock:
            late = [(k, self.outbox[k]) for k, t in self.taken.items() if t < due]
            for k, _ in late:
                del self.taken[k]
        for key, payload in late:
            self.resent += 1
            self._publish(key, payload)

    def _send(self, topic: str, payload: bytes, key: tuple[str, int] | None = None) -> int:
        info = self.client.publish(
            topic, payload, qos=1, retain=topic.endswith(("/status", "/plans"))
        )
        with self.lock:
            early = self.stray.pop(info.mid, None)
            if early is not None:
                self._done(key, *early)
            else:
                self.inflight[info.mid] = key
        return info.mid

    def _publish(self, key: tuple[str, int], payload: bytes) -> None:
        self._send(f"{protocol.ROOT}/{self.box_id}/{key[0]}", payload, key)

    # -- what a box reports ----------------------------------------------------------------

    def _next(self, channel: str, n: int = 1) -> int:
        first = self.seq[channel] + 1
        self.seq[channel] += n
        return first

    def count(
        self, records: list[tuple[str, str, int, int]], *, at: dt.datetime | None = None
    ) -> list[int]:
        """Count (scope, key, rx, tx) deltas now and queue them as one usage message."""
        when = at or self.now
        first = self._next("usage", len(records))
        body = protocol.Usage(
            box=self.box_id,
            records=[
                protocol.UsageRecord(
                    seq=first + i,
                    bucket=bucket_of(when),
                    scope=scope,  # type: ignore[arg-type]
                    key=key,
                    rx=rx,
                    tx=tx,
                )
                for i, (scope, key, rx, tx) in enumerate(records)
            ],
        )
        for scope, key, rx, tx in records:
            c = self.counted[(scope, key)]
            c[0] += rx
            c[1] += tx
        self.queue("usage", first, protocol.encode(body), len(records))
        return list(range(first, first + len(records)))

    def event(self, kind: str, message_id: str = "", **params: Any) -> int:
        seq = self._next("events")
        body = protocol.Events(
            box=self.box_id,
            events=[
                protocol.Event(
                    seq=seq, ts=self.now, kind=kind, message_id=message_id, params=params
                )
            ],
        )
        self.queue("events", seq, protocol.encode(body))
        return seq

    def decision(self, chosen: str, previous: str = "") -> int:
        seq = self._next("uplink")
        body = protocol.Uplink(
            box=self.box_id,
            decisions=[
                protocol.UplinkDecision(seq=seq, ts=self.now, chosen=chosen, previous=previous)
            ],
        )
        self.queue("uplink", seq, protocol.encode(body))
        return seq

    def queue(self, channel: str, first_seq: int, payload: bytes, n: int = 1) -> None:
        key = (channel, first_seq)
        with self.lock:
            self.outbox[key] = payload
            self.waiting[key] = set(range(first_seq, first_seq + n))
            self.sent.append((channel, payload))
        if self.connected.is_set():
            self._publish(key, payload)

    def send_status(self, online: bool = True, **fields: Any) -> None:
        body = protocol.Status(box=self.box_id, online=online, ts=self.now, **fields)
        self._send(protocol.topic(self.box_id, "status"), protocol.encode(body))

    def send_plans(self, plans: list[protocol.PlanState]) -> None:
        body = protocol.Plans(box=self.box_id, ts=self.now, plans=plans)
        self._send(protocol.topic(self.box_id, "plans"), protocol.encode(body))

    def send_raw(self, topic: str, payload: bytes) -> int:
        return self._send(topic, payload)

    def resend_all(self, payloads: list[tuple[str, bytes]]) -> None:
        for channel, payload in payloads:
            self._send(f"{protocol.ROOT}/{self.box_id}/{channel}", payload)

    def drained(self) -> bool:
        """Everything acknowledged by the fleet (sends again what is overdue, see ``poll``)."""
        self.poll()
        with self.lock:
            return not self.outbox

    def taken_after(self, seq: int) -> bool:
        """The broker took (PUBACK) a usage message of this box numbered after ``seq``."""
        with self.lock:
            return any(k[0] == "usage" and k[1] > seq for k in self.taken)

    def at_broker(self) -> bool:
        """The broker took (PUBACK) every message the fleet has not acknowledged yet."""
        with self.lock:
            return all(k in self.taken for k in self.outbox)

    def tick(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def store_totals(conn: db.Conn, scope: str = "uplink") -> dict[str, dict[str, tuple[int, int]]]:
    """Per box and key: (rx, tx) as PostgreSQL sums them."""
    rows = conn.execute(
        "SELECT box_id, key, sum(rx), sum(tx) FROM usage WHERE scope = %s GROUP BY box_id, key",
        (scope,),
    ).fetchall()
    out: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for box, key, rx, tx in rows:
        out[box][key] = (int(rx), int(tx))
    return dict(out)


def box_totals(boxes: list[SimBox], scope: str = "uplink") -> dict[str, dict[str, tuple[int, int]]]:
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for b in boxes:
        per = {k: (v[0], v[1]) for (s, k), v in b.counted.items() if s == scope}
        if per:
            out[b.box_id] = per
    return out


def seq_report(conn: db.Conn, boxes: list[SimBox]) -> tuple[int, int]:
    """(missing, doubled) usage seqs over these boxes: what the boxes numbered vs. the store."""
    missing = doubled = 0
    for b in boxes:
        rows = conn.execute(
            "SELECT seq, count(*) FROM usage WHERE box_id = %s GROUP BY seq", (b.box_id,)
        ).fetchall()
        have = {int(s): int(n) for s, n in rows}
        missing += sum(1 for s in range(1, b.seq["usage"] + 1) if s not in have)
        doubled += sum(n - 1 for n in have.values() if n > 1)
    return missing, doubled
