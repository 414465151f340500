"""What the CLI prints for people is in $LANG's language (issue 16): `uplink`, `status`, `setup`,
`doctor` and the demo's errors in Chinese under LANG=zh_CN.UTF-8, and as before under LANG=C.
The --json output is the same in every language."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from simspot.cli import common
from simspot.cli import uplink as uplink_cli

CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = {"LANG": "zh_CN.UTF-8"}
C = {"LANG": "C"}


def _plan(**over: Any) -> dict[str, Any]:
    plan = {"name": "Simtel 1 GB", "exhausted": False, "expired": False,
            "tethering_allowed": True, "remaining_bytes": 500_000_000, "price_per_gb": "0",
            "currency": "GBP"}  # fmt: skip
    return plan | over


def _candidate(cid: str, label: str, **over: Any) -> dict[str, Any]:
    health = {"state": "up", "since": 0.0, "fails": 0, "oks": 3, "ups": 1, "downs": 0,
              "loss": 0.0, "latency_ms": 42.0, "probe_bytes": 0, "last_error": None}  # fmt: skip
    c = {"id": cid, "kind": "sim", "label": label, "present": True, "hot": True, "cold_via": None,
         "registered": True, "roaming": False, "serving_mcc": "234", "home_mcc": "234",
         "signal_percent": 70, "home_link": False, "metered": True, "interface": "wwan0",
         "modem": "sim0", "slot": 1, "plan": _plan(), "health": health}  # fmt: skip
    return c | over


DECISION = {
    "chosen": "891", "current": "891", "switch": False, "forced": False, "rule": "cheapest",
    "held_by": "min-dwell", "ranking": ["891", "892"], "wanted": "892",
    "reason": {"en": "staying on SIM 1: no other uplink is better by your rules",
               "zh": "继续使用 SIM 1：按您的规则没有更好的上行链路"},
}  # fmt: skip
STATUS = {
    "active": "891", "pin": None, "mode": "auto", "decision": DECISION,
    "candidates": [
        _candidate("891", "SIM 1"),
        _candidate("892", "eSIM 2", hot=False, cold_via="slot", roaming=True,
                   plan=_plan(name="Travel", exhausted=True),
                   health={**_candidate("x", "x")["health"], "state": "unknown",
                           "latency_ms": None}),
        _candidate("wan:eth1", "wired eth1", label_zh="有线 eth1", kind="wired", hot=False,
                   registered=False, serving_mcc=None, plan=None),
    ],
}  # fmt: skip
ANSWERS: dict[str, Any] = {
    "/uplink": STATUS,
    "/uplink/explain": STATUS,
    "/uplink/use": {"ok": True, "pin": "892", "label": "eSIM 2"},
    "/uplink/auto": {"ok": True, "pin": None},
    "/uplink/history": {"decisions": [
        DECISION | {"id": 2, "at": 1_796_000_000.0, "switch": True, "held_by": None,
                    "outcome": "ok"},
        DECISION | {"id": 1, "at": 1_795_990_000.0, "outcome": None},
    ]},
    "/uplink/policy": {
        "settings": {"fail_after": 3, "up_after": 2, "failback_dwell_s": 60.0,
                     "min_dwell_s": 30.0, "max_switches_per_hour": 6,
                     "signal_floor_percent": 15, "cold_switch_timeout_s": 90.0},
        "rules": ["healthy", "cheapest"],
        "always": ["a pin wins while the pinned uplink is present",
                   "never an exhausted or expired plan, or one without tethering allowance",
                   "never switch during an eSIM operation"],
        "always_said": [
            {"id": f"uplink.always.{k}", "params": {}, "text": "(English)"}
            for k in ("pin", "plan", "esim")
        ],
    },
}  # fmt: skip


class FakeDaemon:
    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return ANSWERS[path]


@pytest.fixture
def lang(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the reader's language: LANG alone decides (LC_ALL and LC_MESSAGES unset)."""
    for key in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(key, raising=False)

    def set_lang(value: str) -> None:
        monkeypatch.setenv("LANG", value)

    return set_lang


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "daemon_client", lambda *a, **k: FakeDaemon())
    wide = Console(width=200, no_color=True)  # prints to sys.stdout as it is when printing
    monkeypatch.setattr(common, "console", wide)
    monkeypatch.setattr(uplink_cli, "console", wide)


UPLINK_COMMANDS = [["list"], ["status"], ["use", "892"], ["auto"], ["policy"], ["explain"],
                   ["history"]]  # fmt: skip


@pytest.mark.parametrize("args", UPLINK_COMMANDS, ids=lambda a: a[0])
def test_uplink_commands_speak_chinese_under_a_chinese_lang(
    daemon: None, lang: Any, args: list[str]
) -> None:
    lang("zh_CN.UTF-8")
    done = CliRunner().invoke(uplink_cli.app, args)
    assert done.exit_code == 0, done.output
    assert CJK.search(done.output), done.output
    for english in ("uplink:", "pinned eSIM 2", "the policy chooses", "always:", "rules, in order",
                    "rule:", "Uplinks", "Uplink decisions", "used up", " left"):  # fmt: skip
        assert english not in done.output, (english, done.output)


def test_uplink_text_in_chinese(daemon: None, lang: Any) -> None:
    lang("zh_CN.UTF-8")
    run = CliRunner()
    listed = run.invoke(uplink_cli.app, ["list"]).output
    assert "上行链路" in listed and "Travel：已用完" in listed and "漫游" in listed
    assert "待命（卡槽）" in listed and "正常 42 ms" in listed
    assert "有线 eth1" in listed and "wired" not in listed  # simspot's label, in Chinese
    status = run.invoke(uplink_cli.app, ["status"]).output
    assert "上行链路：SIM 1（自动）" in status
    assert "继续使用 SIM 1" in status  # the daemon's reason in $LANG's language
    # --lang still picks the reason's language
    assert "staying on SIM 1" in run.invoke(uplink_cli.app, ["status", "--lang", "en"]).output
    explain = run.invoke(uplink_cli.app, ["explain"]).output
    assert "规则：cheapest，因 min-dwell 暂缓" in explain and "1. SIM 1 (891)" in explain
    policy = run.invoke(uplink_cli.app, ["policy"]).output
    assert "始终：固定的上行链路存在时始终优先使用" in policy
    assert "规则（按顺序）：healthy、cheapest" in policy and "fail_after = 3" in policy
    history = run.invoke(uplink_cli.app, ["history"]).output
    assert "切换" in history and "暂缓" in history and "原因" in history


def test_uplink_text_in_english_under_lang_c(daemon: None, lang: Any) -> None:
    lang("C")
    run = CliRunner()
    listed = run.invoke(uplink_cli.app, ["list"]).output
    assert not CJK.search(listed)
    assert "Uplinks" in listed and "Simtel 1 GB: 500.0 MB left" in listed
    assert "Travel: used up" in listed and "cold (slot)" in listed and "234 roaming" in listed
    assert "up 42 ms" in listed and "hot" in listed
    assert "wired eth1" in listed and "有线" not in listed
    status = run.invoke(uplink_cli.app, ["status"]).output
    assert status.splitlines() == [
        "uplink: SIM 1  (auto)", "staying on SIM 1: no other uplink is better by your rules"
    ]  # fmt: skip
    assert "继续使用" in run.invoke(uplink_cli.app, ["status", "--lang", "zh"]).output
    explain = run.invoke(uplink_cli.app, ["explain"]).output
    assert "rule: cheapest, held by min-dwell" in explain
    assert run.invoke(uplink_cli.app, ["use", "892"]).output.strip() == (
        "pinned eSIM 2; `simspot uplink auto` lets the policy choose"
    )
    assert run.invoke(uplink_cli.app, ["auto"]).output.strip() == "the policy chooses the uplink"
    policy = run.invoke(uplink_cli.app, ["policy"]).output
    assert policy.startswith(
        "always: a pin wins while the pinned uplink is present; never an exhausted or expired "
        "plan, or one without tethering allowance; never switch during an eSIM operation\n"
        "rules, in order: healthy, cheapest\n"
    )
    history = run.invoke(uplink_cli.app, ["history"]).output
    assert "Uplink decisions" in history and "switch" in history and "held" in history
    assert not CJK.search(explain + policy + history)


def test_uplink_json_is_the_same_in_every_language(daemon: None, lang: Any) -> None:
    outputs = []
    for value in ("zh_CN.UTF-8", "C"):
        lang(value)
        outputs.append(CliRunner().invoke(uplink_cli.app, ["explain", "--json"]).output)
    assert outputs[0] == outputs[1] and json.loads(outputs[0]) == STATUS


# -- simspot status ---------------------------------------------------------------------------------
MODEM = {
    "id": "m0", "model": "EM7455", "state": "connected", "registration": "roaming",
    "operator_name": "Simtel UK", "access_tech": "lte", "signal_percent": 80,
    "slots": [{"index": 1, "kind": "physical", "active": True, "iccid": "891",
               "operator_name": "Simtel UK"}],
    "unlock_required": "sim-pin", "unlock_retries": 3, "rsrp_dbm": -97.4,
}  # fmt: skip
DOC = {
    "version": "1", "mode": "live", "uptime_s": 5.0, "modem": MODEM,
    "battery": {"present": True, "percent": 40.5, "charging": False},
    "clients": [{"mac": "02:00:00:00:00:01", "rx_bytes": 1_500_000, "tx_bytes": 999}],
    "components": [{"name": "hotspot", "state": "failed", "last_error": "boom"}],
    "sharing": {"enabled": False, "reasons": {"battery": "at 9%"}},
    "simulated": ["modem.backend=simulated"], "admin_lan_url": "https://192.168.44.1:8443",
    "admin_lan_fingerprint": "AB:CD",
}  # fmt: skip


def _status_text(lang: Any, value: str, capsys: pytest.CaptureFixture[str]) -> str:
    from simspot.cli import main

    lang(value)
    main._render_status(DOC)
    return capsys.readouterr().out


def test_status_in_chinese(
    lang: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "console", Console(width=200, no_color=True))
    from simspot.cli import main

    monkeypatch.setattr(main, "console", common.console)
    out = _status_text(lang, "zh_CN.UTF-8", capsys)
    for words in ("已运行 5 秒", "模拟运行", "调制解调器 EM7455：已连接", "漫游", "(RSRP -97 dBm)",
                  "SIM 卡锁：需要 sim-pin（还可尝试 3 次）", "SIM 卡槽", "实体卡",
                  "共享：已暂停，原因：电量低 (at 9%)", "电池 40.5%，正在使用电池供电",
                  "热点上的管理页面：https://192.168.44.1:8443", "证书 SHA-256：AB:CD",
                  "主机名", "组件 hotspot：failed", "1.5 MB"):  # fmt: skip
        assert words in out, (words, out)
    assert "SIM lock" not in out and "sharing:" not in out


def test_status_in_english_under_lang_c(
    lang: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "console", Console(width=200, no_color=True))
    from simspot.cli import main

    monkeypatch.setattr(main, "console", common.console)
    out = _status_text(lang, "C", capsys)
    assert not CJK.search(out)
    for line in ("simspot 1 (live), up 5 s",
                 "SIMULATED: the built-in simulator runs modem.backend=simulated",
                 "modem EM7455: connected, Simtel UK lte signal 80% (RSRP -97 dBm) roaming",
                 "SIM lock: needs sim-pin (3 attempts left)",
                 "sharing: held off by battery (at 9%)", "battery 40.5% on battery",
                 "admin page on the hotspot: https://192.168.44.1:8443",
                 "  certificate SHA-256: AB:CD", "component hotspot: failed boom"):  # fmt: skip
        assert line in out.splitlines(), (line, out)
    assert "SIM slots" in out and "hostname" in out and "clients" in out


# -- setup, doctor and the demo's errors, as a person runs them --------------------------------------
def simspot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "simspot.cli.main", *args],
        capture_output=True, text=True, timeout=120,
        env={**base, "COLUMNS": "200", "NO_COLOR": "1", **env},
    )  # fmt: skip


def test_doctor_speaks_lang(tmp_path: Path) -> None:
    conf = tmp_path / "simspot.toml"
    conf.write_text('[dataplane]\nbackend = "nft"\nlan_interface = "no-such-if0"\n')
    args = ("doctor", "--config", str(conf), "--dbus-address", f"unix:path={tmp_path}/no-bus")
    zh = simspot(*args, env=ZH)
    assert zh.returncode == 1
    assert "没有上行链路" in zh.stdout and "局域网接口 no-such-if0 不存在" in zh.stdout
    assert "修复：请设置" in zh.stdout and "个问题导致 simspot 无法共享网络" in zh.stdout
    assert "sudo simspot setup" in zh.stdout  # commands stay as they are
    en = simspot(*args, env=C)
    assert en.returncode == 1 and not CJK.search(en.stdout)
    assert "FAIL no uplink: no modem backend and no dataplane.uplink_interface" in en.stdout
    assert "FAIL the LAN interface no-such-if0 does not exist" in en.stdout
    assert "problem(s) keep simspot from sharing." in en.stdout
    assert "      fix: set dataplane.lan_interface to one of: " in en.stdout
    # --json is the same in every language
    zh_json = json.loads(simspot(*args, "--json", env=ZH).stdout)
    en_json = json.loads(simspot(*args, "--json", env=C).stdout)
    assert zh_json == en_json
    lan = next(c for c in en_json["checks"] if c["id"] == "lan")
    assert lan["summary"] == "the LAN interface no-such-if0 does not exist"
    assert lan["message"]["id"] == "setup.check.no-lan-interface"
    assert lan["fix"].startswith("set dataplane.lan_interface to one of: ")


def test_setup_dry_run_speaks_lang(tmp_path: Path) -> None:
    target = tmp_path / "simspot.toml"
    args = ("setup", "--dry-run", "--yes", "--config", str(target))
    zh = simspot(*args, env=ZH)
    assert zh.returncode == 0, zh.stderr
    assert "检测到：" in zh.stdout and f"将写入 {target}：" in zh.stdout
    assert "监管国家/地区" in zh.stdout and "Found:" not in zh.stdout
    en = simspot(*args, env=C)
    assert en.returncode == 0, en.stderr
    assert "Found:" in en.stdout and f"Would write {target}:" in en.stdout
    assert "regulatory country: " in en.stdout
    # The config it would write is English in both (its header lists what setup found).
    config_part = en.stdout[en.stdout.index("# simspot configuration") :]
    assert config_part.split("\n[")[0] in zh.stdout
    assert not CJK.search(en.stdout)
    assert not target.exists()


def test_demo_scenario_error_speaks_lang(tmp_path: Path) -> None:
    args = ("demo", "--scenario", "beach", "--port", "0", "--state-dir", str(tmp_path / "d"))
    zh = simspot(*args, env=ZH)
    assert zh.returncode == 1 and "未知场景 'beach'" in zh.stderr and "错误" in zh.stderr
    en = simspot(*args, env=C)
    assert en.returncode == 1
    assert "--scenario: unknown scenario 'beach'; the scenarios are " in en.stderr
    assert not CJK.search(en.stderr)


def test_passwd_speaks_lang(tmp_path: Path) -> None:
    for name in ("zh", "en"):
        (tmp_path / name).mkdir(mode=0o700)
    zh = simspot("passwd", "--state-dir", str(tmp_path / "zh"), env=ZH)
    assert zh.returncode == 0, zh.stderr
    assert "新的管理员密码：" in zh.stdout and "没有正在运行的守护进程" in zh.stdout
    en = simspot("passwd", "--state-dir", str(tmp_path / "en"), env=C)
    assert en.returncode == 0, en.stderr
    assert en.stdout.startswith("new admin password: ") and not CJK.search(en.stdout)
    assert "No daemon runs for this state directory; it will use it when it starts." in en.stdout
