"""Plugs the LPA into the daemon: the daemon owns the card, the API exposes the operations.

The routes under ``/api/v1/esim`` are in :mod:`simspot.esim.api`.
"""

from __future__ import annotations

import logging

from simspot.daemon.capabilities import Capability, Installer
from simspot.esim.api import router
from simspot.esim.service import EsimService
from simspot.services import CARD_SERVICE, KNOWN_ICCIDS

log = logging.getLogger(__name__)


def install(inst: Installer) -> None:
    """The daemon holds the card (and whatever comes with it: the simulator's test SM-DP+)."""
    daemon = inst.daemon
    service = EsimService(
        daemon.config.esim,
        daemon.state_dir,
        daemon.backends.card,
        publish=lambda kind, data: daemon.bus.publish(kind, data) and None,
    )
    known = inst.want(KNOWN_ICCIDS)
    if known is not None:  # installed profiles are known ICCIDs for plans, enabled or not
        service.profile_listeners.append(lambda iccids: known.remember_iccids(iccids, "esim"))
    inst.provide(CARD_SERVICE, service)
    daemon.supervisor.add(service)
    daemon.routers.append(router(service))


CAPABILITY = Capability(
    name="esim",
    install=install,
    provides=(CARD_SERVICE,),
    wants=(KNOWN_ICCIDS,),
)
