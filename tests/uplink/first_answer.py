"""Inside the lab's box: ask the ISPs' DNS server every 10 ms through whatever the default route
is (no binding) and print the CLOCK_MONOTONIC time of the first answer that says ``ANSWER``.

``first_answer.py SERVICE ANSWER LIMIT_S``: prints ``ready`` once asking, then the time (or
``none`` after LIMIT_S seconds).
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time


def main(service: str, answer: str, limit_s: float) -> None:
    want = socket.inet_aton(answer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    print("ready", flush=True)
    t_end = time.monotonic() + limit_s
    while (now := time.monotonic()) < t_end:
        qid = int.from_bytes(os.urandom(2), "big")
        query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"\x01x\x00\x00\x01\x00\x01"
        try:
            sock.sendto(query, (service, 53))
        except OSError:
            pass  # no route for a moment
        until = now + 0.01
        while (left := until - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            try:
                reply = sock.recv(512)
            except OSError:
                continue
            if reply[-4:] == want:
                print(f"{time.monotonic():.6f}", flush=True)
                return
    print("none", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
