"""cancel_and_wait: a loop that cancels its helper tasks still stops when it is cancelled."""

from __future__ import annotations

import asyncio

from simspot.aio import cancel_and_wait


async def _slow_to_end() -> None:
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        await asyncio.sleep(0.2)  # ends a while after its cancel, like a real helper task
        raise


async def _loop() -> None:
    while True:
        helper = asyncio.create_task(_slow_to_end())
        await asyncio.sleep(0)
        await cancel_and_wait(helper)


async def test_a_cancel_aimed_at_the_waiter_stops_it() -> None:
    looping = asyncio.create_task(_loop())
    await asyncio.sleep(0.05)  # the loop is now waiting for its helper's end
    looping.cancel()
    done, _ = await asyncio.wait({looping}, timeout=30)
    assert looping in done and looping.cancelled()


async def test_the_helper_end_itself_is_absorbed() -> None:
    helper = asyncio.create_task(_slow_to_end())
    await asyncio.sleep(0)
    await cancel_and_wait(helper)  # no CancelledError reaches us
    assert helper.cancelled()
