"""Supervision of long-running components: restart with backoff, report, stop cleanly.

A component is anything with a name, an ``async run()`` that works until cancelled (raising means
it failed) and an idempotent ``async close()`` that releases what it holds. A failing component
is closed, reported as an event and restarted after a doubling backoff; it is never silently dead.

One failure policy: a component that cannot work (a ``SimspotError``: its message is the doctor's
sentence, e.g. "ModemManager is not running") is reported once, one log line without a traceback
and one ``component.failed`` event, then retried with backoff quietly (debug) while it fails the
same way; a different error, or the same one after a recovery, is reported again. Any other
exception is a bug: logged with its traceback every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from simspot.daemon.events import EventBus
from simspot.errors import SimspotError
from simspot.i18n_models import MessageOut
from simspot.model import ComponentHealth

log = logging.getLogger(__name__)


class Component(Protocol):
    name: str

    async def run(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class _Slot:
    component: Component
    task: asyncio.Task[None] | None = None
    state: Literal["starting", "running", "restarting", "failed", "stopped"] = "starting"
    restarts: int = 0
    last_error: str | None = None
    last_error_said: dict[str, Any] | None = None  # its sentence by id (message_json), if any
    reported: str | None = None  # the expected failure already reported (not repeated)


class Supervisor:
    def __init__(self, bus: EventBus, backoff_s: float = 1.0, backoff_max_s: float = 60.0) -> None:
        self._bus = bus
        self._backoff = backoff_s
        self._backoff_max = backoff_max_s
        self._slots: list[_Slot] = []
        self._stopping = False

    def add(self, component: Component) -> None:
        if any(s.component.name == component.name for s in self._slots):
            raise ValueError(f"component {component.name!r} added twice")
        slot = _Slot(component)
        self._slots.append(slot)
        if not self._stopping and _loop_running():
            slot.task = asyncio.create_task(self._keep(slot), name=f"component:{component.name}")

    def start(self) -> None:
        for slot in self._slots:
            if slot.task is None:
                slot.task = asyncio.create_task(
                    self._keep(slot), name=f"component:{slot.component.name}"
                )

    def component(self, name: str) -> Component:
        """The supervised component called ``name`` (KeyError if there is none)."""
        for slot in self._slots:
            if slot.component.name == name:
                return slot.component
        raise KeyError(name)

    def health(self) -> tuple[ComponentHealth, ...]:
        return tuple(
            ComponentHealth(
                name=s.component.name,
                state=s.state,
                restarts=s.restarts,
                last_error=s.last_error,
                last_error_message=(
                    MessageOut.model_validate(s.last_error_said) if s.last_error_said else None
                ),
            )
            for s in self._slots
        )

    async def _keep(self, slot: _Slot) -> None:
        delay = self._backoff
        name = slot.component.name
        while not self._stopping:
            slot.state = "running"
            started = time.monotonic()
            try:
                await slot.component.run()
                if self._stopping:
                    break
                raise RuntimeError("component returned without being stopped")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # supervision boundary: every failure is reported and retried
                slot.restarts += 1
                slot.last_error = f"{type(exc).__name__}: {exc}"
                slot.state = "restarting"
                recovered = time.monotonic() - started > 60
                if recovered:
                    delay = self._backoff  # it ran well for a while: start the backoff afresh
                extra = {"component": name, "restart_in_s": delay, "restarts": slot.restarts}
                expected = isinstance(exc, SimspotError)
                if isinstance(exc, SimspotError):
                    slot.last_error = str(exc)  # the sentence a user can act on
                    said = exc.message_json()
                    repeat = slot.last_error == slot.reported and not recovered
                    slot.reported = slot.last_error
                else:
                    repeat = False
                    slot.reported = None
                    said = None
                slot.last_error_said = said
                if repeat:
                    log.debug("component still failing: %s", exc, extra=extra)
                elif expected:
                    log.error("%s: %s (retrying quietly with backoff)", name, exc, extra=extra)
                else:
                    log.error("component failed, restarting", exc_info=exc, extra=extra)
                if not repeat:
                    self._bus.publish(
                        "component.failed",
                        {
                            "component": name,
                            "error": slot.last_error,
                            "error_said": said,
                            "restart_in_s": delay,
                        },
                    )
                with contextlib.suppress(Exception):
                    await slot.component.close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff_max)

    async def stop(self, timeout_s: float = 3.0) -> None:
        """Cancel every component (last added first) and close each one."""
        self._stopping = True
        for slot in reversed(self._slots):
            if slot.task is not None and not slot.task.done():
                slot.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(slot.task, timeout_s)
            try:
                await asyncio.wait_for(slot.component.close(), timeout_s)
            except Exception as exc:  # report, keep stopping the others
                log.error(
                    "component did not close cleanly",
                    extra={"component": slot.component.name, "error": str(exc)},
                )
            slot.state = "stopped"


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
