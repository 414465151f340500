"""The box's fleet outbox: what the reporter must deliver, numbered once, kept until the fleet
acknowledged it end to end.

Tables (namespace ``fleet`` in the box's state database):

- ``fleet_outbox (channel, seq, body, created, sent)``: one row per usage record, event, uplink
  decision or command result, in the order it was made. The broker's PUBACK only marks a row
  ``sent`` (when); the row leaves when the fleet's ``Ack`` (``simspot/v1/<box>/ack``, sent after
  the ingest committed it) covers it (``acked``). A row sent but not acknowledged is sent again
  after ``resend_after_s``, and everything still here after a reconnect (``unsend``): a broker
  that restarts may PUBACK a message and then drop it. The fleet keeps the first copy of
  ``(box, seq)``, so a resend changes nothing there.
- ``fleet_seq (channel, next)``: the next sequence number per channel; never reused, even when the
  outbox is empty.
- ``fleet_mark (scope, key, uplink, bucket, rx, tx)``: how much of each ledger bucket has been put
  in the outbox. A usage record gets its ``seq`` in the same transaction that moves these marks,
  so a byte is numbered exactly once whatever fails in between.
- ``fleet_command (id, ...)``: commands received, so a command delivered twice runs once.

Usage is never dropped. When the outbox holds ``max_rows`` usage records (sent or not, until
acknowledged), collecting pauses: the
bytes stay counted in the ledger (the marks do not move), and are collected, as larger deltas,
once the broker has taken some of the backlog. Events and uplink decisions beyond ``max_rows``
(per channel) are dropped oldest first, and one ``fleet.outbox-full`` event says how many.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from simspot.errors import StateError
from simspot.fleet.protocol import UsageRecord
from simspot.store import Store

BUCKET_S = 900  # the ledger's 15-minute buckets (simspot.plans.ledger.BUCKET_S)
# Buckets this far behind the newest collection are scanned again: the ledger writes a bucket
# until its pending counts are committed, a little after the bucket ended.
LOOKBACK_S = 4 * BUCKET_S

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE fleet_outbox (
        channel TEXT NOT NULL,
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (channel, seq)
    ) WITHOUT ROWID;
    CREATE TABLE fleet_seq (channel TEXT PRIMARY KEY, next INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE fleet_mark (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        uplink TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        rx INTEGER NOT NULL,
        tx INTEGER NOT NULL,
        PRIMARY KEY (scope, key, uplink, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE fleet_command (
        id TEXT PRIMARY KEY,
        action TEXT NOT NULL,
        received REAL NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'done')),
        result TEXT
    );
    CREATE TABLE fleet_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    """,
    # When the broker took a row (wall-clock seconds); NULL: to be sent. Rows stay until acked.
    "ALTER TABLE fleet_outbox ADD COLUMN sent REAL;",
)

QUEUED_CHANNELS = ("usage", "events", "uplink", "result")


@dataclass(frozen=True)
class Row:
    channel: str
    seq: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Collected:
    records: int  # usage records put in the outbox
    bytes: int  # rx + tx in them
    complete: bool  # False: the outbox was full, more usage waits in the ledger


class Outbox:
    """The outbox over its own connection to the state database (see the module docstring)."""

    def __init__(self, store: Store, max_rows: int = 100_000) -> None:
        store.migrate("fleet", MIGRATIONS)
        try:
            self.db = sqlite3.connect(store.path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout=10000")
            self.db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise StateError(
                msg_id="fleet.outbox.cannot-open",
                params={"path": str(store.path), "error": str(exc)},
            ) from None
        self.max_rows = max_rows
        self.lock = threading.RLock()
        self._ledger: bool | None = None
        self._guests: bool | None = None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                yield self.db
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise StateError(msg_id="fleet.outbox.failed", params={"error": str(exc)}) from None
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        with self.lock:
            try:
                return self.db.execute(sql, tuple(args)).fetchall()
            except sqlite3.Error as exc:
                raise StateError(msg_id="fleet.outbox.failed", params={"error": str(exc)}) from None

    # -- numbering -----------------------------------------------------------------------------
    @staticmethod
    def _take_seqs(db: sqlite3.Connection, channel: str, n: int) -> int:
        """Reserve ``n`` sequence numbers of ``channel``; returns the first."""
        row = db.execute("SELECT next FROM fleet_seq WHERE channel = ?", (channel,)).fetchone()
        first = int(row[0]) if row else 1
        db.execute(
            "INSERT INTO fleet_seq (channel, next) VALUES (?, ?) "
            "ON CONFLICT (channel) DO UPDATE SET next = excluded.next",
            (channel, first + n),
        )
        return first

    def count(self, channel: str | None = None) -> int:
        if channel is None:
            return int(self._query("SELECT COUNT(*) FROM fleet_outbox")[0][0])
        return int(
            self._query("SELECT COUNT(*) FROM fleet_outbox WHERE channel = ?", (channel,))[0][0]
        )

    def add(self, channel: str, body: dict[str, Any], now: float) -> tuple[int, int]:
        """Queue one event, decision or result; ``body`` gets its ``seq`` (events, decisions).

        Returns (seq, dropped): beyond ``max_rows`` in this channel the oldest rows are dropped
        (never usage: see ``collect``) and their number returned.
        """
        with self.tx() as db:
            seq = self._take_seqs(db, channel, 1)
            if channel in ("events", "uplink", "result"):
                body = {**body, "seq": seq}
            db.execute(
                "INSERT INTO fleet_outbox (channel, seq, body, created) VALUES (?, ?, ?, ?)",
                (channel, seq, json.dumps(body, default=str), now),
            )
            over = (
                db.execute(
                    "SELECT COUNT(*) FROM fleet_outbox WHERE channel = ?", (channel,)
                ).fetchone()[0]
                - self.max_rows
            )
            dropped = 0
            if over > 0:
                dropped = db.execute(
                    "DELETE FROM fleet_outbox WHERE channel = ? AND seq IN (SELECT seq FROM "
                    "fleet_outbox WHERE channel = ? ORDER BY seq LIMIT ?)",
                    (channel, channel, over),
                ).rowcount
        return seq, dropped

    # -- usage from the ledger -----------------------------------------------------------------
    def _has_table(self, name: str) -> bool:
        rows = self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return bool(rows)

    def state(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM fleet_state WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def collect(self, now: float, limit: int | None = None) -> Collected:
        """Put what the ledger counted since the marks into the outbox as usage records.

        One transaction: the records get their ``seq`` and the marks move together. Buckets from
        the watermark (``LOOKBACK_S`` before the last complete collection) are compared with the
        marks; a bucket that grew gives a record of the growth. Client records of a MAC that
        belongs to a guest pass give a ``guest`` record too (the same bytes, by pass).
        """
        if self._ledger is None or not self._ledger:
            self._ledger = self._has_table("usage_uplink") and self._has_table("usage_client")
            if not self._ledger:
                return Collected(0, 0, True)
        if not self._guests:
            self._guests = self._has_table("guest_mac")
        newest = int(now // BUCKET_S) * BUCKET_S
        with self.tx() as db:
            stored = db.execute("SELECT value FROM fleet_state WHERE key = 'watermark'").fetchone()
            watermark = int(stored[0]) if stored else newest - LOOKBACK_S
            queued = db.execute(
                "SELECT COUNT(*) FROM fleet_outbox WHERE channel = 'usage'"
            ).fetchone()[0]
            room = self.max_rows - int(queued)
            if limit is not None:
                room = min(room, limit)
            changed: list[tuple[str, str, str, int, int, int, int, int]] = []
            if room > 0:
                for scope, sql in (
                    (
                        "uplink",
                        "SELECT u.iccid, '', u.bucket, u.rx, u.tx, m.rx, m.tx FROM usage_uplink u "
                        "LEFT JOIN fleet_mark m ON m.scope = 'uplink' AND m.key = u.iccid "
                        "AND m.uplink = '' AND m.bucket = u.bucket WHERE u.bucket >= ? "
                        "AND (m.rx IS NULL OR u.rx <> m.rx OR u.tx <> m.tx) "
                        "ORDER BY u.bucket LIMIT ?",
                    ),
                    (
                        "client",
                        "SELECT u.mac, u.uplink, u.bucket, u.rx, u.tx, m.rx, m.tx "
                        "FROM usage_client u LEFT JOIN fleet_mark m ON m.scope = 'client' "
                        "AND m.key = u.mac AND m.uplink = u.uplink AND m.bucket = u.bucket "
                        "WHERE u.bucket >= ? AND (m.rx IS NULL OR u.rx <> m.rx OR u.tx <> m.tx) "
                        "ORDER BY u.bucket LIMIT ?",
                    ),
                ):
                    left = room - len(changed)
                    if left <= 0:
                        break
                    for key, via, bucket, rx, tx, mrx, mtx in db.execute(sql, (watermark, left)):
                        changed.append(
                            (scope, key, via, bucket, rx, tx, int(mrx or 0), int(mtx or 0))
                        )
            complete = room > 0 and len(changed) < room
            guests: dict[str, str] = {}
            if self._guests and any(c[0] == "client" for c in changed):
                guests = {
                    str(m): str(p) for m, p in db.execute("SELECT mac, pass_id FROM guest_mac")
                }
            records: list[tuple[str, str, str, int, int, int]] = []
            for scope, key, via, bucket, rx, tx, mrx, mtx in changed:
                drx, dtx = max(0, rx - mrx), max(0, tx - mtx)
                if drx or dtx:
                    records.append((scope, key, via, bucket, drx, dtx))
                    if scope == "client" and key in guests:
                        records.append(("guest", guests[key], via, bucket, drx, dtx))
            if records:
                first = self._take_seqs(db, "usage", len(records))
                rows = []
                for i, (scope, key, via, bucket, drx, dtx) in enumerate(records):
                    rec = UsageRecord(
                        seq=first + i,
                        bucket=dt.datetime.fromtimestamp(bucket, dt.UTC),
                        scope=scope,
                        key=key,
                        uplink=via,
                        rx=drx,
                        tx=dtx,
                    )
                    rows.append(("usage", first + i, rec.model_dump_json(), now))
                db.executemany(
                    "INSERT INTO fleet_outbox (channel, seq, body, created) VALUES (?, ?, ?, ?)",
                    rows,
                )
            db.executemany(
                "INSERT INTO fleet_mark (scope, key, uplink, bucket, rx, tx) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key, uplink, bucket) "
                "DO UPDATE SET rx = excluded.rx, tx = excluded.tx",
                [(s, k, u, b, rx, tx) for s, k, u, b, rx, tx, _, _ in changed],
            )
            if complete:
                mark = max(watermark, newest - LOOKBACK_S)
                db.execute(
                    "INSERT INTO fleet_state (key, value) VALUES ('watermark', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(mark),),
                )
                db.execute("DELETE FROM fleet_mark WHERE bucket < ?", (mark,))
            elif not stored:
                db.execute(
                    "INSERT INTO fleet_state (key, value) VALUES ('watermark', ?)",
                    (str(watermark),),
                )
        return Collected(
            len([r for r in records if r[0] != "guest"]),
            sum(r[4] + r[5] for r in records if r[0] != "guest"),
            complete,
        )

    # -- sending -------------------------------------------------------------------------------
    def pending(
        self, channel: str, exclude: set[int], limit: int, sent_before: float | None = None
    ) -> list[Row]:
        """The oldest rows of ``channel`` to send, in seq order: never sent, or (``sent_before``)
        sent before that time and still not acknowledged; none in ``exclude`` (in flight)."""
        rows = self._query(
            "SELECT seq, body FROM fleet_outbox WHERE channel = ? AND (sent IS NULL OR sent < ?) "
            "ORDER BY seq LIMIT ?",
            (channel, float("-inf") if sent_before is None else sent_before, limit + len(exclude)),
        )
        chosen = [(int(s), b) for s, b in rows if int(s) not in exclude][:limit]
        return [Row(channel, s, json.loads(b)) for s, b in chosen]  # decode only what is sent

    def mark_sent(self, channel: str, seqs: Iterable[int], when: float) -> int:
        """The broker took them (PUBACK): kept until acknowledged, sent again if that is late."""
        with self.tx() as db:
            return int(
                db.executemany(
                    "UPDATE fleet_outbox SET sent = ? WHERE channel = ? AND seq = ?",
                    [(when, channel, s) for s in seqs],
                ).rowcount
            )

    def unsend(self) -> int:
        """Every row not acknowledged is to be sent again (after a reconnect)."""
        with self.tx() as db:
            return int(
                db.execute("UPDATE fleet_outbox SET sent = NULL WHERE sent IS NOT NULL").rowcount
            )

    def acked(self, channel: str, ranges: Iterable[tuple[int, int]]) -> int:
        """The fleet committed them: remove the rows (an ack for rows gone already is harmless)."""
        with self.tx() as db:
            return int(
                db.executemany(
                    "DELETE FROM fleet_outbox WHERE channel = ? AND seq BETWEEN ? AND ?",
                    [(channel, lo, hi) for lo, hi in ranges],
                ).rowcount
            )

    def unacked(self, channel: str | None = None) -> int:
        """Rows the broker took that the fleet has not acknowledged yet."""
        sql = "SELECT COUNT(*) FROM fleet_outbox WHERE sent IS NOT NULL"
        if channel is None:
            return int(self._query(sql)[0][0])
        return int(self._query(sql + " AND channel = ?", (channel,))[0][0])

    # -- commands ------------------------------------------------------------------------------
    def command_seen(self, cmd_id: str) -> tuple[str, dict[str, Any] | None] | None:
        rows = self._query("SELECT state, result FROM fleet_command WHERE id = ?", (cmd_id,))
        if not rows:
            return None
        return str(rows[0][0]), (json.loads(rows[0][1]) if rows[0][1] else None)

    def command_started(self, cmd_id: str, action: str, now: float) -> bool:
        """Record a command before it is acknowledged; False when it was seen before."""
        with self.tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO fleet_command (id, action, received, state) "
                "VALUES (?, ?, ?, 'running')",
                (cmd_id, action, now),
            )
            return cur.rowcount == 1

    def command_done(self, cmd_id: str, result: dict[str, Any], now: float) -> None:
        """Store the answer and queue it, in one transaction."""
        with self.tx() as db:
            db.execute(
                "UPDATE fleet_command SET state = 'done', result = ? WHERE id = ?",
                (json.dumps(result, default=str), cmd_id),
            )
            seq = self._take_seqs(db, "result", 1)
            db.execute(
                "INSERT INTO fleet_outbox (channel, seq, body, created) VALUES (?, ?, ?, ?)",
                ("result", seq, json.dumps({**result, "seq": seq}, default=str), now),
            )
            # Commands older than a month are forgotten (a redelivery that late is refused by
            # its expiry, or runs: the fleet server never resends that late).
            db.execute("DELETE FROM fleet_command WHERE received < ?", (now - 30 * 86400,))

    def interrupted_commands(self) -> list[tuple[str, str]]:
        """Commands a previous run received but never answered (it stopped while they ran)."""
        return [
            (str(i), str(a))
            for i, a in self._query("SELECT id, action FROM fleet_command WHERE state = 'running'")
        ]
