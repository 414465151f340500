"""The data plane's plug-in: supervise the real data plane's processes (nft monitor, dnsmasq).

With ``dataplane.backend = "nft"`` and the simulated AP (``hotspot.backend = "sim"``), the
station list comes from dnsmasq's leases: the simulated AP's clients do not exist on a real LAN
(wired sharing, and the namespace lab).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon


def install(daemon: Daemon) -> None:
    from simspot.dataplane.real import NftDataPlane

    dp = daemon.backends.dataplane
    if not isinstance(dp, NftDataPlane):
        return
    for component in dp.components():
        daemon.supervisor.add(component)
    if daemon.config.hotspot.backend == "sim":
        daemon.backends.stations = dp.stations()
