"""The usage ledger and the plans database (SQLite, in the daemon's state database).

The data plane's counters are cumulative since its table was created and survive daemon restarts.
The ledger keeps the last counter values it committed (``counter_seen``) in the same transaction
as the usage buckets those values produced, so at any moment

    committed usage + (kernel counter now - committed counter) == everything counted

holds, whether the daemon stopped cleanly, was SIGKILLed, or never ran for a while: on start the
difference is attributed at once (``observe`` then ``commit``). A counter that went backwards, a
key that is new, or a different table identity (``epoch``: boot id plus the data plane's table
identity) means the kernel started counting from zero, so its whole value is new usage; after a
reboot only what was counted between the last commit and the reboot is lost (one commit interval).

Usage lives in buckets of 15 minutes (hourly reports sum four), per uplink identity (ICCID) and
per client MAC (with the uplink in use), both directions. Quarter hours are the grid every time
zone's midnight falls on (+05:30, +05:45, +12:45), so a billing cycle or a local day is an exact
set of buckets. The ledger uses its own connection with ``synchronous=FULL`` so that a commit is
on disk when it returns (power loss included); the rest of the store keeps its own settings.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from simspot.dataplane.contract import Counters
from simspot.errors import StateError
from simspot.plans.model import ClientLimit, Plan, PlanError, parse_plan
from simspot.store import Store

BUCKET_S = 900

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE plan (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        iccid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE plan_known_iccid (
        iccid TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL
    );
    CREATE TABLE usage_uplink (
        iccid TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        rx INTEGER NOT NULL,
        tx INTEGER NOT NULL,
        PRIMARY KEY (iccid, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE usage_client (
        mac TEXT NOT NULL,
        uplink TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        rx INTEGER NOT NULL,
        tx INTEGER NOT NULL,
        PRIMARY KEY (mac, uplink, bucket)
    ) WITHOUT ROWID;
    CREATE INDEX usage_client_by_uplink ON usage_client (uplink, bucket);
    CREATE TABLE counter_seen (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        rx INTEGER NOT NULL,
        tx INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
    ) WITHOUT ROWID;
    CREATE TABLE counter_epoch (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        epoch TEXT NOT NULL,
        committed_at REAL NOT NULL
    );
    CREATE TABLE usage_adjustment (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        iccid TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('total', 'tethering')),
        ts REAL NOT NULL,
        delta INTEGER NOT NULL,
        set_to INTEGER NOT NULL,
        note TEXT
    );
    CREATE INDEX usage_adjustment_by_iccid ON usage_adjustment (iccid, scope, ts);
    CREATE TABLE plan_fired (
        iccid TEXT NOT NULL,
        cycle_start REAL NOT NULL,
        kind TEXT NOT NULL,
        level INTEGER NOT NULL,
        fired_at REAL NOT NULL,
        PRIMARY KEY (iccid, cycle_start, kind, level)
    ) WITHOUT ROWID;
    CREATE TABLE client_limit (
        mac TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # The last name each client had, so usage and events name devices that have left.
    """
    CREATE TABLE client_name (
        mac TEXT PRIMARY KEY,
        hostname TEXT NOT NULL,
        last_seen REAL NOT NULL
    ) WITHOUT ROWID;
    """,
)


def open_db(store: Store) -> sqlite3.Connection:
    """Migrate the plans tables and open the plans' own connection to the state database."""
    store.migrate("plans", MIGRATIONS)
    return connect(store.path)


def connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA busy_timeout=5000")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise StateError(
            f"cannot open the plans database {path}: {exc}",
            msg_id="plan.db.open",
            params={"path": str(path), "problem": str(exc)},
        ) from None
    return db


@dataclass(frozen=True)
class Usage:
    rx: int = 0
    tx: int = 0

    @property
    def total(self) -> int:
        return self.rx + self.tx

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.rx + other.rx, self.tx + other.tx)


def _ts(t: dt.datetime) -> float:
    return t.timestamp()


class _Db:
    """A connection with one lock and short explicit transactions."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.lock = threading.RLock()

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
                raise StateError(
                    f"plans database: {exc}", msg_id="plan.db.failed", params={"problem": str(exc)}
                ) from None
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        with self.lock:
            try:
                return self.db.execute(sql, tuple(args)).fetchall()
            except sqlite3.Error as exc:
                raise StateError(
                    f"plans database: {exc}", msg_id="plan.db.failed", params={"problem": str(exc)}
                ) from None


Key = tuple[str, str]  # ("uplink", iccid) or ("client", mac)


class Ledger(_Db):
    """Kernel counters in, usage buckets out; see the module docstring for the invariant."""

    def __init__(
        self,
        db: sqlite3.Connection,
        *,
        epoch: str,
        clock: Callable[[], float] = time.time,
        bucket_s: int = BUCKET_S,
    ) -> None:
        super().__init__(db)
        self.epoch = epoch
        self.clock = clock
        self.bucket_s = bucket_s
        rows = self.query("SELECT epoch FROM counter_epoch WHERE id = 1")
        self._stored_epoch: str | None = rows[0][0] if rows else None
        self._seen: dict[Key, tuple[int, int]] = {
            (s, k): (rx, tx) for s, k, rx, tx in self.query("SELECT * FROM counter_seen")
        }
        # (scope, key, uplink, bucket) -> [rx, tx], not yet committed
        self._pending: dict[tuple[str, str, str, int], list[int]] = {}
        self._dirty = False
        self._fired: set[tuple[str, float, str, int]] = set()
        self.observed = False  # True once counters were read in this process
        self.resets = 0  # counters found restarted from zero (reboot, table recreated)
        self.last_commit = self.clock()

    # -- counting ------------------------------------------------------------------------------
    def observe(self, counters: Counters, uplink: str | None) -> None:
        """Attribute what the counters grew since the last observation to the bucket of now."""
        bucket = int(self.clock() // self.bucket_s) * self.bucket_s
        if self._stored_epoch != self.epoch:
            # Another table (or boot): its counters started from zero, none were seen yet.
            if self._seen:
                self.resets += 1
            self._seen = {}
            self._stored_epoch = self.epoch
            self._dirty = True
        current: dict[Key, tuple[int, int]] = {}
        for iccid, uc in counters.uplinks.items():
            current[("uplink", iccid)] = (uc.rx_bytes, uc.tx_bytes)
        for mac, cc in counters.clients.items():
            current[("client", mac)] = (cc.rx_bytes, cc.tx_bytes)
        deltas: dict[Key, tuple[int, int]] = {}
        for key, (rx, tx) in current.items():
            prev = self._seen.get(key)
            if prev is None or rx < prev[0] or tx < prev[1]:
                if prev is not None:
                    self.resets += 1
                deltas[key] = (rx, tx)
            else:
                deltas[key] = (rx - prev[0], tx - prev[1])
        if uplink is None:
            # Not known yet (the first reading after a start comes before the modem's): the
            # uplink whose counter grew most is the one the clients' traffic went through.
            grown = [(sum(d), k[1]) for k, d in deltas.items() if k[0] == "uplink" and any(d)]
            uplink = max(grown)[1] if grown else None
        for key, (drx, dtx) in deltas.items():
            if drx or dtx:
                via = (uplink or "") if key[0] == "client" else ""
                row = self._pending.setdefault((key[0], key[1], via, bucket), [0, 0])
                row[0] += drx
                row[1] += dtx
        if current != self._seen:
            self._dirty = True
        self._seen = current
        self.observed = True

    def commit(self) -> None:
        """Write the pending buckets and the counters they came from in one transaction."""
        if not self._dirty and not self._pending:
            self.last_commit = self.clock()
            return
        now = self.clock()
        with self.tx() as db:
            db.executemany(
                "INSERT INTO usage_uplink (iccid, bucket, rx, tx) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (iccid, bucket) DO UPDATE SET rx = rx + excluded.rx, "
                "tx = tx + excluded.tx",
                [(k, b, v[0], v[1]) for (s, k, _, b), v in self._pending.items() if s == "uplink"],
            )
            db.executemany(
                "INSERT INTO usage_client (mac, uplink, bucket, rx, tx) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (mac, uplink, bucket) DO UPDATE SET rx = rx + excluded.rx, "
                "tx = tx + excluded.tx",
                [
                    (k, u, b, v[0], v[1])
                    for (s, k, u, b), v in self._pending.items()
                    if s == "client"
                ],
            )
            db.execute("DELETE FROM counter_seen")
            db.executemany(
                "INSERT INTO counter_seen (scope, key, rx, tx) VALUES (?, ?, ?, ?)",
                [(s, k, rx, tx) for (s, k), (rx, tx) in self._seen.items()],
            )
            db.execute(
                "INSERT INTO counter_epoch (id, epoch, committed_at) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, "
                "committed_at = excluded.committed_at",
                (self.epoch, now),
            )
        self._pending.clear()
        self._dirty = False
        self.last_commit = now

    @property
    def pending_bytes(self) -> int:
        return sum(v[0] + v[1] for (s, *_), v in self._pending.items() if s == "uplink")

    def counter(self, scope: Literal["uplink", "client"], key: str) -> int:
        """The last observed cumulative counter (rx + tx) of an uplink or a client."""
        rx, tx = self._seen.get((scope, key), (0, 0))
        return rx + tx

    # -- reading -------------------------------------------------------------------------------
    def _bounds(self, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
        return int(_ts(start)), int(_ts(end))

    def _pending_sum(
        self, scope: str, key: str | None, via: str | None, start: int, end: int
    ) -> Usage:
        rx = tx = 0
        for (s, k, u, b), v in self._pending.items():
            if (
                s == scope
                and (key is None or k == key)
                and (via is None or u == via)
                and start <= b < end
            ):
                rx += v[0]
                tx += v[1]
        return Usage(rx, tx)

    def uplink_usage(self, iccid: str, start: dt.datetime, end: dt.datetime) -> Usage:
        """Everything counted on the uplink in ``[start, end)`` (by bucket start)."""
        s, e = self._bounds(start, end)
        rx, tx = self.query(
            "SELECT COALESCE(SUM(rx), 0), COALESCE(SUM(tx), 0) FROM usage_uplink "
            "WHERE iccid = ? AND bucket >= ? AND bucket < ?",
            (iccid, s, e),
        )[0]
        return Usage(int(rx), int(tx)) + self._pending_sum("uplink", iccid, "", s, e)

    def tethering_usage(self, iccid: str, start: dt.datetime, end: dt.datetime) -> Usage:
        """Hotspot clients' traffic over this uplink in ``[start, end)``."""
        s, e = self._bounds(start, end)
        rx, tx = self.query(
            "SELECT COALESCE(SUM(rx), 0), COALESCE(SUM(tx), 0) FROM usage_client "
            "WHERE uplink = ? AND bucket >= ? AND bucket < ?",
            (iccid, s, e),
        )[0]
        return Usage(int(rx), int(tx)) + self._pending_sum("client", None, iccid, s, e)

    def client_usage(self, mac: str, start: dt.datetime, end: dt.datetime) -> Usage:
        s, e = self._bounds(start, end)
        rx, tx = self.query(
            "SELECT COALESCE(SUM(rx), 0), COALESCE(SUM(tx), 0) FROM usage_client "
            "WHERE mac = ? AND bucket >= ? AND bucket < ?",
            (mac, s, e),
        )[0]
        return Usage(int(rx), int(tx)) + self._pending_sum("client", mac, None, s, e)

    def buckets(
        self, scope: Literal["uplink", "client"], start: dt.datetime, end: dt.datetime
    ) -> dict[tuple[str, int], Usage]:
        """(key, bucket start) -> usage, committed and pending, for reports."""
        s, e = self._bounds(start, end)
        table, col = ("usage_uplink", "iccid") if scope == "uplink" else ("usage_client", "mac")
        out: dict[tuple[str, int], Usage] = {}
        for key, bucket, rx, tx in self.query(
            f"SELECT {col}, bucket, SUM(rx), SUM(tx) FROM {table} "  # noqa: S608 - fixed names
            "WHERE bucket >= ? AND bucket < ? GROUP BY 1, 2",
            (s, e),
        ):
            out[(key, int(bucket))] = Usage(int(rx), int(tx))
        for (sc, k, _, b), v in self._pending.items():
            if sc == scope and s <= b < e:
                out[(k, b)] = out.get((k, b), Usage()) + Usage(v[0], v[1])
        return out

    def keys(self, scope: Literal["uplink", "client"]) -> list[str]:
        table, col = ("usage_uplink", "iccid") if scope == "uplink" else ("usage_client", "mac")
        rows = self.query(f"SELECT DISTINCT {col} FROM {table}")  # noqa: S608 - fixed names
        found = {str(r[0]) for r in rows}
        found |= {k for (s, k, _, _) in self._pending if s == scope}
        return sorted(found)

    # -- corrections -----------------------------------------------------------------------------
    def adjustment(
        self, iccid: str, scope: Literal["total", "tethering"], start: dt.datetime, end: dt.datetime
    ) -> int:
        rows = self.query(
            "SELECT COALESCE(SUM(delta), 0) FROM usage_adjustment "
            "WHERE iccid = ? AND scope = ? AND ts >= ? AND ts < ?",
            (iccid, scope, _ts(start), _ts(end)),
        )
        return int(rows[0][0])

    def add_adjustment(
        self,
        iccid: str,
        scope: Literal["total", "tethering"],
        delta: int,
        set_to: int,
        note: str | None = None,
    ) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT INTO usage_adjustment (iccid, scope, ts, delta, set_to, note) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (iccid, scope, self.clock(), delta, set_to, note),
            )

    # -- warnings fired once per cycle -----------------------------------------------------------
    def fire_once(self, iccid: str, cycle_start: dt.datetime, kind: str, level: int) -> bool:
        """Record a warning; True only the first time for this plan, cycle, kind and level.

        Levels known to be recorded are remembered, so a plan sitting above a threshold costs
        no write per poll.
        """
        key = (iccid, _ts(cycle_start), kind, level)
        if key in self._fired:
            return False
        with self.tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO plan_fired (iccid, cycle_start, kind, level, fired_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (iccid, _ts(cycle_start), kind, level, self.clock()),
            )
            first = cur.rowcount == 1
        self._fired.add(key)
        return first

    def fired(self, iccid: str, cycle_start: dt.datetime) -> list[tuple[str, int]]:
        return [
            (str(k), int(lv))
            for k, lv in self.query(
                "SELECT kind, level FROM plan_fired WHERE iccid = ? AND cycle_start = ? "
                "ORDER BY kind, level",
                (iccid, _ts(cycle_start)),
            )
        ]


class PlanBook(_Db):
    """Plans, the ICCIDs the modem has shown, per-client limits and the clients' last names."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        super().__init__(db)
        self.clock = clock
        self._cache: list[tuple[int, Plan]] | None = None
        self._names: dict[str, str] | None = None

    # -- ICCIDs --------------------------------------------------------------------------------
    def remember_iccids(self, iccids: Collection[str], source: str) -> None:
        now = self.clock()
        with self.tx() as db:
            db.executemany(
                "INSERT INTO plan_known_iccid (iccid, source, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (iccid) DO UPDATE SET last_seen = excluded.last_seen",
                [(i, source, now, now) for i in iccids],
            )

    def known_iccids(self) -> set[str]:
        return {str(r[0]) for r in self.query("SELECT iccid FROM plan_known_iccid")}

    # -- plans ---------------------------------------------------------------------------------
    def plans(self) -> list[tuple[int, Plan]]:
        if self._cache is None:
            rows = self.query("SELECT id, body FROM plan ORDER BY id")
            self._cache = [
                (
                    int(i),
                    Plan.model_validate_json(b, context={"known_iccids": {json.loads(b)["iccid"]}}),
                )
                for i, b in rows
            ]
        return list(self._cache)

    def for_iccid(self, iccid: str) -> tuple[int, Plan] | None:
        return next(((i, p) for i, p in self.plans() if p.iccid == iccid), None)

    def find(self, ref: str) -> tuple[int, Plan]:
        """A plan by id, ICCID or name."""
        for i, p in self.plans():
            if ref in (str(i), p.iccid, p.name):
                return i, p
        raise PlanError(msg_id="plan.unknown", params={"ref": repr(ref)})

    def add(self, data: dict[str, Any]) -> tuple[int, Plan]:
        known = self.known_iccids()
        plan = parse_plan(data, known)
        if plan.iccid not in known:
            raise PlanError(
                field="iccid",
                msg_id="plan.iccid.unseen",
                params={"field": "iccid", "iccid": plan.iccid},
            )
        if self.for_iccid(plan.iccid) is not None:
            raise PlanError(
                field="iccid",
                msg_id="plan.iccid.taken",
                params={"field": "iccid", "iccid": plan.iccid},
            )
        if any(p.name == plan.name for _, p in self.plans()):
            raise PlanError(
                field="name",
                msg_id="plan.name.taken",
                params={"field": "name", "name": repr(plan.name)},
            )
        now = self.clock()
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO plan (iccid, name, body, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (plan.iccid, plan.name, plan.model_dump_json(), now, now),
            )
            pid = int(cur.lastrowid or 0)
        self._cache = None
        return pid, plan

    def edit(self, ref: str, changes: dict[str, Any]) -> tuple[int, Plan]:
        pid, old = self.find(ref)
        if "iccid" in changes and changes["iccid"] != old.iccid:
            raise PlanError(field="iccid", msg_id="plan.iccid.fixed", params={"field": "iccid"})
        data = old.model_dump(mode="json") | changes
        plan = parse_plan(data, {old.iccid})
        if any(p.name == plan.name and i != pid for i, p in self.plans()):
            raise PlanError(
                field="name",
                msg_id="plan.name.taken",
                params={"field": "name", "name": repr(plan.name)},
            )
        with self.tx() as db:
            db.execute(
                "UPDATE plan SET name = ?, body = ?, updated_at = ? WHERE id = ?",
                (plan.name, plan.model_dump_json(), self.clock(), pid),
            )
        self._cache = None
        return pid, plan

    def delete(self, ref: str) -> tuple[int, Plan]:
        pid, plan = self.find(ref)
        with self.tx() as db:
            db.execute("DELETE FROM plan WHERE id = ?", (pid,))
        self._cache = None
        return pid, plan

    # -- client names --------------------------------------------------------------------------
    def remember_names(self, names: dict[str, str]) -> None:
        """Keep each MAC's latest hostname (only what changed is written)."""
        if self._names is None:
            self.client_names()
        known = self._names or {}
        changed = {m: h for m, h in names.items() if h and known.get(m) != h}
        if not changed:
            return
        now = self.clock()
        with self.tx() as db:
            db.executemany(
                "INSERT INTO client_name (mac, hostname, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (mac) DO UPDATE SET hostname = excluded.hostname, "
                "last_seen = excluded.last_seen",
                [(m, h, now) for m, h in changed.items()],
            )
        known.update(changed)
        self._names = known

    def client_names(self) -> dict[str, str]:
        """MAC -> the last hostname it was seen with (clients that left included)."""
        if self._names is None:
            self._names = {
                str(m): str(h) for m, h in self.query("SELECT mac, hostname FROM client_name")
            }
        return dict(self._names)

    # -- client limits ---------------------------------------------------------------------------
    def client_limits(self) -> dict[str, ClientLimit]:
        return {
            str(mac): ClientLimit.model_validate_json(body)
            for mac, body in self.query("SELECT mac, body FROM client_limit ORDER BY mac")
        }

    def set_client_limit(self, limit: ClientLimit) -> None:
        with self.tx() as db:
            if all(
                v is None
                for v in (
                    limit.day_bytes,
                    limit.cycle_bytes,
                    limit.rate_down_kbit,
                    limit.rate_up_kbit,
                )
            ):
                db.execute("DELETE FROM client_limit WHERE mac = ?", (limit.mac,))
                return
            db.execute(
                "INSERT INTO client_limit (mac, body, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (mac) DO UPDATE SET body = excluded.body, "
                "updated_at = excluded.updated_at",
                (limit.mac, limit.model_dump_json(), self.clock()),
            )
