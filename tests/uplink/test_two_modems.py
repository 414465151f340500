"""ModemManager with two modems (python-dbusmock on a private bus): the backend drives both
(``other_modems``), and every SIM slot of both modems is an uplink candidate with its identity
(ICCID, the modem it is on, its slot, operator), the second modem's connectable on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dbus_fast import Variant

from simspot.config import ApnConfig
from simspot.contracts import HasOtherModems
from simspot.modem.mm import ModemManagerBackend
from simspot.uplink.candidates import gather
from simspot.uplink.settings import UplinkSettings
from tests.dbus.conftest import MM_MAIN, MM_NAME, MockService, eventually
from tests.dbusbus import private_bus

TEMPLATE = str(Path(__file__).with_name("mm_two_template.py"))


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[str, MockService]]:
    with private_bus("simspot-mm2") as (address, _tmp):
        mock = MockService(address, TEMPLATE, MM_NAME, MM_MAIN, tmp_path / "mm.log")
        await mock.start()
        try:
            await mock.call("AddDualSimModem", "a{sv}", [{}])
            await mock.call(
                "AddSecondModem", "a{sv}", [{"iccid": Variant("s", "8934071100000000051")}]
            )
            yield address, mock
        finally:
            await mock.close()


async def test_both_modems_slots_are_candidates_with_their_identities(
    two: tuple[str, MockService],
) -> None:
    address, _ = two
    backend = ModemManagerBackend(bus_address=address, refresh_interval_s=0.5)
    await backend.start()
    try:
        assert isinstance(backend, HasOtherModems)
        (second,) = await eventually(lambda: backend.other_modems(), what="the second modem")
        first_st = await eventually(backend.status, what="the first modem's status")
        second_st = await eventually(second.status, what="the second modem's status")
        assert first_st.id == "0123456789abcdef" and second_st.id == "fedcba9876543210"
        assert second_st.model == "EM7455" and second_st.registration == "home"

        cands = gather(UplinkSettings(), modem=first_st, other_modems=[second_st])
        by_id = {c.id: c for c in cands}
        assert set(by_id) == {"8944200000000000017", "8988247000000000021", "8934071100000000051"}
        sim1, esim, other = (by_id[i] for i in ("8944200000000000017", "8988247000000000021",
                                                "8934071100000000051"))  # fmt: skip
        assert (sim1.modem, sim1.slot, sim1.kind) == ("0123456789abcdef", 1, "sim")
        assert (esim.modem, esim.slot, esim.kind) == ("0123456789abcdef", 2, "esim")
        assert sim1.registered and not esim.registered and esim.cold_via == "slot"
        assert (other.modem, other.slot, other.kind) == ("fedcba9876543210", 1, "sim")
        assert other.registered and other.home_mcc == "262" and other.signal_percent == 55
        assert "modem 2" in other.label and "Telekom.de" in other.label

        # the second modem connects on its own: its bearer, its interface, its candidate hot
        bearer = await second.connect(ApnConfig(apn="internet.telekom"))
        assert bearer.interface == "wwan1"
        hot = await eventually(
            lambda: (s := second._snapshot) is not None and s.bearer is not None and s,
            what="the second modem's bearer",
        )
        cands = gather(UplinkSettings(), modem=first_st, other_modems=[hot])
        other = next(c for c in cands if c.id == "8934071100000000051")
        assert other.hot and other.interface == "wwan1"
    finally:
        await backend.stop()
