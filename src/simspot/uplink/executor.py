"""Making a decision real: move traffic to a hot uplink, or bring a cold one up and verify it.

Hot to hot (both links up): the primary default route moves to the chosen link (one route
with simspot's metric, replaced in place), the data plane moves NAT with it (it follows
``Daemon.uplink()``), and the NAT'd flows of the old link are deleted from conntrack so clients
reconnect at once instead of hanging on an address that no longer routes.

Cold (a slot switch or an eSIM profile enable, tens of seconds on a real modem): switch, wait
for registration, connect with the APN of the new ICCID, verify; when the new uplink is not
healthy within the bound, switch back and say so.

Route and conntrack changes are made only for interfaces that exist in this network namespace
(a simulated modem's ``wwan0`` does not).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from simspot.contracts import ApnSettings, ModemBackend
from simspot.errors import BackendError, SimspotError
from simspot.i18n import part, render
from simspot.model import ModemStatus
from simspot.services import CardService
from simspot.uplink.probe import interface_up

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    ok: bool
    steps: list[str] = field(default_factory=list)
    why: str | None = None  # why it failed (rolled back), in English
    why_said: dict[str, Any] | None = None  # the same by message id ({"id", "params"})

    def failed(self, msg_id: str, /, **params: Any) -> None:
        """Say why it failed: ``why`` in English and ``why_said`` by id, for other readers."""
        self.why_said = part(msg_id, **params)
        self.why = render(msg_id, params)

    def failed_with(self, exc: SimspotError) -> None:
        """It failed with ``exc``: its text, and its sentence when it names one."""
        self.why, self.why_said = str(exc), exc.message_json()


async def _run(*argv: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def _ipv4_addresses(interface: str) -> list[str]:
    rc, out, _ = await _run("ip", "-j", "-4", "addr", "show", "dev", interface)
    if rc != 0:
        return []
    try:
        data = json.loads(out or "[]")
    except ValueError:
        return []
    return [a["local"] for link in data for a in link.get("addr_info", []) if "local" in a]


async def move_default_route(interface: str, metric: int) -> str:
    """Make ``interface`` the way out: simspot's default route (``metric``) goes through it.

    The gateway is taken from the interface's own default route (DHCP/NetworkManager/the
    bearer set it); a point-to-point link without one gets a device route.
    """
    rc, out, err = await _run("ip", "-j", "-4", "route", "show", "default", "dev", interface)
    gateway = None
    if rc == 0:
        try:
            routes = json.loads(out or "[]")
        except ValueError:
            routes = []
        gateway = next((r["gateway"] for r in routes if r.get("gateway")), None)
    argv = ["ip", "-4", "route", "replace", "default"]
    if gateway:
        argv += ["via", gateway]
    argv += ["dev", interface, "metric", str(metric), "proto", "static"]
    rc, _, err = await _run(*argv)
    if rc != 0:
        raise BackendError(
            msg_id="uplink.exec.route", params={"interface": interface, "error": err.strip()}
        )
    return f"default route via {gateway or interface} dev {interface} metric {metric}"


async def reset_flows(interface: str) -> str:
    """Delete the conntrack entries of flows NAT'd to ``interface``'s addresses."""
    if shutil.which("conntrack") is None:
        return f"flows of {interface} not reset: conntrack is not installed"
    deleted = 0
    for address in await _ipv4_addresses(interface):
        rc, _, err = await _run("conntrack", "-D", "-f", "ipv4", "--reply-dst", address)
        m = re.search(r"(\d+) flow entries have been deleted", err)
        if m:
            deleted += int(m.group(1))
        elif rc != 0:
            raise BackendError(
                msg_id="uplink.exec.flows", params={"interface": interface, "error": err.strip()}
            )
    return f"{deleted} flows of {interface} reset"


async def hot_switch(new_interface: str | None, old_interface: str | None, metric: int) -> Outcome:
    out = Outcome(ok=True)
    if new_interface and interface_up(new_interface):
        out.steps.append(await move_default_route(new_interface, metric))
    if old_interface and old_interface != new_interface and interface_up(old_interface):
        out.steps.append(await reset_flows(old_interface))
    return out


Verify = Callable[[ModemStatus], Awaitable[bool]]


async def cold_switch(
    modem: ModemBackend,
    *,
    iccid: str,
    slot: int | None,
    apn_for: Callable[[str | None], ApnSettings],
    limit_s: float,
    verify: Verify,
    card: CardService | None = None,
    profile: bool = False,
    poll_s: float = 0.5,
) -> Outcome:
    """Bring ``iccid`` up (slot switch, or profile enable then slot) and verify it; roll back
    to the slot (and profile) in use before when it is not healthy within ``limit_s``."""
    out = Outcome(ok=False)
    before = await modem.status()
    old = before.active_slot() if before else None
    old_slot, old_iccid = (old.index, old.iccid) if old else (None, None)
    try:
        if profile:
            if card is None:
                raise BackendError(msg_id="uplink.exec.no-card")
            await card.enable(iccid)
            out.steps.append(f"eSIM profile {iccid} enabled")
        if slot is not None and slot != old_slot:
            await modem.set_primary_slot(slot)
            out.steps.append(f"slot {slot} made active")
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            st = await modem.status()
            active = st.active_slot() if st else None
            if st is not None and active is not None and active.iccid == iccid:
                if st.registration in ("home", "roaming"):
                    try:
                        await modem.connect(apn_for(iccid))
                    except SimspotError as exc:
                        log.info("connect after the switch failed, retrying: %s", exc)
                    else:
                        st = await modem.status()
                        if st is not None and st.bearer is not None and await verify(st):
                            out.steps.append(f"{iccid} connected and healthy")
                            out.ok = True
                            return out
            await asyncio.sleep(poll_s)
        out.failed("uplink.exec.not-healthy", target=iccid, seconds=limit_s)
    except SimspotError as exc:
        out.failed(
            "uplink.exec.switch-failed",
            target=iccid,
            error=str(exc),
            error_said=exc.message_json(),
        )
    # roll back
    try:
        if profile and card is not None and old_iccid and old_slot == slot:
            await card.enable(old_iccid)
            out.steps.append(f"eSIM profile {old_iccid} enabled again")
        if old_slot is not None:
            await modem.set_primary_slot(old_slot)
            out.steps.append(f"slot {old_slot} made active again")
            if old_iccid:
                try:
                    await modem.connect(apn_for(old_iccid))
                except SimspotError as exc:  # the daemon's uplink keeper retries
                    out.steps.append(f"reconnect of {old_iccid} pending: {exc}")
    except SimspotError as exc:
        out.steps.append(f"roll back failed: {exc}")
    return out
