"""The message catalogue: every sentence in English and Chinese with the same parameters."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from simspot.daemon.events import KINDS, PAYLOADS
from simspot.errors import SimspotValueError
from simspot.i18n import (
    CATALOGUE,
    EVENT_SEVERITY,
    FORMATS,
    LANGS,
    Message,
    env_language,
    event_message,
    fields,
    language,
    render,
)

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize("msg_id", sorted(CATALOGUE))
def test_every_message_has_chinese_text_with_the_same_parameters(msg_id: str) -> None:
    en, zh = CATALOGUE[msg_id]
    assert en.strip() and zh.strip()
    assert CJK.search(zh), f"{msg_id}: the Chinese text has no Chinese in it: {zh!r}"
    assert fields(en) == fields(zh), f"{msg_id}: the two texts take different parameters"
    assert {fmt for _, fmt in fields(en)} <= FORMATS
    # Braces are only ever parameters: nothing is left over after rendering.
    params = {name: "x" for name, _ in fields(en)}
    for lang in LANGS:
        assert "{" not in render(msg_id, params, lang) and "}" not in render(msg_id, params, lang)


def test_a_parameter_mismatch_is_caught() -> None:
    # The check the test above relies on tells these apart.
    assert fields("{a:bytes} of {b}") != fields("{a} 共 {b}")
    assert fields("{a:bytes} of {b}") == fields("{b} 中的 {a:bytes}")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_event_kind_has_a_sentence_from_its_payload(kind: str) -> None:
    msg_id = f"event.{kind}"
    assert msg_id in CATALOGUE, f"no sentence for event {kind} in simspot/i18n.py"
    model = PAYLOADS[kind]
    names = {f.alias or n for n, f in model.model_fields.items()}
    used = set()
    for name, fmt in fields(CATALOGUE[msg_id][0]):
        if fmt == "lang":  # name_en (or name itself) and name_zh
            used |= {f"{name}_{lang}" for lang in LANGS if lang != "en"}
            used |= {f"{name}_en"} if f"{name}_en" in names else {name}
        else:
            used |= {name}
        used |= {f"{name}_said"} if fmt == "said" else set()
    assert used <= names, f"{kind}: the sentence takes {used - names}, not in the payload"


def test_event_sentences_render_in_both_languages() -> None:
    data = {"mac": "02:00:00:aa:bb:cc", "blocked": True, "rate_down_kbit": 64, "rate_up_kbit": None}
    msg = event_message("hotspot.client-rule", data)
    assert msg.text("en") == (
        "Rules for 02:00:00:aa:bb:cc changed: blocked yes, speed cap down 64 kbit/s, up no cap."
    )
    assert msg.text("zh") == (
        "02:00:00:aa:bb:cc 的规则已更改：拉黑 是，限速 下载 64 kbit/s、上传 不限。"
    )
    reg = event_message(
        "modem.registration", {"from": "searching", "to": "roaming", "operator": "CU"}
    )
    assert reg.text("en") == "Network registration changed from searching to roaming (CU)."
    assert reg.text("zh") == "网络注册状态从 正在搜索 变为 漫游（CU）。"
    assert set(EVENT_SEVERITY.values()) <= {"info", "warning", "error"}


def test_text_given_in_both_languages_and_automatic_values() -> None:
    data = {"chosen": None, "current": None, "rule": "cheapest", "held_by": None}
    data |= {"reason_en": "no plan is usable", "reason_zh": "没有可用的套餐"}
    msg = Message("event.uplink.decided", data)
    assert msg.text("en") == "The uplink policy chose automatic (cheapest): no plan is usable"
    assert msg.text("zh") == "上网策略选择了 自动（最便宜）：没有可用的套餐"


def test_forecast_sentences_with_local_times_and_sizes() -> None:
    params = {
        "rate": 1_234_567,
        "allowance": 5_000_000_000,
        "runs_out": "2026-12-03T14:05+08:00",
        "ends": "2026-12-31T00:00+08:00",
    }
    assert render("forecast.runs-out", params, "en") == (
        "At about 1.2 MB a day (recent days count more), the 5.0 GB allowance runs out around "
        "3 Dec 14:05, before the cycle ends on 31 Dec 00:00."
    )
    assert render("forecast.runs-out", params, "zh") == (
        "按每天约 1.2 MB（近几天权重更高）计算，5.0 GB 的流量将在 12月3日 14:05 左右用完，"
        "早于周期结束（12月31日 00:00）。"
    )


def test_unknown_message_ids_are_refused() -> None:
    with pytest.raises(KeyError):
        Message("no.such.message")


def test_languages_from_names_and_the_environment() -> None:
    assert language("zh_CN.UTF-8") == "zh" and language("zh-Hans") == "zh"
    assert language("en_GB.UTF-8") == "en" and language(None) == "en" and language("C") == "en"
    assert env_language({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert env_language({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert env_language({}) == "en"


def refusals() -> list[SimspotValueError]:
    from simspot.hotspot import validate
    from simspot.plans.model import parse_bytes

    out: list[SimspotValueError] = []
    for call in (
        lambda: validate.ssid(""),
        lambda: validate.ssid("x" * 40),
        lambda: validate.ssid("bad\nssid"),
        lambda: validate.passphrase_format("short"),
        lambda: validate.passphrase_format("passwört-long-enough"),
        lambda: validate.mac("nope"),
        lambda: parse_bytes("lots", field="used_bytes"),
        lambda: parse_bytes("lots", field="allowance_bytes", allow_unlimited=True),
        lambda: parse_bytes(-5, field="used_bytes"),
        lambda: parse_bytes(10**40, field="used_bytes"),
    ):
        with pytest.raises(SimspotValueError) as info:
            call()
        out.append(info.value)
    return out


def test_refused_input_carries_the_same_sentence_by_id() -> None:
    for exc in refusals():
        assert exc.msg_id in CATALOGUE, str(exc)
        assert render(exc.msg_id, exc.params, "en") == str(exc)
        assert CJK.search(render(exc.msg_id, exc.params, "zh"))


def test_every_message_id_the_code_names_is_in_the_catalogue() -> None:
    src = Path(__file__).resolve().parent.parent / "src" / "simspot"
    named = set()
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"""msg_id=["']([a-z0-9.-]+)["']""", text))
        named |= set(re.findall(r"""Message\(\s*["']([a-z0-9.-]+)["']""", text))
        named |= set(
            re.findall(r"""\n\s+["']((?:error|esim\.scan|forecast)\.[a-z0-9.-]+)["'],\n""", text)
        )
    assert named, "the scan found the ids the code names"
    assert named <= set(CATALOGUE), sorted(named - set(CATALOGUE))


def test_sgp22_status_sentences_have_chinese_and_match_the_error() -> None:
    from simspot.esim.errors import SMDP_PAIRS, SmdpError
    from simspot.i18n import SGP22_ZH

    assert set(SMDP_PAIRS) == set(SGP22_ZH)
    exc = SmdpError("authenticateClient", "8.2.7", "3.8", message="bad code")
    assert exc.msg_id == "sgp22.8.2.7-3.8"
    assert render(exc.msg_id, exc.params, "en") == str(exc)
    assert render(exc.msg_id, exc.params, "zh") == (
        "authenticateClient：确认码错误（主题 8.2.7，原因 3.8; server says: bad code）"
    )
    # No sentence of its own: the subject and the reason in words, each translated.
    generic = SmdpError("authenticateClient", "8.2.6", "3.2", message="no")
    assert generic.msg_id == "sgp22.generic"
    assert render(generic.msg_id, generic.params, "en") == str(generic)
    assert generic.localized("zh") == (
        "authenticateClient：匹配 ID 失败（原因 3.2）（主题 8.2.6，原因 3.2; server says: no）"
    )
    unknown = SmdpError("x", "8.99", "9.9")
    assert unknown.msg_id is not None
    assert render(unknown.msg_id, unknown.params, "en") == str(unknown)
    assert CJK.search(unknown.localized("zh"))


def test_esim_code_tables_have_chinese_for_every_code() -> None:
    from simspot.esim import errors
    from simspot.i18n import EUICC_RESULTS_ZH, INSTALL_ERRORS_ZH

    assert {c: set(t) for c, t in errors._EUICC_RESULTS.items()} == {
        c: set(t) for c, t in EUICC_RESULTS_ZH.items()
    }
    assert set(errors._INSTALL_ERRORS) == set(INSTALL_ERRORS_ZH)
    for exc in (
        errors.EuiccResultError("DeleteProfile", 2),
        errors.EuiccResultError("DeleteProfile", 77),
        errors.ProfileInstallError(1, 9),
        errors.ProfileInstallError(9, 99),
        errors.ConfirmationRequired(),
    ):
        assert exc.msg_id and render(exc.msg_id, exc.params, "en") == str(exc), str(exc)
        assert CJK.search(exc.localized("zh"))
    assert errors.EuiccResultError("DeleteProfile", 2).localized("zh") == (
        "DeleteProfile：该配置文件已启用；请先停用"
    )


# -- every error simspot raises for people carries its sentence by id ------------------------------

SRC = Path(__file__).resolve().parent.parent / "src" / "simspot"

# Errors that always name their sentence themselves (their constructors set the id).
SELF_NAMING = {
    "SmdpError",
    "ProfileInstallError",
    "ConfirmationRequired",
    "ToolMissing",
    "WeakPassphrase",
    "DaemonRefused",
    "LoginThrottled",
    "GuestNotFound",
    "NmError",
}


def _error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """Every class deriving from SimspotError, by name, read from the source (nothing imported)."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = {
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                }
                bases.setdefault(node.name, set()).update(names)
    found = {"SimspotError"}
    while True:
        more = {c for c, bs in bases.items() if c not in found and bs & found}
        if not more:
            return found
        found |= more


def _names_its_sentence(call: ast.Call, name: str) -> bool:
    if any(k.arg == "msg_id" for k in call.keywords) or name in SELF_NAMING:
        return True
    if name in ("HotspotValueError", "GuestError"):  # (field, problem, msg_id, params)
        return len(call.args) >= 3
    if name == "EuiccResultError":  # (command, code): the id comes from the result-code table
        return len(call.args) == 2 and not call.keywords
    return False


def unnamed_errors() -> dict[str, list[int]]:
    """Module -> lines where a simspot error is made without a message id."""
    trees = {
        str(p.relative_to(SRC)): ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted(SRC.rglob("*.py"))
    }
    classes = _error_classes(trees)
    out: dict[str, list[int]] = {}
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name in classes and not _names_its_sentence(node, name):
                out.setdefault(module, []).append(node.lineno)
    return out


def test_errors_simspot_raises_name_their_sentence_by_id() -> None:
    found = unnamed_errors()
    assert not found, (
        "errors made without a message id (add msg_id= and params=, and the sentence in English "
        f"and Chinese to simspot/i18n.py or the package's messages.py): {found}"
    )


def test_the_scan_sees_an_error_without_an_id() -> None:
    tree = ast.parse("raise PlanError('x')\nraise PlanError('y', msg_id='plan.unknown')")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert [_names_its_sentence(c, "PlanError") for c in calls] == [False, True]
    classes = _error_classes({"m": ast.parse("class A(SimspotError): ...\nclass B(A): ...")})
    assert {"A", "B"} <= classes


def test_self_naming_errors_do_name_their_sentence() -> None:
    from simspot.cli.client import refusal
    from simspot.daemon.auth import LoginThrottled
    from simspot.errors import ToolMissing
    from simspot.esim.errors import ConfirmationRequired, EuiccResultError, ProfileInstallError
    from simspot.hotspot.guests import GuestNotFound
    from simspot.hotspot.nm import NmError
    from simspot.hotspot.passphrase import WeakPassphrase, check

    with pytest.raises(WeakPassphrase) as weak:
        check("password2024")
    answer = {"detail": "x: y", "message": {"id": "error.empty", "params": {"field": "x"}}}
    for exc in (
        weak.value,
        ToolMissing("nft", "nftables"),
        ConfirmationRequired(),
        EuiccResultError("EnableProfile", 1),
        ProfileInstallError(1, 10),
        refusal(422, answer),
        LoginThrottled("too many login attempts", 2.5),
        GuestNotFound("g7"),
        NmError("AddAndActivateConnection", "org.freedesktop.NetworkManager.Failed", "no radio"),
    ):
        assert exc.msg_id in CATALOGUE, exc
        assert CJK.search(exc.localized("zh")), exc


def test_an_error_whose_text_is_not_its_sentence_is_caught() -> None:
    from simspot.errors import MessageMismatch, SimspotError

    with pytest.raises(MessageMismatch):
        SimspotError("not the sentence", msg_id="plan.no-month")
    assert str(SimspotError(msg_id="plan.no-month")) == "no calendar month"


def test_an_event_text_given_by_id_is_rendered_in_the_readers_language() -> None:
    from simspot.esim.errors import ActivationCodeError

    exc = ActivationCodeError("the activation code is empty", msg_id="esim.code.empty")
    data = {"smdp_address": "smdp.example.com", "error": str(exc), "error_said": exc.message_json()}
    msg = event_message("esim.download.failed", data)
    assert msg.text("en").endswith("failed: the activation code is empty")
    assert msg.text("zh") == "从 smdp.example.com 下载 eSIM 配置文件失败：激活码为空"
    # Without the id (an error that has none): the English text as it is.
    plain = event_message("esim.download.failed", data | {"error_said": None, "error": "boom"})
    assert plain.text("zh").endswith("失败：boom")


def test_why_sharing_is_held_reads_in_chinese_too() -> None:
    from simspot.daemon.events import EventBus
    from simspot.daemon.runtime import SharingSwitch

    bus = EventBus()
    switch = SharingSwitch(bus)
    switch.hold("battery", "sharing.why.battery", percent=9, stop_percent=10)
    switch.hold("idle", "sharing.why.idle", minutes=20)
    held = [e for e in bus.recent() if e.kind == "sharing.held"]
    assert [e.data["why"] for e in held] == [
        "battery at 9%, below 10% and not charging",
        "no clients for 20 minutes",
    ]
    assert switch.reasons["idle"] == "no clients for 20 minutes"
    zh = event_message("sharing.held", held[0].data).text("zh")
    assert "电池电量 9%" in zh and "battery at" not in zh, zh
    assert "no clients" in event_message("sharing.held", held[1].data).text("en")


def test_a_component_failure_is_said_in_the_readers_language() -> None:
    from simspot.errors import BackendError

    exc = BackendError(msg_id="sharing.why.user")  # any sentence with an id will do
    data = {
        "component": "ap",
        "error": str(exc),
        "error_said": exc.message_json(),
        "restart_in_s": 2,
    }
    assert "simspot hotspot down" in event_message("component.failed", data).text("en")
    assert "已通过" in event_message("component.failed", data).text("zh")
    plain = {"component": "ap", "error": "RuntimeError: boom", "restart_in_s": 2}
    assert "RuntimeError: boom" in event_message("component.failed", plain).text("zh")


def test_why_not_sharing_names_the_holds_in_the_readers_language() -> None:
    from simspot.daemon.events import EventBus
    from simspot.daemon.runtime import SharingSwitch
    from simspot.daemon.why import why_not_sharing

    class Box:  # why_not_sharing reads only the switch while sharing is held
        sharing = SharingSwitch(EventBus())

    Box.sharing.hold("user", "sharing.why.user")
    Box.sharing.hold("idle", "sharing.why.idle", minutes=5)
    found = why_not_sharing(Box())
    assert found is not None and found[1] is not None
    text, said = found
    assert text == (
        "held off by user (turned off with simspot hotspot down), idle (no clients for 5 minutes)"
    )
    assert said.text("en") == text
    assert (
        said.text("zh")
        == "共享已暂停：已被你关闭（已通过 simspot hotspot down 关闭）、长时间无设备连接（已有 5 分钟没有设备连接）"
    )
    Box.sharing.release("user")
    again = why_not_sharing(Box())
    assert again is not None and again[1] is not None
    assert "simspot hotspot down" not in again[1].text("zh")


def test_a_card_error_named_by_id_shows_its_status_word() -> None:
    from simspot.esim.errors import CardError

    exc = CardError(sw=0x6A82, msg_id="simulator.card.no-application", params={"aid": "A0000005"})
    assert str(exc) == "the card has no application A0000005 (SW 6A82)"
    assert exc.sw == 0x6A82 and "SW 6A82" in exc.localized("zh") and CJK.search(exc.localized("zh"))
    assert str(CardError("refused", 0x6985)) == "refused (SW 6985)"  # the old form, as text


def test_an_uplink_switch_says_the_policys_reason_in_the_readers_language() -> None:
    data = {
        "previous": "sim:1",
        "to": "esim:8981",
        "how": "profile",
        "forced": False,
        "reason": "SIM 1 is roaming; switched to the eSIM 'Japan 10 GB'",
        "reason_zh": "SIM 1 正在漫游；已切换到 eSIM「Japan 10 GB」",
    }
    assert event_message("uplink.switched", data).text("en").endswith("'Japan 10 GB'")
    assert "正在漫游" in event_message("uplink.switched", data).text("zh")
    older = {k: v for k, v in data.items() if k != "reason_zh"}  # an event from before reason_zh
    assert "SIM 1 is roaming" in event_message("uplink.switched", older).text("zh")
