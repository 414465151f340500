"""A hostile LAN client's packets, hand-made on a raw socket (run inside the client's namespace).

usage: hostile.py IFACE SRC_MAC DST_MAC MODE ARGS...

  udp4 SRC DST COUNT            COUNT UDP datagrams from IPv4 address SRC (any, e.g. a neighbour's)
  udp6 SRC DST COUNT            the same over IPv6
  arp CLAIMED_IP TARGET_IP COUNT  COUNT ARP replies saying CLAIMED_IP is at SRC_MAC (to TARGET_IP)
  spray6 PREFIX64 DST COUNT SECONDS
                                COUNT UDP datagrams, each from another address in PREFIX64, spread
                                evenly over SECONDS (the source spray of issue 17)

Prints one JSON line: {"sent": n, "seconds": s}. Frames carry correct checksums, so anything that
drops them does so on purpose.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import struct
import sys
import time


def _sum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _csum(data: bytes) -> int:
    value = ~_sum16(data) & 0xFFFF
    return value or 0xFFFF


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


PAYLOAD = b"simspot hostile client"


def udp4(src: str, dst: str) -> bytes:
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    udp_len = 8 + len(PAYLOAD)
    pseudo = s + d + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", 40000, 9, udp_len, 0) + PAYLOAD
    udp = udp[:6] + struct.pack("!H", _csum(pseudo + udp)) + udp[8:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0, 64, 17, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + udp


def udp6(src: str, dst: str) -> bytes:
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    udp_len = 8 + len(PAYLOAD)
    pseudo = s + d + struct.pack("!IxxxB", udp_len, 17)
    udp = struct.pack("!HHHH", 40000, 9, udp_len, 0) + PAYLOAD
    udp = udp[:6] + struct.pack("!H", _csum(pseudo + udp)) + udp[8:]
    return struct.pack("!IHBB16s16s", 6 << 28, udp_len, 17, 64, s, d) + udp


def main(argv: list[str]) -> None:
    iface, src_mac, dst_mac, mode, *args = argv
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    eth4 = _mac(dst_mac) + _mac(src_mac) + struct.pack("!H", 0x0800)
    eth6 = _mac(dst_mac) + _mac(src_mac) + struct.pack("!H", 0x86DD)
    t0 = time.monotonic()
    sent = 0
    if mode in ("udp4", "udp6"):
        src, dst, count = args[0], args[1], int(args[2])
        frame = eth4 + udp4(src, dst) if mode == "udp4" else eth6 + udp6(src, dst)
        for _ in range(count):
            sock.send(frame)
            sent += 1
    elif mode == "arp":
        claimed, target, count = args[0], args[1], int(args[2])
        arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + _mac(src_mac)
        arp += ipaddress.IPv4Address(claimed).packed + _mac(dst_mac)
        arp += ipaddress.IPv4Address(target).packed
        frame = _mac(dst_mac) + _mac(src_mac) + struct.pack("!H", 0x0806) + arp
        for _ in range(count):
            sock.send(frame)
            sent += 1
            time.sleep(0.05)
    elif mode == "spray6":
        net = ipaddress.IPv6Network(args[0])
        dst, count, seconds = args[1], int(args[2]), float(args[3])
        base = int(net.network_address) + 0x5EED00000000
        for i in range(count):
            due = t0 + seconds * i / count
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            sock.send(eth6 + udp6(str(ipaddress.IPv6Address(base + i)), dst))
            sent += 1
    else:
        sys.exit(f"unknown mode {mode!r}")
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - t0, 3)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
