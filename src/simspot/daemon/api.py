"""The REST API (versioned under /api/v1) and the web UI's static files.

Every route except login and static files needs authentication: the CLI's bearer token (read from
the root-only token file) or a web session cookie from POST /api/v1/login; so does the OpenAPI
schema (``/openapi.json``). Capabilities add their own routers to ``daemon.routers`` before the app
is built; they get the same auth dependency. Requests whose ``Host`` is not one of the daemon's
own names are refused (421) before anything else, so a DNS-rebinding page cannot reach the API.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from simspot import __version__
from simspot.apimodels import ApiError, Out
from simspot.daemon.auth import Auth, LoginThrottled
from simspot.daemon.runtime import Daemon
from simspot.errors import AuthError, SimspotError, SimspotValueError
from simspot.i18n import schema_message
from simspot.model import ComponentHealth, Status
from simspot.secrets import is_secret_path, mask_text, secret_problem
from simspot.web import api as web_api

SESSION_COOKIE = "simspot_session"
EVENT_KEEPALIVE_S = 15.0


class LoginRequest(BaseModel):
    password: str = Field(min_length=1, max_length=256)


class Ok(Out):
    ok: bool = True


class EventMessage(Out):
    """One server-sent event's ``data:`` line (its ``event:`` line is the kind)."""

    id: int
    ts: float = Field(description="Unix time, seconds")
    kind: str = Field(description='dotted, e.g. "modem.registration", "component.failed"')
    data: dict[str, Any]


_Responses = dict[int | str, dict[str, Any]]
_E401: _Responses = {401: {"model": ApiError, "description": "not logged in, or a wrong token"}}
_E415: _Responses = {415: {"model": ApiError, "description": "a web session must send JSON"}}
_E421: _Responses = {
    421: {"model": ApiError, "description": "a Host header this daemon does not answer to"}
}


@dataclass(frozen=True)
class Caller:
    """Who made an authenticated request: the CLI (token) or a web session (its id)."""

    kind: Literal["token", "session"]
    session: str | None = None

    @property
    def name(self) -> str:
        return "admin (token)" if self.kind == "token" else "admin (web)"


def _daemon(request: Request) -> Daemon:
    d: Daemon = request.app.state.daemon
    return d


_bearer = HTTPBearer(auto_error=False, description="the CLI token (`api-token`, root only)")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="a web session from POST /api/v1/login"
)


def require_auth(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    sid: Annotated[str | None, Depends(_cookie)],
) -> Caller:
    """Bearer token (CLI) or session cookie (web). Cookie sessions must send JSON for writes."""
    return authenticate(_daemon(request).auth, request, bearer, sid)


def authenticate(
    auth: Auth, request: Request, bearer: HTTPAuthorizationCredentials | None, sid: str | None
) -> Caller:
    """The one check of a request's credentials, for the box's API and the fleet's."""
    if bearer is not None:
        if auth.check_token(bearer.credentials.strip()):
            return Caller("token")
        raise HTTPException(401, "invalid token")
    if sid and auth.check_session(sid):
        if request.method not in ("GET", "HEAD") and not request.headers.get(
            "content-type", ""
        ).startswith("application/json"):
            # A cross-site form cannot send JSON without a CORS preflight, which we never allow.
            raise HTTPException(415, "send application/json")
        return Caller("session", sid)
    raise HTTPException(401, "not logged in")


Authed = Annotated[Caller, Depends(require_auth)]


def _sse(ev: Any) -> str:
    return f"id: {ev.id}\nevent: {ev.kind}\ndata: {json.dumps(ev.as_json())}\n\n"


def core_router() -> APIRouter:
    r = APIRouter(prefix="/api/v1", responses=_E421)

    @r.post(
        "/login",
        responses={
            401: {"model": ApiError, "description": "wrong password"},
            429: {
                "model": ApiError,
                "description": "too many attempts from this address or overall; the password "
                "was not checked. Retry-After says when to try again.",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            },
        },
    )
    async def login(body: LoginRequest, request: Request, response: Response) -> Ok:
        """Start a web session (HttpOnly, SameSite=Strict cookie)."""
        daemon = _daemon(request)
        client = request.client.host if request.client else "?"
        try:
            sid = await daemon.auth.login(
                body.password, client, ttl_s=daemon.config.daemon.session_ttl_s
            )
        except LoginThrottled as exc:
            return JSONResponse(  # type: ignore[return-value]
                error_body(exc), status_code=429, headers={"Retry-After": str(exc.retry_after)}
            )
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

    @r.post("/logout", responses={**_E401, **_E415})
    async def logout(request: Request, response: Response, caller: Authed) -> Ok:
        """End this web session (and its event streams)."""
        if caller.session:
            _daemon(request).auth.logout(caller.session)
        response.delete_cookie(SESSION_COOKIE)
        return Ok()

    @r.get("/status", responses=_E401)
    async def status(request: Request, _: Authed) -> Status:
        """Modem, SIM slots, battery, clients, sharing and component health."""
        return _daemon(request).status()

    @r.get("/health", responses=_E401)
    async def health(request: Request, _: Authed) -> list[ComponentHealth]:
        """Each supervised component: running, restarting or failed, with its last error."""
        return list(_daemon(request).supervisor.health())

    @r.get(
        "/events",
        response_class=StreamingResponse,
        responses={
            **_E401,
            200: {
                "description": "Server-sent events (`id:`, `event:` the kind, `data:` JSON), "
                "with a `: keep-alive` comment every 15 s. A web session's stream ends when the "
                "session does (logout, expiry, password change).",
                "content": {
                    "text/event-stream": {"schema": {"$ref": "#/components/schemas/EventMessage"}}
                },
            },
        },
    )
    async def events(request: Request, caller: Authed, history: bool = True) -> StreamingResponse:
        """Every event the daemon publishes, as it happens (the recent ones first)."""
        daemon = _daemon(request)
        bus, auth = daemon.bus, daemon.auth
        sid = caller.session
        ended = auth.session_ended(sid) if sid else None

        def session_over() -> bool:
            return sid is not None and not auth.check_session(sid)

        async def stream() -> AsyncIterator[str]:
            q = bus.subscribe()
            try:
                if history:
                    for ev in bus.recent():
                        yield _sse(ev)
                while not session_over():
                    timeout = EVENT_KEEPALIVE_S
                    if sid is not None:
                        left = auth.session_expires_in(sid)
                        timeout = min(timeout, max(0.0, left or 0.0) + 0.01)
                    getter = asyncio.ensure_future(q.get())
                    waiters: set[asyncio.Future[Any]] = {getter}
                    if ended is not None:
                        waiters.add(asyncio.ensure_future(ended.wait()))
                    try:
                        done, _pending = await asyncio.wait(
                            waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                        )
                    finally:
                        for w in waiters:
                            if not w.done():
                                w.cancel()
                    if getter in done:
                        yield _sse(getter.result())
                    elif not done:
                        yield ": keep-alive\n\n"
            finally:
                bus.unsubscribe(q)

        return StreamingResponse(stream(), media_type="text/event-stream")

    return r


def _public_error(err: dict[str, Any]) -> dict[str, Any]:
    """A request validation error without the input value; secrets described, not repeated."""
    loc = list(err.get("loc", ()))
    kind = str(err.get("type", ""))
    msg = str(err.get("msg", "invalid value"))
    if is_secret_path(loc):
        got = err.get("input")
        if kind not in ("value_error", "assertion_error"):
            msg = secret_problem(kind)
        elif isinstance(got, str) and got:
            msg = msg.replace(got, "***")
    out: dict[str, Any] = {"type": kind, "loc": loc, "msg": mask_text(msg)}
    where = [str(p) for p in loc]
    said = schema_message(
        err, ".".join(where[1:] if where[:1] in (["body"], ["query"], ["path"]) else where)
    )
    if said is not None and (msg == str(err.get("msg")) or kind == "value_error"):
        # The same sentence by id (simspot.i18n), its text values shown as the message shows them.
        got = err.get("input") if is_secret_path(loc) else None
        said["params"] = _masked(said["params"], got if isinstance(got, str) else None)
        out["message"] = {**said, "text": out["msg"]}
    return out


def _masked(value: Any, secret: str | None = None) -> Any:
    """A message's parameters (nested messages too) with secrets masked as in its text."""
    if isinstance(value, str):
        return mask_text(value.replace(secret, "***") if secret else value)
    if isinstance(value, dict):
        return {k: _masked(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secret) for v in value]
    return value


def error_body(exc: SimspotError) -> dict[str, Any]:
    """``detail`` (English), and ``message`` (id, parameters, text) when the error names one."""
    body: dict[str, Any] = {"detail": mask_text(str(exc))}
    said = exc.message_json()
    if said is not None:  # the same sentence by id, for readers in another language (simspot.i18n)
        body["message"] = {**said, "params": _masked(said["params"]), "text": body["detail"]}
    return body


class HostAllowList:
    """Answer only requests whose Host names this daemon (DNS-rebinding defence).

    Allowed: ``localhost`` and ``*.localhost``, loopback addresses, and the names and addresses
    given (the LAN address, a specific listen address, ``daemon.allowed_hosts``). A missing Host
    header is a 400, any other a 421 (Misdirected Request).
    """

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(_host_name(h) for h in allowed)

    def allows(self, host: str) -> bool:
        name = _host_name(host)
        if name in self.allowed or name == "localhost" or name.endswith(".localhost"):
            return True
        try:
            ip = ipaddress.ip_address(name.split("%", 1)[0])  # a link-local one has a zone
        except ValueError:
            return False
        # An IPv6 literal is no rebound DNS name: the LAN's IPv6 addresses (link-local, the
        # router address of the uplink's /64) change with the uplink, so they are not listed.
        return ip.is_loopback or ip.version == 6

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            hosts = [v for k, v in scope["headers"] if k == b"host"]
            problem = None
            if len(hosts) != 1:
                problem = 400, "send exactly one Host header"
            elif not self.allows(hosts[0].decode("latin-1")):
                problem = (
                    421,
                    (
                        "this daemon does not answer to that host name; "
                        "add it to daemon.allowed_hosts in the config"
                    ),
                )
            if problem is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})  # policy violation
                else:
                    await _refuse(send, *problem)
                return
        await self.app(scope, receive, send)


def _host_name(host: str) -> str:
    """``Host`` header value -> lower-case name or address without port or brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def allowed_hosts(daemon: Daemon) -> list[str]:
    """The names the API answers to besides loopback: configured, LAN address, listen address."""
    conf = daemon.config
    hosts = list(conf.daemon.allowed_hosts)
    hosts.append(conf.dataplane.lan_address.split("/", 1)[0])
    listen = conf.daemon.api_host.strip("[]")
    try:
        if not ipaddress.ip_address(listen).is_unspecified:
            hosts.append(listen)
    except ValueError:
        hosts.append(listen)  # a name
    return hosts


def install_error_handlers(app: FastAPI) -> None:
    """The error answers every simspot API shares (the box's and the fleet's): a request that
    does not fit its schema and a refused value are 422, a failed operation 409."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": [_public_error(dict(e)) for e in exc.errors()]}, status_code=422
        )

    @app.exception_handler(SimspotValueError)
    async def _bad_input(request: Request, exc: SimspotValueError) -> JSONResponse:
        body = error_body(exc)
        if exc.field:
            body["field"] = exc.field
        return JSONResponse(body, status_code=422)

    @app.exception_handler(SimspotError)
    async def _failed(request: Request, exc: SimspotError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=409)


def create_app(daemon: Daemon) -> FastAPI:
    app = FastAPI(
        title="simspot",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind login
    )
    app.state.daemon = daemon
    app.include_router(core_router())
    app.include_router(web_api.public_router(), responses=_E421)
    for router in [*daemon.routers, web_api.router()]:
        app.include_router(
            router, dependencies=[Depends(require_auth)], responses={**_E401, **_E421}
        )

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(_: Authed) -> JSONResponse:
        schema = app.openapi()
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "EventMessage",
            EventMessage.model_json_schema(ref_template="#/components/schemas/{model}"),
        )
        return JSONResponse(schema)

    install_error_handlers(app)

    static = resources.files("simspot.web") / "static"

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        with resources.as_file(static / "index.html") as path:
            return FileResponse(path, headers=SECURITY_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> FileResponse:
        if name not in _STATIC_FILES:
            raise HTTPException(404)
        with resources.as_file(static / name) as path:
            return FileResponse(path, headers=SECURITY_HEADERS)

    app.add_middleware(HostAllowList, allowed=allowed_hosts(daemon))
    return app


# Every .js (ES modules) and .css file shipped in simspot/web/static, and nothing else.
_STATIC_FILES = frozenset(
    f.name
    for f in (resources.files("simspot.web") / "static").iterdir()
    if f.name.endswith((".js", ".css"))
)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
