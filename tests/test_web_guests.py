"""The Guests tab in real headless Chromium against the real demo daemon, in English and Chinese.

A pass is created through the tab's form, its join QR is shown large enough to scan, the simulated
AP lets a guest's phone join with the new key (so usage and the device show up), and the pass is
topped up and revoked with the tab's buttons. Every effect is checked through the REST API.
"""

from __future__ import annotations

import datetime as dt
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import RunningDemo, start_demo
from tests.test_web_ui import SHOTS, api, open_tab
from tests.webdriver import Browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    # Real-time world: a guest's phone moves some kB a second, so usage shows within seconds.
    d = start_demo(tmp_path_factory.mktemp("webguests") / "state", "--speed", "1")
    yield d
    d.stop(signal.SIGINT)


@pytest.fixture
def browser_en() -> Iterator[Browser]:
    b = Browser()
    SHOTS.mkdir(exist_ok=True)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def browser_zh() -> Iterator[Browser]:
    b = Browser(lang="zh-CN")
    SHOTS.mkdir(exist_ok=True)
    try:
        yield b
    finally:
        b.close()


def passes(demo: RunningDemo) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in api(demo, "GET", "/guests")["passes"]}


def card(pid: str) -> str:
    return f'#guests article[data-pass="{pid}"]'


def js(b: Browser, code: str, *args: Any) -> Any:
    return b.script(code, *args)


def create(b: Browser, name: str, allowance: str, until: str, rate: str) -> None:
    b.clear("#guest-name")
    b.type("#guest-name", name)
    b.select("#guest-allowance", allowance)
    b.select("#guest-until", until)
    b.select("#guest-rate", rate)
    b.click("#guest-form button[type=submit]")


def click_card(b: Browser, css: str) -> None:
    """Click a button on a pass card: the cards are redrawn on every poll, so a button found
    just before a redraw is stale by the click; find it again until the click lands."""

    def click() -> bool:
        b.click(css)
        return True

    b.wait(click)


def guest_badge(b: Browser, mac: str) -> dict[str, str] | None:
    """The guest-pass badge on a row of the Clients tab: its text and pass id (None: no badge)."""
    got = js(
        b,
        'const e = document.querySelector(`#clients tr[data-key="${arguments[0]}"] .badge.guest`);'
        "return e ? {text: e.textContent, id: e.dataset.guest} : null;",
        mac,
    )
    return None if got is None else dict(got)


def qr_shown(b: Browser, pid: str) -> dict[str, Any]:
    """The join QR as drawn: loaded from the pass's SVG, and its size on screen."""
    got = js(
        b,
        "const i = document.getElementById('guest-qr-img'); const r = i.getBoundingClientRect();"
        "return {src: i.src, loaded: i.complete && i.naturalWidth > 0, w: r.width, h: r.height,"
        " shown: !document.getElementById('guest-qr').hidden};",
    )
    assert isinstance(got, dict)
    if not (got["shown"] and got["loaded"] and f"/guests/{pid}/qr?format=svg" in got["src"]):
        return {}
    return got


def test_create_see_qr_and_usage_top_up_and_revoke_in_english(
    demo: RunningDemo, browser_en: Browser
) -> None:
    b = browser_en
    open_tab(b, demo, "guests")
    assert b.text("#tabs button[data-tab=guests]") == "Guests"
    assert not b.visible("#guests-unsupported")
    create(b, "Anna", "1000000000", "tonight", "5000")
    p = b.wait(lambda: passes(demo).get("Anna"))
    pid = p["id"]
    assert p["allowance_bytes"] == 1_000_000_000 and p["rate_kbit"] == 5000
    assert p["period"] == "total" and p["state"] == "active"
    # "tonight 23:00": today's 23:00 local time, or tomorrow's when that has passed.
    until = dt.datetime.fromisoformat(p["until"]).astimezone()
    now = dt.datetime.now().astimezone()
    assert (until.hour, until.minute) == (23, 0) and now < until <= now + dt.timedelta(days=1)

    # The join QR: the pass's own SVG, drawn large enough to scan from the screen.
    shown = b.wait(lambda: qr_shown(b, pid))
    assert shown["w"] >= 250 and shown["h"] >= 250, shown
    with demo.client() as c:
        svg = c.get(f"/api/v1/guests/{pid}/qr", params={"format": "svg"})
        text = c.get(f"/api/v1/guests/{pid}/qr").text
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    key = b.text("#guest-qr-key")
    assert key and f"P:{key};" in text  # the key shown once is the one in the QR
    b.screenshot(SHOTS / "guests-qr-en.png")

    # Usage: the simulated AP lets a guest's phone join with the new key; the card shows it.
    def in_use() -> bool:
        q = passes(demo)["Anna"]
        return bool(q["macs"]) and q["used_bytes"] > 0

    b.wait(in_use, timeout=60)
    mac = passes(demo)["Anna"]["macs"][0]
    device = f'{card(pid)} .guest-devices li[data-mac="{mac}"]'
    b.wait(lambda: "guest-phone" in b.text(device), timeout=30)
    b.wait(lambda: "Used" in b.text(f"{card(pid)} .guest-usage") and "1.00 GB" in b.text(card(pid)))
    assert js(b, f"return document.querySelector('{card(pid)} .bar') !== null")
    assert "shared by its devices" in b.text(card(pid))
    # The client list says which pass the phone joined with.
    rows = {c["mac"]: c for c in api(demo, "GET", "/hotspot/clients")}
    assert rows[mac]["guest_id"] == pid and rows[mac]["guest_name"] == "Anna"
    # ... and so does the Clients tab: a badge naming the pass on the phone's row.
    b.click("#tabs button[data-tab=clients]")
    b.wait(lambda: guest_badge(b, mac) == {"text": "guest pass: Anna", "id": pid}, 30)
    owners = [c["mac"] for c in api(demo, "GET", "/hotspot/clients") if c["guest_id"] is None]
    assert owners and all(guest_badge(b, m) is None for m in owners)
    b.click("#tabs button[data-tab=guests]")
    b.wait(lambda: b.visible(f"{card(pid)} button.topup"))

    # Top up: +1 GB at once.
    click_card(b, f"{card(pid)} button.topup")
    b.wait(lambda: passes(demo)["Anna"]["topup_bytes"] == 1_000_000_000)
    b.wait(lambda: "2.00 GB" in b.text(card(pid)))

    # Revoke: asks first, then the pass ends and its phone is dropped.
    click_card(b, f"{card(pid)} button.revoke")
    assert "Anna" in b.alert_text()
    b.accept_alert()
    b.wait(lambda: passes(demo)["Anna"]["state"] == "revoked")
    b.wait(lambda: "revoked" in b.text(f"{card(pid)} .pill"))
    assert not js(b, f"return document.querySelector('{card(pid)} button.revoke') !== null")
    b.wait(lambda: mac not in {c["mac"] for c in api(demo, "GET", "/hotspot/clients")}, 30)
    b.screenshot(SHOTS / "guests-en.png")


def test_the_tab_in_chinese_and_why_passes_are_refused(
    demo: RunningDemo, browser_zh: Browser
) -> None:
    b = browser_zh
    open_tab(b, demo, "guests")
    assert b.text("#tabs button[data-tab=guests]") == "访客"
    assert b.text("#guest-form button[type=submit]") == "创建通行证"
    create(b, "李雷", "500000000", "weekend", "")
    p = b.wait(lambda: passes(demo).get("李雷"))
    pid = p["id"]
    until = dt.datetime.fromisoformat(p["until"]).astimezone()
    assert until.weekday() == 6 and (until.hour, until.minute) == (23, 0)  # Sunday 23:00
    assert p["rate_kbit"] is None and p["allowance_bytes"] == 500_000_000
    shown = b.wait(lambda: qr_shown(b, pid))
    assert shown["w"] >= 250
    assert "李雷" in b.text("#guest-qr-name") and "二维码" in b.text("#guest-qr-name")
    b.wait(lambda: "已用" in b.text(f"{card(pid)} .guest-usage"))
    b.wait(lambda: b.text(f"{card(pid)} button.revoke") == "撤销")
    click_card(b, f"{card(pid)} button.revoke")
    assert "李雷" in b.alert_text()
    b.accept_alert()
    b.wait(lambda: passes(demo)["李雷"]["state"] == "revoked")
    b.wait(lambda: b.text(f"{card(pid)} .pill") == "已撤销")
    b.screenshot(SHOTS / "guests-zh.png")

    # Where the AP cannot name each guest's key, the tab says why, in the reader's language,
    # with the API's reason (here a WPA3-only network; NetworkManager and wired sharing alike).
    api(demo, "POST", "/hotspot/settings", {"security": "wpa3"})
    try:
        refusal = api(demo, "GET", "/guests")["refusal_message"]
        assert refusal["id"] == "guest.refusal.wpa3-only"
        b.click("#tabs button[data-tab=overview]")
        b.click("#tabs button[data-tab=guests]")
        b.wait(lambda: b.visible("#guests-unsupported"))
        said = b.text("#guests-unsupported")
        assert "访客通行证需要 WPA2" in said and "WPA3" in said
        assert not b.visible("#guest-form")
        b.screenshot(SHOTS / "guests-refused-zh.png")
    finally:
        api(demo, "POST", "/hotspot/settings", {"security": "wpa2-wpa3"})
    b.click("#tabs button[data-tab=overview]")
    b.click("#tabs button[data-tab=guests]")
    b.wait(lambda: b.visible("#guest-form") and not b.visible("#guests-unsupported"))
