"""The hotspot in the daemon (simulated AP and data plane): API, passphrase, QR, blocks, on/off."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.dataplane.contract import ClientSpec, DataplaneSpec
from simspot.hotspot import passphrase, qr
from simspot.hotspot.capability import PASSPHRASE_FILE, HotspotService
from simspot.services import HOTSPOT_CONTROL
from simspot.simulator.clients import SimulatedDataPlane
from tests.helpers import api_client
from tests.hotspot.test_qr import decode, png_grid

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], within_s: float = 20) -> T:
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in {within_s} s (last: {value!r})")
        await asyncio.sleep(0.2)


def _prepare(state: Path) -> None:
    state.mkdir(parents=True, exist_ok=True, mode=0o700)


async def _start(state: Path, hotspot: dict[str, Any] | None = None) -> Daemon:
    conf = config.validate(
        {
            "daemon": {"state_dir": str(state)},
            "simulator": {"seed": 7, "clients": 6, "speed": 1, "tick_s": 0.2},
            "hotspot": hotspot or {},
        }
    )
    _prepare(state)
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    await d.start()
    return d


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    d = await _start(tmp_path / "state")
    try:
        yield d
    finally:
        await d.stop()


def api(d: Daemon) -> httpx.AsyncClient:
    return api_client(d)


def service(d: Daemon) -> HotspotService:
    svc = d.service(HOTSPOT_CONTROL)
    assert isinstance(svc, HotspotService)
    assert isinstance(svc, HotspotService)
    return svc


async def test_first_start_generates_a_private_strong_passphrase(tmp_path: Path) -> None:
    state = tmp_path / "state"
    d = await _start(state)
    try:
        path = state / PASSPHRASE_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        secret = json.loads(path.read_text())["passphrase"]
        assert passphrase.problems(secret) == [] and passphrase.estimate(secret).bits > 90
        async with api(d) as c:
            shown = (await c.get("/api/v1/hotspot")).json()
            assert shown["passphrase"] == "***" and shown["passphrase_source"] == "generated"
            assert secret not in json.dumps(shown)
            revealed = (await c.get("/api/v1/hotspot", params={"reveal": "true"})).json()
            assert revealed["passphrase"] == secret
            ssid = shown["ssid"]
            assert ssid.startswith("simspot-")
    finally:
        await d.stop()
    # The same passphrase and SSID after a restart; a second daemon never makes a new one.
    d = await _start(state)
    try:
        assert service(d).passphrase() == (secret, "generated")
        assert service(d).settings().ssid == ssid
    finally:
        await d.stop()
    # A passphrase in the config file wins over the generated one.
    d = await _start(state, {"passphrase": "kx8Lq2vRt9Zm-cfg"})
    try:
        assert service(d).passphrase() == ("kx8Lq2vRt9Zm-cfg", "config")
    finally:
        await d.stop()


async def test_settings_refused_with_reasons_and_nothing_kept(daemon: Daemon) -> None:
    svc = service(daemon)
    before = (daemon.state_dir / PASSPHRASE_FILE).read_text()
    async with api(daemon) as c:
        r = await c.post("/api/v1/hotspot/settings", json={"passphrase": "password2024"})
        assert r.status_code == 422
        assert (
            r.json()["detail"].startswith("passphrase: ")
            and "common password" in r.json()["detail"]
        )
        r = await c.post("/api/v1/hotspot/settings", json={"ssid": "evil\nwpa_passphrase=x"})
        assert r.status_code == 422 and r.json()["detail"].startswith("ssid: ")
        r = await c.post("/api/v1/hotspot/settings", json={"mac_deny": ["02:00:00:00:00:01\nx"]})
        assert r.status_code == 422 and "mac_deny" in r.json()["detail"]
        r = await c.post("/api/v1/hotspot/settings", json={"band": "5"})
        assert r.status_code == 422 and "country" in r.json()["detail"]
        r = await c.post("/api/v1/hotspot/settings", json={"interface": "wlan1"})
        assert r.status_code == 422
    assert (daemon.state_dir / PASSPHRASE_FILE).read_text() == before
    assert svc.settings().ssid != "evil\nwpa_passphrase=x" and svc.settings().band == "2.4"


async def test_settings_change_reaches_the_ap_and_qr(daemon: Daemon) -> None:
    svc = service(daemon)
    async with api(daemon) as c:
        r = await c.post(
            "/api/v1/hotspot/settings",
            json={"ssid": 'Caf\u00e9 ;:"x', "passphrase": "Tr0ub4dor&3-zebra", "hidden": True},
        )
        assert r.status_code == 200, r.text
        assert r.json()["passphrase_source"] == "user"
        offered = await eventually(
            lambda: _ret(svc.offered if svc.offered and svc.offered.hidden else None)
        )
        assert offered.ssid == 'Caf\u00e9 ;:"x' and offered.passphrase == "Tr0ub4dor&3-zebra"
        text = (await c.get("/api/v1/hotspot/qr", params={"format": "text"})).text
        parsed = qr.parse_wifi_text(text)
        assert (parsed.ssid, parsed.password, parsed.hidden) == (
            offered.ssid,
            offered.passphrase,
            True,
        )
        png = await c.get("/api/v1/hotspot/qr", params={"format": "png"})
        assert png.headers["content-type"] == "image/png"
        assert decode(png_grid(png.content), scale=1) == text
        svg = await c.get("/api/v1/hotspot/qr", params={"format": "svg"})
        assert svg.headers["content-type"].startswith("image/svg+xml")
        # Open: a loud warning in the status, nopass in the QR.
        r = await c.post("/api/v1/hotspot/settings", json={"security": "open"})
        assert any("OPEN NETWORK" in w for w in r.json()["warnings"])
        assert r.json()["passphrase"] is None
        assert "T:nopass" in (await c.get("/api/v1/hotspot/qr")).text


async def _ret(value: T) -> T:
    return value


async def test_down_and_up_follow_the_user_hold(daemon: Daemon) -> None:
    svc = service(daemon)
    await eventually(lambda: _ret(len(daemon.live.clients) > 0))
    async with api(daemon) as c:
        r = await c.post("/api/v1/hotspot/down")
        assert r.json()["held_by"] == {"user": "turned off with simspot hotspot down"}
        await eventually(lambda: _ret(svc.offered is None and not daemon.live.clients))
        assert (await c.get("/api/v1/hotspot/clients")).json() == []
        r = await c.post("/api/v1/hotspot/up")
        assert r.json()["enabled"] is True
        await eventually(lambda: _ret(svc.offered is not None and len(daemon.live.clients) > 0))


async def test_block_deny_and_caps_reach_the_data_plane(daemon: Daemon) -> None:
    dp = daemon.backends.dataplane
    assert isinstance(dp, SimulatedDataPlane)
    clients = await eventually(
        lambda: _ret(daemon.live.clients if len(daemon.live.clients) >= 2 else ())
    )
    victim, capped = clients[0].mac, clients[1].mac

    def spec_of(mac: str) -> Any:
        return next((c for c in dp.spec.clients if c.mac == mac), None) if dp.spec else None

    async with api(daemon) as c:
        assert (await c.post(f"/api/v1/hotspot/clients/{victim.upper()}/block")).json() == {
            "mac": victim,
            "blocked": True,
        }
        r = await c.post(f"/api/v1/hotspot/clients/{capped}/limit", json={"rate_down_kbit": 800})
        assert r.json()["rate_down_kbit"] == 800
        await eventually(lambda: _ret(spec_of(victim) is not None and spec_of(victim).blocked))
        await eventually(
            lambda: _ret(spec_of(capped) is not None and spec_of(capped).rate_down_kbit == 800)
        )
        assert not spec_of(capped).blocked
        rows = {r["mac"]: r for r in (await c.get("/api/v1/hotspot/clients")).json()}
        assert rows[victim]["blocked"] is True and rows[capped]["rate_down_kbit"] == 800
        # The block survives in the store: a new service reads it back.
        assert service(daemon)._load_rules()[victim].blocked
        # A blocked client's counters stop; the others' go on.
        before = (await dp.counters()).clients[victim]
        await asyncio.sleep(1.0)
        assert (await dp.counters()).clients[victim] == before
        assert (await c.post(f"/api/v1/hotspot/clients/{victim}/unblock")).json()[
            "blocked"
        ] is False
        probe = DataplaneSpec("lan", "up", "iccid", (ClientSpec(victim), ClientSpec(capped)))
        hooked = service(daemon).spec_hook(probe).clients
        assert not hooked[0].blocked and hooked[1].rate_down_kbit == 800
        # The deny list: the simulated AP refuses the station and the data plane blocks it.
        r = await c.post("/api/v1/hotspot/settings", json={"mac_deny": [capped]})
        assert r.status_code == 200
        await eventually(lambda: _ret(capped not in {x.mac for x in daemon.live.clients}))
        assert service(daemon).spec_hook(probe).clients[1].blocked
        assert (await c.post("/api/v1/hotspot/clients/nonsense/block")).status_code == 422
        r = await c.post(f"/api/v1/hotspot/clients/{victim}/limit", json={"rate_up_kbit": 1})
        assert r.status_code == 422  # refused by the request's schema, naming the field
        assert r.json()["detail"][0]["loc"] == ["body", "rate_up_kbit"]


async def test_session_bytes_grow_from_zero(daemon: Daemon) -> None:
    async with api(daemon) as c:

        async def rows() -> list[dict[str, Any]]:
            return list((await c.get("/api/v1/hotspot/clients")).json())

        first = await eventually(rows)
        grown = await eventually(
            lambda: _any_grown(rows, {r["mac"]: r["session_rx_bytes"] for r in first})
        )
        assert grown
        sample = first[0]
        assert set(sample) >= {"mac", "ipv4", "hostname", "connected_since", "signal_dbm",
                               "session_rx_bytes", "session_tx_bytes", "cycle_bytes", "blocked"}  # fmt: skip
        assert sample["ipv4"].startswith("192.168.44.") and sample["signal_dbm"] < 0


async def _any_grown(
    rows: Callable[[], Awaitable[list[dict[str, Any]]]], base: dict[str, int]
) -> bool:
    return any(r["session_rx_bytes"] > base.get(r["mac"], 0) for r in await rows())


async def test_a_failing_ap_is_reported_and_retried(tmp_path: Path) -> None:
    """hostapd cannot run here (no radio): the component fails, says why, and is restarted."""
    d = await _start(tmp_path / "state", {"backend": "hostapd", "interface": "nosuchwlan0"})
    try:
        svc = service(d)
        assert svc.ap.kind == "hostapd"

        async def failed_twice() -> bool:
            h = next(h for h in d.supervisor.health() if h.name == "hotspot")
            return h.restarts >= 2

        await eventually(failed_twice, within_s=30)
        assert svc.last_error is not None and "hostapd exited" in svc.last_error
        assert "nosuchwlan0" in svc.last_error or "nl80211" in svc.last_error
        kinds = [e.kind for e in d.bus.recent()]
        assert "component.failed" in kinds and "hotspot.up" not in kinds
        async with api(d) as c:
            st = (await c.get("/api/v1/hotspot")).json()
        assert st["up"] is False and "hostapd exited" in st["last_error"]
        assert svc.passphrase()[0] not in st["last_error"]  # nothing secret in the error
    finally:
        await d.stop()
