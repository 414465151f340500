"""The data plane's plug-in: its processes (quota monitor, dnsmasq) and the new-device registry."""

from __future__ import annotations

from simspot.daemon.capabilities import Capability, Installer


def install(inst: Installer) -> None:
    from simspot.dataplane.api import router
    from simspot.dataplane.devices import DeviceRegistry

    daemon = inst.daemon
    for component in daemon.backends.dataplane.components():
        daemon.supervisor.add(component)
    # New devices: remembered, admitted at a bounded rate, approved when approval is on.
    devices = DeviceRegistry(daemon)
    daemon.spec_hooks.append(devices.spec_hook)
    daemon.routers.append(router(devices))


CAPABILITY = Capability(name="dataplane", install=install)
