"""Backends chosen by name from the config, imported lazily (D-Bus code only loads where used)."""

from __future__ import annotations

from simspot.config import Config
from simspot.daemon.runtime import Backends
from simspot.errors import ConfigError


def build_backends(config: Config) -> Backends:
    from simspot.sim.world import World

    world = World(seed=config.simulator.seed, speed=config.simulator.speed)
    world.populate(config.simulator.clients)

    if config.modem.backend == "sim":
        from simspot.sim.modem import SimModem

        modem = SimModem(world)
    else:
        raise ConfigError(f"modem.backend: {config.modem.backend!r} is not available yet")

    battery = None
    if config.battery.backend == "sim":
        from simspot.sim.battery import SimBattery

        battery = SimBattery(world)
    elif config.battery.backend != "none":
        raise ConfigError(f"battery.backend: {config.battery.backend!r} is not available yet")

    from simspot.sim.clients import SimAccessPoint, SimDataPlane

    backends = Backends(
        modem=modem,
        battery=battery,
        stations=SimAccessPoint(world),
        dataplane=SimDataPlane(world),
    )
    backends.extra["world"] = world
    from simspot.sim.world import WorldClock

    backends.components.append(WorldClock(world, config.simulator.tick_s))
    return backends
