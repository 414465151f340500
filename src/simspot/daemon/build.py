"""Backends chosen by name from the config, imported lazily (D-Bus code only loads where used).

One function per backend kind; each capability edits only its own function.
"""

from __future__ import annotations

from simspot.config import Config
from simspot.contracts import BatteryBackend, ModemBackend, StationSource
from simspot.daemon.runtime import Backends
from simspot.dataplane.contract import DataPlane
from simspot.errors import ConfigError
from simspot.simulator.world import World


def build_backends(config: Config) -> Backends:
    from simspot.simulator.world import WorldClock

    world = World(seed=config.simulator.seed, speed=config.simulator.speed)
    world.populate(config.simulator.clients)
    backends = Backends(
        modem=_modem(config, world),
        battery=_battery(config, world),
        stations=_stations(config, world),
        dataplane=_dataplane(config, world),
    )
    backends.extra["world"] = world
    backends.components.append(WorldClock(world, config.simulator.tick_s))
    return backends


def _modem(config: Config, world: World) -> ModemBackend:
    if config.modem.backend == "sim":
        from simspot.simulator.modem import SimulatedModem

        return SimulatedModem(world)
    if config.modem.backend == "modemmanager":
        from simspot.modem.mm import ModemManagerBackend
        from simspot.modem.pin import PinPolicy

        m = config.modem
        return ModemManagerBackend(
            bus_address=m.dbus_address,
            apns=m.apn,
            default_apn=m.default_apn,
            pin_policy=PinPolicy(
                keep=m.pin_keep_attempts, allow_unknown=m.pin_when_retries_unknown
            ),
            refresh_interval_s=m.poll_interval_s,
            switch_timeout_s=m.switch_timeout_s,
        )
    raise ConfigError(f"modem.backend: {config.modem.backend!r} is not available yet")


def _battery(config: Config, world: World) -> BatteryBackend | None:
    if config.battery.backend == "sim":
        from simspot.simulator.battery import SimulatedBattery

        return SimulatedBattery(world)
    if config.battery.backend == "none":
        return None
    from simspot.modem.sysfs import SysfsBattery

    sysfs = SysfsBattery(config.battery.sysfs_root)
    if config.battery.backend == "sysfs":
        return sysfs
    if config.battery.backend == "upower":
        from simspot.modem.upower import UPowerBattery

        fallback = sysfs if config.battery.sysfs_fallback else None
        return UPowerBattery(bus_address=config.battery.dbus_address, fallback=fallback)
    raise ConfigError(f"battery.backend: {config.battery.backend!r} is not available yet")


def _stations(config: Config, world: World) -> StationSource:
    """The AP backend wrapped as the station source (AP station table joined with leases).

    The hotspot capability takes the AP from it and, for real backends, joins the data plane's
    DHCP leases; the simulated AP gets addresses and names from the simulated world.
    """
    from simspot.hotspot.clients import HotspotStations

    hs = config.hotspot
    if hs.backend == "sim":
        from simspot.simulator.ap import SimulatedAp
        from simspot.simulator.clients import SimulatedStations

        return HotspotStations(SimulatedAp(world), leases=SimulatedStations(world))
    if hs.backend == "hostapd":
        from simspot.hotspot.hostapd import HostapdAp

        return HotspotStations(
            HostapdAp(config.daemon.state_dir / "hostapd", netns=config.dataplane.netns)
        )
    if hs.backend == "networkmanager":
        from simspot.hotspot.nm import NetworkManagerAp

        return HotspotStations(NetworkManagerAp(hs.interface, ipv4_address=hs.nm_address))
    from simspot.hotspot.noneap import NoAp

    return HotspotStations(NoAp())


def _dataplane(config: Config, world: World) -> DataPlane:
    if config.dataplane.backend == "nft":
        from simspot.dataplane.real import NftDataPlane

        return NftDataPlane(config.dataplane, config.daemon.state_dir)
    from simspot.simulator.clients import SimulatedDataPlane

    return SimulatedDataPlane(world)
