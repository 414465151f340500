"""The uplink policy as a pure function: tables of situations, and properties over any input."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simspot.uplink.model import Candidate, Health, HealthTracker, PlanFacts
from simspot.uplink.policy import Decision, Rules, Switch, decide

NOW = 1_000_000.0
UP = Health(state="up", since=NOW - 3600, oks=5)
DOWN = Health(state="down", since=NOW - 5, fails=3, downs=1)

SIM1 = Candidate(
    id="8944200000000000017",
    kind="sim",
    label="SIM 1 (Simtel UK)",
    hot=True,
    registered=True,
    roaming=True,
    serving_mcc="440",
    home_mcc="234",
    signal_percent=60,
    plan=PlanFacts(name="UK roaming", price_per_gb=Decimal(30), currency="JPY"),
    health=UP,
    slot=1,
)
ESIM_JP = Candidate(
    id="89810000000000000018",
    kind="esim",
    label="eSIM 'Japan 10 GB'",
    cold_via="slot",
    home_mcc="440",
    plan=PlanFacts(
        name="Japan 10 GB", remaining_bytes=8_200_000_000, price_per_gb=Decimal(0), currency="JPY"
    ),
    slot=2,
)
WAN = Candidate(
    id="wan:eth1",
    kind="wired",
    label="wired eth1",
    hot=True,
    home_link=True,
    metered=False,
    health=UP,
    interface="eth1",
)


def run(cands: list[Candidate], current: str | None, **kw: object) -> Decision:
    rules = kw.pop("rules", Rules(confirm_s=0))
    assert isinstance(rules, Rules)
    return decide(cands, rules, current=current, now=kw.pop("now", NOW), **kw)  # type: ignore[arg-type]


def test_roaming_abroad_moves_to_the_local_esim_and_says_why() -> None:
    d = run([SIM1, ESIM_JP], SIM1.id)
    assert d.chosen == ESIM_JP.id and d.switch and d.rule == "avoid-roaming"
    assert d.reason_en == (
        "SIM 1 (Simtel UK) is roaming in Japan at ¥30/GB; "
        "switched to eSIM 'Japan 10 GB', 8.2 GB left"
    )
    assert "日本" in d.reason_zh and "已切换到 eSIM 'Japan 10 GB'" in d.reason_zh


def test_a_pin_wins_over_every_rule() -> None:
    d = run([SIM1, ESIM_JP, WAN], WAN.id, pin=SIM1.id)
    assert (d.chosen, d.rule, d.switch) == (SIM1.id, "pin", True)
    assert "pinned" in d.reason_en and "固定" in d.reason_zh


def test_a_pin_on_an_absent_uplink_falls_back_to_the_rules_and_says_so() -> None:
    d = run([SIM1, WAN], WAN.id, pin="89000000000000000000")
    assert d.chosen == WAN.id and "not available" in d.reason_en


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        (PlanFacts(name="P", exhausted=True, action="switch"), "is used up"),
        (PlanFacts(name="P", exhausted=True, expired=True, action="switch"), "has expired"),
        (PlanFacts(name="P", tethering_allowed=False, action="switch"), "allows no tethering"),
    ],
)
def test_an_unusable_plan_is_left_at_once(facts: PlanFacts, words: str) -> None:
    used = dataclasses.replace(SIM1, roaming=False, serving_mcc="234", plan=facts)
    other = dataclasses.replace(ESIM_JP, home_mcc="234")
    # even right after a switch: the dwell holds only preferences
    d = run([used, other], used.id, history=[Switch(NOW - 1, None, used.id, False)])
    assert d.chosen == other.id and d.forced and d.rule == "usable-plan"
    assert words in d.reason_en


def test_a_used_up_plan_whose_action_is_stop_stays_unless_another_is_better() -> None:
    """Plans stop or throttle at the limit as the owner chose; only "switch" asks to leave."""
    used = dataclasses.replace(
        SIM1, roaming=False, serving_mcc="234", plan=PlanFacts(name="P", exhausted=True)
    )
    other = dataclasses.replace(ESIM_JP, home_mcc="234", plan=None)  # no cheaper, no better
    d = run([used, other], used.id)
    assert d.chosen == used.id and not d.switch and "its action at the limit is stop" in d.reason_en
    # a better uplink by the rules is still taken (as a preference)
    d = run([used, WAN], used.id)
    assert d.chosen == WAN.id and not d.forced and d.rule == "prefer-wired"


def test_a_cold_slot_is_heard_through_the_same_modem() -> None:
    rules = Rules(confirm_s=0, order=("signal-floor",))
    weak = dataclasses.replace(SIM1, roaming=False, serving_mcc="234", signal_percent=2, modem="m")
    cold = dataclasses.replace(ESIM_JP, home_mcc="234", modem="m")
    assert run([weak, cold], weak.id, rules=rules).chosen == weak.id  # same antenna: no gain
    other = dataclasses.replace(cold, modem="m2")  # another modem, not heard: unknown signal
    assert run([weak, other], weak.id, rules=rules).chosen == other.id


def test_nothing_usable_is_no_uplink() -> None:
    used = dataclasses.replace(SIM1, plan=PlanFacts(name="P", exhausted=True))
    d = run([used], used.id)
    assert d.chosen is None and d.switch and d.rule == "none"


def test_wired_is_preferred_while_healthy_and_failover_is_immediate() -> None:
    home = dataclasses.replace(SIM1, roaming=False, serving_mcc="234")
    assert run([home, WAN], WAN.id).chosen == WAN.id
    down = dataclasses.replace(WAN, health=DOWN)
    d = run([home, down], WAN.id, history=[Switch(NOW - 2, None, WAN.id, False)])
    assert d.chosen == home.id and d.forced and d.rule == "healthy"
    assert d.reason_en.startswith("wired eth1 failed 3 probes in a row; switched to SIM 1")


def test_fail_back_waits_for_the_dwell() -> None:
    home = dataclasses.replace(SIM1, roaming=False, serving_mcc="234")
    rules = Rules(confirm_s=0, failback_dwell_s=60, min_dwell_s=10)
    back = dataclasses.replace(WAN, health=Health(state="up", since=NOW - 20, oks=10))
    hist = [Switch(NOW - 300, WAN.id, home.id, True)]
    d = run([home, back], home.id, rules=rules, history=hist)
    assert (
        d.chosen == home.id and d.held_by == "failback-dwell" and "20 s of the 60 s" in d.reason_en
    )
    d = run([home, back], home.id, rules=rules, history=hist, now=NOW + 45)
    assert d.chosen == WAN.id and d.rule == "prefer-wired" and not d.forced


def test_minimum_dwell_switch_cap_and_card_operation_hold_a_preference() -> None:
    home = dataclasses.replace(SIM1, roaming=False, serving_mcc="234")
    rules = Rules(confirm_s=0, min_dwell_s=30, max_switches_per_hour=2, failback_dwell_s=0)
    d = run([home, WAN], home.id, rules=rules, history=[Switch(NOW - 10, WAN.id, home.id, False)])
    assert d.held_by == "min-dwell" and d.chosen == home.id
    hist = [Switch(NOW - 1000, None, WAN.id, False), Switch(NOW - 500, WAN.id, home.id, False)]
    d = run([home, WAN], home.id, rules=rules, history=hist)
    assert d.held_by == "switch-cap" and "cap of 2" in d.reason_en
    d = run([home, WAN], home.id, rules=rules, card_busy=True)
    assert d.held_by == "card-busy" and d.chosen == home.id
    assert run([home, WAN], home.id, rules=rules).chosen == WAN.id


def test_a_preference_must_hold_for_the_confirmation_time() -> None:
    home = dataclasses.replace(SIM1, roaming=False, serving_mcc="234")
    rules = Rules(confirm_s=10, failback_dwell_s=0, min_dwell_s=0)
    d = run([home, WAN], home.id, rules=rules)
    assert d.held_by == "confirm" and d.wanted == (WAN.id, NOW)
    d = run([home, WAN], home.id, rules=rules, now=NOW + 5, wanted=d.wanted)
    assert d.held_by == "confirm" and "5 s of the 10 s" in d.reason_en
    d = run([home, WAN], home.id, rules=rules, now=NOW + 10, wanted=d.wanted)
    assert d.chosen == WAN.id and d.switch
    # another best restarts the clock
    assert (
        run([home, WAN], home.id, rules=rules, wanted=(ESIM_JP.id, NOW - 60)).held_by == "confirm"
    )


def test_cheapest_among_the_healthy() -> None:
    a = dataclasses.replace(
        SIM1, roaming=False, serving_mcc="234", plan=PlanFacts(name="A", price_per_gb=Decimal(5))
    )
    b = dataclasses.replace(
        ESIM_JP,
        home_mcc="234",
        plan=PlanFacts(name="B", price_per_gb=Decimal("1.5"), currency="GBP"),
    )
    d = run([a, b], a.id, rules=Rules(confirm_s=0, order=("healthy", "cheapest")))
    assert d.chosen == b.id and d.rule == "cheapest" and "£1.5/GB" in d.reason_en


def test_signal_floor_with_hysteresis() -> None:
    rules = Rules(confirm_s=0, order=("signal-floor", "preferred"), signal_floor_percent=20,
                  signal_hysteresis_percent=10, min_dwell_s=0, failback_dwell_s=0)  # fmt: skip
    weak = dataclasses.replace(SIM1, roaming=False, serving_mcc="234", signal_percent=15)
    other = dataclasses.replace(WAN, home_link=False)
    # the current one at 15% is within the hysteresis (floor 20 - 10): it stays
    assert run([weak, other], weak.id, rules=rules).chosen == weak.id
    weaker = dataclasses.replace(weak, signal_percent=8)
    d = run([weaker, other], weak.id, rules=rules)
    assert d.chosen == other.id and d.rule == "signal-floor" and "8%" in d.reason_en
    # a new one below the floor is not chosen over one above it
    assert run([weak, other], other.id, rules=rules).chosen == other.id


# -- properties ----------------------------------------------------------------------------------
def _cand(i: int, hot: bool, health: Health, plan: PlanFacts | None, present: bool) -> Candidate:
    return Candidate(
        id=f"wan:if{i}" if i % 2 else f"8944200000000000{i:03d}",
        kind="wired" if i % 2 else "sim",
        label=f"link {i}",
        present=present,
        hot=hot,
        cold_via=None if hot else "slot",
        health=health,
        plan=plan,
        home_link=i % 2 == 1,
        metered=i % 2 == 0,
    )


plans = st.one_of(
    st.none(),
    st.builds(
        PlanFacts,
        name=st.just("p"),
        exhausted=st.booleans(),
        expired=st.booleans(),
        tethering_allowed=st.booleans(),
        price_per_gb=st.one_of(st.none(), st.decimals(0, 100, places=2)),
    ),
)
healths = st.sampled_from([Health(), UP, DOWN, Health(state="up", since=NOW - 1)])
candidate_lists = st.lists(
    st.tuples(st.booleans(), healths, plans, st.booleans()), min_size=1, max_size=8
).map(lambda xs: [_cand(i, *x) for i, x in enumerate(xs)])


@given(candidate_lists, st.data())
def test_never_an_exhausted_plan(cands: list[Candidate], data: st.DataObject) -> None:
    current = data.draw(st.sampled_from([None, *[c.id for c in cands]]))
    busy = data.draw(st.booleans())
    d = decide(cands, Rules(), current=current, now=NOW, card_busy=busy)
    chosen = next((c for c in cands if c.id == d.chosen), None)
    if d.switch:
        assert chosen is None or chosen.plan is None or chosen.plan.usable
    if not any(c.selectable and (c.plan is None or c.plan.usable) for c in cands):
        assert d.chosen is None or (busy and d.chosen == current)


@given(candidate_lists, st.data())
def test_a_pin_always_wins(cands: list[Candidate], data: st.DataObject) -> None:
    selectable = [c.id for c in cands if c.selectable]
    if not selectable:
        return
    pin = data.draw(st.sampled_from(selectable))
    current = data.draw(st.sampled_from([None, *[c.id for c in cands]]))
    d = decide(cands, Rules(), current=current, now=NOW, pin=pin)
    assert d.chosen == pin and d.rule == "pin"


@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=120),
)
def test_no_flapping_for_any_probe_sequence(
    fail_after: int, up_after: int, probes: list[tuple[bool, bool, bool]]
) -> None:
    """Three hot links probed every 2 s: a preference never switches within the minimum dwell
    or beyond the cap, a forced switch only leaves a link that failed ``fail_after`` rounds in a
    row, and noise shorter than that never switches at all."""
    rules = Rules(min_dwell_s=30, failback_dwell_s=20, max_switches_per_hour=4,
                  fail_after=fail_after)  # fmt: skip
    trackers = [HealthTracker(fail_after, up_after) for _ in range(3)]
    for t in trackers:  # all up at the start
        for _ in range(up_after):
            t.observe(True, NOW - 100)
    ids = ["wan:a", "wan:b", "wan:c"]
    prefs = Rules(**{**rules.__dict__, "preferred": tuple(ids)})
    current: str | None = ids[0]
    history: list[Switch] = []
    wanted: tuple[str, float] | None = None
    runs = [0, 0, 0]
    longest = 0
    for step, round_ in enumerate(probes):
        now = NOW + 2 * step
        for i, ok in enumerate(round_):
            trackers[i].observe(ok, now)
            runs[i] = 0 if ok else runs[i] + 1
            longest = max(longest, runs[i])
        cands = [
            Candidate(id=ids[i], kind="wired", label=ids[i], hot=True, metered=False,
                      health=trackers[i].health)
            for i in range(3)
        ]  # fmt: skip
        d = decide(cands, prefs, current=current, history=history, now=now, wanted=wanted)
        wanted = d.wanted
        if d.switch and d.chosen is not None:
            left = next(c for c in cands if c.id == current)
            if d.forced:
                # down: it failed fail_after rounds in a row and has not had up_after good ones
                assert left.health.state == "down" and left.health.downs >= 1
            else:
                assert not history or now - history[-1].at >= rules.min_dwell_s
                assert sum(1 for s in history if now - s.at < 3600) < rules.max_switches_per_hour
                target = next(c for c in cands if c.id == d.chosen)
                assert target.health.state == "up"
                assert now - target.health.since >= rules.failback_dwell_s
                assert d.wanted is not None and now - d.wanted[1] >= rules.confirm_s
            history.append(Switch(now, current, d.chosen, d.forced))
            current = d.chosen
    if longest < fail_after:
        assert history == []
