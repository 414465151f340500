"""Ingest workers: MQTT (shared subscriptions) in, PostgreSQL out, nothing lost or doubled.

Each worker is one MQTT 5 client with a stable client id and a persistent session, subscribed to
``protocol.ingest_subscriptions()``: the broker hands each message to one worker of the group, so
adding workers splits the load. A worker acknowledges (PUBACK) a message only after the batch
holding it is committed; a worker killed mid-batch leaves its messages unacknowledged in its
session, and the broker sends them again when the worker (same client id) comes back. The store
ignores what it already has (``ON CONFLICT DO NOTHING`` on the box's sequence numbers), so a
message written but not acknowledged before a crash changes nothing the second time.

A message that does not fit the contract (bad topic, bad body, a box claiming another's id, a
box the fleet does not know) is logged once per box and reason and acknowledged: sending it
again would not make it fit. A batch the database refuses as a whole is written message by
message, so one bad message never blocks the others.

After each commit the worker tells every box what of its queued channels (usage, events,
uplink decisions, command results) the store now has, duplicates included: one ``Ack`` on
``simspot/v1/<box>/ack`` (QoS 1). The box keeps its rows until then and sends them again when
no ack comes: a broker restarted between a box's PUBACK and the workers' new subscriptions drops
messages (Mosquitto 2.0 does not keep shared subscriptions), and this is what recovers them.

`IngestPool` runs N workers as processes (``python -m simspot.fleet.ingest``, settings on stdin)
and restarts one that dies with the same client id, which is what gets its session back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from simspot.errors import SimspotError, SimspotValueError
from simspot.fleet import db, protocol

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt
    import psycopg

log = logging.getLogger(__name__)

# PostgreSQL bigint: larger numbers are refused as a bad message, never sent to the database.
BIGINT_MAX = 2**63 - 1
# Usage buckets outside these bounds are a box clock gone wrong (each month is a partition).
OLDEST_BUCKET = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
NEWEST_BUCKET_AHEAD = dt.timedelta(days=400)
# Boxes the worker knows are registered are looked up again after this long (a removed box).
KNOWN_BOXES_TTL_S = 60.0
# Reconnect delays (paho doubles from min to max); paho's type says int, floats work.
RECONNECT_MIN_S = 0.25
RECONNECT_MAX_S = 0.5
# Distinct (box, reason) pairs logged; past this, refusals are only counted.
MAX_LOGGED_REASONS = 10_000


class BrokerUrlError(SimspotValueError):
    pass


@dataclass(frozen=True)
class BrokerSettings:
    """Where and how a worker reaches the broker (``mqtts://`` verifies the broker's certificate
    against ``ca_path``, or the system's CAs without it)."""

    host: str
    port: int
    tls: bool
    username: str
    password: str = field(repr=False)
    ca_path: str | None = None

    @classmethod
    def from_url(
        cls, url: str, *, username: str, password: str, ca_path: str | None = None
    ) -> BrokerSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise BrokerUrlError(msg_id="fleet.ingest.broker-scheme", field="broker")
        if parts.username or parts.password:
            raise BrokerUrlError(msg_id="fleet.ingest.broker-credentials", field="broker")
        if not parts.hostname:
            raise BrokerUrlError(msg_id="fleet.ingest.broker-host", field="broker")
        try:
            port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        except ValueError:
            raise BrokerUrlError(msg_id="fleet.ingest.broker-port", field="broker") from None
        return cls(parts.hostname, port, parts.scheme == "mqtts", username, password, ca_path)

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class IngestSettings:
    dsn: str = field(repr=False)
    broker: BrokerSettings
    max_batch: int = 500  # messages per transaction
    receive_maximum: int = 1000  # unacknowledged messages the broker may send a worker
    session_expiry_s: int = 7 * 24 * 3600  # a dead worker's queue waits this long for it
    keepalive_s: int = 30
    share_group: str = protocol.SHARE_GROUP  # a private name on Mosquitto (docs/FLEET.md)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> IngestSettings:
        data = json.loads(text)
        data["broker"] = BrokerSettings(**data["broker"])
        return cls(**data)


@dataclass
class Stats:
    messages: int = 0
    batches: int = 0
    refused: int = 0
    rows: int = 0  # usage, event and decision rows new to the store
    duplicates: int = 0  # rows the store had already
    acks: int = 0  # Ack messages published to boxes


@dataclass
class _Received:
    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes


class IngestWorker:
    """One worker: ``run(stop)`` until ``stop`` is set; nothing acknowledged before commit."""

    def __init__(self, settings: IngestSettings, client_id: str) -> None:
        self.settings = settings
        self.client_id = client_id
        self.stats = Stats()
        self._queue: queue.Queue[_Received] = queue.Queue()
        self._generation = 0  # counts connections; acks go only to the connection that sent
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._client: mqtt.Client | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self._known: set[str] = set()
        self._known_at = 0.0
        self._months: set[dt.date] = set()
        self._logged: set[tuple[str, str]] = set()
        # (box, message, reason) refused in the batch being handled, for the boxes' next Ack
        self._refused: list[tuple[str, protocol.Body, str]] = []

    @property
    def subscribed(self) -> bool:
        """Connected, and the broker granted the subscriptions."""
        return self._connected.is_set()

    @property
    def connections(self) -> int:
        """How many times the worker has connected to the broker (1 after the first)."""
        with self._lock:
            return self._generation

    # -- MQTT ----------------------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        b = self.settings.broker
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.username_pw_set(b.username, b.password)
        if b.tls:
            client.tls_set(ca_certs=b.ca_path, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        # Back quickly after a broker restart: Mosquitto 2.0 does not keep shared subscriptions
        # over a restart, so messages published before a worker subscribes again are dropped;
        # the boxes send them again, not having had an ``Ack`` for them (docs/FLEET.md).
        client.reconnect_delay_set(min_delay=RECONNECT_MIN_S, max_delay=RECONNECT_MAX_S)  # type: ignore[arg-type]
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _connect_properties(self) -> Any:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.settings.session_expiry_s
        props.ReceiveMaximum = self.settings.receive_maximum
        return props

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("%s: the broker refused the connection: %s", self.client_id, reason)
            return
        with self._lock:
            self._generation += 1
        # The session keeps the subscriptions; subscribing again is harmless and covers a
        # broker that lost its sessions.
        client.subscribe([(s, 1) for s in protocol.ingest_subscriptions(self.settings.share_group)])
        log.info("%s: connected to %s", self.client_id, self.settings.broker.url)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[Any], props: Any
    ) -> None:
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:  # the broker's ACL does not let this user read the boxes' topics
            log.error("%s: the broker refused the subscriptions: %s", self.client_id, refused)
            return
        self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._connected.clear()
        log.info("%s: disconnected (%s); reconnecting", self.client_id, reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            name = message.topic
        except UnicodeDecodeError:
            name = "(not UTF-8)"
        self._queue.put(
            _Received(self._generation, message.mid, message.qos, name, bytes(message.payload))
        )

    # -- the loop ------------------------------------------------------------------------------

    def run(self, stop: threading.Event, ready: Callable[[], None] | None = None) -> None:
        """Connect, then batch until ``stop`` is set; the last batch is committed and
        acknowledged before returning."""
        self._conn = self._connect_db(stop)
        if self._conn is None:
            return
        client = self._client = self._make_client()
        b = self.settings.broker
        client.connect_async(
            b.host,
            b.port,
            keepalive=self.settings.keepalive_s,
            clean_start=False,
            properties=self._connect_properties(),
        )
        client.loop_start()
        try:
            while not stop.is_set() and not self._connected.wait(0.5):
                pass
            if ready is not None and not stop.is_set():
                ready()
            while not stop.is_set():
                try:
                    first = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                items = [first]
                while len(items) < self.settings.max_batch:
                    try:
                        items.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                self._handle(items, stop)
        finally:
            client.disconnect()
            client.loop_stop()
            if self._conn is not None:
                self._conn.close()

    def _connect_db(self, stop: threading.Event) -> psycopg.Connection[Any] | None:
        delay = 0.5
        while not stop.is_set():
            try:
                return db.connect(self.settings.dsn, application_name=self.client_id)
            except db.DatabaseError as exc:
                log.warning("%s: %s; trying again", self.client_id, exc)
                stop.wait(delay)
                delay = min(delay * 2, 10.0)
        return None

    def _refuse(self, box: str, reason: str, message: protocol.Body | None = None) -> None:
        """Count and log a refused message; one the store will never take (``message`` given) is
        also named in the box's next ``Ack`` as refused, so the box stops sending it."""
        self.stats.refused += 1
        if message is not None:
            self._refused.append((box, message, reason))
        key = (box, reason)
        if key in self._logged:
            return
        if len(self._logged) < MAX_LOGGED_REASONS:
            self._logged.add(key)
        log.warning("%s: refused a message from %s: %s", self.client_id, box or "?", reason)

    def _decode(self, item: _Received) -> tuple[str, protocol.Body] | None:
        box = _box_of(item.topic)
        try:
            box, message = protocol.decode_topic(item.topic, item.payload)
        except SimspotValueError as exc:
            self._refuse(box, str(exc))
            return None
        if isinstance(message, (protocol.Command, protocol.Ack)):
            self._refuse(box, "a fleet server's message on a box's topic")
            return None
        problem = _out_of_range(message)
        if problem:
            self._refuse(box, problem, message)
            return None
        return box, message

    def _known_boxes(self, boxes: set[str]) -> set[str]:
        assert self._conn is not None
        now = time.monotonic()
        if now - self._known_at > KNOWN_BOXES_TTL_S:
            self._known.clear()
            self._known_at = now
        missing = boxes - self._known
        if missing:
            self._known |= db.known_boxes(self._conn, missing)
        return boxes & self._known

    def _known_quietly(self, boxes: set[str]) -> set[str]:
        """The boxes of this fleet among ``boxes``, as far as can be told now (no database: the
        ones already known)."""
        import psycopg

        if not boxes or self._conn is None:
            return boxes & self._known
        try:
            return self._known_boxes(boxes)
        except psycopg.Error:
            return boxes & self._known

    def _handle(self, items: list[_Received], stop: threading.Event) -> None:
        self._refused = []
        decoded: list[tuple[_Received, tuple[str, protocol.Body] | None]] = [
            (item, self._decode(item)) for item in items
        ]
        while True:
            try:
                committed = self._write(decoded)
                break
            except _DatabaseDown as exc:
                log.warning("%s: %s; trying again", self.client_id, exc)
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                self._conn = self._connect_db(stop)
                if self._conn is None:  # stopping: nothing acknowledged, the broker keeps it
                    return
        self.stats.messages += len(items)
        self.stats.batches += 1
        self._tell_boxes(committed)
        self._ack(items)

    def _tell_boxes(self, committed: list[tuple[str, protocol.Body]]) -> None:
        """One ``Ack`` per box for the seqs just committed (QoS 1; paho keeps it across a
        reconnect, and a box that misses it sends the rows again, which changes nothing), with
        the rows of this batch the store will never take (of boxes of this fleet)."""
        client = self._client
        if client is None:
            return
        seqs: dict[str, dict[str, list[int]]] = {}
        for box, message in committed:
            found = _seqs(message)
            per = seqs.setdefault(box, {})
            if found is not None:
                per.setdefault(found[0], []).extend(found[1])
        refused: dict[str, dict[tuple[str, str], list[int]]] = {}
        known = self._known_quietly({box for box, _, _ in self._refused})
        for box, message, reason in self._refused:
            found = _seqs(message)
            if found is None or not found[1] or box not in known:
                continue
            seqs.setdefault(box, {})
            refused.setdefault(box, {}).setdefault((found[0], reason[:500]), []).extend(found[1])
        for box, channels in sorted(seqs.items()):
            gone = [
                {"channel": ch, "ranges": protocol.seq_ranges(v), "reason": why}
                for (ch, why), v in refused.get(box, {}).items()
            ][:100]
            if not channels and not gone:
                continue
            ack = protocol.Ack.model_validate(
                {ch: protocol.seq_ranges(v) for ch, v in channels.items()} | {"refused": gone}
            )
            client.publish(protocol.topic(box, "ack"), protocol.encode(ack), qos=1)
            self.stats.acks += 1

    def _write(
        self, decoded: list[tuple[_Received, tuple[str, protocol.Body] | None]]
    ) -> list[tuple[str, protocol.Body]]:
        """Write the batch; returns the (box, message) pairs now committed."""
        import psycopg

        assert self._conn is not None
        conn = self._conn
        try:
            known = self._known_boxes({d[0] for _, d in decoded if d is not None})
            batch = db.Batch()
            good: list[tuple[str, protocol.Body]] = []
            for _, d in decoded:
                if d is None:
                    continue
                if d[0] not in known:
                    self._refuse(d[0], "not a box of this fleet (simspot fleet add-box)")
                    continue
                batch.add(*d)
                if not (isinstance(d[1], protocol.Status) and not d[1].online):
                    batch.seen.add(d[0])
                good.append(d)
            if not len(batch):
                return []
            new_months = batch.months() - self._months
            if new_months:
                db.ensure_usage_partitions(conn, new_months)
                self._months |= new_months
            try:
                self._count(batch, db.write_batch(conn, batch))
                return good
            except (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError):
                # Something in the batch the database refuses: one message at a time, so only
                # the bad one is dropped.
                committed: list[tuple[str, protocol.Body]] = []
                for box, message in good:
                    single = db.Batch(seen=batch.seen & {box})
                    single.add(box, message)
                    try:
                        self._count(single, db.write_batch(conn, single))
                        committed.append((box, message))
                    except (psycopg.DataError, psycopg.IntegrityError) as exc:
                        self._refuse(box, f"the database refused it: {db._reason(exc)}", message)
                return committed
        except psycopg.OperationalError as exc:
            raise _DatabaseDown(
                msg_id="fleet.db.failed", params={"reason": db._reason(exc)}
            ) from None
        except psycopg.InterfaceError as exc:  # the connection was closed under us
            raise _DatabaseDown(
                msg_id="fleet.db.failed", params={"reason": db._reason(exc)}
            ) from None

    def _count(self, batch: db.Batch, written: db.Written) -> None:
        sent = len(batch.usage) + len(batch.events) + len(batch.decisions)
        new = written.usage + written.events + written.decisions
        self.stats.rows += new
        self.stats.duplicates += sent - new
        for command_id in written.unmatched_results:
            log.info(
                "%s: a result for command %s matched no open command", self.client_id, command_id
            )

    def _ack(self, items: list[_Received]) -> None:
        client = self._client
        if client is None:
            return
        with self._lock:
            generation = self._generation
        for item in items:
            # A message received on an earlier connection is sent again by the broker on this
            # one; acknowledging its old packet id here could acknowledge another message.
            if item.generation == generation and item.qos > 0:
                client.ack(item.mid, item.qos)


class _DatabaseDown(SimspotError):
    pass


def _box_of(name: str) -> str:
    parts = name.split("/")
    return parts[2] if len(parts) > 2 and protocol.BOX_ID_RE.fullmatch(parts[2]) else ""


def _seqs(message: protocol.Body) -> tuple[str, list[int]] | None:
    """The queued channel a box's message belongs to and the outbox seqs it carries."""
    if isinstance(message, protocol.Usage):
        return "usage", [r.seq for r in message.records]
    if isinstance(message, protocol.Events):
        return "events", [e.seq for e in message.events]
    if isinstance(message, protocol.Uplink):
        return "uplink", [d.seq for d in message.decisions]
    if isinstance(message, protocol.Result) and message.seq > 0:
        return "result", [message.seq]
    return None


def _out_of_range(message: protocol.Body) -> str:
    """What the contract's models allow but the store cannot hold (the reason, or '')."""
    if isinstance(message, protocol.Usage):
        newest = dt.datetime.now(dt.UTC) + NEWEST_BUCKET_AHEAD
        for i, r in enumerate(message.records):
            if max(r.seq, r.rx, r.tx) > BIGINT_MAX:
                return f"usage message: records.{i}: number too large"
            if r.bucket.tzinfo is None:
                return f"usage message: records.{i}.bucket: give a time zone (UTC)"
            if not OLDEST_BUCKET <= r.bucket <= newest:
                return (
                    f"usage message: records.{i}.bucket: {r.bucket.isoformat()} is not a "
                    "plausible time (box clock?)"
                )
    elif isinstance(message, protocol.Events):
        if any(e.seq > BIGINT_MAX for e in message.events):
            return "events message: seq too large"
    elif isinstance(message, protocol.Uplink):
        if any(d.seq > BIGINT_MAX for d in message.decisions):
            return "uplink message: seq too large"
    return ""


# -- a pool of worker processes ----------------------------------------------------------------


def default_worker_prefix() -> str:
    host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname().lower())
    return f"simspot-ingest-{host or 'server'}"


class IngestPool:
    """N worker processes with client ids ``<prefix>-1..N``; a worker that dies is started
    again (same id, so its session and unacknowledged messages come back to it)."""

    def __init__(self, settings: IngestSettings, workers: int, prefix: str | None = None) -> None:
        if not 1 <= workers <= 64:
            raise SimspotValueError(msg_id="fleet.ingest.workers", field="workers")
        self.settings = settings
        self.prefix = prefix or default_worker_prefix()
        self.client_ids = [f"{self.prefix}-{i}" for i in range(1, workers + 1)]
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _spawn(self, client_id: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "simspot.fleet.ingest", client_id],
            stdin=subprocess.PIPE,
        )
        assert proc.stdin is not None
        proc.stdin.write(self.settings.to_json().encode() + b"\n")
        proc.stdin.close()
        return proc

    def start(self) -> None:
        for client_id in self.client_ids:
            self.processes[client_id] = self._spawn(client_id)
        self._thread = threading.Thread(target=self._watch, name="ingest-pool", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        started = {cid: time.monotonic() for cid in self.processes}
        delay = {cid: 0.0 for cid in self.processes}
        due: dict[str, float] = {}
        while not self._stop.wait(0.5):
            for client_id, proc in list(self.processes.items()):
                if proc.poll() is None or self._stop.is_set():
                    continue
                now = time.monotonic()
                if client_id not in due:
                    # One that dies soon after its start waits longer each time (1 s doubling
                    # up to 30 s), so a worker that cannot run does not spin.
                    quick = now - started[client_id] < 10.0
                    delay[client_id] = min(max(delay[client_id] * 2, 1.0), 30.0) if quick else 0.0
                    due[client_id] = now + delay[client_id]
                if now < due[client_id]:
                    continue
                del due[client_id]
                log.warning(
                    "ingest worker %s exited (%s); starting it again", client_id, proc.returncode
                )
                self.restarts += 1
                self.processes[client_id] = self._spawn(client_id)
                started[client_id] = time.monotonic()

    def pids(self) -> dict[str, int]:
        return {cid: p.pid for cid, p in self.processes.items()}

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM every worker (each commits and acknowledges its batch), SIGKILL stragglers."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main(argv: list[str]) -> int:
    """``python -m simspot.fleet.ingest CLIENT_ID``, settings as one JSON line on stdin."""
    logging.basicConfig(
        level=os.environ.get("SIMSPOT_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if len(argv) != 1:
        print("usage: python -m simspot.fleet.ingest CLIENT_ID < settings.json", file=sys.stderr)
        return 2
    settings = IngestSettings.from_json(sys.stdin.readline())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    parent = os.getppid()

    def orphaned() -> None:  # the pool's process is gone: stop too (commit, ack, leave)
        while not stop.wait(1.0):
            if os.getppid() != parent:
                log.warning("%s: the fleet server is gone; stopping", argv[0])
                stop.set()

    threading.Thread(target=orphaned, name="parent-watch", daemon=True).start()
    IngestWorker(settings, argv[0]).run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
