"""Kernel link events (rtnetlink, ``RTMGRP_LINK``): a cable pulled, a carrier lost, a bearer's
interface gone, heard the moment the kernel knows, not at the next probe round.

``LinkWatch`` calls ``on_change(name, up)`` for every link message whose state differs from the
last one seen for that name (``up``: the link has a carrier and is not down; ``False`` for a
deleted link). Constants are from ``linux/rtnetlink.h``, ``linux/if_link.h`` and ``linux/if.h``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

RTMGRP_LINK = 0x1
RTM_NEWLINK = 16
RTM_DELLINK = 17
IFLA_IFNAME = 3
IFLA_OPERSTATE = 16
IFF_UP = 0x1
IFF_LOWER_UP = 0x10000
IF_OPER_UNKNOWN = 0
IF_OPER_UP = 6
_NLMSG = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")
_RTA = struct.Struct("=HH")


def parse(data: bytes) -> Iterator[tuple[str, bool]]:
    """(interface name, up) for each link message in one netlink datagram."""
    off = 0
    while off + _NLMSG.size <= len(data):
        length, kind, _, _, _ = _NLMSG.unpack_from(data, off)
        if length < _NLMSG.size or off + length > len(data):
            return
        body = off + _NLMSG.size
        if kind in (RTM_NEWLINK, RTM_DELLINK) and body + _IFINFO.size <= off + length:
            _, _, _, flags, _ = _IFINFO.unpack_from(data, body)
            name, oper = None, None
            a = body + _IFINFO.size
            while a + _RTA.size <= off + length:
                alen, atype = _RTA.unpack_from(data, a)
                if alen < _RTA.size:
                    break
                value = data[a + _RTA.size : a + alen]
                if atype == IFLA_IFNAME:
                    name = value.split(b"\0", 1)[0].decode(errors="replace")
                elif atype == IFLA_OPERSTATE and value:
                    oper = value[0]
                a += (alen + 3) & ~3
            if name:
                up = (
                    kind == RTM_NEWLINK
                    and bool(flags & IFF_UP)
                    and bool(flags & IFF_LOWER_UP)
                    and oper in (None, IF_OPER_UP, IF_OPER_UNKNOWN)
                )
                yield name, up
        off += (length + 3) & ~3


class LinkWatch:
    def __init__(self, on_change: Callable[[str, bool], None]) -> None:
        self.on_change = on_change
        self.state: dict[str, bool] = {}
        self._sock: socket.socket | None = None

    def start(self) -> bool:
        """Listen (False, with a log line, where rtnetlink cannot be opened: probes still work)."""
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            sock.bind((0, RTMGRP_LINK))
            sock.setblocking(False)
        except OSError as exc:
            log.info("uplink: no kernel link events (%s); probes only", exc.strerror)
            return False
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._read)
        return True

    def _read(self) -> None:
        sock = self._sock
        if sock is None:
            return
        while True:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # ENOBUFS: events were lost; the next probe round catches up
                log.info("uplink: link events overrun (%s)", exc.strerror)
                return
            for name, up in parse(data):
                if self.state.get(name) != up:
                    self.state[name] = up
                    self.on_change(name, up)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                asyncio.get_running_loop().remove_reader(sock.fileno())
            except RuntimeError:  # the loop is gone already
                pass
            sock.close()
