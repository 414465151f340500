"""Enforcement (pure): plan and client limits -> the data plane's in-kernel quotas and rate caps.

Quotas in ``DataplaneSpec`` are limits on the data plane's cumulative counters, so the remaining
allowance becomes ``counter now + remaining``: the kernel then stops traffic at exactly the
allowance, at full speed, even while the daemon is busy, restarting or dead. Both numbers come from
the same ledger observation, so the sum does not move while traffic flows (the counter grows by
what the remaining allowance shrinks); the spec changes only on a new cycle, a correction, an edit
or a counter reset, and the data plane is not re-applied every poll.

At the limit: ``stop`` lets the kernel quota cut the traffic (the daemon also holds sharing off),
``switch`` does the same and raises ``plan.switch-uplink`` (the switch itself is the uplink
manager's job), ``throttle`` sets no quota and caps every client at the plan's speed once used up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from simspot.dataplane.contract import ClientSpec, DataplaneSpec
from simspot.plans.model import Action


@dataclass(frozen=True)
class UplinkLimit:
    iccid: str
    action: Action
    remaining_bytes: int | None  # None: unlimited
    counter_now: int  # the uplink's cumulative counter (rx + tx) at the same observation
    exhausted: bool = False
    throttle_kbit: int | None = None
    tethering_allowed: bool = True


@dataclass(frozen=True)
class ClientLimitNow:
    mac: str
    remaining_bytes: int | None  # min(day cap left, cycle cap left); None: no cap
    counter_now: int
    rate_down_kbit: int | None = None
    rate_up_kbit: int | None = None


@dataclass(frozen=True)
class Enforcement:
    # False until the ledger has read the counters once in this process: then every client is
    # blocked when any limit is configured (fail closed), because a quota cannot be computed yet.
    ready: bool = False
    limited: bool = False
    uplinks: dict[str, UplinkLimit] = field(default_factory=dict)
    clients: dict[str, ClientLimitNow] = field(default_factory=dict)


def _min(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def apply(spec: DataplaneSpec, e: Enforcement) -> DataplaneSpec:
    """The spec with plan and client limits applied (tighter limits already in it are kept)."""
    if not e.ready:
        if not e.limited:
            return spec
        return dataclasses.replace(
            spec, clients=tuple(dataclasses.replace(c, blocked=True) for c in spec.clients)
        )
    up = e.uplinks.get(spec.uplink_id)
    total = spec.total_quota_bytes
    throttle: int | None = None
    block_all = False
    if up is not None:
        if not up.tethering_allowed:
            block_all = True
        if up.remaining_bytes is not None:
            if up.action in ("stop", "switch"):
                total = _min(total, up.counter_now + up.remaining_bytes)
            elif up.exhausted:
                throttle = up.throttle_kbit
    clients: list[ClientSpec] = []
    for c in spec.clients:
        lim = e.clients.get(c.mac)
        quota, down, upr = c.quota_bytes, c.rate_down_kbit, c.rate_up_kbit
        if lim is not None:
            if lim.remaining_bytes is not None:
                quota = _min(quota, lim.counter_now + lim.remaining_bytes)
            down = _min(down, lim.rate_down_kbit)
            upr = _min(upr, lim.rate_up_kbit)
        down, upr = _min(down, throttle), _min(upr, throttle)
        clients.append(
            dataclasses.replace(
                c,
                blocked=c.blocked or block_all,
                quota_bytes=quota,
                rate_down_kbit=down,
                rate_up_kbit=upr,
            )
        )
    return dataclasses.replace(spec, clients=tuple(clients), total_quota_bytes=total)
