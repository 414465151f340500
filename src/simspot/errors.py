"""The one exception tree of simspot.

    SimspotError
    ├── SimspotValueError (also ValueError)   bad input: config, activation code, SSID, plan
    │   └── ConfigError                       a config file or value that is refused
    ├── StateError                            the state directory or database is unusable
    ├── DaemonError                           talking to the daemon failed
    │   └── DaemonNotRunning                  no daemon answers
    ├── BackendError                          a hardware-facing adapter failed (modem, AP, nft)
    │   └── ToolMissing                       a required system program is not installed
    ├── DataplaneError                        the data plane could not be applied or verified
    ├── EsimError                             the LPA, a card or an SM-DP+ failed (see simspot.esim)
    └── AuthError                             login or token refused

Foreign errors (OSError, httpx errors, D-Bus errors, subprocess failures) are translated into this
tree at the adapter that sees them, so callers only ever catch ``SimspotError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class SimspotError(Exception):
    """Base of every error simspot raises on purpose.

    ``msg_id`` and ``params``, when set, name the same sentence in ``simspot.i18n``'s catalogue,
    so that the API can answer it for readers of other languages too (``"message"``).
    """

    msg_id: str | None = None
    params: Mapping[str, object] = MappingProxyType({})


class SimspotValueError(SimspotError, ValueError):
    """Input that simspot refuses, with a message naming what is wrong.

    ``field`` names the input the error is about (``"ssid"``, ``"allowance_bytes"``,
    ``"cycle.day"``) when there is one, so that the API can answer it in structured form
    (``{"detail": ..., "field": ...}``) and a form can mark that input without reading the text.

    ``msg_id`` and ``params`` as for every ``SimspotError``.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        msg_id: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.msg_id = msg_id
        self.params = dict(params or {})


class ConfigError(SimspotValueError):
    """A configuration file or value that simspot refuses."""


class StateError(SimspotError):
    """The state directory or database cannot be used."""


class DaemonError(SimspotError):
    """Talking to the daemon failed."""


class DaemonNotRunning(DaemonError):
    """No daemon answers at the expected address."""


class BackendError(SimspotError):
    """A hardware-facing adapter (modem, battery, AP, nftables, dnsmasq) failed."""


class ToolMissing(BackendError):
    """A system program simspot needs is not installed."""

    def __init__(self, program: str, package: str | None = None) -> None:
        hint = f" (Debian package: {package})" if package else ""
        super().__init__(f"{program} is not installed{hint}")
        self.program = program


class DataplaneError(SimspotError):
    """The data plane could not be applied, verified or removed."""


class EsimError(SimspotError):
    """The LPA, a card transport or an SM-DP+ failed."""


class AuthError(SimspotError):
    """A password or token was refused."""
