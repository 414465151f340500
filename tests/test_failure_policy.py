"""One failure policy: a component that cannot work is reported once, then retried quietly.

A ``SimspotError`` carries the sentence a user can act on: one log line without a traceback and
one ``component.failed`` event, however often the retry fails the same way; a new error is
reported again. Any other exception is a bug: a traceback every time.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from simspot.daemon.events import EventBus
from simspot.daemon.supervisor import Supervisor
from simspot.errors import SimspotError


class Failing:
    name = "modem"

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors
        self.runs = 0

    async def run(self) -> None:
        self.runs += 1
        raise self.errors[min(self.runs, len(self.errors)) - 1]

    async def close(self) -> None:
        pass


async def run_until(comp: Failing, runs: int, bus: EventBus) -> Supervisor:
    sup = Supervisor(bus, backoff_s=0.005, backoff_max_s=0.01)
    sup.add(comp)
    sup.start()
    for _ in range(2000):
        await asyncio.sleep(0.005)
        if comp.runs >= runs:
            break
    await sup.stop()
    assert comp.runs >= runs
    return sup


def failed_events(q: asyncio.Queue) -> list[dict[str, object]]:  # type: ignore[type-arg]
    out = []
    while not q.empty():
        ev = q.get_nowait()
        if ev.kind == "component.failed":
            out.append(dict(ev.data))
    return out


async def test_an_expected_failure_is_reported_once_then_retried_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    q = bus.subscribe()
    first = SimspotError("ModemManager is not running (start it: systemctl start ModemManager)")
    second = SimspotError("no modem: ModemManager sees no modem")
    comp = Failing([first] * 8 + [second] * 4)
    with caplog.at_level(logging.DEBUG, logger="simspot.daemon.supervisor"):
        sup = await run_until(comp, 12, bus)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        f"modem: {first} (retrying quietly with backoff)",
        f"modem: {second} (retrying quietly with backoff)",
    ]
    assert all(r.exc_info is None for r in errors)  # no traceback for a known failure
    assert sum(r.levelno == logging.DEBUG for r in caplog.records) >= 9  # the quiet retries
    events = failed_events(q)
    assert [e["error"] for e in events] == [str(first), str(second)]
    (health,) = sup.health()
    assert health.last_error == str(second) and health.restarts >= 12


async def test_an_unexpected_failure_gets_its_traceback_every_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    q = bus.subscribe()
    comp = Failing([RuntimeError("a bug")])
    with caplog.at_level(logging.ERROR, logger="simspot.daemon.supervisor"):
        await run_until(comp, 3, bus)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) >= 3 and all(r.exc_info is not None for r in errors)
    assert len(failed_events(q)) >= 3
