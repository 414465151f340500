"""The fleet server's PostgreSQL side for set-up and ingest (psycopg 3, synchronous).

``migrate`` applies ``schema.MIGRATIONS`` (append-only steps) in one transaction under an advisory
lock, so several ``simspot fleet serve`` processes starting at once apply each step exactly once.
``write_batch`` writes what the ingest workers decoded, one transaction per batch, every insert
idempotent (the first copy of ``(box, seq)`` wins), so a batch written twice after a redelivery
changes nothing. The fleet API reads through its own module (``simspot.fleet.queries``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from simspot.errors import SimspotError, SimspotValueError
from simspot.fleet import protocol, schema

log = logging.getLogger(__name__)

Conn = psycopg.Connection[tuple[Any, ...]]

# pg_advisory_xact_lock keys: one for migrations, one for creating usage partitions.
_MIGRATE_LOCK = 0x51D5_F1EE
_PARTITION_LOCK = 0x51D5_F1EF


class DatabaseError(SimspotError):
    """The fleet database cannot be reached or refused what we asked (message names which)."""


def connect(
    dsn: str, *, autocommit: bool = True, connect_timeout_s: int = 10, application_name: str = ""
) -> Conn:
    """A connection to the fleet database; a `DatabaseError` without the DSN's password.

    Autocommit by default: everything here that writes more than one statement does so in an
    explicit ``conn.transaction()``."""
    try:
        if application_name:  # shown in pg_stat_activity
            dsn = psycopg.conninfo.make_conninfo(dsn, application_name=application_name)
        return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=connect_timeout_s)
    except psycopg.OperationalError as exc:
        raise DatabaseError(
            msg_id="fleet.db.cannot-connect", params={"reason": _reason(exc)}
        ) from None
    except psycopg.ProgrammingError as exc:  # a DSN that does not parse
        raise DatabaseError(msg_id="fleet.db.address", params={"reason": _reason(exc)}) from None


def _reason(exc: Exception) -> str:
    """The first line of libpq's message (it never contains the password)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- migrations ------------------------------------------------------------------------------


def schema_version(conn: Conn) -> int:
    """How many migration steps the database has (0 for an empty database)."""
    row = conn.execute("SELECT to_regclass('fleet_schema') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM fleet_schema").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: Conn, migrations: Sequence[str] = schema.MIGRATIONS) -> list[int]:
    """Apply the steps the database does not have yet; returns their numbers (1-based).

    One transaction for all of them: a failing step leaves the database as it was. A database
    with more steps than this simspot knows is refused (an older server must not write to it).
    """
    try:
        return _migrate(conn, migrations)
    except psycopg.OperationalError as exc:
        raise DatabaseError(msg_id="fleet.db.failed", params={"reason": _reason(exc)}) from None
    except psycopg.Error as exc:  # permissions, a step that fails: named, nothing applied
        raise DatabaseError(
            msg_id="fleet.db.migration-failed", params={"reason": _reason(exc)}
        ) from None


def _migrate(conn: Conn, migrations: Sequence[str]) -> list[int]:
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
        conn.execute(
            """
            CREATE TABLE IF NOT EXISTS fleet_schema (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        current = schema_version(conn)
        if current > len(migrations):
            raise DatabaseError(
                msg_id="fleet.db.newer", params={"version": current, "known": len(migrations)}
            )
        for number, step in enumerate(migrations[current:], start=current + 1):
            conn.execute(step.encode())  # several statements: no parameters, simple protocol
            conn.execute("INSERT INTO fleet_schema (version) VALUES (%s)", (number,))
            applied.append(number)
    return applied


# -- usage partitions ------------------------------------------------------------------------


def month_of(ts: dt.datetime) -> dt.date:
    """The first day of ``ts``'s month in UTC (partitions are UTC months)."""
    utc = ts.astimezone(dt.UTC)
    return dt.date(utc.year, utc.month, 1)


def partition_name(month: dt.date) -> str:
    return f"usage_{month.year:04d}{month.month:02d}"


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def ensure_usage_partitions(conn: Conn, months: Iterable[dt.date]) -> list[str]:
    """Create the usage partitions for these months if missing; returns the ones created.

    Its own transaction under an advisory lock, so two workers meeting a new month at once do
    not race on the catalogue.
    """
    wanted = sorted(set(months))
    created: list[str] = []
    if not wanted:
        return created
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PARTITION_LOCK,))
        for month in wanted:
            name = partition_name(month)
            row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
            if row and row[0]:
                continue
            start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
            end_month = _next_month(month)
            end = dt.datetime(end_month.year, end_month.month, 1, tzinfo=dt.UTC)
            # DDL takes no parameters; the name and bounds are made here from a date.
            conn.execute(
                f"CREATE TABLE {name} PARTITION OF usage "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')".encode()
            )
            created.append(name)
    return created


def usage_partitions(conn: Conn) -> list[str]:
    rows = conn.execute(
        """
        SELECT c.relname FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname = 'usage' ORDER BY c.relname
        """
    ).fetchall()
    return [str(r[0]) for r in rows]


# -- boxes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoxRow:
    id: str
    name: str
    grp: str
    online: bool
    last_seen: dt.datetime | None


def add_box(conn: Conn, box_id: str, *, name: str = "", group: str = "") -> BoxRow:
    """Register a box (its id is its MQTT user name); a box id already taken is refused."""
    protocol.check_box_id(box_id)
    if len(name) > 64:
        raise SimspotValueError(
            msg_id="fleet.db.too-long", params={"field": "box name", "max": 64}, field="name"
        )
    if len(group) > 64:
        raise SimspotValueError(
            msg_id="fleet.db.too-long", params={"field": "group", "max": 64}, field="group"
        )
    with conn.transaction():
        row = conn.execute(
            """
            INSERT INTO box (id, name, grp) VALUES (%s, %s, %s)
            ON CONFLICT (id) DO NOTHING
            RETURNING id, name, grp, online, last_seen
            """,
            (box_id, name, group),
        ).fetchone()
    if row is None:
        raise SimspotValueError(
            msg_id="fleet.db.box-exists", params={"box": repr(box_id)}, field="box"
        )
    return BoxRow(*row)


def remove_box(conn: Conn, box_id: str) -> bool:
    with conn.transaction():
        cur = conn.execute("DELETE FROM box WHERE id = %s", (box_id,))
    return cur.rowcount > 0


def list_boxes(conn: Conn) -> list[BoxRow]:
    rows = conn.execute(
        "SELECT id, name, grp, online, last_seen FROM box ORDER BY grp, id"
    ).fetchall()
    return [BoxRow(*r) for r in rows]


def known_boxes(conn: Conn, box_ids: Iterable[str]) -> set[str]:
    """Which of these ids are registered boxes."""
    ids = sorted(set(box_ids))
    if not ids:
        return set()
    rows = conn.execute("SELECT id FROM box WHERE id = ANY(%s)", (ids,)).fetchall()
    return {str(r[0]) for r in rows}


# -- the ingest's batch ----------------------------------------------------------------------


@dataclass
class Batch:
    """Everything one ingest batch writes, decoded and checked (boxes known, ids matching)."""

    usage: list[tuple[str, protocol.UsageRecord]] = field(default_factory=list)
    events: list[tuple[str, protocol.Event]] = field(default_factory=list)
    decisions: list[tuple[str, protocol.UplinkDecision]] = field(default_factory=list)
    statuses: list[protocol.Status] = field(default_factory=list)  # in arrival order
    plans: list[protocol.Plans] = field(default_factory=list)
    results: list[protocol.Result] = field(default_factory=list)
    # Boxes whose last_seen moves to now: any message but a last will (published by the broker
    # when the box is gone, so no sign of life).
    seen: set[str] = field(default_factory=set)

    def add(self, box: str, message: protocol.Body) -> None:
        if isinstance(message, protocol.Usage):
            self.usage.extend((box, r) for r in message.records)
        elif isinstance(message, protocol.Events):
            self.events.extend((box, e) for e in message.events)
        elif isinstance(message, protocol.Uplink):
            self.decisions.extend((box, d) for d in message.decisions)
        elif isinstance(message, protocol.Status):
            self.statuses.append(message)
        elif isinstance(message, protocol.Plans):
            self.plans.append(message)
        elif isinstance(message, protocol.Result):
            self.results.append(message)
        else:
            raise SimspotValueError(
                msg_id="fleet.db.not-a-report", params={"kind": type(message).__name__}
            )

    def months(self) -> set[dt.date]:
        return {month_of(r.bucket) for _, r in self.usage}

    def __len__(self) -> int:
        return (
            len(self.usage)
            + len(self.events)
            + len(self.decisions)
            + len(self.statuses)
            + len(self.plans)
            + len(self.results)
        )


@dataclass
class Written:
    """What a batch changed: new rows (duplicates are the difference to what was sent)."""

    usage: int = 0
    events: int = 0
    decisions: int = 0
    statuses: int = 0
    plans: int = 0
    results: int = 0
    unmatched_results: list[str] = field(default_factory=list)  # command ids not found/answered


_INSERT_USAGE = """
INSERT INTO usage (box_id, seq, bucket, scope, key, uplink, rx, tx)
SELECT * FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[], %s::text[], %s::text[],
                     %s::text[], %s::bigint[], %s::bigint[])
ON CONFLICT DO NOTHING
"""

_INSERT_EVENTS = """
INSERT INTO event (box_id, seq, ts, kind, severity, message_id, params, message)
SELECT * FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[], %s::text[], %s::text[],
                     %s::text[], %s::jsonb[], %s::text[])
ON CONFLICT DO NOTHING
"""

_INSERT_DECISIONS = """
INSERT INTO uplink_decision (box_id, seq, ts, chosen, previous, reason_id, params, reason)
SELECT * FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[], %s::text[], %s::text[],
                     %s::text[], %s::jsonb[], %s::text[])
ON CONFLICT DO NOTHING
"""

# A status newer than the stored one replaces it. ``online = false`` always applies: the broker
# publishes a vanished box's last will, whose time is when that connection began, after the
# box's own (newer) statuses. An older "online" status that arrives late changes nothing.
_UPDATE_STATUS = """
UPDATE box SET
    online = CASE WHEN NOT %(online)s THEN false
                  WHEN status_at IS NULL OR status_at <= %(ts)s THEN true
                  ELSE online END,
    status = CASE WHEN status_at IS NULL OR status_at <= %(ts)s THEN %(body)s ELSE status END,
    status_at = GREATEST(status_at, %(ts)s),
    last_seen = CASE WHEN %(online)s THEN GREATEST(last_seen, now()) ELSE last_seen END
WHERE id = %(box)s
"""

_UPSERT_PLANS = """
INSERT INTO plan_state (box_id, iccid, body, updated_at)
SELECT * FROM unnest(%s::text[], %s::text[], %s::jsonb[], %s::timestamptz[])
ON CONFLICT (box_id, iccid) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
WHERE plan_state.updated_at <= excluded.updated_at
"""

# A plan the box no longer reports goes, unless a newer message (out of order) put it there.
_DELETE_OLD_PLANS = """
DELETE FROM plan_state WHERE box_id = %s AND updated_at < %s AND NOT (iccid = ANY(%s::text[]))
"""

_ANSWER_COMMAND = """
UPDATE command SET answered_at = %(ts)s, ok = %(ok)s, result = %(result)s, error = %(error)s,
    error_id = %(error_id)s
WHERE id = %(id)s AND box_id = %(box)s AND answered_at IS NULL
"""


def write_batch(conn: Conn, batch: Batch) -> Written:
    """Write one batch in one transaction (pipelined); nothing is written if any part fails.

    Rows are sorted by key so that two workers inserting overlapping batches (a redelivered
    message) lock in the same order and never deadlock. The usage partitions for the batch's
    months must exist (`ensure_usage_partitions`).
    """
    written = Written()
    usage = sorted(batch.usage, key=lambda br: (br[0], br[1].seq, br[1].bucket))
    events = sorted(batch.events, key=lambda be: (be[0], be[1].seq))
    decisions = sorted(batch.decisions, key=lambda bd: (bd[0], bd[1].seq))
    plans = _newest_plans(batch.plans)
    with conn.transaction(), conn.pipeline():
        cursors: dict[str, psycopg.Cursor[Any]] = {}
        if usage:
            cursors["usage"] = conn.execute(
                _INSERT_USAGE,
                (
                    [b for b, _ in usage],
                    [r.seq for _, r in usage],
                    [r.bucket for _, r in usage],
                    [r.scope for _, r in usage],
                    [r.key for _, r in usage],
                    [r.uplink for _, r in usage],
                    [r.rx for _, r in usage],
                    [r.tx for _, r in usage],
                ),
            )
        if events:
            cursors["events"] = conn.execute(
                _INSERT_EVENTS,
                (
                    [b for b, _ in events],
                    [e.seq for _, e in events],
                    [e.ts for _, e in events],
                    [e.kind for _, e in events],
                    [e.severity for _, e in events],
                    [e.message_id for _, e in events],
                    [Jsonb(e.params) for _, e in events],
                    [e.message for _, e in events],
                ),
            )
        if decisions:
            cursors["decisions"] = conn.execute(
                _INSERT_DECISIONS,
                (
                    [b for b, _ in decisions],
                    [d.seq for _, d in decisions],
                    [d.ts for _, d in decisions],
                    [d.chosen for _, d in decisions],
                    [d.previous for _, d in decisions],
                    [d.reason_id for _, d in decisions],
                    [Jsonb(d.params) for _, d in decisions],
                    [d.reason for _, d in decisions],
                ),
            )
        # Box rows in box order (statuses of one box in arrival order), so two workers lock
        # them in the same order; a box without an online status only gets its last_seen.
        status_cursors = []
        by_box: dict[str, list[protocol.Status]] = {}
        for st in batch.statuses:
            by_box.setdefault(st.box, []).append(st)
        for box in sorted(batch.seen | set(by_box)):
            statuses = by_box.get(box, [])
            for st in statuses:
                status_cursors.append(
                    conn.execute(
                        _UPDATE_STATUS,
                        {
                            "box": st.box,
                            "online": st.online,
                            "ts": st.ts,
                            "body": Jsonb(st.model_dump(mode="json")),
                        },
                    )
                )
            if box in batch.seen and not any(st.online for st in statuses):
                conn.execute(
                    "UPDATE box SET last_seen = GREATEST(last_seen, now()) WHERE id = %s", (box,)
                )
        plan_cursors = []
        for message in plans:
            rows = [(p.iccid, Jsonb(p.model_dump(mode="json"))) for p in message.plans]
            if rows:
                plan_cursors.append(
                    conn.execute(
                        _UPSERT_PLANS,
                        (
                            [message.box] * len(rows),
                            [iccid for iccid, _ in rows],
                            [body for _, body in rows],
                            [message.ts] * len(rows),
                        ),
                    )
                )
            conn.execute(
                _DELETE_OLD_PLANS, (message.box, message.ts, [p.iccid for p in message.plans])
            )
        result_cursors = [
            (
                r.id,
                conn.execute(
                    _ANSWER_COMMAND,
                    {
                        "ts": r.ts,
                        "ok": r.ok,
                        "result": Jsonb(r.result),
                        "error": r.error,
                        "error_id": r.error_id,
                        "id": r.id,
                        "box": r.box,
                    },
                ),
            )
            for r in sorted(batch.results, key=lambda r: r.id)
        ]
    # The pipeline is synced at its end: every row count is known here.
    written.usage = max(cursors["usage"].rowcount, 0) if "usage" in cursors else 0
    written.events = max(cursors["events"].rowcount, 0) if "events" in cursors else 0
    written.decisions = max(cursors["decisions"].rowcount, 0) if "decisions" in cursors else 0
    written.statuses = sum(max(c.rowcount, 0) for c in status_cursors)
    written.plans = sum(max(c.rowcount, 0) for c in plan_cursors)
    for command_id, cur in result_cursors:
        if cur.rowcount > 0:
            written.results += 1
        else:
            written.unmatched_results.append(command_id)
    return written


def _newest_plans(messages: list[protocol.Plans]) -> list[protocol.Plans]:
    """Plans are a box's whole state: of several in one batch only the newest counts."""
    newest: dict[str, protocol.Plans] = {}
    for m in messages:
        if m.box not in newest or newest[m.box].ts <= m.ts:
            newest[m.box] = m
    return [newest[b] for b in sorted(newest)]


# -- sums (tests, benchmark, `simspot fleet` diagnostics) -------------------------------------


def usage_totals(conn: Conn, scope: str = "uplink") -> dict[str, tuple[int, int]]:
    """Per box: (rx, tx) summed over every record of ``scope``."""
    rows = conn.execute(
        "SELECT box_id, sum(rx), sum(tx) FROM usage WHERE scope = %s GROUP BY box_id",
        (scope,),
    ).fetchall()
    return {str(b): (int(rx), int(tx)) for b, rx, tx in rows}
