"""Why the hotspot is not sharing, in one sentence a user can act on (``simspot status``).

Looked at in order: sharing held off (the user, the battery guard, ...), a component that cannot
work (its last error is the doctor's sentence, see the supervisor's failure policy), no uplink
(and why: no modem backend, no modem, no data connection), the data plane not applied yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from simspot.errors import SimspotError
from simspot.i18n import CATALOGUE, Message, part, render

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

# The components whose failure stops sharing, with what they do (for the sentence); a backend
# that cannot start (``runtime.BackendStart``) first.
_VITAL = {
    "modem-backend": "no uplink",
    "dataplane-backend": "the data plane cannot start",
    "sharing": "the data plane cannot be set up",
    "modem": "the modem cannot be read",
    "uplink": "the uplink cannot be connected",
}


def not_sharing(daemon: Daemon) -> str | None:
    """None while the uplink is shared; else the reason, e.g. ``no uplink (...)``."""
    found = why_not_sharing(daemon)
    return found[0] if found else None


def why_not_sharing(daemon: Daemon) -> tuple[str, Message | None] | None:
    """None while the uplink is shared; else the reason and, when the cause has one, its
    sentence in the catalogue (``modem.why.*``: D-Bus, ModemManager, no modem, SIM locked)."""
    switch = daemon.sharing
    if not switch.enabled:
        held = ", ".join(f"{k} ({v})" for k, v in switch.reasons.items())
        if not held:
            return "held off", None
        parts = [
            part(
                "sharing.held-by",
                reason_en=k,
                reason_zh=render(f"term.{k}", {}, "zh") if f"term.{k}" in CATALOGUE else k,
                why=v,
                why_said=switch.said.get(k),
            )
            for k, v in switch.reasons.items()
        ]
        return f"held off by {held}", Message("sharing.held-off", {"held": parts})
    health = {h.name: h for h in daemon.supervisor.health()}
    for name, what in _VITAL.items():
        h = health.get(name)
        if h is not None and h.state in ("restarting", "failed"):
            return f"{what} ({h.last_error or 'it keeps failing'})", _start_message(daemon, name)
    if daemon.uplink() is None:
        return f"no uplink ({_no_uplink(daemon)})", _uplink_message(daemon)
    h = health.get("sharing")
    if h is None:
        return "the data plane is not running (no sharing component)", None
    return None


def _start_message(daemon: Daemon, name: str) -> Message | None:
    """The catalogue sentence of a backend's start failure, when its error names one."""
    from simspot.daemon.runtime import BackendStart

    try:
        comp = daemon.supervisor.component(name)
    except KeyError:
        return None
    exc = comp.error if isinstance(comp, BackendStart) else None
    if exc is None or not isinstance(exc, SimspotError) or exc.msg_id is None:
        return None
    return Message(exc.msg_id, dict(exc.params))


def _uplink_message(daemon: Daemon) -> Message | None:
    if daemon.backends.chosen.get("modem") == "none":
        return None
    return daemon.live.modem_why


def _no_uplink(daemon: Daemon) -> str:
    chosen = daemon.backends.chosen.get("modem")
    modem = daemon.live.modem
    if chosen == "none":
        if not daemon.config.dataplane.uplink_interface:
            return "no modem backend and no dataplane.uplink_interface configured"
        iface = daemon.config.dataplane.uplink_interface
        if daemon.config.dataplane.netns is None and not Path("/sys/class/net", iface).exists():
            return f"the uplink interface {iface} does not exist"
        return f"the wired uplink {iface} is down or does not answer"
    if daemon.live.modem_why is not None:  # ModemManager not running, no modem, SIM locked
        return daemon.live.modem_why.text("en")
    if modem is None:
        if chosen == "modemmanager":
            return "no modem: ModemManager is not running or sees no modem; run simspot doctor"
        return f"no modem found by the {chosen} backend"
    if modem.active_slot() is None or daemon.first_modem_iccid() is None:
        return "no active SIM"
    if modem.bearer is None:
        reg = modem.registration
        return f"the modem has no data connection yet (registration: {reg}, state: {modem.state})"
    return "the uplink interface is not known"
