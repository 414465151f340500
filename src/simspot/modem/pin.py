"""SIM PIN safety: pure checks made before any PIN reaches a SIM (real or simulated)."""

from __future__ import annotations

from dataclasses import dataclass

from simspot.errors import SimspotValueError
from simspot.modem.errors import PinSafetyError


@dataclass(frozen=True)
class PinPolicy:
    """How careful a PIN attempt must be.

    ``keep`` attempts are never spent (1: never use the last one, which would leave the SIM
    needing its PUK). With ``allow_unknown`` False a modem that does not report the attempts left
    gets no attempt at all.
    """

    keep: int = 1
    allow_unknown: bool = False


def check_pin_attempt(retries: int | None, policy: PinPolicy = PinPolicy()) -> None:
    """Raise PinSafetyError unless one more PIN attempt is safe."""
    if retries is None:
        if policy.allow_unknown:
            return
        raise PinSafetyError(
            "the modem does not report how many PIN attempts are left; not trying, so the SIM "
            "cannot end up PUK-locked (enter the PIN with another tool, or allow unknown retries)",
            msg_id="pin.retries-unknown",
        )
    if retries <= policy.keep:
        left = "attempt" if retries == 1 else "attempts"
        raise PinSafetyError(
            f"only {retries} PIN {left} left; simspot does not spend the last one(s), since a "
            "wrong PIN would lock the SIM until its PUK is entered",
            msg_id=f"pin.too-few.{left}",
            params={"retries": retries},
        )


def check_pin_format(pin: str) -> None:
    if not (4 <= len(pin) <= 8 and pin.isascii() and pin.isdigit()):
        raise SimspotValueError("a SIM PIN is 4 to 8 digits", msg_id="pin.format")
