"""End to end: 50 boxes' real reporters (simspot.fleet.report, each with the real ledger in its
own store, on one fake clock) through one Mosquitto into two ingest workers and PostgreSQL. The
store's sums equal what every box's ledger counted, exactly, although the broker restarts in the
middle: boxes and workers race back, and what a box sends before the workers have subscribed
again is PUBACKed and dropped by Mosquitto 2.0 (docs/FLEET.md); the reporters keep those rows
until the ingest's Ack and send them again."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from simspot.dataplane.contract import ClientCounter, Counters, UplinkCounter
from simspot.fleet.report import BrokerSettings, Reporter
from simspot.plans.ledger import Ledger, open_db
from simspot.store import Store
from tests.fleet.ingest_helpers import running_fleet, store_totals, wait_for

pytestmark = pytest.mark.slow

T0 = 1_780_000_000.0  # 2026
MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


class LedgerBox:
    """A box's store whose real ledger is fed from made-up kernel counters."""

    def __init__(self, directory: Path, clock: Clock, iccid: str, seed: int) -> None:
        directory.mkdir(parents=True)
        self.path = directory / "simspot.db"
        self.store = Store(self.path)
        self.ledger = Ledger(open_db(self.store), epoch="test", clock=clock)
        self.iccid = iccid
        self.rng = random.Random(seed)
        self.up = [0, 0]
        self.clients = {m: [0, 0] for m in MACS}

    def traffic(self) -> None:
        for mac in MACS:
            rx, tx = self.rng.randrange(0, 40_000), self.rng.randrange(0, 4_000)
            self.clients[mac][0] += rx
            self.clients[mac][1] += tx
            self.up[0] += rx
            self.up[1] += tx
        self.ledger.observe(
            Counters(
                clients={m: ClientCounter(m, v[0], v[1]) for m, v in self.clients.items()},
                uplinks={self.iccid: UplinkCounter(self.iccid, self.up[0], self.up[1])},
            ),
            self.iccid,
        )
        self.ledger.commit()

    def totals(self, scope: str) -> dict[str, tuple[int, int]]:
        table, col = ("usage_uplink", "iccid") if scope == "uplink" else ("usage_client", "mac")
        rows = self.store.db.execute(
            f"SELECT {col}, SUM(rx), SUM(tx) FROM {table} GROUP BY 1"
        ).fetchall()
        return {str(k): (int(rx), int(tx)) for k, rx, tx in rows if rx or tx}

    def close(self) -> None:
        self.ledger.db.close()
        self.store.close()


async def test_fifty_reporters_through_the_ingest(tmp_path: Path) -> None:
    names = [f"rep-{i:02d}" for i in range(50)]
    with running_fleet(tmp_path, names) as fleet, fleet.conn() as conn:
        fleet.start_worker("ingest-rep-1")
        fleet.start_worker("ingest-rep-2")
        clock = Clock()
        boxes = [
            LedgerBox(tmp_path / n, clock, f"898601100000000{i:05d}", seed=i)
            for i, n in enumerate(names)
        ]
        reporters = [
            Reporter(
                n,
                BrokerSettings(
                    fleet.broker.host, fleet.broker.port, n, fleet.passwords[n],
                    ca_file=fleet.broker.ca_path,
                ),
                b.path,
                clock=clock,
                status=lambda: {"sharing": True, "clients": 2},
                usage_interval_s=0,
                resend_after_s=3.0,
            )
            for n, b in zip(names, boxes, strict=True)
        ]  # fmt: skip
        for r in reporters:
            await r.start()
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 120
            while not all(r.connected for r in reporters):
                assert loop.time() < deadline, "the reporters did not all connect"
                await asyncio.sleep(0.1)

            async def rounds(n: int) -> None:
                for _ in range(n):
                    for b in boxes:
                        b.traffic()
                    clock.t += 60
                    for r in reporters:
                        await r.step()

            await rounds(20)
            # Mid-stream: the broker restarts while the reporters keep counting and sending.
            restart = asyncio.create_task(asyncio.to_thread(fleet.broker.restart))
            while not restart.done():
                await rounds(1)
                await asyncio.sleep(0.05)
            await restart
            await rounds(20)
            for r in reporters:
                r.collect()
            for r in reporters:
                assert await r.drained(180), f"{r.box}: {r.outbox.count()} rows unacknowledged"
        finally:
            for r in reporters:
                await r.stop()

        want_up = {n: b.totals("uplink") for n, b in zip(names, boxes, strict=True)}
        want_cl = {n: b.totals("client") for n, b in zip(names, boxes, strict=True)}
        await asyncio.to_thread(
            wait_for,
            lambda: store_totals(conn) == want_up and store_totals(conn, "client") == want_cl,
            "PostgreSQL's sums equal to the ledgers'",
            180,
        )
        # Every record once: per box, the stored seqs are 1..max without a gap.
        rows = conn.execute(
            "SELECT box_id, count(*), count(DISTINCT seq), min(seq), max(seq) FROM usage "
            "GROUP BY box_id"
        ).fetchall()
        assert len(rows) == 50
        for box, n, distinct, lo, hi in rows:
            assert n == distinct == hi and lo == 1, box
        online = conn.execute("SELECT count(*) FROM box WHERE status IS NOT NULL").fetchone()
        assert online == (50,)
        for b in boxes:
            b.close()


async def test_a_box_whose_clock_is_wrong_is_told_and_stops_sending(tmp_path: Path) -> None:
    # A box without a real-time clock and no time yet counts usage in 1971's buckets: the store
    # will never take them, so the ingest says so in its Ack and the box drops them (sending them
    # again every half minute would only cost mobile data), telling its owner.
    with running_fleet(tmp_path, ["rtc-less"]) as fleet, fleet.conn() as conn:
        worker = fleet.start_worker("ingest-rtc-1")
        clock = Clock()
        clock.t = 31_536_000.0 + 3600  # 1971
        box = LedgerBox(tmp_path / "rtc-less", clock, "89860110000000000001", seed=1)
        told: list[tuple[str, dict[str, object]]] = []
        reporter = Reporter(
            "rtc-less",
            BrokerSettings(
                fleet.broker.host, fleet.broker.port, "rtc-less", fleet.passwords["rtc-less"],
                ca_file=fleet.broker.ca_path,
            ),
            box.path,
            clock=clock,
            usage_interval_s=0,
            resend_after_s=1.0,
            notify=lambda kind, data: told.append((kind, data)),
        )  # fmt: skip
        await reporter.start()
        try:
            for _ in range(5):
                box.traffic()
                clock.t += 60
                await reporter.step()
            reporter.collect()
            assert await reporter.drained(120), f"{reporter.outbox.count()} rows still queued"
            queued = reporter.outbox.count("usage")
        finally:
            await reporter.stop()
        refused = [d for k, d in told if k == "fleet.refused"]
        assert refused and {d["channel"] for d in refused} == {"usage"}, told
        assert all("box clock" in str(d["reason"]) for d in refused)
        assert sum(int(str(d["rows"])) for d in refused) >= 5
        assert queued == 0
        assert store_totals(conn) == {}  # nothing of 1971 in the store
        assert worker.worker.stats.refused >= 1
        box.close()
