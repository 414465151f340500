"""asyncio helpers shared by the daemon's loops."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Future[Any]) -> None:
    """Cancel ``task`` and wait for it to end, without swallowing our own cancellation.

    ``with suppress(CancelledError): await task`` also swallows a cancel aimed at the task that
    is waiting; in a loop that task then carries on, and whoever stops it (the supervisor's
    ``wait_for``) waits for ever. Here the task's own end is absorbed, ours is raised.
    """
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        me = asyncio.current_task()
        if me is not None and me.cancelling():
            raise
