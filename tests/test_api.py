from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from simspot import config
from simspot.daemon.api import HostAllowList, create_app
from simspot.daemon.auth import INITIAL_PASSWORD_FILE
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from tests.helpers import api_client

# Routes that answer without login: the login itself and the web UI's sentence catalogue.
PUBLIC = frozenset({"/api/v1/login", "/api/v1/messages"})


def make_daemon(state_dir: Path, **daemon_settings: object) -> Daemon:
    conf = config.validate(
        {
            "daemon": {"state_dir": str(state_dir), **daemon_settings},
            # No demo seeding and no test SM-DP+: these tests are about the API itself.
            "simulator": {"seed": 1, "demo_data": False},
            "esim": {"virtual_smdp": False},
        }
    )
    return Daemon(conf, build_backends(conf, simulate=True))


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[tuple[Daemon, str]]:
    d = make_daemon(tmp_path, allowed_hosts=["hotspot.example"])
    password = d.auth.setup()
    assert password is not None
    await d.start()
    yield d, password
    await d.stop()


def client(d: Daemon) -> httpx.AsyncClient:
    return api_client(d, authed=False)


def from_address(d: Daemon, address: str) -> httpx.AsyncClient:
    """A client whose requests come from ``address`` (as the server sees the peer)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(d), client=(address, 40000)),
        base_url="http://localhost",
        timeout=30,
    )


async def login(c: httpx.AsyncClient, password: str) -> httpx.Response:
    return await c.post("/api/v1/login", json={"password": password})


async def test_every_route_but_login_and_static_needs_auth(daemon: tuple[Daemon, str]) -> None:
    d, _ = daemon
    app = create_app(d)
    async with client(d) as c:
        for route in app.routes:
            path = getattr(route, "path", "")
            methods = getattr(route, "methods", set())
            if not path.startswith("/api/") or path in PUBLIC:
                continue
            for method in methods:
                r = await c.request(method, path.replace("{", "").replace("}", ""))
                assert r.status_code == 401, (method, path)
        assert (await c.get("/openapi.json")).status_code == 401
        assert (await c.get("/docs")).status_code == 404
        assert (await c.get("/redoc")).status_code == 404
        assert (await c.get("/")).status_code == 200
        assert (await c.get("/static/app.js")).status_code == 200
        assert (await c.get("/static/../auth.py")).status_code == 404


async def test_openapi_describes_the_core_routes(daemon: tuple[Daemon, str]) -> None:
    d, _ = daemon
    async with api_client(d) as c:
        r = await c.get("/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    paths, schemas = schema["paths"], schema["components"]["schemas"]
    ok = paths["/api/v1/status"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == {"$ref": "#/components/schemas/Status"}
    assert {"modem", "battery", "clients", "components", "sharing"} <= set(
        schemas["Status"]["properties"]
    )
    health = paths["/api/v1/health"]["get"]["responses"]["200"]["content"]["application/json"]
    assert health["schema"]["items"] == {"$ref": "#/components/schemas/ComponentHealth"}
    login_op = paths["/api/v1/login"]["post"]
    assert login_op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Ok"
    }
    assert "Retry-After" in login_op["responses"]["429"]["headers"]
    assert "security" not in login_op
    events = paths["/api/v1/events"]["get"]["responses"]["200"]["content"]
    assert events["text/event-stream"]["schema"] == {"$ref": "#/components/schemas/EventMessage"}
    assert {"id", "ts", "kind", "data"} <= set(schemas["EventMessage"]["properties"])
    # Every other operation says how to authenticate.
    assert {"HTTPBearer", "APIKeyCookie"} <= set(schema["components"]["securitySchemes"])
    for path, ops in paths.items():
        for method, op in ops.items():
            if path not in PUBLIC:
                assert op.get("security"), (method, path)


async def test_core_answers_keep_their_shape(daemon: tuple[Daemon, str]) -> None:
    """What the CLI's `status` and the web UI read: the status model dumped as JSON."""
    d, _ = daemon
    async with api_client(d) as c:
        body = (await c.get("/api/v1/status")).json()
        health = (await c.get("/api/v1/health")).json()
    expected = d.status().model_dump(mode="json")
    assert body.keys() == expected.keys()
    assert body["version"] == expected["version"] and body["mode"] == "demo"
    assert isinstance(body["uptime_s"], float) and isinstance(body["clients"], list)
    assert {c["name"] for c in health} == {c["name"] for c in expected["components"]}
    assert set(health[0]) == set(expected["components"][0])


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

        assert (await login(c, "nope")).status_code == 401
        r = await login(c, password)
        assert r.status_code == 200 and r.json() == {"ok": True}
        assert "httponly" in r.headers["set-cookie"].lower()
        assert "samesite=strict" in r.headers["set-cookie"].lower()
        assert (await c.get("/api/v1/status")).status_code == 200
        assert (await c.get("/openapi.json")).status_code == 200
        # Cookie sessions cannot write with a form post (CSRF).
        r = await c.post("/api/v1/logout", content="x", headers={"content-type": "text/plain"})
        assert r.status_code == 415
        assert (await c.post("/api/v1/logout", json={})).json() == {"ok": True}
        assert (await c.get("/api/v1/status")).status_code == 401


async def test_failures_slow_one_address_then_the_right_password_works(
    daemon: tuple[Daemon, str],
) -> None:
    d, password = daemon
    async with from_address(d, "192.168.44.50") as guesser, from_address(d, "::1") as admin:
        for _ in range(4):  # three free attempts, the fourth starts a 5 s wait
            assert (await login(guesser, "bad")).status_code == 401
        r = await login(guesser, password)  # refused without checking, even the right one
        assert r.status_code == 429
        first_wait = int(r.headers["retry-after"])
        assert 1 <= first_wait <= 5
        assert "try again" in r.json()["detail"]

        # Another address is not slowed by this one's failures.
        assert (await login(admin, password)).status_code == 200

        # Not a lock: once the wait is over the right password gets in; refused attempts
        # meanwhile do not make the wait longer.
        deadline = time.monotonic() + 60
        while True:
            r = await login(guesser, password)
            if r.status_code == 200:
                break
            assert r.status_code == 429 and int(r.headers["retry-after"]) <= first_wait
            assert time.monotonic() < deadline, "still refused after the wait"
            await asyncio.sleep(0.5)
        # Success forgives the address.
        assert (await login(guesser, "bad")).status_code == 401


async def test_global_login_budget_across_addresses(daemon: tuple[Daemon, str]) -> None:
    d, password = daemon
    t0 = time.monotonic()
    refused = None
    wrong = 0
    for i in range(200):
        sent = time.monotonic()
        async with from_address(d, f"10.77.{i // 250}.{i % 250 + 1}") as c:
            r = await login(c, "bad")
        if r.status_code == 429:
            refused = r
            break
        assert r.status_code == 401
        wrong += 1
    assert refused is not None, "200 guesses from 200 addresses were all checked"
    # 20 at once, then one every 3 s.
    assert wrong <= 20 + (time.monotonic() - t0) / 3 + 1
    assert int(refused.headers["retry-after"]) >= 1

    # The budget is shared: addresses never seen before, with the right password, are refused
    # without the password being checked. Sent together, so a slow machine cannot let the bucket
    # refill between them; the bucket held less than one attempt when the last guess was refused,
    # and gains one every 3 s, so at most that many of them can have been let through.
    async def fresh(n: int) -> httpx.Response:
        async with from_address(d, f"10.99.0.{n}") as c:
            return await login(c, password)

    answers = await asyncio.gather(*(fresh(n) for n in range(1, 6)))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 429}, codes
    assert 429 in codes, codes
    assert codes.count(200) < 1 + (time.monotonic() - sent) / 3, codes
    async with api_client(d) as cli:  # the CLI's token does not depend on it
        assert (await cli.get("/api/v1/status")).status_code == 200


async def test_host_header_allow_list(daemon: tuple[Daemon, str]) -> None:
    d, _ = daemon
    async with api_client(d) as c:
        for host in (
            "localhost",
            "localhost:8765",
            "127.0.0.1:8765",
            "[::1]:8765",
            "app.localhost",
        ):
            assert (await c.get("/api/v1/status", headers={"host": host})).status_code == 200, host
        # The LAN address (dataplane.lan_address) and daemon.allowed_hosts.
        for host in ("192.168.44.1", "192.168.44.1:8765", "HOTSPOT.example", "hotspot.example."):
            assert (await c.get("/api/v1/status", headers={"host": host})).status_code == 200, host
        for host in ("evil.example", "127.0.0.1.evil.example", "192.168.44.2", "localhost.evil"):
            for path in ("/", "/api/v1/status", "/openapi.json", "/static/app.js"):
                r = await c.get(path, headers={"host": host})
                assert r.status_code == 421, (host, path)
                assert "daemon.allowed_hosts" in r.json()["detail"]
            r = await c.post("/api/v1/login", json={"password": "x"}, headers={"host": host})
            assert r.status_code == 421


async def test_request_without_host_is_refused() -> None:
    reached = False

    async def app(scope: object, receive: object, send: object) -> None:
        nonlocal reached
        reached = True

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    guard = HostAllowList(app, ["hotspot.example"])  # type: ignore[arg-type]
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    await guard(scope, receive, send)  # type: ignore[arg-type]
    assert not reached and sent[0]["status"] == 400
    sent.clear()
    twice = {**scope, "headers": [(b"host", b"localhost"), (b"host", b"evil.example")]}
    await guard(twice, receive, send)  # type: ignore[arg-type]
    assert not reached and sent[0]["status"] == 400
    await guard({**scope, "headers": [(b"host", b"hotspot.example:80")]}, receive, send)  # type: ignore[arg-type]
    assert reached


async def test_validation_errors_never_echo_a_password(daemon: tuple[Daemon, str]) -> None:
    d, _ = daemon
    secret = "correct-horse-battery-staple-" * 10
    async with client(d) as c:
        r = await login(c, secret)
        assert r.status_code == 422
        assert secret[:20] not in r.text
        assert r.json()["detail"] == [
            {"type": "string_too_long", "loc": ["body", "password"], "msg": "too long"}
        ]
        r = await c.post("/api/v1/login", json={"password": 12345678})
        assert r.status_code == 422 and "12345678" not in r.text
        assert r.json()["detail"][0]["msg"] == "wrong type"


async def test_initial_password_file_goes_after_the_first_login(
    daemon: tuple[Daemon, str],
) -> None:
    d, password = daemon
    initial = d.state_dir / INITIAL_PASSWORD_FILE
    initial.write_text(password + "\n")  # what `simspot serve` leaves on first start
    async with client(d) as c:
        assert (await login(c, "wrong")).status_code == 401
        assert initial.exists()
        assert (await login(c, password)).status_code == 200
        assert not initial.exists()


async def test_password_is_stored_hashed_and_token_private(daemon: tuple[Daemon, str]) -> None:
    d, password = daemon
    stored = (d.state_dir / "admin-password.json").read_text()
    assert password not in stored and "scrypt" in stored
    assert (d.state_dir / "api-token").stat().st_mode & 0o777 == 0o600
