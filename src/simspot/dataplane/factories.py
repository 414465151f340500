"""Factory of the real data plane backend (see simspot.registry), imported when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simspot.dataplane.contract import DataPlane

if TYPE_CHECKING:
    from simspot.daemon.build import BuildEnv


def nft(env: BuildEnv) -> DataPlane:
    from simspot.daemon.tls import lan_admin_ports
    from simspot.dataplane.real import NftDataPlane

    ports = lan_admin_ports(env.config.daemon)
    return NftDataPlane(env.config.dataplane, env.state_dir, admin_ports=ports)
