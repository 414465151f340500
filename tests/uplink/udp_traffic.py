"""Steady UDP echo traffic from a lab client (run inside its namespace); prints JSON at the end.

``udp_traffic.py HOST PORT SIZE PER_SECOND SECONDS``: datagrams of SIZE bytes of payload, sent in
small bursts every 10 ms; echoes are read as they come. The counts are IP bytes (payload + 28).
"""

from __future__ import annotations

import json
import socket
import sys
import time


def main(host: str, port: int, size: int, per_second: int, seconds: float) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    payload = bytes(size)
    attempts = sent = received = 0
    t0 = time.monotonic()
    tick = 0
    while (now := time.monotonic()) - t0 < seconds + 1.0:
        if now - t0 < seconds:
            due = int((now - t0) * per_second)
            while attempts < due:
                attempts += 1
                try:
                    sock.sendto(payload, (host, port))
                except OSError:  # no route for a moment (a switch): not sent
                    continue
                sent += 1
        while True:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # an ICMP error for an earlier datagram
                continue
            received += 1 if len(data) == size else 0
        tick += 1
        time.sleep(max(0.0, t0 + tick * 0.01 - time.monotonic()))
    print(json.dumps({"sent_bytes": sent * (size + 28), "received_bytes": received * (size + 28)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
