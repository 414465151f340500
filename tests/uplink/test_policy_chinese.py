"""The policy's Chinese sentence is Chinese throughout (issue 16): no English phrase of a helper
(prices, countries, plan actions, labels simspot makes) inside ``reason_zh``, for every rule and
hold. Values stay as they are: numbers, currency codes, plan names, ICCIDs, the names the owner
gave, and units (GB, SIM, eSIM, Wi-Fi, MCC)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.model import ModemStatus, SimSlot
from simspot.uplink.candidates import gather
from simspot.uplink.model import Candidate, Health, PlanFacts
from simspot.uplink.policy import Decision, Rules, Switch, decide
from simspot.uplink.settings import DEFAULT_RULES, UplinkSettings

NOW = 1_000_000.0
UP = Health(state="up", since=NOW - 3600, oks=5)
DOWN = Health(state="down", since=NOW - 5, fails=3, downs=1)
UNKNOWN = Health(state="unknown")

# units and technical names a Chinese sentence keeps
UNITS = {"B", "kB", "MB", "GB", "TB", "SIM", "eSIM", "Wi", "Fi", "MCC", "ICCID"}
WORD = re.compile(r"[A-Za-z]+")

SIM_UK = Candidate(
    id="8944200000000000017",
    kind="sim",
    label="SIM 1 (Simtel UK)",
    label_zh="SIM 1（Simtel UK）",
    hot=True,
    registered=True,
    roaming=True,
    serving_mcc="440",
    home_mcc="234",
    signal_percent=60,
    plan=PlanFacts(name="UK roaming", price_per_gb=Decimal(30), currency="JPY"),
    health=UP,
    modem="m1",
    slot=1,
)
HOME_SIM = dataclasses.replace(SIM_UK, roaming=False, serving_mcc="234")
ESIM_JP = Candidate(
    id="89810000000000000018",
    kind="esim",
    label="eSIM 'Japan 10 GB'",
    label_zh="eSIM「Japan 10 GB」",
    cold_via="slot",
    home_mcc="440",
    plan=PlanFacts(
        name="Japan 10 GB", remaining_bytes=8_200_000_000, price_per_gb=Decimal(0), currency="JPY"
    ),
    modem="m1",
    slot=2,
)
WAN = Candidate(
    id="wan:eth1",
    kind="wired",
    label="wired eth1",
    label_zh="有线 eth1",
    hot=True,
    home_link=True,
    metered=False,
    health=UP,
    interface="eth1",
)
WIFI = Candidate(
    id="wifi:cafe",
    kind="wifi",
    label="Wi-Fi 'Cafe'",
    label_zh="Wi-Fi「Cafe」",
    hot=True,
    health=UP,
    interface="wlan0",
)
OTHER_MODEM = Candidate(
    id="8934071100000000051",
    kind="sim",
    label="modem 2 SIM 1 (unknown operator)",
    label_zh="调制解调器 2 上的 SIM 1（未知运营商）",
    hot=True,
    registered=True,
    serving_mcc="234",
    home_mcc="234",
    signal_percent=55,
    health=UP,
    modem="m2",
    slot=1,
)
OWNER_NAMED = dataclasses.replace(WAN, id="wan:eth2", label="Home fibre", label_zh=None)


def english(d: Decision, cands: Sequence[Candidate], *ids: object) -> set[str]:
    """Runs of ASCII letters in the Chinese sentence that are not values of the input (the
    candidates, and the ids of the current and the pinned uplink)."""
    allowed = set(UNITS)
    for c in cands:
        values = [c.label_zh or c.label, c.id]
        if c.plan is not None:
            values += [c.plan.name, c.plan.currency or ""]
        for v in values:
            allowed |= set(WORD.findall(v))
    for i in ids:
        allowed |= set(WORD.findall(i if isinstance(i, str) else ""))
    return set(WORD.findall(d.reason_zh)) - allowed


def run(cands: list[Candidate], current: str | None, **kw: object) -> Decision:
    rules = kw.pop("rules", Rules(confirm_s=0))
    assert isinstance(rules, Rules)
    return decide(cands, rules, current=current, now=kw.pop("now", NOW), **kw)  # type: ignore[arg-type]


def plan(name: str = "P", **kw: object) -> PlanFacts:
    return PlanFacts(name=name, **kw)  # type: ignore[arg-type]


def priced(c: Candidate, price: str | None, currency: str | None = "JPY") -> Candidate:
    facts = PlanFacts(
        name=f"{c.label} plan",
        price_per_gb=None if price is None else Decimal(price),
        currency=currency,
    )
    return dataclasses.replace(c, roaming=False, serving_mcc="234", home_mcc="234", plan=facts)


ORDER_SIGNAL = Rules(confirm_s=0, order=("signal-floor", "preferred"), signal_floor_percent=20,
                     signal_hysteresis_percent=10, min_dwell_s=0, failback_dwell_s=0)  # fmt: skip
CHEAP = Rules(confirm_s=0, order=("healthy", "cheapest"))
WEAK = dataclasses.replace(HOME_SIM, signal_percent=8)
NOT_HOME_WIFI = dataclasses.replace(WIFI, home_link=False)
USED = {
    "used-up": plan(exhausted=True, action="switch"),
    "expired": plan(exhausted=True, expired=True, action="switch"),
    "no-tethering": plan(tethering_allowed=False, action="switch"),
}
UNKNOWN_MCC = dataclasses.replace(SIM_UK, serving_mcc="999")
ESIM_999 = dataclasses.replace(ESIM_JP, home_mcc="999")
HOLD = Rules(confirm_s=0, min_dwell_s=30, max_switches_per_hour=2, failback_dwell_s=60)

# name -> (candidates, current, keyword arguments, the rule and hold expected)
CASES: dict[str, tuple[list[Candidate], str | None, dict[str, object], tuple[str, str | None]]] = {
    "pin": ([HOME_SIM, WAN], WAN.id, {"pin": HOME_SIM.id}, ("pin", None)),
    "pin-kept": ([HOME_SIM, WAN], HOME_SIM.id, {"pin": HOME_SIM.id}, ("pin", None)),
    "pin-card-busy": (
        [HOME_SIM, WAN], WAN.id, {"pin": HOME_SIM.id, "card_busy": True}, ("keep", "card-busy")
    ),
    "pin-absent": ([WAN], WAN.id, {"pin": "wifi:gone"}, ("keep", None)),
    "none": ([dataclasses.replace(SIM_UK, plan=USED["used-up"])], SIM_UK.id, {"pin": "x"},
             ("none", None)),
    "only": ([WAN], WAN.id, {}, ("keep", None)),
    "keep-tie": ([WAN, OWNER_NAMED], WAN.id, {"rules": Rules(order=("healthy",))}, ("keep", None)),
    "keep-prefer-wired": ([HOME_SIM, WAN], WAN.id, {}, ("keep", None)),
    "keep-healthy": ([dataclasses.replace(WIFI, health=DOWN), WAN], WAN.id, {}, ("keep", None)),
    "keep-signal": ([dataclasses.replace(HOME_SIM, signal_percent=30),
                     dataclasses.replace(OTHER_MODEM, signal_percent=5)],
                    HOME_SIM.id, {"rules": ORDER_SIGNAL}, ("keep", None)),
    # a cold profile heard through its modem's active slot (used up, so not a candidate itself)
    "keep-signal-cold": ([NOT_HOME_WIFI, dataclasses.replace(HOME_SIM, modem="mx",
                          signal_percent=5, plan=plan(exhausted=True)),
                          dataclasses.replace(ESIM_JP, home_mcc="234", modem="mx")],
                         NOT_HOME_WIFI.id, {"rules": ORDER_SIGNAL}, ("keep", None)),
    "keep-cheapest-unknown": ([priced(HOME_SIM, "2"), priced(OTHER_MODEM, None)], HOME_SIM.id,
                              {"rules": CHEAP}, ("keep", None)),
    "keep-avoid-roaming": ([ESIM_JP, dataclasses.replace(SIM_UK, hot=False, registered=False,
                            cold_via="slot", modem="m9")],
                           ESIM_JP.id, {}, ("keep", None)),
    "no-current": ([WAN], None, {}, ("present", None)),
    "current-gone": ([WAN], "wan:eth9", {}, ("present", None)),
    "current-unplugged": ([dataclasses.replace(WAN, hot=False), OTHER_MODEM], WAN.id, {},
                          ("present", None)),
    "current-absent": ([dataclasses.replace(WAN, present=False), OTHER_MODEM], WAN.id, {},
                       ("present", None)),
    **{
        f"plan-{k}": ([dataclasses.replace(HOME_SIM, plan=p), OTHER_MODEM], HOME_SIM.id, {},
                      ("usable-plan", None))
        for k, p in USED.items()
    },
    "plan-card-busy": ([dataclasses.replace(HOME_SIM, plan=USED["used-up"]), OTHER_MODEM],
                       HOME_SIM.id, {"card_busy": True}, ("keep", "card-busy")),
    **{
        f"plan-{action}-stays": (
            [dataclasses.replace(HOME_SIM, plan=plan(exhausted=True, action=action)),
             dataclasses.replace(ESIM_JP, home_mcc="234", plan=None)],
            HOME_SIM.id, {}, ("keep", None),
        )
        for action in ("stop", "throttle")
    },
    "healthy": ([HOME_SIM, dataclasses.replace(WAN, health=DOWN)], WAN.id, {}, ("healthy", None)),
    "healthy-card-busy": ([HOME_SIM, dataclasses.replace(WAN, health=DOWN)], WAN.id,
                          {"card_busy": True}, ("keep", "card-busy")),
    "min-dwell": ([HOME_SIM, WAN], HOME_SIM.id,
                  {"rules": HOLD, "history": [Switch(NOW - 10, WAN.id, HOME_SIM.id, False)]},
                  ("keep", "min-dwell")),
    "switch-cap": ([HOME_SIM, WAN], HOME_SIM.id,
                   {"rules": HOLD, "history": [Switch(NOW - 1000, None, WAN.id, False),
                                               Switch(NOW - 500, WAN.id, HOME_SIM.id, False)]},
                   ("keep", "switch-cap")),
    "confirm": ([HOME_SIM, WAN], HOME_SIM.id, {"rules": Rules(confirm_s=10)},
                ("keep", "confirm")),
    "failback-not-probed": ([HOME_SIM, dataclasses.replace(WAN, health=UNKNOWN)], HOME_SIM.id,
                            {"rules": HOLD}, ("keep", "failback-dwell")),
    "failback-dwell": ([HOME_SIM, dataclasses.replace(WAN, health=Health("up", NOW - 20))],
                       HOME_SIM.id, {"rules": HOLD}, ("keep", "failback-dwell")),
    "card-busy": ([HOME_SIM, WAN], HOME_SIM.id, {"card_busy": True}, ("keep", "card-busy")),
    "signal-floor": ([WEAK, NOT_HOME_WIFI], WEAK.id, {"rules": ORDER_SIGNAL},
                     ("signal-floor", None)),
    "prefer-wired": ([HOME_SIM, WAN], HOME_SIM.id, {}, ("prefer-wired", None)),
    "avoid-roaming": ([SIM_UK, ESIM_JP], SIM_UK.id, {}, ("avoid-roaming", None)),
    "avoid-roaming-unknown-country": ([UNKNOWN_MCC, ESIM_999], SIM_UK.id, {},
                                      ("avoid-roaming", None)),
    "cheapest": ([priced(HOME_SIM, "5"), priced(OTHER_MODEM, "1.5")], HOME_SIM.id,
                 {"rules": CHEAP}, ("cheapest", None)),
    "cheapest-flat-vs-unknown": ([priced(HOME_SIM, None), priced(OTHER_MODEM, "0")], HOME_SIM.id,
                                 {"rules": CHEAP}, ("cheapest", None)),
    "cheapest-free-link": ([priced(HOME_SIM, "3", "CHF"), dataclasses.replace(WAN, home_link=False)],
                           HOME_SIM.id, {"rules": CHEAP}, ("cheapest", None)),
    "cheapest-no-currency": ([priced(HOME_SIM, "3", None), priced(OTHER_MODEM, "1", "XTS")],
                             HOME_SIM.id, {"rules": CHEAP}, ("cheapest", None)),
    "preferred": ([WAN, OWNER_NAMED], WAN.id,
                  {"rules": Rules(confirm_s=0, order=("preferred",), preferred=(OWNER_NAMED.id,))},
                  ("preferred", None)),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_every_branch_says_its_reason_in_chinese(name: str) -> None:
    cands, current, kw, (rule, held) = CASES[name]
    d = run(cands, current, **kw)
    assert (d.rule, d.held_by) == (rule, held), (name, d.reason_en)
    assert re.search(r"[\u4e00-\u9fff]", d.reason_zh), d.reason_zh
    assert not english(d, cands, current, kw.get("pin")), (d.reason_zh, d.reason_en)
    assert "None" not in d.reason_en and "None" not in d.reason_zh
    assert not re.search(r"[）」] [\u4e00-\u9fff]", d.reason_zh), d.reason_zh  # no stray space


def test_the_review_findings_are_chinese() -> None:
    """The sentences the review found: prices, an unknown price, an action at the limit."""
    cands, current, kw, _ = CASES["cheapest-flat-vs-unknown"]
    d = run(cands, current, **kw)
    assert d.reason_en.startswith("modem 2 SIM 1 (unknown operator) costs nothing against an "
                                  "unknown price on SIM 1 (Simtel UK)")  # fmt: skip
    assert d.reason_zh.startswith(
        "调制解调器 2 上的 SIM 1（未知运营商）不按流量计费，SIM 1（Simtel UK）的价格未知"
    )
    cands, current, kw, _ = CASES["cheapest"]
    d = run(cands, current, **kw)
    assert "costs ¥1.5/GB against ¥5/GB on" in d.reason_en
    assert "的流量费用为 ¥1.5/GB，SIM 1（Simtel UK）则为 ¥5/GB" in d.reason_zh
    cands, current, kw, _ = CASES["plan-throttle-stays"]
    d = run(cands, current, **kw)
    assert "its action at the limit is throttle" in d.reason_en
    assert "其达到上限时的动作为限速" in d.reason_zh
    cands, current, kw, _ = CASES["keep-signal-cold"]
    d = run(cands, current, **kw)
    assert "eSIM 'Japan 10 GB''s signal is 5%, below the floor of 20%" in d.reason_en
    assert "eSIM「Japan 10 GB」信号 5%，低于下限 20%" in d.reason_zh
    cands, current, kw, _ = CASES["keep-signal"]
    d = run(cands, current, **kw)
    assert "调制解调器 2 上的 SIM 1（未知运营商）信号 5%，低于下限 20%" in d.reason_zh
    cands, current, kw, _ = CASES["cheapest-no-currency"]
    d = run(cands, current, **kw)
    assert "costs 1 XTS/GB against 3/GB on" in d.reason_en and "则为 3/GB" in d.reason_zh
    cands, current, kw, _ = CASES["avoid-roaming-unknown-country"]
    d = run(cands, current, **kw)
    assert "roaming in MCC 999 at ¥30/GB" in d.reason_en
    assert "正在移动国家码 999 对应的国家漫游（¥30/GB）" in d.reason_zh


# -- any situation -------------------------------------------------------------------------------
LABELS = [  # (label, label_zh) as simspot makes them, and a name an owner gave
    ("wired eth1", "有线 eth1"),
    ("SIM 2 (unknown operator)", "SIM 2（未知运营商）"),
    ("modem 2 SIM 1 (Telekom.de)", "调制解调器 2 上的 SIM 1（Telekom.de）"),
    ("eSIM 'Travel'", "eSIM「Travel」"),
    ("Wi-Fi 'Cafe'", "Wi-Fi「Cafe」"),
    ("Office", None),
]
any_plan = st.one_of(
    st.none(),
    st.builds(
        PlanFacts,
        name=st.sampled_from(["Travel 5 GB", "p"]),
        exhausted=st.booleans(),
        expired=st.booleans(),
        tethering_allowed=st.booleans(),
        remaining_bytes=st.one_of(st.none(), st.integers(0, 10**11)),
        price_per_gb=st.one_of(st.none(), st.decimals(0, 50, places=2)),
        currency=st.sampled_from([None, "JPY", "GBP", "CHF"]),
        mccs=st.sampled_from([(), ("440",)]),
        action=st.sampled_from(["stop", "throttle", "switch"]),
    ),
)


@st.composite
def any_candidate(draw: st.DrawFn, i: int) -> Candidate:
    kind = draw(st.sampled_from(["sim", "esim", "wired", "wifi"]))
    label, label_zh = draw(st.sampled_from(LABELS))
    hot = draw(st.booleans())
    registered = kind in ("sim", "esim") and hot and draw(st.booleans())
    return Candidate(
        id=f"89440000000000000{i:02d}" if kind in ("sim", "esim") else f"{kind}:if{i}",
        kind=kind,  # type: ignore[arg-type]
        label=label,
        label_zh=label_zh,
        present=draw(st.booleans()),
        hot=hot,
        cold_via=None if hot else draw(st.sampled_from([None, "slot", "profile", "join"])),
        registered=registered,
        roaming=registered and draw(st.booleans()),
        serving_mcc=draw(st.sampled_from(["440", "999", "234"])) if registered else None,
        home_mcc=draw(st.sampled_from([None, "440", "999", "234"])),
        signal_percent=draw(st.one_of(st.none(), st.integers(0, 100))),
        plan=draw(any_plan),
        health=draw(st.sampled_from([UNKNOWN, UP, DOWN, Health("up", NOW - 5)])),
        home_link=draw(st.booleans()),
        metered=draw(st.booleans()),
        modem=draw(st.sampled_from([None, "m1", "m2"])),
    )


@st.composite
def situations(draw: st.DrawFn) -> tuple[list[Candidate], dict[str, object]]:
    n = draw(st.integers(1, 5))
    cands = [draw(any_candidate(i)) for i in range(n)]
    ids = [c.id for c in cands]
    order = draw(st.permutations(DEFAULT_RULES))
    rules = Rules(
        order=tuple(order[: draw(st.integers(1, len(order)))]),
        confirm_s=draw(st.sampled_from([0.0, 10.0])),
        preferred=tuple(draw(st.permutations(ids))),
    )
    at = draw(st.lists(st.sampled_from([NOW - 5, NOW - 100, NOW - 1000]), max_size=7))
    kw: dict[str, object] = {
        "rules": rules,
        "current": draw(st.sampled_from([None, "wan:gone", *ids])),
        "pin": draw(st.sampled_from([None, "wifi:gone", *ids])),
        "card_busy": draw(st.booleans()),
        "history": [Switch(t, None, ids[0], False) for t in at],
        "wanted": draw(st.sampled_from([None, (ids[0], NOW - 3)])),
    }
    return cands, kw


@settings(max_examples=300)
@given(situations())
def test_no_english_in_the_chinese_reason_in_any_situation(
    situation: tuple[list[Candidate], dict[str, object]],
) -> None:
    cands, kw = situation
    rules, current = kw.pop("rules"), kw.pop("current")
    d = decide(cands, rules, current=current, now=NOW, **kw)  # type: ignore[arg-type]
    assert not english(d, cands, current, kw.get("pin")), (d.reason_zh, d.reason_en)
    assert "None" not in d.reason_zh


# -- the labels simspot makes --------------------------------------------------------------------
def test_labels_simspot_makes_have_a_chinese_label_and_owner_names_stay() -> None:
    settings_ = UplinkSettings.model_validate(
        {"wired": [{"interface": "eth1"}], "wifi": [{"name": "cafe", "interface": "wlan1",
                                                     "ssid": "Cafe"}],
         "candidates": {"8944200000000000029": {"label": "Travel SIM"}}}
    )  # fmt: skip
    first = ModemStatus(id="m1", state="registered", slots=(
        SimSlot(index=1, kind="physical", present=True, active=True, iccid="8944200000000000017",
                operator_name="Simtel UK"),
        SimSlot(index=2, kind="physical", present=True, active=False, iccid="8944200000000000025"),
    ))  # fmt: skip
    second = ModemStatus(id="m2", state="registered", slots=(
        SimSlot(index=1, kind="physical", present=True, active=True, iccid="8944200000000000029"),
        SimSlot(index=2, kind="physical", present=True, active=False, iccid="8944200000000000033"),
    ))  # fmt: skip
    cands = gather(
        settings_, modem=first, other_modems=[second],
        profiles=[{"iccid": "8981000000000000001", "nickname": "Japan 10 GB"}],
    )  # fmt: skip
    got = {c.id: (c.label, c.label_zh) for c in cands}
    assert got == {
        "8944200000000000017": ("SIM 1 (Simtel UK)", "SIM 1（Simtel UK）"),
        "8944200000000000025": ("SIM 2 (unknown operator)", "SIM 2（未知运营商）"),
        "8944200000000000029": ("Travel SIM", None),  # the owner's name, the same in Chinese
        "8944200000000000033": ("modem 2 SIM 2 (unknown operator)",
                                "调制解调器 2 上的 SIM 2（未知运营商）"),
        "8981000000000000001": ("eSIM 'Japan 10 GB'", "eSIM「Japan 10 GB」"),
        "wan:eth1": ("wired eth1", "有线 eth1"),
        "wifi:cafe": ("Wi-Fi 'Cafe'", "Wi-Fi「Cafe」"),
    }  # fmt: skip
    shown = {c.id: c.as_json()["label_zh"] for c in cands}
    assert shown["8944200000000000029"] == "Travel SIM" and shown["wan:eth1"] == "有线 eth1"


def test_why_a_switch_failed_names_the_uplink_by_its_chinese_label() -> None:
    """The service's sentences about one uplink take its Chinese label (target_zh/label_zh)."""
    from simspot.i18n import render

    params = {"target": "wired eth1", "target_zh": "有线 eth1", "seconds": 5}
    assert render("uplink.exec.not-healthy", params) == "wired eth1 did not get healthy within 5 s"
    assert render("uplink.exec.not-healthy", params, "zh") == "有线 eth1 在 5 秒内未通过健康检查"
    # an ICCID (the executor's own check) or an owner's name: the same in both
    assert render("uplink.exec.not-healthy", {"target": "8944", "seconds": 5}, "zh").startswith(
        "8944 在"
    )
    said = {"field": "id", "label": "Wi-Fi 'Cafe'", "label_zh": "Wi-Fi「Cafe」"}
    assert (
        render("uplink.service.not-selectable", said, "zh")
        == "id：无法从这里启用 Wi-Fi「Cafe」（未连接）"
    )
