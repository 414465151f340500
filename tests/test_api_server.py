"""The API as served by the daemon's real uvicorn (in process, over TCP): proxy headers, event
streams ending with their session, `simspot passwd` on a running daemon, private state files."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from simspot.asgiserve import bind
from simspot.daemon.runtime import Daemon
from simspot.daemon.server import serve
from tests.helpers import run_cli, start_demo, stop_demo, wait_for
from tests.test_api import make_daemon


@dataclass
class Served:
    daemon: Daemon
    url: str
    password: str

    def client(self, **kwargs: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def served(state_dir: Path, **settings: object) -> AsyncIterator[Served]:
    d = make_daemon(state_dir, api_port=0, **settings)
    state_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - test set-up
    password = d.auth.setup()
    assert password is not None
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(d, bind("127.0.0.1", 0), ready.set_result, stop))
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=60, return_when="FIRST_COMPLETED")
        assert ready in done, "the daemon did not start"
        yield Served(d, ready.result(), password)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def login(c: httpx.AsyncClient, password: str, **headers: str) -> httpx.Response:
    return await c.post("/api/v1/login", json={"password": password}, headers=headers)


async def test_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    async with served(tmp_path, trusted_proxies=["127.0.0.1"]) as s, s.client() as c:
        for _ in range(4):
            r = await login(c, "bad", **{"x-forwarded-for": "203.0.113.7"})
            assert r.status_code == 401
        r = await login(c, s.password, **{"x-forwarded-for": "203.0.113.7"})
        assert r.status_code == 429
        # Another client behind the same proxy is its own address.
        assert (await login(c, s.password, **{"x-forwarded-for": "203.0.113.8"})).status_code == 200


async def _follow(c: httpx.AsyncClient, seen: asyncio.Event, **headers: str) -> list[str]:
    lines = []
    async with c.stream("GET", "/api/v1/events", headers=headers) as r:
        assert r.status_code == 200
        async for line in r.aiter_lines():
            lines.append(line)
            if line.startswith("event: "):
                seen.set()
    return lines


async def test_event_stream_ends_at_logout_but_not_the_cli_stream(tmp_path: Path) -> None:
    async with served(tmp_path) as s, s.client() as web, s.client() as cli:
        assert (await login(web, s.password)).status_code == 200
        web_seen, cli_seen = asyncio.Event(), asyncio.Event()
        web_stream = asyncio.create_task(_follow(web, web_seen))
        token = {"authorization": f"Bearer {s.daemon.auth.token}"}
        cli_stream = asyncio.create_task(_follow(cli, cli_seen, **token))
        await asyncio.wait_for(web_seen.wait(), 30)
        await asyncio.wait_for(cli_seen.wait(), 30)

        assert (await web.post("/api/v1/logout", json={})).status_code == 200
        lines = await asyncio.wait_for(web_stream, 30)  # ends, well before a keep-alive
        assert any(line.startswith("event: daemon.started") for line in lines)
        assert not cli_stream.done()  # the CLI's token has no session to end
        cli_stream.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await cli_stream
        assert (await web.get("/api/v1/status")).status_code == 401


async def test_event_stream_ends_when_the_session_expires(tmp_path: Path) -> None:
    async with served(tmp_path, session_ttl_s=10) as s, s.client() as web:
        assert (await login(web, s.password)).status_code == 200
        seen = asyncio.Event()
        stream = asyncio.create_task(_follow(web, seen))
        await asyncio.wait_for(seen.wait(), 30)
        await asyncio.wait_for(stream, 60)
        assert (await web.get("/api/v1/status")).status_code == 401


async def test_passwd_takes_effect_on_the_running_daemon(tmp_path: Path) -> None:
    async with served(tmp_path) as s, s.client() as web, s.client() as other:
        assert (await login(web, s.password)).status_code == 200
        seen = asyncio.Event()
        stream = asyncio.create_task(_follow(web, seen))
        await asyncio.wait_for(seen.wait(), 30)

        result = await asyncio.to_thread(run_cli, "passwd", "--state-dir", str(tmp_path))
        assert result.returncode == 0, result.stderr
        assert "uses it from now on" in result.stdout
        new = result.stdout.split("new admin password:", 1)[1].split()[0]

        assert (await web.get("/api/v1/status")).status_code == 401  # the session ended
        await asyncio.wait_for(stream, 60)  # and so did its event stream
        assert (await login(other, s.password)).status_code == 401
        assert (await login(other, new)).status_code == 200
        assert (await other.get("/api/v1/status")).status_code == 200


def _not_private(state_dir: Path) -> list[str]:
    bad = []
    for root, dirs, files in os.walk(state_dir):
        for name in [*dirs, *files, ""] if root == str(state_dir) else [*dirs, *files]:
            path = Path(root, name)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                continue
            if stat.S_IMODE(mode) & 0o077 or (stat.S_ISDIR(mode) and stat.S_IMODE(mode) != 0o700):
                bad.append(f"{path.relative_to(state_dir)} {stat.S_IMODE(mode):o}")
    return bad


async def _private_soon(state_dir: Path, timeout_s: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while bad := _not_private(state_dir):
        assert asyncio.get_running_loop().time() < deadline, bad
        await asyncio.sleep(0.5)


async def test_state_directory_is_made_private_whatever_was_there(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "esim" / "old").mkdir(parents=True)
    for d in (state, state / "esim", state / "esim" / "old"):
        d.chmod(0o755)
    for f in (state / "notes.json", state / "esim" / "key.pem", state / "esim" / "old" / "x"):
        f.write_text("{}")
        f.chmod(0o644)
    async with served(state) as s, s.client() as c:
        await c.get("/api/v1/status", headers={"authorization": f"Bearer {s.daemon.auth.token}"})
        names = {p.name for p in state.iterdir()}
        assert {"simspot.db", "simspot.db-wal", "simspot.db-shm", "esim"} <= names
        # At once for what was there; files written later with a mode of their own (the
        # simulator's certificates) within the daemon's next look.
        await _private_soon(state)
    assert (state / "notes.json").stat().st_mode & 0o777 == 0o600


def test_demo_daemon_state_is_private_and_forwarded_for_is_ignored(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "demo")
    try:
        with httpx.Client(base_url=demo.url, timeout=30) as c:
            # A made-up X-Forwarded-For neither hides the guesser nor gets past the wait.
            for i in range(4):
                r = c.post(
                    "/api/v1/login",
                    json={"password": "bad"},
                    headers={"x-forwarded-for": f"198.51.100.{i}"},
                )
                assert r.status_code == 401
            r = c.post(
                "/api/v1/login",
                json={"password": demo.password},
                headers={"x-forwarded-for": "198.51.100.99"},
            )
            assert r.status_code == 429
            assert int(r.headers["retry-after"]) >= 1
            r = c.get("/openapi.json")
            assert r.status_code == 401
            r = c.get("/openapi.json", headers={"authorization": f"Bearer {demo.token()}"})
            assert r.status_code == 200 and "/api/v1/status" in r.json()["paths"]
            r = c.get("/", headers={"host": "rebound.example"})
            assert r.status_code == 421
        assert (demo.state_dir / "simspot.db-wal").exists()
        wait_for(lambda: _not_private(demo.state_dir) == [], timeout=60, interval=0.5)
    finally:
        stop_demo(demo)


def test_serve_first_start_password_file_goes_after_the_first_login(tmp_path: Path) -> None:
    """`simspot serve` as a first start on a box: the clear-text password file, then a login."""
    import re
    import signal
    import subprocess
    import sys
    import threading

    state = tmp_path / "state"
    conf = tmp_path / "simspot.toml"
    conf.write_text(
        f'[daemon]\nstate_dir = "{state}"\napi_port = 0\n\n'
        "[simulator]\ndemo_data = false\n\n[esim]\nvirtual_smdp = false\n"
    )
    drain = None
    proc = subprocess.Popen(
        [sys.executable, "-m", "simspot.cli.main", "serve", "--simulate", "--config", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None
        out: list[str] = []
        url = None
        while url is None:
            line = proc.stdout.readline()
            assert line, "serve exited:\n" + "".join(out)
            out.append(line)
            if m := re.search(r"serving (http://\S+)", line):
                url = m.group(1)
        drain = threading.Thread(target=proc.stdout.read, daemon=True)
        drain.start()
        text = "".join(out)
        assert "deleted after the first login" in text
        initial = state / "initial-admin-password"
        password = initial.read_text().strip()
        assert initial.stat().st_mode & 0o777 == 0o600
        with httpx.Client(base_url=url, timeout=30) as c:
            assert c.post("/api/v1/login", json={"password": "nope"}).status_code == 401
            assert initial.exists()
            assert c.post("/api/v1/login", json={"password": password}).status_code == 200
        assert not initial.exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if drain is not None:
            drain.join(10)
        if proc.stdout is not None:
            proc.stdout.close()
