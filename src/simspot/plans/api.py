"""REST routes for plans and usage (auth is added by the daemon's app for every capability router).

GET    /api/v1/plans                      every plan with usage, remaining, forecast
POST   /api/v1/plans                      add (JSON plan; sizes may be "5GB" or "unlimited")
GET    /api/v1/plans/{ref}                one plan (id, ICCID or name)
PATCH  /api/v1/plans/{ref}                change fields
DELETE /api/v1/plans/{ref}
POST   /api/v1/plans/{ref}/usage          correction: {"used_bytes": .., "tethering_used_bytes": ..}
GET    /api/v1/usage?by=uplink|client&period=cycle|day|hour
GET    /api/v1/usage/limits               per-client caps and speed limits
PUT    /api/v1/usage/limits/{mac}         set them (all null: remove)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from simspot.plans.capability import PlansService


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    used_bytes: int | str | None = None
    tethering_used_bytes: int | str | None = None
    note: str | None = None


def router(svc: PlansService) -> APIRouter:
    r = APIRouter(prefix="/api/v1")

    @r.get("/plans")
    async def list_plans() -> dict[str, Any]:
        return {"plans": svc.list_plans()}

    @r.post("/plans", status_code=201)
    async def add_plan(body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        return svc.add(body)

    @r.get("/plans/{ref}")
    async def show_plan(ref: str) -> dict[str, Any]:
        return svc.show(ref)

    @r.patch("/plans/{ref}")
    async def edit_plan(ref: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        return svc.edit(ref, body)

    @r.delete("/plans/{ref}")
    async def delete_plan(ref: str) -> dict[str, Any]:
        return svc.delete(ref)

    @r.post("/plans/{ref}/usage")
    async def correct_usage(ref: str, body: Correction) -> dict[str, Any]:
        return svc.correct(ref, body.used_bytes, body.tethering_used_bytes, body.note)

    @r.get("/usage")
    async def usage(
        by: Literal["uplink", "client"] = "uplink",
        period: Literal["cycle", "day", "hour"] = "cycle",
    ) -> dict[str, Any]:
        return svc.usage(by, period)

    @r.get("/usage/limits")
    async def client_limits() -> dict[str, Any]:
        return {"limits": svc.client_limits()}

    @r.put("/usage/limits/{mac}")
    async def set_client_limit(mac: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        return svc.set_client_limit(mac, body)

    return r
