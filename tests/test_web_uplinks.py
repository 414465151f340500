"""The Uplinks tab in real headless Chromium against the real demo daemon, in English and Chinese.

The demo box has two modems (SIM 1 and the eSIM on the first, a SIM on the second) and a wired
WAN port: the tab lists them all with what the policy weighs, shows the uplink in use with the
policy's sentence in the reader's language, the rules in order and the recent decisions. An
uplink is pinned with the tab's "use this" button and released with "back to automatic"; every
effect is checked through the REST API.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from simspot.simulator.modem import EUICC_PROFILE, PHYSICAL_SIM, SECOND_SIM
from tests.helpers import RunningDemo, start_demo
from tests.test_web_ui import SHOTS, api, open_tab
from tests.webdriver import Browser

SIM1, SIM2, UNICOM, WIRED = PHYSICAL_SIM[0], SECOND_SIM[0], EUICC_PROFILE[0], "wan:simwan0"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    d = start_demo(tmp_path_factory.mktemp("webuplinks") / "state", "--speed", "1")
    yield d
    d.stop(signal.SIGINT)


def browser(lang: str) -> Iterator[Browser]:
    b = Browser(lang=lang)
    SHOTS.mkdir(exist_ok=True)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def browser_en() -> Iterator[Browser]:
    yield from browser("en-US")


@pytest.fixture
def browser_zh() -> Iterator[Browser]:
    yield from browser("zh-CN")


def row(key: str) -> str:
    return f'#uplinks tr[data-key="{key}"]'


def uplink(demo: RunningDemo) -> dict[str, Any]:
    out: dict[str, Any] = api(demo, "GET", "/uplink")
    return out


def shown_reason(b: Browser, demo: RunningDemo, lang: str) -> bool:
    st = uplink(demo)
    return bool(st["decision"]) and b.text("#uplink-reason") == st["decision"]["reason"][lang]


def pin_second_modem(b: Browser, demo: RunningDemo) -> None:
    b.wait(lambda: b.visible(row(SIM2) + " button.use"), 60)
    b.click(row(SIM2) + " button.use")
    b.wait(lambda: uplink(demo)["pin"] == SIM2, 30)
    b.wait(lambda: uplink(demo)["active"] == SIM2, 120)  # a hot switch: both modems are up


def test_uplinks_tab_lists_every_way_out_and_pins_one(
    demo: RunningDemo, browser_en: Browser
) -> None:
    b = browser_en
    open_tab(b, demo, "uplinks")
    for key in (SIM1, SIM2, UNICOM, WIRED):
        b.wait(lambda key=key: b.find_all(row(key)), 90)
    assert b.text("#tabs button[data-tab=uplinks]") == "Uplinks"
    cands = {c["id"]: c for c in uplink(demo)["candidates"]}
    b.wait(lambda: "SIM 1 (Simtel UK)" in b.text(row(SIM1)) and "hot" in b.text(row(SIM1)))
    assert "modem 2 SIM 1 (Three UK)" in b.text(row(SIM2))
    assert "not connected" in b.text(row(WIRED)) and not b.visible(row(WIRED) + " button.use")
    assert "flat price" in b.text(row(SIM1)) and cands[SIM1]["plan"]["name"] in b.text(row(SIM1))
    # the uplink in use, and why, as the API says it
    b.wait(lambda: uplink(demo)["active"] == SIM1 and "in use" in b.text(row(SIM1)), 90)
    b.wait(lambda: shown_reason(b, demo, "en"), 30)
    assert b.text("#uplink-mode") == "automatic" and not b.visible("#uplink-auto")
    rules = [li.split(" — ")[0] for li in b.text("#uplink-rules").splitlines()]
    assert rules == api(demo, "GET", "/uplink/policy")["rules"]
    assert "A pin wins" in b.text("#uplink-always")
    # The overview's "at a glance" names the uplink in use as the API labels it.
    b.click("#tabs button[data-tab=overview]")
    b.wait(lambda: "Uplink\nSIM 1 (Simtel UK)" in b.text("#summary"), 30)
    b.click("#tabs button[data-tab=uplinks]")

    pin_second_modem(b, demo)
    b.wait(lambda: b.text("#uplink-mode") == "pinned by you", 30)
    # ... modem 2's SIM now, not the first modem's active slot (still up, and still SIM 1).
    b.click("#tabs button[data-tab=overview]")
    b.wait(lambda: "Uplink\nmodem 2 SIM 1 (Three UK)" in b.text("#summary"), 30)
    assert "Simtel" not in b.text("#summary")
    b.click("#tabs button[data-tab=uplinks]")
    b.wait(lambda: b.visible("#uplink-auto"), 30)
    b.wait(lambda: "in use" in b.text(row(SIM2)) and "pinned" in b.text(row(SIM2)), 30)
    b.wait(lambda: b.text("#uplink-reason") == "modem 2 SIM 1 (Three UK) is pinned by you", 30)
    assert not b.visible(row(SIM2) + " button.use")
    b.wait(lambda: "is pinned by you" in b.text("#uplink-history"), 30)
    b.screenshot(SHOTS / "uplinks-1200.png")

    b.click("#uplink-auto")
    b.wait(lambda: uplink(demo)["pin"] is None, 30)
    b.wait(lambda: b.text("#uplink-mode") == "automatic", 30)
    # back to automatic, the policy returns to SIM 1 (a flat price against an unknown one)
    b.wait(lambda: uplink(demo)["active"] == SIM1, 240)
    b.wait(lambda: "in use" in b.text(row(SIM1)) and shown_reason(b, demo, "en"), 30)
    assert "switched to SIM 1 (Simtel UK)" in b.text("#uplink-history")


def test_uplinks_tab_in_chinese(demo: RunningDemo, browser_zh: Browser) -> None:
    b = browser_zh
    open_tab(b, demo, "uplinks")
    assert b.text("#tabs button[data-tab=uplinks]") == "上网链路"
    b.wait(lambda: b.find_all(row(SIM2)), 90)
    assert "价格" in b.text("#uplinks thead") and "健康" in b.text("#uplinks thead")
    b.wait(lambda: "固定月费" in b.text(row(SIM1)), 30)
    b.wait(lambda: shown_reason(b, demo, "zh"), 60)
    b.wait(lambda: "能通过探测" in b.text("#uplink-rules"), 30)

    pin_second_modem(b, demo)
    b.wait(lambda: b.text("#uplink-mode") == "已由您固定", 30)
    b.click("#tabs button[data-tab=overview]")
    b.wait(lambda: "上网链路\n调制解调器 2 上的 SIM 1（Three UK）" in b.text("#summary"), 30)
    b.click("#tabs button[data-tab=uplinks]")
    b.wait(lambda: b.text("#uplink-reason") == "调制解调器 2 上的 SIM 1（Three UK）已由您固定", 30)
    b.wait(lambda: "使用中" in b.text(row(SIM2)), 30)
    b.screenshot(SHOTS / "uplinks-zh-1200.png")
    b.window_size(375, 800)
    b.screenshot(SHOTS / "uplinks-zh-375.png")
    b.window_size(1200, 900)
    b.click("#uplink-auto")
    b.wait(lambda: uplink(demo)["pin"] is None, 30)
    b.wait(lambda: b.text("#uplink-mode") == "自动", 30)
