"""The hotspot's REST routes under /api/v1/hotspot (authenticated by the daemon's app)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from simspot.hotspot import qr
from simspot.hotspot.capability import HotspotService
from simspot.hotspot.settings import Band, Security
from simspot.hotspot.validate import HotspotValueError


class SettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ssid: str | None = None
    passphrase: str | None = Field(default=None, max_length=64)
    generate_passphrase: bool = False
    security: Security | None = None
    band: Band | None = None
    channel: int | None = None
    country: str | None = None
    hidden: bool | None = None
    isolate_clients: bool | None = None
    max_clients: int | None = None
    mac_allow: list[str] | None = None
    mac_deny: list[str] | None = None
    auto_off_minutes: int | None = None


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_down_kbit: int | None = None
    rate_up_kbit: int | None = None


def _svc(request: Request) -> HotspotService:
    svc = request.app.state.daemon.backends.extra.get("hotspot")
    if not isinstance(svc, HotspotService):
        raise HTTPException(503, "the hotspot is not running")
    return svc


def router() -> APIRouter:
    r = APIRouter(prefix="/api/v1/hotspot")

    @r.get("")
    async def status(request: Request, reveal: bool = False) -> dict[str, Any]:
        return _svc(request).status(reveal=reveal)

    @r.post("/up")
    async def up(request: Request) -> dict[str, Any]:
        svc = _svc(request)
        svc.daemon.sharing.release("user")
        return svc.status()

    @r.post("/down")
    async def down(request: Request) -> dict[str, Any]:
        svc = _svc(request)
        svc.daemon.sharing.hold("user", "turned off with simspot hotspot down")
        return svc.status()

    @r.post("/settings")
    async def set_settings(request: Request, body: SettingsChange) -> dict[str, Any]:
        svc = _svc(request)
        changes = body.model_dump(exclude_unset=True)
        if not changes:
            raise HotspotValueError("settings", "nothing to change")
        svc.update(changes)
        return svc.status()

    @r.get("/qr")
    async def qr_code(request: Request, format: Literal["text", "svg", "png"] = "text") -> Response:
        text = _svc(request).qr_text()
        headers = {"Cache-Control": "no-store"}
        if format == "svg":
            return Response(qr.svg(text), media_type="image/svg+xml", headers=headers)
        if format == "png":
            return Response(qr.png(text), media_type="image/png", headers=headers)
        return Response(text, media_type="text/plain; charset=utf-8", headers=headers)

    @r.get("/clients")
    async def clients(request: Request) -> list[dict[str, Any]]:
        return [c.model_dump(mode="json") for c in _svc(request).clients()]

    @r.post("/clients/{mac}/block")
    async def block(request: Request, mac: str) -> dict[str, Any]:
        rule = _svc(request).set_rule(mac, blocked=True)
        return {"mac": rule.mac, "blocked": rule.blocked}

    @r.post("/clients/{mac}/unblock")
    async def unblock(request: Request, mac: str) -> dict[str, Any]:
        rule = _svc(request).set_rule(mac, blocked=False)
        return {"mac": rule.mac, "blocked": rule.blocked}

    @r.post("/clients/{mac}/limit")
    async def limit(request: Request, mac: str, body: Limit) -> dict[str, Any]:
        rule = _svc(request).set_rule(mac, **body.model_dump())
        return {
            "mac": rule.mac,
            "rate_down_kbit": rule.rate_down_kbit,
            "rate_up_kbit": rule.rate_up_kbit,
        }

    return r
