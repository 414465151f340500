"""Test-side MQTT clients for the fleet tests: a collector that plays the fleet's ingest
(``acks=True``: it answers every queued message with the contract's ``Ack``, as the ingest does
after its commit)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from simspot.fleet import protocol
from tests.fleet.broker import Broker


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


def wait_until(predicate: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.05)


class Client:
    """A paho client on its own thread that keeps every message it gets, and its acks."""

    def __init__(
        self,
        broker: Broker,
        user: str,
        password: str,
        client_id: str,
        *,
        persistent: bool = False,
        subscribe: tuple[str, ...] = (),
        acks: bool = False,
    ) -> None:
        self.received: list[Received] = []
        self.suback: list[list[int]] = []
        self.puback: dict[int, int] = {}  # mid -> reason code value
        self.lock = threading.Lock()
        self.connects = 0
        self.refused: str | None = None
        self._subscribe = subscribe
        self.acks = acks  # answer the boxes' queued messages with an Ack (may be switched)
        self.acks_sent = 0
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if user:  # none: an anonymous client
            c.username_pw_set(user, password)
        c.tls_set(ca_certs=str(broker.ca_path))
        c.reconnect_delay_set(1, 2)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_publish = self._on_publish
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600 if persistent else 0
        c.connect_async(broker.host, broker.port, 30, clean_start=not persistent, properties=props)
        c.loop_start()
        self.client = c

    def _on_connect(self, c: mqtt.Client, u: Any, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            self.refused = str(rc)
            return
        self.connects += 1
        for t in self._subscribe:
            c.subscribe(t, qos=1)

    def _on_message(self, c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.received.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain)))
        if self.acks:
            self._ack(c, msg.topic, bytes(msg.payload))

    def _ack(self, c: mqtt.Client, name: str, payload: bytes) -> None:
        parts = name.split("/")
        if len(parts) != 4 or parts[3] not in protocol.ACKED_CHANNELS:
            return
        box, channel = parts[2], parts[3]
        body = json.loads(payload)
        if channel == "result":
            seqs = [body["seq"]] if body.get("seq") else []
        else:
            key = {"usage": "records", "events": "events", "uplink": "decisions"}[channel]
            seqs = [item["seq"] for item in body[key]]
        if seqs:
            ack = protocol.Ack.model_validate({channel: protocol.seq_ranges(seqs)})
            c.publish(protocol.topic(box, "ack"), protocol.encode(ack), qos=1)
            with self.lock:
                self.acks_sent += 1

    def _on_subscribe(self, c: mqtt.Client, u: Any, mid: int, rcs: Any, props: Any) -> None:
        with self.lock:
            self.suback.append([int(rc.value) for rc in rcs])

    def _on_publish(self, c: mqtt.Client, u: Any, mid: int, rc: Any, props: Any) -> None:
        with self.lock:
            self.puback[mid] = int(rc.value)

    def wait_connected(self, timeout: float = 60) -> None:
        wait_until(lambda: self.connects > 0 or self.refused is not None, timeout, "connect")

    def wait_subscribed(self, n: int = 1, timeout: float = 60) -> None:
        wait_until(lambda: len(self.suback) >= n, timeout, "suback")

    def messages(self, suffix: str = "") -> list[Received]:
        with self.lock:
            return [m for m in self.received if m.topic.endswith(suffix)]

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return int(info.mid)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
