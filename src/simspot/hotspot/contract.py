"""The AP contract: one small Protocol every access-point backend implements.

Backends: ``hostapd`` (simspot renders the config, runs hostapd and reads its control socket),
``networkmanager`` (an AP connection over D-Bus), ``none`` (Ethernet/USB sharing: no radio) and
``simulated`` (the simulator's AP). The daemon's hotspot component calls ``up`` with the wanted
network whenever sharing is on or the settings change, ``down`` when sharing is held off, and
``check`` periodically so a dead AP is reported and restarted by the supervisor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from simspot.errors import BackendError
from simspot.hotspot.settings import Band, Security


class ApError(BackendError):
    """An AP backend failed (hostapd would not start or died, NetworkManager refused, ...)."""


@dataclass(frozen=True)
class PersonKey:
    """An extra Wi-Fi key for one person (a guest pass); hostapd reports its ``key_id``.

    WPA2 clients use it through hostapd's ``wpa_psk_file``; on WPA3 (SAE) networks only clients
    that send the key id as an SAE password identifier can use it (see docs/ARCHITECTURE.md).
    """

    key_id: str
    passphrase: str
    # Also offered as an SAE password identifier on WPA3 networks. False: a WPA2 key only (guest
    # passes: hostapd 2.10 does not name a key used through an identifier, so it is not offered).
    sae: bool = True

    def __repr__(self) -> str:  # never show the passphrase
        return f"PersonKey(key_id={self.key_id!r})"


@dataclass(frozen=True)
class ApConfig:
    """The network to offer, fully resolved (SSID and passphrase known, channel chosen)."""

    interface: str
    ssid: str
    passphrase: str | None  # None only for security "open"
    security: Security = "wpa2-wpa3"
    band: Band = "2.4"
    channel: int = 6
    country: str | None = None
    hidden: bool = False
    isolate_clients: bool = False
    max_clients: int = 16
    mac_allow: tuple[str, ...] = ()
    mac_deny: tuple[str, ...] = ()
    person_keys: tuple[PersonKey, ...] = ()  # besides ``passphrase``, which stays the owner's

    def __repr__(self) -> str:  # never show the passphrase
        return f"ApConfig(interface={self.interface!r}, ssid={self.ssid!r}, security={self.security!r})"


@dataclass(frozen=True)
class Station:
    """A device associated with the AP, as the AP reports it."""

    mac: str
    connected_since: datetime | None = None
    signal_dbm: int | None = None
    key_id: str | None = None  # the PersonKey it joined with; None for the main passphrase


class AccessPoint(Protocol):
    kind: str  # the backend's name in simspot.registry
    mac_lists: bool  # the AP itself refuses MACs by the allow/deny lists (else the data plane)

    async def up(self, config: ApConfig) -> None:
        """Offer ``config`` (start, or reconfigure when it differs); raise ApError on failure."""

    async def down(self) -> None:
        """Stop offering the network. Idempotent."""

    async def check(self) -> None:
        """Raise ApError if an AP that should be up is not (crashed, deactivated)."""

    async def stations(self) -> list[Station] | None:
        """Who is associated now; None when the backend cannot tell (then DHCP leases decide)."""


@runtime_checkable
class ReportsStationEvents(Protocol):
    """An AP that tells when stations join and leave (hostapd's control socket events)."""

    on_event: Callable[[str, str], None] | None  # (kind "connected"/"disconnected", MAC)


@runtime_checkable
class NamesStationKeys(Protocol):
    """An AP that names the per-person key a station joined with as it joins (hostapd)."""

    def station_key_id(self, mac: str) -> str | None:
        """The key id ``mac``'s connect event named; None for the main passphrase."""
