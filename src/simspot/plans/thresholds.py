"""Warnings at thresholds of the allowance and the tethering allowance, once per cycle each.

Whether a warning was given is kept in the database (``plan_fired``, keyed by plan ICCID, cycle
start, kind and level), so a restart, a correction that moves usage down and up again, or a crash
right after firing never repeats it within the same cycle, and a new cycle starts afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simspot.daemon.events import EventKind
from simspot.plans.ledger import Ledger
from simspot.plans.model import at_limit
from simspot.plans.status import PlanStatus
from simspot.units import format_bytes


def levels_reached(used: int, allowance: int | None, levels: Sequence[int]) -> list[int]:
    """The threshold percentages that ``used`` has reached (pure)."""
    if allowance is None:
        return []
    # Integer arithmetic: exactly p % of the allowance reaches level p.
    return [p for p in levels if used * 100 >= allowance * p]


@dataclass(frozen=True)
class Warning:
    kind: EventKind  # "plan.threshold", "plan.limit", "plan.switch-uplink"
    data: dict[str, Any]


def check(
    st: PlanStatus,
    ledger: Ledger,
    levels: Sequence[int],
    tethering_levels: Sequence[int],
) -> list[Warning]:
    """The warnings due now and not given yet this cycle (recorded as given)."""
    if st.period is None:
        return []
    plan = st.plan
    base = {
        "iccid": plan.iccid,
        "plan": plan.name,
        "cycle_start": st.period.start.isoformat(),
        "cycle_end": st.period.end.isoformat(),
    }
    out: list[Warning] = []
    for what, used, allowance, lv in (
        ("allowance", st.used_bytes, plan.allowance_bytes, levels),
        ("tethering", st.tethering_used_bytes, plan.tethering_allowance_bytes, tethering_levels),
    ):
        reached = levels_reached(used, allowance, lv)
        binding = allowance is not None and st.remaining_bytes == max(0, allowance - used)
        if (
            100 in lv
            and 100 not in reached
            and (at_limit(used, allowance) or (st.depleted and binding))
        ):
            # The kernel stops within a packet of the limit: that is the 100 % mark.
            reached.append(100)
        for p in reached:
            if ledger.fire_once(plan.iccid, st.period.start, what, p):
                label = "allowance" if what == "allowance" else "tethering allowance"
                out.append(
                    Warning(
                        "plan.threshold",
                        base
                        | {
                            "of": what,
                            "percent": p,
                            "used_bytes": used,
                            "allowance_bytes": allowance,
                            "message": f"{plan.name}: {p}% of the {label} used "
                            f"({format_bytes(used)} of {format_bytes(allowance)})",
                        },
                    )
                )
    if st.exhausted and ledger.fire_once(plan.iccid, st.period.start, "limit", 100):
        action = plan.action
        what = {
            "stop": "sharing is stopped until the cycle renews",
            "throttle": f"clients are slowed to {plan.throttle_kbit} kbit/s",
            "switch": "switching to another uplink is advised",
        }[action]
        out.append(
            Warning(
                "plan.limit",
                base
                | {
                    "action": action,
                    "used_bytes": st.used_bytes,
                    "message": f"{plan.name}: the allowance is used up; {what}",
                },
            )
        )
        if action == "switch":
            out.append(
                Warning(
                    "plan.switch-uplink",
                    base
                    | {
                        "reason": "allowance used up",
                        "message": f"{plan.name}: allowance used up, switch the uplink",
                    },
                )
            )
    return out
