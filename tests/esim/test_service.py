"""The eSIM service over a modem's AT port (the AT emulator on a pty): switch, notify, refresh."""

from __future__ import annotations

from simspot.esim.activation import parse
from simspot.esim.cards import from_settings
from simspot.esim.service import EsimService
from simspot.esim.settings import EsimSettings
from simspot.simulator.atmodem import AtModem
from simspot.simulator.profiles import sample_profile

from .conftest import Rig


async def test_switch_on_a_modem_card_refreshes_the_modem(rig: Rig) -> None:
    rig.smdp.add_profile("AT-1", sample_profile(12_000))
    iccid = (await rig.lpa().download(parse(rig.smdp.activation_code("AT-1")))).iccid or ""
    with AtModem(rig.card) as modem:
        settings = EsimSettings(transport="at", at_port=modem.path, extra_ca_files=[rig.ci_file])
        service = EsimService(settings, rig.tmp / "state", from_settings(settings))
        await service.start()
        try:
            enabled = await service.enable(iccid)
            assert enabled["state"] == "enabled"
            assert [n["operation"] for n in enabled["notifications"]] == ["enable"]
            assert enabled["modem_refresh"]["method"] in ("at-cfun", "modemmanager-reset")
            assert rig.card.enabled_iccid() == iccid
            listed = await service.profiles()
            assert [(p["iccid"], p["state"]) for p in listed["profiles"]] == [(iccid, "enabled")]
            disabled = await service.disable(iccid)
            assert disabled["state"] == "disabled" and disabled["modem_refresh"] is not None
        finally:
            await service.close()
        if enabled["modem_refresh"]["method"] == "at-cfun":
            assert modem.log.cfun  # the modem was told to re-read the card
    assert [n.kind for n in rig.smdp.notifications] == ["install", "enable", "disable"]
