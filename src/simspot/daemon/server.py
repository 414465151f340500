"""Running the daemon: start components, serve the API, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from simspot.asgiserve import Serving
from simspot.daemon.api import create_app
from simspot.daemon.runtime import Daemon
from simspot.fsutil import write_private
from simspot.paths import RUNTIME_FILE

log = logging.getLogger(__name__)


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
    config = uvicorn.Config(
        create_app(daemon),
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=1,
        access_log=False,
    )
    server = Serving(config, name="api", what="the API server")
    try:
        serving = await server.start(sock)
        url = url_of(sock)
        write_private(runtime_file, json.dumps({"url": url, "pid": os.getpid()}))
        on_ready(url)
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
    finally:
        log.info("stopping")
        await server.stop(timeout_s=3)
        await daemon.stop()
        with contextlib.suppress(FileNotFoundError):
            runtime_file.unlink()  # noqa: ASYNC240 - one small local file
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        sock.close()
        log.info("stopped")
