"""New devices in the daemon (simulated world and data plane): rate of new MACs, approval, API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.dataplane.devices import vendor
from simspot.simulator.clients import SimulatedDataPlane
from tests.helpers import api_client

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T] | T], within_s: float = 30) -> T:
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        value = probe()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in {within_s} s (last: {value!r})")
        await asyncio.sleep(0.2)


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    conf = config.validate(
        {
            "daemon": {"state_dir": str(state)},
            "simulator": {"seed": 7, "clients": 8, "speed": 60, "tick_s": 0.2},
            "dataplane": {"approve_new_devices": True, "new_devices_per_minute": 3},
        }
    )
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    await d.start()
    try:
        yield d
    finally:
        await d.stop()


async def test_new_devices_wait_for_approval_and_past_the_rate_are_held(daemon: Daemon) -> None:
    dp = daemon.backends.dataplane
    assert isinstance(dp, SimulatedDataPlane)
    async with api_client(daemon) as c:

        async def listed() -> dict[str, Any] | None:
            doc: dict[str, Any] = (await c.get("/api/v1/devices")).json()
            return doc if len(doc["devices"]) >= 4 else None

        doc = await eventually(listed)
        states = sorted(d["state"] for d in doc["devices"])
        # Three new MACs a minute are let in (to wait for approval); the rest are held.
        assert states.count("waiting") == 3 and states.count("held") == len(states) - 3 >= 1
        assert doc["approve_new_devices"] is True and doc["pool"]["size"] == 241
        assert all(d["vendor"] == vendor(d["mac"]) for d in doc["devices"])
        assert dp.spec is not None and dp.spec.clients == ()  # nobody forwards yet
        held = sorted(d["mac"] for d in doc["devices"] if d["state"] == "held")
        assert set(held) <= set(dp.spec.refused_macs)
        before = (await dp.counters()).clients

        waiting = next(d for d in doc["devices"] if d["state"] == "waiting")
        r = await c.post(f"/api/v1/devices/{waiting['mac'].upper()}/approve")
        assert r.status_code == 200 and r.json()["state"] == "approved"
        # The owner's word also lets in a held device at once.
        assert (await c.post(f"/api/v1/devices/{held[0]}/approve")).json()["state"] == "approved"
        approved = {waiting["mac"], held[0]}
        await eventually(
            lambda: dp.spec is not None and {x.mac for x in dp.spec.clients} == approved
        )
        assert dp.spec is not None and approved <= set(dp.spec.known_macs)

        async def counted() -> bool:
            now = (await dp.counters()).clients
            return any(now.get(m) and now[m] != before.get(m) for m in approved)

        await eventually(counted)
        # Only the approved ones count; the others' traffic is dropped as unknown.
        now = await dp.counters()
        for m in {d["mac"] for d in doc["devices"]} - approved:
            assert now.clients.get(m) == before.get(m)
        assert now.unknown.bytes > 0

        r = await c.post("/api/v1/devices/nonsense/approve")
        assert r.status_code == 422 and "mac" in r.json()["detail"]
        r = await c.post(f"/api/v1/devices/{waiting['mac']}/unapprove")
        assert r.json()["state"] == "waiting"
        await eventually(
            lambda: dp.spec is not None and waiting["mac"] not in {x.mac for x in dp.spec.clients}
        )


def test_vendor_names_the_registry_owner_or_says_it_cannot() -> None:
    assert vendor("02:5e:00:00:00:01") == "private address (randomised by the device)"
    assert vendor("00:00:00:00:00:01", Path("/nonexistent")) == "unknown vendor"
    found = vendor("00:d0:ef:00:00:01")  # IGT in IEEE's registry (Debian's ieee-data)
    assert found == "IGT"


async def test_an_address_claimed_twice_never_stops_sharing_and_is_reported_once(
    daemon: Daemon,
) -> None:
    from simspot.dataplane.sharing import Sharing
    from simspot.model import ClientInfo

    await eventually(lambda: daemon.uplink() is not None)
    sharing = Sharing(daemon)
    a, b = "02:5e:00:00:00:0a", "02:5e:00:00:00:0b"
    # As the station list would show them (set and read in one step: nothing else runs between).
    daemon.live.clients = (
        ClientInfo(mac=a, ipv4="192.168.44.20", ipv6=("2001:db8:44::20",)),
        ClientInfo(mac=b, ipv4="192.168.44.21", ipv6=("2001:db8:44::20",)),
    )
    first = sharing.wanted()
    second = sharing.wanted()
    assert first is not None and first == second
    events = [e for e in daemon.bus.recent() if e.kind == "dataplane.address-conflict"]
    assert [e.data for e in events] == [{"address": "2001:db8:44::20", "owner": a, "claimant": b}]
