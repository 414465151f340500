"""Health probes through one uplink at a time: sockets bound to its interface (SO_BINDTODEVICE).

A round sends the configured probes at once: a DNS query to a resolver, an HTTP connectivity
check (a plain ``GET`` expecting 204 or 200) and a TCP connect (in place of ICMP, which needs a raw
socket). The round is good when any probe answers; loss is the share that did not. Each probe
counts the bytes it cost on the link: UDP exactly (payload + 28 bytes of IPv4/UDP headers), TCP
as payload plus 40 bytes of headers per packet (handshake, data, acknowledgements, close).

Binding to a device needs CAP_NET_RAW (the daemon has it); the route lookup then uses the
routes through that device only, so every uplink needs its own default route (any metric).
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from simspot.uplink.settings import ProbeSettings

UDP_HEADERS = 28
TCP_HEADERS = 40
MSS = 1460


@dataclass(frozen=True)
class ProbeResult:
    kind: str  # "dns", "http", "tcp"
    ok: bool
    latency_ms: float | None
    bytes: int
    error: str | None = None


@dataclass(frozen=True)
class Round:
    ok: bool
    loss: float
    latency_ms: float | None
    bytes: int
    results: tuple[ProbeResult, ...]

    @property
    def error(self) -> str | None:
        errs = [f"{r.kind}: {r.error}" for r in self.results if r.error]
        return "; ".join(errs) or None


class ProbeError(Exception):
    """One probe failed; the message says how (kept inside this module)."""


def _bound(family: int, kind: int, interface: str) -> socket.socket:
    sock = socket.socket(family, kind)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
    except OSError as exc:
        sock.close()
        if exc.errno == errno.ENODEV:
            raise ProbeError(f"no interface {interface}") from None
        raise ProbeError(f"cannot bind to {interface}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


def _tcp_cost(sent: int, received: int) -> int:
    packets = 3 + 4 + -(-sent // MSS) + 2 * -(-received // MSS)  # handshake, close, data + acks
    return sent + received + TCP_HEADERS * packets


# -- DNS (RFC 1035) --------------------------------------------------------------------------------
def dns_query(name: str, qid: int) -> bytes:
    labels = [p for p in name.rstrip(".").split(".") if p]
    if not labels or any(len(p) > 63 for p in labels):
        raise ProbeError(f"{name!r} is not a DNS name")
    qname = b"".join(bytes([len(p)]) + p.encode("ascii") for p in labels) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)


def dns_answer_addresses(reply: bytes, qid: int) -> tuple[int, list[str]]:
    """(rcode, IPv4 addresses in the answer section) of a reply to query ``qid``."""
    if len(reply) < 12:
        raise ProbeError("short DNS reply")
    rid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", reply[:12])
    if rid != qid or not flags & 0x8000:
        raise ProbeError("DNS reply does not match the query")
    pos = 12

    def skip_name(p: int) -> int:
        while p < len(reply):
            n = reply[p]
            if n & 0xC0 == 0xC0:
                return p + 2
            if n == 0:
                return p + 1
            p += n + 1
        raise ProbeError("truncated DNS name")

    for _ in range(qd):
        pos = skip_name(pos) + 4
    out = []
    for _ in range(an):
        pos = skip_name(pos)
        if pos + 10 > len(reply):
            raise ProbeError("truncated DNS answer")
        rtype, _, _, rdlen = struct.unpack("!HHIH", reply[pos : pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(reply[pos : pos + 4]))
        pos += rdlen
    return flags & 0x000F, out


async def resolve(
    interface: str, server: str, name: str, limit_s: float
) -> tuple[ProbeResult, list[str]]:
    """One DNS query through ``interface``; a reply with NOERROR or NXDOMAIN is a good probe."""
    loop = asyncio.get_running_loop()
    qid = int.from_bytes(os.urandom(2), "big")
    t0 = time.monotonic()
    sent = received = 0
    try:
        query = dns_query(name, qid)
        with _bound(socket.AF_INET, socket.SOCK_DGRAM, interface) as sock:
            await loop.sock_connect(sock, (server, 53))
            await loop.sock_sendall(sock, query)
            sent = len(query) + UDP_HEADERS
            reply = await asyncio.wait_for(loop.sock_recv(sock, 4096), limit_s)
            received = len(reply) + UDP_HEADERS
        rcode, addresses = dns_answer_addresses(reply, qid)
        if rcode not in (0, 3):
            raise ProbeError(f"the resolver answered rcode {rcode}")
    except (ProbeError, OSError, TimeoutError) as exc:
        return ProbeResult("dns", False, None, sent + received, _text(exc)), []
    return ProbeResult("dns", True, (time.monotonic() - t0) * 1000, sent + received), addresses


# -- TCP and HTTP --------------------------------------------------------------------------------
async def _connect(interface: str, host: str, port: int, limit_s: float) -> socket.socket:
    loop = asyncio.get_running_loop()
    sock = _bound(socket.AF_INET, socket.SOCK_STREAM, interface)
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (host, port)), limit_s)
    except BaseException:
        sock.close()
        raise
    return sock


async def tcp_probe(interface: str, host: str, port: int, limit_s: float) -> ProbeResult:
    t0 = time.monotonic()
    try:
        sock = await _connect(interface, host, port, limit_s)
        sock.close()
    except (ProbeError, OSError, TimeoutError) as exc:
        return ProbeResult("tcp", False, None, TCP_HEADERS, _text(exc))
    return ProbeResult("tcp", True, (time.monotonic() - t0) * 1000, _tcp_cost(0, 0))


async def http_probe(
    interface: str, host: str, address: str, port: int, path: str, expect: Sequence[int],
    limit_s: float,
) -> ProbeResult:  # fmt: skip
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: simspot-probe\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    sent = received = 0
    try:
        with await _connect(interface, address, port, limit_s) as sock:
            await loop.sock_sendall(sock, request)
            sent = len(request)
            data = b""
            deadline = t0 + limit_s
            while b"\r\n" not in data and len(data) < 4096:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), left)
                if not chunk:
                    break
                data += chunk
            received = len(data)
        parts = data.split(b"\r\n", 1)[0].split()
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise ProbeError("not an HTTP answer (a captive portal or a proxy?)")
        code = int(parts[1])
        if code not in expect:
            raise ProbeError(f"HTTP {code} (a captive portal?)")
    except (ProbeError, OSError, TimeoutError) as exc:
        return ProbeResult("http", False, None, _tcp_cost(sent, received), _text(exc))
    return ProbeResult("http", True, (time.monotonic() - t0) * 1000, _tcp_cost(sent, received))


def _text(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _is_address(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return host.count(".") == 3


async def probe_round(
    interface: str, s: ProbeSettings, cache: dict[str, str] | None = None
) -> Round:
    """Every configured probe through ``interface`` at once; good when any of them answers.

    The HTTP check's host, when a name, is resolved through the same link; ``cache`` keeps the
    last answer so that the next rounds run the DNS and HTTP probes side by side.
    """
    cache = {} if cache is None else cache
    url = urlsplit(s.http_url) if s.http_url else None
    host = url.hostname if url is not None else None
    address = host if host and _is_address(host) else cache.get(host or "")
    dns_name = host if host and address is None else s.dns_name
    results: list[ProbeResult] = []
    if s.dns_server is not None and address is None:
        dns_result, addresses = await resolve(interface, s.dns_server, dns_name, s.timeout_s)
        results.append(dns_result)
        if addresses and host:
            address = cache[host] = addresses[0]
    tasks: list[asyncio.Task[ProbeResult]] = []
    if s.dns_server is not None and not results:

        async def dns() -> ProbeResult:
            r, found = await resolve(interface, s.dns_server or "", s.dns_name, s.timeout_s)
            if found and host and not _is_address(host) and dns_name == host:
                cache[host] = found[0]
            return r

        tasks.append(asyncio.create_task(dns()))
    if url is not None and host and address is not None:
        tasks.append(
            asyncio.create_task(
                http_probe(interface, host, address, url.port or 80, url.path or "/",
                           s.http_expect, s.timeout_s)
            )
        )  # fmt: skip
    if s.tcp_target is not None:
        thost, _, port = s.tcp_target.rpartition(":")
        tasks.append(
            asyncio.create_task(tcp_probe(interface, thost.strip("[]"), int(port), s.timeout_s))
        )
    results += list(await asyncio.gather(*tasks))
    if not results:
        return Round(False, 1.0, None, 0, ())
    good = [r for r in results if r.ok]
    latencies = [r.latency_ms for r in good if r.latency_ms is not None]
    return Round(
        ok=bool(good),
        loss=1 - len(good) / len(results),
        latency_ms=round(min(latencies), 2) if latencies else None,
        bytes=sum(r.bytes for r in results),
        results=tuple(results),
    )


def interface_up(interface: str, sys_class_net: str = "/sys/class/net") -> bool:
    """The interface exists here and has a carrier (operstate up, or unknown for tun/ppp/wwan)."""
    try:
        with open(f"{sys_class_net}/{interface}/operstate", encoding="ascii") as f:
            state = f.read().strip()
    except OSError:
        return False
    return state in ("up", "unknown")
