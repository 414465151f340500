"""Run one probe round through an interface (inside the lab's box namespace); print JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from simspot.uplink.probe import probe_round, resolve
from simspot.uplink.settings import ProbeSettings


async def main(interface: str, settings: str) -> None:
    s = ProbeSettings.model_validate(json.loads(settings))
    rnd = await probe_round(interface, s)
    addresses: list[str] = []
    if s.dns_server:
        _, addresses = await resolve(interface, s.dns_server, s.dns_name, s.timeout_s)
    print(json.dumps({**dataclasses.asdict(rnd), "addresses": addresses}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
