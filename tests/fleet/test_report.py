"""The box's reporter against a real Mosquitto (TLS, passwords, the fleet's ACL, persistence).

Usage comes from the real ledger (simspot.plans.ledger) in the box's own store, on a fake clock;
a collector logged in as the fleet server's user plays the ingest (it acknowledges what it got,
as the ingest does after its commit). Every test compares what the collector got, by (box, seq),
with what the ledger counted: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from simspot import i18n
from simspot.dataplane.contract import ClientCounter, Counters, UplinkCounter
from simspot.fleet import protocol
from simspot.fleet.report import BrokerSettings, Reporter
from simspot.plans.ledger import Ledger, open_db
from simspot.store import Store
from tests.fleet.broker import Broker, running_broker
from tests.fleet.mqtt import Client, wait_until

USERS = {
    "fleet": "fleet-server-password-0001",
    "box-1": "box-one-password-000000001",
    "box-2": "box-two-password-000000002",
    "ha": "home-assistant-password-01",
}
T0 = 1_780_000_000.0  # a fake clock's start (2026)
ICCID = "89860110000000000214"
MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03")


class FakeClock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class SimBox:
    """A box's store with the real ledger fed from made-up kernel counters."""

    def __init__(self, directory: Path, clock: FakeClock, seed: int = 1) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "simspot.db"
        self.store = Store(self.path)
        self.ledger = Ledger(open_db(self.store), epoch="test", clock=clock)
        self.rng = random.Random(seed)
        self.up = [0, 0]
        self.clients = {mac: [0, 0] for mac in MACS}

    def traffic(self) -> None:
        for mac in MACS:
            rx, tx = self.rng.randrange(0, 50_000), self.rng.randrange(0, 5_000)
            self.clients[mac][0] += rx
            self.clients[mac][1] += tx
            self.up[0] += rx
            self.up[1] += tx
        self.up[0] += self.rng.randrange(0, 1000)  # the box's own traffic
        self.ledger.observe(
            Counters(
                clients={m: ClientCounter(m, v[0], v[1]) for m, v in self.clients.items()},
                uplinks={ICCID: UplinkCounter(ICCID, self.up[0], self.up[1])},
            ),
            ICCID,
        )
        self.ledger.commit()

    def totals(self) -> dict[tuple[str, str], tuple[int, int]]:
        """What the ledger holds, by (scope, key)."""
        out: dict[tuple[str, str], tuple[int, int]] = {}
        db = self.store.db
        for key, rx, tx in db.execute(
            "SELECT iccid, SUM(rx), SUM(tx) FROM usage_uplink GROUP BY 1"
        ):
            out[("uplink", key)] = (rx, tx)
        for key, rx, tx in db.execute("SELECT mac, SUM(rx), SUM(tx) FROM usage_client GROUP BY 1"):
            out[("client", key)] = (rx, tx)
        return out

    def close(self) -> None:
        self.ledger.db.close()
        self.store.close()


def reported(collector: Client, box: str) -> tuple[dict[tuple[str, str], tuple[int, int]], int]:
    """Usage the collector got from ``box``, each seq counted once; and how many copies came."""
    first: dict[int, dict[str, object]] = {}
    copies = 0
    for m in collector.messages(f"/{box}/usage"):
        body = protocol.decode(protocol.Usage, m.payload)
        assert body.box == box
        for rec in body.records:
            copies += 1
            data = rec.model_dump(mode="json")
            if rec.seq in first:
                assert first[rec.seq] == data, "a seq was sent twice with different contents"
            first[rec.seq] = data
    sums: dict[tuple[str, str], tuple[int, int]] = {}
    for rec in first.values():
        k = (str(rec["scope"]), str(rec["key"]))
        rx, tx = sums.get(k, (0, 0))
        sums[k] = (rx + int(rec["rx"]), tx + int(rec["tx"]))  # type: ignore[call-overload]
    return sums, copies


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with running_broker(tmp_path, USERS, ha_user="ha") as b:
        yield b


@pytest.fixture
def collector(broker: Broker) -> Iterator[Client]:
    c = Client(
        broker,
        "fleet",
        USERS["fleet"],
        "ingest-test",
        persistent=True,
        subscribe=("simspot/v1/+/+",),
        acks=True,
    )
    c.wait_connected()
    c.wait_subscribed()
    yield c
    c.close()


def settings(broker: Broker, box: str) -> BrokerSettings:
    return BrokerSettings(broker.host, broker.port, box, USERS[box], ca_file=broker.ca_path)


async def wait_async(predicate, limit_s: float = 60, what: str = "") -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {limit_s} s waiting for {what}")
        await asyncio.sleep(0.05)


async def test_status_usage_and_events_arrive_once_each(
    tmp_path: Path, broker: Broker, collector: Client
) -> None:
    clock = FakeClock()
    box = SimBox(tmp_path / "box-1", clock)
    told: list[tuple[str, dict[str, object]]] = []
    reporter = Reporter(
        "box-1",
        settings(broker, "box-1"),
        box.path,
        clock=clock,
        status=lambda: {"sharing": True, "clients": 3, "signal": 71, "battery": 88},
        usage_interval_s=0,
        notify=lambda kind, data: told.append((kind, data)),
    )
    await reporter.start()
    runner = asyncio.create_task(reporter.run())
    try:
        await wait_async(lambda: reporter.connected, what="the reporter's connection")
        for _ in range(40):
            box.traffic()
            clock.t += 45  # four buckets' worth of 15 minutes over the run
            await asyncio.sleep(0.01)
        seq = reporter.add_event("plan.threshold", severity="warning", message="75% used")
        decision = reporter.add_uplink_decision(ICCID, previous="wan:eth0", reason="cheaper")
        assert (seq, decision) == (1, 1)
        reporter.collect()
        assert await reporter.drained(60)
    finally:
        runner.cancel()
        await reporter.stop()
    wait_until(lambda: reported(collector, "box-1")[0] == box.totals(), what="every byte")
    sums, _ = reported(collector, "box-1")
    assert sums == box.totals()
    assert sums[("uplink", ICCID)][0] > 0
    wait_until(
        lambda: not collector.messages("/status")[-1].json()["online"], 60, "the goodbye on stop"
    )
    status = [protocol.decode(protocol.Status, m.payload) for m in collector.messages("/status")]
    assert status[0].online and status[0].signal == 71 and status[0].box == "box-1"
    (events,) = [protocol.decode(protocol.Events, m.payload) for m in collector.messages("/events")]
    assert [(e.seq, e.kind, e.severity) for e in events.events] == [
        (1, "plan.threshold", "warning")
    ]
    (uplink,) = [protocol.decode(protocol.Uplink, m.payload) for m in collector.messages("/uplink")]
    assert uplink.decisions[0].chosen == ICCID and uplink.decisions[0].previous == "wan:eth0"
    assert ("fleet.connected", {"broker": f"{broker.host}:{broker.port}"}) in told
    box.close()


async def test_an_hour_offline_then_back_nothing_lost_or_doubled(
    tmp_path: Path, broker: Broker, collector: Client
) -> None:
    clock = FakeClock()
    box = SimBox(tmp_path / "box-1", clock, seed=7)
    reporter = Reporter(
        "box-1", settings(broker, "box-1"), box.path, clock=clock, usage_interval_s=0
    )
    await reporter.start()
    runner = asyncio.create_task(reporter.run())
    try:
        await wait_async(lambda: reporter.connected, what="connected")
        for _ in range(10):
            box.traffic()
            clock.t += 30
            await reporter.step()
        await asyncio.to_thread(broker.stop)
        await wait_async(lambda: not reporter.connected, what="the reporter sees the broker go")
        for _ in range(60):  # an hour of simulated time, a reading a minute
            box.traffic()
            clock.t += 60
            await reporter.step()
        waiting = reporter.outbox.count("usage")
        assert waiting > 0  # kept in the store while the broker was away
        await asyncio.to_thread(broker.restart)
        for _ in range(5):
            box.traffic()
            clock.t += 30
            await reporter.step()
        reporter.collect()
        assert await reporter.drained(120), f"{reporter.outbox.count()} rows never acknowledged"
    finally:
        runner.cancel()
        await reporter.stop()
    wait_until(lambda: reported(collector, "box-1")[0] == box.totals(), 60, "every byte")
    sums, copies = reported(collector, "box-1")
    assert sums == box.totals()
    seqs = sorted(
        r["seq"]
        for m in collector.messages("/box-1/usage")
        for r in json.loads(m.payload)["records"]
    )
    assert sorted(set(seqs)) == list(range(1, max(seqs) + 1))  # numbered without gaps
    assert copies >= len(set(seqs))
    box.close()


async def test_broker_restarted_mid_stream(
    tmp_path: Path, broker: Broker, collector: Client
) -> None:
    """Traffic and the reporter keep running while the broker stops and starts twice. Around
    the first restart the fleet acknowledges nothing (as when the ingest's subscriptions are
    gone): the box keeps those rows after the broker's PUBACK and sends them again until an
    ``Ack`` covers them."""
    clock = FakeClock()
    box = SimBox(tmp_path / "box-1", clock, seed=3)
    reporter = Reporter(
        "box-1",
        settings(broker, "box-1"),
        box.path,
        clock=clock,
        usage_interval_s=0,
        max_records=5,  # many small messages, so a restart lands between some of them
        resend_after_s=2.0,
    )
    await reporter.start()
    runner = asyncio.create_task(reporter.run())
    stop = asyncio.Event()

    async def traffic() -> None:
        while not stop.is_set():
            box.traffic()
            clock.t += 20
            reporter.collect()
            await asyncio.sleep(0.02)

    feeder = asyncio.create_task(traffic())
    try:
        await wait_async(lambda: reporter.connected, what="connected")
        for round_ in range(2):
            await wait_async(lambda: reporter.published > 5, what="some acknowledged")
            if round_ == 0:
                collector.acks = False
            await asyncio.to_thread(broker.restart)
            if round_ == 0:
                taken = reporter.published
                await wait_async(
                    lambda t=taken: reporter.published > t + 3, what="PUBACKs, no acks"
                )
                assert reporter.outbox.unacked() > 0  # taken by the broker, kept by the box
                collector.acks = True
        stop.set()
        await feeder
        reporter.collect()
        assert await reporter.drained(120), f"{reporter.outbox.count()} rows never acknowledged"
    finally:
        stop.set()
        runner.cancel()
        await reporter.stop()
    wait_until(lambda: reported(collector, "box-1")[0] == box.totals(), 60, "every byte")
    assert reported(collector, "box-1")[0] == box.totals()
    box.close()


async def test_commands_run_once_when_allowed_and_are_refused_otherwise(
    tmp_path: Path, broker: Broker, collector: Client
) -> None:
    clock = FakeClock()
    ran: list[protocol.Command] = []
    told: list[tuple[str, dict[str, object]]] = []

    async def run(cmd: protocol.Command) -> dict[str, object]:
        ran.append(cmd)
        if cmd.args.get("id") == "nowhere":
            from simspot.errors import SimspotValueError

            raise SimspotValueError("id: no uplink 'nowhere'", field="id")
        return {"ok": True, "pin": cmd.args["id"]}

    def reporter() -> Reporter:
        return Reporter(
            "box-1",
            settings(broker, "box-1"),
            tmp_path / "box-1" / "simspot.db",
            clock=clock,
            commands=run,
            allow_commands=frozenset({"uplink.use"}),
            notify=lambda kind, data: told.append((kind, data)),
        )

    now = dt.datetime.fromtimestamp(T0, dt.UTC)

    def command(cid: str, action: str, **kw: object) -> bytes:
        return protocol.encode(protocol.Command(id=cid, action=action, ts=now, **kw))  # type: ignore[arg-type]

    def results() -> dict[str, list[dict[str, object]]]:
        out: dict[str, list[dict[str, object]]] = {}
        for m in collector.messages("/box-1/result"):
            body = protocol.decode(protocol.Result, m.payload)
            out.setdefault(body.id, []).append(body.model_dump(mode="json"))
        return out

    # Sent while the box is away: the broker keeps them for its session once it has one.
    box = reporter()
    await box.start()
    await wait_async(lambda: box.connected, what="connected")
    await box.stop()
    collector.publish(
        "simspot/v1/box-1/cmd", command("cmd-use-000001", "uplink.use", args={"id": ICCID})
    )
    collector.publish("simspot/v1/box-1/cmd", command("cmd-off-000001", "hotspot.off"))
    expired = now - dt.timedelta(minutes=5)
    collector.publish(
        "simspot/v1/box-1/cmd",
        command("cmd-old-000001", "uplink.use", args={"id": ICCID}, expires=expired),
    )
    collector.publish(
        "simspot/v1/box-1/cmd", command("cmd-bad-000001", "uplink.use", args={"id": "nowhere"})
    )
    collector.publish("simspot/v1/box-1/cmd", b'{"id": "cmd-junk-00001", "action": "rm -rf"}')
    box = reporter()
    await box.start()
    runner = asyncio.create_task(box.run())
    try:
        await wait_async(lambda: len(results()) == 5, what="five answers")
        # The same command delivered again: answered again, never run again.
        collector.publish(
            "simspot/v1/box-1/cmd", command("cmd-use-000001", "uplink.use", args={"id": ICCID})
        )
        await wait_async(lambda: len(results()["cmd-use-000001"]) == 2, what="the second answer")
        assert await box.drained(30)
    finally:
        runner.cancel()
        await box.stop()
    got = results()
    assert [c.id for c in ran] == ["cmd-use-000001", "cmd-bad-000001"]
    assert got["cmd-use-000001"][0]["ok"] is True
    assert got["cmd-use-000001"][0]["result"] == {"ok": True, "pin": ICCID}
    # The same answer again, in a new outbox row (its own seq, acknowledged on its own).
    first, again = got["cmd-use-000001"]
    assert {**first, "seq": 0} == {**again, "seq": 0} and 0 < first["seq"] < again["seq"]
    assert got["cmd-off-000001"][0]["ok"] is False
    assert "allow_commands" in str(got["cmd-off-000001"][0]["error"])
    assert got["cmd-old-000001"][0]["ok"] is False
    assert "expired" in str(got["cmd-old-000001"][0]["error"])
    assert got["cmd-bad-000001"][0] == {**got["cmd-bad-000001"][0], "ok": False}
    assert "nowhere" in str(got["cmd-bad-000001"][0]["error"])
    assert got["cmd-junk-00001"][0]["ok"] is False
    kinds = [(k, d.get("id")) for k, d in told if k.startswith("fleet.command")]
    assert ("fleet.command", "cmd-use-000001") in kinds
    assert ("fleet.command-done", "cmd-use-000001") in kinds
    assert ("fleet.command-refused", "cmd-off-000001") in kinds
    assert ("fleet.command-refused", "cmd-old-000001") in kinds
    assert ("fleet.command", "cmd-off-000001") not in kinds
    # The refusal reads in the reader's language in the box's event log.
    off = next(d for k, d in told if k == "fleet.command-refused" and d["id"] == "cmd-off-000001")
    said = i18n.render("fleet.command.not-allowed", {"action": off["action"]}, "zh")
    assert said in i18n.event_message("fleet.command-refused", off).text("zh")


async def test_a_full_outbox_keeps_usage_in_the_ledger_and_drops_old_events_saying_so(
    tmp_path: Path, broker: Broker, collector: Client
) -> None:
    clock = FakeClock()
    box = SimBox(tmp_path / "box-1", clock, seed=11)
    told: list[tuple[str, dict[str, object]]] = []
    reporter = Reporter(
        "box-1",
        settings(broker, "box-1"),
        box.path,
        clock=clock,
        usage_interval_s=0,
        outbox_max=8,
        notify=lambda kind, data: told.append((kind, data)),
    )
    # Offline (never started): the outbox fills.
    for _ in range(30):
        box.traffic()
        clock.t += 300
        reporter.collect()
    for i in range(12):
        reporter.add_event("plan.threshold", message=f"event {i}")
    assert reporter.outbox.count("usage") == 8
    assert reporter.outbox.count("events") == 8
    assert ("fleet.outbox-full", {"channel": "usage", "dropped": 0}) in told
    await reporter.start()
    runner = asyncio.create_task(reporter.run())
    try:
        await wait_async(lambda: reporter.connected, what="connected")
        for _ in range(20):  # the backlog leaves in rounds of what fits
            reporter.collect()
            await reporter.drained(30)
        reporter.collect()
        assert await reporter.drained(60)
    finally:
        runner.cancel()
        await reporter.stop()
    wait_until(lambda: reported(collector, "box-1")[0] == box.totals(), 60, "every byte")
    events = [e["message"] for m in collector.messages("/box-1/events") for e in m.json()["events"]]
    assert events == [f"event {i}" for i in range(4, 12)]  # the 4 oldest dropped
    box.close()


async def test_a_guest_pass_gets_its_own_usage_records_from_its_devices(
    tmp_path: Path, broker: Broker, collector: Client
) -> None:
    from simspot.hotspot.guests import GuestBook

    clock = FakeClock()
    box = SimBox(tmp_path / "box-1", clock, seed=5)
    book = GuestBook(box.store, clock=clock)
    anna = book.add("Anna", until=T0 + 86400)
    book.map_mac(MACS[1], anna.id)
    reporter = Reporter(
        "box-1", settings(broker, "box-1"), box.path, clock=clock, usage_interval_s=0
    )
    await reporter.start()
    runner = asyncio.create_task(reporter.run())
    try:
        for _ in range(20):
            box.traffic()
            clock.t += 120
            await reporter.step()
        reporter.collect()
        assert await reporter.drained(60)
    finally:
        runner.cancel()
        await reporter.stop()
    wait_until(lambda: ("guest", anna.id) in reported(collector, "box-1")[0], 60, "guest usage")
    sums, _ = reported(collector, "box-1")
    assert (
        sums[("guest", anna.id)] == sums[("client", MACS[1])] == box.totals()[("client", MACS[1])]
    )
    assert not any(k[0] == "guest" and k[1] != anna.id for k in sums)
    box.close()


def test_a_box_that_vanishes_is_marked_offline_by_its_will(
    tmp_path: Path, broker: Broker, collector: Client
) -> None:
    """A reporter killed without a goodbye: the broker publishes its will (retained, offline)."""
    import os
    import signal
    import subprocess
    import sys

    code = f"""
import asyncio
from pathlib import Path
from simspot.fleet.report import BrokerSettings, Reporter
async def main():
    r = Reporter("box-2", BrokerSettings({broker.host!r}, {broker.port}, "box-2",
                 {USERS["box-2"]!r}, ca_file=Path({str(broker.ca_path)!r})),
                 Path({str(tmp_path / "box-2" / "simspot.db")!r}), status=lambda: {{"clients": 2}})
    await r.start()
    await r.run()
asyncio.run(main())
"""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(root / "src")}
    )
    try:
        wait_until(
            lambda: any(m.json()["online"] for m in collector.messages("/box-2/status")),
            60,
            "the box online",
        )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    wait_until(lambda: not collector.messages("/box-2/status")[-1].json()["online"], 60, "the will")
    will = protocol.decode(protocol.Status, collector.messages("/box-2/status")[-1].payload)
    assert will.box == "box-2" and not will.online
    # Retained: whoever looks later sees the box offline.
    late = Client(broker, "fleet", USERS["fleet"], "late", subscribe=("simspot/v1/box-2/status",))
    try:
        wait_until(lambda: late.messages(), 60, "the retained status")
        assert late.messages()[0].retain and not late.messages()[0].json()["online"]
    finally:
        late.close()
