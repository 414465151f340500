"""Fleet alerts: what needs a person's attention, worked out from PostgreSQL now and then.

Kinds (``alert.kind``; ``key`` tells several of one kind on a box apart):

``box.quiet``        the broker published the box's last will (``online`` false), or nothing came
                     from it for ``quiet_minutes``
``box.not-sharing``  an online box says it is not sharing its connection (with its reason)
``plan.low``         a plan with an allowance (key: its ICCID) has less than ``plan_left_fraction``
                     left, is used up, or is forecast to use more than its allowance this cycle

Each evaluation computes the alerts that should be open and reconciles the ``alert`` table with
them in one transaction: a new one is raised once (the table's unique index over open alerts
turns a second insert into an update of its sentence, also with several fleet servers), one whose
cause is gone is cleared. An advisory lock keeps two servers from evaluating at the same moment. Every alert
carries a message id (`simspot.fleet.messages`) and its parameters, so it reads in English and
Chinese.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from simspot.fleet.queries import Conn, DatabaseUnavailable, Store

log = logging.getLogger(__name__)

KINDS = ("box.quiet", "box.not-sharing", "plan.low")
_LOCK_ID = 0x51F1EE7  # pg_advisory_xact_lock key of the alert evaluation


@dataclass(frozen=True)
class AlertSettings:
    quiet_minutes: float = 10.0
    plan_left_fraction: float = 0.1
    every_s: float = 30.0


@dataclass(frozen=True)
class Wanted:
    box: str
    kind: str
    key: str
    message_id: str
    params: dict[str, Any]


@dataclass
class Changes:
    raised: list[Wanted] = field(default_factory=list)
    cleared: list[tuple[str, str, str]] = field(default_factory=list)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.UTC).isoformat()


def label_of(row: dict[str, Any]) -> str:
    """How alerts name a box: its registered name, the name it reports, or its id."""
    status = row["status"] or {}
    return str(row["name"] or status.get("name") or row["id"])


def box_alerts(row: dict[str, Any], settings: AlertSettings, now: dt.datetime) -> list[Wanted]:
    """The alerts one box's row (``box`` table) calls for; pure."""
    box_id, last_seen = row["id"], row["last_seen"]
    if last_seen is None:
        return []  # registered, never heard from: nothing has gone quiet yet
    label = label_of(row)
    seen = {"box": label, "last_seen": _iso(last_seen)}
    if not row["online"]:
        return [Wanted(box_id, "box.quiet", "", "fleet.alert.offline", seen)]
    if now - last_seen > dt.timedelta(minutes=settings.quiet_minutes):
        minutes = round(settings.quiet_minutes)
        return [Wanted(box_id, "box.quiet", "", "fleet.alert.quiet", seen | {"minutes": minutes})]
    status = row["status"] or {}
    if status and not status.get("sharing", False):
        reason = str(status.get("reason") or "no reason given")
        params = {"box": label, "reason": reason}
        return [Wanted(box_id, "box.not-sharing", "", "fleet.alert.not-sharing", params)]
    return []


def plan_alert(box_id: str, label: str, body: dict[str, Any], fraction: float) -> Wanted | None:
    """The ``plan.low`` alert a plan's state (``PlanState`` as JSON) calls for, if any; pure."""
    allowance = body.get("allowance")
    if not allowance:
        return None  # unlimited: never low
    used = int(body.get("used") or 0)
    left = body.get("left")
    left = max(0, allowance - used) if left is None else int(left)
    iccid = str(body.get("iccid", ""))
    base = {"box": label, "plan": str(body.get("name") or iccid), "allowance": allowance}
    if body.get("state") == "exhausted" or left <= 0:
        return Wanted(box_id, "plan.low", iccid, "fleet.alert.plan-exhausted", base)
    if left < allowance * fraction:
        return Wanted(box_id, "plan.low", iccid, "fleet.alert.plan-low", base | {"left": left})
    forecast = body.get("forecast")
    if forecast is not None and int(forecast) > allowance:
        params = base | {"forecast": int(forecast)}
        return Wanted(box_id, "plan.low", iccid, "fleet.alert.plan-forecast", params)
    return None


async def wanted(conn: Conn, settings: AlertSettings, now: dt.datetime) -> list[Wanted]:
    out: list[Wanted] = []
    cur = await conn.execute("SELECT id, name, online, last_seen, status FROM box ORDER BY id")
    labels: dict[str, str] = {}  # box id -> its name (or id)
    for row in await cur.fetchall():
        labels[row["id"]] = label_of(row)
        out += box_alerts(row, settings, now)
    cur = await conn.execute("SELECT box_id, iccid, body FROM plan_state ORDER BY box_id, iccid")
    for row in await cur.fetchall():
        label = labels.get(row["box_id"]) or str(row["box_id"])
        alert = plan_alert(row["box_id"], label, row["body"], settings.plan_left_fraction)
        if alert is not None:
            out.append(alert)
    return out


async def evaluate(
    conn: Conn, settings: AlertSettings | None = None, now: dt.datetime | None = None
) -> Changes:
    """Raise what should be open and is not, clear what is open and should not be."""
    settings = settings or AlertSettings()
    now = now or dt.datetime.now(dt.UTC)
    changes = Changes()
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        want = await wanted(conn, settings, now)
        keep = {(w.box, w.kind, w.key) for w in want}
        for w in want:
            cur = await conn.execute(
                """
                INSERT INTO alert (box_id, kind, key, raised_at, message_id, params)
                VALUES (%s, %s, %s, %s, %s, %s)
                ON CONFLICT (box_id, kind, key) WHERE cleared_at IS NULL
                DO UPDATE SET message_id = EXCLUDED.message_id, params = EXCLUDED.params
                RETURNING (xmax = 0) AS inserted
                """,
                (w.box, w.kind, w.key, now, w.message_id, Jsonb(w.params)),
            )
            row = await cur.fetchone()
            if row is not None and row["inserted"]:
                changes.raised.append(w)
        cur = await conn.execute(
            "SELECT id, box_id, kind, key FROM alert WHERE cleared_at IS NULL AND kind = ANY(%s)",
            (list(KINDS),),
        )
        gone = [r for r in await cur.fetchall() if (r["box_id"], r["kind"], r["key"]) not in keep]
        if gone:
            await conn.execute(
                "UPDATE alert SET cleared_at = %s WHERE id = ANY(%s)",
                (now, [r["id"] for r in gone]),
            )
            changes.cleared = [(r["box_id"], r["kind"], r["key"]) for r in gone]
    return changes


async def run(store: Store, settings: AlertSettings) -> None:
    """Evaluate every ``settings.every_s`` until cancelled; a database outage is logged and
    retried at the next round."""
    while True:
        try:
            async with store.conn() as conn:
                changes = await evaluate(conn, settings)
            if changes.raised or changes.cleared:
                log.info(
                    "fleet alerts changed",
                    extra={"raised": len(changes.raised), "cleared": len(changes.cleared)},
                )
        except DatabaseUnavailable:
            log.warning("alerts not evaluated: the fleet database cannot be reached")
        except psycopg.Error as exc:  # e.g. a database not migrated yet: try again next round
            log.warning("alerts not evaluated: %s", type(exc).__name__)
        await asyncio.sleep(settings.every_s)
