"""Guest passes in the daemon, through the API: simulated world and data plane, and at the edge an
AP that speaks like hostapd (its station events are hostapd's own lines, parsed by the hostapd
backend's parser; what it is offered is the ApConfig hostapd would be rendered from).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.hotspot import qr
from simspot.hotspot.contract import ApConfig, Station
from simspot.hotspot.hostapd import parse_station_event
from simspot.simulator.ap import SimulatedAp
from simspot.simulator.clients import SimulatedDataPlane
from tests.helpers import api_client

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], within_s: float = 30) -> T:
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in {within_s} s (last: {value!r})")
        await asyncio.sleep(0.2)


class HostapdLikeAp:
    """The simulated world's stations, named by key as hostapd names them (fed its event lines)."""

    kind = "hostapd"
    mac_lists = True

    def __init__(self, inner: SimulatedAp) -> None:
        self.inner = inner
        self.offered: list[ApConfig] = []
        self.key_of: dict[str, str | None] = {}
        self.on_event: Callable[[str, str], None] | None = None

    async def up(self, config: ApConfig) -> None:
        self.offered.append(config)
        await self.inner.up(config)

    async def down(self) -> None:
        await self.inner.down()

    async def check(self) -> None:
        await self.inner.check()

    async def stations(self) -> list[Station] | None:
        found = await self.inner.stations() or []
        return [dataclasses.replace(s, key_id=self.key_of.get(s.mac)) for s in found]

    def feed(self, line: str) -> None:
        ev = parse_station_event(line)
        assert ev is not None
        self.key_of[ev.mac] = ev.key_id
        if self.on_event is not None:
            self.on_event(ev.kind, ev.mac)

    def station_key_id(self, mac: str) -> str | None:
        return self.key_of.get(mac)

    def keys(self) -> set[str]:
        return {k.key_id for k in self.offered[-1].person_keys} if self.offered else set()


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    conf = config.validate(
        {
            "daemon": {"state_dir": str(state)},
            "simulator": {"seed": 7, "clients": 4, "speed": 1, "tick_s": 0.2},
            "hotspot": {"security": "wpa2"},
        }
    )
    backends = build_backends(conf, simulate=True)
    assert isinstance(backends.access_point, SimulatedAp)
    backends = dataclasses.replace(backends, access_point=HostapdLikeAp(backends.access_point))
    d = Daemon(conf, backends)
    d.auth.setup()
    await d.start()
    try:
        yield d
    finally:
        await d.stop()


async def test_a_pass_limits_every_mac_that_joined_with_its_key(daemon: Daemon) -> None:
    ap = daemon.backends.access_point
    assert isinstance(ap, HostapdLikeAp)
    dp = daemon.backends.dataplane
    assert isinstance(dp, SimulatedDataPlane)
    macs = [c.mac for c in ap.inner.world.clients if c.present][:2]
    assert len(macs) == 2
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    async with api_client(daemon) as http:
        r = await http.post(
            "/api/v1/guests",
            json={"name": "Nina", "until": until.isoformat(), "allowance_bytes": 150_000},
        )
        assert r.status_code == 200, r.text
        p = r.json()
        pid = p["id"]
        assert len(p["passphrase"]) >= 12 and p["state"] == "active"

        async def offered() -> bool:
            return pid in ap.keys()

        await eventually(offered)
        key = next(k for k in ap.offered[-1].person_keys if k.key_id == pid)
        assert key.passphrase == p["passphrase"] and not key.sae
        qr_text = (await http.get(f"/api/v1/guests/{pid}/qr")).text
        parsed = qr.parse_wifi_text(qr_text)
        assert (parsed.password, parsed.password_id) == (p["passphrase"], None)

        for mac in macs:  # two of the guest's devices (randomised MACs) join with its key
            ap.feed(f"<3>AP-STA-CONNECTED {mac} keyid={pid}")

        async def show() -> dict[str, Any]:
            r = await http.get(f"/api/v1/guests/{pid}")
            assert r.status_code == 200, r.text
            data: dict[str, Any] = r.json()
            return data

        async def spent() -> bool:
            s = await show()
            return s["effective_remaining_bytes"] == 0 and sorted(s["macs"]) == sorted(macs)

        await eventually(spent, within_s=120)  # simulated devices of 2.5-50 kB/s
        s = await show()
        assert s["passphrase"] == "***"
        assert s["counted_bytes"] <= 150_000
        assert s["used_bytes"] <= 150_000
        assert dp.spec is not None
        group = next(g for g in dp.spec.groups if g.name == pid)
        # The group holds the pass's MACs that are clients now (simulated clients come and go).
        assert set(group.macs) <= set(macs)
        # The other clients are not under the pass and go on.
        before = (await dp.counters()).groups[pid]
        await asyncio.sleep(1.0)
        assert (await dp.counters()).groups[pid] == before  # the pass stands still

        # A top-up takes effect at once (the next poll).
        r = await http.post(f"/api/v1/guests/{pid}/extend", json={"topup_bytes": 300_000})
        assert r.status_code == 200, r.text

        async def moving() -> bool:
            g = (await dp.counters()).groups[pid]
            return g.rx_bytes + g.tx_bytes > before.rx_bytes + before.tx_bytes

        await eventually(moving)

        # Revoke: the key leaves the AP and the group is blocked.
        r = await http.post(f"/api/v1/guests/{pid}/revoke")
        assert r.status_code == 200 and r.json()["state"] == "revoked"

        async def cut() -> bool:
            spec = dp.spec
            return (
                pid not in ap.keys()
                and spec is not None
                and any(g.name == pid and g.blocked for g in spec.groups)
            )

        await eventually(cut)
        stopped = (await dp.counters()).groups[pid]
        await asyncio.sleep(1.0)
        assert (await dp.counters()).groups[pid] == stopped
        r = await http.get(f"/api/v1/guests/{pid}/qr")
        assert r.status_code == 422 and "ended" in r.text

        listing = (await http.get("/api/v1/guests")).json()
        assert listing["supported"] and [x["id"] for x in listing["passes"]] == [pid]
        kinds = [e.kind for e in daemon.bus.recent()]
        for kind in ("guest.added", "guest.device", "guest.depleted", "guest.extended"):
            assert kind in kinds
        assert "guest.revoked" in kinds


async def test_passes_are_refused_without_per_device_keys(daemon: Daemon) -> None:
    ap = daemon.backends.access_point
    assert isinstance(ap, HostapdLikeAp)
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    async with api_client(daemon) as http:
        for kind in ("networkmanager", "none"):
            ap.kind = kind
            r = await http.post("/api/v1/guests", json={"name": "Olga", "until": until})
            assert r.status_code == 422
            body = r.json()
            assert body["field"] == "guests"
            assert "no per-device keys" in body["detail"] and kind in body["detail"]
            assert body["message"]["id"] == "error.guests.refused"
            assert kind in body["message"]["params"]["reason_zh"]
            listing = (await http.get("/api/v1/guests")).json()
            assert listing["supported"] is False and kind in listing["refusal"]
            assert listing["refusal_message"]["id"] == "guest.refusal.no-keys"
            assert listing["refusal_message"]["params"] == {"backend": kind}
        ap.kind = "hostapd"
        r = await http.post(
            "/api/v1/guests", json={"name": "Olga", "until": until.replace("+00:00", "")}
        )
        assert r.status_code == 422 and "time zone" in r.text


async def test_station_events_and_the_client_list_name_the_guest(daemon: Daemon) -> None:
    from simspot.i18n import event_message

    ap = daemon.backends.access_point
    assert isinstance(ap, HostapdLikeAp)
    dp = daemon.backends.dataplane
    assert isinstance(dp, SimulatedDataPlane)
    guest_mac, owner_mac = [c.mac for c in ap.inner.world.clients if c.present][:2]
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    async with api_client(daemon) as http:
        r = await http.post(
            "/api/v1/guests", json={"name": "Anna", "until": until, "rate_kbit": 2000}
        )
        assert r.status_code == 200, r.text
        pid = r.json()["id"]
        ap.feed(f"<3>AP-STA-CONNECTED {guest_mac} keyid={pid}")
        ap.feed(f"<3>AP-STA-CONNECTED {owner_mac}")

        def station_events(kind: str) -> dict[str, dict[str, Any]]:
            return {e.data["mac"]: e.data for e in daemon.bus.recent() if e.kind == kind}

        joined = station_events("hotspot.station-connected")
        assert joined[guest_mac] == {
            "mac": guest_mac,
            "key_id": pid,
            "guest": "Anna",
            "variant": "guest",
        }
        assert joined[owner_mac]["key_id"] is None and joined[owner_mac]["guest"] is None
        msg = event_message("hotspot.station-connected", joined[guest_mac])
        assert msg.text("en") == f"{guest_mac} joined the Wi-Fi with Anna's pass."
        assert msg.text("zh") == f"{guest_mac} 使用 Anna 的访客通行证连接了 Wi-Fi。"
        plain = event_message("hotspot.station-connected", joined[owner_mac])
        assert plain.text("en") == f"{owner_mac} connected to the Wi-Fi."

        async def listed() -> dict[str, Any]:
            r = await http.get("/api/v1/hotspot/clients")
            assert r.status_code == 200, r.text
            rows = {c["mac"]: c for c in r.json()}
            return rows if rows.get(guest_mac, {}).get("guest_id") == pid else {}

        rows = await eventually(listed)
        assert rows[guest_mac]["key_id"] == pid and rows[guest_mac]["guest_name"] == "Anna"
        assert rows[owner_mac]["guest_id"] is None and rows[owner_mac]["key_id"] is None

        # The pass's speed cap is one for all of its MACs: the group's, not each device's.
        async def capped() -> bool:
            spec = dp.spec
            return spec is not None and any(
                g.name == pid and (g.rate_down_kbit, g.rate_up_kbit) == (2000, 2000)
                for g in spec.groups
            )

        await eventually(capped)
        assert dp.spec is not None
        client = next(c for c in dp.spec.clients if c.mac == guest_mac)
        assert (client.rate_down_kbit, client.rate_up_kbit) == (None, None)

        ap.feed(f"<3>AP-STA-DISCONNECTED {guest_mac}")
        left = station_events("hotspot.station-disconnected")[guest_mac]
        assert (left["key_id"], left["guest"]) == (pid, "Anna")
        bye = event_message("hotspot.station-disconnected", left)
        assert bye.text("en") == f"{guest_mac} (Anna's pass) left the Wi-Fi."
