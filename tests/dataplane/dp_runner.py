"""Runs an NftDataPlane in a process of its own (the SIGKILL test kills it).

argv: settings JSON, state directory, spec JSON. Prints "applied" once the spec is in the kernel.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from simspot.dataplane.contract import ClientSpec, DataplaneSpec
from simspot.dataplane.real import NftDataPlane
from simspot.dataplane.settings import DataplaneSettings


def spec_from_json(text: str) -> DataplaneSpec:
    d = json.loads(text)
    clients = tuple(
        ClientSpec(**{**c, "ipv4": tuple(c["ipv4"]), "ipv6": tuple(c["ipv6"])})
        for c in d["clients"]
    )
    return DataplaneSpec(**{**d, "clients": clients})


async def main() -> None:
    settings = DataplaneSettings.model_validate_json(sys.argv[1])
    dp = NftDataPlane(settings, Path(sys.argv[2]))
    await dp.start()
    await dp.apply(spec_from_json(sys.argv[3]))
    print("applied", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
