"""hostapd's config file from an ``ApConfig``: a pure function, injection-proof by construction.

The SSID is written hex-encoded (``ssid2=<hex>``), so any UTF-8 name is safe; every other value
is re-validated here (not only in the settings) and must be a plain token without line breaks or
control characters before a single line is produced.
"""

from __future__ import annotations

from dataclasses import dataclass

from simspot.hotspot import validate
from simspot.hotspot.contract import ApConfig


@dataclass(frozen=True)
class HostapdFiles:
    """Where the rendered config points hostapd to (all absolute paths simspot owns)."""

    ctrl_dir: str
    accept_file: str
    deny_file: str
    driver: str = "nl80211"


_KEY_MGMT = {"wpa2": "WPA-PSK", "wpa2-wpa3": "WPA-PSK SAE", "wpa3": "SAE"}
# Management frame protection: off for WPA2 (old clients), optional in transition mode (as the
# Wi-Fi Alliance requires), required for WPA3-only.
_PMF = {"wpa2": 0, "wpa2-wpa3": 1, "wpa3": 2}


def _line(key: str, value: str | int) -> str:
    text = str(value)
    if "\n" in text or "\r" in text or "\x00" in text or validate._control(text):
        raise validate.HotspotValueError(key, "would break the config file (control character)")
    return f"{key}={text}"


def check(config: ApConfig) -> None:
    """Validate every field of ``config`` again; raise HotspotValueError naming the first bad one."""
    validate.interface(config.interface)
    validate.ssid(config.ssid)
    if config.security == "open":
        if config.passphrase is not None:
            raise validate.HotspotValueError("passphrase", "must be unset for an open network")
    else:
        if config.passphrase is None:
            raise validate.HotspotValueError("passphrase", f"is needed for {config.security}")
        validate.passphrase_format(config.passphrase)
        if validate.is_hex_psk(config.passphrase) and config.security != "wpa2":
            raise validate.HotspotValueError(
                "passphrase", "a 64-hex-digit key works only with wpa2"
            )
    if config.country is not None:
        validate.country(config.country)
    for field, macs in (("mac_allow", config.mac_allow), ("mac_deny", config.mac_deny)):
        for m in macs:
            if validate.mac(m, field) != m:
                raise validate.HotspotValueError(field, f"{m!r} is not normalised")
    if not 1 <= config.max_clients <= 2007:
        raise validate.HotspotValueError("max_clients", "must be 1-2007")


def hostapd_conf(config: ApConfig, files: HostapdFiles) -> str:
    """The whole hostapd.conf for ``config``."""
    check(config)
    for field in ("ctrl_dir", "accept_file", "deny_file"):
        validate.path_text(getattr(files, field), field)
    if files.driver not in ("nl80211", "wired"):
        raise validate.HotspotValueError("driver", f"{files.driver!r} is not supported")
    lines = [
        "# Written by simspot; it is rewritten whenever the hotspot settings change.",
        _line("interface", config.interface),
        _line("driver", files.driver),
        _line("ctrl_interface", files.ctrl_dir),
        _line("ctrl_interface_group", 0),
        _line("ssid2", config.ssid.encode("utf-8").hex()),
        _line("utf8_ssid", 1),
        _line("ignore_broadcast_ssid", 1 if config.hidden else 0),
    ]
    if config.country is not None:
        lines += [_line("country_code", config.country), _line("ieee80211d", 1)]
    lines += [
        _line("hw_mode", "g" if config.band == "2.4" else "a"),
        _line("channel", config.channel),
        _line("ieee80211n", 1),
        _line("wmm_enabled", 1),
    ]
    if config.band == "5":
        lines.append(_line("ieee80211ac", 1))
    lines += [
        _line("ap_isolate", 1 if config.isolate_clients else 0),
        _line("max_num_sta", config.max_clients),
        # macaddr_acl 1: only the accept list may join; 0: everyone but the deny list.
        _line("macaddr_acl", 1 if config.mac_allow else 0),
    ]
    if config.mac_allow:
        lines.append(_line("accept_mac_file", files.accept_file))
    if config.mac_deny:
        lines.append(_line("deny_mac_file", files.deny_file))
    lines.append(_line("auth_algs", 1))
    secret = config.passphrase
    if config.security != "open" and secret is not None:  # check() refused a missing one
        lines += [_line("wpa", 2), _line("wpa_key_mgmt", _KEY_MGMT[config.security])]
        if validate.is_hex_psk(secret):
            lines.append(_line("wpa_psk", secret.lower()))
        else:
            # Taken verbatim to the end of the line by hostapd: quotes and '#' are literal.
            lines.append(_line("wpa_passphrase", secret))
        lines += [_line("rsn_pairwise", "CCMP"), _line("ieee80211w", _PMF[config.security])]
        if config.security == "wpa2-wpa3":
            lines.append(_line("sae_require_mfp", 1))
    return "\n".join(lines) + "\n"


def mac_file(macs: tuple[str, ...]) -> str:
    """An accept/deny file: one validated MAC address per line."""
    return "".join(validate.mac(m) + "\n" for m in macs)
