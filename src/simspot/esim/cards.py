"""Where the LPA's card is: one small contract, one backend per kind of link (see simspot.registry).

A ``CardBackend`` opens the ``ApduTransport`` the LPA talks through and may bring what its card
needs besides: extra CAs to trust (the simulator's test CI), a server to start (the simulator's
test SM-DP+). Optional features are separate runtime-checkable Protocols: a card in a modem whose
modem must re-read it after a profile switch (``RefreshesModem``), a card that comes with a test
SM-DP+ (``ServesTestProfiles``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from simspot.errors import EsimError
from simspot.esim.transport import ApduTransport

if TYPE_CHECKING:
    from simspot.daemon.build import BuildEnv
    from simspot.esim.settings import EsimSettings


class CardBackend(Protocol):
    name: str  # the esim.transport value

    async def open(self) -> ApduTransport:
        """The card's transport (set-up that blocks runs on a worker thread)."""

    def trusted_ca_files(self) -> list[Path]:
        """CA certificates to trust for SM-DP+ TLS besides the shipped GSMA CIs and config."""

    async def start(self) -> None:
        """Start what comes with the card (nothing, or the simulator's test SM-DP+)."""

    async def stop(self) -> None: ...


@runtime_checkable
class RefreshesModem(Protocol):
    """A card inside a modem: after enable/disable the modem must read the card again."""

    async def refresh_modem(self) -> dict[str, Any] | None: ...


@runtime_checkable
class ServesTestProfiles(Protocol):
    """A card that comes with a local test SM-DP+ (the simulator's)."""

    def test_smdp(self) -> tuple[str, list[str]] | None:
        """(address, activation codes) of the running test SM-DP+, or None."""


class _Plain:
    """A real card: nothing to trust extra, nothing to start."""

    name = "?"

    def trusted_ca_files(self) -> list[Path]:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class PcscCard(_Plain):
    name = "pcsc"

    def __init__(self, reader: str | None) -> None:
        self.reader = reader

    async def open(self) -> ApduTransport:
        from simspot.esim.pcsc import PcscTransport

        return PcscTransport(self.reader)


class AtCard(_Plain):
    name = "at"

    def __init__(self, port: str, dialect: str, refresh_after_switch: bool) -> None:
        self.port = port
        self.dialect = dialect
        self.refresh_after_switch = refresh_after_switch

    async def open(self) -> ApduTransport:
        from simspot.esim.at import AtTransport

        return AtTransport(self.port, dialect=self.dialect)  # type: ignore[arg-type]

    async def refresh_modem(self) -> dict[str, Any] | None:
        """Make the modem read the card again (ModemManager reset, else AT+CFUN)."""
        if not self.refresh_after_switch:
            return None
        from simspot.esim.at import refresh_modem

        try:
            done = await refresh_modem(at_port=self.port)
        except EsimError as exc:
            return {"error": str(exc)}
        return {"method": done.method, "detail": done.detail}


class ProxiedModemCard(_Plain):
    """A modem's eUICC through libqmi's qmi-proxy or libmbim's mbim-proxy."""

    def __init__(self, protocol: str, device: str, slot: int | None, refresh: bool) -> None:
        self.name = protocol
        self.device = device
        self.slot = slot
        self.refresh_after_switch = refresh

    async def open(self) -> ApduTransport:
        if self.name == "qmi":
            from simspot.esim.qmi import QmiTransport

            return QmiTransport(self.device, slot=self.slot or 1)
        from simspot.esim.mbim import MbimTransport

        return MbimTransport(self.device, slot=self.slot)

    async def refresh_modem(self) -> dict[str, Any] | None:
        """ModemManager resets the modem so it reads the card again (no AT port here)."""
        if not self.refresh_after_switch:
            return None
        from simspot.esim.at import refresh_modem

        try:
            done = await refresh_modem()
        except EsimError as exc:
            return {"error": str(exc)}
        return {"method": done.method, "detail": done.detail}


class NoCardConfigured(EsimError):
    """``esim.transport = "none"``: there is no eUICC to talk to."""


class NoCardBackend(_Plain):
    name = "none"

    async def open(self) -> ApduTransport:
        raise NoCardConfigured(
            'no eUICC is configured (esim.transport = "none"); set esim.transport to "pcsc" '
            'for a removable eUICC in a reader or "at" for a modem\'s eUICC',
            msg_id="esim.no-card-configured",
        )


def from_settings(settings: EsimSettings) -> CardBackend:
    """A real card backend from the ``[esim]`` settings (the CLI's direct mode uses this too)."""
    if settings.transport == "pcsc":
        return PcscCard(settings.pcsc_reader)
    if settings.transport == "at":
        if not settings.at_port:  # the settings model refuses this already; kept for callers
            raise EsimError(
                'esim.at_port must name the modem\'s AT port for transport = "at"',
                msg_id="esim.at-port",
            )
        return AtCard(settings.at_port, settings.at_dialect, settings.refresh_modem_after_switch)
    if settings.transport in ("qmi", "mbim"):
        return ProxiedModemCard(
            settings.transport,
            settings.device,
            settings.slot,
            settings.refresh_modem_after_switch,
        )
    return NoCardBackend()


def pcsc(env: BuildEnv) -> CardBackend:
    return from_settings(env.config.esim.model_copy(update={"transport": "pcsc"}))


def at(env: BuildEnv) -> CardBackend:
    return from_settings(env.config.esim.model_copy(update={"transport": "at"}))


def qmi(env: BuildEnv) -> CardBackend:
    return from_settings(env.config.esim.model_copy(update={"transport": "qmi"}))


def mbim(env: BuildEnv) -> CardBackend:
    return from_settings(env.config.esim.model_copy(update={"transport": "mbim"}))


def no_card(env: BuildEnv) -> CardBackend:
    return NoCardBackend()
