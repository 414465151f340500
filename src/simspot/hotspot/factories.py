"""Factories of the access point backends (see simspot.registry), imported when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simspot.hotspot.contract import AccessPoint

if TYPE_CHECKING:
    from simspot.daemon.build import BuildEnv


def hostapd(env: BuildEnv) -> AccessPoint:
    from simspot.hotspot.hostapd import HostapdAp

    return HostapdAp(env.state_dir / "hostapd", netns=env.config.dataplane.netns)


def networkmanager(env: BuildEnv) -> AccessPoint:
    from simspot.hotspot.nm import NetworkManagerAp

    hs = env.config.hotspot
    return NetworkManagerAp(hs.interface, ipv4_address=hs.nm_address)


def no_ap(env: BuildEnv) -> AccessPoint:
    from simspot.hotspot.noneap import NoAp

    return NoAp()
