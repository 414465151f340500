"""Pure pieces of the modem and battery adapters: D-Bus property parsing, PIN policy, sysfs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simspot import config
from simspot.errors import ConfigError
from simspot.modem.defs import (
    BearerProps,
    MM3gppRegistration,
    MMAccessTech,
    ModemProps,
    access_tech_name,
    lock_name,
    mcc_of,
    registration_of,
)
from simspot.modem.errors import PinSafetyError
from simspot.modem.mm import apn_for, bearer_info
from simspot.modem.pin import PinPolicy, check_pin_attempt
from simspot.modem.sysfs import SupplyReading, battery_from_supplies, read_battery


@pytest.mark.parametrize(
    ("reg", "home", "current", "expected"),
    [
        (MM3gppRegistration.HOME, "234", "234", "home"),
        (MM3gppRegistration.HOME, "234", "208", "roaming"),  # MVNO says home, country differs
        (MM3gppRegistration.HOME, None, "208", "home"),
        (MM3gppRegistration.ROAMING, "234", "234", "roaming"),  # national roaming
        (MM3gppRegistration.ROAMING_SMS_ONLY, "234", "234", "roaming"),
        (MM3gppRegistration.SEARCHING, "234", None, "searching"),
        (MM3gppRegistration.DENIED, "234", None, "denied"),
        (MM3gppRegistration.IDLE, "234", None, "idle"),
        (MM3gppRegistration.EMERGENCY_ONLY, "234", None, "unknown"),
        (99, "234", "234", "unknown"),
    ],
)
def test_registration(reg: int, home: str | None, current: str | None, expected: str) -> None:
    assert registration_of(reg, home, current) == expected


def test_access_tech_lock_and_mcc_names() -> None:
    assert access_tech_name(MMAccessTech.LTE | MMAccessTech.UMTS) == "lte"
    assert access_tech_name(MMAccessTech.NR5G | MMAccessTech.LTE) == "5gnr"
    assert access_tech_name(MMAccessTech.HSPA_PLUS) == "hspa+"
    assert access_tech_name(0) is None
    assert (lock_name(1), lock_name(2), lock_name(4), lock_name(77)) == (
        "none",
        "sim-pin",
        "sim-puk",
        "unknown",
    )
    assert (mcc_of("234150000000017"), mcc_of("20801"), mcc_of("12"), mcc_of(None)) == (
        "234",
        "208",
        None,
        None,
    )


def test_modem_props_tolerate_missing_and_odd_values() -> None:
    m = ModemProps.parse({})
    assert m.sim is None and m.sim_slots == () and m.signal_quality is None
    m = ModemProps.parse({"Sim": "/", "SignalQuality": [55, True], "UnlockRetries": {2: 3}})
    assert m.sim is None and m.signal_quality == 55 and m.unlock_retries == {2: 3}


def test_bearer_without_interface_is_not_a_data_path() -> None:
    assert bearer_info(BearerProps.parse({"Connected": True})) is None
    info = bearer_info(
        BearerProps.parse(
            {
                "Interface": "wwan0",
                "Ip6Config": {"address": "2001:db8:1:2:3::9", "prefix": 64},
                "Stats": {"rx-bytes": 10, "tx-bytes": 5},
            }
        ),
        "internet",
    )
    assert info is not None and info.ipv6_prefix == "2001:db8:1:2::/64"
    assert (info.apn, info.rx_bytes, info.tx_bytes, info.ipv4_address) == ("internet", 10, 5, None)


def test_apn_per_identity_from_config() -> None:
    conf = config.validate(
        {"modem": {"apn": {"8944": {"apn": "three.co.uk"}}, "default_apn": {"apn": "web"}}}
    )
    m = conf.modem
    assert apn_for("8944", m.apn, m.default_apn).apn == "three.co.uk"
    assert apn_for("8988", m.apn, m.default_apn).apn == "web"
    assert apn_for(None, m.apn, m.default_apn).apn == "web"
    with pytest.raises(ConfigError, match="stop_percent"):
        config.validate({"battery": {"warn_percent": 5, "stop_percent": 10}})
    with pytest.raises(ConfigError, match=r"modem\.pin"):
        config.validate({"modem": {"pin": "12ab"}})


@given(st.one_of(st.none(), st.integers(min_value=0, max_value=10)), st.integers(1, 3))
def test_pin_attempt_never_spends_the_kept_attempts(retries: int | None, keep: int) -> None:
    policy = PinPolicy(keep=keep)
    if retries is not None and retries > keep:
        check_pin_attempt(retries, policy)
    else:
        with pytest.raises(PinSafetyError):
            check_pin_attempt(retries, policy)
    check_pin_attempt(None, PinPolicy(allow_unknown=True))


def supply(**kw: object) -> SupplyReading:
    return SupplyReading(**{"name": "BAT0", "kind": "Battery", **kw})  # type: ignore[arg-type]


def test_sysfs_combines_batteries_and_external_power() -> None:
    assert battery_from_supplies([]) is None
    assert battery_from_supplies([supply(scope="Device", capacity=50)]) is None  # a mouse
    two = [
        supply(capacity=80, energy_full=60_000_000, status="Discharging"),
        supply(name="BAT1", capacity=20, energy_full=20_000_000, status="Discharging"),
    ]
    st_ = battery_from_supplies(two)
    assert st_ is not None and st_.percent == 65.0 and not st_.charging
    ac = SupplyReading(name="AC", kind="Mains", online=True)
    st_ = battery_from_supplies([*two, ac])
    assert st_ is not None and st_.charging and st_.time_to_empty_s is None
    st_ = battery_from_supplies([supply(charge_now=1_000_000, charge_full=4_000_000,
                                        current_now=500_000, status="Discharging")])  # fmt: skip
    assert st_ is not None and st_.percent == 25.0 and st_.time_to_empty_s == 7200


def test_sysfs_reads_a_tree(tmp_path: Path) -> None:
    bat, ac = tmp_path / "BAT0", tmp_path / "AC"
    bat.mkdir()
    ac.mkdir()
    for name, value in {"type": "Battery", "capacity": "9", "status": "Not charging"}.items():
        (bat / name).write_text(value + "\n")
    (ac / "type").write_text("Mains\n")
    (ac / "online").write_text("0\n")
    st_ = read_battery(tmp_path)
    assert st_ is not None and st_.percent == 9.0 and not st_.charging and st_.source == "sysfs"
    (ac / "online").write_text("1\n")
    st_ = read_battery(tmp_path)
    assert st_ is not None and st_.charging
    assert read_battery(tmp_path / "missing") is None
