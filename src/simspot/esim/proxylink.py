"""The socket to libqmi's ``qmi-proxy`` or libmbim's ``mbim-proxy``, shared by the QMI and MBIM
card transports.

Both proxies listen on an abstract unix socket (``\\0qmi-proxy``, ``\\0mbim-proxy``) and let
several programs, ModemManager included, share one control port: each client speaks the plain
device framing (QMUX, MBIM) over the socket after a proxy-specific "open this device" request.
The proxy hangs up on a client when its device goes away (``device-removed`` in libqmi's
qmi-proxy.c, ``untrack_device`` in libmbim's mbim-proxy.c), which is how a transport learns the
modem is gone. This module is framing-agnostic: a transport gives it a function that finds the
end of the first frame in a buffer and one that names the request a frame answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Hashable
from pathlib import Path

from simspot.esim.errors import CardRemoved, CardTransportError
from simspot.esim.transport import Part, part

log = logging.getLogger(__name__)

# Where Debian, Fedora and Arch install the proxies (libqmi-proxy / libmbim-proxy packages).
PROXY_DIRS = (
    "/usr/libexec",
    "/usr/lib/libqmi",
    "/usr/lib/libmbim",
    "/usr/lib",
    "/usr/local/libexec",
)


class ModemGone(CardRemoved):
    """The modem (or the proxy in front of it) went away mid-operation: the card with it."""


class ProxyUnavailable(CardTransportError):
    """The proxy is not running and cannot be started, or refused the device."""


class ProxyProtocolError(CardTransportError):
    """The proxy or the modem sent bytes that break the framing."""


def find_proxy(name: str) -> str | None:
    """The path of the ``qmi-proxy`` / ``mbim-proxy`` program, if installed."""
    for folder in PROXY_DIRS:
        path = Path(folder) / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which(name)


FrameLength = Callable[[bytes], int | None]  # total length of the first frame, None: need more
FrameKey = Callable[[bytes], Hashable | None]  # the request a frame answers, None: not an answer


class ProxyLink:
    """One client connection to a proxy: send a request frame, await the frame that answers it.

    A reader task splits incoming bytes into frames and hands each to the future waiting for its
    key; frames nobody waits for (indications, late answers) are dropped. When the socket closes
    or the framing breaks, every waiter and every later request fails with the same error.
    """

    def __init__(
        self, socket_name: str, protocol: str, device: str, length: FrameLength, key: FrameKey
    ) -> None:
        self.socket_name = socket_name
        self.protocol = protocol  # "QMI", "MBIM"
        self.device = device  # "/dev/cdc-wdm0"
        self._length = length
        self._key = key
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: dict[Hashable, asyncio.Future[bytes]] = {}
        self.failure: CardTransportError | None = None

    @property
    def what(self) -> str:
        """``the QMI modem /dev/cdc-wdm0``, for logs (errors name ``_modem()``'s parameters)."""
        return f"the {self.protocol} modem {self.device}"

    def _modem(self, **params: object) -> dict[str, object]:
        return {"protocol": self.protocol, "device": self.device, **params}

    @property
    def connected(self) -> bool:
        return self._writer is not None and self.failure is None

    async def open(self, spawn: str | None, timeout_s: float = 10.0) -> None:
        """Connect; when nobody listens and ``spawn`` names the proxy program, start it (as
        libqmi and libmbim clients do: it exits by itself once idle) and retry."""
        address = "\0" + self.socket_name
        try:
            self._reader, self._writer = await asyncio.open_unix_connection(address)
        except OSError as exc:
            program = find_proxy(spawn) if spawn else None
            if program is None:
                raise ProxyUnavailable(
                    msg_id="esim.proxy.not-installed" if spawn else "esim.proxy.not-running",
                    params=self._modem(socket=self.socket_name, error=str(exc))
                    | ({"program": spawn} if spawn else {}),
                ) from exc
            await asyncio.to_thread(_spawn_detached, program)
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    self._reader, self._writer = await asyncio.open_unix_connection(address)
                    break
                except OSError as retry_exc:
                    if time.monotonic() > deadline:
                        raise ProxyUnavailable(
                            msg_id="esim.proxy.not-listening",
                            params={
                                "program": program,
                                "socket": self.socket_name,
                                "seconds": float(timeout_s),
                                "error": str(retry_exc),
                            },
                        ) from retry_exc
                    await asyncio.sleep(0.1)
        self.failure = None
        self._task = asyncio.create_task(self._read_loop(), name=f"simspot-{self.socket_name}")

    async def request(self, key: Hashable, frame: bytes, timeout_s: float, doing: Part) -> bytes:
        """Send ``frame``, return the frame answering ``key``; ``doing`` names the step (a
        message, such as ``part("esim.qmi.doing.request", message="003B")``)."""
        if self.failure is not None:
            raise self.failure
        writer = self._writer
        if writer is None:
            raise CardTransportError(msg_id="esim.proxy.not-connected", params=self._modem())
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            writer.write(frame)
            await writer.drain()
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise CardTransportError(
                msg_id="esim.proxy.no-answer",
                params=self._modem(doing=[doing], seconds=float(timeout_s)),
            ) from None
        except OSError as exc:
            gone = ModemGone(
                msg_id="esim.proxy.gone-while", params=self._modem(doing=[doing], error=str(exc))
            )
            self._fail(gone)
            raise (self.failure or gone) from exc
        finally:
            self._pending.pop(key, None)

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        task, self._task = self._task, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _read_loop(self) -> None:
        reader = self._reader
        if reader is None:
            return
        buf = b""
        while True:
            try:
                chunk = await reader.read(65536)
            except OSError as exc:
                self._fail(ModemGone(msg_id="esim.proxy.gone", params=self._modem(error=str(exc))))
                return
            if not chunk:
                self._fail(
                    ModemGone(
                        msg_id="esim.proxy.gone-closed",
                        params=self._modem(socket=self.socket_name),
                    )
                )
                return
            buf += chunk
            while buf:
                try:
                    length = self._length(buf)
                except ValueError as exc:
                    self._fail(
                        ProxyProtocolError(
                            msg_id="esim.proxy.framing", params=self._modem(error=str(exc))
                        )
                    )
                    return
                if length is None or len(buf) < length:
                    break
                frame, buf = buf[:length], buf[length:]
                try:
                    key = self._key(frame)
                except ValueError as exc:
                    log.warning("%s: dropping a malformed frame: %s", self.what, exc)
                    continue
                future = self._pending.get(key) if key is not None else None
                if future is not None and not future.done():
                    future.set_result(frame)

    def _fail(self, error: CardTransportError) -> None:
        if self.failure is None:
            self.failure = error
        for future in self._pending.values():
            if not future.done():
                future.set_exception(self.failure)


async def open_refused(proxy: str, device: str, protocol: str) -> ProxyUnavailable:
    """The error for a proxy that hung up on its open request, with the likeliest reason."""
    if not await asyncio.to_thread(os.path.exists, device):
        reason = part("esim.proxy.reason.missing")
    elif os.geteuid() != 0:
        reason = part("esim.proxy.reason.root", proxy=proxy, uid=os.geteuid())
    else:
        reason = part("esim.proxy.reason.not-device", protocol=protocol)
    return ProxyUnavailable(
        msg_id="esim.proxy.open-refused",
        params={"proxy": proxy, "device": device, "reason": [reason]},
    )


def _spawn_detached(program: str) -> None:
    """Start the proxy outside our process tree (``setsid -f``), as libqmi does: it outlives us
    and exits on its own when no client is left."""
    log.info("starting %s", program)
    setsid = shutil.which("setsid")
    if setsid is None:  # no util-linux: a child of ours, reaped by nobody until we exit
        subprocess.Popen(
            [program],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return
    subprocess.run(
        [setsid, "-f", program],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=10,
        start_new_session=True,
    )
