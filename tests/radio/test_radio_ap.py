"""The AP over real 802.11 (mac80211_hwsim in a VM): WPA2, WPA3-SAE, transition mode, hidden
SSIDs, wrong passphrases, client isolation and the client limit.

Every AP config is rendered by simspot; every client is configured from the join QR text simspot
makes (parsed back with simspot's parser), as a phone that scanned it would be. Each client radio
lives in its own network namespace with a static address, so a ping between two clients has to
cross the air through the AP, as between two phones. One VM runs all of it; the tests below each
check one part of what it reported.
"""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from simspot.hotspot.contract import ApConfig
from simspot.hotspot.hostapd import parse_station_event
from simspot.hotspot.qr import wifi_text
from tests.radio.harness import Scenario, VmResult, radio_mac
from tests.radio.wifi import Phone, add_ap, add_client, from_qr, supplicant_conf

pytestmark = [pytest.mark.slow]

# Passphrases and SSIDs with every character the QR format escapes, and non-ASCII SSIDs.
WPA2 = ApConfig(
    interface="wlan0", ssid='Café;"2"', passphrase='pa;ss,w:rd\\"#1', security="wpa2", channel=6
)
WPA3 = ApConfig(
    interface="wlan1", ssid="wpa3:only", passphrase="sae pass 3;x", security="wpa3", channel=6
)
MIXED = ApConfig(
    interface="wlan2", ssid="家 mixed", passphrase="mixed,pass:9", security="wpa2-wpa3", channel=6
)
HIDDEN = ApConfig(
    interface="wlan3",
    ssid="hidden net",
    passphrase="hidden-pass-7",
    security="wpa2-wpa3",
    channel=6,
    hidden=True,
)

ISOLATED = ApConfig(
    interface="wlan12",
    ssid="isolated",
    passphrase="isolate-me-1",
    security="wpa2",
    channel=6,
    isolate_clients=True,
    max_clients=2,
)
SHARED = ApConfig(
    interface="wlan16", ssid="shared", passphrase="share-me-22", security="wpa2", channel=6
)


def qr(config: ApConfig, passphrase: str | None = None) -> str:
    return wifi_text(config.ssid, passphrase or config.passphrase, config.security, config.hidden)


def ping(sc: Scenario, name: str, iface: str, target: str) -> None:
    sc.step(name, "ping", "-c", "2", "-W", "2", target, ns=iface)


def radio_scenario() -> Scenario:
    """What this module's VM does (started with the other modules' by conftest's radio_vms)."""
    sc = Scenario(radios=19)
    for name, config in (("wpa2", WPA2), ("wpa3", WPA3), ("mixed", MIXED), ("hidden", HIDDEN)):
        add_ap(sc, name, config)
    add_ap(sc, "isolated", ISOLATED, addr="10.9.0.1/24")
    add_ap(sc, "shared", SHARED, addr="10.8.0.1/24")
    sc.wait_aps("wpa2", "wpa3", "mixed", "hidden", "isolated", "shared")
    # One client at a time: parallel associations overload an emulated CPU and then time out.
    clients: list[tuple[str, str, str, Phone]] = [
        ("wpa2", "wlan4", qr(WPA2), "wpa2"),
        ("wpa3", "wlan5", qr(WPA3), "wpa3"),
        ("mixed_wpa2", "wlan6", qr(MIXED), "wpa2"),
        ("mixed_sae", "wlan7", qr(MIXED), "wpa3"),
        ("hidden", "wlan8", qr(HIDDEN), "wpa3"),
        ("wpa2_wrong", "wlan9", qr(WPA2, "wrong-passphrase"), "wpa2"),
        ("wpa3_wrong", "wlan10", qr(WPA3, "wrong-passphrase"), "wpa3"),
    ]
    # A client that does not probe for the hidden SSID: it tries in the background meanwhile.
    blind = supplicant_conf(from_qr(qr(HIDDEN)), "wpa3", 6, scan_ssid=False)
    sc.keep_trying("hidden_blind")
    sc.join("hidden_blind", "wlan11", sc.file("blind.supplicant", blind), wait=False)
    for name, iface, text, phone in clients:
        add_client(sc, name, iface, from_qr(text), phone, 6, wait=True, refused="wrong" in name)
    # The client that does not probe for the hidden name has tried all along (started above).
    sc.wait("hidden_blind", timeout_s=1)
    sc.step(
        "blind_scan",
        *("wpa_cli", "-p", "/run/wpa_supplicant", "-i", "wlan11", "scan_results"),
        ns="wlan11",
    )
    sc.leave("hidden_blind")
    # Its scans are short: one may miss the hidden AP's beacon (every 100 ms). A passive scan
    # listens a whole beacon interval; up to three, until the hidden AP's BSS is heard.
    hidden_bss = radio_mac(3)
    sc.step(
        "blind_passive",
        "sh",
        "-c",
        "ip link set wlan11 up; for i in 1 2 3; do iw dev wlan11 scan freq 2437 passive "
        f"> /tmp/passive 2>&1; grep -q 'BSS {hidden_bss}' /tmp/passive && break; sleep 1; done;"
        " cat /tmp/passive",
        ns="wlan11",
    )
    sc.ap_cli("mixed_sta", "wlan2", "all_sta")
    # Isolation and the client limit.
    iso = from_qr(qr(ISOLATED))
    shared = from_qr(qr(SHARED))
    add_client(sc, "iso1", "wlan13", iso, "wpa2", 6, addr="10.9.0.11/24", wait=True)
    add_client(sc, "iso2", "wlan14", iso, "wpa2", 6, addr="10.9.0.12/24", wait=True)
    add_client(sc, "iso3", "wlan15", iso, "wpa2", 6, addr="10.9.0.13/24", wait=True, refused=True)
    add_client(sc, "sh1", "wlan17", shared, "wpa2", 6, addr="10.8.0.11/24", wait=True)
    add_client(sc, "sh2", "wlan18", shared, "wpa2", 6, addr="10.8.0.12/24", wait=True)
    ping(sc, "iso1_to_ap", "wlan13", "10.9.0.1")
    ping(sc, "iso1_to_iso2", "wlan13", "10.9.0.12")
    ping(sc, "sh1_to_sh2", "wlan17", "10.8.0.12")
    sc.ap_cli("iso_sta", "wlan12", "all_sta")
    return sc


@pytest.fixture(scope="module")
def vm(radio_vms: dict[str, Future[VmResult]]) -> VmResult:
    return radio_vms[__name__].result()


def test_the_aps_simspot_rendered_start(vm: VmResult) -> None:
    for name in ("wpa2", "wpa3", "mixed", "hidden", "isolated", "shared"):
        assert vm.ap_started(name), vm.describe()


def test_wpa2_client_joins_from_the_qr_text(vm: VmResult) -> None:
    join = vm.join("wpa2")
    assert join.connected, vm.describe()
    assert join.wpa_status["key_mgmt"] == "WPA2-PSK"
    assert join.wpa_status["bssid"] == radio_mac(0)  # the AP on wlan0


def test_wpa3_sae_client_joins_from_the_qr_text(vm: VmResult) -> None:
    join = vm.join("wpa3")
    assert join.connected, vm.describe()
    assert join.wpa_status["key_mgmt"] == "SAE"
    assert join.wpa_status["bssid"] == radio_mac(1)


def test_transition_mode_takes_wpa2_only_and_sae_clients(vm: VmResult) -> None:
    legacy, modern = vm.join("mixed_wpa2"), vm.join("mixed_sae")
    assert legacy.connected and modern.connected, vm.describe()
    assert legacy.wpa_status["key_mgmt"] == "WPA2-PSK"
    assert modern.wpa_status["key_mgmt"] == "SAE"  # a WPA3 client picks SAE where offered
    # The AP sees both, one per AKM: 00-0f-ac-2 is PSK, 00-0f-ac-8 is SAE.
    table = vm.output("mixed_sta")
    assert legacy.mac in table and modern.mac in table
    assert "AKMSuiteSelector=00-0f-ac-2" in table and "AKMSuiteSelector=00-0f-ac-8" in table


def scanned_ssids(scan_results: str) -> dict[str, str]:
    """``wpa_cli scan_results``: bssid / frequency / signal / flags / ssid, tab-separated."""
    out = {}
    for line in scan_results.splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 4:
            out[parts[0]] = parts[4] if len(parts) > 4 else ""
    return out


def iw_scanned_ssids(scan: str) -> dict[str, str]:
    """``iw dev X scan``: a ``BSS <mac>(on X)`` line, then its fields, ``SSID: <name>`` among them."""
    out: dict[str, str] = {}
    bss = None
    for line in scan.splitlines():
        if line.startswith("BSS "):
            bss = line[4:21].lower()
            out[bss] = ""
        elif bss is not None and line.strip().startswith("SSID:"):
            out[bss] = line.strip()[5:].strip()
    return out


def test_hidden_ssid_is_joined_by_probing_and_unnamed_in_beacons(vm: VmResult) -> None:
    assert vm.join("hidden").connected, vm.describe()
    assert not vm.join("hidden_blind").connected, vm.describe()
    seen = scanned_ssids(vm.output("blind_scan"))
    seen = {**iw_scanned_ssids(vm.output("blind_passive")), **seen}
    # The hidden AP was heard, but without its name (empty or all-zero SSID); others are named.
    assert radio_mac(3) in seen and seen[radio_mac(3)].replace("\\x00", "") == "", vm.describe()
    assert seen.get(radio_mac(0)) is not None and seen.get(radio_mac(1)) == WPA3.ssid


def test_wrong_passphrase_is_refused(vm: VmResult) -> None:
    wpa2, wpa3 = vm.join("wpa2_wrong"), vm.join("wpa3_wrong")
    assert wpa2.status == "failed" and wpa3.status == "failed", vm.describe()
    # hostapd found no key that verifies the client's handshake message
    assert f"AP-STA-POSSIBLE-PSK-MISMATCH {wpa2.mac}" in vm.ap_log("wpa2")
    for join in (wpa2, wpa3):
        announced = [
            e
            for line in vm.ap_log("wpa2").splitlines() + vm.ap_log("wpa3").splitlines()
            if (e := parse_station_event(line.split(": ", 1)[-1])) is not None
        ]
        assert all(e.mac != join.mac or e.kind != "connected" for e in announced)


def test_isolated_clients_reach_the_ap_but_not_each_other(vm: VmResult) -> None:
    assert vm.join("iso1").connected and vm.join("iso2").connected, vm.describe()
    assert vm.step("iso1_to_ap")["rc"] == "0", vm.describe()
    assert vm.step("iso1_to_iso2")["rc"] != "0", vm.describe()
    assert " 0% packet loss" not in vm.output("iso1_to_iso2")


def test_without_isolation_clients_reach_each_other(vm: VmResult) -> None:
    """The control: the same ping works when the AP does not isolate (so the test can fail)."""
    assert vm.join("sh1").connected and vm.join("sh2").connected, vm.describe()
    assert vm.step("sh1_to_sh2")["rc"] == "0", vm.describe()


def test_one_client_too_many_is_refused(vm: VmResult) -> None:
    third = vm.join("iso3")
    assert third.status == "failed", vm.describe()
    # 17: "AP is unable to handle additional associated STAs"; hostapd answers it already to
    # the authentication request.
    assert "-REJECT" in third.log and "status_code=17" in third.log
    table = vm.output("iso_sta")
    assert vm.join("iso1").mac in table and vm.join("iso2").mac in table
    assert str(third.mac) not in table
