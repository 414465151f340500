"""Plugs the LPA into the daemon: the daemon owns the card, the API exposes the operations.

Routes under ``/api/v1/esim``: ``info``, ``profiles`` (list), ``download``, ``retry`` (a kept
package), ``progress``,
``profiles/{profile}/{enable,disable,delete,nickname}``, ``notifications`` (list, ``process``,
``{seq}/remove``), ``discover`` and ``reset`` (needs ``{"confirm": true}``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from simspot.errors import SimspotError
from simspot.esim.service import EsimService

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

log = logging.getLogger(__name__)


class DownloadRequest(BaseModel):
    activation_code: str = Field(min_length=1, max_length=600)
    confirmation_code: str | None = Field(default=None, max_length=64)


class RetryRequest(BaseModel):
    package: str = Field(min_length=1, max_length=255)


class NicknameRequest(BaseModel):
    nickname: str = Field(max_length=64)


class ProcessRequest(BaseModel):
    seq_number: int | None = Field(default=None, ge=0)


class DiscoverRequest(BaseModel):
    smds_address: str | None = Field(default=None, max_length=255)


class ResetRequest(BaseModel):
    confirm: bool = False


def router(service: EsimService) -> APIRouter:
    r = APIRouter(prefix="/api/v1/esim", tags=["esim"])

    @r.get("/info")
    async def info() -> dict[str, Any]:
        return await service.info()

    @r.get("/profiles")
    async def profiles() -> dict[str, Any]:
        return await service.profiles()

    @r.post("/download")
    async def download(body: DownloadRequest) -> dict[str, Any]:
        return await service.download(
            body.activation_code, confirmation_code=body.confirmation_code
        )

    @r.post("/retry")
    async def retry(body: RetryRequest) -> dict[str, Any]:
        return await service.retry_package(body.package)

    @r.get("/progress")
    async def progress() -> dict[str, Any]:
        return {"progress": service.progress}

    @r.post("/profiles/{profile}/enable")
    async def enable(profile: str) -> dict[str, Any]:
        return await service.enable(profile)

    @r.post("/profiles/{profile}/disable")
    async def disable(profile: str) -> dict[str, Any]:
        return await service.disable(profile)

    @r.post("/profiles/{profile}/delete")
    async def delete(profile: str) -> dict[str, Any]:
        return await service.delete(profile)

    @r.post("/profiles/{iccid}/nickname")
    async def nickname(iccid: str, body: NicknameRequest) -> dict[str, Any]:
        return await service.nickname(iccid, body.nickname)

    @r.get("/notifications")
    async def notifications() -> dict[str, Any]:
        return await service.notifications()

    @r.post("/notifications/process")
    async def process(body: ProcessRequest) -> dict[str, Any]:
        return await service.process_notifications(body.seq_number)

    @r.post("/notifications/{seq_number}/remove")
    async def remove(seq_number: int) -> dict[str, Any]:
        return await service.remove_notification(seq_number)

    @r.post("/discover")
    async def discover(body: DiscoverRequest) -> dict[str, Any]:
        return await service.discover(body.smds_address)

    @r.post("/reset")
    async def reset(body: ResetRequest) -> dict[str, Any]:
        return await service.reset(confirm=body.confirm)

    return r


def _connect_simulators(daemon: Daemon, service: EsimService) -> None:
    """The simulated modem's eUICC slot is the virtual eUICC, as a real modem's is its card.

    An empty card first gets one operator profile through the real download flow (so a new
    user sees two SIMs); the demo's plans then cover it. Runs while the daemon starts.
    """
    from simspot.simulator.modem import (
        DEMO_ESIM_NAME,
        DEMO_ESIM_PROVIDER,
        EUICC_PROFILE,
        SimulatedModem,
    )

    modem = daemon.backends.modem
    if not isinstance(modem, SimulatedModem):  # the only place the two simulators meet
        return
    try:
        installed = service.bootstrap_virtual(DEMO_ESIM_PROVIDER, DEMO_ESIM_NAME, EUICC_PROFILE[0])
    except SimspotError as exc:  # the daemon still starts; the card stays as it is
        log.warning("the virtual eUICC got no operator profile: %s", exc)
        installed = None
    service.card_listeners.append(modem.refresh_euicc)
    modem.attach_euicc(service.euicc_view)
    if installed is not None and daemon.mode == "demo":
        from simspot.plans.capability import PlansService, demo_esim_plan

        plans = daemon.backends.extra.get("plans")
        if isinstance(plans, PlansService):
            demo_esim_plan(plans, installed)


def _remember_profiles(daemon: Daemon, service: EsimService) -> None:
    """Installed profiles are known ICCIDs for plans, enabled or not."""
    from simspot.plans.capability import PlansService

    plans = daemon.backends.extra.get("plans")
    if not isinstance(plans, PlansService):
        return
    service.profile_listeners.append(lambda iccids: plans.book.remember_iccids(iccids, "esim"))
    card = service.installed_iccids()
    if card:
        plans.book.remember_iccids(card, "esim")


def install(daemon: Daemon) -> None:
    """The daemon holds the card (and, with the virtual card, runs the local test SM-DP+)."""
    service = EsimService(
        daemon.config.esim,
        daemon.state_dir,
        publish=lambda kind, data: daemon.bus.publish(kind, data) and None,
    )
    if daemon.config.esim.transport == "virtual" and daemon.config.modem.backend == "sim":
        _connect_simulators(daemon, service)
    _remember_profiles(daemon, service)
    daemon.backends.extra["esim"] = service
    daemon.supervisor.add(service)
    daemon.routers.append(router(service))
