"""Sending commands to boxes: QoS 1 on ``simspot/v1/<box>/cmd``, with an MQTT 5 expiry.

`CommandPublisher` is what the fleet API needs (one call); `MqttCommandPublisher` is the real one,
a paho-mqtt client of its own logged in as the fleet server's user (the broker's ACL lets that user
write only ``cmd`` topics). A command counts as sent when the broker acknowledged it (PUBACK with
a success code); the message expiry interval makes the broker drop it for a box that stays away
past the command's ``expires`` (the box checks ``expires`` too).
"""

from __future__ import annotations

import logging
import ssl
import threading
from datetime import UTC, datetime
from typing import Any, Protocol

from simspot.errors import SimspotError
from simspot.fleet.protocol import Command, encode, topic

log = logging.getLogger(__name__)


class PublishError(SimspotError):
    """The broker did not take a command (not connected, or refused it): it will not run."""


class PublishUnconfirmed(PublishError):
    """No PUBACK in time: the command is queued in the client and may still be delivered (it is
    resent after a reconnect) until it expires, so it is neither sent nor failed."""


class CommandPublisher(Protocol):
    def publish(self, box: str, command: Command) -> None:
        """Send ``command`` to ``box`` and return once the broker has it; `PublishError` if it
        will not be delivered, `PublishUnconfirmed` if that is not known yet.

        Blocking (the API calls it on a worker thread)."""
        ...


class MqttCommandPublisher:
    """A paho-mqtt (MQTT 5) client that publishes commands and waits for each PUBACK."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str,
        password: str,
        ca_path: str | None = None,
        tls: bool = True,
        client_id: str = "simspot-fleet-commands",
        timeout_s: float = 10.0,
    ) -> None:
        import paho.mqtt.client as mqtt  # only a fleet server loads paho
        from paho.mqtt.enums import CallbackAPIVersion

        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)  # back soon after a restart
        if tls:  # the broker's certificate checked against ca_path, or the system's CAs
            self._client.tls_set(ca_certs=ca_path, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        elif ca_path:
            raise PublishError(msg_id="fleet.publish.ca-without-tls")
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._refused: dict[int, str] = {}  # mid -> the broker's reason, for refused publishes
        self._connect_error = ""

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, wait_s: float | None = None) -> None:
        """Connect (and keep reconnecting) in paho's thread; wait up to ``wait_s`` for the first
        connection (a `PublishError` naming the broker if it does not come)."""
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        if wait_s is not None and not self._connected.wait(wait_s):
            raise PublishError(
                msg_id="fleet.publish.cannot-connect",
                params={"broker": self._where, "reason": self._connect_error or "no answer"},
            )

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._connect_error = str(reason)
            log.warning("the MQTT broker refused the fleet server", extra={"reason": str(reason)})
            return
        self._connect_error = ""
        self._connected.set()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._connected.clear()

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        if reason.is_failure:
            with self._lock:
                self._refused[mid] = str(reason)

    # -- sending -------------------------------------------------------------------------------

    def publish(self, box: str, command: Command) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        if not self._connected.is_set():
            raise PublishError(msg_id="fleet.publish.not-connected", params={"broker": self._where})
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        if command.expires is not None:
            left = (command.expires - datetime.now(UTC)).total_seconds()
            if left <= 0:
                raise PublishError(msg_id="fleet.publish.expired")
            props.MessageExpiryInterval = max(1, int(left))
        info = self._client.publish(topic(box, "cmd"), encode(command), qos=1, properties=props)
        try:
            info.wait_for_publish(self.timeout_s)
        except (RuntimeError, ValueError) as exc:
            raise PublishError(
                msg_id="fleet.publish.not-sent", params={"reason": str(exc)}
            ) from None
        with self._lock:
            refused = self._refused.pop(info.mid, None)
        if refused is not None:
            raise PublishError(msg_id="fleet.publish.refused", params={"reason": refused})
        if not info.is_published():
            raise PublishUnconfirmed(
                msg_id="fleet.publish.unconfirmed", params={"seconds": f"{self.timeout_s:g}"}
            )
