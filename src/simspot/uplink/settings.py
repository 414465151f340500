"""The ``[uplink]`` config section: the owner's ordered rules, hysteresis, links and probes.

Example::

    [uplink]
    rules = ["healthy", "prefer-wired", "avoid-roaming", "cheapest", "signal-floor"]
    fail_after = 3            # failed probe rounds in a row before an uplink counts as down
    up_after = 2              # good rounds in a row before it counts as up again
    failback_dwell_s = 60     # a better uplink must have been up this long before moving back
    min_dwell_s = 30          # at least this long between two switches the rules ask for
    max_switches_per_hour = 6
    signal_floor_percent = 15
    preferred = ["wan:eth1", "8944200000000000017"]

    [[uplink.wired]]
    interface = "eth1"

    [[uplink.wifi]]
    name = "home"
    interface = "wlan1"
    home = true

    [uplink.candidates."89860110000000000214"]
    home_mcc = "460"

A pin (``simspot uplink use ID``) and "never an exhausted or expired plan, or one without
tethering allowance" are not rules to order: a pin always wins, a used-up plan is never chosen.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from simspot.configbase import Section

RULES: tuple[str, ...] = (
    "healthy",  # an uplink that answers its probes before one that does not
    "signal-floor",  # a cellular uplink above the signal floor before one below it
    "prefer-wired",  # wired or home Wi-Fi while healthy
    "avoid-roaming",  # not roaming when some uplink is at home in the country the box is in
    "cheapest",  # the lowest price per GB
    "preferred",  # the owner's order in `preferred`
)
DEFAULT_RULES: tuple[str, ...] = (
    "healthy",
    "signal-floor",
    "prefer-wired",
    "avoid-roaming",
    "cheapest",
    "preferred",
)

_IFNAME = re.compile(r"^[A-Za-z0-9_.:-]{1,15}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_ID = re.compile(
    r"^(?:[0-9]{18,20}[0-9Ff]?|wan:[A-Za-z0-9_.:-]{1,15}|wifi:[a-z0-9][a-z0-9_-]{0,31})$"
)


def _ifname(value: str) -> str:
    if not _IFNAME.match(value) or value in (".", ".."):
        raise ValueError(f"{value!r} is not an interface name (1-15 letters, digits, _ . : -)")
    return value


class WiredUplink(Section):
    """An Ethernet WAN port (address by DHCP or static: whatever configured the interface)."""

    interface: str
    home: bool = True  # preferred while healthy (the `prefer-wired` rule)
    metered: bool = False  # probed sparingly when metered

    @field_validator("interface")
    @classmethod
    def _interface(cls, value: str) -> str:
        return _ifname(value)


class WifiUplink(Section):
    """A Wi-Fi client link (hotel or home Wi-Fi).

    With ``ssid`` and ``psk_file`` simspot joins it itself when the policy chooses it: through the
    interface's wpa_supplicant (its control socket in ``ctrl_dir``) or NetworkManager (D-Bus).
    Without them simspot uses the link while something else keeps it up.
    """

    name: str
    interface: str
    ssid: str | None = Field(default=None, min_length=1, max_length=32)
    # A file holding the passphrase (8-63 characters) or the 64-hex-digit PSK, root only.
    psk_file: Path | None = None
    # Who joins the network: the interface's wpa_supplicant (over its control socket) or
    # NetworkManager (over D-Bus).
    backend: Literal["wpa_supplicant", "networkmanager"] = "wpa_supplicant"
    # wpa_supplicant's control socket directory (its ctrl_interface).
    ctrl_dir: str = Field(default="/run/wpa_supplicant", pattern=r"^/[A-Za-z0-9_./-]{0,200}$")
    priority: int = Field(default=0, ge=0, le=1000)  # wpa_supplicant's, among its networks
    home: bool = False
    metered: bool = False

    @field_validator("ssid")
    @classmethod
    def _ssid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) < 0xA0 for ch in value):
            raise ValueError("the SSID contains a control character")
        if len(value.encode("utf-8")) > 32:
            raise ValueError("the SSID is longer than 32 bytes")
        return value

    @model_validator(mode="after")
    def _joinable(self) -> WifiUplink:
        if self.psk_file is not None and self.ssid is None:
            raise ValueError("psk_file needs the ssid it is for")
        return self

    @field_validator("interface")
    @classmethod
    def _interface(cls, value: str) -> str:
        return _ifname(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r}: use 1-32 lower-case letters, digits, _ or -")
        return value


class CandidateOverride(Section):
    """What simspot cannot read itself about one SIM or eSIM profile."""

    label: str | None = Field(default=None, min_length=1, max_length=64)
    home_mcc: str | None = Field(default=None, pattern=r"^[0-9]{3}$")


class ProbeSettings(Section):
    """Health probes sent through each hot uplink (bound to its interface)."""

    dns_server: str | None = "1.1.1.1"
    dns_name: str = Field(default="example.com", min_length=1, max_length=253)
    http_url: str | None = "http://connectivitycheck.gstatic.com/generate_204"
    http_expect: list[int] = Field(default_factory=lambda: [204, 200], min_length=1)
    tcp_target: str | None = None  # "host:port": a TCP connect in place of ICMP
    timeout_s: float = Field(default=0.8, gt=0, le=30)
    interval_s: float = Field(default=1.0, ge=0.2, le=3600)
    # A round not answered this soon (or 3x the link's usual latency, at most timeout_s) makes the
    # link suspect: the next rounds start failure_interval_s apart without waiting for the first
    # to time out (at most fail_after rounds), so a dead link is down in about one timeout_s.
    suspect_after_s: float = Field(default=0.25, ge=0.05, le=30)
    # While the link is suspect (a round late or failed), further rounds start this often.
    failure_interval_s: float = Field(default=0.1, ge=0.05, le=3600)
    # A metered link (cellular, or a link marked metered) is probed at this interval instead.
    metered_interval_s: float = Field(default=30.0, ge=0.2, le=86400)

    @field_validator("http_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(
            r"^http://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$", value
        ):
            raise ValueError(f"{value!r} is not a plain http:// URL (the check must not need TLS)")
        return value

    @field_validator("tcp_target")
    @classmethod
    def _tcp(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{value!r} is not host:port")
        return value

    @field_validator("http_expect")
    @classmethod
    def _codes(cls, value: list[int]) -> list[int]:
        bad = [c for c in value if not 100 <= c <= 599]
        if bad:
            raise ValueError(f"{bad[0]} is not an HTTP status code")
        return value


class UplinkSettings(Section):
    # "auto": the policy chooses; "manual": only `simspot uplink use` changes the uplink.
    mode: Literal["auto", "manual"] = "auto"
    rules: list[str] = Field(default_factory=lambda: list(DEFAULT_RULES))
    interval_s: float = Field(default=1.0, ge=0.1, le=600)  # how often the policy looks
    fail_after: int = Field(default=3, ge=1, le=10)
    up_after: int = Field(default=2, ge=1, le=10)
    failback_dwell_s: float = Field(default=60.0, ge=0, le=86400)
    min_dwell_s: float = Field(default=30.0, ge=0, le=86400)
    # A preference (not a failover) must hold this long before it switches.
    confirm_s: float = Field(default=10.0, ge=0, le=86400)
    max_switches_per_hour: int = Field(default=6, ge=1, le=120)
    signal_floor_percent: int = Field(default=15, ge=0, le=100)
    signal_hysteresis_percent: int = Field(default=10, ge=0, le=50)
    cold_switch_timeout_s: float = Field(default=90.0, gt=0, le=600)
    preferred: list[str] = Field(default_factory=list, max_length=64)
    wired: list[WiredUplink] = Field(default_factory=list, max_length=8)
    wifi: list[WifiUplink] = Field(default_factory=list, max_length=8)
    candidates: dict[str, CandidateOverride] = Field(default_factory=dict)
    probes: ProbeSettings = ProbeSettings()
    # The primary default route's metric (the chosen uplink's); other links keep theirs.
    route_metric: int = Field(default=5, ge=0, le=65535)

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: list[str]) -> list[str]:
        for rule in value:
            if rule not in RULES:
                raise ValueError(f"unknown rule {rule!r}; the rules are {', '.join(RULES)}")
        dup = sorted({r for r in value if value.count(r) > 1})
        if dup:
            raise ValueError(f"rule {dup[0]!r} is listed twice")
        return value

    @field_validator("preferred")
    @classmethod
    def _preferred(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _ID.match(item):
                raise ValueError(
                    f"{item!r} is not an uplink id (an ICCID, wan:<interface> or wifi:<name>)"
                )
        if len(set(value)) != len(value):
            raise ValueError("an uplink is listed twice")
        return value

    @field_validator("candidates")
    @classmethod
    def _candidate_ids(cls, value: dict[str, CandidateOverride]) -> dict[str, CandidateOverride]:
        for key in value:
            if not re.match(r"^[0-9]{18,20}[0-9Ff]?$", key):
                raise ValueError(f"{key!r} is not an ICCID (18 to 20 digits)")
        return value

    @model_validator(mode="after")
    def _links(self) -> UplinkSettings:
        names = [w.interface for w in self.wired] + [w.interface for w in self.wifi]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"wired/wifi: interface {dup[0]!r} is listed twice")
        wifi = [w.name for w in self.wifi]
        if len(set(wifi)) != len(wifi):
            raise ValueError("wifi: two links have the same name")
        return self
