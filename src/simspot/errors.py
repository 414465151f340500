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

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

# Under this variable (tests set it, as for event payloads) an error whose English text is not the
# catalogue's rendering of its id and parameters is a bug that raises at once.
STRICT_ENV = "SIMSPOT_STRICT_EVENTS"


class MessageMismatch(AssertionError):
    """An error's text and the catalogue sentence it names differ (a bug, raised in strict mode)."""


class SimspotError(Exception):
    """Base of every error simspot raises on purpose.

    ``msg_id`` and ``params``, when set, name the same sentence in ``simspot.i18n``'s catalogue,
    so that the API can answer it for readers of other languages too (``"message"``) and the CLI
    can print it in ``$LANG``'s (``localized(lang)``; not ``text``, a name some errors use for an
    attribute). Give them as keywords:
    ``raise PlanError("name: must not be empty", msg_id="error.empty", params={"field": "name"})``;
    without a text the English one is rendered from the catalogue. With ``$SIMSPOT_STRICT_EVENTS``
    set (the tests) a text that is not the catalogue's English raises ``MessageMismatch``.
    """

    msg_id: str | None = None
    params: Mapping[str, object] = MappingProxyType({})

    def __init__(
        self, *args: object, msg_id: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        if msg_id is not None:
            self.msg_id = msg_id
            self.params = dict(params or {})
            if not args:
                args = (self._render("en"),)
            elif os.environ.get(STRICT_ENV) == "1":
                said = self._render("en")
                if str(args[0]) != said:
                    raise MessageMismatch(
                        f"{type(self).__name__}: text {str(args[0])!r} is not {msg_id!r}'s "
                        f"English {said!r} (simspot/i18n.py)"
                    )
        super().__init__(*args)

    def localized(self, lang: str = "en") -> str:
        """The sentence in ``lang`` ("en", "zh"): in English the error's own text, in another
        language the catalogue's when the error names one (else the English text)."""
        if self.msg_id is None or lang == "en":
            return str(self)
        return self._render(lang)

    def _render(self, lang: str) -> str:
        from simspot.i18n import language, render  # the catalogue; light, but only when needed

        return render(str(self.msg_id), self.params, language(lang))

    def message_json(self) -> dict[str, Any] | None:
        """``{"id", "params", "text"}`` for API answers, or None when the error names no id."""
        if self.msg_id is None:
            return None
        return {"id": self.msg_id, "params": dict(self.params), "text": str(self)}


class SimspotValueError(SimspotError, ValueError):
    """Input that simspot refuses, with a message naming what is wrong.

    ``field`` names the input the error is about (``"ssid"``, ``"allowance_bytes"``,
    ``"cycle.day"``) when there is one, so that the API can answer it in structured form
    (``{"detail": ..., "field": ...}``) and a form can mark that input without reading the text.

    ``msg_id`` and ``params`` as for every ``SimspotError``.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        msg_id: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(*(() if message is None else (message,)), msg_id=msg_id, params=params)
        self.field = field


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
        if package:
            super().__init__(
                msg_id="error.tool-missing.package", params={"program": program, "package": package}
            )
        else:
            super().__init__(msg_id="error.tool-missing", params={"program": program})
        self.program = program


class DataplaneError(SimspotError):
    """The data plane could not be applied, verified or removed."""


class EsimError(SimspotError):
    """The LPA, a card transport or an SM-DP+ failed."""


class AuthError(SimspotError):
    """A password or token was refused."""
