"""hostapd's config file from an ``ApConfig``: a pure function, injection-proof by construction.

The SSID is written hex-encoded (``ssid2=<hex>``), so any UTF-8 name is safe; every other value
is re-validated here (not only in the settings) and must be a plain token without line breaks or
control characters before a single line is produced.

Per-person keys (``ApConfig.person_keys``) go where hostapd looks for them: WPA2 into the
``wpa_psk_file`` (``keyid=<id> 00:00:00:00:00:00 <passphrase>``: any station may use the key, and
hostapd names the key id in ``AP-STA-CONNECTED``), SAE into ``sae_password=<pw>|id=<id>`` lines,
which only clients sending that SAE password identifier can use. The owner's passphrase stays
``wpa_passphrase``; hostapd falls back to it for SAE clients that send no identifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simspot.hotspot import validate
from simspot.hotspot.contract import ApConfig, PersonKey


@dataclass(frozen=True)
class HostapdFiles:
    """Where the rendered config points hostapd to (all absolute paths simspot owns)."""

    ctrl_dir: str
    accept_file: str
    deny_file: str
    driver: str = "nl80211"
    psk_file: str | None = None  # the wpa_psk_file for per-person WPA2 keys


# hostapd keeps a PSK key id in 32 bytes with the NUL; a plain token keeps it safe in both the
# wpa_psk_file (space-separated) and sae_password (``|``-separated) syntaxes.
KEY_ID_MAX = 31
PERSON_KEYS_MAX = 256
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,30}")


_KEY_MGMT = {"wpa2": "WPA-PSK", "wpa2-wpa3": "WPA-PSK SAE", "wpa3": "SAE"}
# Management frame protection: off for WPA2 (old clients), optional in transition mode (as the
# Wi-Fi Alliance requires), required for WPA3-only.
_PMF = {"wpa2": 0, "wpa2-wpa3": 1, "wpa3": 2}


def _line(key: str, value: str | int) -> str:
    text = str(value)
    if "\n" in text or "\r" in text or "\x00" in text or validate._control(text):
        raise validate.HotspotValueError(
            key, "would break the config file (control character)", "hotspot.render.control-char"
        )
    return f"{key}={text}"


def key_id(value: str, field: str = "key_id") -> str:
    """A per-person key id: 1-31 letters, digits, '_', '.', '-' (starting with a letter/digit)."""
    if not isinstance(value, str) or not _KEY_ID.fullmatch(value):
        raise validate.HotspotValueError(
            field,
            f"{value!r} is not a key id (1-{KEY_ID_MAX} letters, digits, '_', '.', '-', "
            "starting with a letter or digit)",
            "hotspot.render.key-id",
            value=repr(value),
            max=KEY_ID_MAX,
        )
    return value


def _uses_psk(config: ApConfig) -> bool:
    return config.security in ("wpa2", "wpa2-wpa3")


def _uses_sae(config: ApConfig) -> bool:
    return config.security in ("wpa3", "wpa2-wpa3")


def _check_person_keys(config: ApConfig) -> None:
    keys = config.person_keys
    if not keys:
        return
    if config.security == "open":
        raise validate.HotspotValueError(
            "person_keys",
            "need a WPA2 or WPA3 network (an open network has no keys)",
            "hotspot.render.keys-open",
        )
    if len(keys) > PERSON_KEYS_MAX:
        raise validate.HotspotValueError(
            "person_keys",
            f"{len(keys)} keys; at most {PERSON_KEYS_MAX} are supported",
            "hotspot.render.keys-many",
            count=len(keys),
            max=PERSON_KEYS_MAX,
        )
    seen_ids: set[str] = set()
    seen_secrets = {config.passphrase}
    for i, key in enumerate(keys):
        if not isinstance(key, PersonKey):
            raise validate.HotspotValueError(
                f"person_keys[{i}]", "must be a PersonKey", "hotspot.render.key-type"
            )
        key_id(key.key_id, f"person_keys[{i}].key_id")
        if key.key_id in seen_ids:
            raise validate.HotspotValueError(
                f"person_keys[{i}].key_id",
                f"{key.key_id!r} is used by two keys",
                "hotspot.render.key-id-twice",
                value=repr(key.key_id),
            )
        seen_ids.add(key.key_id)
        field = f"person_keys[{key.key_id}].passphrase"
        validate.passphrase_format(key.passphrase, field)
        if validate.is_hex_psk(key.passphrase) and config.security != "wpa2":
            raise validate.HotspotValueError(
                field, "a 64-hex-digit key works only with wpa2", "hotspot.render.hex-key"
            )
        if _uses_sae(config) and "|" in key.passphrase:
            raise validate.HotspotValueError(
                field,
                "must not contain '|' on a WPA3 network (hostapd's sae_password separator)",
                "hotspot.render.sae-separator",
            )
        if key.passphrase in seen_secrets:
            # hostapd would take whichever matches first: the station's key id would be a guess.
            raise validate.HotspotValueError(
                field,
                "is the same as another key of this network; every key must differ",
                "hotspot.render.key-same",
            )
        seen_secrets.add(key.passphrase)


def check(config: ApConfig) -> None:
    """Validate every field of ``config`` again; raise HotspotValueError naming the first bad one."""
    validate.interface(config.interface)
    validate.ssid(config.ssid)
    if config.security == "open":
        if config.passphrase is not None:
            raise validate.HotspotValueError(
                "passphrase", "must be unset for an open network", "hotspot.render.open-passphrase"
            )
    else:
        if config.passphrase is None:
            raise validate.HotspotValueError(
                "passphrase",
                f"is needed for {config.security}",
                "hotspot.render.passphrase-needed",
                security=config.security,
            )
        validate.passphrase_format(config.passphrase)
        if validate.is_hex_psk(config.passphrase) and config.security != "wpa2":
            raise validate.HotspotValueError(
                "passphrase", "a 64-hex-digit key works only with wpa2", "hotspot.render.hex-key"
            )
    if config.country is not None:
        validate.country(config.country)
    for field, macs in (("mac_allow", config.mac_allow), ("mac_deny", config.mac_deny)):
        for m in macs:
            if validate.mac(m, field) != m:
                raise validate.HotspotValueError(
                    field,
                    f"{m!r} is not normalised",
                    "hotspot.render.not-normalised",
                    value=repr(m),
                )
    if not 1 <= config.max_clients <= 2007:
        raise validate.HotspotValueError(
            "max_clients", "must be 1-2007", "hotspot.render.range", min=1, max=2007
        )
    _check_person_keys(config)


def hostapd_conf(config: ApConfig, files: HostapdFiles) -> str:
    """The whole hostapd.conf for ``config``."""
    check(config)
    for field in ("ctrl_dir", "accept_file", "deny_file"):
        validate.path_text(getattr(files, field), field)
    psk_file = config.person_keys and _uses_psk(config)
    if psk_file:
        if files.psk_file is None:
            raise validate.HotspotValueError(
                "psk_file", "is needed for per-person WPA2 keys", "hotspot.render.psk-file"
            )
        validate.path_text(files.psk_file, "psk_file")
    if files.driver not in ("nl80211", "wired"):
        raise validate.HotspotValueError(
            "driver",
            f"{files.driver!r} is not supported",
            "hotspot.render.driver",
            value=repr(files.driver),
        )
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
        if psk_file and files.psk_file is not None:
            lines.append(_line("wpa_psk_file", files.psk_file))
        lines += [_line("rsn_pairwise", "CCMP"), _line("ieee80211w", _PMF[config.security])]
        if config.security == "wpa2-wpa3":
            lines.append(_line("sae_require_mfp", 1))
        sae_keys = [key for key in config.person_keys if key.sae]
        if sae_keys and _uses_sae(config):
            # Password identifiers need hash-to-element; 2 keeps hunting-and-pecking for the rest.
            lines.append(_line("sae_pwe", 2))
            for key in sae_keys:
                lines.append(_line("sae_password", f"{key.passphrase}|id={key.key_id}"))
    return "\n".join(lines) + "\n"


def wpa_psk_file(config: ApConfig) -> str:
    """The ``wpa_psk_file`` for ``config``'s per-person keys (empty when WPA2 is not offered)."""
    check(config)
    if not _uses_psk(config):
        return ""
    # The all-zero MAC lets any station use the key; hostapd takes the passphrase to the end of
    # the line, so spaces and '#' inside it are literal.
    return "".join(
        _line("keyid", key.key_id) + f" 00:00:00:00:00:00 {key.passphrase}\n"
        for key in config.person_keys
    )


def mac_file(macs: tuple[str, ...]) -> str:
    """An accept/deny file: one validated MAC address per line."""
    return "".join(validate.mac(m) + "\n" for m in macs)
