"""The sim and power routes and `simspot sim ...`: on the simulator, and on ModemManager (mock)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dbus_fast import Variant

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.simulator.modem import SimulatedModem
from tests.dbus.conftest import MockService, eventually
from tests.helpers import api_client, run_cli, start_demo


def api(d: Daemon) -> httpx.AsyncClient:
    return api_client(d)


async def started(conf_data: dict[str, Any]) -> Daemon:
    conf = config.validate(conf_data)
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    await d.start()
    return d


@pytest.fixture
async def sim_daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    d = await started({"daemon": {"state_dir": str(tmp_path)}, "simulator": {"seed": 7}})
    yield d
    await d.stop()


async def test_sim_routes_on_the_simulator(sim_daemon: Daemon) -> None:
    d = sim_daemon
    async with api(d) as c:
        slots = (await c.get("/api/v1/sim/slots")).json()
        assert slots["active"] == 1 and [s["kind"] for s in slots["slots"]] == ["physical", "euicc"]
        r = await c.post("/api/v1/sim/switch", json={"slot": 2})
        assert r.status_code == 200 and r.json()["active"] == 2
        assert (await c.post("/api/v1/sim/switch", json={"slot": 0})).status_code == 422
        assert (await c.post("/api/v1/sim/switch", json={"slot": 5})).status_code == 409
        sms = (await c.get("/api/v1/sim/sms")).json()["messages"]
        assert sms and "Welcome" in sms[0]["text"]

        modem = d.backends.modem
        assert isinstance(modem, SimulatedModem)
        modem.lock_sim(pin="2468", retries=2)
        r = await c.post("/api/v1/sim/unlock", json={"pin": "1111"})
        assert r.status_code == 409 and "1 attempt(s) left" in r.json()["detail"]
        r = await c.post("/api/v1/sim/unlock", json={"pin": "2468"})
        assert r.status_code == 409 and "last" in r.json()["detail"]
        assert modem.pin_required and modem.pin_retries == 1
        assert (await c.post("/api/v1/sim/unlock", json={"pin": "12"})).status_code == 422
        # The PIN never shows up in the event log.
        assert "2468" not in json.dumps([e.as_json() for e in d.bus.recent()])


async def test_power_routes_and_idle_wake(tmp_path: Path) -> None:
    d = await started(
        {
            "daemon": {"state_dir": str(tmp_path)},
            "simulator": {"seed": 7, "clients": 0},
            "hotspot": {"auto_off_minutes": 1},
        }
    )
    try:
        async with api(d) as c:
            power = (await c.get("/api/v1/power")).json()
            assert power["idle_off_minutes"] == 1 and power["stop_percent"] == 10
            assert power["sharing"]["enabled"] is True
            # No clients for the whole minute: the guard's own clock is moved on by checking
            # with a later time, as the component does every second.
            idle = d.supervisor.component("idle-off")
            idle.check(now=idle.state.last_active + 61)  # type: ignore[attr-defined]
            assert "idle" in d.sharing.reasons
            assert (await c.get("/api/v1/power")).json()["idle_hold"] is True
            r = await c.post("/api/v1/power/wake", json={})
            assert r.json() == {"ok": True, "sharing": True}
    finally:
        await d.stop()


async def test_daemon_on_modemmanager(
    mm_mock: MockService, dbus_address: str, tmp_path: Path
) -> None:
    """`modem.backend = "modemmanager"` end to end: status, slots, switch, SMS over the API."""
    first = await mm_mock.call("AddDualSimModem", "a{sv}", [{"primary": Variant("u", 1)}])
    await mm_mock.call("AddSms", "sss", ["Simtel", "80% of your data used", "2026-11-20T10:00Z"])
    d = await started(
        {
            "daemon": {"state_dir": str(tmp_path)},
            "simulator": {"seed": 7},
            "modem": {
                "backend": "modemmanager",
                "dbus_address": dbus_address,
                "apn": {"8944200000000000017": {"apn": "three.co.uk"}},
                "switch_timeout_s": 20,
            },
        }
    )
    try:
        async with api(d) as c:
            # The daemon's uplink keeps the bearer up with the identity's APN.
            status = await eventually(
                lambda: _status_when(c, lambda s: s["modem"] and s["modem"]["bearer"]),
                what="connected uplink",
            )
            assert status["uplink_iccid"] == "8944200000000000017"
            assert status["modem"]["bearer"]["apn"] == "three.co.uk"
            assert status["modem"]["bearer"]["interface"] == "wwan0"
            slots = (await c.get("/api/v1/sim/slots")).json()
            assert slots["slots"][1]["eid"] == "89049032000000000000000000000042"
            r = await c.post("/api/v1/sim/switch", json={"slot": 2})
            assert r.status_code == 200, r.text
            assert r.json()["modem"]["slots"][1]["active"] is True
            assert await mm_mock.call("CurrentModem") != first
            sms = (await c.get("/api/v1/sim/sms")).json()["messages"]
            assert [m["text"] for m in sms] == ["80% of your data used"]
            await eventually(
                lambda: _status_when(c, lambda s: s["uplink_iccid"] == "8988247000000000021")
            )
        kinds = [e.kind for e in d.bus.recent()]
        assert "modem.uplink" in kinds and "modem.added" in kinds
    finally:
        await d.stop()


async def _status_when(c: httpx.AsyncClient, pred: Any) -> dict[str, Any] | None:
    s: dict[str, Any] = (await c.get("/api/v1/status")).json()
    return s if pred(s) else None


def test_sim_cli_on_the_demo(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state")
    try:
        sd = ["--state-dir", str(demo.state_dir)]
        out = run_cli("sim", "slots", "--json", *sd)
        assert out.returncode == 0, out.stderr
        slots = json.loads(out.stdout)
        assert slots["active"] == 1 and slots["slots"][1]["eid"]
        human = run_cli("sim", "slots", *sd)
        assert human.returncode == 0 and "SIM slots" in human.stdout and "euicc" in human.stdout

        out = run_cli("sim", "switch", "2", "--json", *sd)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["active"] == 2
        out = run_cli("sim", "switch", "9", "--json", *sd)
        assert out.returncode == 1 and "no SIM slot 9" in json.loads(out.stdout)["error"]

        out = run_cli("sim", "unlock", "--pin", "1234", "--json", *sd)
        assert out.returncode == 0 and json.loads(out.stdout)["unlocked"] is True

        out = run_cli("sim", "sms", "--json", *sd)
        assert out.returncode == 0 and json.loads(out.stdout)["messages"][0]["text"]
        human = run_cli("sim", "sms", *sd)
        assert "Welcome" in human.stdout

        status = json.loads(run_cli("status", "--json", *sd).stdout)
        assert status["modem"]["slots"][1]["active"] is True
    finally:
        demo.stop(signal.SIGINT)


async def test_configured_pin_unlocks_once_per_sim(tmp_path: Path) -> None:
    d = await started(
        {
            "daemon": {"state_dir": str(tmp_path)},
            "simulator": {"seed": 7},
            "modem": {"pin": "2468"},
        }
    )
    try:
        modem = d.backends.modem
        assert isinstance(modem, SimulatedModem)
        modem.lock_sim(pin="2468", retries=3)
        await eventually(lambda: any(e.kind == "sim.unlocked" for e in d.bus.recent()))
        assert not modem.pin_required
        # A PIN change behind our back: the configured PIN is tried once, never again.
        modem.lock_sim(pin="9999", retries=3)
        await eventually(lambda: any(e.kind == "sim.unlock-refused" for e in d.bus.recent()))
        await asyncio.sleep(5)  # the component looks every 2 s: it must not try again
        assert modem.pin_required and modem.pin_retries == 2
    finally:
        await d.stop()
