"""The small contracts every hardware-facing part implements, once for real and once simulated.

Each backend is chosen by name from the config and imported lazily (see ``simspot.daemon.build``),
so D-Bus, PC/SC or nftables code is only loaded where it is used. The simulated backends in
``simspot.simulator`` implement exactly these Protocols; the demo and the tests use them the same way the
real adapters are used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from simspot.model import (
    BatteryStatus,
    BearerInfo,
    ClientInfo,
    ModemStatus,
    PinResult,
    SmsMessage,
)

if TYPE_CHECKING:
    from simspot.daemon.events import EventKind


@runtime_checkable
class Lifecycle(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ApnSettings(Protocol):
    @property
    def apn(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def ip_type(self) -> str:
        """ "ipv4", "ipv6" or "ipv4v6"."""


class ModemBackend(Lifecycle, Protocol):
    """A cellular modem with its SIM slots (ModemManager, or the simulated modem)."""

    async def status(self) -> ModemStatus | None:
        """The modem as it is now; None when no modem is present."""

    async def set_primary_slot(self, slot: int) -> None: ...

    async def connect(self, apn: ApnSettings) -> BearerInfo: ...

    async def disconnect(self) -> None: ...

    async def unlock_pin(self, pin: str) -> PinResult:
        """Send the SIM PIN; refuses (ModemError) rather than spend the last remaining attempt."""

    async def messages(self) -> list[SmsMessage]:
        """Text messages on the modem and SIM, oldest first (carrier usage warnings and such)."""


@runtime_checkable
class HasOtherModems(Protocol):
    """A modem backend that drives more than one modem: itself is the first, these the others.

    The daemon watches each one, keeps its bearer up, and the uplink policy weighs their SIMs.
    """

    def other_modems(self) -> Sequence[ModemBackend]: ...


class BatteryBackend(Lifecycle, Protocol):
    async def status(self) -> BatteryStatus | None:
        """The battery now; None when the box has none (mains powered)."""


class StationSource(Protocol):
    """Who is associated with the hotspot (AP station list + DHCP leases), without byte counts."""

    async def stations(self) -> list[ClientInfo]: ...


@runtime_checkable
class ReportsModemEvents(Protocol):
    """A modem backend that reports hot events (ModemManager: modem added, removed, restarted)."""

    listeners: list[Callable[[EventKind, dict[str, Any]], Any]]


@runtime_checkable
class ExplainsAbsence(Protocol):
    """A modem backend that knows why ``status()`` is None (the doctor's causes)."""

    def absence(self) -> Literal["no-bus", "no-manager", "no-modem"] | None:
        """Why: "no-bus" (the system D-Bus cannot be reached), "no-manager" (the modem service is
        not running), "no-modem" (it runs but sees no modem); None while a modem is there or the
        cause is unknown."""
