"""A minimal W3C WebDriver client (httpx) for driving headless Chromium through chromedriver.

The protocol is plain HTTP+JSON, so a few calls cover what the UI tests need without another
dependency.
"""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    def __init__(self, lang: str = "en-US", *, insecure_certs: bool = False) -> None:
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="simspot-chromium-")
        self.driver = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.http.get("/status").json()["value"]["ready"]:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.close()
                raise AssertionError("chromedriver did not start")
            time.sleep(0.1)
        args = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={self.profile}", f"--lang={lang}",
            "--window-size=1200,900",
        ]  # fmt: skip
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:loggingPrefs": {"browser": "ALL"},
                    "unhandledPromptBehavior": "ignore",
                    # A self-signed certificate (the admin page on the LAN): the test checks its
                    # fingerprint itself, as a person on the hotspot would.
                    "acceptInsecureCerts": insecure_certs,
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": args,
                        "prefs": {"intl.accept_languages": lang},
                    },
                }
            }
        }
        self.session = self._check(self.http.post("/session", json=caps))["sessionId"]

    @staticmethod
    def _check(resp: httpx.Response) -> Any:
        body = resp.json()
        if resp.status_code >= 400:
            raise AssertionError(f"webdriver error: {body}")
        return body["value"]

    def _cmd(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"/session/{self.session}{path}"
        return self._check(self.http.request(method, url, json=body if method == "POST" else None))

    def get(self, url: str) -> None:
        self._cmd("POST", "/url", {"url": url})

    def find(self, css: str) -> str:
        return str(self._cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT])

    def find_all(self, css: str) -> list[str]:
        found = self._cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [str(e[ELEMENT]) for e in found]

    def click_element(self, element: str) -> None:
        """Click an element found before (by find): fails if the page replaced it meanwhile."""
        self._cmd("POST", f"/element/{element}/click", {})

    def clear(self, css: str) -> None:
        self._cmd("POST", f"/element/{self.find(css)}/clear", {})

    def type(self, css: str, text: str) -> None:
        self._cmd("POST", f"/element/{self.find(css)}/value", {"text": text})

    def select(self, css: str, value: str) -> None:
        """Choose an option of a <select> as a person would (the change event fires)."""
        self.click(f'{css} option[value="{value}"]')

    def upload(self, css: str, path: Path) -> None:
        """Give a file to an <input type=file> (what picking it in the dialog does)."""
        self._cmd("POST", f"/element/{self.find(css)}/value", {"text": str(path)})

    def click(self, css: str) -> None:
        self._cmd("POST", f"/element/{self.find(css)}/click", {})

    def text(self, css: str) -> str:
        return str(self._cmd("GET", f"/element/{self.find(css)}/text"))

    def visible(self, css: str) -> bool:
        return bool(self._cmd("GET", f"/element/{self.find(css)}/displayed"))

    def rect(self, css: str) -> dict[str, float]:
        return dict(self._cmd("GET", f"/element/{self.find(css)}/rect"))

    def attr(self, css: str, name: str) -> Any:
        return self._cmd("GET", f"/element/{self.find(css)}/property/{name}")

    def script(self, code: str, *args: Any) -> Any:
        return self._cmd("POST", "/execute/sync", {"script": code, "args": list(args)})

    def alert_text(self) -> str:
        return str(self._cmd("GET", "/alert/text"))

    def accept_alert(self) -> None:
        self._cmd("POST", "/alert/accept", {})

    def dismiss_alert(self) -> None:
        self._cmd("POST", "/alert/dismiss", {})

    def window_size(self, width: int, height: int) -> None:
        self._cmd("POST", "/window/rect", {"width": width, "height": height})

    def console(self) -> list[dict[str, Any]]:
        """The browser console messages logged since the last call (chromedriver's log API)."""
        return list(self._cmd("POST", "/se/log", {"type": "browser"}))

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self._cmd("GET", "/screenshot")))

    def wait(self, predicate: Any, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except AssertionError as exc:
                last = exc
            time.sleep(0.2)
        raise AssertionError(f"browser condition not met in time ({last})")

    def close(self) -> None:
        try:
            if getattr(self, "session", None):
                self.http.delete(f"/session/{self.session}")
        finally:
            self.http.close()
            self.driver.terminate()
            self.driver.wait(10)
            shutil.rmtree(self.profile, ignore_errors=True)
