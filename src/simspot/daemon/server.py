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
from simspot.errors import SimspotError
from simspot.fsutil import write_private
from simspot.paths import RUNTIME_FILE
from simspot.store import secure_state_dir

log = logging.getLogger(__name__)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


STATE_MODES_INTERVAL_S = 10.0


async def _keep_private(state_dir: Path) -> None:
    """Make files that appeared in the state directory with group or other bits private."""
    while True:
        try:
            fixed = await asyncio.to_thread(secure_state_dir, state_dir)
        except SimspotError as exc:
            log.warning("cannot keep the state directory private", extra={"error": str(exc)})
        else:
            if fixed:
                log.info("state files made private", extra={"modes_fixed": fixed})
        await asyncio.sleep(STATE_MODES_INTERVAL_S)


def uvicorn_config(daemon: Daemon) -> uvicorn.Config:
    """The API server's settings: proxy headers are believed only from configured proxies."""
    trusted = daemon.config.daemon.trusted_proxies
    return uvicorn.Config(
        create_app(daemon),
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=1,
        access_log=False,
        # uvicorn believes X-Forwarded-For from loopback by default: a client could pick its
        # own address and escape the login throttle.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=list(trusted) if trusted else [],
        server_header=False,
    )


async def serve(
    daemon: Daemon,
    sock: socket.socket,
    on_ready: Callable[[str], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Start the daemon, serve its API on ``sock`` until SIGINT/SIGTERM (or ``stop``), stop it.

    Files the daemon makes are private (umask 077) and the state directory is made private first,
    whatever modes an earlier run or another tool left.
    """
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime_file: Path = daemon.state_dir / RUNTIME_FILE
    old_umask = os.umask(0o077)
    try:
        fixed = secure_state_dir(daemon.state_dir)
        if fixed:
            log.info("state directory made private", extra={"modes_fixed": fixed})
        await daemon.start()
    except BaseException:
        os.umask(old_umask)
        raise
    # Some writers set a mode of their own (the umask does not narrow an explicit chmod): look
    # again after the start and then now and then.
    keeper = asyncio.create_task(_keep_private(daemon.state_dir), name="state-dir-modes")
    server = Serving(uvicorn_config(daemon), name="api", what="the API server")
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
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        await server.stop(timeout_s=3)
        await daemon.stop()
        with contextlib.suppress(FileNotFoundError):
            runtime_file.unlink()  # noqa: ASYNC240 - one small local file
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        os.umask(old_umask)
        sock.close()
        log.info("stopped")
