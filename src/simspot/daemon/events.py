"""In-process event bus: components publish, the API's event stream and notifiers subscribe."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from simspot.secrets import mask

log = logging.getLogger("simspot.events")


@dataclass(frozen=True)
class Event:
    id: int
    ts: float
    kind: str  # dotted, e.g. "modem.registration", "plan.threshold", "component.failed"
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "ts": self.ts, "kind": self.kind, "data": mask(self.data)}


class EventBus:
    """Fan-out to subscribers; a slow subscriber loses its oldest events, never blocks publishers."""

    def __init__(self, history: int = 200, queue_size: int = 1000) -> None:
        self._ids = itertools.count(1)
        self._subs: set[asyncio.Queue[Event]] = set()
        self._history: deque[Event] = deque(maxlen=history)
        self._queue_size = queue_size

    def publish(self, kind: str, data: dict[str, Any] | None = None) -> Event:
        ev = Event(next(self._ids), time.time(), kind, dict(data or {}))
        self._history.append(ev)
        log.info(kind, extra={"event": mask(ev.data)})
        for q in list(self._subs):
            if q.full():
                q.get_nowait()
            q.put_nowait(ev)
        return ev

    def recent(self) -> list[Event]:
        return list(self._history)

    def subscribe(self) -> asyncio.Queue[Event]:
        q: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._subs.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[Event]) -> None:
        self._subs.discard(q)
