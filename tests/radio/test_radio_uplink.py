"""A Wi-Fi uplink over real 802.11 (mac80211_hwsim in the radio VM): the wpa_supplicant
configuration simspot renders for a Wi-Fi uplink (``simspot.uplink.wifi.render_config``: SSID
as hex, the passphrase as its PSK, the network disabled) joins a hostapd AP simspot also
renders, once it is selected over the control socket as simspot's ``WpaSupplicantLink.join``
does (``SELECT_NETWORK``). The SSID has quotes, a backslash and non-ASCII text."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from simspot.hotspot.contract import ApConfig
from simspot.uplink.wifi import decode_ssid, network, render_config
from tests.radio.harness import Scenario, VmResult
from tests.radio.wifi import add_ap

pytestmark = [pytest.mark.slow]

SSID = 'Hotel "Grand" 酒店 \\ 5'
PASSPHRASE = "hotel guest 2026"
AP = ApConfig(interface="wlan0", ssid=SSID, passphrase=PASSPHRASE, security="wpa2", channel=6)
CTRL = "/run/wpa-uplink"


def radio_scenario() -> Scenario:
    sc = Scenario(radios=2)
    add_ap(sc, "hotel", AP, addr="10.7.0.1/24")
    sc.wait_aps("hotel")
    conf = sc.file("uplink.conf", render_config([network("hotel", SSID, PASSPHRASE)], CTRL))
    sc.join("uplink", "wlan1", conf, addr="10.7.0.2/24", wait=False)
    sc.sh("sleep 2")
    cli = ("wpa_cli", "-p", CTRL, "-i", "wlan1")
    sc.step("before", *cli, "status", ns="wlan1")
    sc.step("select", *cli, "select_network", "0", ns="wlan1")
    sc.wait("uplink", timeout_s=120)
    sc.step("after", *cli, "status", ns="wlan1")
    sc.step("ping_ap", "ping", "-c", "2", "-W", "2", "10.7.0.1", ns="wlan1")
    return sc


@pytest.fixture(scope="module")
def vm(radio_vms: dict[str, Future[VmResult]]) -> VmResult:
    return radio_vms[__name__].result()


def test_the_rendered_network_waits_until_selected(vm: VmResult) -> None:
    before = vm.output("before")
    assert "wpa_state=COMPLETED" not in before, vm.describe()
    assert vm.output("select").strip() == "OK", vm.describe()


def test_the_rendered_uplink_config_joins_the_ap_when_selected(vm: VmResult) -> None:
    joined = vm.join("uplink")
    assert joined.connected, vm.describe()
    assert "id_str=simspot-hotel" in joined.log
    after = dict(
        line.split("=", 1) for line in vm.output("after").splitlines() if "=" in line
    )  # wpa_cli status through the control socket in the rendered config's ctrl_dir
    assert after.get("wpa_state") == "COMPLETED" and after.get("id_str") == "simspot-hotel"
    assert decode_ssid(after.get("ssid", "")) == SSID.encode()
    assert after.get("key_mgmt", "").startswith("WPA2-PSK"), after
    assert vm.step("ping_ap").get("rc") == "0", vm.describe()
