"""The hotspot's REST routes under /api/v1/hotspot (authenticated by the daemon's app)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.hotspot import qr
from simspot.hotspot.capability import HotspotService
from simspot.hotspot.settings import MAX_MAC_LIST, Band, Security
from simspot.hotspot.validate import HotspotValueError
from simspot.plans.model import MAX_RATE_KBIT

Mac = Annotated[str, Path(min_length=1, max_length=32, description="aa:bb:cc:dd:ee:ff")]
MacText = Annotated[str, Field(max_length=32)]
Kbit = Annotated[int, Field(ge=8, le=MAX_RATE_KBIT)]


class SettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ssid: str | None = Field(default=None, max_length=128)
    passphrase: str | None = Field(default=None, max_length=64)
    generate_passphrase: bool = False
    security: Security | None = None
    band: Band | None = None
    channel: int | None = Field(default=None, ge=1, le=196)
    country: str | None = Field(default=None, max_length=8)
    hidden: bool | None = None
    isolate_clients: bool | None = None
    max_clients: int | None = Field(default=None, ge=1, le=2007)
    mac_allow: list[MacText] | None = Field(default=None, max_length=MAX_MAC_LIST)
    mac_deny: list[MacText] | None = Field(default=None, max_length=MAX_MAC_LIST)
    auto_off_minutes: int | None = Field(default=None, ge=0, le=24 * 60)


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_down_kbit: Kbit | None = None
    rate_up_kbit: Kbit | None = None


class HotspotStatus(Out):
    enabled: bool
    held_by: dict[str, str]
    up: bool
    backend: str
    interface: str
    ssid: str | None
    security: Security
    passphrase: str | None  # "***" unless revealed; None on an open network
    passphrase_source: Literal["user", "config", "generated"]
    band: Band
    channel: int
    country: str | None
    hidden: bool
    isolate_clients: bool
    max_clients: int
    mac_allow: list[str]
    mac_deny: list[str]
    auto_off_minutes: int
    clients: int
    warnings: list[str]
    last_error: str | None


class HotspotClientOut(Out):
    mac: str
    ipv4: str | None
    ipv6: list[str]
    hostname: str | None
    connected_since: dt.datetime | None
    signal_dbm: int | None
    session_rx_bytes: int
    session_tx_bytes: int
    cycle_bytes: int | None
    blocked: bool
    denied: bool
    rate_down_kbit: int | None
    rate_up_kbit: int | None


class BlockState(Out):
    mac: str
    blocked: bool


class LimitState(Out):
    mac: str
    rate_down_kbit: int | None
    rate_up_kbit: int | None


_QR_CONTENT = {
    "text/plain": {"schema": {"type": "string"}},
    "image/svg+xml": {"schema": {"type": "string"}},
    "image/png": {"schema": {"type": "string", "format": "binary"}},
}


def router(svc: HotspotService) -> APIRouter:
    r = APIRouter(prefix="/api/v1/hotspot", tags=["hotspot"], responses=ERROR_RESPONSES)

    def status_now(reveal: bool = False) -> HotspotStatus:
        return HotspotStatus.model_validate(svc.status(reveal=reveal))

    @r.get("")
    async def status(reveal: bool = False) -> HotspotStatus:
        return status_now(reveal)

    @r.post("/up")
    async def up() -> HotspotStatus:
        svc.daemon.sharing.release("user")
        return status_now()

    @r.post("/down")
    async def down() -> HotspotStatus:
        svc.daemon.sharing.hold("user", "turned off with simspot hotspot down")
        return status_now()

    @r.post("/settings")
    async def set_settings(body: SettingsChange) -> HotspotStatus:
        changes = body.model_dump(exclude_unset=True)
        if not changes:
            raise HotspotValueError("settings", "nothing to change")
        svc.update(changes)
        return status_now()

    @r.get(
        "/qr",
        response_class=Response,
        responses={200: {"description": "the Wi-Fi QR code", "content": _QR_CONTENT}},
    )
    async def qr_code(format: Literal["text", "svg", "png"] = "text") -> Response:
        text = svc.qr_text()
        headers = {"Cache-Control": "no-store"}
        if format == "svg":
            return Response(qr.svg(text), media_type="image/svg+xml", headers=headers)
        if format == "png":
            return Response(qr.png(text), media_type="image/png", headers=headers)
        return Response(text, media_type="text/plain; charset=utf-8", headers=headers)

    @r.get("/clients")
    async def clients() -> list[HotspotClientOut]:
        return [HotspotClientOut.model_validate(c.model_dump()) for c in svc.clients()]

    @r.post("/clients/{mac}/block")
    async def block(mac: Mac) -> BlockState:
        rule = svc.set_rule(mac, blocked=True)
        return BlockState(mac=rule.mac, blocked=rule.blocked)

    @r.post("/clients/{mac}/unblock")
    async def unblock(mac: Mac) -> BlockState:
        rule = svc.set_rule(mac, blocked=False)
        return BlockState(mac=rule.mac, blocked=rule.blocked)

    @r.post("/clients/{mac}/limit")
    async def limit(mac: Mac, body: Limit) -> LimitState:
        rule = svc.set_rule(mac, **body.model_dump())
        return LimitState(
            mac=rule.mac, rate_down_kbit=rule.rate_down_kbit, rate_up_kbit=rule.rate_up_kbit
        )

    return r
