"""hostapd config rendering: golden files, properties, and the real hostapd binary as the judge."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.hotspot.contract import ApConfig, PersonKey
from simspot.hotspot.render import HostapdFiles, hostapd_conf, mac_file, wpa_psk_file
from simspot.hotspot.validate import HotspotValueError
from tests.hotspot.hostapd_tool import hostapd_verdict

GOLDEN = Path(__file__).parent / "golden"
FILES = HostapdFiles(
    "/run/simspot/hostapd", "/run/simspot/accept", "/run/simspot/deny", psk_file="/run/simspot/psk"
)

CASES = {
    "transition": ApConfig(interface="wlan0", ssid="simspot-7f3a", passphrase="kx8Lq2vRt9Zm"),
    "wpa3-5ghz": ApConfig(
        interface="wlp2s0", ssid="Café \"Zürich\";", passphrase='x7k#qm-3v"ht\\r-9pz',
        security="wpa3", band="5", channel=44, country="CH", isolate_clients=True,
        max_clients=5, mac_allow=("02:00:00:00:00:01",), mac_deny=("02:00:00:00:00:02",),
    ),
    "open-hidden": ApConfig(
        interface="wlan1", ssid="guests", passphrase=None, security="open", hidden=True,
        mac_deny=("02:00:00:00:00:03", "02:00:00:00:00:04"),
    ),
    "wpa2-hexkey": ApConfig(
        interface="wlan0", ssid="legacy", passphrase="0123456789abcdef" * 4, security="wpa2",
        channel=11, country="US",
    ),
    "wpa2-person-keys": ApConfig(
        interface="wlan0", ssid="family", passphrase="owner-key-1", security="wpa2",
        person_keys=(PersonKey("alice", "alice's key #1"), PersonKey("bob-2", "fedcba98" * 8)),
    ),
    "transition-person-keys": ApConfig(
        interface="wlan0", ssid="family", passphrase="owner-key-1",
        person_keys=(PersonKey("alice", 'alice "key" #1'), PersonKey("guest.7", "guest seven")),
    ),
}  # fmt: skip


def _materialise(tmp: Path, config: ApConfig, driver: str = "nl80211") -> Path:
    files = HostapdFiles(
        str(tmp / "ctrl"), str(tmp / "accept"), str(tmp / "deny"), driver, str(tmp / "psk")
    )
    (tmp / "accept").write_text(mac_file(config.mac_allow))
    (tmp / "deny").write_text(mac_file(config.mac_deny))
    (tmp / "psk").write_text(wpa_psk_file(config))
    path = tmp / "hostapd.conf"
    path.write_text(hostapd_conf(config, files))
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    text = hostapd_conf(CASES[name], FILES)
    golden = GOLDEN / f"{name}.conf"
    if os.environ.get("SIMSPOT_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_hostapd_accepts_every_golden_config(name: str, tmp_path: Path) -> None:
    verdict = hostapd_verdict(_materialise(tmp_path, CASES[name]))
    assert verdict.accepted, verdict.output


def test_the_judge_can_fail(tmp_path: Path) -> None:
    """A config hostapd refuses is detected as refused (so the tests above can fail)."""
    conf = _materialise(tmp_path, CASES["transition"])
    conf.write_text(conf.read_text().replace("wpa_key_mgmt=WPA-PSK SAE", "wpa_key_mgmt=BOGUS"))
    assert not hostapd_verdict(conf).accepted
    conf.write_text(_materialise(tmp_path, CASES["transition"]).read_text() + "no_such_key=1\n")
    verdict = hostapd_verdict(conf)
    assert not verdict.accepted and "Line" in verdict.output
    # A passphrase line dropped: hostapd's own consistency check refuses it.
    text = _materialise(tmp_path, CASES["transition"]).read_text()
    conf.write_text(re.sub(r"wpa_passphrase=.*\n", "", text))
    assert not hostapd_verdict(conf).accepted


ssids = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=32
).filter(lambda s: 1 <= len(s.encode()) <= 32)
passphrases = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=8, max_size=63
)
securities = st.sampled_from(["wpa2", "wpa2-wpa3", "wpa3", "open"])
macs = st.lists(
    st.binary(min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02x}" for x in b)),
    max_size=3,
    unique=True,
)


@st.composite
def ap_configs(draw: st.DrawFn) -> ApConfig:
    security = draw(securities)
    band = draw(st.sampled_from(["2.4", "5"]))
    channel = draw(st.sampled_from([1, 6, 11, 13] if band == "2.4" else [36, 40, 100, 149]))
    return ApConfig(
        interface=draw(st.from_regex(r"[a-z][a-z0-9]{0,14}", fullmatch=True)),
        ssid=draw(ssids),
        passphrase=None if security == "open" else draw(passphrases),
        security=security,  # type: ignore[arg-type]
        band=band,  # type: ignore[arg-type]
        channel=channel,
        country=draw(st.sampled_from(["DE", "US", "JP"])) if band == "5" else None,
        hidden=draw(st.booleans()),
        isolate_clients=draw(st.booleans()),
        max_clients=draw(st.integers(1, 2007)),
        mac_allow=tuple(draw(macs)),
        mac_deny=tuple(draw(macs)),
    )


@given(ap_configs())
@settings(max_examples=300)
def test_rendered_config_is_one_key_per_line_and_round_trips(config: ApConfig) -> None:
    text = hostapd_conf(config, FILES)
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == text.count("\n")
    keys = []
    for line in lines[1:]:
        m = re.fullmatch(r"([a-z0-9_]+)=(.*)", line)
        assert m, line
        keys.append(m.group(1))
    once = [k for k in keys if k != "sae_password"]  # one line per per-person SAE key
    assert len(once) == len(set(once)), "a key appears twice"
    values = dict(line.split("=", 1) for line in lines[1:])
    assert bytes.fromhex(values["ssid2"]).decode("utf-8") == config.ssid
    assert values["interface"] == config.interface
    if config.security == "open":
        assert "wpa" not in values and "wpa_passphrase" not in values
    else:
        assert values["wpa_passphrase"] == config.passphrase
        assert values["ieee80211w"] == {"wpa2": "0", "wpa2-wpa3": "1", "wpa3": "2"}[config.security]


@given(config=ap_configs())
@settings(max_examples=25, deadline=None)
def test_real_hostapd_accepts_generated_configs(config: ApConfig) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        verdict = hostapd_verdict(_materialise(Path(tmp), config))
    assert verdict.accepted, verdict.output


INJECTIONS = ["x\nwpa_passphrase=owned", "x\rchannel=1", "x\x00y", "x\x1b[2J", "x\u2028y", "a\x85b"]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_in_ssid_is_refused_naming_the_field(evil: str) -> None:
    with pytest.raises(HotspotValueError, match=r"^ssid: .*control character"):
        hostapd_conf(ApConfig(interface="wlan0", ssid=evil, passphrase="kx8Lq2vRt9Zm"), FILES)


@pytest.mark.parametrize("evil", [*INJECTIONS, "kx8Lq2vRt9Zm\u00e9", "short"])
def test_bad_passphrase_is_refused_naming_the_field(evil: str) -> None:
    with pytest.raises(HotspotValueError, match=r"^passphrase: "):
        hostapd_conf(ApConfig(interface="wlan0", ssid="ok", passphrase=evil), FILES)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("interface", "wlan0\ndriver=wired"),
        ("interface", 'wlan"0'),
        ("interface", "a-very-long-interface-name"),
        ("country", "D\nE"),
        ("mac_deny", "02:00:00:00:00:01\nx"),
    ],
)
def test_injection_in_other_fields_is_refused(field: str, value: str) -> None:
    kwargs: dict[str, object] = {"interface": "wlan0", "ssid": "ok", "passphrase": "kx8Lq2vRt9Zm"}
    kwargs[field] = (value,) if field == "mac_deny" else value
    with pytest.raises(HotspotValueError, match=rf"^{field}: "):
        hostapd_conf(ApConfig(**kwargs), FILES)  # type: ignore[arg-type]
    with pytest.raises(HotspotValueError, match=r"^ctrl_dir: "):
        hostapd_conf(
            ApConfig(interface="wlan0", ssid="ok", passphrase="kx8Lq2vRt9Zm"),
            HostapdFiles('/run/x"\nctrl_interface=/tmp', "/a", "/b"),
        )


KNOWN_KEYS = {
    "interface", "driver", "ctrl_interface", "ctrl_interface_group", "ssid2", "utf8_ssid",
    "ignore_broadcast_ssid", "country_code", "ieee80211d", "hw_mode", "channel", "ieee80211n",
    "wmm_enabled", "ieee80211ac", "ap_isolate", "max_num_sta", "macaddr_acl", "accept_mac_file",
    "deny_mac_file", "auth_algs", "wpa", "wpa_key_mgmt", "wpa_passphrase", "wpa_psk",
    "rsn_pairwise", "ieee80211w", "sae_require_mfp",
}  # fmt: skip


@given(
    ssid=st.one_of(ssids, st.text(max_size=40)),
    secret=st.one_of(passphrases, st.text(max_size=70)),
    interface=st.one_of(st.just("wlan0"), st.text(max_size=20)),
    country=st.one_of(st.sampled_from(["", "DE", "us"]), st.text(max_size=3)),
)
@settings(max_examples=400)
def test_arbitrary_input_is_refused_or_rendered_safely(
    ssid: str, secret: str, interface: str, country: str
) -> None:
    """Whatever the text, hostapd_conf refuses it or every line is one known key and its value."""
    try:
        text = hostapd_conf(
            ApConfig(interface=interface, ssid=ssid, passphrase=secret, country=country or None),
            FILES,
        )
    except HotspotValueError as exc:
        assert str(exc).split(":")[0] in {"ssid", "passphrase", "interface", "country"}
        return
    keys = [line.split("=", 1)[0] for line in text.splitlines()[1:]]
    assert set(keys) <= KNOWN_KEYS and len(keys) == len(set(keys))
    assert all(
        "\r" not in line and "\x00" not in line and "\x0b" not in line and "\x0c" not in line
        for line in text.splitlines()
    )
