"""What the fleet API reads from and writes to PostgreSQL (the schema is `simspot.fleet.schema`).

Async psycopg 3 over a few pooled connections (`Store`). Usage totals count the ``uplink`` scope
(every byte a box sent or received through an uplink, once); the ``client`` and ``guest`` scopes
split the same bytes per client or pass and are asked for by name.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from simspot.errors import SimspotError

Conn = psycopg.AsyncConnection[DictRow]
By = Literal["day", "hour"]
Scope = Literal["uplink", "client", "guest"]
CommandState = Literal["pending", "ok", "failed", "expired"]


class DatabaseUnavailable(SimspotError):
    """PostgreSQL cannot be reached (the API answers 503)."""


class Store:
    """Up to ``size`` connections to the fleet database, opened when first needed.

    A connection that failed (server restarted, network gone) is dropped, not reused; the next
    request opens a fresh one."""

    def __init__(self, dsn: str, size: int = 4, connect_timeout_s: int = 10) -> None:
        self.dsn = dsn
        self.connect_timeout_s = connect_timeout_s
        self._slots = asyncio.Semaphore(size)
        self._idle: list[Conn] = []

    @asynccontextmanager
    async def conn(self) -> AsyncIterator[Conn]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                try:
                    conn = await psycopg.AsyncConnection.connect(
                        self.dsn,
                        autocommit=True,
                        row_factory=dict_row,
                        connect_timeout=self.connect_timeout_s,
                    )
                except psycopg.OperationalError:
                    raise DatabaseUnavailable(msg_id="fleet.db.unreachable") from None
            try:
                yield conn
            except psycopg.OperationalError:
                await conn.close()
                raise DatabaseUnavailable(msg_id="fleet.db.unreachable") from None
            except BaseException:
                await conn.close()
                raise
            if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                await conn.close()
            else:
                self._idle.append(conn)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()


# -- boxes ---------------------------------------------------------------------------------------


async def boxes(conn: Conn, group: str | None = None) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        SELECT b.id, b.name, b.grp, b.online, b.last_seen, b.status, b.status_at,
               (SELECT count(*) FROM alert a
                 WHERE a.box_id = b.id AND a.cleared_at IS NULL) AS open_alerts
          FROM box b
         WHERE %(grp)s::text IS NULL OR b.grp = %(grp)s
         ORDER BY b.id
        """,
        {"grp": group},
    )
    return await cur.fetchall()


async def box(conn: Conn, box_id: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        """
        SELECT b.id, b.name, b.grp, b.online, b.last_seen, b.status, b.status_at,
               (SELECT count(*) FROM alert a
                 WHERE a.box_id = b.id AND a.cleared_at IS NULL) AS open_alerts
          FROM box b WHERE b.id = %s
        """,
        (box_id,),
    )
    return await cur.fetchone()


async def set_group(conn: Conn, box_id: str, group: str) -> bool:
    cur = await conn.execute("UPDATE box SET grp = %s WHERE id = %s", (group, box_id))
    return cur.rowcount == 1


async def groups(conn: Conn) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        SELECT grp AS name, count(*) AS boxes, count(*) FILTER (WHERE online) AS online
          FROM box WHERE grp <> '' GROUP BY grp ORDER BY grp
        """
    )
    return await cur.fetchall()


async def group_members(conn: Conn, group: str) -> list[str]:
    cur = await conn.execute("SELECT id FROM box WHERE grp = %s ORDER BY id", (group,))
    return [r["id"] for r in await cur.fetchall()]


# -- usage ---------------------------------------------------------------------------------------


def buckets(since: dt.datetime, until: dt.datetime, by: By, tz: ZoneInfo) -> list[dt.datetime]:
    """The starts of every day (local midnight in ``tz``) or hour in [since, until), in UTC."""
    out: list[dt.datetime] = []
    if by == "hour":
        t = since.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        while t < until:
            out.append(t)
            t += dt.timedelta(hours=1)
        return out
    day = since.astimezone(tz).date()
    while True:
        t = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
        if t >= until:
            return out
        out.append(t)
        day += dt.timedelta(days=1)


async def usage(
    conn: Conn,
    *,
    since: dt.datetime,
    until: dt.datetime,
    by: By,
    tz: str,
    scope: Scope = "uplink",
    box_id: str | None = None,
    group: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of (at, part, rx, tx): per bucket start (UTC) and part (the key within one box, the
    box across the fleet)."""
    part = "key" if box_id is not None else "box_id"
    cur = await conn.execute(
        f"""
        SELECT date_trunc(%(by)s, bucket, %(tz)s) AS at, {part} AS part,
               sum(rx)::bigint AS rx, sum(tx)::bigint AS tx
          FROM usage
         WHERE bucket >= %(since)s AND bucket < %(until)s AND scope = %(scope)s
           AND (%(box)s::text IS NULL OR box_id = %(box)s)
           AND (%(grp)s::text IS NULL OR box_id IN (SELECT id FROM box WHERE grp = %(grp)s))
         GROUP BY 1, 2
         ORDER BY 1, 2
        """,  # noqa: S608 - ``part`` is one of two column names chosen above
        {
            "by": by,
            "tz": tz,
            "since": since,
            "until": until,
            "scope": scope,
            "box": box_id,
            "grp": group,
        },
    )
    return await cur.fetchall()


# -- plans, SIMs, events ---------------------------------------------------------------------------


async def plans(conn: Conn, box_id: str) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT iccid, body, updated_at FROM plan_state WHERE box_id = %s ORDER BY iccid",
        (box_id,),
    )
    return await cur.fetchall()


async def uplinks_seen(conn: Conn, box_id: str, since: dt.datetime) -> list[dict[str, Any]]:
    """Every uplink key the box counted bytes through since ``since``, with totals."""
    cur = await conn.execute(
        """
        SELECT key, sum(rx)::bigint AS rx, sum(tx)::bigint AS tx, max(bucket) AS last_bucket
          FROM usage
         WHERE box_id = %s AND scope = 'uplink' AND bucket >= %s
         GROUP BY key ORDER BY key
        """,
        (box_id, since),
    )
    return await cur.fetchall()


async def events(
    conn: Conn, box_id: str, *, limit: int, before_seq: int | None = None
) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        SELECT seq, ts, kind, severity, message_id, params, message FROM event
         WHERE box_id = %s AND (%s::bigint IS NULL OR seq < %s)
         ORDER BY seq DESC LIMIT %s
        """,
        (box_id, before_seq, before_seq, limit),
    )
    return await cur.fetchall()


async def uplink_decisions(conn: Conn, box_id: str, *, limit: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        SELECT seq, ts, chosen, previous, reason_id, params, reason FROM uplink_decision
         WHERE box_id = %s ORDER BY seq DESC LIMIT %s
        """,
        (box_id, limit),
    )
    return await cur.fetchall()


# -- alerts --------------------------------------------------------------------------------------


async def alerts(
    conn: Conn,
    *,
    state: Literal["open", "cleared", "all"],
    box_id: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        SELECT id, box_id, kind, key, raised_at, cleared_at, message_id, params FROM alert
         WHERE (%(state)s = 'all'
                OR (%(state)s = 'open' AND cleared_at IS NULL)
                OR (%(state)s = 'cleared' AND cleared_at IS NOT NULL))
           AND (%(box)s::text IS NULL OR box_id = %(box)s)
         ORDER BY raised_at DESC, id DESC LIMIT %(limit)s
        """,
        {"state": state, "box": box_id, "limit": limit},
    )
    return await cur.fetchall()


# -- commands ------------------------------------------------------------------------------------

_COMMAND_COLUMNS = """
    id, box_id, action, args, created_at, expires_at, requested_by, answered_at, ok, result,
    error, error_id,
    CASE WHEN ok THEN 'ok'
         WHEN NOT ok THEN 'failed'
         WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired'
         ELSE 'pending' END AS state
"""


async def add_command(
    conn: Conn,
    *,
    command_id: str,
    box_id: str,
    action: str,
    args: dict[str, Any],
    created_at: dt.datetime,
    expires_at: dt.datetime | None,
    requested_by: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO command (id, box_id, action, args, created_at, expires_at, requested_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        """,
        (command_id, box_id, action, Jsonb(args), created_at, expires_at, requested_by),
    )


async def fail_command(conn: Conn, command_id: str, error: str) -> None:
    """A command that never reached the broker: answered here, not by the box."""
    await conn.execute(
        """
        UPDATE command SET answered_at = now(), ok = false, error = %s
         WHERE id = %s AND answered_at IS NULL
        """,
        (error, command_id),
    )


async def command(conn: Conn, command_id: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"SELECT {_COMMAND_COLUMNS} FROM command WHERE id = %s",  # noqa: S608 - constant text
        (command_id,),
    )
    return await cur.fetchone()


async def commands(conn: Conn, *, box_id: str | None, limit: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        f"""
        SELECT {_COMMAND_COLUMNS} FROM command
         WHERE %(box)s::text IS NULL OR box_id = %(box)s
         ORDER BY created_at DESC, id LIMIT %(limit)s
        """,  # noqa: S608 - constant text
        {"box": box_id, "limit": limit},
    )
    return await cur.fetchall()
