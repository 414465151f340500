"""The devices routes under /api/v1/devices: who has been on the LAN, approval, DHCP pool use."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.dataplane.devices import DeviceRegistry

Mac = Annotated[str, Path(min_length=1, max_length=32, description="aa:bb:cc:dd:ee:ff")]


class DeviceOut(Out):
    mac: str
    hostname: str | None
    vendor: str  # IEEE's registry (Debian's ieee-data), "private address ...", "unknown vendor"
    first_seen: float  # Unix time
    last_seen: float
    approved: bool
    # held: over the new-device rate (let in when a minute has room); waiting: for approval;
    # allowed: approval is off; approved: by the owner.
    state: Literal["held", "waiting", "allowed", "approved"]
    present: bool


class PoolOut(Out):
    size: int
    used: int


class DropsOut(Out):
    """Packets from the LAN dropped and billed to nobody, since the data plane's table began."""

    spoofed_packets: int  # a client's MAC with an address not bound to it
    unknown_packets: int  # a MAC that is not an admitted client
    learn_limited_packets: int  # new IPv6 sources over the per-MAC learning rate


class DevicesOut(Out):
    approve_new_devices: bool
    new_devices_per_minute: int
    pool: PoolOut
    drops: DropsOut
    devices: list[DeviceOut]


def router(registry: DeviceRegistry) -> APIRouter:
    r = APIRouter(prefix="/api/v1/devices", tags=["devices"], responses=ERROR_RESPONSES)

    @r.get("")
    async def devices() -> DevicesOut:
        counters = await registry.daemon.backends.dataplane.counters()
        doc = registry.listing()
        doc["drops"] = {
            "spoofed_packets": counters.spoofed.packets,
            "unknown_packets": counters.unknown.packets,
            "learn_limited_packets": counters.learn_limited.packets,
        }
        return DevicesOut.model_validate(doc)

    @r.post("/{mac}/approve")
    async def approve(mac: Mac) -> DeviceOut:
        return DeviceOut.model_validate(registry.set_approved(mac, True))

    @r.post("/{mac}/unapprove")
    async def unapprove(mac: Mac) -> DeviceOut:
        return DeviceOut.model_validate(registry.set_approved(mac, False))

    return r
