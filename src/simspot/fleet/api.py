"""The fleet API (``/api/v1``) and web view of `simspot fleet serve`, over the PostgreSQL store.

Authentication is the box's (`simspot.daemon.auth.Auth`, kept in the fleet server's own state
directory): a generated admin password (never a default one; scrypt, constant-time compare, login
slowed per address and overall) for web sessions, and a root-only bearer token for tools. Every
route but login, the message catalogue and the static files needs one of them; requests whose
``Host`` is not loopback or one of ``allowed_hosts`` are refused (DNS rebinding).

Reads: boxes (state, last seen, group, uplink, signal, battery, clients, sharing, simulated),
usage per box or for the fleet per day or hour, plans and SIMs per box, events and uplink
decisions per box, alerts. Writes: a box's group, and commands: ``POST /api/v1/commands`` checks
the action's args (`simspot.fleet.commands`), stores one ``command`` row per box (secrets masked)
and publishes each QoS 1 with an expiry (`simspot.fleet.publisher`); the box's answer, stored by
the ingest, makes its state ``ok`` or ``failed``; unanswered past its expiry it is ``expired``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simspot import __version__
from simspot.apimodels import ERROR_RESPONSES, ApiError, Out
from simspot.daemon.api import (
    SECURITY_HEADERS,
    Caller,
    HostAllowList,
    LoginRequest,
    Ok,
    authenticate,
    error_body,
    install_error_handlers,
)
from simspot.daemon.auth import Auth, LoginThrottled
from simspot.errors import AuthError, SimspotValueError
from simspot.fleet import alerts as fleet_alerts
from simspot.fleet import queries as q
from simspot.fleet.commands import check_args, stored_args
from simspot.fleet.protocol import BOX_ID_RE, Command, CommandAction, PlanState, Status
from simspot.fleet.publisher import CommandPublisher, PublishError, PublishUnconfirmed
from simspot.i18n import CATALOGUE, MessageOut, render
from simspot.web import api as web_api

log = logging.getLogger(__name__)

SESSION_COOKIE = "simspot_fleet_session"
MAX_HOUR_RANGE = dt.timedelta(days=31)
MAX_DAY_RANGE = dt.timedelta(days=400)
# The box's dashboard modules the fleet view imports as they are (served read-only).
BOX_MODULES = frozenset({"api.js", "charts.js", "dom.js", "i18n.js", "style.css"})

BoxId = Annotated[
    str, Path(min_length=1, max_length=32, pattern=BOX_ID_RE.pattern, description="a box's id")
]
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Group = Annotated[str, Field(max_length=64, pattern=_PRINTABLE)]
BoxQuery = Annotated[
    str | None, Query(min_length=1, max_length=32, pattern=BOX_ID_RE.pattern, description="a box")
]
GroupQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=_PRINTABLE)]


_E421: dict[int | str, dict[str, Any]] = {
    421: {"model": ApiError, "description": "a Host header this server does not answer to"}
}
_E503: dict[int | str, dict[str, Any]] = {
    503: {"model": ApiError, "description": "the fleet database cannot be reached"}
}


# -- auth ----------------------------------------------------------------------------------------


_bearer = HTTPBearer(auto_error=False, description="the fleet server's API token (root only)")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="a web session from POST /api/v1/login"
)


def _auth(request: Request) -> Auth:
    auth: Auth = request.app.state.auth
    return auth


def require_auth(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    sid: Annotated[str | None, Depends(_cookie)],
) -> Caller:
    """Bearer token or session cookie; a web session must send JSON for writes (CSRF)."""
    return authenticate(_auth(request), request, bearer, sid)


Authed = Annotated[Caller, Depends(require_auth)]


def _store(request: Request) -> q.Store:
    store: q.Store = request.app.state.store
    return store


# -- answer models -------------------------------------------------------------------------------


class BoxOut(Out):
    id: str
    name: str
    group: str
    state: Literal["online", "quiet", "offline", "unknown"] = Field(
        description="offline: the broker published its last will; quiet: online but silent "
        "for longer than the alert threshold; unknown: never heard from"
    )
    online: bool
    last_seen: dt.datetime | None
    status_at: dt.datetime | None
    version: str
    uplink: str
    uplink_label: str
    signal: int | None
    battery: int | None
    clients: int
    guests: int
    sharing: bool
    reason: str
    reason_id: str
    simulated: list[str]
    open_alerts: int


class BoxList(Out):
    boxes: list[BoxOut]


class GroupOut(Out):
    name: str
    boxes: int
    online: int


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: Group = Field(description="the group's name; empty for none")


class UsagePoint(Out):
    at: dt.datetime = Field(description="start of the day (in tz) or hour, UTC")
    rx: int
    tx: int
    parts: dict[str, int] = Field(description="rx+tx per part (uplink/client key, or box)")


class UsageOut(Out):
    box: str | None
    group: str | None
    by: Literal["day", "hour"]
    tz: str
    scope: q.Scope
    since: dt.datetime
    until: dt.datetime
    parts: list[str]
    points: list[UsagePoint]
    rx: int
    tx: int


class PlanOut(Out):
    iccid: str
    updated_at: dt.datetime
    plan: PlanState


class SimOut(Out):
    key: str = Field(description="an ICCID, wan:<if> or wifi:<name>")
    current: bool
    plan: str | None
    rx_31d: int
    tx_31d: int
    last_used: dt.datetime | None


class PlansOut(Out):
    box: str
    plans: list[PlanOut]
    sims: list[SimOut]


class EventOut(Out):
    seq: int
    ts: dt.datetime
    kind: str
    severity: str
    text: str
    message: MessageOut | None


class EventList(Out):
    box: str
    events: list[EventOut]


class DecisionOut(Out):
    seq: int
    ts: dt.datetime
    chosen: str
    previous: str
    reason: str
    message: MessageOut | None


class AlertOut(Out):
    id: int
    box: str
    kind: str
    key: str
    raised_at: dt.datetime
    cleared_at: dt.datetime | None
    message: MessageOut


class AlertList(Out):
    alerts: list[AlertOut]


class CommandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: CommandAction
    args: dict[str, Any] = Field(
        default_factory=dict, description="the body of the box's own REST call for the action"
    )
    box: Annotated[str, Field(max_length=32, pattern=BOX_ID_RE.pattern)] | None = None
    group: Annotated[str, Field(min_length=1, max_length=64, pattern=_PRINTABLE)] | None = None
    expires_in_s: int = Field(
        default=3600, ge=10, le=7 * 86400, description="a box away longer does not run it"
    )


class CommandOut(Out):
    id: str
    box: str
    action: str
    args: dict[str, Any] = Field(description="as sent, secrets masked")
    state: q.CommandState
    created_at: dt.datetime
    expires_at: dt.datetime | None
    requested_by: str
    answered_at: dt.datetime | None
    ok: bool | None
    result: dict[str, Any] | None
    error: str


class CommandList(Out):
    commands: list[CommandOut]


# -- row -> answer -------------------------------------------------------------------------------


def _message(msg_id: str, params: dict[str, Any], fallback: str) -> MessageOut | None:
    """A stored sentence by id, if this server knows the id and its parameters fit."""
    if msg_id not in CATALOGUE:
        return None
    try:
        text = render(msg_id, params, "en")
    except (KeyError, ValueError, TypeError):
        return None  # a box of another version: its English text stands
    return MessageOut(id=msg_id, params=params, text=text or fallback)


def box_out(row: dict[str, Any], quiet: dt.timedelta, now: dt.datetime) -> BoxOut:
    try:
        st = Status.model_validate(row["status"]) if row["status"] else None
    except ValidationError:
        st = None  # a body this version does not read: the box row still shows
    last_seen = row["last_seen"]
    state: Literal["online", "quiet", "offline", "unknown"]
    if last_seen is None:
        state = "unknown"
    elif not row["online"]:
        state = "offline"
    elif now - last_seen > quiet:
        state = "quiet"
    else:
        state = "online"
    return BoxOut(
        id=row["id"],
        name=row["name"] or (st.name if st else ""),
        group=row["grp"],
        state=state,
        online=row["online"],
        last_seen=last_seen,
        status_at=row["status_at"],
        version=st.version if st else "",
        uplink=st.uplink if st else "",
        uplink_label=st.uplink_label if st else "",
        signal=st.signal if st else None,
        battery=st.battery if st else None,
        clients=st.clients if st else 0,
        guests=st.guests if st else 0,
        sharing=st.sharing if st else False,
        reason=st.reason if st else "",
        reason_id=st.reason_id if st else "",
        simulated=list(st.simulated) if st else [],
        open_alerts=row["open_alerts"],
    )


def command_out(row: dict[str, Any]) -> CommandOut:
    return CommandOut(
        id=row["id"],
        box=row["box_id"],
        action=row["action"],
        args=row["args"] or {},
        state=row["state"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        requested_by=row["requested_by"],
        answered_at=row["answered_at"],
        ok=row["ok"],
        result=row["result"],
        error=row["error"],
    )


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SimspotValueError(field="tz", msg_id="fleet.api.bad-tz", params={"tz": tz}) from None


def _range(
    by: Literal["day", "hour"],
    since: dt.datetime | None,
    until: dt.datetime | None,
    zone: ZoneInfo,
    now: dt.datetime,
) -> tuple[dt.datetime, dt.datetime]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise SimspotValueError(field=name, msg_id="fleet.api.needs-tz", params={"field": name})
    until = until or now
    if since is None:
        if by == "hour":
            since = until - dt.timedelta(hours=24)
        else:
            first = (until.astimezone(zone) - dt.timedelta(days=13)).date()
            since = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    if since >= until:
        raise SimspotValueError(field="since", msg_id="fleet.api.since-after-until")
    widest = MAX_HOUR_RANGE if by == "hour" else MAX_DAY_RANGE
    if until - since > widest:
        raise SimspotValueError(
            field="since",
            msg_id="fleet.api.range-too-wide",
            params={"days": widest.days, "by": by},
        )
    return since, until


def usage_out(
    rows: list[dict[str, Any]],
    *,
    by: Literal["day", "hour"],
    tz: str,
    zone: ZoneInfo,
    scope: q.Scope,
    since: dt.datetime,
    until: dt.datetime,
    box: str | None,
    group: str | None,
) -> UsageOut:
    points = {t: UsagePoint(at=t, rx=0, tx=0, parts={}) for t in q.buckets(since, until, by, zone)}
    parts: set[str] = set()
    for r in rows:
        at = r["at"].astimezone(dt.UTC)
        p = points.setdefault(at, UsagePoint(at=at, rx=0, tx=0, parts={}))
        p.rx += r["rx"]
        p.tx += r["tx"]
        p.parts[r["part"]] = p.parts.get(r["part"], 0) + r["rx"] + r["tx"]
        parts.add(r["part"])
    ordered = [points[t] for t in sorted(points)]
    return UsageOut(
        box=box,
        group=group,
        by=by,
        tz=tz,
        scope=scope,
        since=since,
        until=until,
        parts=sorted(parts),
        points=ordered,
        rx=sum(p.rx for p in ordered),
        tx=sum(p.tx for p in ordered),
    )


# -- routes --------------------------------------------------------------------------------------


def _unknown_box(box: str) -> SimspotValueError:
    return SimspotValueError(field="box", msg_id="fleet.api.unknown-box", params={"box": box})


def fleet_router(publisher: CommandPublisher, quiet: dt.timedelta) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["fleet"], responses={**ERROR_RESPONSES, **_E503, **_E421})

    @r.get("/boxes")
    async def list_boxes(request: Request, group: GroupQuery = None) -> BoxList:
        """Every box (or a group's), with its last reported state."""
        async with _store(request).conn() as conn:
            rows = await q.boxes(conn, group)
        now = dt.datetime.now(dt.UTC)
        return BoxList(boxes=[box_out(row, quiet, now) for row in rows])

    @r.get("/boxes/{box}")
    async def show_box(request: Request, box: BoxId) -> BoxOut:
        async with _store(request).conn() as conn:
            row = await q.box(conn, box)
        if row is None:
            raise _unknown_box(box)
        return box_out(row, quiet, dt.datetime.now(dt.UTC))

    @r.put("/boxes/{box}/group")
    async def put_group(request: Request, box: BoxId, body: GroupIn) -> BoxOut:
        """Put a box in a group (commands can go to a whole group); empty takes it out."""
        async with _store(request).conn() as conn:
            if not await q.set_group(conn, box, body.group.strip()):
                raise _unknown_box(box)
            row = await q.box(conn, box)
        if row is None:  # removed meanwhile
            raise _unknown_box(box)
        return box_out(row, quiet, dt.datetime.now(dt.UTC))

    @r.get("/groups")
    async def list_groups(request: Request) -> list[GroupOut]:
        async with _store(request).conn() as conn:
            rows = await q.groups(conn)
        return [GroupOut.model_validate(row) for row in rows]

    async def _usage(
        request: Request,
        *,
        box: str | None,
        group: str | None,
        by: Literal["day", "hour"],
        since: dt.datetime | None,
        until: dt.datetime | None,
        tz: str,
        scope: q.Scope,
    ) -> UsageOut:
        zone = _zone(tz)
        since, until = _range(by, since, until, zone, dt.datetime.now(dt.UTC))
        async with _store(request).conn() as conn:
            if box is not None and await q.box(conn, box) is None:
                raise _unknown_box(box)
            rows = await q.usage(
                conn, since=since, until=until, by=by, tz=tz, scope=scope, box_id=box, group=group
            )
        return usage_out(
            rows,
            by=by,
            tz=tz,
            zone=zone,
            scope=scope,
            since=since,
            until=until,
            box=box,
            group=group,
        )

    @r.get("/boxes/{box}/usage")
    async def box_usage(
        request: Request,
        box: BoxId,
        by: Literal["day", "hour"] = "day",
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        tz: Annotated[str, Query(min_length=1, max_length=64, pattern=_PRINTABLE)] = "UTC",
        scope: q.Scope = "uplink",
    ) -> UsageOut:
        """Bytes per day (local to ``tz``) or hour, split by uplink (or client or guest pass).

        Defaults: the last 14 days by day, the last 24 hours by hour."""
        return await _usage(
            request, box=box, group=None, by=by, since=since, until=until, tz=tz, scope=scope
        )

    @r.get("/usage")
    async def fleet_usage(
        request: Request,
        by: Literal["day", "hour"] = "day",
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        tz: Annotated[str, Query(min_length=1, max_length=64, pattern=_PRINTABLE)] = "UTC",
        group: GroupQuery = None,
    ) -> UsageOut:
        """The fleet's (or a group's) bytes per day or hour through every uplink, split by box."""
        return await _usage(
            request, box=None, group=group, by=by, since=since, until=until, tz=tz, scope="uplink"
        )

    @r.get("/boxes/{box}/plans")
    async def box_plans(request: Request, box: BoxId) -> PlansOut:
        """The box's plans (as it last reported them) and its SIMs and other uplinks: those with
        a plan, the current one, and every one bytes went through in the last 31 days."""
        now = dt.datetime.now(dt.UTC)
        async with _store(request).conn() as conn:
            row = await q.box(conn, box)
            if row is None:
                raise _unknown_box(box)
            plan_rows = await q.plans(conn, box)
            seen = await q.uplinks_seen(conn, box, now - dt.timedelta(days=31))
        plans = [
            PlanOut(
                iccid=p["iccid"],
                updated_at=p["updated_at"],
                plan=PlanState.model_validate(p["body"]),
            )
            for p in plan_rows
        ]
        current = box_out(row, quiet, now).uplink
        by_key = {p.iccid: p.plan.name for p in plans}
        used = {u["key"]: u for u in seen}
        keys = sorted(set(by_key) | set(used) | ({current} if current else set()))
        sims = [
            SimOut(
                key=k,
                current=k == current,
                plan=by_key.get(k),
                rx_31d=used[k]["rx"] if k in used else 0,
                tx_31d=used[k]["tx"] if k in used else 0,
                last_used=used[k]["last_bucket"] if k in used else None,
            )
            for k in keys
        ]
        return PlansOut(box=box, plans=plans, sims=sims)

    @r.get("/boxes/{box}/events")
    async def box_events(
        request: Request,
        box: BoxId,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        before: Annotated[int | None, Query(ge=1, description="events before this seq")] = None,
    ) -> EventList:
        """The box's event log as it reported it, newest first."""
        async with _store(request).conn() as conn:
            if await q.box(conn, box) is None:
                raise _unknown_box(box)
            rows = await q.events(conn, box, limit=limit, before_seq=before)
        return EventList(
            box=box,
            events=[
                EventOut(
                    seq=e["seq"],
                    ts=e["ts"],
                    kind=e["kind"],
                    severity=e["severity"],
                    text=e["message"] or e["kind"],
                    message=_message(e["message_id"], e["params"], e["message"]),
                )
                for e in rows
            ],
        )

    @r.get("/boxes/{box}/uplink")
    async def box_uplink(
        request: Request, box: BoxId, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> list[DecisionOut]:
        """The box's uplink decisions (which uplink it chose and why), newest first."""
        async with _store(request).conn() as conn:
            if await q.box(conn, box) is None:
                raise _unknown_box(box)
            rows = await q.uplink_decisions(conn, box, limit=limit)
        return [
            DecisionOut(
                seq=d["seq"],
                ts=d["ts"],
                chosen=d["chosen"],
                previous=d["previous"],
                reason=d["reason"],
                message=_message(d["reason_id"], d["params"], d["reason"]),
            )
            for d in rows
        ]

    @r.get("/alerts")
    async def list_alerts(
        request: Request,
        state: Literal["open", "cleared", "all"] = "open",
        box: BoxQuery = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> AlertList:
        """Alerts, newest first: open ones by default."""
        async with _store(request).conn() as conn:
            rows = await q.alerts(conn, state=state, box_id=box, limit=limit)
        out = []
        for a in rows:
            said = _message(a["message_id"], a["params"], a["kind"])
            out.append(
                AlertOut(
                    id=a["id"],
                    box=a["box_id"],
                    kind=a["kind"],
                    key=a["key"],
                    raised_at=a["raised_at"],
                    cleared_at=a["cleared_at"],
                    message=said or MessageOut(id=a["kind"], params=a["params"], text=a["kind"]),
                )
            )
        return AlertList(alerts=out)

    @r.post("/commands", status_code=202)
    async def send_command(request: Request, body: CommandIn, caller: Authed) -> CommandList:
        """Send an action to one box (``box``) or every box of a group (``group``).

        ``args`` are checked against the action's (the box's own REST body) before anything is
        stored; each box gets its own command (its id to poll). A command the broker did not
        take is ``failed`` at once, with the reason in ``error``; one it did not confirm in time
        stays ``pending`` (it may still be delivered until it expires)."""
        if (body.box is None) == (body.group is None):
            raise SimspotValueError(field="box", msg_id="fleet.api.box-or-group")
        args = check_args(body.action, body.args)
        store = _store(request)
        async with store.conn() as conn:
            if body.box is not None:
                if await q.box(conn, body.box) is None:
                    raise _unknown_box(body.box)
                targets = [body.box]
            else:
                group = body.group or ""
                targets = await q.group_members(conn, group)
                if not targets:
                    raise SimspotValueError(
                        field="group", msg_id="fleet.api.empty-group", params={"group": group}
                    )
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            expires = now + dt.timedelta(seconds=body.expires_in_s)
            sent: list[tuple[str, Command]] = []
            for box in targets:
                cmd = Command(
                    id=str(uuid.uuid4()), action=body.action, args=args, ts=now, expires=expires
                )
                await q.add_command(
                    conn,
                    command_id=cmd.id,
                    box_id=box,
                    action=cmd.action,
                    args=stored_args(args),
                    created_at=now,
                    expires_at=expires,
                    requested_by=caller.name,
                )
                sent.append((box, cmd))
        # Stored first, so an answer from a quick box always finds its command.
        for box, cmd in sent:
            try:
                await asyncio.to_thread(publisher.publish, box, cmd)
            except PublishUnconfirmed as exc:
                # It may still reach the box (and be answered) until it expires: pending.
                log.warning(
                    "fleet command %s to %s not confirmed by the broker: %s", cmd.id, box, exc
                )
            except PublishError as exc:
                async with store.conn() as conn:
                    await q.fail_command(conn, cmd.id, str(exc))
        async with store.conn() as conn:
            rows = [await q.command(conn, cmd.id) for _, cmd in sent]
        return CommandList(commands=[command_out(row) for row in rows if row is not None])

    @r.get("/commands")
    async def list_commands(
        request: Request,
        box: BoxQuery = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> CommandList:
        """Recent commands (of one box), newest first."""
        async with _store(request).conn() as conn:
            rows = await q.commands(conn, box_id=box, limit=limit)
        return CommandList(commands=[command_out(row) for row in rows])

    @r.get("/commands/{command_id}")
    async def show_command(
        request: Request,
        command_id: Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")],
    ) -> CommandOut:
        """A command's state: pending, ok, failed (the box or the broker said no) or expired."""
        async with _store(request).conn() as conn:
            row = await q.command(conn, command_id)
        if row is None:
            raise SimspotValueError(
                field="id", msg_id="fleet.api.unknown-command", params={"id": command_id}
            )
        return command_out(row)

    return r


def auth_router() -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["auth"], responses=_E421)

    @r.post(
        "/login",
        responses={
            401: {"model": ApiError, "description": "wrong password"},
            429: {
                "model": ApiError,
                "description": "too many attempts; Retry-After says when to try again",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            },
        },
    )
    async def login(body: LoginRequest, request: Request, response: Response) -> Ok:
        """Start a web session (HttpOnly, SameSite=Strict cookie)."""
        client = request.client.host if request.client else "?"
        try:
            sid = await _auth(request).login(
                body.password, client, ttl_s=request.app.state.session_ttl_s
            )
        except LoginThrottled as exc:
            raise HTTPException(
                429, str(exc), headers={"Retry-After": str(exc.retry_after)}
            ) from None
        except AuthError as exc:
            raise HTTPException(401, str(exc)) from None
        response.set_cookie(
            SESSION_COOKIE,
            sid,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return Ok()

    @r.post(
        "/logout",
        responses={
            401: {"model": ApiError, "description": "not logged in"},
            415: {"model": ApiError, "description": "a web session must send JSON"},
        },
    )
    async def logout(request: Request, response: Response, caller: Authed) -> Ok:
        if caller.session:
            _auth(request).logout(caller.session)
        response.delete_cookie(SESSION_COOKIE)
        return Ok()

    return r


def create_app(
    dsn: str,
    publisher: CommandPublisher,
    auth: Auth,
    *,
    allowed_hosts: Iterable[str] = (),
    alert_settings: fleet_alerts.AlertSettings | None = None,
    run_alerts: bool = True,
    session_ttl_s: float = 12 * 3600,
    pool_size: int = 4,
) -> FastAPI:
    """The fleet server's web app. ``auth`` is set up (``auth.setup()``) by the caller, which also
    shows the first password; ``allowed_hosts`` are the names (besides loopback) the server is
    reached by. With ``run_alerts`` the app evaluates alerts every ``alert_settings.every_s``."""
    settings = alert_settings or fleet_alerts.AlertSettings()
    store = q.Store(dsn, size=pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(fleet_alerts.run(store, settings)) if run_alerts else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
            await store.close()

    app = FastAPI(
        title="simspot fleet",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind login
        lifespan=lifespan,
    )
    app.state.auth = auth
    app.state.store = store
    app.state.session_ttl_s = session_ttl_s
    app.include_router(auth_router())
    app.include_router(web_api.public_router(), responses=_E421)  # the sentences (no data)
    app.include_router(
        fleet_router(publisher, dt.timedelta(minutes=settings.quiet_minutes)),
        dependencies=[Depends(require_auth)],
    )

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(_: Authed) -> JSONResponse:
        return JSONResponse(app.openapi())

    install_error_handlers(app)

    @app.exception_handler(q.DatabaseUnavailable)
    async def _no_database(request: Request, exc: q.DatabaseUnavailable) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=503)

    @app.exception_handler(psycopg.Error)
    async def _database_error(request: Request, exc: psycopg.Error) -> JSONResponse:
        # Not the server's text (it may quote data): the kind of error, for the log reader.
        log.warning("fleet database error: %s", type(exc).__name__)
        detail = "the fleet database refused the query (is its schema migrated?)"
        return JSONResponse({"detail": detail}, status_code=503)

    web = resources.files("simspot.fleet") / "web"
    box_static = resources.files("simspot.web") / "static"

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        with resources.as_file(web / "index.html") as path:
            return FileResponse(path, headers=SECURITY_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> FileResponse:
        if name in _FLEET_FILES:
            source = web / name
        elif name in BOX_MODULES:
            source = box_static / name
        else:
            raise HTTPException(404)
        with resources.as_file(source) as path:
            return FileResponse(path, headers=SECURITY_HEADERS)

    app.add_middleware(HostAllowList, allowed=list(allowed_hosts))
    return app


# Every .js and .css file of the fleet view (simspot/fleet/web), and nothing else.
_FLEET_FILES = frozenset(
    f.name
    for f in (resources.files("simspot.fleet") / "web").iterdir()
    if f.name.endswith((".js", ".css"))
)
