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

Request models give the types and the ranges (they are the OpenAPI schema). The ranges of plan
fields are checked by the service, which answers 422 with a sentence and the field
(``{"detail": "cycle.day: must be at most 31, got 32", "field": "cycle.day"}``), as it does for
what a schema cannot say (a known ICCID, a unique name, the cycle's rules); the schema itself
refuses only what is not JSON of the right type or is too long to look at. Response models are
plain data without validators: what the service answers is checked against them, so a key the
service adds or drops fails the tests instead of silently changing the API.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.config import JsonDict

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.i18n import MessageOut
from simspot.plans.model import (
    FIRST_DATE,
    LAST_DATE,
    MAX_BYTES,
    MAX_MCCS,
    MAX_RATE_KBIT,
    Action,
    PlanError,
)

if TYPE_CHECKING:
    from simspot.plans.capability import PlansService


def _size(value: object) -> object:
    """A byte figure as a number or as text; its range (0 to MAX_BYTES) is the service's check."""
    if isinstance(value, bool):
        raise PlanError(msg_id="plan.size.type")
    if isinstance(value, float):
        if not value.is_integer():
            raise PlanError(msg_id="plan.size.whole")
        value = int(value)  # 1e40 becomes an int the service refuses as too large
    if isinstance(value, str) and not 1 <= len(value) <= 40:
        raise PlanError(msg_id="plan.size.length")
    return value


def _range(low: int | str, high: int | str) -> JsonDict:
    """A range the schema documents and the service checks (with its own message)."""
    return {"minimum": low, "maximum": high}


# A byte figure: a number, or text such as "5GB", "500 MiB" ("unlimited" where a limit may be
# lifted), parsed and bounded by the service (plans.model.parse_bytes, Plan, ClientLimit). One
# validator, so an error names the field itself, not a member of the union.
Size = Annotated[
    int | str,
    BeforeValidator(_size),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_BYTES},
                {"type": "string", "minLength": 1, "maxLength": 40},
            ]
        }
    ),
]
Kbit = Annotated[int, Field(json_schema_extra=_range(8, MAX_RATE_KBIT))]
Ref = Annotated[str, Path(min_length=1, max_length=64, description="id, ICCID or name")]
Mac = Annotated[str, Path(min_length=1, max_length=32, description="aa:bb:cc:dd:ee:ff")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MonthlyIn(_In):
    kind: Literal["monthly"]
    day: int = Field(json_schema_extra=_range(1, 31))


class EveryIn(_In):
    kind: Literal["every"]
    days: int = Field(json_schema_extra=_range(1, 366))
    start: dt.date = Field(description=f"{FIRST_DATE} to {LAST_DATE}")


class PrepaidIn(_In):
    kind: Literal["prepaid"]
    start: dt.datetime
    expires: dt.datetime


CycleIn = Annotated[MonthlyIn | EveryIn | PrepaidIn, Field(discriminator="kind")]


class PriceIn(_In):
    amount: Decimal = Field(json_schema_extra=_range(0, 10**8))
    per: Literal["cycle", "gb"] = "cycle"
    currency: str = Field(min_length=3, max_length=3)


class PlanChanges(_In):
    """Fields of a plan to change (PATCH); the ones not given stay as they are."""

    iccid: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=64)
    allowance_bytes: Size | None = None  # null: unlimited
    tethering_allowance_bytes: Size | None = None
    tethering_allowed: bool | None = None
    cycle: CycleIn | None = None
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    price: PriceIn | None = None
    mccs: list[Annotated[str, Field(max_length=3)]] | None = Field(
        default=None, max_length=MAX_MCCS
    )
    action: Action | None = None
    throttle_kbit: Kbit | None = None


class PlanIn(PlanChanges):
    """A new plan: the ICCID it belongs to, a name and a billing cycle at least."""

    iccid: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    cycle: CycleIn


class Correction(_In):
    used_bytes: Size | None = None
    tethering_used_bytes: Size | None = None
    note: str | None = Field(default=None, max_length=200)


class ClientLimitIn(_In):
    day_bytes: Size | None = None
    cycle_bytes: Size | None = None
    rate_down_kbit: Kbit | None = None
    rate_up_kbit: Kbit | None = None


# -- answers ------------------------------------------------------------------------------------


class MonthlyOut(Out):
    kind: Literal["monthly"]
    day: int


class EveryOut(Out):
    kind: Literal["every"]
    days: int
    start: dt.date


class PrepaidOut(Out):
    kind: Literal["prepaid"]
    start: dt.datetime
    expires: dt.datetime


class PriceOut(Out):
    amount: str
    per: Literal["cycle", "gb"]
    currency: str


class PlanOut(Out):
    iccid: str
    name: str
    allowance_bytes: int | None
    tethering_allowance_bytes: int | None
    tethering_allowed: bool
    cycle: Annotated[MonthlyOut | EveryOut | PrepaidOut, Field(discriminator="kind")]
    timezone: str
    price: PriceOut | None
    mccs: list[str]
    action: Action
    throttle_kbit: int | None


class ForecastOut(Out):
    rate_bytes_per_day: int
    projected_bytes: int
    runs_out_at: dt.datetime | None
    explanation: str  # English; render ``message`` (simspot.i18n) for other languages
    message: MessageOut


class PlanStatusOut(Out):
    id: int
    plan: PlanOut
    cycle_start: dt.datetime | None
    cycle_end: dt.datetime | None
    expired: bool
    rx_bytes: int
    tx_bytes: int
    used_bytes: int
    corrected_bytes: int
    tethering_used_bytes: int
    allowance_bytes: int | None
    tethering_allowance_bytes: int | None
    remaining_bytes: int | None
    percent: float | None
    tethering_percent: float | None
    exhausted: bool
    cost: str | None
    currency: str | None
    forecast: ForecastOut | None


class PlanList(Out):
    plans: list[PlanStatusOut]


class PlanDeleted(Out):
    id: int
    deleted: bool
    iccid: str
    name: str


class UsageRow(Out):
    key: str
    label: str | None
    start: dt.datetime
    end: dt.datetime
    rx_bytes: int
    tx_bytes: int
    total_bytes: int
    # Only on uplink rows of a plan's cycle (left out otherwise).
    used_bytes: int | None = None
    allowance_bytes: int | None = None
    remaining_bytes: int | None = None


class UsageOut(Out):
    by: Literal["uplink", "client"]
    period: Literal["cycle", "day", "hour"]
    now: dt.datetime
    rows: list[UsageRow]


class ClientLimitOut(Out):
    mac: str
    day_bytes: int | None
    cycle_bytes: int | None
    rate_down_kbit: int | None
    rate_up_kbit: int | None


class ClientLimitList(Out):
    limits: list[ClientLimitOut]


def router(svc: PlansService) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["plans"], responses=ERROR_RESPONSES)

    @r.get("/plans")
    async def list_plans() -> PlanList:
        return PlanList.model_validate({"plans": svc.list_plans()})

    @r.post("/plans", status_code=201)
    async def add_plan(body: PlanIn) -> PlanStatusOut:
        return PlanStatusOut.model_validate(
            svc.add(body.model_dump(mode="json", exclude_unset=True))
        )

    @r.get("/plans/{ref}")
    async def show_plan(ref: Ref) -> PlanStatusOut:
        return PlanStatusOut.model_validate(svc.show(ref))

    @r.patch("/plans/{ref}")
    async def edit_plan(ref: Ref, body: PlanChanges) -> PlanStatusOut:
        changes = body.model_dump(mode="json", exclude_unset=True)
        return PlanStatusOut.model_validate(svc.edit(ref, changes))

    @r.delete("/plans/{ref}")
    async def delete_plan(ref: Ref) -> PlanDeleted:
        return PlanDeleted.model_validate(svc.delete(ref))

    @r.post("/plans/{ref}/usage")
    async def correct_usage(ref: Ref, body: Correction) -> PlanStatusOut:
        done = svc.correct(ref, body.used_bytes, body.tethering_used_bytes, body.note)
        return PlanStatusOut.model_validate(done)

    @r.get("/usage", response_model_exclude_unset=True)
    async def usage(
        by: Literal["uplink", "client"] = "uplink",
        period: Literal["cycle", "day", "hour"] = "cycle",
    ) -> UsageOut:
        return UsageOut.model_validate(svc.usage(by, period))

    @r.get("/usage/limits")
    async def client_limits() -> ClientLimitList:
        return ClientLimitList.model_validate({"limits": svc.client_limits()})

    @r.put("/usage/limits/{mac}")
    async def set_client_limit(mac: Mac, body: ClientLimitIn) -> ClientLimitOut:
        limit = svc.set_client_limit(mac, body.model_dump(exclude_unset=True))
        return ClientLimitOut.model_validate(limit)

    return r
