"""A thin asyncio D-Bus client on dbus-fast: method calls, properties, signal subscriptions.

This is the one place where D-Bus errors become simspot errors. Calls are raw messages (no
introspection round trips); variants in replies are unwrapped to plain Python values so the typed
property sets in ``defs`` parse ordinary dicts, lists and numbers.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from simspot.modem.defs import DBUS_NAME, DBUS_PATH, PROPERTIES
from simspot.modem.errors import ModemError, ModemUnavailable

log = logging.getLogger(__name__)

SYSTEM_BUS_DEFAULT = "unix:path=/run/dbus/system_bus_socket"

# D-Bus errors that mean "nobody is there" rather than "the service refused".
_ABSENT = frozenset(
    {
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownInterface",
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.Disconnected",
    }
)


class DBusCallError(ModemError):
    """A D-Bus method call answered with an error."""

    def __init__(self, member: str, name: str, text: str) -> None:
        super().__init__(f"{member} failed: {text} ({name})")
        self.name = name
        self.text = text


class DBusAbsent(DBusCallError, ModemUnavailable):
    """The service or the object is not on the bus."""


def unwrap(value: Any) -> Any:
    """Strip variants recursively (dbus-fast keeps them in a{sv} values)."""
    if isinstance(value, Variant):
        return unwrap(value.value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


class Bus:
    """One connection to a bus (the system bus unless an address is given)."""

    def __init__(self, address: str | None = None, *, timeout_s: float = 25.0) -> None:
        self.address = address
        self.timeout_s = timeout_s
        self._bus: MessageBus | None = None

    @property
    def connected(self) -> bool:
        return self._bus is not None and self._bus.connected

    async def connect(self) -> None:
        self.disconnect()  # a retry after a half-done start must not leak the old connection
        try:
            if self.address:
                bus = MessageBus(bus_address=self.address)
            else:
                bus = MessageBus(bus_type=BusType.SYSTEM)
            async with asyncio.timeout(self.timeout_s):
                self._bus = await bus.connect()
        except (OSError, TimeoutError, ValueError) as exc:
            system = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or SYSTEM_BUS_DEFAULT
            where = self.address or f"the system bus ({system})"
            raise ModemUnavailable(
                msg_id="dbus.unreachable", params={"where": where, "error": str(exc)}
            ) from None

    def disconnect(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None

    def _need(self) -> MessageBus:
        if self._bus is None or not self._bus.connected:
            raise ModemUnavailable(msg_id="modem.bus.not-connected")
        return self._bus

    async def call(
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> list[Any]:
        bus = self._need()
        msg = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
        try:
            async with asyncio.timeout(timeout_s or self.timeout_s):
                reply = await bus.call(msg)
        except TimeoutError:
            raise ModemError(
                msg_id="modem.bus.timeout", params={"member": member, "path": path}
            ) from None
        except (OSError, EOFError) as exc:
            raise ModemUnavailable(
                msg_id="modem.bus.lost", params={"member": member, "error": str(exc)}
            ) from None
        if reply.message_type == MessageType.ERROR:
            name = reply.error_name or "unknown"
            text = str(reply.body[0]) if reply.body else name
            cls = DBusAbsent if name in _ABSENT else DBusCallError
            raise cls(f"{interface.rsplit('.', 1)[-1]}.{member}", name, text)
        return [unwrap(v) for v in reply.body]

    async def get_all(self, destination: str, path: str, interface: str) -> dict[str, Any]:
        (props,) = await self.call(destination, path, PROPERTIES, "GetAll", "s", [interface])
        return dict(props)

    async def name_has_owner(self, name: str) -> bool:
        (owned,) = await self.call(DBUS_NAME, DBUS_PATH, DBUS_NAME, "NameHasOwner", "s", [name])
        return bool(owned)

    async def add_match(self, rule: str) -> None:
        await self.call(DBUS_NAME, DBUS_PATH, DBUS_NAME, "AddMatch", "s", [rule])

    def on_signal(self, handler: Callable[[Message], None]) -> None:
        """Call ``handler`` for every signal this connection receives (after ``add_match``)."""

        def _filter(msg: Message) -> None:
            if msg.message_type == MessageType.SIGNAL:
                handler(msg)

        self._need().add_message_handler(_filter)
