"""The uplink capability in the real daemon on the simulator: candidates from the modem's slots,
a pin through the API switching slots (a cold switch), the decision log, bad input, bad config."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.errors import ConfigError
from simspot.services import UPLINK_CHOICE
from simspot.simulator.modem import EUICC_PROFILE, PHYSICAL_SIM
from tests.helpers import api_client, until

SIM1, ESIM = PHYSICAL_SIM[0], EUICC_PROFILE[0]


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    conf = config.validate(
        {
            "daemon": {"state_dir": str(tmp_path)},
            "simulator": {"seed": 7, "speed": 50, "clients": 1},
            # ties stay on the current uplink: only the pin moves it in this test
            "uplink": {"rules": ["healthy"], "cold_switch_timeout_s": 60},
        }
    )
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    await d.start()
    try:
        yield d
    finally:
        await d.stop()


async def test_candidates_pin_and_a_cold_slot_switch(daemon: Daemon) -> None:
    choice = daemon.service(UPLINK_CHOICE)
    async with api_client(daemon) as c:

        async def candidates() -> dict[str, Any]:
            r = await c.get("/api/v1/uplink")
            assert r.status_code == 200
            return {x["id"]: x for x in r.json()["candidates"]}

        # the demo seeds the eSIM profile into slot 2: both SIMs become candidates
        found: dict[str, Any] = {}

        async def both() -> bool:
            found.update(await candidates())
            # first from the card's profile list, then from the modem's slot (its network)
            return SIM1 in found and found[SIM1]["hot"] and found.get(ESIM, {}).get("home_mcc")

        deadline = asyncio.get_running_loop().time() + 90
        while not await both():
            assert asyncio.get_running_loop().time() < deadline, found
            await asyncio.sleep(0.2)
        assert found[SIM1]["kind"] == "sim" and found[SIM1]["slot"] == 1
        assert found[ESIM]["cold_via"] == "slot" and found[ESIM]["home_mcc"] == "460"
        assert choice.deciding and daemon.uplink_id() == SIM1

        r = await c.post("/api/v1/uplink/use", json={"id": "89000000000000000000"})
        assert r.status_code == 422 and r.json()["field"] == "id"

        r = await c.post("/api/v1/uplink/use", json={"id": ESIM})
        assert r.status_code == 200 and r.json()["pin"] == ESIM

        await until(lambda: daemon.uplink_id() == ESIM, 90, "the eSIM as the uplink")
        await until(  # the slot is active before the switch is verified and announced
            lambda: any(e.kind == "uplink.switched" and e.data["to"] == ESIM
                        for e in daemon.bus.recent()), 90, "the verified switch",
        )  # fmt: skip
        modem = await daemon.backends.modem.status()
        assert modem is not None and modem.active_slot() is not None
        assert modem.active_slot().index == 2  # type: ignore[union-attr]
        kinds = [e.kind for e in daemon.bus.recent()]
        assert "uplink.pinned" in kinds and "uplink.switched" in kinds
        switched = [e for e in daemon.bus.recent() if e.kind == "uplink.switched"][-1]
        assert switched.data["how"] == "slot" and switched.data["to"] == ESIM

        st = (await c.get("/api/v1/uplink")).json()
        assert st["mode"] == "pinned" and st["decision"]["rule"] == "pin"
        assert "pinned" in st["decision"]["reason"]["en"]
        hist = (await c.get("/api/v1/uplink/history")).json()["decisions"]
        assert any(h["chosen"] == ESIM and h["switch"] and h["outcome"] for h in hist)

        r = await c.post("/api/v1/uplink/auto")
        assert r.status_code == 200 and r.json()["pin"] is None
        await until(lambda: choice.deciding and daemon.service(UPLINK_CHOICE), 5)
        await asyncio.sleep(2)  # a tie by the rules stays where it is
        assert daemon.uplink_id() == ESIM
        pol = (await c.get("/api/v1/uplink/policy")).json()
        assert pol["rules"] == ["healthy"]
        # what the policy always does, by id too (issue 16), the English as it was
        assert [m["id"] for m in pol["always_said"]] == [
            "uplink.always.pin", "uplink.always.plan", "uplink.always.esim"
        ]  # fmt: skip
        assert [m["text"] for m in pol["always_said"]] == pol["always"]
        assert pol["always"][0] == "a pin wins while the pinned uplink is present"


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"rules": ["healthy", "cheap"]}, "uplink.rules"),
        ({"rules": ["healthy", "healthy"]}, "uplink.rules"),
        ({"fail_after": 0}, "uplink.fail_after"),
        ({"preferred": ["eth0"]}, "uplink.preferred"),
        ({"wired": [{"interface": "a/b"}]}, "uplink.wired.0.interface"),
        ({"probes": {"http_url": "https://x.example/"}}, "uplink.probes.http_url"),
        ({"probes": {"tcp_target": "x.example"}}, "uplink.probes.tcp_target"),
        ({"candidates": {"89860110000000000214": {"home_mcc": "46"}}}, "uplink.candidates"),
        ({"bogus": 1}, "uplink.bogus"),
    ],
)
def test_bad_policy_config_is_refused_naming_the_key(section: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        config.validate({"uplink": section})
    assert key in str(err.value)


async def test_a_cold_esim_profile_switch_through_the_card_service(daemon: Daemon) -> None:
    """A second profile downloaded from the test SM-DP+; pinning it enables it on the virtual
    eUICC (CARD_SERVICE), makes the eUICC slot active and connects."""
    from simspot.esim.cards import ServesTestProfiles
    from simspot.services import CARD_SERVICE

    card = daemon.backends.card
    assert isinstance(card, ServesTestProfiles)
    service = daemon.service(CARD_SERVICE)
    await asyncio.wait_for(service.wait_ready(), 60)
    await until(lambda: card.test_smdp() is not None, 60, "the test SM-DP+")
    smdp = card.test_smdp()
    assert smdp is not None
    before = {p["iccid"] for p in (await service.profiles())["profiles"]}
    await until(lambda: not service.busy, 60, "the card free")
    await service.download(smdp[1][0])
    after = {p["iccid"] for p in (await service.profiles())["profiles"]}
    (new,) = after - before
    choice = daemon.service(UPLINK_CHOICE)
    async with api_client(daemon) as c:

        async def listed() -> dict[str, Any] | None:
            r = await c.get("/api/v1/uplink/candidates")
            return next((x for x in r.json()["candidates"] if x["id"] == new), None)

        deadline = asyncio.get_running_loop().time() + 90
        while (found := await listed()) is None or found["cold_via"] != "profile":
            assert asyncio.get_running_loop().time() < deadline, found
            await asyncio.sleep(0.2)
        r = await c.post("/api/v1/uplink/use", json={"id": new})
        assert r.status_code == 200, r.text
        await until(lambda: daemon.uplink_id() == new, 120, "the new profile as the uplink")

        def switched_to_new() -> Any:  # the slot is active before the switch is verified
            return [e for e in daemon.bus.recent() if e.kind == "uplink.switched"
                    and e.data["to"] == new]  # fmt: skip

        await until(switched_to_new, 120, "the verified switch")
    assert choice.deciding
    switched = switched_to_new()[-1]
    assert switched.data["how"] == "profile" and switched.data["to"] == new
    assert "esim.profile.enabled" in [e.kind for e in daemon.bus.recent()]
