"""The broker's ACL (protocol.mosquitto_acl) with real clients: a box's credentials cannot read
or command another box, cannot pose as another box, cannot take the ingest's messages; strangers
and anonymous clients do not get in."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simspot.fleet import protocol
from tests.fleet.ingest_helpers import DEADLINE_S, running_fleet, store_totals, wait_for

pytestmark = pytest.mark.slow


class Client:
    """A plain MQTT 5 client that records what it receives and how its connect ended."""

    def __init__(self, fleet: Any, user: str | None, password: str | None, cid: str) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.result: list[bool] = []
        self.acks: dict[int, str] = {}
        self.subacks = 0
        self.done = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
        if user is not None:
            self.c.username_pw_set(user, password)
        self.c.tls_set(ca_certs=str(fleet.broker.ca_path))
        self.c.on_connect = lambda c, u, f, rc, p: (
            self.result.append(not rc.is_failure),
            self.done.set(),
        )
        self.c.on_message = lambda c, u, m: self.got.append((m.topic, m.payload))
        self.c.on_publish = lambda c, u, mid, rc, p: self.acks.__setitem__(mid, str(rc))
        self.c.on_subscribe = lambda c, u, mid, rcs, p: setattr(self, "subacks", self.subacks + 1)
        self.c.connect_async(fleet.broker.host, fleet.broker.port, keepalive=20)
        self.c.loop_start()
        if not self.done.wait(DEADLINE_S):
            raise AssertionError(f"{cid}: no answer from the broker")

    @property
    def ok(self) -> bool:
        return bool(self.result and self.result[0])

    def subscribe(self, *topics: str) -> None:
        for t in topics:
            self.c.subscribe(t, 1)

    def publish(self, topic: str, payload: bytes) -> int:
        return self.c.publish(topic, payload, qos=1).mid

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def _cmd(action: str = "hotspot.off") -> bytes:
    return protocol.encode(
        protocol.Command(id="cmd-12345678", action=action, ts=dt.datetime.now(dt.UTC))  # type: ignore[arg-type]
    )


def test_a_box_reaches_only_its_own_topics(tmp_path: Path) -> None:
    with running_fleet(tmp_path, ["box-a", "box-b"]) as fleet, fleet.conn() as conn:
        # The workers' group is private: Mosquitto checks reads on delivery, so a box in the
        # workers' group would take (and lose) its turn of the messages (docs/FLEET.md).
        worker = fleet.start_worker("ingest-test-1", share_group="ingest-5f2c9e")
        pw = fleet.passwords
        a = Client(fleet, "box-a", pw["box-a"], "box-a")
        b = Client(fleet, "box-b", pw["box-b"], "box-b")
        server = Client(fleet, "fleet", pw["fleet"], "fleet-test")
        assert a.ok and b.ok and server.ok
        # box-a tries to read everything: box-b's commands, its reports, the public share.
        a.subscribe(
            "simspot/v1/box-b/cmd", "simspot/v1/#", "#",
            f"$share/{protocol.SHARE_GROUP}/simspot/v1/+/usage", "simspot/v1/+/cmd",
        )  # fmt: skip
        b.subscribe("simspot/v1/box-b/cmd", "simspot/v1/box-b/ack")
        a.subscribe("simspot/v1/box-a/cmd")
        wait_for(lambda: a.subacks == 6 and b.subacks == 2, "the subscriptions answered")

        # box-a commands box-b, and commands itself (only the server writes commands), and
        # acknowledges for the fleet (only the server writes acks).
        a.publish("simspot/v1/box-b/cmd", _cmd("hotspot.off"))
        a.publish("simspot/v1/box-a/cmd", _cmd("hotspot.on"))
        fake_ack = protocol.encode(protocol.Ack(usage=[(1, 99)]))
        a.publish("simspot/v1/box-b/ack", fake_ack)
        a.publish("simspot/v1/box-a/ack", fake_ack)
        # box-a poses as box-b: its usage topic, and its own topic with box-b inside.
        usage_b = protocol.Usage(
            box="box-b",
            records=[
                protocol.UsageRecord(
                    seq=1, bucket=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), scope="uplink",
                    key="8901", rx=999, tx=999,
                )
            ],
        )  # fmt: skip
        a.publish("simspot/v1/box-b/usage", protocol.encode(usage_b))
        a.publish("simspot/v1/box-a/usage", protocol.encode(usage_b))
        # box-b reports for real; the server commands box-b, then box-a.
        real = usage_b.model_copy(
            update={"records": [usage_b.records[0].model_copy(update={"rx": 5, "tx": 6})]}
        )
        b.publish("simspot/v1/box-b/usage", protocol.encode(real))
        server.publish("simspot/v1/box-b/cmd", _cmd("uplink.auto"))
        server.publish("simspot/v1/box-a/cmd", _cmd("client.block"))

        wait_for(lambda: any(t == "simspot/v1/box-a/cmd" for t, _ in a.got), "box-a's own command")
        wait_for(lambda: any(t.endswith("/cmd") for t, _ in b.got), "box-b's command")
        # The ingest acknowledges box-b's report on box-b's own ack topic, after its commit.
        wait_for(lambda: any(t.endswith("/ack") for t, _ in b.got), "box-b's ack")
        acks = [protocol.decode(protocol.Ack, p) for t, p in b.got if t.endswith("/ack")]
        assert acks == [protocol.Ack(usage=[(1, 1)])]
        # box-a saw only its own command from the server (once per matching filter of its
        # overlapping subscriptions); nothing of box-b's (neither its commands nor its acks).
        assert {(t, protocol.decode(protocol.Command, p).action) for t, p in a.got} == {
            ("simspot/v1/box-a/cmd", "client.block")
        }
        # box-b got only the server's command, not box-a's forgery.
        cmds = [protocol.decode(protocol.Command, p).action for t, p in b.got if t.endswith("/cmd")]
        assert cmds == ["uplink.auto"]
        # The forged usage: refused by the broker (box-b's topic) or by the ingest (box-a's
        # topic with box-b inside); the store has only box-b's own report.
        wait_for(lambda: store_totals(conn) == {"box-b": {"8901": (5, 6)}}, "box-b's report")
        wait_for(lambda: worker.worker.stats.refused >= 1, "the ingest's refusal")
        assert "Not authorized" in " ".join(a.acks.values())
        assert sum("Not authorized" in v for v in a.acks.values()) >= 5
        for c in (a, b, server):
            c.close()


def test_strangers_and_anonymous_clients_are_refused(tmp_path: Path) -> None:
    with running_fleet(tmp_path, ["box-a"]) as fleet:
        anon = Client(fleet, None, None, "anon")
        wrong = Client(fleet, "box-a", "not-the-password", "wrong")
        nobody = Client(fleet, "box-z", "whatever-password", "nobody")
        assert not anon.ok and not wrong.ok and not nobody.ok
        for c in (anon, wrong, nobody):
            c.close()
