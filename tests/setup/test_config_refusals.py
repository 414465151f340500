"""Combinations that cannot work are refused when the config loads, each naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from simspot import config
from simspot.errors import ConfigError

REFUSED = [
    ({"hotspot": {"backend": "networkmanager"}}, "security"),  # no WPA2/WPA3 transition in NM
    ({"esim": {"transport": "at"}}, "at_port"),
    ({"hotspot": {"band": "5"}}, "country"),
    ({"hotspot": {"security": "open", "passphrase": "correct horse battery"}}, "passphrase"),
    ({"hotspot": {"backend": "hostapd", "nm_address": "192.168.44.1/24"}}, "nm_address"),
    ({"hotspot": {"mac_allow": ["02:00:00:00:00:01"], "mac_deny": ["02:00:00:00:00:01"]}},
     "mac_deny"),
    ({"dataplane": {"lan_interface": "wlan0", "uplink_interface": "wlan0"}},
     "dataplane.uplink_interface"),
    ({"dataplane": {"backend": "nft", "lan_interface": "eth1"},
      "hotspot": {"backend": "hostapd", "interface": "wlan0"}}, "dataplane.lan_interface"),
    ({"modem": {"backend": "none"}, "dataplane": {"backend": "nft"}},
     "dataplane.uplink_interface"),
    ({"daemon": {"restart_backoff_s": 30, "restart_backoff_max_s": 10}},
     "daemon.restart_backoff_s"),
    ({"battery": {"warn_percent": 10, "stop_percent": 20}}, "stop_percent"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "key"), REFUSED, ids=[k for _, k in REFUSED])
def test_refused_naming_the_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        config.validate(data)
    assert key in str(err.value)
    assert "correct horse" not in str(err.value)  # a refused secret is never repeated


ACCEPTED = [
    {"hotspot": {"backend": "networkmanager", "security": "wpa2"}},
    {"esim": {"transport": "at", "at_port": "/dev/ttyUSB2"}},
    {"hotspot": {"band": "5", "country": "DE"}},
    {"hotspot": {"security": "open"}},
    {"dataplane": {"backend": "nft", "lan_interface": "wlan0"},
     "hotspot": {"backend": "hostapd", "interface": "wlan0"}},
    {"modem": {"backend": "none"}, "dataplane": {"backend": "nft", "uplink_interface": "eth0"}},
    {"dataplane": {"backend": "nft"}},  # unset modem: the daemon decides (none live)
]  # fmt: skip


@pytest.mark.parametrize("data", ACCEPTED)
def test_possible_combinations_load(data: dict[str, Any]) -> None:
    config.validate(data)
