"""Battery guard and hotspot idle auto-off: pure decisions, and the components that apply them.

Both hold the sharing switch off with their own reason (``battery``, ``idle``), so neither
clears the other's hold or the user's. The decisions are pure functions of (state, input) ->
(new state, actions) so they are tested over many inputs without a daemon.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from simspot.model import BatteryStatus

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon
    from simspot.services import HotspotControl

BatteryAction = Literal["warn", "hold", "release"]


@dataclass(frozen=True)
class BatteryThresholds:
    warn_percent: float = 20
    stop_percent: float = 10
    hysteresis_percent: float = 3


@dataclass(frozen=True)
class BatteryGuardState:
    warned: bool = False  # the low-battery warning was given (not repeated until recovered)
    holding: bool = False  # sharing is held off for the battery


def battery_step(
    state: BatteryGuardState, battery: BatteryStatus | None, t: BatteryThresholds
) -> tuple[BatteryGuardState, tuple[BatteryAction, ...]]:
    """Decide on one battery reading.

    Below warn_percent while not charging: warn once. Below stop_percent while not charging:
    hold sharing. Charging, or climbing back to the threshold plus the hysteresis, clears the
    warning and releases the hold. No battery, or no percentage, is never a reason to hold.
    """
    if battery is None or not battery.present or battery.percent is None or battery.charging:
        return BatteryGuardState(), (("release",) if state.holding else ())
    pct = battery.percent
    actions: list[BatteryAction] = []
    warned, holding = state.warned, state.holding
    if warned and pct >= t.warn_percent + t.hysteresis_percent:
        warned = False
    elif not warned and pct < t.warn_percent:
        warned = True
        actions.append("warn")
    if holding and pct >= t.stop_percent + t.hysteresis_percent:
        holding = False
        actions.append("release")
    elif not holding and pct < t.stop_percent:
        holding = True
        actions.append("hold")
    return BatteryGuardState(warned=warned, holding=holding), tuple(actions)


IdleAction = Literal["hold", "release"]


@dataclass(frozen=True)
class IdleState:
    last_active: float | None = None  # when a client was last seen (monotonic seconds)
    holding: bool = False


def idle_step(
    state: IdleState, now: float, clients: int, idle_minutes: float, *, wake: bool = False
) -> tuple[IdleState, tuple[IdleAction, ...]]:
    """Decide on one look at the client count.

    After ``idle_minutes`` without any client the hotspot is switched off (held); a client
    appearing (an AP that keeps listening) or a wake request switches it back on and restarts the
    timer. ``idle_minutes`` 0 disables the timer.
    """
    last = state.last_active if state.last_active is not None else now
    if clients > 0 or wake or idle_minutes <= 0:
        return IdleState(last_active=now), (("release",) if state.holding else ())
    if not state.holding and now - last >= idle_minutes * 60:
        return IdleState(last_active=last, holding=True), ("hold",)
    return replace(state, last_active=last), ()


class BatteryGuard:
    """Component: warns on low battery and holds sharing off below the stop threshold."""

    name = "battery-guard"

    def __init__(self, daemon: Daemon, interval_s: float = 1.0) -> None:
        self.daemon = daemon
        self.interval_s = interval_s
        self.state = BatteryGuardState()
        b = daemon.config.battery
        self.thresholds = BatteryThresholds(b.warn_percent, b.stop_percent, b.hysteresis_percent)

    def check(self) -> None:
        d = self.daemon
        battery = d.live.battery
        self.state, actions = battery_step(self.state, battery, self.thresholds)
        pct = battery.percent if battery else None
        for action in actions:
            if action == "warn":
                d.bus.publish(
                    "battery.low", {"percent": pct, "warn_percent": self.thresholds.warn_percent}
                )
            elif action == "hold":
                d.sharing.hold(
                    "battery",
                    "sharing.why.battery",
                    percent=pct,
                    stop_percent=self.thresholds.stop_percent,
                )
            else:
                d.sharing.release("battery")

    async def run(self) -> None:
        while True:
            self.check()
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        return None


class IdleOff:
    """Component: switches the hotspot off after N minutes without clients (Android's default)."""

    name = "idle-off"

    def __init__(
        self, daemon: Daemon, interval_s: float = 1.0, hotspot: HotspotControl | None = None
    ) -> None:
        self.daemon = daemon
        self.interval_s = interval_s
        self.hotspot = hotspot
        self.state = IdleState()
        self._wake = False

    def minutes(self) -> int:
        """The hotspot's auto-off setting (``hotspot.auto_off_minutes``, changeable at run time)."""
        if self.hotspot is not None:
            return self.hotspot.auto_off_minutes()
        return self.daemon.config.hotspot.auto_off_minutes

    def wake(self) -> None:
        """Switch the hotspot back on now and restart the idle timer (the user asked)."""
        self._wake = True
        self.check()

    def check(self, now: float | None = None) -> None:
        d = self.daemon
        minutes = self.minutes()
        self.state, actions = idle_step(
            self.state,
            time.monotonic() if now is None else now,
            len(d.live.clients),
            minutes,
            wake=self._wake,
        )
        self._wake = False
        for action in actions:
            if action == "hold":
                d.sharing.hold("idle", "sharing.why.idle", minutes=minutes)
            else:
                d.sharing.release("idle")

    async def run(self) -> None:
        while True:
            self.check()
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        return None
