"""The AT line parser over many generated inputs: quirks tolerated, everything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simspot.esim.at import (
    EXPECT_CCHO,
    EXPECT_CSIM,
    EXPECT_NOTHING,
    URC_PREFIXES,
    URC_WORDS,
    AtProtocolError,
    ResponseParser,
    csim_command,
    parse_hex_answer,
)

URCS = ["+CREG: 1,5", "RING", "^RSSI:17", '+CEREG: 2,1,"1A2B"', "+CPIN: READY", "^BOOT:1,0"]


def feed_all(parser: ResponseParser, lines: list[str]):  # type: ignore[no-untyped-def]
    for line in lines:
        result = parser.feed(line)
        if result is not None:
            return result
    return None


@given(
    resp=st.binary(min_size=0, max_size=300).map(lambda b: b + b"\x90\x00"),
    apdu=st.binary(min_size=4, max_size=40),
    prefix=st.booleans(),
    lower=st.booleans(),
    echo=st.booleans(),
    noise=st.lists(st.sampled_from([*URCS, ""]), max_size=6),
    cut=st.integers(min_value=0, max_value=6),
)
def test_csim_answers_survive_every_known_quirk(
    resp: bytes, apdu: bytes, prefix: bool, lower: bool, echo: bool, noise: list[str], cut: int
) -> None:
    command = csim_command(apdu)
    h = resp.hex()
    h = h if lower else h.upper()
    info = f'{"+CSIM: " if prefix else ""}{len(h)},"{h}"'
    lines = ([command] if echo else []) + noise[:cut] + [info] + noise[cut:] + ["OK"]
    result = feed_all(ResponseParser(command, EXPECT_CSIM), lines)
    assert result is not None and result.ok
    assert len(result.info) == 1
    assert parse_hex_answer(result.info[0], command) == resp


@given(
    line=st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40
    )
)
def test_anything_unknown_is_refused_or_recognised(line: str) -> None:
    parser = ResponseParser('AT+CSIM=10,"0070000001"', EXPECT_CSIM)
    try:
        result = parser.feed(line)
    except AtProtocolError as exc:
        assert "AT+CSIM" in str(exc)
        assert "0070000001" not in str(exc)  # the APDU is not repeated in errors
        return
    # An accepted line is a final result, a URC (ignored), a +CSIM answer, or blank.
    s = line.strip().upper()
    if result is not None:
        assert s in ("OK", "ERROR", "NO CARRIER", "COMMAND NOT SUPPORT") or "ERROR:" in s
    elif parser.ignored:
        assert s.startswith(URC_PREFIXES) or s in URC_WORDS or s == parser.command.upper()
    elif parser.info:
        assert s.startswith("+CSIM:") or s[0].isdigit()
    else:
        assert not s


@pytest.mark.parametrize(
    "line",
    ["%%%", "+CSIM 4,9000", "hello", '+CGLA: 4,"9000"', '4;"9000"', "\x07\x00", "0K"],
)
def test_garbage_lines_raise(line: str) -> None:
    with pytest.raises(AtProtocolError):
        ResponseParser('AT+CSIM=10,"0070000001"', EXPECT_CSIM).feed(line)


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ('4,"9000"', True),
        ('4,"90"', False),
        ('6,"019000"', True),
        ('5,"019000"', False),
        ('2,"90"', False),
        ('4,"ZZ00"', False),
        ("4,9000", True),
        ('"9000"', False),
        # found by fuzzing: int() refuses a run of more than 4300 digits with ValueError
        ("9" * 5000 + ',"9000"', False),
    ],
)
def test_hex_answer_length_must_match(payload: str, ok: bool) -> None:
    if ok:
        assert parse_hex_answer(payload, "AT+CSIM")[-2:] == b"\x90\x00"
    else:
        with pytest.raises(AtProtocolError):
            parse_hex_answer(payload, "AT+CSIM")


def test_errors_are_final_and_carry_the_text() -> None:
    p = ResponseParser('AT+CCHO="A000"', EXPECT_CCHO)
    assert p.feed("RING") is None
    result = p.feed("+CME ERROR: 4")
    assert result is not None and not result.ok and result.error == "+CME ERROR: 4"


def test_ccho_answer_with_and_without_prefix() -> None:
    for line in ("+CCHO: 2", "2"):
        p = ResponseParser('AT+CCHO="A0"', EXPECT_CCHO)
        assert p.feed(line) is None
        result = p.feed("OK")
        assert result is not None and result.info == ["2"]


def test_information_for_a_command_without_one_is_refused() -> None:
    with pytest.raises(AtProtocolError):
        ResponseParser("ATE0", EXPECT_NOTHING).feed('4,"9000"')


def test_a_channel_number_of_thousands_of_digits_is_refused() -> None:
    # found by fuzzing: AT+CCHO answered with 5000 digits reached int() (ValueError)
    import asyncio

    from simspot.esim.at import AtResponse, AtTransport

    class Modem(AtTransport):
        async def command(self, command: str, expect: object = None) -> AtResponse:
            return AtResponse(True, ["7" * 5000])

    modem = Modem("/dev/null", dialect="ccho")
    modem.dialect = "ccho"
    with pytest.raises(AtProtocolError):
        asyncio.run(modem.open_channel(bytes.fromhex("A0000005591010FFFFFFFF8900000100")))
