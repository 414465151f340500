"""The Clients tab's device list in headless Chromium: vendor, state, approve and unapprove."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import RunningDemo, start_demo
from tests.webdriver import Browser

SHOTS = Path("/tmp/simspot-webui")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    d = start_demo(tmp_path_factory.mktemp("devui") / "state", "--speed", "0.01", "--clients", "4")
    yield d
    d.stop(signal.SIGINT)


def api(demo: RunningDemo, method: str, path: str) -> Any:
    with demo.client() as c:
        r = c.request(method, "/api/v1" + path)
        r.raise_for_status()
        return r.json()


def test_devices_are_listed_with_vendor_and_can_be_approved(demo: RunningDemo) -> None:
    b = Browser()
    SHOTS.mkdir(exist_ok=True)
    try:
        b.get(f"{demo.url}/#clients")
        b.wait(lambda: b.visible("#login") or b.visible("#dashboard"))
        if b.visible("#login"):
            b.type("#password", demo.password)
            b.click("#login button[type=submit]")
        b.wait(lambda: b.visible("#dashboard"))
        b.click("#tabs button[data-tab=clients]")
        devices = b.wait(lambda: api(demo, "GET", "/devices")["devices"])
        mac = devices[0]["mac"]
        row = f'#devices tr[data-key="{mac}"]'
        b.wait(lambda: b.find_all(row))
        text = b.text(row)
        assert "private address (randomised by the device)" in text and "Allowed" in text
        summary = b.text("#devices-summary")
        assert "New devices may use the hotspot at once." in summary and "DHCP addresses" in summary
        b.click(f"{row} button.approve")
        b.wait(
            lambda: next(d for d in api(demo, "GET", "/devices")["devices"] if d["mac"] == mac)[
                "approved"
            ]
        )
        b.wait(lambda: b.text(f"{row} button.approve") == "Unapprove")
        assert "Approved" in b.text(row)
        b.screenshot(SHOTS / "devices-1200.png")
        b.click(f"{row} button.approve")
        b.wait(lambda: b.text(f"{row} button.approve") == "Approve")
    finally:
        b.close()
