"""The AT transport against the AT modem emulator on a real pseudo-terminal, in every dialect."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from simspot.esim.at import (
    AtCommandError,
    AtError,
    AtProtocolError,
    AtTimeout,
    AtTransport,
    refresh_modem,
)
from simspot.esim.pcsc import ChannelError
from simspot.simulator.atmodem import AtModem, ModemDialect, dialect_from

from .cards import ISD_R, ScriptedCard
from .helpers import store_data

PAYLOAD = bytes(range(256)) * 3  # 768 bytes: 7 blocks of 120


@pytest.fixture
def card() -> ScriptedCard:
    return ScriptedCard()


def modem(card: ScriptedCard, dialect: ModemDialect) -> AtModem:
    return AtModem(card, dialect).start()


@pytest.fixture
def closing() -> Iterator[list[AtModem]]:
    modems: list[AtModem] = []
    yield modems
    for m in modems:
        m.close()


DIALECTS = {
    "standard": (dialect_from([]), "auto", "ccho"),
    "standard-forced-csim": (dialect_from([]), "csim", "csim"),
    "csim-only": (dialect_from(["csim-only"]), "auto", "csim"),
    "ccho-only": (dialect_from(["ccho-only"]), "auto", "ccho"),
    "uppercase-only": (dialect_from(["uppercase-only", "csim-only"]), "auto", "csim"),
    "no-prefix-ccho": (dialect_from(["no-prefix"]), "auto", "ccho"),
    "no-prefix-csim": (dialect_from(["no-prefix", "csim-only"]), "auto", "csim"),
    "echo": (dialect_from(["echo"]), "auto", "ccho"),
    "urc-noise": (dialect_from(["urc-noise", "csim-only"]), "auto", "csim"),
    "everything": (
        dialect_from(["echo", "urc-noise", "no-prefix", "uppercase-only"], latency_s=0.02),
        "auto",
        "ccho",
    ),
}


@pytest.mark.parametrize("name", DIALECTS)
async def test_es10_exchange_in_every_dialect(
    name: str, card: ScriptedCard, closing: list[AtModem]
) -> None:
    dialect, choice, expected = DIALECTS[name]
    m = modem(card, dialect)
    closing.append(m)
    t = AtTransport(m.path, dialect=choice, timeout_s=10)  # type: ignore[arg-type]
    await t.connect()
    try:
        assert t.dialect == expected
        channel = await t.open_channel(ISD_R)
        assert channel in m.open_channels
        answer = await store_data(t, channel, PAYLOAD, block=120)
        assert answer[:4] == b"\xbf\x00" + len(PAYLOAD).to_bytes(2, "big")
        assert answer[4:] == PAYLOAD[:300]
        stores = [a for a in card.apdus if a[1] == 0xE2]
        assert len(stores) == 7 and stores[-1][2] == 0x91
        await t.close_channel(channel)
        assert m.open_channels == set()
        await t.close_channel(channel)  # idempotent
    finally:
        await t.disconnect()
    assert m.open_channels == set()
    if dialect.uppercase_only:
        assert all(c == c.upper() for c in m.log.commands)


async def test_unknown_aid_is_a_clear_error_and_leaves_nothing_open(
    card: ScriptedCard, closing: list[AtModem]
) -> None:
    for choice in ("ccho", "csim"):
        m = modem(card, ModemDialect())
        closing.append(m)
        t = AtTransport(m.path, dialect=choice)  # type: ignore[arg-type]
        await t.connect()
        try:
            with pytest.raises(ChannelError, match="A0000005591010FFFFFFFF8900050500"):
                await t.open_channel(bytes.fromhex("A0000005591010FFFFFFFF8900050500"))
            assert m.open_channels == set()
        finally:
            await t.disconnect()


async def test_channels_left_open_are_closed_on_disconnect(
    card: ScriptedCard, closing: list[AtModem]
) -> None:
    for choice in ("ccho", "csim"):
        m = modem(card, ModemDialect())
        closing.append(m)
        t = AtTransport(m.path, dialect=choice)  # type: ignore[arg-type]
        await t.connect()
        await t.open_channel(ISD_R)
        await t.open_channel(ISD_R)
        assert len(m.open_channels) == 2
        await t.disconnect()
        assert m.open_channels == set()


async def test_slow_modem_is_waited_for(card: ScriptedCard, closing: list[AtModem]) -> None:
    m = modem(card, ModemDialect(latency_s=0.3, ccho=False))
    closing.append(m)
    t = AtTransport(m.path, timeout_s=10)
    await t.connect()
    try:
        channel = await t.open_channel(ISD_R)
        t0 = time.monotonic()
        await store_data(t, channel, b"\x01" * 10)
        assert time.monotonic() - t0 >= 0.6  # STORE DATA + GET RESPONSE, 0.3 s each
    finally:
        await t.disconnect()
    assert m.open_channels == set()


@pytest.mark.parametrize("choice", ["ccho", "csim"])
async def test_modem_that_stops_answering_times_out_and_channel_is_closed_on_recovery(
    choice: str, card: ScriptedCard, closing: list[AtModem]
) -> None:
    m = modem(card, ModemDialect())
    closing.append(m)
    t = AtTransport(m.path, dialect=choice, timeout_s=1.0)  # type: ignore[arg-type]
    await t.connect()
    channel = await t.open_channel(ISD_R)
    m.dialect = ModemDialect(stop_after=len(m.log.commands) + 2)
    await store_data(t, channel, b"\x02" * 10, block=120)  # STORE DATA + GET RESPONSE answered
    with pytest.raises(AtTimeout, match=r"did not answer AT\+(CSIM|CGLA) within 1 s"):
        await store_data(t, channel, b"\x03" * 10)
    assert channel in m.open_channels
    m.resume()
    await t.disconnect()
    assert m.open_channels == set()


async def test_modem_that_never_answers_fails_connect_clearly(
    card: ScriptedCard, closing: list[AtModem]
) -> None:
    m = modem(card, ModemDialect(stop_after=0))
    closing.append(m)
    t = AtTransport(m.path, timeout_s=1.0)
    with pytest.raises(AtTimeout, match="does not answer AT"):
        await t.connect()
    await t.disconnect()


async def test_garbage_line_is_an_error_then_the_link_recovers(
    card: ScriptedCard, closing: list[AtModem]
) -> None:
    m = modem(card, ModemDialect(ccho=False))
    closing.append(m)
    t = AtTransport(m.path, timeout_s=5)
    await t.connect()
    try:
        channel = await t.open_channel(ISD_R)
        m.dialect = ModemDialect(ccho=False, garbage_at=len(m.log.commands) + 1)
        with pytest.raises(AtProtocolError, match=r"unexpected line .*AT\+CSIM.*GARBAGE"):
            await store_data(t, channel, b"\x04" * 10)
        answer = await store_data(t, channel, b"\x05" * 10)
        assert answer[4:] == b"\x05" * 10
    finally:
        await t.disconnect()
    assert m.open_channels == set()


async def test_modem_without_card_commands_is_refused(
    card: ScriptedCard, closing: list[AtModem]
) -> None:
    m = modem(card, ModemDialect(ccho=False, csim=False))
    closing.append(m)
    t = AtTransport(m.path)
    with pytest.raises(AtError, match="neither"):
        await t.connect()
    forced = AtTransport(m.path, dialect="csim")  # an override is trusted ...
    await forced.connect()
    try:
        with pytest.raises(AtCommandError, match=r"refused AT\+CSIM: ERROR"):
            await forced.open_channel(ISD_R)  # ... and fails clearly on first use
    finally:
        await forced.disconnect()


async def test_missing_port_is_a_clear_error() -> None:
    with pytest.raises(AtError, match="cannot open the modem port /dev/nonexistent-simspot"):
        await AtTransport("/dev/nonexistent-simspot").connect()


async def test_refused_command_names_the_command(
    card: ScriptedCard, closing: list[AtModem]
) -> None:
    m = modem(card, ModemDialect())
    closing.append(m)
    t = AtTransport(m.path)
    await t.connect()
    try:
        with pytest.raises(AtCommandError, match=r"refused AT\+NOPE: ERROR"):
            await t.command("AT+NOPE")
    finally:
        await t.disconnect()


async def test_refresh_falls_back_to_cfun_without_modemmanager(
    card: ScriptedCard, closing: list[AtModem], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    m = modem(card, ModemDialect())
    closing.append(m)
    no_bus = f"unix:path={tmp_path}/no-such-bus"
    result = await refresh_modem(at_port=m.path, bus_address=no_bus)
    assert result.method == "at-cfun"
    assert m.log.cfun == ["0", "1"]
    assert card.resets == 1
    result = await refresh_modem(at_port=m.path, use_modemmanager=False, cfun="reset")
    assert m.log.cfun == ["0", "1", "1,1"] and card.resets == 2


async def test_transport_calls_do_not_block_the_event_loop(
    card: ScriptedCard, closing: list[AtModem]
) -> None:
    m = modem(card, ModemDialect(latency_s=0.3, ccho=False))
    closing.append(m)
    t = AtTransport(m.path)
    await t.connect()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        await t.open_channel(ISD_R)
    finally:
        ticker.cancel()
        await t.disconnect()
    assert ticks >= 5
