"""Finding and calling the running daemon from the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from simspot.daemon.auth import read_token
from simspot.errors import DaemonError, DaemonNotRunning
from simspot.paths import DEFAULT_STATE_DIR, RUNTIME_FILE


def demo_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "simspot" / "demo"


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


class DaemonClient:
    def __init__(self, state_dir: Path, timeout_s: float = 10.0) -> None:
        info = _runtime(state_dir)
        if info is None:
            raise DaemonNotRunning(
                f"no simspot daemon is running for {state_dir} "
                "(start one with `simspot serve`, or try `simspot demo`)"
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
            raise DaemonNotRunning(f"the simspot daemon at {self.url} does not answer") from None
        except httpx.HTTPError as exc:
            raise DaemonError(f"talking to the daemon at {self.url} failed: {exc}") from None
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text
            if isinstance(detail, list):  # FastAPI validation errors
                detail = "; ".join(
                    f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}"
                    for d in detail
                )
            raise DaemonError(f"{detail}")
        if resp.headers.get("content-type", "").startswith("application/json"):
            return resp.json()
        return resp.content

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self._http.close()
