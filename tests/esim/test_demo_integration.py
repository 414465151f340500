"""The simulated modem and the virtual eUICC agree, as a real modem and its eUICC do.

A daemon on the simulators (in process, API through ASGI): the empty card gets its operator
profile through the real download flow at start, slot 2 shows the card's enabled profile and
EID, and profile operations on the card change what the modem reads (and the uplink).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.simulator.modem import EUICC_PROFILE, PHYSICAL_SIM
from simspot.simulator.profile import VirtualCard
from simspot.simulator.profiles import luhn_digit
from tests.helpers import api_client, until


def make_daemon(state: Path, mode: Literal["demo", "live"]) -> Daemon:
    conf = config.validate(
        {
            "daemon": {"state_dir": str(state), "restart_backoff_s": 0.2},
            "simulator": {"seed": 3, "clients": 2, "speed": 300, "tick_s": 0.05},
            "esim": {"virtual_smdp_port": 0},
        }
    )
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    return d


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Daemon]:
    d = make_daemon(tmp_path, "demo")
    await d.start()
    # The demo's seeding (a real download onto the card) runs as a component, not in start().
    d.seeded_at_start = any(e.kind == "demo.seeded" for e in d.bus.recent())  # type: ignore[attr-defined]
    try:
        yield d
    finally:
        await d.stop()


def api(d: Daemon) -> httpx.AsyncClient:
    return api_client(d, timeout=60)


async def seeded(d: Daemon) -> None:
    """The demo's first state is made (by the demo-seed component, after the card opened)."""
    await until(lambda: any(e.kind == "demo.seeded" for e in d.bus.recent()), 30, "demo seeding")


def uplinks(d: Daemon) -> list[str | None]:
    return [e.data["iccid"] for e in d.bus.recent() if e.kind == "modem.uplink"]


async def slot2(c: httpx.AsyncClient) -> dict[str, Any]:
    """Slot 2 as the modem reports it now (the status snapshot is polled every 2 s)."""
    slots = (await c.get("/api/v1/sim/slots")).json()["slots"]
    slot: dict[str, Any] = next(s for s in slots if s["index"] == 2)
    return slot


async def test_new_demo_shows_two_sims_backed_by_the_card(demo: Daemon) -> None:
    d = demo
    assert d.seeded_at_start is False  # type: ignore[attr-defined]
    async with api(d) as c:
        await until(lambda: d.live.modem is not None, 10, "first modem status")
        await until(lambda: any(e.kind == "esim.ready" for e in d.bus.recent()), 20, "eSIM")
        await seeded(d)
        info = (await c.get("/api/v1/esim/info")).json()
        profiles = (await c.get("/api/v1/esim/profiles")).json()["profiles"]
        assert [(p["iccid"], p["state"], p["provider"]) for p in profiles] == [
            (EUICC_PROFILE[0], "enabled", "China Unicom")
        ]
        iccid = EUICC_PROFILE[0]
        assert luhn_digit(iccid[:-1]) == iccid[-1]
        slot = await slot2(c)
        assert slot["kind"] == "euicc" and slot["eid"] == info["eid"]
        assert (slot["iccid"], slot["imsi"], slot["operator_name"], slot["operator_code"]) == (
            EUICC_PROFILE
        )
        plans = (await c.get("/api/v1/plans")).json()
        plans = plans["plans"] if isinstance(plans, dict) else plans
        assert {p["plan"]["iccid"] for p in plans} == {PHYSICAL_SIM[0], iccid}
        # The installation went through the card: it counted the APDUs of a real download.
        card = d.backends.card
        assert isinstance(card, VirtualCard) and card.euicc is not None
        assert card.euicc.apdu_count > 50


async def test_profile_operations_change_what_the_modem_reads(demo: Daemon) -> None:
    d = demo
    async with api(d) as c:
        await until(lambda: d.live.modem is not None, 10, "first modem status")
        await until(lambda: any(e.kind == "esim.ready" for e in d.bus.recent()), 20, "eSIM")
        await seeded(d)
        r = await c.post("/api/v1/sim/switch", json={"slot": 2})
        assert r.status_code == 200, r.text
        await until(lambda: d.uplink_iccid() == EUICC_PROFILE[0], 20, "uplink on the eSIM")
        assert uplinks(d)[-1] == EUICC_PROFILE[0]

        r = await c.post(f"/api/v1/esim/profiles/{EUICC_PROFILE[0]}/disable")
        assert r.status_code == 200, r.text
        slot = await slot2(c)
        assert slot["iccid"] is None and slot["imsi"] is None and slot["eid"]
        await until(lambda: uplinks(d)[-1] is None, 20, "modem.uplink without ICCID")
        assert d.uplink_iccid() is None
        # No enabled profile on the active slot: no network.
        status = (await c.get("/api/v1/status")).json()
        assert status["modem"]["state"] == "searching"

        # A second profile from the local test SM-DP+, enabled: the uplink follows.
        code = (await c.get("/api/v1/esim/info")).json()["test_smdp"]["activation_codes"][0]
        new = (await c.post("/api/v1/esim/download", json={"activation_code": code})).json()
        assert new["iccid"] not in (None, EUICC_PROFILE[0])
        # Installed but not enabled: plans may already be added for it.
        r = await c.post(
            "/api/v1/plans",
            json={"iccid": new["iccid"], "name": "Test", "cycle": {"kind": "monthly", "day": 1}},
        )
        assert r.status_code == 201, r.text
        r = await c.post(f"/api/v1/esim/profiles/{new['iccid']}/enable")
        assert r.status_code == 200, r.text
        slot = await slot2(c)
        # A provider the simulator does not know: the ITU test network, IMSI from the ICCID.
        assert slot["iccid"] == new["iccid"] and slot["operator_code"] == "00101"
        assert slot["imsi"] == "00101" + new["iccid"][-11:-1]
        await until(lambda: d.uplink_iccid() == new["iccid"], 20, "uplink on the new profile")
        assert uplinks(d)[-1] == new["iccid"]

        r = await c.post(f"/api/v1/esim/profiles/{new['iccid']}/delete")
        assert r.status_code == 409 or r.status_code == 200, r.text
        if r.status_code == 409:  # an enabled profile must be disabled before deletion
            await c.post(f"/api/v1/esim/profiles/{new['iccid']}/disable")
            r = await c.post(f"/api/v1/esim/profiles/{new['iccid']}/delete")
            assert r.status_code == 200, r.text
        assert (await slot2(c))["iccid"] is None
        await until(lambda: uplinks(d)[-1] is None, 20, "modem.uplink after the delete")


async def test_restart_keeps_the_card_and_installs_nothing_more(tmp_path: Path) -> None:
    first = make_daemon(tmp_path, "demo")
    await first.start()
    try:
        await seeded(first)
    finally:
        await first.stop()
    again = make_daemon(tmp_path, "demo")
    await again.start()
    try:
        async with api(again) as c:
            await seeded(again)
            assert (await slot2(c))["iccid"] == EUICC_PROFILE[0]
            await until(
                lambda: (
                    again.bus.recent() and any(e.kind == "esim.ready" for e in again.bus.recent())
                ),
                20,
                "the eSIM service",
            )
            profiles = (await c.get("/api/v1/esim/profiles")).json()["profiles"]
            assert [p["iccid"] for p in profiles] == [EUICC_PROFILE[0]]
    finally:
        await again.stop()


async def test_the_virtual_card_takes_a_foreign_identity_from_files(tmp_path: Path) -> None:
    """`[esim] virtual_identity`: CI, EUM and eUICC certificates and the eUICC key, nothing else."""
    from simspot.simulator.pki import TestPki

    foreign = TestPki.generate()
    identity = tmp_path / "identity"
    foreign.write(identity)
    for name in ("ci.key", "eum.key", "dpauth.pem", "dpauth.key", "dppb.pem", "dppb.key"):
        (identity / name).unlink()  # a card needs no other private key
    conf = config.validate(
        {
            "daemon": {"state_dir": str(tmp_path / "state")},
            "simulator": {"clients": 0, "demo_data": False},
            "esim": {"virtual_smdp_port": 0, "virtual_identity": str(identity)},
        }
    )
    (tmp_path / "state").mkdir(mode=0o700)
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    await d.start()
    try:
        async with api(d) as c:
            await until(lambda: any(e.kind == "esim.ready" for e in d.bus.recent()), 30, "eSIM")
            info = (await c.get("/api/v1/esim/info")).json()
            assert info["eid"] == foreign.euicc_credentials().eid
    finally:
        await d.stop()

    broken = config.validate(
        {
            "daemon": {"state_dir": str(tmp_path / "state2"), "restart_backoff_s": 60},
            "simulator": {"clients": 0, "demo_data": False},
            "esim": {"virtual_smdp_port": 0, "virtual_identity": str(tmp_path / "nowhere")},
        }
    )
    (tmp_path / "state2").mkdir(mode=0o700)
    d = Daemon(broken, build_backends(broken, simulate=True))
    d.auth.setup()
    await d.start()
    try:
        failed = await until(
            lambda: next((e for e in d.bus.recent() if e.kind == "component.failed"), None),
            30,
            "the eSIM component's failure",
        )
        assert failed.data["component"] == "esim"
        assert "esim.virtual_identity" in failed.data["error"]
        assert "does not exist" in failed.data["error"]
    finally:
        await d.stop()


async def test_retry_names_only_a_kept_package_and_never_fails_with_500(demo: Daemon) -> None:
    async with api(demo) as c:
        await until(lambda: any(e.kind == "esim.ready" for e in demo.bus.recent()), 30, "eSIM")
        for name, status, says in [
            ("\x00", 422, "no NUL character"),  # once a 500 (schemathesis found it)
            ("../euicc.json", 422, "only packages kept in"),
            ("/etc/passwd", 422, "only packages kept in"),
            ("nothing-kept", 409, "cannot read the kept package"),
        ]:
            r = await c.post("/api/v1/esim/retry", json={"package": name})
            assert r.status_code == status and says in r.json()["detail"], (name, r.text)
