"""The dashboard in real headless Chromium against the real demo daemon."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import RunningDemo, start_demo
from tests.webdriver import Browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    d = start_demo(tmp_path_factory.mktemp("webui") / "state")
    yield d
    d.stop(signal.SIGINT)


def test_login_then_dashboard_shows_live_status(demo: RunningDemo, tmp_path: Path) -> None:
    b = Browser()
    try:
        b.get(demo.url + "/")
        b.wait(lambda: b.visible("#login"))
        assert not b.visible("#dashboard")

        b.type("#password", "not-the-password")
        b.click("#login button[type=submit]")
        b.wait(lambda: b.text("#login-error"))
        assert not b.visible("#dashboard")

        b.script("document.getElementById('password').value = ''")
        b.type("#password", demo.password)
        b.click("#login button[type=submit]")
        b.wait(lambda: b.visible("#dashboard"))
        slots = b.wait(lambda: b.text("#slots tbody"))
        assert "8944200000000000017" in slots and "8988247000000000021" in slots
        b.wait(lambda: b.text("#clients tbody"))
        assert "%" in b.text("#battery")
        b.screenshot(tmp_path / "dashboard.png")
        assert (tmp_path / "dashboard.png").stat().st_size > 1000

        b.click("#logout")
        b.wait(lambda: b.visible("#login"))
    finally:
        b.close()


def test_dashboard_speaks_chinese_to_chinese_browsers(demo: RunningDemo) -> None:
    b = Browser(lang="zh-CN")
    try:
        b.get(demo.url + "/")
        b.wait(lambda: b.visible("#login"))
        assert b.text("#login h2") == "登录"
        b.type("#password", demo.password)
        b.click("#login button[type=submit]")
        b.wait(lambda: b.visible("#dashboard"))
        assert b.text("#modem-card h2") == "调制解调器"
    finally:
        b.close()
