"""The rest of the CLI's lines in $LANG's language (issue 16): `fleet join|leave|status`, `guest`,
`esim`, `usage limit(s)`, `config check`: Chinese under LANG=zh_CN.UTF-8, today's English under
LANG=C; --json is the same in every language."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from simspot.cli import common, configcmd, esim, fleet_box, guest, usage
from simspot.cli.fleet import app as fleet_app
from simspot.fleet import protocol

CJK = re.compile(r"[\u4e00-\u9fff]")
LANGS = {"zh": "zh_CN.UTF-8", "en": "C"}


@pytest.fixture
def lang(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the reader's language (LANG alone decides); every module prints wide, without colour."""
    for key in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(key, raising=False)
    wide = Console(width=200, no_color=True)
    for module in (common, configcmd, esim, fleet_box, guest, usage):
        monkeypatch.setattr(module, "console", wide)

    def set_lang(value: str) -> None:
        monkeypatch.setenv("LANG", LANGS[value])

    return set_lang


def lines(output: str) -> list[str]:
    return [line.rstrip() for line in output.splitlines()]


# -- fleet join | status | leave: a real config file, no broker (--no-check) -------------------------
def _fleet(tmp_path: Path, *args: str) -> tuple[int, str]:
    conf = tmp_path / "simspot.toml"
    if not conf.exists():
        conf.write_text(f'[daemon]\nstate_dir = "{tmp_path / "state"}"\n')
    done = CliRunner().invoke(fleet_app, [*args, "--config", str(conf)])
    return done.exit_code, done.output.replace(str(tmp_path), "T")


def _fleet_round(tmp_path: Path) -> list[tuple[int, str]]:
    token = protocol.make_join_token("box-1", "A" * 22)
    url = "mqtts://broker.example:8883"
    allow = ("--allow", "uplink.auto", "--allow", "guest.add")
    return [
        _fleet(tmp_path, "join", url, token, "--no-check", *allow),
        _fleet(tmp_path, "status"),
        _fleet(tmp_path, "leave"),
        _fleet(tmp_path, "status"),
    ]


def test_fleet_join_status_leave_in_english_under_lang_c(lang: Any, tmp_path: Path) -> None:
    lang("en")
    (j, joined), (s, status), (lv, left), (s2, after) = _fleet_round(tmp_path)
    assert (j, s, lv, s2) == (0, 0, 0, 0)
    assert not CJK.search(joined + status + left + after)
    assert lines(joined) == [
        "Joined the fleet at mqtts://broker.example:8883 as box box-1.",
        "Credentials: T/state/fleet.json (owner only).",
        "Wrote [fleet] in T/simspot.toml.",
        "Restart the daemon to start reporting (systemctl restart simspot).",
    ]
    assert lines(status) == [
        "box box-1 -> mqtts://broker.example:8883",
        "credentials: T/state/fleet.json (present)",
        "CA: the system CAs",
        "commands allowed: guest.add, uplink.auto",
        "Home Assistant: off",
        "outbox: empty",
        "daemon: not running",
    ]
    assert lines(left) == [
        "Removed [fleet] from T/simspot.toml.",
        "Deleted T/state/fleet.json.",
        "Restart the daemon to stop reporting (systemctl restart simspot).",
    ]
    assert lines(after) == ["Not in a fleet (join one with `simspot fleet join URL TOKEN`)."]


def test_fleet_join_status_leave_in_chinese(lang: Any, tmp_path: Path) -> None:
    lang("zh")
    (j, joined), (s, status), (lv, left), (s2, after) = _fleet_round(tmp_path)
    assert (j, s, lv, s2) == (0, 0, 0, 0)
    for out in (joined, status, left, after):
        assert CJK.search(out), out
    assert "已作为设备 box-1 加入 mqtts://broker.example:8883 的设备群。" in joined
    assert "已在 T/simspot.toml 中写入 [fleet]。" in joined
    for words in ("凭据：T/state/fleet.json（存在）", "允许的命令：guest.add、uplink.auto",
                  "Home Assistant：关", "待发送：空", "守护进程：未运行"):  # fmt: skip
        assert words in status, (words, status)
    assert "已删除 T/state/fleet.json。" in left
    assert "未加入设备群" in after
    for english in ("Joined", "Credentials", "Restart", "commands allowed", "outbox", "Deleted"):
        assert english not in joined + status + left + after, english


def test_fleet_status_of_a_running_reporter(
    lang: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reporter's line and the outbox, as the running daemon and the database have them."""
    answers = {"/status": {"components": [{"name": "fleet", "state": "running"}]},
               "/fleet": {"connected": False, "last_error": "timed out"}}  # fmt: skip

    class Daemon:
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            return answers[path]

    token = protocol.make_join_token("box-1", "A" * 22)
    assert _fleet(tmp_path, "join", "mqtts://b.example", token, "--no-check")[0] == 0
    db = sqlite3.connect(tmp_path / "state" / "simspot.db")
    db.execute("CREATE TABLE fleet_outbox (channel TEXT, seq INTEGER)")
    db.executemany("INSERT INTO fleet_outbox VALUES (?, ?)", [("usage", 1), ("usage", 2)])
    db.commit()
    db.close()
    monkeypatch.setattr(common, "daemon_client", lambda *a, **k: Daemon())
    lang("en")
    code, english = _fleet(tmp_path, "status")
    assert code == 0, english
    assert "outbox: usage 2" in lines(english)
    assert "reporter: running, NOT connected (timed out)" in lines(english)
    lang("zh")
    code, chinese = _fleet(tmp_path, "status")
    assert "待发送：usage 2" in lines(chinese)
    assert "上报程序：running，未连接 (timed out)" in lines(chinese)
    lang("en")
    as_json = _fleet(tmp_path, "status", "--json")[1]
    lang("zh")
    assert _fleet(tmp_path, "status", "--json")[1] == as_json
    (tmp_path / "state" / "fleet.json").unlink()
    code, chinese = _fleet(tmp_path, "status")
    assert code == 1 and "凭据：T/state/fleet.json（缺失）" in chinese
    lang("en")
    code, english = _fleet(tmp_path, "leave")
    assert "Not delivered, and now never will be: usage 2" in lines(english)


def test_guest_lines_speak_lang(lang: Any, capsys: pytest.CaptureFixture[str]) -> None:
    p = {"id": "g1", "name": "Ann", "state": "active", "passphrase": "pw-123", "key_id": 7,
         "allowance_bytes": 1_000_000_000, "topup_bytes": 0, "used_bytes": 250_000_000,
         "period": "day", "effective_remaining_bytes": 750_000_000, "plan_remaining_bytes": None,
         "rate_kbit": 2000, "until": "2026-12-24T18:00:00+00:00", "revoked": None,
         "macs": ["aa:bb:cc:dd:ee:ff"], "clients_note": "Guest keys are WPA2 keys."}  # fmt: skip
    lang("en")
    guest._show_pass(p)
    guest._show_list({"supported": True, "refusal": None, "passes": []})
    out = capsys.readouterr().out
    assert not CJK.search(out)
    for line in ("guest pass g1: 'Ann' (active)", "  key      pw-123  (key id 7)",
                 "  used     250.0 MB of 1.0 GB (day)", "  left     750.0 MB", "  cap      2000 kbit/s",
                 "  devices  aa:bb:cc:dd:ee:ff",
                 "no guest passes yet: simspot guest add NAME --until tonight"):  # fmt: skip
        assert line in lines(out), (line, out)
    lang("zh")
    guest._show_pass(p)
    guest._show_list({"supported": True, "refusal": None, "passes": []})
    guest._show_list({"supported": True, "refusal": None, "passes": [p]})
    out = capsys.readouterr().out
    for words in ("访客通行证 g1：'Ann'（有效）", "（密钥 ID 7）", "250.0 MB / 1.0 GB（每天）",
                  "还没有访客通行证", "访客密钥是 WPA2 密钥", "名称", "剩余"):  # fmt: skip
        assert words in out, (words, out)
    assert "guest pass" not in out and "no guest passes" not in out


def test_guest_revoke_speaks_lang_and_json_stays(
    lang: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Daemon:
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            return {"id": "g1", "name": "Ann"}

    monkeypatch.setattr(common, "daemon_client", lambda *a, **k: Daemon())
    run = CliRunner()
    lang("en")
    assert run.invoke(guest.app, ["revoke", "g1"]).output == "guest pass g1 (Ann) revoked\n"
    english_json = run.invoke(guest.app, ["revoke", "g1", "--json"]).output
    lang("zh")
    assert run.invoke(guest.app, ["revoke", "g1"]).output == "访客通行证 g1（Ann）已撤销\n"
    assert run.invoke(guest.app, ["revoke", "g1", "--json"]).output == english_json
    assert json.loads(english_json) == {"id": "g1", "name": "Ann"}


ESIM = {
    "/esim/info": {"eid": "89049032", "transport": "sim", "ci_pkids": [],
                   "test_smdp": {"activation_codes": ["LPA:1$smdp.example$ABC"]}},
    "/esim/discover": {"events": [{"event_id": "E1", "smdp_address": "smdp.example"}]},
    "/esim/profiles": {"profiles": [{"iccid": "8944", "state": "enabled", "name": "Test",
                                     "provider": "Op", "nickname": None,
                                     "profile_class": "operational"}]},
}  # fmt: skip


@pytest.mark.parametrize("command", ["info", "discover", "list"])
def test_esim_lines_speak_lang(lang: Any, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    path = {"info": "/esim/info", "discover": "/esim/discover", "list": "/esim/profiles"}[command]
    monkeypatch.setattr(esim, "_run", lambda *a, **k: ESIM[path])
    run = CliRunner()
    lang("en")
    english = run.invoke(esim.app, [command])
    assert english.exit_code == 0, english.output
    assert not CJK.search(english.output)
    lang("zh")
    chinese = run.invoke(esim.app, [command])
    assert chinese.exit_code == 0, chinese.output
    expected = {
        "info": ("test profile: LPA:1$smdp.example$ABC", "测试配置文件：LPA:1$smdp.example$ABC"),
        "discover": (
            "event E1 at smdp.example: download with "
            "`simspot esim download --smdp smdp.example --matching-id E1`",
            "smdp.example 上的事件 E1：用 `simspot esim download --smdp smdp.example "
            "--matching-id E1` 下载",
        ),
        "list": ("enabled", "已启用"),
    }[command]
    assert expected[0] in english.output, english.output
    assert expected[1] in chinese.output, chinese.output
    if command == "info":
        assert "trusted CIs" in english.output and "受信任的 CI" in chinese.output
        assert "default smdp address" in english.output and "配置文件版本" in chinese.output
    lang("en")
    as_json = run.invoke(esim.app, [command, "--json"]).output
    lang("zh")
    assert run.invoke(esim.app, [command, "--json"]).output == as_json


def test_usage_limit_speaks_lang(lang: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {"mac": "aa:bb:cc:dd:ee:ff", "day_bytes": 500_000_000, "cycle_bytes": None,
              "rate_down_kbit": 1000, "rate_up_kbit": 200}  # fmt: skip

    class Daemon:
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            return answer if path.startswith("/usage/limits/") else {"limits": [answer]}

    monkeypatch.setattr(common, "daemon_client", lambda *a, **k: Daemon())
    run = CliRunner()
    lang("en")
    out = run.invoke(usage.app, ["limit", "aa:bb:cc:dd:ee:ff", "--day", "500MB"]).output
    assert out == "limits of aa:bb:cc:dd:ee:ff: 500.0 MB a day, down 1000 kbit/s, up 200 kbit/s\n"
    lang("zh")
    out = run.invoke(usage.app, ["limit", "aa:bb:cc:dd:ee:ff", "--day", "500MB"]).output
    assert out == "aa:bb:cc:dd:ee:ff 的限额：每天 500.0 MB、下行 1000 kbit/s、上行 200 kbit/s\n"
    out = run.invoke(usage.app, ["limits"]).output
    assert "每天 500.0 MB" in out


def test_config_check_speaks_lang(lang: Any, tmp_path: Path) -> None:
    conf = tmp_path / "simspot.toml"
    conf.write_text(f'[daemon]\nstate_dir = "{tmp_path}"\n')
    run = CliRunner()
    lang("en")
    english = run.invoke(configcmd.app, ["check", str(conf)]).output
    assert english.startswith(f"{conf}: valid\nbackends: modem ")
    as_json = run.invoke(configcmd.app, ["check", str(conf), "--json"]).output
    lang("zh")
    chinese = run.invoke(configcmd.app, ["check", str(conf)]).output
    assert chinese.startswith(f"{conf}：有效\n后端：modem ")
    assert run.invoke(configcmd.app, ["check", str(conf), "--json"]).output == as_json
    missing = run.invoke(configcmd.app, ["check", str(tmp_path / "none.toml")])
    assert missing.exit_code == 1 and "找不到配置文件" in "".join(missing.output.split())


# -- the fleet server's operator: init, add-box, serve's first line (a fake database) ---------------
@pytest.fixture
def fleet_db(monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import nullcontext
    from types import SimpleNamespace

    from simspot.cli import fleet_server
    from simspot.fleet import db

    monkeypatch.setattr(fleet_server, "console", Console(width=400, no_color=True))
    monkeypatch.setattr(db, "connect", lambda dsn: nullcontext(object()))
    monkeypatch.setattr(db, "migrate", lambda conn: [1, 2])
    monkeypatch.setattr(db, "schema_version", lambda conn: 2)
    monkeypatch.setattr(
        db,
        "add_box",
        lambda conn, ident, name, group: SimpleNamespace(id=ident, name=name, grp=group),
    )


def test_fleet_server_init_and_add_box_speak_lang(lang: Any, fleet_db: None) -> None:
    run = CliRunner()
    lang("en")
    init = run.invoke(fleet_app, ["init", "--db", "postgresql://x"])
    assert init.exit_code == 0, init.output
    assert not CJK.search(init.output)
    for line in ("Database: applied migration(s) 1, 2; schema version 2.", "Broker:",
                 "Mosquitto ACL file (acl_file):", "Mosquitto config:", "Next:"):  # fmt: skip
        assert line in lines(init.output), (line, init.output)
    assert "  - Refuse anonymous clients; every box logs in" in init.output
    added = run.invoke(fleet_app, ["add-box", "Van 12", "--group", "north", "--db", "x"])
    assert lines(added.output)[:3] == [
        "Box 'van-12' added to group 'north'.",
        "Add the broker user 'van-12' with the password inside the token (the part after the "
        "box id).",
        "On the box, run:",
    ]
    lang("zh")
    init = run.invoke(fleet_app, ["init", "--db", "postgresql://x"])
    for words in ("数据库：已应用迁移 1、2；架构版本 2。", "下一步：", "拒绝匿名客户端"):
        assert words in init.output, (words, init.output)
    assert "Database" not in init.output and "Refuse anonymous" not in init.output
    added = run.invoke(fleet_app, ["add-box", "Van 12", "--db", "x"])
    assert lines(added.output)[:3] == [
        "已添加设备 'van-12'。",
        "请在消息服务器上添加用户 'van-12'，密码是令牌中的密码部分（设备 ID 之后的部分）。",
        "在设备上运行：",
    ]


def test_fleet_serve_announcement_speaks_lang(
    lang: Any, fleet_db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from simspot.cli import fleet_server

    started = {"broker": "mqtts://b:8883", "workers": [1, 2], "api": "http://127.0.0.1:8080",
               "password": "pw"}  # fmt: skip
    lang("en")
    fleet_server._announce(started, False)
    fleet_server._announce(started | {"api": None, "password": None}, False)
    assert lines(capsys.readouterr().out) == [
        "Ingesting from mqtts://b:8883 with 2 worker(s); fleet API on http://127.0.0.1:8080.",
        "First admin password: pw",
        "Ingesting from mqtts://b:8883 with 2 worker(s).",
    ]
    lang("zh")
    fleet_server._announce(started, False)
    assert lines(capsys.readouterr().out) == [
        "正在从 mqtts://b:8883 接收数据，工作进程 2 个；设备群 API 位于 http://127.0.0.1:8080。",
        "首个管理员密码：pw",
    ]


# -- hotspot status, clients, devices, limit; SIM slots ------------------------------------------------
HOTSPOT = {
    "enabled": True, "up": True, "held_by": {"battery": "at 9%"}, "backend": "hostapd",
    "interface": "wlan0", "ssid": "Van", "security": "wpa2", "passphrase": "secret-pw",
    "passphrase_source": "generated", "band": "2.4", "channel": 6, "country": "GB",
    "hidden": True, "isolate_clients": True, "max_clients": 8, "clients": 2,
    "mac_allow": [], "mac_deny": ["aa:bb:cc:dd:ee:01"], "warnings": ["an open network"],
    "last_error": "boom",
}  # fmt: skip
CLIENT = {"mac": "aa:bb:cc:dd:ee:02", "ipv4": "192.168.44.2", "hostname": "phone",
          "connected_since": "2026-12-02T10:00:00", "signal_dbm": -50, "session_rx_bytes": 1000,
          "session_tx_bytes": 2000, "cycle_bytes": 3000, "blocked": True, "denied": False,
          "rate_down_kbit": 1000, "rate_up_kbit": None}  # fmt: skip
SLOTS = {"modem": "m", "unlock_required": "sim-pin", "unlock_retries": 3,
         "slots": [{"index": 1, "kind": "physical", "present": True, "active": True,
                    "iccid": "8944", "imsi": None, "operator_name": "Op", "eid": None},
                   {"index": 2, "kind": "euicc", "present": False, "active": False}]}  # fmt: skip


def _hotspot_and_sim(capsys: pytest.CaptureFixture[str]) -> str:
    from simspot.cli import hotspot, sim

    hotspot._show_status(HOTSPOT)
    hotspot._show_clients({"clients": [CLIENT]})
    hotspot._show_limit({"mac": "aa:bb:cc:dd:ee:02", "rate_down_kbit": 1000, "rate_up_kbit": None})
    sim._render_slots(SLOTS)
    return capsys.readouterr().out


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    from simspot.cli import hotspot, sim

    console = Console(width=200, no_color=True)
    for module in (common, hotspot, sim):
        monkeypatch.setattr(module, "console", console)


def test_hotspot_and_sim_in_english_under_lang_c(
    lang: Any, wide: None, capsys: pytest.CaptureFixture[str]
) -> None:
    lang("en")
    out = _hotspot_and_sim(capsys)
    assert not CJK.search(out)
    for line in (" WARNING  an open network",
                 "hotspot on (hostapd on wlan0), held off by battery (at 9%)",
                 "  network  'Van'  wpa2  hidden", "  password secret-pw  (generated)",
                 "  radio    2.4 GHz channel 6, country GB",
                 "  clients  2 of at most 8  isolated", "  deny     aa:bb:cc:dd:ee:01",
                 "  last error: boom", "aa:bb:cc:dd:ee:02: down 1000, up uncapped kbit/s",
                 "the SIM needs sim-pin (3 attempts left)"):  # fmt: skip
        assert line in lines(out), (line, out)
    for words in ("hostname", "signal", "blocked v1000", "SIM slots", "physical", "empty"):
        assert words in out, (words, out)


def test_hotspot_and_sim_in_chinese(
    lang: Any, wide: None, capsys: pytest.CaptureFixture[str]
) -> None:
    lang("zh")
    out = _hotspot_and_sim(capsys)
    for words in ("警告", "热点已开启（hostapd，接口 wlan0），已暂停，原因：电量低 (at 9%)",
                  "网络     'Van'  wpa2  隐藏", "（自动生成）", "2.4 GHz 信道 6，国家/地区 GB",
                  "2 台，最多 8 台  互相隔离", "上次错误： boom",
                  "aa:bb:cc:dd:ee:02：下行 1000，上行 不限速 kbit/s", "主机名", "已拉黑 v1000",
                  "SIM 卡需要 sim-pin（还可尝试 3 次）", "SIM 卡槽", "实体卡", "空"):  # fmt: skip
        assert words in out, (words, out)
    for english in ("hotspot on", "network ", "radio", "clients ", "the SIM needs", "SIM slots"):
        assert english not in out, (english, out)


# -- plan show / list -----------------------------------------------------------------------------------
PLAN = {"id": 3, "plan": {"name": "Simtel 1 GB", "iccid": "8944",
                          "cycle": {"kind": "every", "days": 30, "start": "2026-11-01"},
                          "timezone": "Europe/London", "allowance_bytes": 1_000_000_000,
                          "tethering_allowance_bytes": 500_000_000, "tethering_allowed": False,
                          "action": "throttle", "mccs": ["234"],
                          "price": {"amount": "10", "currency": "GBP", "per": "cycle"}},
        "cycle_start": "2026-11-01T00:00", "cycle_end": "2026-12-01T00:00",
        "used_bytes": 400_000_000, "percent": 40.0, "corrected_bytes": 5_000_000,
        "tethering_used_bytes": 100_000_000, "remaining_bytes": 600_000_000, "cost": "4.00",
        "currency": "GBP", "forecast": None, "exhausted": True}  # fmt: skip


def _plans(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    from simspot.cli import plan

    monkeypatch.setattr(plan, "console", common.console)
    plan._render_one(PLAN)
    plan._render_list({"plans": [PLAN]})
    plan._render_list({"plans": []})
    return capsys.readouterr().out


def test_plan_in_english_under_lang_c(
    lang: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lang("en")
    out = _plans(capsys, monkeypatch)
    assert not CJK.search(out)
    for line in ("Simtel 1 GB (plan 3) on SIM 8944",
                 "  cycle: every 30 days from 2026-11-01 (Europe/London); "
                 "now 2026-11-01T00:00 .. 2026-12-01T00:00",
                 "  used: 400.0 MB of 1.0 GB (40.0%), corrected by 5.0 MB",
                 "  tethering: 100.0 MB of 500.0 MB",
                 "  tethering: not allowed by this plan (sharing is held off on this SIM)",
                 "  remaining: 600.0 MB; at the limit: throttle",
                 "  price: 10 GBP per cycle; this cycle so far: 4.00 GBP",
                 "  valid in MCCs: 234",
                 "no plans yet; add one with `simspot plan add ICCID --name ... --allowance ...`",
                 ):  # fmt: skip
        assert line in lines(out), (line, out)
    assert "cycle ends" in out and "throttle (reached)" in out


def test_plan_in_chinese(
    lang: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lang("zh")
    out = _plans(capsys, monkeypatch)
    for words in ("Simtel 1 GB（套餐 3），SIM 卡 8944", "自 2026-11-01 起每 30 天",
                  "已用：400.0 MB / 1.0 GB", "热点共享：此套餐不允许", "达到上限时：限速",
                  "10 GBP 每周期", "适用的 MCC：234", "周期结束", "限速 （已达到）",
                  "还没有套餐"):  # fmt: skip
        assert words in out, (words, out)
    assert "remaining" not in out and "no plans" not in out


# -- usage table, lab status --------------------------------------------------------------------------
USAGE = {"by": "uplink", "period": "cycle", "rows": [
    {"key": "8944", "label": "SIM 1", "start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00",
     "rx_bytes": 1000, "tx_bytes": 2000, "total_bytes": 3000}]}  # fmt: skip
LAB = {"up": True, "prefix": "sslab", "router": "sslab-r", "internet": "sslab-i",
       "server_ipv4": "198.51.100.1", "server_ipv6": "2001:db8::1", "config": "/tmp/c.toml",
       "clients": [{"namespace": "sslab-c1", "mac": "aa:bb", "ipv4": None, "ipv6": []}]}  # fmt: skip


def _usage_and_lab(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    from simspot.cli import lab

    monkeypatch.setattr(lab, "console", common.console)
    usage._render(USAGE)
    lab._render(LAB)
    lab._render({"up": False, "prefix": "sslab"})
    return capsys.readouterr().out


def test_usage_table_and_lab_speak_lang(
    lang: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lang("en")
    out = _usage_and_lab(capsys, monkeypatch)
    assert not CJK.search(out)
    for words in ("usage per cycle", "used (corrected)", "no plan",
                  "lab sslab: up; router namespace sslab-r, internet sslab-i",
                  "  servers: 198.51.100.1 and 2001:db8::1 (iperf3, HTTP :8080)",
                  "no lease yet", "lab sslab: down"):  # fmt: skip
        assert words in out, (words, out)
    lang("zh")
    out = _usage_and_lab(capsys, monkeypatch)
    for words in ("每周期用量", "已用（校正后）", "无套餐", "实验环境 sslab：运行中", "尚未获得地址",
                  "实验环境 sslab：未运行"):  # fmt: skip
        assert words in out, (words, out)
    assert "usage per" not in out and "lab sslab" not in out


def test_hotspot_password_prompt_speaks_lang(
    lang: Any, wide: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simspot.cli import hotspot

    sent: list[Any] = []

    class Daemon:
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            sent.append(kwargs["json"])
            return HOTSPOT

    monkeypatch.setattr(common, "daemon_client", lambda *a, **k: Daemon())
    run = CliRunner()
    lang("en")
    done = run.invoke(hotspot.app, ["set", "--passphrase"], input="pw-123456\npw-123456\n")
    assert done.exit_code == 0, done.output
    assert "new Wi-Fi password:" in done.output and "Repeat for confirmation:" in done.output
    lang("zh")
    done = run.invoke(hotspot.app, ["set", "--passphrase"], input="pw-123456\npw-123456\n")
    assert done.exit_code == 0, done.output
    assert "新的 Wi-Fi 密码:" in done.output and "再输入一次以确认:" in done.output
    assert sent == [{"passphrase": "pw-123456"}] * 2


def test_hotspot_holds_and_warnings_given_by_id_read_in_chinese(
    lang: Any, wide: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from simspot.cli import hotspot
    from simspot.i18n import part, render

    why = part("sharing.why.battery", percent=9, stop_percent=10)
    warning = part("hotspot.warning.open")
    st = {
        **HOTSPOT,
        "held_by": {"battery": render(why["id"], why["params"])},
        "held_by_said": {"battery": why},
        "warnings": [render(warning["id"], {})],
        "warnings_said": [warning],
    }
    lang("zh")
    hotspot._show_status(st)
    out = capsys.readouterr().out
    assert "电量低 (电池电量 9%，低于 10% 且未在充电)" in out, out
    assert "开放网络：没有密码" in out and "OPEN NETWORK" not in out, out
    lang("en")
    hotspot._show_status(st)
    out = capsys.readouterr().out
    assert "held off by battery (battery at 9%, below 10% and not charging)" in out, out
    assert "OPEN NETWORK: no password" in " ".join(out.split()), out
