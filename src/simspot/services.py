"""What capabilities offer each other: small typed Protocols and the keys they are found by.

Each capability declares in its ``CAPABILITY`` (see :mod:`simspot.daemon.capabilities`) which of
these it provides, needs or wants. The daemon core (config, store, event bus, sharing switch, live
state, supervisor, backends) is not a service: every capability gets it directly.

    plans    provides PLAN_QUERIES, PLAN_ADMIN, KNOWN_ICCIDS
    esim     provides CARD_SERVICE            wants KNOWN_ICCIDS
    hotspot  provides HOTSPOT_CONTROL         wants PLAN_QUERIES
    modem    (battery guard, idle off, PIN)   wants HOTSPOT_CONTROL
    dataplane (its processes supervised)
    uplink   provides UPLINK_CHOICE           wants PLAN_QUERIES, CARD_SERVICE
    demo seeding (simulator only)             needs PLAN_ADMIN, KNOWN_ICCIDS; wants CARD_SERVICE
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from simspot.daemon.capabilities import Key

if TYPE_CHECKING:
    from simspot.plans.status import PlanStatus


class PlanQueries(Protocol):
    """Reading plans and usage (the hotspot's client list, the uplink policy)."""

    def statuses(self, forecast: bool = False) -> list[PlanStatus]: ...

    def client_cycle_bytes(self, mac: str, iccid: str | None) -> int | None:
        """A client's bytes in the current cycle of the plan on ``iccid``; None without a plan."""


class PlanAdmin(Protocol):
    """Changing plans as a user does through the API (the same validation, the same events)."""

    def add(self, data: dict[str, Any]) -> dict[str, Any]: ...

    def correct(
        self,
        ref: str,
        used: int | str | None,
        tethering_used: int | str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]: ...

    def list_plans(self) -> list[dict[str, Any]]: ...


class KnownIccids(Protocol):
    """ICCIDs a plan may be added for: seen on a modem slot or installed on an eUICC."""

    def remember_iccids(self, iccids: Sequence[str], source: str) -> None: ...


class CardService(Protocol):
    """The eUICC as the LPA's user sees it (downloads and profile switches, one at a time)."""

    async def wait_ready(self) -> None:
        """Return once the card is open (the service runs under the supervisor)."""

    @property
    def busy(self) -> bool:
        """An operation is running on the card (no uplink switch should start now)."""

    async def profiles(self) -> dict[str, Any]: ...

    async def download(
        self, activation_code: str, *, confirmation_code: str | None = None
    ) -> dict[str, Any]: ...

    async def enable(self, profile: str) -> dict[str, Any]: ...


class HotspotControl(Protocol):
    """The hotspot's run-time settings other parts act on."""

    def auto_off_minutes(self) -> int:
        """Minutes without clients before the hotspot switches off (0: never)."""


class UplinkChoice(Protocol):
    """The uplink the uplink policy chose, as the data plane needs it (``Daemon.uplink()``)."""

    @property
    def deciding(self) -> bool:
        """The policy has decided at least once (before that the daemon's default applies)."""

    def route(self) -> tuple[str, str, str | None] | None:
        """(interface, uplink id, IPv6 prefix) of the chosen uplink; None: none is usable."""


PLAN_QUERIES: Key[PlanQueries] = Key("plan queries")
PLAN_ADMIN: Key[PlanAdmin] = Key("plan administration")
KNOWN_ICCIDS: Key[KnownIccids] = Key("known ICCIDs")
CARD_SERVICE: Key[CardService] = Key("the eUICC card service")
HOTSPOT_CONTROL: Key[HotspotControl] = Key("hotspot control")
UPLINK_CHOICE: Key[UplinkChoice] = Key("the uplink choice")
