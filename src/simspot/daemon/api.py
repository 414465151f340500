"""The REST API (versioned under /api/v1) and the web UI's static files.

Every route except login and static files needs authentication: the CLI's bearer token (read from
the root-only token file) or a web session cookie from POST /api/v1/login. Capabilities add their
own routers to ``daemon.routers`` before the app is built; they get the same auth dependency.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from simspot import __version__
from simspot.daemon.runtime import Daemon
from simspot.errors import AuthError, SimspotError, SimspotValueError

SESSION_COOKIE = "simspot_session"


class LoginRequest(BaseModel):
    password: str = Field(min_length=1, max_length=256)


def _daemon(request: Request) -> Daemon:
    d: Daemon = request.app.state.daemon
    return d


def require_auth(request: Request) -> None:
    """Bearer token (CLI) or session cookie (web). Cookie sessions must send JSON for writes."""
    daemon = _daemon(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        if daemon.auth.check_token(header[7:].strip()):
            return
        raise HTTPException(401, "invalid token")
    sid = request.cookies.get(SESSION_COOKIE)
    if sid and daemon.auth.check_session(sid):
        if request.method not in ("GET", "HEAD") and not request.headers.get(
            "content-type", ""
        ).startswith("application/json"):
            # A cross-site form cannot send JSON without a CORS preflight, which we never allow.
            raise HTTPException(415, "send application/json")
        return
    raise HTTPException(401, "not logged in")


Authed = Annotated[None, Depends(require_auth)]


def core_router() -> APIRouter:
    r = APIRouter(prefix="/api/v1")

    @r.post("/login")
    async def login(body: LoginRequest, request: Request, response: Response) -> dict[str, Any]:
        daemon = _daemon(request)
        client = request.client.host if request.client else "?"
        try:
            sid = daemon.auth.login(body.password, client)
        except AuthError as exc:
            code = 429 if "too many" in str(exc) else 401
            raise HTTPException(code, str(exc)) from None
        response.set_cookie(
            SESSION_COOKIE,
            sid,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return {"ok": True}

    @r.post("/logout")
    async def logout(request: Request, response: Response, _: Authed) -> dict[str, Any]:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            _daemon(request).auth.logout(sid)
        response.delete_cookie(SESSION_COOKIE)
        return {"ok": True}

    @r.get("/status")
    async def status(request: Request, _: Authed) -> dict[str, Any]:
        return _daemon(request).status().model_dump(mode="json")

    @r.get("/health")
    async def health(request: Request, _: Authed) -> list[dict[str, Any]]:
        return [h.model_dump() for h in _daemon(request).supervisor.health()]

    @r.get("/events")
    async def events(request: Request, _: Authed, history: bool = True) -> StreamingResponse:
        """Server-sent events: every event the daemon publishes, as JSON."""
        bus = _daemon(request).bus

        async def stream() -> AsyncIterator[str]:
            q = bus.subscribe()
            try:
                if history:
                    for ev in bus.recent():
                        yield f"id: {ev.id}\nevent: {ev.kind}\ndata: {json.dumps(ev.as_json())}\n\n"
                while True:
                    try:
                        ev = await asyncio.wait_for(q.get(), 15)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    yield f"id: {ev.id}\nevent: {ev.kind}\ndata: {json.dumps(ev.as_json())}\n\n"
            finally:
                bus.unsubscribe(q)

        return StreamingResponse(stream(), media_type="text/event-stream")

    return r


def create_app(daemon: Daemon) -> FastAPI:
    app = FastAPI(title="simspot", version=__version__, docs_url=None, redoc_url=None)
    app.state.daemon = daemon
    app.include_router(core_router())
    for router in daemon.routers:
        app.include_router(router, dependencies=[Depends(require_auth)])

    @app.exception_handler(SimspotValueError)
    async def _bad_input(request: Request, exc: SimspotValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(SimspotError)
    async def _failed(request: Request, exc: SimspotError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    static = resources.files("simspot.web") / "static"

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        with resources.as_file(static / "index.html") as path:
            return FileResponse(path, headers=_SECURITY_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> FileResponse:
        if name not in _STATIC_FILES:
            raise HTTPException(404)
        with resources.as_file(static / name) as path:
            return FileResponse(path, headers=_SECURITY_HEADERS)

    return app


_STATIC_FILES = frozenset({"app.js", "style.css"})
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
