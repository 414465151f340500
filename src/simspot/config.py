"""Configuration: a TOML file validated by pydantic models.

Every section refuses unknown keys, wrong types and out-of-range values, and the error names the
key (``battery.stop_percent: must be at most 100, got 150``). The daemon refuses to start on a
bad file rather than guess. Each capability owns the model of its own section, in its package.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from simspot.configbase import Section
from simspot.dataplane.settings import DataplaneSettings
from simspot.errors import ConfigError
from simspot.esim.settings import EsimSettings
from simspot.hotspot.settings import HotspotSettings
from simspot.plans.settings import PlansSettings

DEFAULT_CONFIG_PATH = Path("/etc/simspot/simspot.toml")
DEFAULT_STATE_DIR = Path("/var/lib/simspot")


class DaemonSettings(Section):
    state_dir: Path = DEFAULT_STATE_DIR
    api_host: str = Field(default="127.0.0.1", min_length=1)
    api_port: int = Field(default=8765, ge=0, le=65535)  # 0: any free port
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "text"] = "auto"
    # Seconds between supervisor restarts of a failed component: first, then doubling to max.
    restart_backoff_s: float = Field(default=1.0, gt=0, le=60)
    restart_backoff_max_s: float = Field(default=60.0, gt=0, le=3600)


class ModemSettings(Section):
    backend: Literal["sim", "modemmanager"] = "sim"
    poll_interval_s: float = Field(default=5.0, gt=0, le=3600)


class BatterySettings(Section):
    backend: Literal["sim", "upower", "sysfs", "none"] = "sim"
    warn_percent: int = Field(default=20, ge=0, le=100)
    stop_percent: int = Field(default=10, ge=0, le=100)


class SimulatorSettings(Section):
    """The built-in simulated world (used by `simspot demo` and whenever a backend is `sim`)."""

    seed: int | None = None
    clients: int = Field(default=4, ge=0, le=250)
    # How many simulated seconds pass per real second (1 = real time).
    speed: float = Field(default=1.0, gt=0, le=10000)
    tick_s: float = Field(default=1.0, gt=0, le=60)


class Config(Section):
    daemon: DaemonSettings = DaemonSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    modem: ModemSettings = ModemSettings()
    battery: BatterySettings = BatterySettings()
    dataplane: DataplaneSettings = DataplaneSettings()
    hotspot: HotspotSettings = HotspotSettings()
    plans: PlansSettings = PlansSettings()
    esim: EsimSettings = EsimSettings()


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"{loc}: unknown key"
    if kind == "missing":
        return f"{loc}: required key is missing"
    got = err.get("input")
    msg = str(err.get("msg", "invalid value"))
    if kind not in ("model_type",) and not isinstance(got, dict):
        return f"{loc}: {msg} (got {got!r})"
    return f"{loc}: {msg}"


def validate(data: dict[str, Any], source: str = "config") -> Config:
    """Validate a parsed document; raise ConfigError naming every bad key."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(dict(e)) for e in exc.errors()]
        raise ConfigError(f"{source}: " + "; ".join(problems)) from None


def load(path: Path | None, *, required: bool = False) -> Config:
    """Load and validate a TOML config. A missing default file means all defaults."""
    p = path or DEFAULT_CONFIG_PATH
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required or path is not None:
            raise ConfigError(f"{p}: config file not found") from None
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read config file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return validate(data, str(p))
