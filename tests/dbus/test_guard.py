"""Battery guard and idle auto-off decisions, over many inputs (pure functions, no daemon)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from simspot.model import BatteryStatus
from simspot.modem.guard import (
    BatteryGuardState,
    BatteryThresholds,
    IdleState,
    battery_step,
    idle_step,
)

T = BatteryThresholds(warn_percent=20, stop_percent=10, hysteresis_percent=3)


def bat(percent: float | None, charging: bool = False, present: bool = True) -> BatteryStatus:
    return BatteryStatus(present=present, percent=percent, charging=charging, source="sim")


def run(readings: list[BatteryStatus | None]) -> tuple[BatteryGuardState, list[str]]:
    state, out = BatteryGuardState(), []
    for r in readings:
        state, actions = battery_step(state, r, T)
        out.extend(actions)
    return state, out


def test_discharging_warns_once_then_holds_and_hysteresis_releases() -> None:
    state, actions = run([bat(p) for p in (50, 25, 19.9, 19, 15, 12, 9.9, 9, 11, 12.9)])
    assert actions == ["warn", "hold"]
    assert state.holding and state.warned
    state, actions = battery_step(state, bat(13.0), T)  # stop + hysteresis reached
    assert actions == ("release",) and not state.holding
    state, actions = battery_step(state, bat(23.0), T)  # warn + hysteresis: warning re-armed
    assert actions == () and not state.warned
    _, actions = battery_step(state, bat(19.0), T)
    assert actions == ("warn",)


def test_charging_releases_at_once_and_a_sudden_drop_warns_and_holds_together() -> None:
    state, actions = run([bat(5)])
    assert actions == ["warn", "hold"]
    state, actions = battery_step(state, bat(5, charging=True), T)
    assert actions == ("release",) and state == BatteryGuardState()


def test_no_battery_or_unknown_percent_never_holds() -> None:
    for reading in (None, bat(None), bat(3, present=False)):
        state, actions = battery_step(BatteryGuardState(), reading, T)
        assert actions == () and not state.holding
    state, actions = battery_step(BatteryGuardState(warned=True, holding=True), None, T)
    assert actions == ("release",)


readings = st.lists(
    st.one_of(
        st.none(),
        st.builds(
            bat,
            st.floats(min_value=0, max_value=100, allow_nan=False),
            st.booleans(),
            st.booleans(),
        ),
    ),
    max_size=60,
)


@given(readings)
def test_holds_exactly_when_it_should(seq: list[BatteryStatus | None]) -> None:
    state = BatteryGuardState()
    holds = releases = 0
    for r in seq:
        before = state
        state, actions = battery_step(state, r, T)
        holds += actions.count("hold")
        releases += actions.count("release")
        # Actions agree with the state change, and there is never a hold and release together.
        assert ("hold" in actions) == (not before.holding and state.holding)
        assert ("release" in actions) == (before.holding and not state.holding)
        live = r is not None and r.present and r.percent is not None and not r.charging
        if live and r is not None and r.percent is not None:
            if r.percent < T.stop_percent:
                assert state.holding  # below the stop threshold on battery: always held
            if r.percent >= T.stop_percent + T.hysteresis_percent:
                assert not state.holding
        else:
            assert not state.holding  # charging or no reading: never held
    assert holds - releases == (1 if state.holding else 0)


def test_idle_off_after_the_configured_minutes_and_wake() -> None:
    s, a = idle_step(IdleState(), 0.0, clients=2, idle_minutes=10)
    assert a == () and s.last_active == 0.0
    s, a = idle_step(s, 100.0, clients=0, idle_minutes=10)
    assert a == () and s.last_active == 0.0
    s, a = idle_step(s, 599.0, clients=0, idle_minutes=10)
    assert a == ()
    s, a = idle_step(s, 600.0, clients=0, idle_minutes=10)
    assert a == ("hold",) and s.holding
    s, a = idle_step(s, 700.0, clients=0, idle_minutes=10)
    assert a == () and s.holding
    s, a = idle_step(s, 800.0, clients=0, idle_minutes=10, wake=True)
    assert a == ("release",) and s.last_active == 800.0
    s, a = idle_step(s, 1300.0, clients=1, idle_minutes=10)
    assert a == () and s.last_active == 1300.0


def test_idle_timer_zero_means_never() -> None:
    s, a = idle_step(IdleState(last_active=0.0), 10_000.0, clients=0, idle_minutes=0)
    assert a == () and not s.holding
    s, a = idle_step(IdleState(last_active=0.0, holding=True), 10.0, clients=0, idle_minutes=0)
    assert a == ("release",)


@given(
    st.lists(st.tuples(st.floats(min_value=0, max_value=120), st.integers(0, 3)), max_size=50),
    st.integers(min_value=1, max_value=30),
)
def test_idle_holds_only_after_a_full_quiet_period(
    steps: list[tuple[float, int]], minutes: int
) -> None:
    now, state, quiet_since = 0.0, IdleState(), 0.0
    for dt, clients in steps:
        now += dt
        before = state
        state, actions = idle_step(state, now, clients, minutes)
        if clients:
            quiet_since = now
            assert not state.holding
        elif state.holding and not before.holding:
            assert actions == ("hold",)
            assert now - quiet_since >= minutes * 60
        if not before.holding and not state.holding:
            assert actions == ()
