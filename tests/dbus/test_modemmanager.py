"""The ModemManager backend against python-dbusmock's ModemManager on a private dbus-daemon."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dbus_fast import Variant

from simspot.config import ApnConfig
from simspot.model import ModemStatus
from simspot.modem.errors import ModemError, ModemUnavailable, PinRejected, PinSafetyError
from simspot.modem.mm import ModemManagerBackend
from tests.dbus.conftest import MockService, eventually

PHYSICAL_ICCID = "8944200000000000017"
EUICC_ICCID = "8988247000000000021"
EID = "89049032000000000000000000000042"


async def add_modem(mock: MockService, **options: Any) -> str:
    types = {
        "primary": "u",
        "locked": "b",
        "pin": "s",
        "retries": "u",
        "registration": "u",
        "empty_slot": "u",
    }
    body = {k: Variant(types.get(k, "s"), v) for k, v in options.items()}
    path: str = await mock.call("AddDualSimModem", "a{sv}", [body])
    return path


@pytest.fixture
async def backend(dbus_address: str) -> AsyncIterator[ModemManagerBackend]:
    # A long safety-net interval: every change in these tests must arrive through signals.
    b = ModemManagerBackend(
        bus_address=dbus_address,
        refresh_interval_s=300,
        switch_timeout_s=20,
        apns={PHYSICAL_ICCID: ApnConfig(apn="three.co.uk", ip_type="ipv4")},
    )
    events: list[tuple[str, dict[str, Any]]] = []
    b.listeners.append(lambda kind, data: events.append((kind, data)))
    b.events = events  # type: ignore[attr-defined]
    yield b
    await b.stop()


async def current(backend: ModemManagerBackend) -> ModemStatus:
    st = await eventually(backend.status, what="a modem")
    assert isinstance(st, ModemStatus)
    return st


async def test_status_modem_slots_signal_and_registration(
    mm_mock: MockService, backend: ModemManagerBackend
) -> None:
    await add_modem(mm_mock)
    await backend.start()
    st = await current(backend)
    assert st.id == "0123456789abcdef"
    assert (st.manufacturer, st.model, st.imei) == ("Quectel", "EM12-G", "861234567890123")
    assert st.state == "registered"
    assert st.signal_percent == 70 and st.access_tech == "lte" and st.rsrp_dbm == -95.0
    assert st.registration == "home" and st.operator_code == "23415"
    assert st.home_mcc == "234" and st.current_mcc == "234"
    assert st.unlock_required == "none"
    assert [(s.index, s.kind, s.active, s.iccid) for s in st.slots] == [
        (1, "physical", True, PHYSICAL_ICCID),
        (2, "euicc", False, EUICC_ICCID),
    ]
    assert st.slots[1].eid == EID and st.slots[0].eid is None
    assert st.slots[1].imsi == "460011000000021" and st.slots[1].operator_code == "46001"
    # Detailed signal values were asked for, once per modem object.
    await eventually(lambda: _setup_calls(mm_mock), what="Signal.Setup")
    assert [args for _, args in await mm_mock.calls_of("Setup")] == [[30]]


async def _setup_calls(mock: MockService) -> list[tuple[str, list[Any]]]:
    return await mock.calls_of("Setup")


async def test_modem_hot_added_after_start_and_registration_changes(
    mm_mock: MockService, backend: ModemManagerBackend
) -> None:
    await backend.start()
    assert await backend.status() is None
    await add_modem(mm_mock)
    await current(backend)
    # Home network reported, but the country code differs from the SIM's: that is roaming.
    await mm_mock.call("SetRegistration", "uss", [1, "20801", "Orange F"])
    st = await eventually(
        lambda: _when(backend, lambda s: s.registration == "roaming"), what="roaming"
    )
    assert st.current_mcc == "208" and st.operator_name == "Orange F"
    # Registration lost.
    await mm_mock.call("SetRegistration", "uss", [2, "", ""])
    st = await eventually(lambda: _when(backend, lambda s: s.registration == "searching"))
    assert st.operator_name is None
    await mm_mock.call("SetRegistration", "uss", [5, "26201", "Telekom.de"])
    await eventually(lambda: _when(backend, lambda s: s.registration == "roaming"))
    assert ("modem.added", {"path": "/org/freedesktop/ModemManager1/Modems/1"}) in backend.events  # type: ignore[attr-defined]


async def _when(backend: ModemManagerBackend, pred: Any) -> ModemStatus | None:
    st = await backend.status()
    return st if st is not None and pred(st) else None


async def test_slot_switch_rediscovers_the_new_modem_object(
    mm_mock: MockService, backend: ModemManagerBackend
) -> None:
    first = await add_modem(mm_mock)
    await backend.start()
    await current(backend)
    assert backend.modem_path == first
    await backend.set_primary_slot(2)
    # set_primary_slot returns only once the re-probed modem is known.
    assert backend.modem_path != first
    assert backend.modem_path == await mm_mock.call("CurrentModem")
    st = await current(backend)
    active = st.active_slot()
    assert active is not None and active.index == 2 and active.iccid == EUICC_ICCID
    assert st.home_mcc == "460"
    assert await mm_mock.calls_of("SetPrimarySimSlot") == [(first, [2])]
    # Switching to the active slot is a no-op; slots that do not exist are refused.
    await backend.set_primary_slot(2)
    with pytest.raises(ModemError, match="no SIM slot 3"):
        await backend.set_primary_slot(3)


async def test_empty_slot_is_shown_and_cannot_be_chosen(
    mm_mock: MockService, backend: ModemManagerBackend
) -> None:
    await add_modem(mm_mock, empty_slot=2)
    await backend.start()
    st = await current(backend)
    assert [(s.index, s.present, s.iccid) for s in st.slots] == [
        (1, True, PHYSICAL_ICCID),
        (2, False, None),
    ]
    with pytest.raises(ModemError, match="slot 2 is empty"):
        await backend.set_primary_slot(2)
    assert await mm_mock.calls_of("SetPrimarySimSlot") == []


async def test_sim_swap_changes_the_uplink_identity(
    mm_mock: MockService, backend: ModemManagerBackend
) -> None:
    await add_modem(mm_mock)
    await backend.start()
    await current(backend)
    await mm_mock.call(
        "SwapSim", "ussss", [1, "8931000000000000099", "204080000000099", "20408", "KPN"]
    )
    st = await eventually(
        lambda: _when(backend, lambda s: s.slots[0].iccid == "8931000000000000099"),
        what="the swapped SIM",
    )
    assert st.home_mcc == "204"
    assert st.registration == "roaming"  # still on the UK network, SIM from the Netherlands


async def test_connect_uses_the_apn_of_the_uplink_identity(
    mm_mock: MockService, backend: ModemManagerBackend
) -> None:
    modem = await add_modem(mm_mock)
    await backend.start()
    await current(backend)
    bearer = await backend.connect(ApnConfig(apn="internet"))
    assert bearer.interface == "wwan0" and bearer.apn == "three.co.uk"
    assert (bearer.ipv4_address, bearer.ipv4_prefix, bearer.ipv4_gateway) == (
        "10.64.12.7",
        30,
        "10.64.12.5",
    )
    assert bearer.ipv6_prefix == "2001:db8:44:1::/64"
    assert bearer.dns == ("10.64.0.1", "2001:db8::53")
    ((path, args),) = await mm_mock.calls_of("Connect")
    assert path == modem and args[0]["apn"] == "three.co.uk"
    assert args[0]["ip-type"] == 1  # MM_BEARER_IP_FAMILY_IPV4, from the table

    st = await eventually(lambda: _when(backend, lambda s: s.bearer is not None))
    assert st.state == "connected" and st.bearer == bearer
    # The bearer's own byte counters reach the snapshot (a cross-check for the data plane).
    await mm_mock.call("SetBearerStats", "tt", [123456, 7890])
    st = await eventually(
        lambda: _when(backend, lambda s: s.bearer is not None and s.bearer.rx_bytes == 123456)
    )
    assert st.bearer is not None and st.bearer.tx_bytes == 7890

    await backend.disconnect()
    await eventually(lambda: _when(backend, lambda s: s.bearer is None), what="disconnected")

    # An identity without its own entry connects with the APN it is given.
    await backend.set_primary_slot(2)
    await backend.connect(ApnConfig(apn="3gnet", ip_type="ipv4v6"))
    new_modem = backend.modem_path
    assert new_modem is not None and new_modem != modem
    _, (path, args) = await mm_mock.calls_of("Connect")
    assert path == new_modem and args[0]["apn"] == "3gnet" and args[0]["ip-type"] == 4


async def test_pin_never_spends_the_last_attempt(
    mm_mock: MockService, backend: ModemManagerBackend
) -> None:
    await add_modem(mm_mock, locked=True, pin="4321", retries=3)
    await backend.start()
    st = await current(backend)
    assert st.state == "locked" and st.unlock_required == "sim-pin" and st.unlock_retries == 3
    with pytest.raises(PinRejected) as wrong:
        await backend.unlock_pin("1111")
    assert wrong.value.retries == 2
    with pytest.raises(PinRejected) as wrong:
        await backend.unlock_pin("2222")
    assert wrong.value.retries == 1
    # One attempt left: simspot refuses, even with the right PIN, and the SIM is never asked.
    with pytest.raises(PinSafetyError, match="only 1 PIN attempt left"):
        await backend.unlock_pin("4321")
    sim = "/org/freedesktop/ModemManager1/SIM/1"
    assert [path for path, _ in await mm_mock.calls_of("SendPin")] == [sim, sim]
    st = await eventually(lambda: _when(backend, lambda s: s.unlock_retries == 1))
    assert st.unlock_required == "sim-pin"


async def test_right_pin_unlocks(mm_mock: MockService, backend: ModemManagerBackend) -> None:
    await add_modem(mm_mock, locked=True, pin="4321", retries=2)
    await backend.start()
    await current(backend)
    with pytest.raises(ValueError, match="4 to 8 digits"):
        await backend.unlock_pin("12")
    result = await backend.unlock_pin("4321")
    assert result.unlocked and result.unlock_required == "none"
    st = await eventually(lambda: _when(backend, lambda s: s.state == "registered"))
    assert st.unlock_required == "none"


async def test_modem_unplugged_and_back(mm_mock: MockService, backend: ModemManagerBackend) -> None:
    first = await add_modem(mm_mock)
    await backend.start()
    await current(backend)
    await mm_mock.call("Unplug")
    await eventually(lambda: _none(backend), what="modem gone")
    with pytest.raises(ModemUnavailable):
        await backend.connect(ApnConfig())
    second = await mm_mock.call("Replug")
    await current(backend)
    assert backend.modem_path == second != first
    kinds = [k for k, _ in backend.events]  # type: ignore[attr-defined]
    assert "modem.removed" in kinds and kinds.count("modem.added") >= 1


async def _none(backend: ModemManagerBackend) -> bool:
    return await backend.status() is None


async def test_modemmanager_restart(mm_mock: MockService, backend: ModemManagerBackend) -> None:
    await add_modem(mm_mock)
    await backend.start()
    await current(backend)
    await mm_mock.stop()
    await eventually(lambda: _none(backend), what="ModemManager gone")
    await mm_mock.start()
    await add_modem(mm_mock, primary=2)
    st = await current(backend)
    active = st.active_slot()
    assert active is not None and active.iccid == EUICC_ICCID
    kinds = [k for k, _ in backend.events]  # type: ignore[attr-defined]
    assert "modem.manager-stopped" in kinds and "modem.manager-started" in kinds


async def test_carrier_sms_listed_oldest_first(
    mm_mock: MockService, backend: ModemManagerBackend
) -> None:
    await add_modem(mm_mock)
    await mm_mock.call(
        "AddSms", "sss", ["Simtel", "You have used 80% of your data.", "2026-11-20T10:00:00+00:00"]
    )
    await mm_mock.call("AddSms", "sss", ["Simtel", "Welcome!", "2026-11-01T09:00:00+00:00"])
    await backend.start()
    await current(backend)
    await mm_mock.call("AddSms", "sss", ["Simtel", "Roaming in FR", "2026-11-21T08:00:00+00:00"])
    await eventually(lambda: ("sms.received", {"id": "3"}) in backend.events, what="SMS event")  # type: ignore[attr-defined]
    messages = await backend.messages()
    assert [m.text for m in messages] == [
        "Welcome!",
        "You have used 80% of your data.",
        "Roaming in FR",
    ]
    assert messages[1].number == "Simtel" and messages[1].state == "received"


async def test_no_modemmanager_on_the_bus(dbus_address: str) -> None:
    b = ModemManagerBackend(bus_address=dbus_address, refresh_interval_s=300)
    await b.start()
    try:
        assert await b.status() is None
        with pytest.raises(ModemUnavailable, match="no modem"):
            await b.set_primary_slot(1)
        with pytest.raises(ModemUnavailable):
            await b.messages()
    finally:
        await b.stop()
