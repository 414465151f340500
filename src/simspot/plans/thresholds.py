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
from simspot.i18n import render
from simspot.plans.ledger import Ledger
from simspot.plans.model import at_limit
from simspot.plans.status import PlanStatus


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


def _said(msg_id: str, **params: Any) -> dict[str, Any]:
    """A warning's own sentence: English ``message``, and its id and parameters (simspot.i18n)."""
    return {"message": render(msg_id, params), "message_id": msg_id, "message_params": params}


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
                out.append(
                    Warning(
                        "plan.threshold",
                        base
                        | {
                            "of": what,
                            "percent": p,
                            "used_bytes": used,
                            "allowance_bytes": allowance,
                        }
                        | _said(
                            "plan.warning.threshold",
                            plan=plan.name,
                            percent=p,
                            of=what,
                            used_bytes=used,
                            allowance_bytes=allowance,
                        ),
                    )
                )
    if st.exhausted and ledger.fire_once(plan.iccid, st.period.start, "limit", 100):
        action = plan.action
        out.append(
            Warning(
                "plan.limit",
                base
                | {
                    "action": action,
                    "used_bytes": st.used_bytes,
                }
                | _said(
                    f"plan.warning.limit.{action}",
                    plan=plan.name,
                    **({"throttle_kbit": plan.throttle_kbit} if action == "throttle" else {}),
                ),
            )
        )
        if action == "switch":
            out.append(
                Warning(
                    "plan.switch-uplink",
                    base
                    | {
                        "reason": "allowance used up",
                    }
                    | _said("plan.warning.switch-uplink", plan=plan.name),
                )
            )
    return out
