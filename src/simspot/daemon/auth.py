"""Admin authentication: a generated password stored hashed, a root-only CLI token, web sessions.

There is never a default password. At first start a strong password is generated, its scrypt hash
stored in the state directory, and the clear text shown once (printed by `simspot demo`, written
root-only to ``initial-admin-password`` by `simspot serve`; that file is deleted after the first
successful login). The CLI authenticates with a token kept in ``api-token`` (mode 0600), so only
root (or the daemon's user) can use it.

Guessing is slowed per client address (a few free attempts, then a delay that doubles with every
failure) and globally (a token bucket over all login attempts); the delay never becomes a lock:
once it has passed, the right password works. Hashing runs on a worker thread so a login flood
does not stall the event loop. The daemon re-reads the password file when it changes on disk
(`simspot passwd`), which ends every web session.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from simspot.errors import AuthError, StateError
from simspot.fsutil import write_private
from simspot.paths import TOKEN_FILE

log = logging.getLogger(__name__)

PASSWORD_FILE = "admin-password.json"
INITIAL_PASSWORD_FILE = "initial-admin-password"
SESSION_TTL_S = 12 * 3600
MAX_SESSIONS = 256

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
# Wordlist-free but readable: groups of lowercase letters and digits, ~103 bits.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"

Clock = Callable[[], float]


class LoginThrottled(AuthError):
    """A login attempt refused before the password was checked: too many recent attempts.

    ``retry_after`` is the number of whole seconds after which an attempt will be considered.
    """

    def __init__(self, reason: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        known = {
            "too many failed logins from this address": "auth.throttled.address",
            "too many login attempts": "auth.throttled",
        }
        super().__init__(
            f"{reason}; try again in {self.retry_after} s",
            msg_id=known.get(reason),
            params={"seconds": self.retry_after},
        )


def generate_password(groups: int = 4, size: int = 5) -> str:
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size)) for _ in range(groups))


def hash_password(
    password: str,
    salt: bytes | None = None,
    *,
    n: int = _SCRYPT_N,
    r: int = _SCRYPT_R,
    p: int = _SCRYPT_P,
) -> dict[str, str | int]:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return {
        "alg": "scrypt",
        "n": n,
        "r": r,
        "p": p,
        "salt": base64.b64encode(salt).decode(),
        "hash": base64.b64encode(digest).decode(),
    }


def verify_password(password: str, record: dict[str, str | int]) -> bool:
    """Check a password against a stored record (CPU-heavy: call it off the event loop)."""
    try:
        salt = base64.b64decode(str(record["salt"]))
        expected = base64.b64decode(str(record["hash"]))
        digest = hashlib.scrypt(
            password.encode(),
            salt=salt,
            n=int(record["n"]),
            r=int(record["r"]),
            p=int(record["p"]),
            dklen=len(expected),
        )
    except (KeyError, ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@dataclass
class _Strikes:
    failures: int
    last: float
    not_before: float


class LoginThrottle:
    """Slows password guessing: per client address, and over all addresses together.

    Per address, ``free`` attempts pass; after that each failed attempt makes the address wait
    ``base_s`` seconds, doubling per further failure up to ``max_s``. An attempt is counted as a
    failure when it is admitted (so concurrent guesses cannot slip past) and forgiven when it
    succeeds. Globally, a token bucket of ``burst`` attempts refilled at ``per_minute`` bounds
    guesses and hashing work from many addresses; loopback (someone on the box itself, when no
    proxy is trusted) is outside it, so an attack from the hotspot cannot keep the owner out.
    Pure bookkeeping over an injected clock.
    """

    def __init__(
        self,
        *,
        free: int = 3,
        base_s: float = 5.0,
        max_s: float = 900.0,
        forget_s: float = 3600.0,
        max_addresses: int = 4096,
        burst: int = 20,
        per_minute: float = 20.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.free, self.base_s, self.max_s, self.forget_s = free, base_s, max_s, forget_s
        self.max_addresses = max_addresses
        self.burst, self.per_minute = burst, per_minute
        self._clock = clock
        self._strikes: OrderedDict[str, _Strikes] = OrderedDict()
        self._tokens = float(burst)
        self._refilled = clock()

    def delay_after(self, failures: int) -> float:
        """Seconds an address waits after this many failures in a row."""
        if failures <= self.free:
            return 0.0
        return float(min(self.max_s, self.base_s * 2 ** min(failures - self.free - 1, 62)))

    def admit(self, address: str) -> None:
        """Let one attempt from ``address`` through (charged as a failure) or raise."""
        now = self._clock()
        self._forget_stale(now)
        strikes = self._strikes.get(address)
        if strikes is not None and now < strikes.not_before:
            raise LoginThrottled(
                "too many failed logins from this address",
                strikes.not_before - now,
            )
        budgeted = not _is_loopback(address)
        if budgeted:
            self._refill(now)
            if self._tokens < 1:
                wait = (1 - self._tokens) * 60 / self.per_minute
                raise LoginThrottled("too many login attempts", wait)
            self._tokens -= 1
        failures = (strikes.failures if strikes else 0) + 1
        self._strikes[address] = _Strikes(failures, now, now + self.delay_after(failures))
        self._strikes.move_to_end(address)
        while len(self._strikes) > self.max_addresses:
            self._strikes.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._strikes.pop(address, None)

    def failures(self, address: str) -> int:
        strikes = self._strikes.get(address)
        return strikes.failures if strikes else 0

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._refilled)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.per_minute / 60)
        self._refilled = now

    def _forget_stale(self, now: float) -> None:
        while self._strikes:
            oldest = next(iter(self._strikes.values()))
            if now - oldest.last < self.forget_s or now < oldest.not_before:
                break
            self._strikes.popitem(last=False)


@dataclass
class _Session:
    expires: float
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class Auth:
    """Owns the password hash, the CLI token and the web sessions of one state directory."""

    def __init__(
        self,
        state_dir: Path,
        *,
        throttle: LoginThrottle | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.state_dir = state_dir
        self.throttle = throttle or LoginThrottle(clock=clock)
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._hashing = asyncio.Semaphore(1)
        self._record: dict[str, str | int] | None = None
        self._record_id: tuple[int, int, int] | None = None
        self.token = ""

    @property
    def password_path(self) -> Path:
        return self.state_dir / PASSWORD_FILE

    def setup(self, *, reset_password: bool = False) -> str | None:
        """Load or create the credentials. Returns the new clear-text password if one was made."""
        new_password = None
        pw_path = self.password_path
        try:
            if reset_password or not pw_path.exists():
                new_password = generate_password()
                write_private(pw_path, json.dumps(hash_password(new_password)))
                # A first password left in clear text is no longer the password.
                (self.state_dir / INITIAL_PASSWORD_FILE).unlink(missing_ok=True)
            self._load_record()
            token_path = self.state_dir / TOKEN_FILE
            if token_path.exists():
                self.token = token_path.read_text(encoding="utf-8").strip()
            if len(self.token) < 32:
                self.token = secrets.token_urlsafe(32)
                write_private(token_path, self.token + "\n")
        except (OSError, ValueError) as exc:
            raise StateError(
                f"cannot set up credentials in {self.state_dir}: {exc}",
                msg_id="auth.setup",
                params={"path": str(self.state_dir), "problem": str(exc)},
            ) from None
        return new_password

    def _load_record(self) -> None:
        st = self.password_path.stat()
        record = json.loads(self.password_path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError(f"{self.password_path} is not a password record")
        self._record = record
        self._record_id = (st.st_ino, st.st_mtime_ns, st.st_size)

    def refresh(self) -> bool:
        """Re-read the password file if it changed on disk (`simspot passwd`).

        A new password ends every web session. Returns whether it changed. An unreadable or
        broken file keeps the password in use (and says so in the log).
        """
        try:
            st = self.password_path.stat()
        except OSError:
            return False
        if (st.st_ino, st.st_mtime_ns, st.st_size) == self._record_id:
            return False
        try:
            self._load_record()
        except (OSError, ValueError) as exc:
            log.warning(
                "the admin password file changed but cannot be read; keeping the old password",
                extra={"path": str(self.password_path), "error": type(exc).__name__},
            )
            return False
        ended = self.end_all_sessions()
        log.info("admin password changed on disk; web sessions ended", extra={"sessions": ended})
        return True

    def check_token(self, token: str) -> bool:
        return bool(self.token) and hmac.compare_digest(token.encode(), self.token.encode())

    async def login(self, password: str, client: str, *, ttl_s: float = SESSION_TTL_S) -> str:
        """Check the password; return a new session id.

        Raises ``LoginThrottled`` (password not checked) while ``client`` must wait or the global
        budget is spent, ``AuthError`` for a wrong password.
        """
        self.refresh()
        self.throttle.admit(client)
        record = self._record
        ok = False
        if record is not None:
            # One check at a time: a flood queues here instead of taking every core from the
            # event loop (the throttle bounds the queue).
            async with self._hashing:
                ok = await asyncio.to_thread(verify_password, password, record)
        if not ok:
            failures = self.throttle.failures(client)
            wait = self.throttle.delay_after(failures)
            if wait > 0:
                log.warning(
                    "failed logins: the address must wait before its next attempt",
                    extra={"address": client, "failures": failures, "wait_s": wait},
                )
            raise AuthError("wrong password", msg_id="auth.wrong-password")
        self.throttle.succeeded(client)
        self._forget_initial_password()
        now = self._clock()
        for sid in [s for s, sess in self._sessions.items() if sess.expires <= now]:
            self._end(sid)
        while len(self._sessions) >= MAX_SESSIONS:
            self._end(next(iter(self._sessions)))
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = _Session(now + ttl_s)
        return sid

    def _forget_initial_password(self) -> None:
        """The clear-text first password has served its purpose once someone logged in."""
        path = self.state_dir / INITIAL_PASSWORD_FILE
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning(
                "cannot delete the initial password file",
                extra={"path": str(path), "error": exc.strerror},
            )
            return
        log.info("first login: initial password file deleted", extra={"path": str(path)})

    def check_session(self, sid: str) -> bool:
        self.refresh()
        sess = self._sessions.get(sid)
        if sess is None:
            return False
        if sess.expires <= self._clock():
            self._end(sid)
            return False
        return True

    def session_ended(self, sid: str) -> asyncio.Event | None:
        """An event set when the session ends (logout, expiry, password change); None if gone."""
        sess = self._sessions.get(sid)
        return sess.ended if sess else None

    def session_expires_in(self, sid: str) -> float | None:
        sess = self._sessions.get(sid)
        return None if sess is None else sess.expires - self._clock()

    def logout(self, sid: str) -> None:
        self._end(sid)

    def end_all_sessions(self) -> int:
        sids = list(self._sessions)
        for sid in sids:
            self._end(sid)
        return len(sids)

    def _end(self, sid: str) -> None:
        sess = self._sessions.pop(sid, None)
        if sess is not None:
            sess.ended.set()
