from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from simspot import config
from simspot.daemon.api import create_app
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from tests.helpers import api_client


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[tuple[Daemon, str]]:
    conf = config.validate({"daemon": {"state_dir": str(tmp_path)}, "simulator": {"seed": 1}})
    d = Daemon(conf, build_backends(conf), mode="demo")
    password = d.auth.setup()
    assert password is not None
    await d.start()
    yield d, password
    await d.stop()


def client(d: Daemon) -> httpx.AsyncClient:
    return api_client(d, authed=False)


async def test_every_route_but_login_and_static_needs_auth(daemon: tuple[Daemon, str]) -> None:
    d, _ = daemon
    app = create_app(d)
    async with client(d) as c:
        for route in app.routes:
            path = getattr(route, "path", "")
            methods = getattr(route, "methods", set())
            if not path.startswith("/api/") or path == "/api/v1/login":
                continue
            for method in methods:
                r = await c.request(method, path.replace("{", "").replace("}", ""))
                assert r.status_code == 401, (method, path)
        assert (await c.get("/")).status_code == 200
        assert (await c.get("/static/app.js")).status_code == 200
        assert (await c.get("/static/../auth.py")).status_code == 404


async def test_token_and_password_login(daemon: tuple[Daemon, str]) -> None:
    d, password = daemon
    async with client(d) as c:
        r = await c.get("/api/v1/status", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
        r = await c.get("/api/v1/status", headers={"Authorization": f"Bearer {d.auth.token}"})
        assert r.status_code == 200
        body = r.json()
        assert body["mode"] == "demo"
        assert {"modem", "battery", "clients", "components"} <= body.keys()

        assert (await c.post("/api/v1/login", json={"password": "nope"})).status_code == 401
        r = await c.post("/api/v1/login", json={"password": password})
        assert r.status_code == 200
        assert "httponly" in r.headers["set-cookie"].lower()
        assert "samesite=strict" in r.headers["set-cookie"].lower()
        assert (await c.get("/api/v1/status")).status_code == 200
        # Cookie sessions cannot write with a form post (CSRF).
        r = await c.post("/api/v1/logout", content="x", headers={"content-type": "text/plain"})
        assert r.status_code == 415
        assert (await c.post("/api/v1/logout", json={})).status_code == 200
        assert (await c.get("/api/v1/status")).status_code == 401


async def test_login_lockout_after_failures(daemon: tuple[Daemon, str]) -> None:
    d, password = daemon
    async with client(d) as c:
        for _ in range(5):
            assert (await c.post("/api/v1/login", json={"password": "bad"})).status_code == 401
        r = await c.post("/api/v1/login", json={"password": password})
        assert r.status_code == 429


async def test_password_is_stored_hashed_and_token_private(daemon: tuple[Daemon, str]) -> None:
    d, password = daemon
    stored = (d.state_dir / "admin-password.json").read_text()
    assert password not in stored and "scrypt" in stored
    assert (d.state_dir / "api-token").stat().st_mode & 0o777 == 0o600
