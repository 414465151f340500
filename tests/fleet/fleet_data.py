"""Fleet test data: boxes and their reports written the way the ingest writes them
(``db.write_batch`` with the contract's messages), and a box's command side over MQTT."""

from __future__ import annotations

import datetime as dt
from typing import Any

from simspot.fleet import db, protocol
from tests.fleet.ingest_helpers import Fleet
from tests.fleet.mqtt import Client

BOXES = ["box-a", "box-b", "box-c"]
ICCID_A = "89860110000000000214"
ICCID_B = "89860110000000000222"
MAC = "02:00:00:00:00:01"
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def usage(box: str, seq: int, bucket: str, key: str, rx: int, tx: int, scope: str = "uplink"):
    return box, protocol.UsageRecord(
        seq=seq,
        bucket=at(bucket),
        scope=scope,  # type: ignore[arg-type]
        key=key,
        rx=rx,
        tx=tx,
    )


def write(conn: db.Conn, **parts: Any) -> db.Written:
    batch = db.Batch(**parts)
    db.ensure_usage_partitions(conn, batch.months())
    return db.write_batch(conn, batch)


def status(box: str, online: bool = True, **fields: Any) -> protocol.Status:
    return protocol.Status(box=box, online=online, ts=dt.datetime.now(UTC), **fields)


def plan(iccid: str, name: str, allowance: int | None, used: int, **kw: Any) -> protocol.PlanState:
    left = None if allowance is None else max(0, allowance - used)
    return protocol.PlanState(
        iccid=iccid, name=name, allowance=allowance, used=used, left=left, **kw
    )


GB = 1_000_000_000


def seed(conn: db.Conn) -> None:
    conn.execute("UPDATE box SET grp = 'vans' WHERE id IN ('box-a', 'box-b')")
    now = dt.datetime.now(UTC)
    write(
        conn,
        usage=[
            usage("box-a", 1, "2026-11-28T10:00:00", ICCID_A, 1000, 100),
            usage("box-a", 2, "2026-11-28T23:45:00", ICCID_A, 2000, 200),
            usage("box-a", 3, "2026-11-29T00:15:00", "wan:eth0", 4000, 400),
            usage("box-a", 4, "2026-11-28T10:00:00", MAC, 600, 60, scope="client"),
            usage("box-b", 1, "2026-11-29T05:00:00", ICCID_B, 8000, 800),
        ],
        statuses=[
            status(
                "box-a",
                name="Van 1",
                version="0.1.0",
                sharing=True,
                uplink=ICCID_A,
                uplink_label="China Unicom",
                signal=71,
                battery=84,
                clients=3,
                guests=1,
                simulated=["modem", "battery"],
            ),
            status("box-b", online=False),
            status("box-c", sharing=False, reason="the battery is low", reason_id="held.battery"),
        ],
        plans=[
            protocol.Plans(
                box="box-a",
                ts=now,
                plans=[plan(ICCID_A, "Unicom 10 GB", 10 * GB, int(9.5 * GB), state="warning")],
            ),
            protocol.Plans(box="box-c", ts=now, plans=[plan(ICCID_B, "Unlimited", None, GB)]),
        ],
        events=[
            (
                "box-a",
                protocol.Event(
                    seq=1,
                    ts=now - dt.timedelta(minutes=5),
                    kind="hotspot.up",
                    message="the hotspot is up",
                ),
            ),
            (
                "box-a",
                protocol.Event(
                    seq=2,
                    ts=now,
                    kind="guest.added",
                    severity="info",
                    message_id="fleet.alert.not-sharing",  # a known id with its parameters
                    params={"box": "x", "reason": "y"},
                    message="x is not sharing its connection: y.",
                ),
            ),
        ],
        decisions=[
            (
                "box-a",
                protocol.UplinkDecision(
                    seq=1, ts=now, chosen=ICCID_A, previous="wan:eth0", reason="the cable is out"
                ),
            )
        ],
        seen={"box-b"},
    )


class BoxAnswers:
    """A box's MQTT side, reduced to commands: takes its ``cmd`` topic, answers each command."""

    def __init__(self, fleet: Fleet, box: str, ok: bool = True) -> None:
        self.box, self.ok = box, ok
        self.client = Client(
            fleet.broker,
            box,
            fleet.passwords[box],
            f"{box}-answers",
            subscribe=(protocol.topic(box, "cmd"),),
        )
        self.client.wait_connected()
        self.client.wait_subscribed()
        self.answered: set[str] = set()

    def commands(self) -> list[protocol.Command]:
        return [protocol.decode(protocol.Command, m.payload) for m in self.client.messages("/cmd")]

    def answer_all(self) -> int:
        for cmd in self.commands():
            if cmd.id in self.answered:
                continue
            result = protocol.Result(
                box=self.box,
                id=cmd.id,
                ok=self.ok,
                ts=dt.datetime.now(UTC),
                result={"action": cmd.action, "args": cmd.args} if self.ok else {},
                error="" if self.ok else "this box does not take it",
            )
            self.client.publish(protocol.topic(self.box, "result"), protocol.encode(result))
            self.answered.add(cmd.id)
        return len(self.answered)

    def close(self) -> None:
        self.client.close()
