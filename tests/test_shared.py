"""The small shared pieces every capability uses: MAC and Luhn rules, byte figures, private atomic
files, and serving an ASGI app inside an event loop someone else owns."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import given
from hypothesis import strategies as st

from simspot.asgiserve import Serving, bind
from simspot.errors import SimspotError
from simspot.fsutil import write_atomic, write_private
from simspot.ident import luhn_digit, luhn_ok, normal_mac
from simspot.units import format_bytes

# -- MAC addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "02:00:00:aa:bb:cc",
        "02:00:00:AA:BB:CC",
        "02-00-00-aa-bb-cc",
        "020000aabbcc",
        " 02:00:00:aa:bb:cc\n",
    ],
)
def test_mac_forms_people_write_become_one(text: str) -> None:
    assert normal_mac(text) == "02:00:00:aa:bb:cc"


@pytest.mark.parametrize(
    "text",
    ["", "02:00:00:aa:bb", "02:00:00:aa:bb:cc:dd", "02:00-00:aa:bb:cc", "02:00:00:aa:bb:zz",
     "0200.00aa.bbcc", "02:00:00:aa:bb:c"],
)  # fmt: skip
def test_what_is_not_a_mac_is_none(text: str) -> None:
    assert normal_mac(text) is None


@given(st.binary(min_size=6, max_size=6), st.sampled_from([":", "-", ""]), st.booleans())
def test_every_mac_round_trips(raw: bytes, sep: str, upper: bool) -> None:
    text = sep.join(f"{b:02x}" for b in raw)
    expected = ":".join(f"{b:02x}" for b in raw)
    assert normal_mac(text.upper() if upper else text) == expected


def test_the_three_mac_checks_agree() -> None:
    """The hotspot settings, the plans' client limits and the nft renderer use one rule."""
    from simspot.dataplane.nftrender import norm_mac
    from simspot.errors import DataplaneError
    from simspot.hotspot import validate
    from simspot.plans.model import PlanError, parse_client_limit

    assert validate.mac("02-00-00-AA-BB-CC") == "02:00:00:aa:bb:cc"
    assert norm_mac("020000AABBCC") == "02:00:00:aa:bb:cc"
    assert parse_client_limit({"mac": "02-00-00-aa-bb-cc"}).mac == "02:00:00:aa:bb:cc"
    with pytest.raises(SimspotError, match="mac"):
        validate.mac("nope")
    with pytest.raises(DataplaneError):
        norm_mac("02:00:00:aa:bb")
    with pytest.raises(PlanError, match="mac"):
        parse_client_limit({"mac": "02:00-00:aa:bb:cc"})


# -- Luhn ---------------------------------------------------------------------------------------


def test_luhn_known_values() -> None:
    assert luhn_digit("7992739871") == "3"  # the textbook example
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    assert luhn_ok("89014103211118510720")  # an ICCID with a valid check digit
    assert not luhn_ok("")
    assert not luhn_ok("12a4")
    with pytest.raises(ValueError, match="digits"):
        luhn_digit("12a")


@given(st.text(alphabet="0123456789", min_size=1, max_size=25))
def test_the_check_digit_makes_a_number_pass(body: str) -> None:
    digit = luhn_digit(body)
    assert luhn_ok(body + digit)
    others = [d for d in "0123456789" if d != digit]
    assert not any(luhn_ok(body + d) for d in others)  # exactly one digit fits


@given(st.text(alphabet="0123456789", min_size=2, max_size=25), st.data())
def test_luhn_catches_every_single_digit_typo(number: str, data: st.DataObject) -> None:
    good = number[:-1] + luhn_digit(number[:-1])
    i = data.draw(st.integers(0, len(good) - 1))
    typo = data.draw(st.sampled_from([d for d in "0123456789" if d != good[i]]))
    assert not luhn_ok(good[:i] + typo + good[i + 1 :])


# -- byte figures -------------------------------------------------------------------------------


def test_format_bytes() -> None:
    assert format_bytes(None) == "unlimited"
    assert format_bytes(None, none="-") == "-"
    assert format_bytes(0) == "0 B"
    assert format_bytes(999) == "999 B"
    assert format_bytes(1000) == "1.0 kB"
    assert format_bytes(1_500_000_000) == "1.5 GB"
    assert format_bytes(2_500_000_000_000) == "2.5 TB"
    assert format_bytes(-5_000_000) == "-5.0 MB"  # a correction can be negative


# -- private atomic files -----------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_private_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "token"
    old = os.umask(0)
    try:
        write_private(target, "secret\n")
    finally:
        os.umask(old)
    assert target.read_text() == "secret\n"
    assert _mode(target) == 0o600
    # Replacing a world-readable file leaves an owner-only one.
    target.chmod(0o644)
    write_private(target, b"other")
    assert target.read_bytes() == b"other"
    assert _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token"]  # no temporary file left


def test_write_atomic_mode_and_durable(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    write_atomic(cert, b"PEM", mode=0o644, durable=True)
    assert cert.read_bytes() == b"PEM"
    assert _mode(cert) == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_litter(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()  # a directory where the file should go: the rename fails
    with pytest.raises(OSError):
        write_private(tmp_path / "state", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["state"]
    assert (tmp_path / "state").is_dir()
    with pytest.raises(FileNotFoundError):
        write_private(tmp_path / "missing" / "file", "x")


# -- serving an ASGI app ------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _app(
    entered: asyncio.Event | None = None, release: asyncio.Event | None = None
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        if scope["path"] == "/slow" and entered is not None and release is not None:
            entered.set()
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    return app


def _config(app: Any) -> uvicorn.Config:
    return uvicorn.Config(app, log_config=None, lifespan="off", access_log=False)


def test_bind_refuses_a_port_in_use_or_falls_back() -> None:
    first = bind("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        with pytest.raises(SimspotError, match=f"cannot listen on 127.0.0.1:{port}"):
            bind("127.0.0.1", port)
        other = bind("127.0.0.1", port, fallback_to_free_port=True)
        try:
            assert other.getsockname()[1] not in (0, port)
            assert other.getblocking() is False
        finally:
            other.close()
    finally:
        first.close()


async def test_serving_starts_answers_and_stops() -> None:
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    serving = Serving(_config(_app()), name="t", what="the test server")
    task = await serving.start(sock)
    try:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{port}/hello")
        assert r.status_code == 200 and r.text == "/hello"
        assert not task.done()
    finally:
        await serving.stop(timeout_s=5)
        sock.close()
    assert task.done()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # nobody listens any more
    await serving.stop()  # twice is fine


async def test_stop_forces_a_request_that_does_not_finish() -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    serving = Serving(_config(_app(entered, release)), name="t", what="the test server")
    task = await serving.start(sock)
    async with httpx.AsyncClient() as client:
        pending = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/slow", timeout=30))
        await asyncio.wait_for(entered.wait(), 30)  # the request is being handled
        await serving.stop(timeout_s=0.2)  # does not wait for the request
        assert task.done()
        release.set()
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await pending
    sock.close()


async def test_a_server_that_cannot_start_says_so() -> None:
    sock = bind("127.0.0.1", 0)
    sock.close()  # uvicorn gets a closed socket: it fails at start
    serving = Serving(_config(_app()), name="t", what="the test server")
    with pytest.raises((SimspotError, OSError)):
        await serving.start(sock)
    await serving.stop()
