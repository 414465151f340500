"""Where an uplink's interface state and probe rounds come from: the kernel, or the data plane.

On a box, an uplink is a kernel interface: it is up when ``/sys/class/net`` says so, and a probe
round goes through a socket bound to it (:mod:`simspot.uplink.probe`). A data plane whose uplinks
are not kernel interfaces here (the simulator's world: its modems' bearers and wired WAN) says
itself whether a link is up and answers probe rounds through it, by implementing
:class:`ProbesLinks`; the uplink service then asks it instead of the kernel.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from simspot.uplink.probe import Round, interface_up, probe_round
from simspot.uplink.settings import ProbeSettings


@runtime_checkable
class ProbesLinks(Protocol):
    """A data plane that knows its uplinks' state and answers probe rounds through them."""

    def link_up(self, interface: str) -> bool: ...

    async def probe(
        self, interface: str, probes: ProbeSettings, cache: dict[str, str] | None = None
    ) -> Round: ...


class KernelLinks:
    """The real links: the interface's operstate, probes through a socket bound to it."""

    def link_up(self, interface: str) -> bool:
        return interface_up(interface)

    async def probe(
        self, interface: str, probes: ProbeSettings, cache: dict[str, str] | None = None
    ) -> Round:
        return await probe_round(interface, probes, cache)


def links_of(dataplane: object) -> ProbesLinks:
    """The data plane itself when it probes its links, else the kernel's."""
    if isinstance(dataplane, ProbesLinks):
        return dataplane
    return KernelLinks()
