"""Inside a namespace: print each link change LinkWatch hears (``name up|down``) for LIMIT_S."""

from __future__ import annotations

import asyncio
import sys

from simspot.uplink.linkwatch import LinkWatch


async def main(limit_s: float) -> None:
    watch = LinkWatch(lambda name, up: print(name, "up" if up else "down", flush=True))
    assert watch.start()
    print("ready", flush=True)
    await asyncio.sleep(limit_s)
    watch.close()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
