"""The ledger against a counter source the test controls: restarts, crashes, resets, corrections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from simspot.dataplane.contract import ClientCounter, Counters, UplinkCounter
from simspot.plans.cycles import cycle_at
from simspot.plans.ledger import Ledger, PlanBook, open_db
from simspot.plans.model import MonthlyCycle, Plan
from simspot.plans.status import plan_status
from simspot.plans.thresholds import check, levels_reached
from simspot.store import Store

ICCID = "8944200000000000017"
MAC = "02:5e:00:aa:bb:cc"
T0 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC).timestamp()
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FAR = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def counters(up: tuple[int, int], client: tuple[int, int] | None = None) -> Counters:
    clients = {MAC: ClientCounter(MAC, client[0], client[1])} if client else {}
    return Counters(clients=clients, uplinks={ICCID: UplinkCounter(ICCID, up[0], up[1])})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "simspot.db")
    yield s
    s.close()


def ledger(store: Store, clock: Clock, epoch: str = "boot-1/table-1") -> Ledger:
    return Ledger(open_db(store), epoch=epoch, clock=clock)


def total(led: Ledger) -> int:
    return led.uplink_usage(ICCID, LONG_AGO, FAR).total


def test_counts_growth_both_directions_per_uplink_and_client(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock)
    led.observe(counters((1000, 200), (900, 150)), ICCID)
    clock.t += 5
    led.observe(counters((5000, 700), (4500, 600)), ICCID)
    u = led.uplink_usage(ICCID, LONG_AGO, FAR)
    assert (u.rx, u.tx) == (5000, 700)
    c = led.client_usage(MAC, LONG_AGO, FAR)
    assert (c.rx, c.tx) == (4500, 600)
    assert led.tethering_usage(ICCID, LONG_AGO, FAR).total == 5100
    led.commit()
    # Committed values read back the same from a fresh ledger.
    again = ledger(store, clock)
    assert again.uplink_usage(ICCID, LONG_AGO, FAR) == u


def test_clean_restart_and_crash_lose_nothing(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock)
    led.observe(counters((10_000, 1_000)), ICCID)
    led.commit()
    clock.t += 3
    led.observe(counters((25_000, 2_000)), ICCID)  # observed but never committed: then SIGKILL
    del led
    # The kernel kept counting while the daemon was down.
    clock.t += 60
    led = ledger(store, clock)
    assert total(led) == 11_000  # only what was committed is on disk
    led.observe(counters((40_000, 3_333)), ICCID)
    led.commit()
    assert total(led) == 43_333  # exact: the delta since the last commit is attributed on start
    # A second crash right after a commit, and a clean restart: still exact.
    led.observe(counters((41_000, 3_400)), ICCID)
    led = ledger(store, clock)
    led.observe(counters((41_500, 3_500)), ICCID)
    assert total(led) == 45_000


def test_reboot_loses_at_most_what_was_not_committed(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock, epoch="boot-1/table-1")
    led.observe(counters((100_000, 10_000)), ICCID)
    led.commit()
    led.observe(counters((100_500, 10_000)), ICCID)  # 500 bytes in the last interval: lost
    # Reboot: new boot id, a new table counting from zero; the new counter is already larger
    # than the old one, which only the epoch can tell.
    led = ledger(store, clock, epoch="boot-2/table-1")
    led.observe(counters((200_000, 20_000)), ICCID)
    led.commit()
    assert total(led) == 110_000 + 220_000
    assert led.resets == 1


def test_counter_going_backwards_is_a_reset_not_negative_usage(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock)
    led.observe(counters((50_000, 5_000), (40_000, 4_000)), ICCID)
    led.commit()
    # Same epoch but the counters restarted (table flushed by someone): count from zero.
    led.observe(counters((1_000, 100), (800, 80)), ICCID)
    led.commit()
    assert total(led) == 55_000 + 1_100
    assert led.client_usage(MAC, LONG_AGO, FAR).total == 44_000 + 880
    assert led.resets == 2


def test_usage_lands_in_the_bucket_of_the_moment_it_was_seen(store: Store) -> None:
    clock = Clock(T0 + 899)  # last second of a quarter hour
    led = ledger(store, clock)
    led.observe(counters((100, 0)), ICCID)
    clock.t += 1
    led.observe(counters((350, 0)), ICCID)
    led.commit()
    b0 = dt.datetime.fromtimestamp(T0, dt.UTC)
    b1 = b0 + dt.timedelta(minutes=15)
    assert led.uplink_usage(ICCID, b0, b1).total == 100
    assert led.uplink_usage(ICCID, b1, b1 + dt.timedelta(minutes=15)).total == 250
    assert led.buckets("uplink", b0, b1 + dt.timedelta(hours=1)) == {
        (ICCID, int(T0)): led.uplink_usage(ICCID, b0, b1),
        (ICCID, int(T0) + 900): led.uplink_usage(ICCID, b1, FAR),
    }


def test_client_traffic_is_attributed_to_the_uplink_in_use(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock)
    other = "8988247000000000021"
    led.observe(counters((0, 0), (1_000, 0)), ICCID)
    led.observe(counters((0, 0), (3_000, 0)), other)
    assert led.tethering_usage(ICCID, LONG_AGO, FAR).total == 1_000
    assert led.tethering_usage(other, LONG_AGO, FAR).total == 2_000
    assert led.client_usage(MAC, LONG_AGO, FAR).total == 3_000


def plan(**kw: object) -> Plan:
    data: dict[str, object] = {
        "iccid": ICCID,
        "name": "Test",
        "allowance_bytes": 1_000_000,
        "cycle": {"kind": "monthly", "day": 1},
    } | kw
    return Plan.model_validate(data)


def test_correction_sets_used_and_counting_continues(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock)
    p = plan()
    led.observe(counters((100_000, 0)), ICCID)
    now = dt.datetime.fromtimestamp(clock.t, dt.UTC)
    st = plan_status(1, p, led, now)
    assert st.used_bytes == 100_000
    # The carrier says 300 kB: store the difference as an adjustment row.
    led.add_adjustment(ICCID, "total", 300_000 - st.used_bytes, 300_000, "carrier app")
    assert plan_status(1, p, led, now).used_bytes == 300_000
    clock.t += 10
    led.observe(counters((150_000, 0)), ICCID)
    led.commit()
    st = plan_status(1, p, led, dt.datetime.fromtimestamp(clock.t, dt.UTC))
    assert st.used_bytes == 350_000 and st.counted.total == 150_000
    assert st.remaining_bytes == 650_000
    # The correction belongs to its cycle: the next cycle starts from zero.
    april = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert plan_status(1, p, led, april).used_bytes == 0


def test_thresholds_fire_exactly_once_per_cycle_even_across_restarts(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock)
    p = plan(allowance_bytes=1_000)
    fired: list[tuple[str, int]] = []

    def step(up: int) -> None:
        led.observe(counters((up, 0)), ICCID)
        st = plan_status(1, p, led, dt.datetime.fromtimestamp(clock.t, dt.UTC))
        for w in check(st, led, (50, 80, 90, 100), ()):
            fired.append((w.kind, int(w.data.get("percent", 100))))

    step(100)
    assert fired == []
    step(500)
    assert fired == [("plan.threshold", 50)]
    step(700)
    step(850)  # 80 reached, 90 not
    led.commit()
    led = ledger(store, clock)  # restart: nothing fires again
    step(850)
    step(950)
    assert fired == [("plan.threshold", 50), ("plan.threshold", 80), ("plan.threshold", 90)]
    # A correction down and up again does not repeat warnings in the same cycle.
    led.add_adjustment(ICCID, "total", -900, 50, None)
    step(950)
    led.add_adjustment(ICCID, "total", 900, 950, None)
    step(1_000)
    assert fired[-2:] == [("plan.threshold", 100), ("plan.limit", 100)]
    assert len(fired) == 5
    # Next cycle: the counters keep growing and warnings start afresh.
    clock.t = dt.datetime(2026, 4, 2, tzinfo=dt.UTC).timestamp()
    step(1_000)
    step(1_600)
    assert fired[5:] == [("plan.threshold", 50)]


def test_levels_reached_is_exact_at_the_boundary() -> None:
    assert levels_reached(499, 1000, (50, 80)) == []
    assert levels_reached(500, 1000, (50, 80)) == [50]
    assert levels_reached(10**12, None, (50,)) == []
    assert levels_reached(0, 0, (50, 100)) == [50, 100]


def test_switch_action_raises_the_switch_event_once(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock)
    p = plan(allowance_bytes=10_000, action="switch")
    led.observe(counters((10_000, 0)), ICCID)
    now = dt.datetime.fromtimestamp(clock.t, dt.UTC)
    kinds = [w.kind for w in check(plan_status(1, p, led, now), led, (100,), ())]
    assert kinds == ["plan.threshold", "plan.limit", "plan.switch-uplink"]
    assert check(plan_status(1, p, led, now), led, (100,), ()) == []


def test_plan_book_refuses_unknown_iccid_and_duplicates(store: Store) -> None:
    from simspot.plans.model import PlanError

    book = PlanBook(open_db(store))
    data = {"iccid": ICCID, "name": "A", "cycle": {"kind": "monthly", "day": 5}}
    with pytest.raises(PlanError, match="has not been seen on any SIM slot or eSIM profile"):
        book.add(data)
    book.remember_iccids([ICCID], "modem")
    pid, p = book.add(data)
    assert book.find(ICCID) == (pid, p) and book.find("A") == (pid, p)
    with pytest.raises(PlanError, match="already has a plan"):
        book.add(data | {"name": "B"})
    pid2, p2 = book.edit("A", {"allowance_bytes": 5_000})
    assert pid2 == pid and p2.allowance_bytes == 5_000
    with pytest.raises(PlanError, match="stays with its SIM"):
        book.edit("A", {"iccid": "8988247000000000021"})
    assert book.delete(str(pid))[0] == pid
    with pytest.raises(PlanError, match="no plan 'A'"):
        book.find("A")
    # Monthly cycle sanity through the stored model.
    assert cycle_at(MonthlyCycle(day=5), p.zone(), dt.datetime(2026, 1, 5, tzinfo=dt.UTC))


def test_reconciled_client_bytes_go_to_the_uplink_that_grew_when_none_is_known_yet(
    store: Store,
) -> None:
    clock = Clock()
    led = ledger(store, clock)
    led.observe(counters((1_000, 0), (800, 0)), ICCID)
    led.commit()
    led = ledger(store, clock)  # restarted: the modem has not been read yet
    led.observe(counters((6_000, 0), (4_800, 0)), None)
    assert led.tethering_usage(ICCID, LONG_AGO, FAR).total == 4_800


def test_a_level_once_recorded_costs_no_more_writes(store: Store) -> None:
    clock = Clock()
    led = ledger(store, clock)
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert led.fire_once(ICCID, start, "allowance", 50) is True
    changes = store.db.total_changes
    mine = led.db.total_changes
    for _ in range(100):
        assert led.fire_once(ICCID, start, "allowance", 50) is False
    assert led.db.total_changes == mine and store.db.total_changes == changes
    # Recorded on disk: a restarted ledger does not fire it either.
    assert ledger(store, clock).fire_once(ICCID, start, "allowance", 50) is False
    assert led.fired(ICCID, start) == [("allowance", 50)]
