"""The broker's ACL from protocol.mosquitto_acl, checked on a real Mosquitto: a box's credentials
cannot publish as another box, read another box, or command anyone; the fleet's user cannot
speak for a box; strangers cannot log in."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simspot.fleet import protocol
from tests.fleet.broker import Broker, running_broker
from tests.fleet.mqtt import Client, wait_until
from tests.fleet.test_report import USERS

NOT_AUTHORIZED = 0x87


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with running_broker(tmp_path, USERS, ha_user="ha") as b:
        yield b


def client(broker: Broker, user: str, cid: str, *subs: str) -> Client:
    c = Client(broker, user, USERS[user], cid, subscribe=subs)
    c.wait_connected()
    assert c.refused is None, c.refused
    if subs:
        c.wait_subscribed(len(subs))
    return c


def test_a_box_cannot_publish_as_or_read_another_box(broker: Broker) -> None:
    fleet = client(broker, "fleet", "fleet-1", "simspot/v1/+/+")
    box1 = client(
        broker,
        "box-1",
        "box-1",
        "simspot/v1/box-2/cmd",
        "simspot/v1/+/cmd",
        "simspot/v1/box-2/status",
        "#",
    )
    box2 = client(broker, "box-2", "box-2", "simspot/v1/box-2/cmd", "simspot/v1/box-2/ack")
    try:
        status2 = protocol.Status(box="box-2", online=True, ts=dt.datetime.now(dt.UTC))
        box2.publish("simspot/v1/box-2/status", protocol.encode(status2), retain=True)
        # box-1 pretends to be box-2, and tries to command it.
        usage = b'{"box":"box-2","records":[{"seq":1,"bucket":"2026-01-01T00:00:00Z",'
        usage += b'"scope":"uplink","key":"x","rx":1,"tx":1}]}'
        forged = box1.publish("simspot/v1/box-2/usage", usage)
        cmd = protocol.Command(id="cmd-forged-0001", action="hotspot.off", ts=status2.ts)
        forged_cmd = box1.publish("simspot/v1/box-2/cmd", protocol.encode(cmd))
        own_cmd = box1.publish("simspot/v1/box-1/cmd", protocol.encode(cmd))
        # Only the fleet acknowledges: a box cannot ack its own rows or another box's.
        ack = protocol.encode(protocol.Ack(usage=[(1, 1000)]))
        own_ack = box1.publish("simspot/v1/box-1/ack", ack)
        other_ack = box1.publish("simspot/v1/box-2/ack", ack)
        wait_until(lambda: len(box1.puback) == 5, what="pubacks")
        assert box1.puback == {
            forged: NOT_AUTHORIZED,
            forged_cmd: NOT_AUTHORIZED,
            own_cmd: NOT_AUTHORIZED,
            own_ack: NOT_AUTHORIZED,
            other_ack: NOT_AUTHORIZED,
        }
        # The fleet commands box-2: box-2 gets it, box-1 (subscribed to it and to #) does not.
        real = protocol.Command(id="cmd-real-00001", action="uplink.auto", ts=status2.ts)
        fleet.publish("simspot/v1/box-2/cmd", protocol.encode(real))
        wait_until(lambda: len(box2.messages("/cmd")) == 1, what="box-2's command")
        # The fleet acknowledges box-2's rows: box-2 reads its own ack, box-1 (on #) does not.
        fleet.publish("simspot/v1/box-2/ack", protocol.encode(protocol.Ack(usage=[(1, 4)])))
        wait_until(lambda: len(box2.messages("/ack")) == 1, what="box-2's ack")
        wait_until(lambda: len(fleet.messages("/box-2/status")) == 1, what="box-2's status")
        time.sleep(1.0)  # anything misrouted would have arrived with the rest by now
        assert box1.messages() == []
        assert fleet.messages("/box-2/usage") == []
        assert box2.messages("/cmd")[0].json()["id"] == "cmd-real-00001"
        # The fleet's own user cannot speak for a box.
        faked = fleet.publish("simspot/v1/box-1/status", protocol.encode(status2))
        wait_until(lambda: faked in fleet.puback, what="the fleet's puback")
        assert fleet.puback[faked] == NOT_AUTHORIZED
    finally:
        for c in (fleet, box1, box2):
            c.close()


@pytest.mark.parametrize(("user", "password"), [("box-1", "wrong-password-000000"), ("", "")])
def test_strangers_and_wrong_passwords_are_refused(
    broker: Broker, user: str, password: str
) -> None:
    c = Client(broker, user, password, "stranger")
    try:
        wait_until(lambda: c.refused is not None or c.connects > 0, what="connack")
        assert c.connects == 0 and c.refused is not None
    finally:
        c.close()


# paho (2.2) drops the socket of a failed TLS handshake without closing it; CPython closes it when
# it is collected, with a ResourceWarning (no descriptor leaks: nothing keeps a reference).
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_reporter_never_talks_to_a_broker_it_does_not_trust(
    tmp_path: Path, broker: Broker
) -> None:
    """Another CA (a stranger's broker, or a man in the middle): no connection, one event."""
    import asyncio

    from simspot.fleet.report import BrokerSettings, Reporter
    from tests.fleet.broker import write_test_pki

    other = tmp_path / "other"
    other.mkdir()
    other_ca, _, _ = write_test_pki(other)
    told: list[tuple[str, dict[str, object]]] = []
    heard = asyncio.Event()

    def notify(kind: str, data: dict[str, object]) -> None:
        told.append((kind, data))
        heard.set()

    reporter = Reporter(
        "box-1",
        BrokerSettings(broker.host, broker.port, "box-1", USERS["box-1"], ca_file=other_ca),
        tmp_path / "box-1" / "simspot.db",
        notify=notify,
    )
    await reporter.start()
    try:
        await asyncio.wait_for(heard.wait(), 60)
        await asyncio.sleep(2.5)  # paho retries every second or so: still one event
        assert [k for k, _ in told] == ["fleet.disconnected"]
        assert "not trusted" in str(told[0][1]["reason"])
        assert not reporter.connected
    finally:
        await reporter.stop()
    assert "u'box-1'" not in broker.log()  # never logged in
