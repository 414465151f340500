"""Sentences the server makes, in Chinese, end to end: the web UI in headless Chromium and the real
CLI under ``LANG=zh_CN.UTF-8``, both against the real demo daemon.

A refused passphrase, a bad activation code and a refused plan value each come back from the
daemon with their message id and parameters; the browser (by its language) and the CLI (by
``$LANG``) render them in Chinese, while English readers and ``--json`` keep the English text.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from simspot.simulator.modem import PHYSICAL_SIM
from tests.helpers import SIMSPOT, RunningDemo, run_cli, start_demo, wait_for
from tests.webdriver import Browser

CJK = re.compile("[\u4e00-\u9fff]")
ZH = {"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
EN = {"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    d = start_demo(tmp_path_factory.mktemp("i18n") / "state", "--speed", "1")
    try:
        yield d
    finally:
        d.stop(signal.SIGINT)


def api(demo: RunningDemo, method: str, path: str, body: Any = None) -> Any:
    with demo.client() as c:
        r = c.request(method, "/api/v1" + path, json=body)
        r.raise_for_status()
        return r.json()


def cli(demo: RunningDemo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--state-dir", str(demo.state_dir), env=env, timeout=60)


def test_the_api_answers_refusals_with_their_message_id(demo: RunningDemo) -> None:
    with demo.client() as c:
        weak = c.post("/api/v1/hotspot/settings", json={"passphrase": "password2024"})
        code = c.post("/api/v1/esim/download", json={"activation_code": "hello"})
        plan = c.post(f"/api/v1/plans/{PHYSICAL_SIM[0]}/usage", json={"used_bytes": "9" * 41})
    assert weak.status_code == 422, weak.text
    said = weak.json()["message"]
    assert said["id"] == "error.passphrase.weak" and said["text"] == weak.json()["detail"]
    assert [r["id"] for r in said["params"]["reasons"]] == ["passphrase.guessable.contains"]
    assert "password2024" not in weak.text  # the whole secret is never repeated
    assert code.status_code == 422 and code.json()["message"]["id"] == "esim.code.not-code"
    assert plan.status_code == 422, plan.text
    (item,) = plan.json()["detail"]
    assert item["message"]["id"] == "error.at-field"
    assert item["message"]["params"]["problem"] == [{"id": "plan.size.length", "params": {}}]


def test_the_web_ui_shows_the_servers_refusals_in_chinese(demo: RunningDemo) -> None:
    before = api(demo, "GET", "/hotspot?reveal=true")["passphrase"]
    b = Browser(lang="zh-CN")
    try:
        b.get(demo.url + "/")
        b.wait(lambda: b.visible("#login"))
        b.type("#password", demo.password)
        b.click("#login button[type=submit]")
        b.wait(lambda: b.visible("#dashboard"))
        # A weak Wi-Fi password: the policy's reasons and findings, each by id.
        b.click("#tabs button[data-tab=hotspot]")
        b.wait(lambda: b.visible("#hotspot-form"))
        b.type("#hs-pass", "password2024")
        b.click("#hotspot-form button[type=submit]")
        b.wait(lambda: "太容易被猜到" in b.text("#hotspot-error"))
        shown = b.text("#hotspot-error")
        assert "常见密码或单词" in shown and "日期或年份" in shown, shown
        assert "too easy" not in shown
        # A bad activation code.
        b.click("#tabs button[data-tab=esim]")
        b.wait(lambda: b.visible("#ac"))
        b.type("#ac", "hello")
        b.click("#download")
        b.wait(lambda: "这不是激活码" in b.text("#download-error"))
        # A refused plan value: the schema's refusal wraps the plan's own sentence.
        b.click("#tabs button[data-tab=usage]")
        b.wait(lambda: b.find_all("#plans button.correct"))

        def click_correct() -> bool:  # the cards are redrawn on every poll: retry a stale button
            b.click("#plans button.correct")
            return True

        b.wait(click_correct)
        b.wait(lambda: b.visible("#correct-form"))
        b.type("#correct-used", "9" * 41)
        b.click("#correct-form button[type=submit]")
        b.wait(lambda: "必须是流量大小" in b.text("#correct-error"))
        assert "used_bytes" in b.text("#correct-error")
    finally:
        b.close()
    # Nothing was changed by the refused requests.
    assert api(demo, "GET", "/hotspot?reveal=true")["passphrase"] == before


def test_the_cli_speaks_the_language_of_lang(demo: RunningDemo) -> None:
    # An error the daemon names by id: in Chinese under zh_CN, in English otherwise.
    zh = cli(demo, ZH, "plan", "show", "no-such-plan")
    assert zh.returncode == 1
    assert "错误：" in zh.stderr and "没有套餐 'no-such-plan'" in zh.stderr, zh.stderr
    en = cli(demo, EN, "plan", "show", "no-such-plan")
    assert en.returncode == 1 and "no plan 'no-such-plan' (give its id" in en.stderr, en.stderr
    assert not CJK.search(en.stderr)
    # A refused plan: every problem in Chinese, the schema's own ones too.
    zh = cli(
        demo, ZH, "plan", "add", PHYSICAL_SIM[0], "--name", " x", "--allowance", "1GB",
        "--monthly-day", "1", "--timezone", "Mars/Base",
    )  # fmt: skip
    assert zh.returncode == 1, zh.stdout + zh.stderr
    assert "不是 IANA 时区" in zh.stderr, zh.stderr
    # An activation code the CLI itself refuses.
    zh = cli(demo, ZH, "esim", "download", "hello")
    assert zh.returncode == 1 and "这不是激活码" in zh.stderr, zh.stderr
    # --json keeps the English text and names the sentence by id.
    js = cli(demo, ZH, "plan", "show", "no-such-plan", "--json")
    out = json.loads(js.stdout)
    assert out["error"].startswith("no plan 'no-such-plan'")
    assert out["message"]["id"] == "plan.unknown"
    # A weak Wi-Fi password typed at the prompt.
    weak = subprocess.run(
        [*SIMSPOT, "hotspot", "set", "--passphrase", "--state-dir", str(demo.state_dir)],
        input="password2024\npassword2024\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **ZH},
        check=False,
    )
    assert weak.returncode == 1 and "太容易被猜到" in weak.stderr, weak.stdout + weak.stderr
    # The CLI's own sentences: a client blocked and unblocked.
    clients = wait_for(lambda: api(demo, "GET", "/hotspot/clients"), timeout=60)
    mac = clients[0]["mac"]
    done = cli(demo, ZH, "hotspot", "block", mac)
    assert done.returncode == 0 and done.stdout.strip() == f"已拉黑 {mac}", done.stdout
    done = cli(demo, EN, "hotspot", "unblock", mac)
    assert done.returncode == 0 and done.stdout.strip() == f"{mac} unblocked", done.stdout
