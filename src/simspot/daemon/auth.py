"""Admin authentication: a generated password stored hashed, a root-only CLI token, web sessions.

There is never a default password. At first start a strong password is generated, its scrypt hash
stored in the state directory, and the clear text shown once (printed by `simspot demo`, written
root-only to ``initial-admin-password`` by `simspot serve`). The CLI authenticates with a token
kept in ``api-token`` (mode 0600), so only root (or the daemon's user) can use it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from simspot.errors import AuthError, StateError
from simspot.fsutil import write_private
from simspot.paths import TOKEN_FILE

PASSWORD_FILE = "admin-password.json"
INITIAL_PASSWORD_FILE = "initial-admin-password"
SESSION_TTL_S = 12 * 3600

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
# Wordlist-free but readable: groups of lowercase letters and digits, ~103 bits.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def generate_password(groups: int = 4, size: int = 5) -> str:
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size)) for _ in range(groups))


def hash_password(password: str, salt: bytes | None = None) -> dict[str, str | int]:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return {
        "alg": "scrypt",
        "n": _SCRYPT_N,
        "r": _SCRYPT_R,
        "p": _SCRYPT_P,
        "salt": base64.b64encode(salt).decode(),
        "hash": base64.b64encode(digest).decode(),
    }


def verify_password(password: str, record: dict[str, str | int]) -> bool:
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


@dataclass
class _Session:
    expires: float


class Auth:
    """Owns the password hash, the CLI token and the web sessions of one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._sessions: dict[str, _Session] = {}
        self._failures: dict[str, list[float]] = {}
        self._record: dict[str, str | int] | None = None
        self.token = ""

    def setup(self, *, reset_password: bool = False) -> str | None:
        """Load or create the credentials. Returns the new clear-text password if one was made."""
        new_password = None
        pw_path = self.state_dir / PASSWORD_FILE
        try:
            if reset_password or not pw_path.exists():
                new_password = generate_password()
                self._record = hash_password(new_password)
                write_private(pw_path, json.dumps(self._record))
            else:
                self._record = json.loads(pw_path.read_text(encoding="utf-8"))
            token_path = self.state_dir / TOKEN_FILE
            if token_path.exists():
                self.token = token_path.read_text(encoding="utf-8").strip()
            if len(self.token) < 32:
                self.token = secrets.token_urlsafe(32)
                write_private(token_path, self.token + "\n")
        except (OSError, ValueError) as exc:
            raise StateError(f"cannot set up credentials in {self.state_dir}: {exc}") from None
        return new_password

    def check_token(self, token: str) -> bool:
        return bool(self.token) and hmac.compare_digest(token.encode(), self.token.encode())

    def login(self, password: str, client: str) -> str:
        """Check the password; return a new session id. Five failures a minute lock a client out."""
        now = time.monotonic()
        recent = [t for t in self._failures.get(client, []) if now - t < 60]
        if len(recent) >= 5:
            raise AuthError("too many failed logins; wait a minute")
        if self._record is None or not verify_password(password, self._record):
            recent.append(now)
            self._failures[client] = recent
            raise AuthError("wrong password")
        self._failures.pop(client, None)
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = _Session(time.monotonic() + SESSION_TTL_S)
        return sid

    def check_session(self, sid: str) -> bool:
        sess = self._sessions.get(sid)
        if sess is None:
            return False
        if sess.expires < time.monotonic():
            del self._sessions[sid]
            return False
        return True

    def logout(self, sid: str) -> None:
        self._sessions.pop(sid, None)
