"""The "none" modem backend: a box without a cellular modem (a wired or Wi-Fi uplink only)."""

from __future__ import annotations

from simspot.contracts import ApnSettings
from simspot.model import BearerInfo, ModemStatus, PinResult, SmsMessage
from simspot.modem.errors import ModemUnavailable


class NoModem:
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def status(self) -> ModemStatus | None:
        return None

    async def set_primary_slot(self, slot: int) -> None:
        raise ModemUnavailable(msg_id="modem.none.configured")

    async def connect(self, apn: ApnSettings) -> BearerInfo:
        raise ModemUnavailable(msg_id="modem.none.configured")

    async def disconnect(self) -> None:
        return None

    async def unlock_pin(self, pin: str) -> PinResult:
        raise ModemUnavailable(msg_id="modem.none.configured")

    async def messages(self) -> list[SmsMessage]:
        return []
