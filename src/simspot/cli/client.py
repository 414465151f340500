"""Finding and calling the running daemon from the CLI."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from simspot.errors import AuthError, DaemonError, DaemonNotRunning
from simspot.paths import DEFAULT_STATE_DIR, RUNTIME_FILE, TOKEN_FILE

# httpx imports its own command line (click, pygments, rich.syntax) whenever those happen to be
# installed, as they are here for other reasons; it treats an ImportError as "no CLI". The client
# never needs it, and it is about half of httpx's import time on every `simspot` call.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402 - after the line above


def demo_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "simspot" / "demo"


def read_token(state_dir: Path) -> str:
    """The CLI's token for the daemon of ``state_dir`` (written by the daemon, root-only)."""
    path = state_dir / TOKEN_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except PermissionError:
        raise AuthError(
            f"cannot read {path}: the CLI token is root-only; run as root",
            msg_id="cli.token.root",
            params={"path": str(path)},
        ) from None
    except OSError as exc:
        raise AuthError(
            f"cannot read the CLI token {path}: {exc.strerror}",
            msg_id="cli.token.unreadable",
            params={"path": str(path), "problem": exc.strerror},
        ) from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runtime(state_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((state_dir / RUNTIME_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not _alive(int(info.get("pid", 0))):
        return None
    return info


def resolve_state_dir(explicit: Path | None, configured: Path | None = None) -> Path:
    """--state-dir, else $SIMSPOT_STATE_DIR, else the configured one if a daemon runs there,
    else the demo's."""
    if explicit is not None:
        return explicit
    env = os.environ.get("SIMSPOT_STATE_DIR")
    if env:
        return Path(env)
    first = configured or DEFAULT_STATE_DIR
    if _runtime(first) is None and _runtime(demo_state_dir()) is not None:
        return demo_state_dir()
    return first


class DaemonRefused(DaemonError):
    """The daemon answered with an error; ``field`` names the input it is about, when known.

    ``parts`` are the answer's sentences: each a message by id (``{"id", "params"}``, rendered in
    the reader's language by ``localized``) or, without one, the English text.
    """

    def __init__(
        self,
        message: str,
        status: int,
        field: str | None = None,
        parts: list[dict[str, Any] | str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.parts = parts or []
        ids = [p for p in self.parts if isinstance(p, dict)]
        if len(self.parts) == 1 and ids:  # one sentence by id: as every error names it
            self.msg_id, self.params = str(ids[0]["id"]), dict(ids[0].get("params") or {})

    def localized(self, lang: str = "en") -> str:
        if lang == "en" or not any(isinstance(p, dict) for p in self.parts):
            return str(self)
        from simspot.i18n import language, render

        return ("；" if language(lang) == "zh" else "; ").join(
            render(str(p["id"]), p.get("params") or {}, language(lang))
            if isinstance(p, dict)
            else p
            for p in self.parts
        )


def _said(value: object) -> dict[str, Any] | None:
    """A message by id from an answer (``{"id", "params", ...}``), or None."""
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        params = value.get("params")
        return {"id": value["id"], "params": params if isinstance(params, dict) else {}}
    return None


def _loc(loc: object) -> str:
    """FastAPI's error location without where it was ("body", "query", "path")."""
    parts = [str(p) for p in loc] if isinstance(loc, list) else []
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts)


def refusal(status: int, body: object, text: str = "") -> DaemonRefused:
    """The error an answer carries, in either form the API uses.

    ``{"detail": "ssid: is 40 bytes ...", "field": "ssid"}`` (simspot refused a value, or an
    operation failed: no field) or FastAPI's ``{"detail": [{"loc": [...], "msg": ...}, ...]}``
    (the request did not fit the schema).
    """
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        field = body.get("field") if isinstance(body, dict) else None
        field = field if isinstance(field, str) and field else None
        said = _said(body.get("message")) if isinstance(body, dict) else None
        if field and not detail.startswith(f"{field}:"):
            detail = f"{field}: {detail}"
            if said is not None:
                said = {"id": "error.at-field", "params": {"field": field, "problem": [said]}}
        return DaemonRefused(detail, status, field, [said or detail])
    if isinstance(detail, list) and detail:
        items = [d for d in detail if isinstance(d, dict)]
        parts = []
        texts: list[dict[str, Any] | str] = []
        for d in items:
            where = _loc(d.get("loc"))
            msg = str(d.get("msg", "invalid")).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}" if where else msg)
            texts.append(_said(d.get("message")) or parts[-1])
        first = _loc(items[0].get("loc")) if items else ""
        return DaemonRefused("; ".join(parts) or f"HTTP {status}", status, first or None, texts)
    return DaemonRefused(text.strip()[:500] or f"HTTP {status}", status)


class DaemonClient:
    def __init__(self, state_dir: Path, timeout_s: float = 10.0) -> None:
        info = _runtime(state_dir)
        if info is None:
            raise DaemonNotRunning(
                f"no simspot daemon is running for {state_dir} "
                "(start one with `simspot serve`, or try `simspot demo`)",
                msg_id="cli.daemon.not-running",
                params={"state_dir": str(state_dir)},
            )
        self.url = str(info["url"])
        token = read_token(state_dir)
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
            follow_redirects=False,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self._http.request(method, "/api/v1" + path, **kwargs)
        except httpx.ConnectError:
            raise DaemonNotRunning(
                f"the simspot daemon at {self.url} does not answer",
                msg_id="cli.daemon.no-answer",
                params={"url": self.url},
            ) from None
        except httpx.HTTPError as exc:
            raise DaemonError(
                f"talking to the daemon at {self.url} failed: {exc}",
                msg_id="cli.daemon.failed",
                params={"url": self.url, "problem": str(exc)},
            ) from None
        if resp.status_code >= 400:
            try:
                body: Any = resp.json()
            except ValueError:
                body = None
            raise refusal(resp.status_code, body, resp.text)
        if resp.headers.get("content-type", "").startswith("application/json"):
            return resp.json()
        return resp.content

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self._http.close()
