"""Enforcement as a pure spec transformation, and plan states that imply it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from simspot.dataplane.contract import ClientSpec, DataplaneSpec
from simspot.plans.enforce import ClientLimitNow, Enforcement, UplinkLimit, apply
from simspot.plans.ledger import Ledger, open_db
from simspot.plans.model import Action, Plan
from simspot.plans.status import plan_status
from simspot.store import Store

ICCID = "8944200000000000017"
A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
SPEC = DataplaneSpec(
    "lan0", "wwan0", ICCID, (ClientSpec(A, ("192.168.44.10",)), ClientSpec(B, quota_bytes=500))
)


def test_before_the_first_reading_every_client_is_blocked_when_limits_exist() -> None:
    out = apply(SPEC, Enforcement(ready=False, limited=True))
    assert all(c.blocked for c in out.clients)
    assert out.total_quota_bytes is None
    assert apply(SPEC, Enforcement(ready=False, limited=False)) == SPEC


def test_stop_and_switch_become_a_total_quota_on_the_cumulative_counter() -> None:
    actions: tuple[Action, ...] = ("stop", "switch")
    for action in actions:
        e = Enforcement(True, True, {ICCID: UplinkLimit(ICCID, action, 1_000, 123_456)})
        out = apply(SPEC, e)
        assert out.total_quota_bytes == 124_456
        assert not any(c.blocked for c in out.clients)
    # A plan of another uplink does not limit this one; unlimited sets no quota.
    other = Enforcement(True, True, {"8988247000000000021": UplinkLimit("x", "stop", 0, 5)})
    assert apply(SPEC, other).total_quota_bytes is None
    unlimited = Enforcement(True, True, {ICCID: UplinkLimit(ICCID, "stop", None, 99)})
    assert apply(SPEC, unlimited).total_quota_bytes is None


def test_throttle_caps_every_client_once_used_up() -> None:
    lim = UplinkLimit(ICCID, "throttle", 0, 10, exhausted=True, throttle_kbit=128)
    out = apply(SPEC, Enforcement(True, True, {ICCID: lim}))
    assert out.total_quota_bytes is None
    assert {(c.rate_down_kbit, c.rate_up_kbit) for c in out.clients} == {(128, 128)}
    early = UplinkLimit(ICCID, "throttle", 500, 10, exhausted=False, throttle_kbit=128)
    assert apply(SPEC, Enforcement(True, True, {ICCID: early})).clients == SPEC.clients


def test_tethering_not_allowed_blocks_every_client() -> None:
    lim = UplinkLimit(ICCID, "stop", None, 0, tethering_allowed=False)
    assert all(c.blocked for c in apply(SPEC, Enforcement(True, True, {ICCID: lim})).clients)


def test_client_caps_and_speed_limits_keep_tighter_limits_already_set() -> None:
    e = Enforcement(
        True,
        True,
        clients={
            A: ClientLimitNow(A, 2_000, 10_000, rate_down_kbit=256),
            B: ClientLimitNow(B, 2_000, 10_000, rate_up_kbit=64),
        },
    )
    out = {c.mac: c for c in apply(SPEC, e).clients}
    assert out[A].quota_bytes == 12_000 and out[A].rate_down_kbit == 256
    assert out[B].quota_bytes == 500  # the tighter quota another hook set stays
    assert out[B].rate_up_kbit == 64 and out[B].rate_down_kbit is None


def test_prepaid_after_expiry_has_nothing_left(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    try:
        led = Ledger(open_db(store), epoch="e")
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        plan = Plan.model_validate(
            {"iccid": ICCID, "name": "Trip", "allowance_bytes": 10**9,
             "cycle": {"kind": "prepaid", "start": start.isoformat(),
                       "expires": (start + dt.timedelta(days=7)).isoformat()}}
        )  # fmt: skip
        during = plan_status(1, plan, led, start + dt.timedelta(days=1))
        assert during.remaining_bytes == 10**9 and not during.exhausted
        after = plan_status(1, plan, led, start + dt.timedelta(days=8))
        assert after.expired and after.exhausted and after.remaining_bytes == 0
        tether = Plan.model_validate(
            {"iccid": ICCID, "name": "T", "allowance_bytes": 10**9,
             "tethering_allowance_bytes": 10**6, "cycle": {"kind": "monthly", "day": 1}}
        )  # fmt: skip
        st = plan_status(1, tether, led, start)
        assert st.remaining_bytes == 10**6  # the smaller allowance binds
    finally:
        store.close()
