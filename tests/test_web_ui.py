"""The admin UI in real headless Chromium against the real demo daemon.

Every check that the UI changed something is made through the REST API (the CLI's bearer
token), so the tests prove the buttons drive the daemon, not just the page.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import RunningDemo, start_demo
from tests.webdriver import Browser

SHOTS = Path("/tmp/simspot-webui")  # screenshots to look at; overwritten on each run
TABS = ["overview", "usage", "clients", "hotspot", "esim", "slots", "events"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    # Slowest simulated time: a client joins or leaves about once every 100 real minutes, so the
    # clients the tests pick stay connected while they are checked.
    # A slow world (1 simulated second per 100 real ones): the clients the tests act on stay
    # associated for the whole file (at 0.1 one of six left now and then mid-test).
    d = start_demo(tmp_path_factory.mktemp("webui") / "state", "--speed", "0.01", "--clients", "6")
    yield d
    d.stop(signal.SIGINT)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    SHOTS.mkdir(exist_ok=True)
    try:
        yield b
    finally:
        b.close()


def api(demo: RunningDemo, method: str, path: str, body: Any = None) -> Any:
    with demo.client() as c:
        r = c.request(method, "/api/v1" + path, json=body)
        r.raise_for_status()
        return r.json()


def login(b: Browser, demo: RunningDemo) -> None:
    b.wait(lambda: b.visible("#login") or b.visible("#dashboard"))
    if b.visible("#login"):
        b.clear("#password")
        b.type("#password", demo.password)
        b.click("#login button[type=submit]")
    b.wait(lambda: b.visible("#dashboard"))


def open_tab(b: Browser, demo: RunningDemo, tab: str) -> None:
    b.get(f"{demo.url}/#{tab}")
    login(b, demo)
    b.click(f"#tabs button[data-tab={tab}]")
    b.wait(lambda: b.visible(f"#tab-{tab}"))


def row_button(b: Browser, table: str, key: str, cls: str) -> str:
    return f'#{table} tr[data-key="{key}"] button.{cls}'


def test_login_then_overview_matches_status(demo: RunningDemo, browser: Browser) -> None:
    b = browser
    b.get(demo.url + "/")
    b.wait(lambda: b.visible("#login"))
    assert not b.visible("#dashboard")
    b.type("#password", "not-the-password")
    b.click("#login button[type=submit]")
    b.wait(lambda: b.text("#login-error"))
    assert not b.visible("#dashboard")

    login(b, demo)
    assert b.visible("#tab-overview")
    b.wait(lambda: b.text("#mode") == "SIMULATED")  # the simulator is never taken for hardware

    def matches() -> bool:
        st = api(demo, "GET", "/status")
        m, bat = st["modem"], st["battery"]
        modem, battery, summary = b.text("#modem"), b.text("#battery"), b.text("#summary")
        return (
            m["operator_name"] in modem
            and f"{m['signal_percent']} %" in modem
            and m["state"] in modem
            and ("roaming" if m["registration"] == "roaming" else "home network") in modem
            and f"{round(bat['percent'])} %" in battery
            and "on battery" in battery
            and " min" in battery  # time left
            and f"Devices\n{len(st['clients'])}" in summary
        )

    b.wait(matches)
    b.wait(lambda: b.text("#sharing-state") == "Sharing")
    b.screenshot(SHOTS / "overview-1200.png")

    # The sharing switch drives hotspot down/up and shows the reason that holds sharing.
    def macs() -> set[str]:
        return {c["mac"] for c in api(demo, "GET", "/hotspot/clients")}

    connected = b.wait(macs)
    b.click("#sharing-toggle")
    b.wait(lambda: "user" in api(demo, "GET", "/power")["sharing"]["reasons"])
    b.wait(lambda: b.text("#sharing-state") == "Not sharing")
    assert "turned off by you" in b.text("#sharing-reasons")
    b.click("#sharing-toggle")
    b.wait(lambda: api(demo, "GET", "/power")["sharing"]["enabled"])
    b.wait(lambda: b.text("#sharing-state") == "Sharing")
    assert b.text("#sharing-reasons") == ""
    b.wait(lambda: macs() == connected)  # the devices are back before the next test picks one


def test_usage_shows_plans_and_corrects_usage(demo: RunningDemo, browser: Browser) -> None:
    b = browser
    open_tab(b, demo, "usage")
    plans = api(demo, "GET", "/plans")["plans"]
    b.wait(lambda: all(p["plan"]["name"] in b.text("#plans") for p in plans))
    assert len(b.find_all("#plans article")) == len(plans)
    first = plans[0]

    def drawn_as_api_says() -> bool:
        p = api(demo, "GET", f"/plans/{first['id']}")
        widths = b.script(
            "return [...document.querySelectorAll('#plans article:first-child .bar span')]"
            ".map(s => parseFloat(s.style.width))"
        )
        expected = 100 * p["used_bytes"] / p["allowance_bytes"]
        # The forecast's figures move with every byte; its opening words do not.
        sentence = b.text("#plans article:first-child .forecast")
        return bool(
            sentence[:12] == p["forecast"]["explanation"][:12] and abs(widths[0] - expected) < 2
        )

    b.wait(drawn_as_api_says)  # the forecast sentence and a bar drawn to the plan's use
    b.wait(lambda: b.find_all("#usage-clients tbody tr"))
    # The cards are updated in place: a button found before a poll is the one clicked after it.
    button = b.find(f'#plans button.correct[data-plan="{first["id"]}"]')
    chart = b.find(f'#plans .plan-chart[data-plan="{first["id"]}"]')
    sleep_past_a_poll()
    assert b.find(f'#plans .plan-chart[data-plan="{first["id"]}"]') == chart
    b.click_element(button)
    b.wait(lambda: b.visible("#correct-form"))
    b.type("#correct-used", "lots")
    b.click("#correct-form button[type=submit]")
    b.wait(lambda: "is not a size" in b.text("#correct-error"))
    b.clear("#correct-used")
    b.type("#correct-used", "400MB")
    b.click("#correct-form button[type=submit]")

    def used() -> int:
        return int(api(demo, "GET", f"/plans/{first['id']}")["used_bytes"])

    b.wait(lambda: 400_000_000 <= used() < 410_000_000)
    b.wait(lambda: not b.visible("#correct-form"))
    b.wait(lambda: "Used 40" in b.text("#plans article:first-child"))


def sleep_past_a_poll() -> None:
    """Long enough for the page to poll the daemon (every 3 s) and redraw what changed."""
    time.sleep(3.5)


def test_guest_cards_keep_their_buttons_between_polls(demo: RunningDemo, browser: Browser) -> None:
    b = browser
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    body = {"name": "Keyed", "until": until.isoformat(), "period": "total",
            "allowance_bytes": 10**9, "rate_kbit": None}  # fmt: skip
    pid = api(demo, "POST", "/guests", body)["id"]
    open_tab(b, demo, "guests")
    card = f'#guests article[data-pass="{pid}"]'
    b.wait(lambda: b.find_all(f"{card} button.topup"))
    topup, art = b.find(f"{card} button.topup"), b.find(card)
    sleep_past_a_poll()
    assert b.find(card) == art
    b.click_element(topup)  # no retry: the same button after a poll
    b.wait(
        lambda: (
            next(p for p in api(demo, "GET", "/guests")["passes"] if p["id"] == pid)["topup_bytes"]
            == 10**9
        )
    )
    b.wait(lambda: "2.00 GB" in b.text(card))
    revoke = b.find(f"{card} button.revoke")
    sleep_past_a_poll()
    b.click_element(revoke)
    b.wait(lambda: b.alert_text())
    b.accept_alert()
    b.wait(lambda: not b.find_all(f"{card} button.revoke"))  # an ended pass: renew only
    assert (
        next(p for p in api(demo, "GET", "/guests")["passes"] if p["id"] == pid)["state"]
        == "revoked"
    )
    assert b.find(card) == art


def test_block_unblock_and_cap_a_client(demo: RunningDemo, browser: Browser) -> None:
    b = browser
    open_tab(b, demo, "clients")
    clients = b.wait(lambda: api(demo, "GET", "/hotspot/clients"))
    mac = clients[0]["mac"]
    b.wait(lambda: b.find_all(f'#clients tr[data-key="{mac}"]'))
    assert mac in b.text("#clients tbody")
    blocked = {c["mac"]: c["blocked"] for c in api(demo, "GET", "/hotspot/clients")}
    assert blocked[mac] is False

    # Blocking asks first; saying no changes nothing.
    b.click(row_button(b, "clients", mac, "block"))
    assert mac in b.alert_text()
    b.dismiss_alert()
    assert not next(c for c in api(demo, "GET", "/hotspot/clients") if c["mac"] == mac)["blocked"]

    b.click(row_button(b, "clients", mac, "block"))
    b.accept_alert()
    b.wait(
        lambda: next(c for c in api(demo, "GET", "/hotspot/clients") if c["mac"] == mac)["blocked"]
    )
    b.wait(lambda: b.text(row_button(b, "clients", mac, "block")) == "Unblock")
    assert "blocked" in b.text(f'#clients tr[data-key="{mac}"]')
    b.screenshot(SHOTS / "clients-blocked-1200.png")

    b.click(row_button(b, "clients", mac, "block"))  # unblocking needs no confirmation
    b.wait(
        lambda: (
            not next(c for c in api(demo, "GET", "/hotspot/clients") if c["mac"] == mac)["blocked"]
        )
    )
    b.wait(lambda: b.text(row_button(b, "clients", mac, "block")) == "Block")

    # A speed cap through the form lands in the daemon, and clearing it removes it.
    b.click(row_button(b, "clients", mac, "limit"))
    b.wait(lambda: b.visible("#limit-form"))
    b.clear("#limit-down")
    b.type("#limit-down", "2000")
    b.click("#limit-form button[type=submit]")

    def cap() -> Any:
        c = next(c for c in api(demo, "GET", "/hotspot/clients") if c["mac"] == mac)
        return (c["rate_down_kbit"], c["rate_up_kbit"])

    b.wait(lambda: cap() == (2000, None))
    b.wait(lambda: "2000" in b.text(f'#clients tr[data-key="{mac}"]'))
    b.click(row_button(b, "clients", mac, "limit"))
    b.clear("#limit-down")
    b.click("#limit-form button[type=submit]")
    b.wait(lambda: cap() == (None, None))


def test_hotspot_settings_show_server_errors_and_qr(demo: RunningDemo, browser: Browser) -> None:
    b = browser
    open_tab(b, demo, "hotspot")
    before = api(demo, "GET", "/hotspot")
    b.wait(lambda: b.attr("#hs-ssid", "value") == before["ssid"])
    assert before["ssid"] in b.text("#hotspot-info")

    # The QR image is the API's SVG, loaded (with the session cookie) and drawn at a real size.
    b.wait(lambda: b.script("return document.getElementById('qr').naturalWidth") > 0)
    assert "/api/v1/hotspot/qr?format=svg" in b.attr("#qr", "src")
    rect = b.rect("#qr")
    assert rect["width"] > 100 and rect["height"] > 100

    b.clear("#hs-ssid")
    b.type("#hs-ssid", "bad\nssid")
    assert b.attr("#hs-ssid", "value") == "bad\nssid"
    b.click("#hotspot-form button[type=submit]")
    b.wait(lambda: "control character" in b.text("#hotspot-error"))
    assert "invalid" in b.attr("#hs-ssid", "className")  # the field the server named is marked
    assert api(demo, "GET", "/hotspot")["ssid"] == before["ssid"]
    b.screenshot(SHOTS / "hotspot-error-1200.png")

    b.clear("#hs-ssid")
    b.type("#hs-ssid", before["ssid"])
    b.type("#hs-pass", "short")
    b.click("#hotspot-form button[type=submit]")
    b.wait(lambda: "8 to 63" in b.text("#hotspot-error"))
    assert api(demo, "GET", "/hotspot")["passphrase_source"] == before["passphrase_source"]

    # Refused by the request schema (FastAPI's list of errors): the input is found from the
    # error's location, not from the message text.
    b.clear("#hs-pass")
    b.clear("#hs-idle")
    b.type("#hs-idle", "5000")
    b.click("#hotspot-form button[type=submit]")
    b.wait(lambda: "auto_off_minutes" in b.text("#hotspot-error"))
    assert "invalid" in b.attr("#hs-idle", "className")
    assert api(demo, "GET", "/hotspot")["auto_off_minutes"] == before["auto_off_minutes"]
    b.clear("#hs-idle")
    b.type("#hs-idle", str(before["auto_off_minutes"]))

    new_ssid = f"web-{os.getpid()}"
    b.clear("#hs-pass")
    b.clear("#hs-ssid")
    b.type("#hs-ssid", new_ssid)
    old_src = b.attr("#qr", "src")
    b.click("#hotspot-form button[type=submit]")
    b.wait(lambda: api(demo, "GET", "/hotspot")["ssid"] == new_ssid)
    b.wait(lambda: b.text("#hotspot-error") == "" and new_ssid in b.text("#hotspot-info"))
    assert b.attr("#qr", "src") != old_src  # the QR is fetched again for the new network

    b.click("#reveal")
    secret = api(demo, "GET", "/hotspot?reveal=true")["passphrase"]
    b.wait(lambda: secret in b.text("#hotspot-info"))
    b.click("#reveal")
    b.wait(lambda: secret not in b.text("#hotspot-info"))


def test_esim_download_enable_and_delete(demo: RunningDemo, browser: Browser) -> None:
    b = browser
    open_tab(b, demo, "esim")
    info = api(demo, "GET", "/esim/info")
    b.wait(lambda: info["eid"] in b.text("#esim-info"))
    codes = info["test_smdp"]["activation_codes"]
    b.wait(lambda: b.visible("#demo-codes"))
    assert all(code in b.text("#demo-code-list") for code in codes)
    was_enabled = [
        p["iccid"]
        for p in api(demo, "GET", "/esim/profiles")["profiles"]
        if p["state"] == "enabled"
    ]

    b.type("#ac", "not an activation code")
    b.click("#download")
    b.wait(lambda: "activation code" in b.text("#download-error"))

    b.click("#demo-code-list li:first-child button")
    assert b.attr("#ac", "value") == codes[0]
    b.click("#download")
    b.wait(lambda: "Installed" in b.text("#download-result"))
    assert b.text("#download-error") == ""
    new = [
        p for p in api(demo, "GET", "/esim/profiles")["profiles"] if p["iccid"] not in was_enabled
    ]
    iccid = next(p["iccid"] for p in new if p["state"] == "disabled")
    b.wait(lambda: b.find_all(f'#profiles tr[data-key="{iccid}"]'))

    def state() -> str | None:
        return next(
            (
                p["state"]
                for p in api(demo, "GET", "/esim/profiles")["profiles"]
                if p["iccid"] == iccid
            ),
            None,
        )

    try:
        b.click(row_button(b, "profiles", iccid, "toggle"))
        b.wait(lambda: state() == "enabled")
        b.wait(lambda: b.text(row_button(b, "profiles", iccid, "toggle")) == "Disable")

        # Deleting an enabled profile: the card's refusal is shown next to the profiles.
        b.click(row_button(b, "profiles", iccid, "delete"))
        assert iccid in b.alert_text()
        b.accept_alert()
        b.wait(lambda: "disable it first" in b.text("#profiles-error"))
        assert state() == "enabled"

        b.click(row_button(b, "profiles", iccid, "toggle"))
        b.wait(lambda: state() == "disabled")
        b.click(row_button(b, "profiles", iccid, "rename"))
        b.type("#nick", "travel")
        b.click("#nick-form button[type=submit]")
        b.wait(lambda: "travel" in b.text(f'#profiles tr[data-key="{iccid}"]'))
        b.screenshot(SHOTS / "esim-1200.png")

        b.click(row_button(b, "profiles", iccid, "delete"))
        b.dismiss_alert()
        assert state() == "disabled"
        b.click(row_button(b, "profiles", iccid, "delete"))
        b.accept_alert()
        b.wait(lambda: state() is None)
        b.wait(lambda: not b.find_all(f'#profiles tr[data-key="{iccid}"]'))
    finally:  # leave the demo's card as it was for the other tests
        profiles = api(demo, "GET", "/esim/profiles")["profiles"]
        for p in profiles:
            if p["iccid"] in was_enabled and p["state"] != "enabled":
                api(demo, "POST", f"/esim/profiles/{p['iccid']}/enable")


def test_slots_and_events_are_live(demo: RunningDemo, browser: Browser) -> None:
    b = browser
    open_tab(b, demo, "slots")

    def slots_shown() -> Any:
        st = api(demo, "GET", "/status")
        text = b.text("#slots tbody")
        return st if all(s["iccid"] in text for s in st["modem"]["slots"] if s["iccid"]) else None

    st = b.wait(slots_shown)
    active = next(s["index"] for s in st["modem"]["slots"] if s["active"])
    assert not b.visible(row_button(b, "slots", str(active), "switch"))
    other = next(s["index"] for s in st["modem"]["slots"] if not s["active"] and s["present"])

    def active_slot() -> int:
        return int(api(demo, "GET", "/sim/slots")["active"])

    b.click(row_button(b, "slots", str(other), "switch"))
    assert str(other) in b.alert_text()
    b.dismiss_alert()
    assert active_slot() == active
    for target in (other, active):  # over and back, each time confirmed
        b.click(row_button(b, "slots", str(target), "switch"))
        b.accept_alert()
        b.wait(lambda target=target: active_slot() == target)
        b.wait(lambda target=target: not b.visible(row_button(b, "slots", str(target), "switch")))
        assert "✓" in b.text(f'#slots tr[data-key="{target}"]')

    open_tab(b, demo, "events")
    b.wait(lambda: "live" in b.text("#events-live"))
    n = b.wait(lambda: len(b.find_all("#events li")))
    mac = b.wait(lambda: api(demo, "GET", "/hotspot/clients"))[0]["mac"]
    api(demo, "POST", f"/hotspot/clients/{mac}/limit", {"rate_down_kbit": 64})
    api(demo, "POST", f"/hotspot/clients/{mac}/limit", {})
    b.wait(lambda: len(b.find_all("#events li")) >= n + 2)
    newest = b.text("#events li:first-child")
    client = next(c for c in api(demo, "GET", "/hotspot/clients") if c["mac"] == mac)
    # A sentence naming the device (its MAC where it has no name), the kind in small print.
    assert "Rules for" in newest and "hotspot.client-rule" in newest
    assert (client["hostname"] or mac) in newest
    ids = b.script(
        "return [...document.querySelectorAll('#events li')].map(li => Number(li.dataset.id))"
    )
    assert ids == sorted(ids, reverse=True)


def test_phone_width_layout_has_no_sideways_scroll(demo: RunningDemo, browser: Browser) -> None:
    b = browser
    b.window_size(375, 800)
    try:
        open_tab(b, demo, "overview")
        for tab in TABS:
            b.click(f"#tabs button[data-tab={tab}]")
            b.wait(lambda tab=tab: b.visible(f"#tab-{tab}") and b.text(f"#tab-{tab}"))
            width = b.script("return document.documentElement.clientWidth")
            overflow = sideways(b)
            assert width <= 375
            assert overflow == [], f"{tab}: wider than the phone: {overflow}"
            b.screenshot(SHOTS / f"{tab}-375.png")
    finally:
        b.window_size(1200, 900)
    # Nothing the UI handled (admin password, Wi-Fi passphrase) reached the console.
    secret = api(demo, "GET", "/hotspot?reveal=true")["passphrase"]
    logged = " ".join(str(m.get("message")) for m in b.console())
    assert demo.password not in logged and secret not in logged
    assert "Content Security Policy" not in logged


CJK = re.compile("[\u4e00-\u9fff]")


def forecasts(b: Browser) -> list[str]:
    """The Usage tab's plan forecasts (the plan cards', not the overview's glance)."""
    return list(
        b.script(
            "return [...document.querySelectorAll('#plans .forecast')].map(e => e.textContent)"
        )
    )


def test_chinese_browser_gets_chinese_labels(demo: RunningDemo) -> None:
    b = Browser(lang="zh-CN")
    try:
        b.get(demo.url + "/")
        b.wait(lambda: b.visible("#login"))
        assert b.text("#login h2") == "登录"
        login(b, demo)
        assert b.text("#modem-card h2") == "调制解调器"
        assert b.text("#tabs button[data-tab=overview]") == "概览"
        # A component's health in Chinese: its name, its state and its last error by the
        # sentence's id (as /status sends it in last_error_message).
        health = [{"name": "hotspot", "state": "restarting", "restarts": 2,
                   "last_error": "hostapd is not running",
                   "last_error_message": {"id": "hotspot.hostapd.not-running", "params": {},
                                          "text": "hostapd is not running"}}]  # fmt: skip
        line = b.script(
            "return import('/static/app.js').then(m => { m.renderComponents(arguments[0]);"
            " return document.getElementById('components').textContent; })",
            health,
        )
        assert line == "热点：正在重启（hostapd 未在运行）", line
        assert all("last_error_message" in c for c in api(demo, "GET", "/status")["components"])
        b.wait(lambda: b.text("#sharing-state") == "正在共享")
        assert "停止共享" in b.text("#sharing-toggle")
        # Why sharing is held, in Chinese: the server's reason by its id.
        before = {c["mac"] for c in api(demo, "GET", "/hotspot/clients")}
        b.click("#sharing-toggle")
        b.wait(lambda: "已通过 simspot hotspot down 关闭" in b.text("#sharing-reasons"))
        b.click("#sharing-toggle")
        b.wait(lambda: b.text("#sharing-state") == "正在共享")
        b.wait(lambda: {c["mac"] for c in api(demo, "GET", "/hotspot/clients")} == before)
        b.click("#tabs button[data-tab=clients]")
        b.wait(lambda: b.find_all("#clients tbody button.block"))
        assert b.text("#clients tbody button.block") == "拉黑"
        assert b.text("#tab-clients h2") == "已连接设备"
        # The demo's phones use randomised addresses: the vendor column says so in Chinese.
        b.wait(lambda: "私有地址（设备随机生成）" in b.text("#devices"))
        assert "private address" not in b.text("#devices")
        b.click("#tabs button[data-tab=hotspot]")
        b.wait(lambda: b.visible("#tab-hotspot"))
        assert b.text("#qr-card h2") == "扫码加入"
        assert b.attr("#qr", "alt") == "Wi-Fi 二维码"
        b.wait(lambda: "（模拟）" in b.text("#hotspot-info"))
        b.click("#tabs button[data-tab=esim]")
        b.wait(lambda: b.visible("#tab-esim"))
        assert b.text("#download") == "下载"
        b.click("#tabs button[data-tab=usage]")
        b.wait(lambda: "已用" in b.text("#plans"))
        # The server's sentences in Chinese too: the forecast (from its message id and
        # parameters), the history's headings and legend, the event log.
        b.wait(lambda: forecasts(b) and all(CJK.search(x) for x in forecasts(b)))
        # A refused value in Chinese: the server's sentence by its id and parameters.
        b.wait(lambda: b.find_all("#plans button.correct"))
        correct = b.find("#plans button.correct")
        sleep_past_a_poll()
        b.click_element(correct)  # the cards are updated in place: no stale button
        b.wait(lambda: b.visible("#correct-form"))
        b.type("#correct-used", "lots")
        b.click("#correct-form button[type=submit]")
        b.wait(lambda: "不是流量大小" in b.text("#correct-error"))
        b.click("#correct-cancel")
        assert "流量历史" in b.text("#tab-usage")
        b.wait(lambda: b.find_all("#history-chart svg"))
        b.screenshot(SHOTS / "usage-zh-1200.png")
        b.click("#tabs button[data-tab=events]")
        b.wait(lambda: "热点" in b.text("#events") or "加入了热点" in b.text("#events"))
        texts = b.script(
            "return [...document.querySelectorAll('#events li .text')].map(e => e.textContent)"
        )
        assert texts and all(CJK.search(x) for x in texts), texts
        b.screenshot(SHOTS / "events-zh-1200.png")
        b.window_size(375, 800)
        b.click("#tabs button[data-tab=usage]")
        b.wait(lambda: b.find_all("#history-chart svg"))
        b.screenshot(SHOTS / "usage-zh-375.png")
        b.window_size(1200, 900)
        # The switch: English, kept for the next visit, and back.
        b.select("#lang", "en")
        b.wait(lambda: b.text("#tabs button[data-tab=overview]") == "Overview")
        b.wait(lambda: forecasts(b) and not any(CJK.search(x) for x in forecasts(b)))
        b.get(demo.url + "/#usage")
        b.wait(lambda: b.text("#tabs button[data-tab=overview]") == "Overview")
        b.select("#lang", "zh")
        b.wait(lambda: b.text("#tabs button[data-tab=overview]") == "概览")
        b.click("#logout")
        b.wait(lambda: b.visible("#login"))
        assert not b.visible("#dashboard")
        b.get(demo.url + "/")  # the session is gone: a reload asks for the password again
        b.wait(lambda: b.visible("#login"))
    finally:
        b.close()


def sideways(b: Browser) -> list[str]:
    """Elements of the page wider than the window (SVG drawings included)."""
    return list(
        b.script(
            "const w = document.documentElement.clientWidth;"
            "return [...document.querySelectorAll('body *')]"
            ".filter(e => e.getClientRects().length && !e.closest('nav'))"
            ".filter(e => e.getBoundingClientRect().right > w + 1)"
            ".map(e => e.tagName + '#' + e.id + '.' + (e.className.baseVal ?? e.className))"
        )
    )


def test_usage_history_charts_and_a_clients_own_history(
    demo: RunningDemo, browser: Browser
) -> None:
    b = browser
    open_tab(b, demo, "usage")
    h = b.wait(
        lambda: (
            (x := api(demo, "GET", "/usage/history?step=day"))["series"]
            and b.find_all("#history-chart svg rect.seg")
            and x
        )
    )
    # One legend entry per series the API stacks, named as the API names them.
    b.wait(
        lambda: (
            len(b.find_all("#history-legend li"))
            == len(api(demo, "GET", "/usage/history")["series"])
        )
    )
    legend = b.text("#history-legend")
    for s in h["series"]:
        if s["label"]:
            assert s["label"] in legend
    # The bars are drawn to the API's figures: the tallest day's stack is the highest bar.
    heights = b.script(
        "const out = {}; for (const r of document.querySelectorAll('#history-chart rect.seg'))"
        "{ const i = r.dataset.point; out[i] = (out[i] || 0) + parseFloat(r.getAttribute('height')); }"
        "return out;"
    )
    totals = [p["total_bytes"] for p in api(demo, "GET", "/usage/history?step=day")["points"]]
    tallest = max(heights, key=lambda i: heights[i])
    assert totals[int(tallest)] == max(totals)

    # Each plan card has its chart: the running total, the allowance line and the forecast.
    plans = api(demo, "GET", "/plans")["plans"]
    b.wait(lambda: len(b.find_all(".plan-chart svg path.used")) == len(plans))
    assert b.find_all(".plan-chart svg line.forecast-line")
    with_allowance = [p for p in plans if p["allowance_bytes"]]
    assert len(b.find_all(".plan-chart svg line.allowance")) == len(with_allowance)

    # Per hour today: one bar slot per hour so far.
    b.select("#history-step", "hour")
    b.wait(lambda: b.attr("#history-chart", "dataset")["step"] == "hour")

    # A client's own history on click, from the usage table.
    mac = b.wait(
        lambda: (
            b.find_all("#usage-clients tbody tr")
            and b.script("return document.querySelector('#usage-clients tbody tr').dataset.key")
        )
    )
    b.click(f'#usage-clients tr[data-key="{mac}"] button.history')
    b.wait(lambda: b.visible("#client-history") and mac in b.text("#client-history-name"))
    b.wait(lambda: b.find_all("#client-days svg") and b.find_all("#client-hours svg"))
    own = api(demo, "GET", f"/usage/history?step=day&mac={mac}")
    if own["label"]:
        assert own["label"] in b.text("#client-history-name")
    assert "Down" in b.text("#client-legend") and "Up" in b.text("#client-legend")
    b.screenshot(SHOTS / "usage-history-1200.png")

    # On a phone the charts fit the screen.
    b.window_size(375, 800)
    try:
        # Redrawn at the phone's width: nothing sticks out sideways, the charts included.
        b.wait(lambda: len(b.find_all("#tab-usage svg.chart-svg")) >= 3)
        b.wait(lambda: sideways(b) == [])
        assert b.script("return document.documentElement.scrollWidth") <= 375
        assert float(b.attr("#history-chart svg", "clientWidth")) <= 375
        b.screenshot(SHOTS / "usage-history-375.png")
    finally:
        b.window_size(1200, 900)
    b.click("#client-history-close")
    b.wait(lambda: not b.visible("#client-history"))
    b.select("#history-step", "day")


def test_events_read_as_sentences_with_severity_and_filters(
    demo: RunningDemo, browser: Browser
) -> None:
    b = browser
    open_tab(b, demo, "events")
    b.wait(lambda: "live" in b.text("#events-live"))
    api(demo, "POST", "/hotspot/down")
    try:
        b.wait(lambda: "Sharing is held: turned off by you" in b.text("#events"))
    finally:
        api(demo, "POST", "/hotspot/up")
    b.wait(lambda: "Sharing is no longer held by turned off by you" in b.text("#events"))
    held = 'li[data-kind="sharing.held"]'
    assert "sev-warning" in b.attr(f"#events {held}", "className")
    assert b.text(f"#events {held} .sev") == "warning"
    # No key=value pairs any more: every entry is a sentence from the catalogue.
    texts = b.script(
        "return [...document.querySelectorAll('#events li .text')].map(e => e.textContent)"
    )
    assert texts and not any("=" in x for x in texts)

    b.select("#events-severity", "warning")
    shown = b.script(
        "return [...document.querySelectorAll('#events li')].filter(li => !li.hidden)"
        ".map(li => li.dataset.severity)"
    )
    assert shown and set(shown) <= {"warning", "error"}
    assert b.visible(f"#events {held}")
    b.select("#events-severity", "info")
    b.select("#events-category", "clients")
    kinds = b.script(
        "return [...document.querySelectorAll('#events li')].filter(li => !li.hidden)"
        ".map(li => li.dataset.kind)"
    )
    assert not b.visible(f"#events {held}")
    assert all(
        k.startswith(
            ("client.", "device.", "hotspot.client-rule", "hotspot.station-", "dataplane.")
        )
        for k in kinds
    )
    b.screenshot(SHOTS / "events-filtered-1200.png")
    b.select("#events-category", "all")


def qr_png(text: str, path: Path) -> Path:
    import segno

    segno.make(text, error="m", micro=False).save(str(path), kind="png", scale=5, border=4)
    return path


def test_esim_activation_code_from_a_picture(
    demo: RunningDemo, browser: Browser, tmp_path: Path
) -> None:
    b = browser
    open_tab(b, demo, "esim")
    info = api(demo, "GET", "/esim/info")
    code = info["test_smdp"]["activation_codes"][0]
    # Both ways in: the camera (capture) and a picture from the gallery or a screenshot.
    assert b.attr("#qr-camera", "accept") == "image/*"
    assert (
        b.script("return document.getElementById('qr-camera').getAttribute('capture')")
        == "environment"
    )

    b.clear("#ac")
    b.upload("#qr-file", qr_png(code, tmp_path / "code.png"))
    b.wait(lambda: b.attr("#ac", "value") == code)
    assert "Found an activation code for" in b.text("#scan-result")
    assert "needed" not in b.attr("#cc-label", "className")

    # An operator that asks for a confirmation code: the form asks for it.
    cc_code = "LPA:1$smdp.example.com$ORDER-1$$1"
    b.upload("#qr-file", qr_png(cc_code, tmp_path / "cc.png"))
    b.wait(lambda: b.attr("#ac", "value") == cc_code)
    assert "needed" in b.attr("#cc-label", "className")
    assert "confirmation code" in b.text("#cc-needed")
    assert b.attr("#cc", "required") is True

    # A picture without an activation code says so, in a sentence.
    qr_png("https://example.com/not-an-esim", tmp_path / "other.png")
    b.upload("#qr-file", tmp_path / "other.png")
    b.wait(lambda: "not an eSIM activation code" in b.text("#download-error"))
    b.screenshot(SHOTS / "esim-scan-1200.png")
    b.clear("#ac")
    b.clear("#cc")


def test_uplinks_tab_in_chinese_has_no_server_english(demo: RunningDemo) -> None:
    """The Uplinks tab for a Chinese reader (issue 16): what the policy always does by its ids,
    the labels simspot makes ("有线 simwan0"), the reason and the decisions in Chinese; English
    words left are the values (labels the owner gave, plan names, ids, rule names, units)."""
    b = Browser(lang="zh-CN")
    try:
        open_tab(b, demo, "uplinks")
        wired = next(c for c in api(demo, "GET", "/uplink")["candidates"] if c["kind"] == "wired")
        assert wired["label"].startswith("wired ") and wired["label_zh"].startswith("有线 ")
        b.wait(lambda: wired["label_zh"] in b.text("#uplinks"), 90)
        b.wait(lambda: b.find_all("#uplink-always li"), 30)
        assert b.text("#uplink-always").splitlines() == [
            "固定的上行链路存在时始终优先使用。",
            "从不使用已用完、已过期或不允许热点共享的套餐。",
            "eSIM 操作进行期间从不切换。",
        ]
        b.wait(lambda: api(demo, "GET", "/uplink")["decision"], 60)
        st = api(demo, "GET", "/uplink")
        pol = api(demo, "GET", "/uplink/policy")
        allowed = {"B", "kB", "MB", "GB", "SIM", "eSIM", "Wi", "Fi", "MCC", "ms", "ICCID"}
        for c in st["candidates"]:
            for v in (c["label_zh"], c["id"], (c["plan"] or {}).get("name") or "",
                      (c["plan"] or {}).get("currency") or ""):  # fmt: skip
                allowed |= set(re.findall("[A-Za-z]+", v))
        for r in pol["rules"]:
            allowed |= set(re.findall("[A-Za-z]+", r))
        b.wait(lambda: b.text("#uplink-reason") == api(demo, "GET", "/uplink")["decision"]
               ["reason"]["zh"], 30)  # fmt: skip
        for part in ("#uplinks tbody", "#uplink-reason", "#uplink-always", "#uplink-rules",
                     "#uplink-history"):  # fmt: skip
            words = set(re.findall("[A-Za-z]+", b.text(part))) - allowed
            assert not words, (part, words, b.text(part))
    finally:
        b.close()
