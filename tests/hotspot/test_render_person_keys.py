"""Per-person Wi-Fi keys: rendering, validation, the join QR's password identifier, and reading
the key id back from hostapd's events and station table (pure; tests/radio runs them for real)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.hotspot.contract import ApConfig, PersonKey
from simspot.hotspot.hostapd import StationEvent, parse_event, parse_sta, parse_station_event
from simspot.hotspot.qr import parse_wifi_text, wifi_text
from simspot.hotspot.render import HostapdFiles, hostapd_conf, key_id, wpa_psk_file
from simspot.hotspot.validate import HotspotValueError

FILES = HostapdFiles("/run/s/ctrl", "/run/s/accept", "/run/s/deny", psk_file="/run/s/psk")
ALICE = PersonKey("alice", "alice key 1")
BOB = PersonKey("bob", "bob's #key")


def config(security: str = "wpa2-wpa3", *keys: PersonKey) -> ApConfig:
    return ApConfig(
        interface="wlan0",
        ssid="home",
        passphrase="owner-pass-1",
        security=security,  # type: ignore[arg-type]
        person_keys=keys,
    )


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_wpa2_keys_go_to_the_psk_file_with_their_ids() -> None:
    c = config("wpa2", ALICE, BOB)
    assert "wpa_psk_file=/run/s/psk" in lines(hostapd_conf(c, FILES))
    assert not any(line.startswith("sae_") for line in lines(hostapd_conf(c, FILES)))
    assert wpa_psk_file(c) == (
        "keyid=alice 00:00:00:00:00:00 alice key 1\nkeyid=bob 00:00:00:00:00:00 bob's #key\n"
    )


def test_transition_mode_has_both_and_wpa3_only_sae() -> None:
    mixed = lines(hostapd_conf(config("wpa2-wpa3", ALICE, BOB), FILES))
    assert "wpa_psk_file=/run/s/psk" in mixed
    assert mixed[-3:] == [
        "sae_pwe=2",
        "sae_password=alice key 1|id=alice",
        "sae_password=bob's #key|id=bob",
    ]
    assert "wpa_passphrase=owner-pass-1" in mixed  # the owner's key, for SAE without identifier
    wpa3 = lines(hostapd_conf(config("wpa3", ALICE), FILES))
    assert not any(line.startswith("wpa_psk_file") for line in wpa3)
    assert "sae_password=alice key 1|id=alice" in wpa3
    assert wpa_psk_file(config("wpa3", ALICE)) == ""


def test_no_person_keys_changes_nothing() -> None:
    without = hostapd_conf(config("wpa2-wpa3"), FILES)
    assert "wpa_psk_file" not in without and "sae_pwe" not in without
    assert wpa_psk_file(config("wpa2")) == ""
    # The psk file is needed only when there are WPA2 person keys.
    no_psk = dataclasses.replace(FILES, psk_file=None)
    assert hostapd_conf(config("wpa2"), no_psk) == hostapd_conf(config("wpa2"), FILES)
    with pytest.raises(HotspotValueError, match=r"^psk_file: "):
        hostapd_conf(config("wpa2", ALICE), no_psk)


@pytest.mark.parametrize(
    ("keys", "security", "message"),
    [
        ((PersonKey("a b", "long enough"),), "wpa2", r"^person_keys\[0\]\.key_id: 'a b' is not"),
        ((PersonKey("", "long enough"),), "wpa2", r"^person_keys\[0\]\.key_id: "),
        ((PersonKey("-x", "long enough"),), "wpa2", r"^person_keys\[0\]\.key_id: "),
        ((PersonKey("k" * 32, "long enough"),), "wpa2", r"^person_keys\[0\]\.key_id: "),
        ((PersonKey("x|id=y", "long enough"),), "wpa3", r"^person_keys\[0\]\.key_id: "),
        ((PersonKey("x\nwpa=0", "long enough"),), "wpa2", r"^person_keys\[0\]\.key_id: "),
        ((ALICE, PersonKey("alice", "other key 1")), "wpa2", r"^person_keys\[1\]\.key_id: .*two"),
        ((PersonKey("c", "short"),), "wpa2", r"^person_keys\[c\]\.passphrase: is 5 char"),
        ((PersonKey("c", "x\nwpa_passphrase=y"),), "wpa2", r"^person_keys\[c\]\.passphrase: "),
        ((PersonKey("c", "a|mac=ff:ff:ff:ff:ff:ff"),), "wpa2-wpa3", r"'\|'"),
        ((PersonKey("c", "ab" * 32),), "wpa2-wpa3", r"64-hex-digit key works only with wpa2"),
        ((PersonKey("c", "owner-pass-1"),), "wpa2", r"^person_keys\[c\]\.passphrase: is the same"),
        ((ALICE, PersonKey("c", ALICE.passphrase)), "wpa3", r"is the same as another key"),
        ((ALICE,), "open", r"^person_keys: need a WPA2 or WPA3 network"),
    ],
)
def test_bad_person_keys_are_refused_naming_the_field(
    keys: tuple[PersonKey, ...], security: str, message: str
) -> None:
    c = dataclasses.replace(
        config(security if security != "open" else "wpa2", *keys),
        security=security,  # type: ignore[arg-type]
        passphrase=None if security == "open" else "owner-pass-1",
    )
    with pytest.raises(HotspotValueError, match=message) as info:
        hostapd_conf(c, FILES)
    for key in keys:  # a secret never appears in an error
        assert key.passphrase not in str(info.value) or len(key.passphrase) < 8
    with pytest.raises(HotspotValueError, match=message):
        wpa_psk_file(c)


def test_a_pipe_is_fine_in_a_wpa2_only_key() -> None:
    c = config("wpa2", PersonKey("c", "a|b|c|d-e"))
    assert wpa_psk_file(c) == "keyid=c 00:00:00:00:00:00 a|b|c|d-e\n"


def test_too_many_keys_are_refused() -> None:
    keys = tuple(PersonKey(f"k{i}", f"key-number-{i}") for i in range(257))
    with pytest.raises(HotspotValueError, match=r"^person_keys: 257 keys; at most 256"):
        hostapd_conf(config("wpa2", *keys), FILES)


def test_person_key_repr_hides_the_passphrase() -> None:
    assert "alice key 1" not in repr(ALICE) and "alice" in repr(ALICE)
    assert "alice key 1" not in repr(config("wpa2", ALICE))


keys = st.lists(
    st.tuples(
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,30}", fullmatch=True),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=8, max_size=63),
    ),
    max_size=5,
    unique_by=(lambda k: k[0], lambda k: k[1]),
)


@given(keys, st.sampled_from(["wpa2", "wpa2-wpa3", "wpa3"]))
@settings(max_examples=200)
def test_every_valid_key_renders_one_line_that_reads_back(
    pairs: list[tuple[str, str]], security: str
) -> None:
    pairs = [(k, p) for k, p in pairs if p != "owner-pass-1"]
    if security != "wpa2":
        pairs = [(k, p) for k, p in pairs if "|" not in p]
    c = config(security, *(PersonKey(k, p) for k, p in pairs))
    conf = lines(hostapd_conf(c, FILES))
    psk = lines(wpa_psk_file(c))
    if security == "wpa3":
        assert psk == []
    else:
        # hostapd splits on the first two spaces: keyid=..., the MAC, then the passphrase.
        assert [tuple(line.split(" ", 2)) for line in psk] == [
            (f"keyid={k}", "00:00:00:00:00:00", p) for k, p in pairs
        ]
    sae = [line.removeprefix("sae_password=") for line in conf if line.startswith("sae_password")]
    if security == "wpa2":
        assert sae == []
    else:
        assert [tuple(v.rsplit("|id=", 1)) for v in sae] == [(p, k) for k, p in pairs]
        assert all(v.count("|") == 1 for v in sae)


def test_key_id_check() -> None:
    assert key_id("guest.7_x-1") == "guest.7_x-1"
    with pytest.raises(HotspotValueError, match=r"^key_id: "):
        key_id("Mama's")


def test_qr_carries_the_sae_password_identifier() -> None:
    text = wifi_text("home", "alice key 1", "wpa2-wpa3", False, password_id="alice")
    assert text == "WIFI:T:WPA;S:home;I:alice;P:alice key 1;H:false;;"
    parsed = parse_wifi_text(text)
    assert (parsed.password_id, parsed.password) == ("alice", "alice key 1")
    wpa3 = parse_wifi_text(wifi_text("h", "alice key 1", "wpa3", True, password_id="a;b"))
    assert wpa3.password_id == "a;b" and wpa3.kind == "SAE" and wpa3.hidden
    # WPA2 has no identifiers: the key itself is enough (hostapd tells keys apart by trying).
    assert ";I:" not in wifi_text("h", "alice key 1", "wpa2", False, password_id="alice")
    assert wifi_text("h", "pass-word", "wpa2", False) == "WIFI:T:WPA;S:h;P:pass-word;H:false;;"
    with pytest.raises(HotspotValueError, match=r"^password_id: "):
        wifi_text("h", None, "open", False, password_id="alice")


def test_station_events_carry_the_key_id() -> None:
    assert parse_station_event("<3>AP-STA-CONNECTED 02:00:00:00:00:01 keyid=alice") == (
        StationEvent("connected", "02:00:00:00:00:01", "alice")
    )
    # hostapd's own output line, as the radio tests read it
    assert parse_station_event("wlan0: AP-STA-CONNECTED 02:00:00:00:02:00 keyid=bob") == (
        StationEvent("connected", "02:00:00:00:02:00", "bob")
    )
    assert parse_station_event("<3>AP-STA-CONNECTED 02:00:00:00:00:01") == StationEvent(
        "connected", "02:00:00:00:00:01", None
    )
    # A key id simspot could not have configured is not taken as a pass name.
    assert parse_station_event("<3>AP-STA-CONNECTED 02:00:00:00:00:01 keyid=a/b") == (
        StationEvent("connected", "02:00:00:00:00:01", None)
    )
    assert parse_event("<3>AP-STA-CONNECTED 02:00:00:00:00:01 keyid=alice") == (
        "connected",
        "02:00:00:00:00:01",
    )
    assert parse_station_event("<3>AP-STA-POSSIBLE-PSK-MISMATCH 02:00:00:00:00:01") is None
    assert parse_sta("02:00:00:00:00:01\nflags=[AUTHORIZED]\nkeyid=alice\n") == (
        "02:00:00:00:00:01",
        {"flags": "[AUTHORIZED]", "keyid": "alice"},
    )
