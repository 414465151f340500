"""Configuration: a TOML file validated by pydantic models.

Every section refuses unknown keys, wrong types and out-of-range values, and the error names the
key (``battery.stop_percent: must be at most 100, got 150``). The daemon refuses to start on a
bad file rather than guess. Each capability owns the model of its own section, in its package.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from simspot import registry
from simspot.configbase import Section, describe_problems
from simspot.dataplane.settings import DataplaneSettings
from simspot.errors import ConfigError
from simspot.esim.settings import EsimSettings
from simspot.fleet.settings import FleetSettings
from simspot.hotspot.settings import HotspotSettings
from simspot.paths import DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR
from simspot.plans.settings import PlansSettings
from simspot.uplink.settings import UplinkSettings

_HOSTNAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?"
)


class DaemonSettings(Section):
    state_dir: Path = DEFAULT_STATE_DIR
    api_host: str = Field(default="127.0.0.1", min_length=1)
    api_port: int = Field(default=8765, ge=0, le=65535)  # 0: any free port
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "text"] = "auto"
    # Seconds between supervisor restarts of a failed component: first, then doubling to max.
    restart_backoff_s: float = Field(default=1.0, gt=0, le=60)
    restart_backoff_max_s: float = Field(default=60.0, gt=0, le=3600)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
    # networks). Empty: no proxy header is trusted, the peer address is the client.
    trusted_proxies: list[str] = Field(default_factory=list, max_length=32)
    # Host names (or addresses) the API answers to besides loopback, the LAN address and a
    # specific api_host; any other Host header is refused (DNS rebinding).
    allowed_hosts: list[str] = Field(default_factory=list, max_length=32)
    # Seconds a web login lasts (its event streams end with it).
    session_ttl_s: float = Field(default=12 * 3600, ge=5, le=30 * 86400)
    # Serve the API and web UI on the LAN address too (phones on the hotspot), over HTTPS with a
    # self-signed certificate kept in the state directory (its fingerprint: `simspot status`).
    # Never on an uplink; the data plane's firewall lets only the LAN reach this port.
    lan_https: bool = True
    # The TCP port of the HTTPS admin page on the LAN address.
    lan_https_port: int = Field(default=8443, ge=1, le=65535)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            try:
                out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ConfigError(
                    msg_id="config.not-network", params={"value": repr(item)}
                ) from None
        return out

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            host = item.strip().lower().removeprefix("[").removesuffix("]")
            try:
                out.append(str(ipaddress.ip_address(host)))
                continue
            except ValueError:
                pass
            if not _HOSTNAME.fullmatch(host):
                raise ConfigError(msg_id="config.not-host", params={"value": repr(item)})
            out.append(host.rstrip("."))
        return out


class ApnConfig(Section):
    """The data connection settings of one uplink identity (a SIM or an eSIM profile)."""

    apn: str = Field(default="internet", min_length=1, max_length=100)
    username: str | None = None
    password: str | None = None
    ip_type: Literal["ipv4", "ipv6", "ipv4v6"] = "ipv4v6"


class ModemSettings(Section):
    # Unset: "none" on a real box, "simulated" with the simulator (see simspot.registry).
    backend: str | None = None
    poll_interval_s: float = Field(default=5.0, gt=0, le=3600)
    # D-Bus address to use instead of the system bus (containers, tests with a private bus).
    dbus_address: str | None = None
    # APN per uplink identity, keyed by ICCID: `[modem.apn."8944..."]`; others use default_apn.
    apn: dict[str, ApnConfig] = Field(default_factory=dict)
    default_apn: ApnConfig = ApnConfig()
    # SIM PIN entered automatically when the SIM asks for it (never spending the last attempt).
    pin: str | None = Field(default=None, pattern=r"^[0-9]{4,8}$")
    # PIN attempts simspot never spends (1: never the last one, which would need the PUK).
    pin_keep_attempts: int = Field(default=1, ge=1, le=3)
    # Whether to try a PIN when the modem does not say how many attempts are left.
    pin_when_retries_unknown: bool = False
    # Seconds to wait for ModemManager to re-probe the modem after a SIM slot switch.
    switch_timeout_s: float = Field(default=90.0, gt=0, le=600)

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        return registry.check_name("modem", value)

    def apn_for(self, iccid: str | None) -> ApnConfig:
        """The APN settings of an uplink identity: its own entry, else the default."""
        return self.apn.get(iccid, self.default_apn) if iccid else self.default_apn


class BatterySettings(Section):
    # Unset: "none" on a real box, "simulated" with the simulator.
    backend: str | None = None
    warn_percent: int = Field(default=20, ge=0, le=100)
    stop_percent: int = Field(default=10, ge=0, le=100)
    # Sharing resumes once the battery is this many points above stop_percent (or charging).
    hysteresis_percent: int = Field(default=3, ge=0, le=50)
    dbus_address: str | None = None  # instead of the system bus (tests, containers)
    # Where the sysfs backend (and the UPower backend's fallback) reads batteries.
    sysfs_root: Path = Path("/sys/class/power_supply")
    # The upower backend reads sysfs when UPower is not running.
    sysfs_fallback: bool = True

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        return registry.check_name("battery", value)

    @model_validator(mode="after")
    def _stop_below_warn(self) -> BatterySettings:
        if self.stop_percent > self.warn_percent:
            raise ConfigError(
                msg_id="config.stop-above-warn",
                params={"stop": self.stop_percent, "warn": self.warn_percent},
            )
        return self


class SimulatorSettings(Section):
    """The built-in simulated world (used by `simspot demo` and `simspot serve --simulate`)."""

    seed: int | None = None
    clients: int = Field(default=4, ge=0, le=250)
    # How many simulated seconds pass per real second (1 = real time).
    speed: float = Field(default=1.0, gt=0, le=10000)
    tick_s: float = Field(default=1.0, gt=0, le=60)
    # Seed a new state directory as the demo shows it: a plan on each SIM and, on an empty
    # virtual eUICC, an operator profile downloaded through the real flow and enabled.
    demo_data: bool = True
    # Simulated modems: the first (a physical SIM and the eUICC), and a second with its own SIM.
    modems: int = Field(default=1, ge=1, le=2)
    # A wired WAN port (interface "simwan0", its cable unplugged at first); list it in
    # [[uplink.wired]] for the uplink policy to use it.
    wired_wan: bool = False
    # A scripted story the demo plays (`simspot demo --scenario`): travel, home or outage.
    scenario: Literal["travel", "home", "outage"] | None = None


class Config(Section):
    daemon: DaemonSettings = DaemonSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    modem: ModemSettings = ModemSettings()
    battery: BatterySettings = BatterySettings()
    dataplane: DataplaneSettings = DataplaneSettings()
    hotspot: HotspotSettings = HotspotSettings()
    plans: PlansSettings = PlansSettings()
    esim: EsimSettings = EsimSettings()
    uplink: UplinkSettings = UplinkSettings()
    fleet: FleetSettings = FleetSettings()

    @model_validator(mode="after")
    def _possible(self) -> Config:
        """Combinations of sections that cannot work, refused with the key to change."""
        dp, hs = self.dataplane, self.hotspot
        sim = self.simulator
        if sim.wired_wan and "simwan0" not in {w.interface for w in self.uplink.wired}:
            raise ConfigError(msg_id="config.wired-wan-unlisted")
        if sim.scenario is not None and (sim.modems < 2 or not sim.wired_wan or not sim.demo_data):
            raise ConfigError(
                msg_id="config.scenario-needs", params={"scenario": repr(sim.scenario)}
            )
        if self.daemon.restart_backoff_s > self.daemon.restart_backoff_max_s:
            raise ConfigError(msg_id="config.backoff-order")
        if dp.uplink_interface is not None and dp.uplink_interface == dp.lan_interface:
            raise ConfigError(msg_id="config.uplink-is-lan", params={"interface": dp.lan_interface})
        if dp.backend == "nft":
            if hs.backend in ("hostapd", "networkmanager") and dp.lan_interface != hs.interface:
                raise ConfigError(
                    msg_id="config.lan-not-ap", params={"lan": dp.lan_interface, "ap": hs.interface}
                )
            if self.modem.backend == "none" and dp.uplink_interface is None:
                raise ConfigError(msg_id="config.uplink-needed")
        return self


def validate(data: dict[str, Any], source: str = "config") -> Config:
    """Validate a parsed document; raise ConfigError naming every bad key."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = describe_problems(Config, exc, data)
        raise ConfigError(
            msg_id="config.invalid", params={"source": source, "problems": problems}
        ) from None


def load(path: Path | None, *, required: bool = False) -> Config:
    """Load and validate a TOML config. A missing default file means all defaults."""
    p = path or DEFAULT_CONFIG_PATH
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required or path is not None:
            raise ConfigError(msg_id="config.not-found", params={"path": str(p)}) from None
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            msg_id="config.unreadable", params={"path": str(p), "error": str(exc)}
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            msg_id="config.not-toml", params={"path": str(p), "error": str(exc)}
        ) from None
    return validate(data, str(p))
