"""Building the backends: each kind chosen by name from the registry, the simulator as a profile.

``build_backends(config, simulate=...)`` resolves every backend name (the config's, else the
profile's default), refuses simulated backends unless the daemon runs with the simulator, and calls
each factory (imported only then). With ``simulate`` the simulator's world is created once, shared
by the simulated backends, and connected where the real things are connected (the simulated
modem's eUICC slot reads the virtual eUICC); with real backends no simulator module is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simspot import registry
from simspot.config import Config
from simspot.errors import ConfigError
from simspot.registry import Kind

if TYPE_CHECKING:
    from simspot.daemon.runtime import Backends
    from simspot.simulator.profile import Simulator

# Without the simulator nothing is simulated: what the box has must be configured (`simspot
# setup` writes it). The data plane has one real backend.
LIVE_DEFAULTS: dict[Kind, str] = {
    "modem": "none",
    "battery": "none",
    "dataplane": "nft",
    "hotspot": "none",
    "esim": "none",
}


def configured(config: Config) -> dict[Kind, str | None]:
    return {
        "modem": config.modem.backend,
        "battery": config.battery.backend,
        "dataplane": config.dataplane.backend,
        "hotspot": config.hotspot.backend,
        "esim": config.esim.transport,
    }


def resolve(config: Config, *, simulate: bool) -> dict[Kind, str]:
    """The backend of every kind: the config's choice, else the profile's default.

    Refuses a simulated backend without the simulator, naming the key and the real choices,
    and combinations that cannot work.
    """
    chosen: dict[Kind, str] = {}
    for kind, value in configured(config).items():
        if value is None:
            if simulate:
                value = next(c.name for c in registry.choices(kind) if c.simulated)
            else:
                value = LIVE_DEFAULTS[kind]
        elif registry.choice(kind, value).simulated and not simulate:
            raise ConfigError(
                f"{registry.CONFIG_KEY[kind]} = {value!r} is the built-in simulator, which runs "
                "only with `simspot serve --simulate` or `simspot demo`; on a real box choose "
                f"one of: {', '.join(registry.names(kind, simulated=False))}",
                msg_id="config.simulated-live",
                params={
                    "key": registry.CONFIG_KEY[kind],
                    "value": repr(value),
                    "choices": ", ".join(registry.names(kind, simulated=False)),
                },
            )
        chosen[kind] = value
    if chosen["hotspot"] == "simulated" and chosen["dataplane"] != "simulated":
        if config.hotspot.backend is None:
            chosen["hotspot"] = "none"  # a real LAN: its DHCP leases are the clients
        else:
            raise ConfigError(
                'hotspot.backend = "simulated": the simulated AP\'s clients exist only in the '
                'simulated data plane; with dataplane.backend = "nft" use hotspot.backend = '
                '"none" (wired sharing) or a real AP',
                msg_id="config.simulated-ap",
            )
    return chosen


@dataclass
class BuildEnv:
    """What a backend factory is given: the config, the state directory, the simulator."""

    config: Config
    simulate: bool
    chosen: dict[Kind, str]
    _simulator: Simulator | None = field(default=None, repr=False)

    @property
    def state_dir(self) -> Path:
        return self.config.daemon.state_dir

    def simulator(self) -> Simulator:
        """The simulated world shared by every simulated backend (created on first use)."""
        if not self.simulate:
            raise ConfigError(
                "the simulator is not running (start with --simulate)", msg_id="config.no-simulator"
            )
        if self._simulator is None:
            from simspot.simulator.profile import Simulator

            self._simulator = Simulator(self.config)
        return self._simulator


def build_backends(config: Config, *, simulate: bool = False) -> Backends:
    from simspot.daemon.runtime import Backends

    env = BuildEnv(config, simulate, resolve(config, simulate=simulate))

    def make(kind: Kind) -> Any:
        return registry.factory(kind, env.chosen[kind])(env)

    backends = Backends(
        modem=make("modem"),
        battery=make("battery"),
        dataplane=make("dataplane"),
        access_point=make("hotspot"),
        card=make("esim"),
        chosen=dict(env.chosen),
        simulate=simulate,
    )
    if env._simulator is not None:
        backends.components.extend(env._simulator.components())
        backends.capabilities.extend(env._simulator.capabilities())
    return backends


def simulated_keys(chosen: dict[Kind, str]) -> tuple[str, ...]:
    """The config keys whose backend is the simulator's (for the SIMULATED mark)."""
    return tuple(
        f"{registry.CONFIG_KEY[k]}={v}"
        for k, v in chosen.items()
        if registry.choice(k, v).simulated
    )
