"""Errors of the modem, SIM and battery adapters (all under simspot.errors.BackendError).

BackendError
└── ModemError                  ModemManager or the simulated modem refused or failed
    ├── ModemUnavailable        no modem (or no ModemManager) to talk to
    ├── PinSafetyError          a PIN attempt refused because it could lock the SIM
    └── PinRejected             the SIM said the PIN is wrong (attempts left in the message)
"""

from __future__ import annotations

from simspot.errors import BackendError


class ModemError(BackendError):
    """ModemManager, a SIM or the simulated modem refused a request or failed."""


class ModemUnavailable(ModemError):
    """There is no modem, or no ModemManager on the bus, to carry out the request."""


class PinSafetyError(ModemError):
    """A PIN attempt that simspot refuses to make, so the SIM is never locked into PUK by it."""


class PinRejected(ModemError):
    """The SIM rejected the PIN."""

    def __init__(
        self,
        message: str,
        retries: int | None,
        *,
        msg_id: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, msg_id=msg_id, params=params)
        self.retries = retries
