"""A tiny ISP for the uplink lab: a DNS server answering every A query with one address (which
says which ISP answered) and an HTTP connectivity check answering 204, and a UDP echo on port 7 (the billing lab's traffic). Run inside a
namespace.

The DNS socket is bound to the service address so that replies come from it (a connected UDP
socket on the box takes no datagram from another source)."""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
from typing import Any


class Dns(asyncio.DatagramProtocol):
    def __init__(self, answer: str) -> None:
        self.answer = socket.inet_aton(answer)
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # a datagram transport (not a DatagramTransport subclass)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        qid = data[:2]
        question = data[12:]
        header = qid + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
        answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + self.answer
        self.transport.sendto(header + question + answer, addr)


class Echo(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)


async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    await writer.drain()
    writer.close()


async def main(answer: str, service: str) -> None:
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Dns(answer), local_addr=(service, 53))
    await loop.create_datagram_endpoint(Echo, local_addr=(service, 7))
    server = await asyncio.start_server(http, "0.0.0.0", 80)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
