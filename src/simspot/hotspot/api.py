"""The hotspot's REST routes under /api/v1/hotspot (authenticated by the daemon's app)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.hotspot import qr
from simspot.hotspot.capability import HotspotService
from simspot.hotspot.guests import CLIENTS_NOTE, GuestPass, GuestService
from simspot.hotspot.settings import MAX_MAC_LIST, Band, Security
from simspot.hotspot.validate import HotspotValueError
from simspot.i18n import Message, MessageOut
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
    held_by_said: dict[str, dict[str, Any]] = Field(
        {}, description="each hold's why by message id ({id, params})"
    )
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
    warnings_said: list[dict[str, Any]] = Field([], description="the warnings by message id")
    last_error: str | None
    last_error_message: MessageOut | None = None


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
    key_id: str | None  # the per-person Wi-Fi key it joined with (a guest pass's id)
    guest_id: str | None  # the guest pass it is counted under
    guest_name: str | None


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
        svc.daemon.sharing.hold("user", "sharing.why.user")
        return status_now()

    @r.post("/settings")
    async def set_settings(body: SettingsChange) -> HotspotStatus:
        changes = body.model_dump(exclude_unset=True)
        if not changes:
            raise HotspotValueError("settings", "nothing to change", "hotspot.nothing")
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


# -- guest passes (/api/v1/guests) -------------------------------------------------------------
GuestId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[0-9a-z]+$")]


class GuestAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    until: dt.datetime = Field(description="when the pass ends (with a time zone)")
    period: Literal["day", "cycle", "total"] = "total"
    allowance_bytes: int | None = Field(default=None, ge=1, le=2**50)
    rate_kbit: Kbit | None = None


class GuestExtend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: dt.datetime | None = None
    topup_bytes: int | None = Field(default=None, ge=1, le=2**50)
    allowance_bytes: int | None = Field(default=None, ge=1, le=2**50)
    rate_kbit: Kbit | None = None
    clear_rate: bool = False


class GuestOut(Out):
    id: str
    name: str
    state: Literal["active", "revoked", "expired"]
    key_id: str
    passphrase: str  # "***" unless revealed
    period: Literal["day", "cycle", "total"]
    allowance_bytes: int | None
    topup_bytes: int
    used_bytes: int
    remaining_bytes: int | None
    plan_remaining_bytes: int | None
    effective_remaining_bytes: int | None
    rate_kbit: int | None
    created: dt.datetime
    until: dt.datetime
    revoked: dt.datetime | None
    macs: list[str]
    counted_bytes: int
    clients_note: str


class GuestList(Out):
    supported: bool
    refusal: str | None  # why passes cannot work with this AP (NetworkManager, wired sharing)
    refusal_message: MessageOut | None  # the same by message id, for readers of other languages
    clients_note: str
    clients_note_message: MessageOut
    passes: list[GuestOut]


def _timestamp(t: dt.datetime, field: str) -> float:
    if t.tzinfo is None:
        raise HotspotValueError(
            field, "needs a time zone (e.g. 2026-12-02T23:00:00+08:00)", "error.needs-timezone"
        )
    return t.timestamp()


def guests_router(svc: GuestService) -> APIRouter:
    r = APIRouter(prefix="/api/v1/guests", tags=["guests"], responses=ERROR_RESPONSES)

    def out(p: GuestPass, reveal: bool = False) -> GuestOut:
        return GuestOut.model_validate(svc.describe(p, reveal=reveal))

    def find(pass_id: str) -> GuestPass:
        return svc.book.get(pass_id)  # an unknown id is refused naming the field "id" (422)

    @r.get("")
    async def list_passes() -> GuestList:
        why = svc.refusal_message()
        refusal = None if why is None else Message(why[0], dict(why[1]))
        return GuestList(
            supported=why is None,
            refusal=None if refusal is None else refusal.text("en"),
            refusal_message=None if refusal is None else MessageOut(**refusal.as_json()),
            clients_note=CLIENTS_NOTE,
            clients_note_message=MessageOut(**Message("guest.clients-note").as_json()),
            passes=[out(p) for p in svc.book.passes()],
        )

    @r.post("")
    async def add(body: GuestAdd) -> GuestOut:
        p = svc.add(
            name=body.name,
            until=_timestamp(body.until, "until"),
            period=body.period,
            allowance_bytes=body.allowance_bytes,
            rate_kbit=body.rate_kbit,
        )
        return out(p, reveal=True)  # shown once to hand over; later only with ?reveal=true

    @r.get("/{pass_id}")
    async def show(pass_id: GuestId, reveal: bool = False) -> GuestOut:
        return out(find(pass_id), reveal)

    @r.get(
        "/{pass_id}/qr",
        response_class=Response,
        responses={200: {"description": "the pass's join QR code", "content": _QR_CONTENT}},
    )
    async def guest_qr(
        pass_id: GuestId, format: Literal["text", "svg", "png"] = "text"
    ) -> Response:
        find(pass_id)
        text = svc.qr_text(pass_id)
        headers = {"Cache-Control": "no-store"}
        if format == "svg":
            return Response(qr.svg(text), media_type="image/svg+xml", headers=headers)
        if format == "png":
            return Response(qr.png(text), media_type="image/png", headers=headers)
        return Response(text, media_type="text/plain; charset=utf-8", headers=headers)

    @r.post("/{pass_id}/revoke")
    async def revoke(pass_id: GuestId) -> GuestOut:
        find(pass_id)
        return out(svc.revoke(pass_id))

    @r.post("/{pass_id}/extend")
    async def extend(pass_id: GuestId, body: GuestExtend) -> GuestOut:
        find(pass_id)
        p = svc.extend(
            pass_id,
            until=None if body.until is None else _timestamp(body.until, "until"),
            topup_bytes=body.topup_bytes,
            allowance_bytes=body.allowance_bytes,
            rate_kbit=body.rate_kbit,
            clear_rate=body.clear_rate,
        )
        return out(p)

    return r
