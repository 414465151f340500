"""Factory of the real data plane backend (see simspot.registry), imported when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simspot.dataplane.contract import DataPlane
from simspot.errors import ConfigError

if TYPE_CHECKING:
    from simspot.daemon.build import BuildEnv


def nft(env: BuildEnv) -> DataPlane:
    from simspot.daemon.tls import lan_admin_ports
    from simspot.dataplane.real import NftDataPlane

    conf = env.config
    ports = lan_admin_ports(conf.daemon)
    taken = sorted(set(ports) & set(conf.dataplane.uplink_allow_tcp))
    if taken:
        raise ConfigError(
            field="dataplane.uplink_allow_tcp",
            msg_id="dataplane.config.admin-port-on-uplink",
            params={"port": taken[0]},
        )
    # Every interface an uplink may come through is the uplink side for the firewall, whether
    # it carries traffic now or not (hot ones are added per apply by the uplink layer too).
    wan = [
        *([conf.dataplane.uplink_interface] if conf.dataplane.uplink_interface else []),
        *(w.interface for w in conf.uplink.wired),
        *(w.interface for w in conf.uplink.wifi),
    ]
    return NftDataPlane(conf.dataplane, env.state_dir, admin_ports=ports, wan_interfaces=tuple(wan))
