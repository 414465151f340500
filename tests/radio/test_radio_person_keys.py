"""Per-person Wi-Fi keys (guest passes) over real 802.11 (mac80211_hwsim in a VM).

simspot renders the extra keys (``ApConfig.person_keys``): WPA2 into hostapd's wpa_psk_file, SAE
into ``sae_password=..|id=..`` lines. What a station joined with is read back with simspot's own
parsers from what hostapd really printed (its AP-STA-CONNECTED events and its station table).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future

import pytest

from simspot.hotspot.contract import ApConfig, PersonKey
from simspot.hotspot.hostapd import StationEvent, parse_sta, parse_station_event
from simspot.hotspot.qr import wifi_text
from simspot.hotspot.render import HostapdFiles, hostapd_conf, wpa_psk_file
from tests.radio.harness import Scenario, VmResult
from tests.radio.wifi import Network, Phone, add_ap, add_client, from_qr

pytestmark = [pytest.mark.slow]

OWNER = "owner pass #1"
ALICE = PersonKey("alice", 'alice;"key" 2')
BOB = PersonKey("bob", "bob key, three")
LONGEST = PersonKey("k" * 31, "longest-key-id")  # hostapd's limit: 31 characters
WPA2 = ApConfig(
    interface="wlan0",
    ssid="guests-wpa2",
    passphrase=OWNER,
    security="wpa2",
    channel=6,
    person_keys=(ALICE, BOB, LONGEST),
)
WPA2_BOB_REVOKED = dataclasses.replace(WPA2, person_keys=(ALICE, LONGEST))
MIXED = ApConfig(
    interface="wlan1",
    ssid="guests-mixed",
    passphrase=OWNER,
    security="wpa2-wpa3",
    channel=6,
    person_keys=(ALICE,),
)


def qr_for(config: ApConfig, passphrase: str, password_id: str | None = None) -> Network:
    return from_qr(wifi_text(config.ssid, passphrase, config.security, False, password_id))


def radio_scenario() -> Scenario:
    """What this module's VM does (started with the other modules' by conftest's radio_vms)."""
    sc = Scenario(radios=13)
    add_ap(sc, "wpa2", WPA2)
    add_ap(sc, "mixed", MIXED)
    sc.wait_aps("wpa2", "mixed")
    sc.keep_trying("bob")  # after its key is revoked, bob's phone keeps trying
    joins: list[tuple[str, str, Network, Phone, bool]] = [  # ..., expected to be refused
        ("alice", "wlan2", qr_for(WPA2, ALICE.passphrase), "wpa2", False),
        ("owner", "wlan3", qr_for(WPA2, OWNER), "wpa2", False),
        ("wrong", "wlan4", qr_for(WPA2, "not-any-key-9"), "wpa2", True),
        ("bob", "wlan5", qr_for(WPA2, BOB.passphrase), "wpa2", False),
        ("mixed_alice_wpa2", "wlan6", qr_for(MIXED, ALICE.passphrase), "wpa2", False),
        ("mixed_alice_id", "wlan7", qr_for(MIXED, ALICE.passphrase, "alice"), "wpa3-id", False),
        ("mixed_owner_sae", "wlan8", qr_for(MIXED, OWNER), "wpa3", False),
        ("mixed_alice_noid", "wlan9", qr_for(MIXED, ALICE.passphrase, "alice"), "wpa3", True),
        ("mixed_bob_id", "wlan10", qr_for(MIXED, BOB.passphrase, "bob"), "wpa3-id", True),
    ]
    for name, iface, net, phone, refused in joins:
        add_client(sc, name, iface, net, phone, 6, wait=True, refused=refused)
    sc.ap_cli("wpa2_sta_before", "wlan0", "all_sta")
    # Revoke bob as the hostapd backend does: rewrite the wpa_psk_file, RELOAD_WPA_PSK, then
    # deauthenticate bob's station (hostapd keeps it otherwise, as the table after shows).
    sc.file("wpa2.psk.revoked", wpa_psk_file(WPA2_BOB_REVOKED))
    sc.sh("cp /scenario/files/wpa2.psk.revoked /scenario/files/wpa2.psk")
    sc.ap_cli("reload", "wlan0", "raw", "RELOAD_WPA_PSK")
    sc.ap_cli("wpa2_sta_after_reload", "wlan0", "all_sta")
    sc.sh('ap_cli wlan0 deauthenticate "$(cat /run/join-bob.mac)" reason=2 >/dev/null')
    # Bob's phone keeps trying with its key meanwhile; a fresh phone with bob's key tries too.
    bob_again = qr_for(WPA2, BOB.passphrase)
    add_client(sc, "bob_again", "wlan11", bob_again, "wpa2", 6, wait=True, refused=True)
    add_client(sc, "alice_again", "wlan12", qr_for(WPA2, ALICE.passphrase), "wpa2", 6, wait=True)
    sc.ap_cli("wpa2_sta_end", "wlan0", "all_sta")
    return sc


@pytest.fixture(scope="module")
def vm(radio_vms: dict[str, Future[VmResult]]) -> VmResult:
    return radio_vms[__name__].result()


def events(vm: VmResult, ap: str) -> list[StationEvent]:
    """hostapd's AP-STA-CONNECTED/DISCONNECTED lines, read by simspot's parser."""
    out = []
    for line in vm.ap_log(ap).splitlines():
        event = parse_station_event(line.split(": ", 1)[-1])  # drop the -t timestamp
        if event is not None:
            out.append(event)
    return out


def connected_key(vm: VmResult, ap: str, mac: str | None) -> list[str | None]:
    return [e.key_id for e in events(vm, ap) if e.kind == "connected" and e.mac == mac]


def station_table(text: str) -> dict[str, dict[str, str]]:
    """``all_sta`` output: blocks of one MAC line and key=value lines, parsed by simspot."""
    blocks, current = [], []
    for line in text.splitlines():
        if current and ":" in line and "=" not in line:
            blocks.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    table = {}
    for block in blocks:
        parsed = parse_sta(block)
        if parsed is not None:
            table[parsed[0]] = parsed[1]
    return table


def test_every_key_of_the_rendered_config_is_accepted(vm: VmResult) -> None:
    assert vm.ap_started("wpa2") and vm.ap_started("mixed"), vm.describe()


def test_a_wpa2_guest_key_joins_and_is_reported_under_its_key_id(vm: VmResult) -> None:
    alice, owner = vm.join("alice"), vm.join("owner")
    assert alice.connected and owner.connected, vm.describe()
    assert connected_key(vm, "wpa2", alice.mac) == ["alice"]
    assert connected_key(vm, "wpa2", owner.mac) == [None]  # the owner's key has no id
    table = station_table(vm.output("wpa2_sta_before"))
    assert table[str(alice.mac)]["keyid"] == "alice"
    assert "keyid" not in table[str(owner.mac)]


def test_a_wrong_key_fails(vm: VmResult) -> None:
    wrong = vm.join("wrong")
    assert wrong.status == "failed", vm.describe()
    assert f"AP-STA-POSSIBLE-PSK-MISMATCH {wrong.mac}" in vm.ap_log("wpa2")
    assert connected_key(vm, "wpa2", wrong.mac) == []


def test_a_revoked_key_stops_working_without_disturbing_others(vm: VmResult) -> None:
    bob = vm.join("bob")
    assert connected_key(vm, "wpa2", bob.mac) == ["bob"], vm.describe()
    assert vm.step("reload")["output"].strip() == "OK"
    # Once the key is gone (and the station deauthenticated, as the backend does), neither
    # that phone, which keeps trying, nor a fresh one gets back in with it.
    assert bob.connected and "CTRL-EVENT-DISCONNECTED" in bob.log, vm.describe()
    assert connected_key(vm, "wpa2", bob.mac) == ["bob"]  # never again
    assert vm.join("bob_again").status == "failed", vm.describe()
    assert connected_key(vm, "wpa2", vm.join("bob_again").mac) == []
    # Alice and the owner were not disturbed, and a new phone with her key still joins.
    end = station_table(vm.output("wpa2_sta_end"))
    for mac in (vm.join("alice").mac, vm.join("owner").mac):
        assert "[AUTHORIZED]" in end[str(mac)]["flags"], vm.describe()
    assert "[AUTHORIZED]" not in end.get(str(bob.mac), {}).get("flags", "")
    assert vm.join("alice_again").connected
    assert connected_key(vm, "wpa2", vm.join("alice_again").mac) == ["alice"]


def test_transition_mode_what_each_kind_of_client_gets(vm: VmResult) -> None:
    """WPA2-only clients use a guest key like on a WPA2 network (and are named); WPA3 clients
    that send the SAE password identifier get in with SAE (hostapd 2.10 does not name their key
    in AP-STA-CONNECTED); WPA3 clients without identifiers only get in with the owner's key."""
    legacy = vm.join("mixed_alice_wpa2")
    assert legacy.connected and legacy.wpa_status["key_mgmt"] == "WPA2-PSK", vm.describe()
    assert connected_key(vm, "mixed", legacy.mac) == ["alice"]

    with_id = vm.join("mixed_alice_id")
    assert with_id.connected and with_id.wpa_status["key_mgmt"] == "SAE", vm.describe()
    assert connected_key(vm, "mixed", with_id.mac) == [None]

    owner = vm.join("mixed_owner_sae")
    assert owner.connected and owner.wpa_status["key_mgmt"] == "SAE", vm.describe()

    no_id = vm.join("mixed_alice_noid")
    assert not no_id.connected, vm.describe()
    assert connected_key(vm, "mixed", no_id.mac) == []

    not_a_key = vm.join("mixed_bob_id")  # bob has no key on this network
    assert not not_a_key.connected, vm.describe()


def test_revoking_a_wpa2_key_is_a_reload_not_a_restart() -> None:
    """The backend reloads only when the rendered config is unchanged (pure check)."""
    files = HostapdFiles("/run/h", "/run/a", "/run/d", psk_file="/run/p")
    assert hostapd_conf(WPA2, files) == hostapd_conf(WPA2_BOB_REVOKED, files)
    assert wpa_psk_file(WPA2) != wpa_psk_file(WPA2_BOB_REVOKED)
    mixed_without = dataclasses.replace(MIXED, person_keys=())
    assert hostapd_conf(MIXED, files) != hostapd_conf(mixed_without, files)  # SAE: restart
