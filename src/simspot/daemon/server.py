"""Running the daemon: start components, serve the API, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Callable, Generator
from pathlib import Path

import uvicorn

from simspot.daemon.api import create_app
from simspot.daemon.auth import write_private
from simspot.daemon.runtime import Daemon
from simspot.errors import SimspotError
from simspot.paths import RUNTIME_FILE

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the daemon owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(host: str, port: int, *, fallback_to_free_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        if not fallback_to_free_port:
            sock.close()
            raise SimspotError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        sock.bind((host, 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


async def serve(daemon: Daemon, sock: socket.socket, on_ready: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime_file: Path = daemon.state_dir / RUNTIME_FILE
    await daemon.start()
    server = _Server(
        uvicorn.Config(
            create_app(daemon),
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]), name="api")
    try:
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
            await asyncio.sleep(0.02)
        if serving.done():
            serving.result()
            raise SimspotError("the API server stopped at start")
        url = url_of(sock)
        write_private(runtime_file, json.dumps({"url": url, "pid": os.getpid()}))
        on_ready(url)
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
    finally:
        log.info("stopping")
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(serving), 3)
        except (TimeoutError, Exception):
            server.force_exit = True
            serving.cancel()
            with contextlib.suppress(BaseException):
                await serving
        await daemon.stop()
        with contextlib.suppress(FileNotFoundError):
            runtime_file.unlink()  # noqa: ASYNC240 - one small local file
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        sock.close()
        log.info("stopped")
