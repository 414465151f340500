"""The uplink routes: ``/api/v1/uplink`` (status), ``/candidates``, ``/use``, ``/auto``,
``/policy``, ``/explain``, ``/history``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.i18n import Message
from simspot.i18n_models import MessageOut

if TYPE_CHECKING:
    from simspot.uplink.service import UplinkService


class UseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, description="an ICCID, wan:<if> or wifi:<name>")


class PlanOut(Out):
    name: str
    exhausted: bool
    expired: bool
    tethering_allowed: bool
    remaining_bytes: int | None
    price_per_gb: str | None
    currency: str | None


class HealthOut(Out):
    state: str
    since: float
    fails: int
    oks: int
    ups: int
    downs: int
    loss: float | None
    latency_ms: float | None
    probe_bytes: int
    last_error: str | None


class CandidateOut(Out):
    id: str
    kind: str
    label: str
    label_zh: str  # the label in Chinese (the same where the owner named the uplink)
    present: bool
    hot: bool
    cold_via: str | None
    registered: bool
    roaming: bool
    serving_mcc: str | None
    home_mcc: str | None
    signal_percent: int | None
    home_link: bool
    metered: bool
    interface: str | None
    modem: str | None
    slot: int | None
    plan: PlanOut | None
    health: HealthOut


class Reason(Out):
    en: str
    zh: str


class DecisionOut(Out):
    chosen: str | None
    current: str | None
    switch: bool
    forced: bool
    rule: str
    held_by: str | None
    reason: Reason
    ranking: list[str]
    wanted: str | None


class UplinkStatus(Out):
    active: str | None
    pin: str | None
    mode: str  # "pinned" or "auto"
    decision: DecisionOut | None
    candidates: list[CandidateOut]


class Candidates(Out):
    candidates: list[CandidateOut]


class Pinned(Out):
    ok: bool
    pin: str | None
    label: str | None = None


class HistoryEntry(Out):
    id: int
    at: float
    chosen: str | None
    current: str | None
    switch: bool
    forced: bool
    rule: str
    held_by: str | None
    reason: Reason
    outcome: str | None


class History(Out):
    decisions: list[HistoryEntry]


# What the policy always does, whatever the rules (simspot.uplink.policy's docstring).
ALWAYS = ("uplink.always.pin", "uplink.always.plan", "uplink.always.esim")


class Policy(Out):
    settings: dict[str, Any]
    rules: list[str]
    always: list[str]  # in English
    always_said: list[MessageOut]  # the same by message id, for readers of other languages


def router(service: UplinkService) -> APIRouter:
    r = APIRouter(prefix="/api/v1/uplink", tags=["uplink"], responses=ERROR_RESPONSES)

    def status() -> UplinkStatus:
        pin = service.pin
        last = service.last
        return UplinkStatus(
            active=service.active,
            pin=pin,
            mode="pinned" if pin else "auto",
            decision=DecisionOut.model_validate(last.as_json()) if last else None,
            candidates=[CandidateOut.model_validate(c.as_json()) for c in service.candidates],
        )

    @r.get("")
    async def get_status() -> UplinkStatus:
        return status()

    @r.get("/candidates")
    async def candidates() -> Candidates:
        return Candidates(
            candidates=[CandidateOut.model_validate(c.as_json()) for c in service.candidates]
        )

    @r.post("/use")
    async def use(body: UseRequest) -> Pinned:
        cand = service.use(body.id)
        return Pinned(ok=True, pin=cand.id, label=cand.label)

    @r.post("/auto")
    async def auto() -> Pinned:
        service.auto()
        return Pinned(ok=True, pin=None)

    @r.get("/policy")
    async def policy() -> Policy:
        return Policy(
            settings=service.policy(),
            rules=list(service.rules.order),
            always=[Message(m).text() for m in ALWAYS],
            always_said=[MessageOut(**Message(m).as_json()) for m in ALWAYS],
        )

    @r.get("/explain")
    async def explain() -> UplinkStatus:
        return status()

    @r.get("/history")
    async def history(limit: int = Query(50, ge=1, le=1000)) -> History:
        return History(
            decisions=[HistoryEntry.model_validate(x) for x in service.history_rows(limit)]
        )

    return r
