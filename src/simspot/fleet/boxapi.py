"""``GET /api/v1/fleet`` on the box: the reporter's state (installed only when [fleet] is on)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from simspot.fleet.capability import FleetReport


class FleetState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    box: str
    broker: str
    connected: bool
    outbox: dict[str, int]  # rows waiting per channel (usage, events, uplink, result)
    acknowledged: int  # messages the broker acknowledged since the daemon started
    refused: int  # messages the broker refused (its ACL)
    allow_commands: list[str]
    home_assistant: bool


def router(component: FleetReport) -> APIRouter:
    r = APIRouter(prefix="/api/v1/fleet", tags=["fleet"])

    @r.get("")
    async def state() -> FleetState:
        conf = component.daemon.config.fleet
        rep = component.reporter
        outbox = {}
        if rep is not None:
            outbox = {ch: rep.outbox.count(ch) for ch in ("usage", "events", "uplink", "result")}
        return FleetState(
            box=conf.box_id or "",
            broker=conf.broker or "",
            connected=rep is not None and rep.connected,
            outbox=outbox,
            acknowledged=rep.published if rep is not None else 0,
            refused=rep.refused if rep is not None else 0,
            allow_commands=list(conf.allow_commands),
            home_assistant=conf.home_assistant,
        )

    return r
