"""The uplink capability: chooses the way out among SIMs, eSIM profiles, wired and Wi-Fi links.

It provides ``UPLINK_CHOICE`` (what ``Daemon.uplink()`` hands the data plane) and reads plans
(``PLAN_QUERIES``: allowance, expiry, price) and the eUICC (``CARD_SERVICE``: its profiles, busy,
enable) when those capabilities are installed.
"""

from __future__ import annotations

from simspot.daemon.capabilities import Capability, Installer
from simspot.services import CARD_SERVICE, PLAN_QUERIES, UPLINK_CHOICE
from simspot.uplink.service import UplinkComponent, UplinkService


def install(inst: Installer) -> None:
    from simspot.uplink.api import router

    daemon = inst.daemon
    service = UplinkService(daemon, plans=inst.want(PLAN_QUERIES), card=inst.want(CARD_SERVICE))
    inst.provide(UPLINK_CHOICE, service)
    daemon.spec_hooks.append(service.spec_hook)  # every hot uplink billed by its own counters
    daemon.supervisor.add(UplinkComponent(service))
    daemon.routers.append(router(service))


CAPABILITY = Capability(
    name="uplink",
    install=install,
    provides=(UPLINK_CHOICE,),
    wants=(PLAN_QUERIES, CARD_SERVICE),
)
