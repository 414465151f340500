"""Login throttle arithmetic, sessions, password changes on disk, hashing off the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import pytest

from simspot.daemon.auth import (
    INITIAL_PASSWORD_FILE,
    PASSWORD_FILE,
    Auth,
    LoginThrottle,
    LoginThrottled,
    hash_password,
    verify_password,
)
from simspot.errors import AuthError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_grows_per_address_and_never_locks_for_good() -> None:
    clock = FakeClock()
    t = LoginThrottle(free=3, base_s=5, max_s=900, burst=10**6, clock=clock)
    assert [t.delay_after(n) for n in range(1, 9)] == [0, 0, 0, 5, 10, 20, 40, 80]
    assert t.delay_after(40) == 900 and t.delay_after(10**6) == 900

    for _ in range(3):
        t.admit("10.0.0.2")  # free attempts (each charged as a failure until it succeeds)
    t.admit("10.0.0.2")  # the fourth is admitted, and makes the address wait 5 s
    with pytest.raises(LoginThrottled) as info:
        t.admit("10.0.0.2")
    assert info.value.retry_after == 5
    assert str(info.value) == "too many failed logins from this address; try again in 5 s"
    assert isinstance(info.value, AuthError)
    t.admit("10.0.0.3")  # another address is not affected

    clock.now += 4.5
    with pytest.raises(LoginThrottled) as info:
        t.admit("10.0.0.2")
    assert info.value.retry_after == 1  # whole seconds, rounded up
    clock.now += 0.5
    t.admit("10.0.0.2")  # the delay passed: the attempt is considered (no hard lock)
    with pytest.raises(LoginThrottled) as info:
        t.admit("10.0.0.2")
    assert info.value.retry_after == 10  # fifth failure: doubled
    assert t.failures("10.0.0.2") == 5

    t.succeeded("10.0.0.2")  # the right password clears the address
    assert t.failures("10.0.0.2") == 0
    t.admit("10.0.0.2")


def test_refused_attempts_do_not_lengthen_the_wait() -> None:
    clock = FakeClock()
    t = LoginThrottle(free=0, base_s=5, burst=10**6, clock=clock)
    t.admit("a")
    for _ in range(50):
        with pytest.raises(LoginThrottled):
            t.admit("a")
    clock.now += 5
    t.admit("a")
    assert t.failures("a") == 2


def test_global_budget_over_all_addresses() -> None:
    clock = FakeClock()
    t = LoginThrottle(free=3, burst=20, per_minute=20, clock=clock)
    for i in range(20):
        t.admit(f"10.1.0.{i}")
    with pytest.raises(LoginThrottled) as info:
        t.admit("10.9.9.9")
    assert info.value.retry_after == 3  # one attempt every 3 s
    assert t.failures("10.9.9.9") == 0  # a refused attempt is not charged to the address
    clock.now += 3
    t.admit("10.9.9.9")
    with pytest.raises(LoginThrottled):
        t.admit("10.9.9.10")
    clock.now += 3600
    for i in range(20):  # refilled, but never above the burst
        t.admit(f"10.2.0.{i}")
    with pytest.raises(LoginThrottled):
        t.admit("10.2.1.1")


def test_address_table_is_bounded_and_forgets() -> None:
    clock = FakeClock()
    t = LoginThrottle(free=0, base_s=1, max_addresses=100, forget_s=3600, burst=10**6, clock=clock)
    for i in range(1000):
        t.admit(f"2001:db8::{i:x}")
        clock.now += 0.001
    assert len(t._strikes) == 100
    assert t.failures("2001:db8::0") == 0 and t.failures("2001:db8::3e7") == 1
    clock.now += 3601
    t.admit("10.0.0.1")
    assert len(t._strikes) == 1


async def test_login_sessions_and_initial_password(tmp_path: Path) -> None:
    clock = FakeClock()
    auth = Auth(tmp_path, clock=clock)
    password = auth.setup()
    assert password is not None
    (tmp_path / INITIAL_PASSWORD_FILE).write_text(password + "\n")

    with pytest.raises(AuthError, match="wrong password"):
        await auth.login("nope", "127.0.0.1")
    assert (tmp_path / INITIAL_PASSWORD_FILE).exists()  # only a successful login removes it
    sid = await auth.login(password, "127.0.0.1", ttl_s=60)
    assert not (tmp_path / INITIAL_PASSWORD_FILE).exists()
    assert auth.check_session(sid)
    ended = auth.session_ended(sid)
    assert ended is not None and not ended.is_set()

    clock.now += 61
    assert not auth.check_session(sid)
    assert ended.is_set()  # an expired session's streams are told
    sid2 = await auth.login(password, "127.0.0.1")  # a second login works too
    auth.logout(sid2)
    assert not auth.check_session(sid2)


async def test_password_file_change_takes_effect_and_ends_sessions(tmp_path: Path) -> None:
    auth = Auth(tmp_path)
    old = auth.setup()
    assert old is not None
    sid = await auth.login(old, "127.0.0.1")
    ended = auth.session_ended(sid)
    assert ended is not None

    new = Auth(tmp_path).setup(reset_password=True)  # what `simspot passwd` does
    assert new is not None and new != old
    assert not auth.check_session(sid)
    assert ended.is_set()
    with pytest.raises(AuthError, match="wrong password"):
        await auth.login(old, "127.0.0.2")
    assert await auth.login(new, "127.0.0.3")

    # A broken file keeps the password in use rather than letting anyone in or no one.
    (tmp_path / PASSWORD_FILE).write_text("{not json")
    assert not auth.refresh()
    assert await auth.login(new, "127.0.0.4")


def _slow_record(password: str, at_least_s: float) -> tuple[dict[str, str | int], float]:
    """A password record whose check takes at least ``at_least_s`` seconds here (raising p)."""
    p = 4
    while True:
        record = hash_password(password, n=2**14, r=8, p=p)
        t0 = time.perf_counter()
        assert verify_password("x" + password, record) is False
        took = time.perf_counter() - t0
        if took >= at_least_s:
            return record, took
        p = min(p * 2, 1024)


async def test_hashing_does_not_block_the_event_loop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # asyncio's debug mode logs every loop callback that runs longer than slow_callback_duration;
    # with the hash on the loop one callback lasts a whole hash.
    record, took = _slow_record("secret-password", 1.0)
    (tmp_path / PASSWORD_FILE).write_text(json.dumps(record))
    (tmp_path / "api-token").write_text("t" * 40)
    auth = Auth(tmp_path)
    auth.setup()

    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = took / 2
    caplog.set_level(logging.WARNING, logger="asyncio")
    try:
        # The detector works: the same check run on the loop is reported. (Each runs in its own
        # task so that its loop callbacks have finished, and been judged, when the test resumes.)
        async def on_the_loop() -> None:
            verify_password("guess", record)

        await asyncio.create_task(on_the_loop())
        assert any("took" in r.getMessage() for r in caplog.records), caplog.text
        caplog.clear()

        with pytest.raises(AuthError, match="wrong password"):
            await asyncio.create_task(auth.login("guess", "127.0.0.1"))
        slow = [r.getMessage() for r in caplog.records if "took" in r.getMessage()]
        assert slow == []
    finally:
        loop.set_debug(False)


def test_loopback_is_outside_the_global_budget() -> None:
    clock = FakeClock()
    t = LoginThrottle(free=3, burst=2, per_minute=1, clock=clock)
    t.admit("10.0.0.1")
    t.admit("10.0.0.2")
    with pytest.raises(LoginThrottled):
        t.admit("10.0.0.3")
    t.admit("127.0.0.1")  # the owner on the box still gets a hearing
    t.succeeded("127.0.0.1")
    for _ in range(4):
        t.admit("::1")
    with pytest.raises(LoginThrottled):  # but loopback guesses are slowed like any address
        t.admit("::1")


async def test_a_delayed_address_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    auth = Auth(tmp_path)
    auth.setup()
    caplog.set_level(logging.WARNING, logger="simspot.daemon.auth")
    for _ in range(3):
        with pytest.raises(AuthError):
            await auth.login("guess", "192.0.2.9")
    assert not caplog.records  # the free attempts are quiet
    with pytest.raises(AuthError, match="wrong password"):
        await auth.login("guess", "192.0.2.9")
    [record] = caplog.records
    assert record.address == "192.0.2.9" and record.failures == 4 and record.wait_s == 5  # type: ignore[attr-defined]
    assert "guess" not in caplog.text
