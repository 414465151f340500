from __future__ import annotations

import asyncio

from simspot.daemon.events import EventBus
from simspot.daemon.supervisor import Supervisor


class Flaky:
    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs = 0
        self.closed = 0

    async def run(self) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise OSError(f"boom {self.runs}")
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.closed += 1


async def test_failing_component_is_restarted_with_backoff_and_reported() -> None:
    bus = EventBus()
    q = bus.subscribe()
    sup = Supervisor(bus, backoff_s=0.01, backoff_max_s=0.05)
    comp = Flaky(failures=3)
    sup.add(comp)
    sup.start()
    for _ in range(200):
        await asyncio.sleep(0.01)
        if comp.runs == 4:
            break
    assert comp.runs == 4
    (health,) = sup.health()
    assert health.state == "running" and health.restarts == 3
    assert health.last_error == "OSError: boom 3"
    events = [q.get_nowait() for _ in range(q.qsize())]
    failed = [e for e in events if e.kind == "component.failed"]
    assert [e.data["restart_in_s"] for e in failed] == [0.01, 0.02, 0.04]
    await sup.stop()
    assert sup.health()[0].state == "stopped"
    assert comp.closed == 4  # once per failure and once at stop


async def test_stop_cancels_in_reverse_order() -> None:
    order: list[str] = []

    class C:
        def __init__(self, name: str) -> None:
            self.name = name

        async def run(self) -> None:
            await asyncio.Event().wait()

        async def close(self) -> None:
            order.append(self.name)

    sup = Supervisor(EventBus())
    for n in ("a", "b", "c"):
        sup.add(C(n))
    sup.start()
    await asyncio.sleep(0)
    await sup.stop()
    assert order == ["c", "b", "a"]


async def test_a_failure_with_a_sentence_is_kept_and_reported_by_its_id() -> None:
    from simspot.errors import BackendError
    from simspot.i18n import event_message

    class Refusing:
        name = "ap"

        async def run(self) -> None:
            raise BackendError(msg_id="hotspot.hostapd.no-answer", params={"command": "STATUS"})

        async def close(self) -> None:
            pass

    bus = EventBus()
    q = bus.subscribe()
    sup = Supervisor(bus, backoff_s=0.01, backoff_max_s=0.05)
    sup.add(Refusing())
    sup.start()
    failed = None
    for _ in range(200):
        await asyncio.sleep(0.01)
        events = [q.get_nowait() for _ in range(q.qsize())]
        failed = next((e for e in events if e.kind == "component.failed"), failed)
        if failed is not None:
            break
    await sup.stop()
    assert failed is not None
    (health,) = sup.health()
    assert health.last_error == "hostapd did not answer STATUS"
    assert health.last_error_message is not None
    assert health.last_error_message.id == "hotspot.hostapd.no-answer"
    assert failed.data["error_said"]["id"] == "hotspot.hostapd.no-answer"
    assert "hostapd 没有应答 STATUS" in event_message(failed.kind, failed.data).text("zh")
