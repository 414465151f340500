"""Insert a card object into the private pcscd's virtual reader for the length of a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from simspot.esim.pcsc import list_readers
from simspot.simulator.vpcd import EUICC_ATR, Card, VpcdCard

READER = "Virtual PCD 00 00"


@asynccontextmanager
async def inserted(card: Card, port: int, *, atr: bytes = EUICC_ATR) -> AsyncIterator[VpcdCard]:
    bridge = VpcdCard(card, "127.0.0.1", port, atr=atr)
    await bridge.connect(timeout_s=20)
    task = asyncio.create_task(bridge.serve())
    try:
        await wait_present(True)
        yield bridge
    finally:
        bridge.remove()
        await asyncio.wait_for(task, 10)
        await wait_present(False)


async def wait_present(present: bool, timeout_s: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        readers = {r.name: r for r in await list_readers()}
        if READER in readers and readers[READER].card_present == present:
            return
        if loop.time() > deadline:
            raise AssertionError(f"card present={present} not seen in time: {readers}")
        await asyncio.sleep(0.1)
