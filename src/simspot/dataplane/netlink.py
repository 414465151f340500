"""Reading our table's named counters straight from the kernel (one netlink object dump).

``nft`` rebuilds its cache of the whole ruleset on every run (about 50 ms with 250 clients'
chains); the counters alone come back from one ``NFT_MSG_GETOBJ`` dump filtered by table and
type in about a millisecond. Constants are from ``linux/netfilter/nf_tables.h`` and
``linux/netfilter/nfnetlink.h``. The socket is opened inside the data plane's network namespace
(``setns`` on a short-lived thread, so no other thread ever changes namespace).
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
import threading
from collections.abc import Callable
from typing import TypeVar

from simspot.errors import DataplaneError

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_NEWOBJ = 18
NFT_MSG_GETOBJ = 19
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
NFPROTO_INET = 1
NFTA_OBJ_TABLE = 1
NFTA_OBJ_NAME = 2
NFTA_OBJ_TYPE = 3
NFTA_OBJ_DATA = 4
NFTA_OBJ_USERDATA = 8
NFT_OBJECT_COUNTER = 1
NFTA_COUNTER_BYTES = 1
NFTA_COUNTER_PACKETS = 2
NFTNL_UDATA_OBJ_COMMENT = 0
CLONE_NEWNET = 0x40000000
_NLA_TYPE_MASK = 0x3FFF

T = TypeVar("T")


def _attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def _comment(udata: bytes) -> str:
    off = 0
    while off + 2 <= len(udata):
        kind, length = udata[off], udata[off + 1]
        if kind == NFTNL_UDATA_OBJ_COMMENT:
            return udata[off + 2 : off + 2 + length].rstrip(b"\0").decode(errors="replace")
        off += 2 + length
    return ""


_U16 = struct.Struct("=HH")
_BE64 = struct.Struct(">Q")


def _counter(buf: bytes, off: int, end: int) -> tuple[str, tuple[int, int, str]] | None:
    """One NEWOBJ message's attributes (from ``off`` to ``end`` in ``buf``) -> a counter entry.

    Hand-rolled over offsets, without slicing per attribute: this runs once per client per poll.
    """
    name = ""
    nbytes = packets = 0
    udata = b""
    while off + 4 <= end:
        length, kind = _U16.unpack_from(buf, off)
        if length < 4:
            break
        kind &= _NLA_TYPE_MASK
        if kind == NFTA_OBJ_NAME:
            name = buf[off + 4 : off + length - 1].decode()
        elif kind == NFTA_OBJ_DATA:
            inner, inner_end = off + 4, off + length
            while inner + 4 <= inner_end:
                ilen, ikind = _U16.unpack_from(buf, inner)
                if ilen < 4:
                    break
                ikind &= _NLA_TYPE_MASK
                if ikind == NFTA_COUNTER_BYTES:
                    nbytes = _BE64.unpack_from(buf, inner + 4)[0]
                elif ikind == NFTA_COUNTER_PACKETS:
                    packets = _BE64.unpack_from(buf, inner + 4)[0]
                inner += (ilen + 3) & ~3
        elif kind == NFTA_OBJ_USERDATA:
            udata = buf[off + 4 : off + length]
        off += (length + 3) & ~3
    if not name:
        return None
    # Only uplink counters need their comment (it carries the uplink identity verbatim).
    return name, (packets, nbytes, _comment(udata) if name.startswith("u_") else "")


def in_netns(netns: str | None, fn: Callable[[], T]) -> T:
    """Run ``fn`` on a thread inside network namespace ``netns`` (None: here)."""
    if netns is None:
        return fn()
    result: list[T] = []
    failure: list[BaseException] = []

    def worker() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
        except OSError as exc:
            failure.append(
                DataplaneError(
                    msg_id="dataplane.netns.open",
                    params={"netns": repr(netns), "error": str(exc.strerror)},
                )
            )
            return
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                code = ctypes.get_errno()
                failure.append(
                    DataplaneError(
                        msg_id="dataplane.netns.setns",
                        params={"netns": repr(netns), "error": os.strerror(code)},
                    )
                )
                return
            result.append(fn())  # the thread ends right after: nothing else runs in the namespace
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)
        finally:
            os.close(target)

    t = threading.Thread(target=worker, name=f"netns-{netns}")
    t.start()
    t.join()
    if failure:
        raise failure[0]
    return result[0]


class CounterReader:
    """One netlink socket; ``read()`` returns {name: (packets, bytes, comment)} of our counters."""

    def __init__(self, netns: str | None, table: str, family: int = NFPROTO_INET) -> None:
        self.netns = netns
        self.table = table
        self.family = family
        self._sock: socket.socket | None = None
        self._seq = 0

    def _open(self) -> socket.socket:
        def make() -> socket.socket:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
            s.bind((0, 0))
            s.settimeout(5)
            return s

        try:
            return in_netns(self.netns, make)
        except OSError as exc:
            raise DataplaneError(
                msg_id="dataplane.netlink.open", params={"error": str(exc)}
            ) from None

    def read(self) -> dict[str, tuple[int, int, str]] | None:
        """Our table's counters; None when the table does not exist."""
        if self._sock is None:
            self._sock = self._open()
        self._seq += 1
        body = struct.pack("=BBH", self.family, 0, 0)
        body += _attr(NFTA_OBJ_TABLE, self.table.encode() + b"\0")
        body += _attr(NFTA_OBJ_TYPE, struct.pack(">I", NFT_OBJECT_COUNTER))
        msg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETOBJ
        head = struct.pack(
            "=IHHII", 16 + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, self._seq, 0
        )
        try:
            self._sock.send(head + body)
            return self._collect()
        except OSError as exc:
            self.close()
            raise DataplaneError(
                msg_id="dataplane.netlink.read", params={"error": str(exc)}
            ) from None

    def _collect(self) -> dict[str, tuple[int, int, str]] | None:
        sock = self._sock
        if sock is None:
            raise DataplaneError(msg_id="dataplane.netlink.closed")
        out: dict[str, tuple[int, int, str]] = {}
        while True:
            data = sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", data, off)
                if length < 16:
                    raise DataplaneError(msg_id="dataplane.netlink.malformed")
                msg_start, msg_end = off, off + length
                payload = data[off + 16 : off + 20] if kind == NLMSG_ERROR else b""
                off += (length + 3) & ~3
                if seq != self._seq:
                    continue
                if kind == NLMSG_DONE:
                    # A dump of a missing table is simply empty; ours always has counters.
                    return out or None
                if kind == NLMSG_ERROR:
                    (code,) = struct.unpack_from("=i", payload)
                    if code == 0:
                        continue
                    if -code == errno.ENOENT:
                        return None
                    raise DataplaneError(
                        msg_id="dataplane.netlink.error", params={"error": os.strerror(-code)}
                    )
                if kind != (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWOBJ:
                    continue
                entry = _counter(data, msg_start + 20, msg_end)
                if entry is not None:
                    out[entry[0]] = entry[1]

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
