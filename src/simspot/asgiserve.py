"""Serving an ASGI app with uvicorn inside an event loop someone else owns.

Both the daemon's API and the test SM-DP+ run this way: uvicorn's own signal handling is off
(whoever owns the loop decides when to stop), the socket is bound beforehand (so a port of 0 can be
reported before serving), and stopping waits for open requests a little, then forces.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator

import uvicorn

from simspot.errors import SimspotError

log = logging.getLogger(__name__)


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the owner of the event loop decides."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(
    host: str, port: int, *, fallback_to_free_port: bool = False, backlog: int = 128
) -> socket.socket:
    """A listening, non-blocking TCP socket on ``host:port`` (IPv4 or IPv6; port 0: any free one).

    With ``fallback_to_free_port`` a port in use is replaced by a free one instead of an error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        try:
            sock.bind((host, port))
        except OSError:
            if not fallback_to_free_port:
                raise
            sock.bind((host, 0))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise SimspotError(
            msg_id="daemon.cannot-listen",
            params={"host": host, "port": port, "reason": exc.strerror},
        ) from None
    sock.setblocking(False)
    return sock


class Serving:
    """One app served by uvicorn on one socket, from ``start`` until ``stop``."""

    def __init__(self, config: uvicorn.Config, *, name: str, what: str) -> None:
        self.server = QuietServer(config)
        self.name = name  # of the serving task
        self.what = what  # for messages: "the API server"
        self._task: asyncio.Task[None] | None = None

    async def start(self, sock: socket.socket) -> asyncio.Task[None]:
        """Serve on ``sock``; return once it accepts connections, with the serving task (done when
        the server stops). A server that fails at start raises its error."""
        task = asyncio.create_task(self.server.serve(sockets=[sock]), name=self.name)
        self._task = task
        while not self.server.started and not task.done():  # noqa: ASYNC110 - uvicorn has no event
            await asyncio.sleep(0.01)
        if task.done():
            task.result()  # its own error, if it has one
            raise SimspotError(msg_id="daemon.stopped-at-start", params={"what": self.what})
        return task

    async def stop(self, timeout_s: float = 3.0) -> None:
        """Stop serving: open requests get ``timeout_s`` to finish, then connections are closed."""
        task, self._task = self._task, None
        if task is None:
            return
        self.server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout_s)
        except TimeoutError:
            self.server.force_exit = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except Exception as exc:  # the server failed while serving: stopped all the same
            log.warning("%s ended with an error: %s", self.what, exc)
