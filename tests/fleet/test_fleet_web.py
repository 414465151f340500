"""The fleet web view in real headless Chromium, against the real fleet app on a real PostgreSQL
(with data written the way the ingest writes it), a real Mosquitto and a real ingest worker.

What the page shows is compared with what went into PostgreSQL; commands sent from the page are
received by a box's MQTT client, answered, and their result appears on the page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from simspot.daemon.auth import Auth
from simspot.fleet import alerts
from simspot.fleet.api import create_app
from simspot.fleet.protocol import CommandAction
from simspot.fleet.publisher import MqttCommandPublisher
from tests.fleet.fleet_data import BOXES, ICCID_A, ICCID_B, UTC, BoxAnswers, seed, usage, write
from tests.fleet.ingest_helpers import Fleet, running_fleet
from tests.fleet.served import served
from tests.webdriver import Browser

SHOTS = Path("/tmp/simspot-fleet-web")  # screenshots to look at; overwritten on each run


class Site:
    def __init__(self, url: str, password: str) -> None:
        self.url, self.password = url, password


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with running_fleet(tmp_path_factory.mktemp("fleet-web"), BOXES) as f:
        with f.conn() as conn:
            seed(conn)
            # Recent usage, so the default windows (the last 14 days) show bars whatever today is.
            day = (dt.datetime.now(UTC) - dt.timedelta(days=1)).replace(
                minute=0, second=0, microsecond=0
            )
            stamp = day.strftime("%Y-%m-%dT%H:%M:%S")
            hour_ago = (day + dt.timedelta(hours=23)).strftime("%Y-%m-%dT%H:%M:%S")
            write(
                conn,
                usage=[
                    usage("box-a", 10, stamp, ICCID_A, 300_000_000, 20_000_000),
                    usage("box-a", 11, stamp, "wan:eth0", 100_000_000, 5_000_000),
                    usage("box-b", 10, stamp, ICCID_B, 50_000_000, 1_000_000),
                    usage("box-a", 12, hour_ago, ICCID_A, 7_000_000, 1_000_000),
                ],
            )
        f.start_worker("web-test-ingest")
        yield f


@pytest.fixture(scope="module")
def site(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    publisher = MqttCommandPublisher(
        fleet.broker.host,
        fleet.broker.port,
        username="fleet",
        password=fleet.passwords["fleet"],
        ca_path=str(fleet.broker.ca_path),
        client_id="web-test-commands",
    )
    publisher.start(wait_s=60)
    auth = Auth(tmp_path_factory.mktemp("fleet-web-state"))
    password = auth.setup()
    assert password is not None
    app = create_app(fleet.dsn, publisher, auth, alert_settings=alerts.AlertSettings(every_s=1))
    try:
        with served(app) as url:
            yield Site(url, password)
    finally:
        publisher.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    SHOTS.mkdir(exist_ok=True)
    try:
        yield b
    finally:
        b.close()


# What sticks out sideways: elements and text (a long ICCID in a cell) past the page's width.
WIDER_THAN_THE_PAGE = """
const limit = document.documentElement.clientWidth, out = [];
for (const e of document.querySelectorAll("body *"))
  if (e.getBoundingClientRect().right > limit) out.push(e.tagName + "#" + e.id);
const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (w.nextNode()) {
  const r = document.createRange();
  r.selectNodeContents(w.currentNode);
  if (r.getBoundingClientRect().right > limit) out.push(w.currentNode.textContent);
}
return out.slice(0, 12);
"""


def login(b: Browser, site: Site) -> None:
    b.wait(lambda: b.visible("#login") or b.visible("#dashboard"))
    if b.visible("#login"):
        b.clear("#password")
        b.type("#password", site.password)
        b.click("#login button[type=submit]")
    b.wait(lambda: b.visible("#dashboard"))


def row(table: str, key: str) -> str:
    return f'#{table} tr[data-key="{key}"]'


def test_login_then_boxes_as_they_reported(site: Site, browser: Browser) -> None:
    b = browser
    b.get(site.url + "/")
    b.wait(lambda: b.visible("#login"))
    assert not b.visible("#dashboard")
    b.type("#password", "not-the-password")
    b.click("#login button[type=submit]")
    b.wait(lambda: b.text("#login-error"))
    assert not b.visible("#dashboard")
    login(b, site)
    b.wait(lambda: len(b.find_all("#boxes tbody tr")) == 3)
    a = b.text(row("boxes", "box-a"))
    assert "Van 1" in a and "Online" in a and "SIMULATED" in a
    assert "China Unicom" in a and "71 %" in a and "84 %" in a and "Sharing" in a
    assert "Offline" in b.text(row("boxes", "box-b"))
    assert "Not sharing" in b.text(row("boxes", "box-c"))
    assert b.text("#box-counts") == "2 of 3 online"
    # The fleet chart: one bar segment per box with bytes on a day.
    b.wait(lambda: len(b.find_all("#fleet-chart rect.seg")) >= 2)
    assert "Van 1" in b.text("#fleet-legend")
    b.screenshot(SHOTS / "boxes-1200.png")
    # A group: its boxes, and the fleet chart of that group only.
    b.select("#group-filter", "vans")
    b.wait(lambda: len(b.find_all("#boxes tbody tr")) == 2)
    assert b.find_all(row("boxes", "box-c")) == []
    b.wait(lambda: "box-b" in b.text("#fleet-legend"))
    b.select("#group-filter", "")
    b.wait(lambda: len(b.find_all("#boxes tbody tr")) == 3)


def test_alerts_appear_in_the_list(site: Site, browser: Browser) -> None:
    b = browser
    login(b, site)
    # The app evaluates alerts every second; the page polls.
    b.wait(lambda: "is running low" in b.text("#alerts"), timeout=60)
    text = b.text("#alerts")
    assert "Plan Unicom 10 GB on Van 1 is running low" in text
    assert "box-b is offline" in text and "not sharing its connection" in text
    b.wait(lambda: b.text(row("boxes", "box-c")).endswith("1"))  # its open alert, counted


def test_a_box_in_detail_plan_sims_usage_events(site: Site, browser: Browser) -> None:
    b = browser
    login(b, site)
    b.click(row("boxes", "box-a"))
    b.wait(lambda: b.visible("#box-detail"))
    assert b.text("#detail-name") == "Van 1"
    b.wait(lambda: "Unicom 10 GB" in b.text("#plans"))
    assert "500.0 MB" in b.text("#plans")  # left
    b.wait(lambda: ICCID_A in b.text("#sims") and "wan:eth0" in b.text("#sims"))
    assert "(current)" in b.text(row("sims", ICCID_A))
    b.wait(lambda: len(b.find_all("#box-chart rect.seg")) >= 2)  # two uplinks on one day
    assert ICCID_A in b.text("#box-legend") and "wan:eth0" in b.text("#box-legend")
    assert "the hotspot is up" in b.text("#events")
    b.select("#usage-by", "hour")
    # 24 hours, labelled by the hour alone; the last hour's bytes are one segment.
    b.wait(lambda: "↓ 7.00 MB / ↑ 1.00 MB" in b.text("#box-usage-total"))
    assert len(b.find_all("#box-chart rect.seg")) == 1
    hours = b.script(
        "return [...document.querySelectorAll('#box-chart text.tick[text-anchor=middle]')]"
        ".map(e => e.textContent)"
    )
    assert hours and all(len(h) == 2 and h.isdigit() for h in hours), hours
    b.screenshot(SHOTS / "box-detail-1200.png")


def test_send_commands_and_see_their_answers(site: Site, browser: Browser, fleet: Fleet) -> None:
    b = browser
    login(b, site)
    box_a, box_b = BoxAnswers(fleet, "box-a"), BoxAnswers(fleet, "box-b", ok=False)
    try:
        # Bad args: the server's sentence names the field; nothing is sent.
        b.select("#cmd-target", "box")
        b.select("#cmd-box", "box-a")
        b.select("#cmd-action", "uplink.use")
        assert ICCID_A in b.text("#cmd-hint")  # the example for this action
        b.clear("#cmd-args")
        b.type("#cmd-args", '{"iccid": "x"}')
        b.click("#command-form button[type=submit]")
        b.wait(lambda: "args.iccid" in b.text("#cmd-error") or "args.id" in b.text("#cmd-error"))
        assert box_a.commands() == []

        b.clear("#cmd-args")
        b.type("#cmd-args", f'{{"id": "{ICCID_B}"}}')
        b.click("#command-form button[type=submit]")
        b.wait(lambda: box_a.commands(), timeout=60)
        cmd = box_a.commands()[0]
        assert (cmd.action, cmd.args) == ("uplink.use", {"id": ICCID_B})
        # The box may have it before the page has the POST's answer: wait for the row.
        b.wait(lambda: "Pending" in b.text(f'#commands tr[data-key="{cmd.id}"]'))
        box_a.answer_all()
        b.wait(lambda: b.attr(f'#commands tr[data-key="{cmd.id}"]', "dataset")["state"] == "ok")
        assert "OK" in b.text(f'#commands tr[data-key="{cmd.id}"]')

        # A guest pass for every box of the group: box-a takes it, box-b refuses.
        b.select("#cmd-target", "group")
        b.wait(lambda: b.visible("#cmd-group"))
        b.select("#cmd-group", "vans")
        b.select("#cmd-action", "guest.add")
        until = (dt.datetime.now(UTC) + dt.timedelta(days=1)).isoformat()
        b.clear("#cmd-args")
        b.type("#cmd-args", f'{{"name": "Visitor", "until": "{until}"}}')
        b.click("#command-form button[type=submit]")
        b.wait(lambda: len(box_a.commands()) == 2 and len(box_b.commands()) == 1, timeout=60)
        guest_a = box_a.commands()[1]
        guest_b = box_b.commands()[0]
        assert guest_a.action == guest_b.action == "guest.add"
        box_a.answer_all()
        box_b.answer_all()

        def state(cid: str) -> str:
            return str(b.attr(f'#commands tr[data-key="{cid}"]', "dataset")["state"])

        b.wait(lambda: state(guest_a.id) == "ok" and state(guest_b.id) == "failed")
        assert "this box does not take it" in b.text(f'#commands tr[data-key="{guest_b.id}"]')
        b.screenshot(SHOTS / "commands-1200.png")
        logged = " ".join(str(m.get("message")) for m in b.console())
        assert "Content Security Policy" not in logged
        assert site.password not in logged
    finally:
        box_a.close()
        box_b.close()


def test_chinese_from_the_browser_language(site: Site) -> None:
    b = Browser(lang="zh-CN")
    try:
        b.get(site.url + "/")
        b.wait(lambda: b.visible("#login"))
        assert b.text("#login h2") == "登录"
        login(b, site)
        assert b.text("header h1") == "simspot 设备群"
        b.wait(lambda: "在线" in b.text(row("boxes", "box-a")))
        assert "离线" in b.text(row("boxes", "box-b"))
        assert "模拟" in b.text(row("boxes", "box-a"))
        b.wait(lambda: "流量不多了" in b.text("#alerts"), timeout=60)  # the alert, by its id
        assert "已离线" in b.text("#alerts")
        untranslated = b.script(
            "return [...document.querySelectorAll('[data-i18n]')]"
            ".filter(e => /[a-z]{4,}/.test(e.textContent.replace('simspot', '')))"
            ".map(e => e.dataset.i18n)"
        )
        assert untranslated == []
        actions = b.script(
            "return [...document.querySelectorAll('#cmd-action option')].map(o => o.textContent)"
        )
        assert len(actions) == 10 and all(re.search(r"[\u4e00-\u9fff]", a) for a in actions)
        # A refusal from the API in the reader's language (its sentence by id).
        b.select("#cmd-box", "box-a")
        b.select("#cmd-action", "uplink.use")
        b.clear("#cmd-args")
        b.type("#cmd-args", "{}")
        b.click("#command-form button[type=submit]")
        b.wait(lambda: "uplink.use 的参数" in b.text("#cmd-error"))
        assert b.text("#cmd-error").startswith("args.id：")
        b.screenshot(SHOTS / "boxes-zh-1200.png")
        b.select("#lang", "en")  # the switch: English from now on, kept in the browser
        b.wait(lambda: b.visible("#dashboard") and b.text("header h1") == "simspot fleet")
        b.wait(lambda: "Online" in b.text(row("boxes", "box-a")))
        b.window_size(375, 800)
        b.get(site.url + "/")  # drawn at a phone's width from the start
        b.wait(lambda: len(b.find_all("#fleet-chart rect.seg")) >= 2)
        b.click(row("boxes", "box-a"))
        b.wait(lambda: len(b.find_all("#box-chart rect.seg")) >= 1)
        wide = b.script(WIDER_THAN_THE_PAGE)
        sizes = b.script(
            "const d = document.documentElement; return [d.scrollWidth, d.clientWidth]"
        )
        assert sizes[0] <= sizes[1], (sizes, wide)
        b.screenshot(SHOTS / "boxes-375.png")
    finally:
        b.close()


def test_every_word_the_script_asks_for_has_chinese() -> None:
    web = Path(__file__).resolve().parents[2] / "src" / "simspot"
    script = (web / "fleet" / "web" / "fleet.js").read_text(encoding="utf-8")
    asked = {k for k in re.findall(r'\bt\("([a-z_0-9]+)"', script) if not k.endswith("_")}
    # The keys made from a prefix and a value:
    asked |= {"act_" + a.replace(".", "_") for a in get_args(CommandAction)}
    asked |= {"sev_" + s for s in ("info", "warning", "error")}
    asked |= {"st_" + s for s in ("online", "offline", "quiet", "unknown")}
    asked |= {"cmd_" + s for s in ("pending", "ok", "failed", "expired")}
    known: set[str] = set()
    for name in ("fleet/web/fleet-i18n.js", "web/static/i18n.js"):
        text = (web / name).read_text(encoding="utf-8")
        known |= set(re.findall(r'\b([a-z_0-9]+):\s*"', text))
    assert asked and asked <= known, sorted(asked - known)
