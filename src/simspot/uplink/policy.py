"""Choosing the uplink: a pure function of candidates, the owner's rules and recent history.

``decide`` returns a :class:`Decision`: the uplink to use, whether that is a switch, and one
sentence in English and Chinese saying why. Nothing here does I/O or reads a clock.

How it decides:

1. A pin (``simspot uplink use``) wins over every rule while the pinned uplink is present.
2. Never an exhausted or expired plan, or one without tethering allowance; never an uplink that
   nothing can bring up (absent, or a cold link without a slot/profile switch).
3. The remaining candidates are ranked by the owner's rules, in the owner's order, each rule a
   sort key (``healthy``, ``signal-floor``, ``prefer-wired``, ``avoid-roaming``, ``cheapest``,
   ``preferred``); ties go to the current uplink, then to a hot one.
4. A switch the current uplink forces (it is gone, its plan is used up, or it failed
   ``fail_after`` probe rounds in a row) happens at once. A switch the rules merely prefer waits
   for the minimum dwell since the last switch, stays under the cap per hour, and moves to a hot
   uplink only once it has been up for the fail-back dwell. No switch starts during an eSIM
   operation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simspot.units import format_bytes
from simspot.uplink.model import Candidate
from simspot.uplink.settings import DEFAULT_RULES, UplinkSettings

# MCC -> (English, Chinese) for the sentences; others are shown as "MCC nnn".
COUNTRIES: dict[str, tuple[str, str]] = {
    "001": ("the test network", "测试网络"),
    "204": ("the Netherlands", "荷兰"),
    "208": ("France", "法国"),
    "214": ("Spain", "西班牙"),
    "222": ("Italy", "意大利"),
    "228": ("Switzerland", "瑞士"),
    "234": ("the UK", "英国"),
    "235": ("the UK", "英国"),
    "262": ("Germany", "德国"),
    "302": ("Canada", "加拿大"),
    **{str(m): ("the USA", "美国") for m in range(310, 317)},
    "440": ("Japan", "日本"),
    "441": ("Japan", "日本"),
    "450": ("South Korea", "韩国"),
    "454": ("Hong Kong", "香港"),
    "455": ("Macau", "澳门"),
    "460": ("China", "中国"),
    "466": ("Taiwan", "台湾"),
    "505": ("Australia", "澳大利亚"),
    "520": ("Thailand", "泰国"),
    "525": ("Singapore", "新加坡"),
}
CURRENCY_SIGNS = {"CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}
# A plan's action at its limit (plans/), said in Chinese; the English says the config's word.
ACTIONS_ZH = {"stop": "停止共享", "throttle": "限速", "switch": "切换上行链路"}


@dataclass(frozen=True)
class Switch:
    """One switch in the recent history."""

    at: float
    from_id: str | None
    to_id: str
    forced: bool  # the old uplink was gone, used up or down (not a preference)


@dataclass(frozen=True)
class Rules:
    order: tuple[str, ...] = DEFAULT_RULES
    failback_dwell_s: float = 60.0
    min_dwell_s: float = 30.0
    max_switches_per_hour: int = 6
    signal_floor_percent: int = 15
    signal_hysteresis_percent: int = 10
    fail_after: int = 3
    preferred: tuple[str, ...] = ()
    confirm_s: float = 10.0

    @classmethod
    def from_settings(cls, s: UplinkSettings) -> Rules:
        return cls(
            order=tuple(s.rules),
            failback_dwell_s=s.failback_dwell_s,
            min_dwell_s=s.min_dwell_s,
            max_switches_per_hour=s.max_switches_per_hour,
            signal_floor_percent=s.signal_floor_percent,
            signal_hysteresis_percent=s.signal_hysteresis_percent,
            fail_after=s.fail_after,
            preferred=tuple(s.preferred),
            confirm_s=s.confirm_s,
        )


@dataclass(frozen=True)
class Decision:
    chosen: str | None  # the uplink to use now (None: nothing is usable)
    current: str | None  # the uplink in use when deciding
    switch: bool  # chosen differs from current
    forced: bool  # the current uplink could not stay (gone, used up, down) or a pin
    rule: str  # what decided: "pin", a rule name, "usable-plan", "present", "keep", "none"
    held_by: str | None  # a better uplink waits: "min-dwell", "switch-cap", "card-busy", ...
    reason_en: str
    reason_zh: str
    ranking: tuple[str, ...]  # usable candidates, best first
    # The best by the rules (held or not) and since when it has been: hand it back next time.
    wanted: tuple[str, float] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "current": self.current,
            "switch": self.switch,
            "forced": self.forced,
            "rule": self.rule,
            "held_by": self.held_by,
            "reason": {"en": self.reason_en, "zh": self.reason_zh},
            "ranking": list(self.ranking),
            "wanted": None if self.wanted is None else self.wanted[0],
        }


# -- facts the rules read ------------------------------------------------------------------------
def usable(c: Candidate) -> bool:
    """Never an exhausted/expired plan, one without tethering allowance, or nothing to bring up."""
    return c.selectable and (c.plan is None or c.plan.usable)


def box_country(candidates: Sequence[Candidate]) -> str | None:
    """The country the box is in: the serving MCC of a registered cellular link."""
    for c in candidates:
        if c.cellular and c.registered and c.serving_mcc:
            return c.serving_mcc
    return None


def is_roaming(c: Candidate, country: str | None) -> bool:
    if not c.cellular:
        return False
    if c.registered:
        return c.roaming
    if country is None or (c.plan is not None and country in c.plan.mccs):
        return False
    return c.home_mcc is not None and c.home_mcc != country


def at_home(c: Candidate, country: str | None) -> bool:
    """Cellular and at home in (or on a plan made for) the country the box is in."""
    if not c.cellular or country is None or is_roaming(c, country):
        return False
    return c.home_mcc == country or (c.plan is not None and country in c.plan.mccs)


def price_per_gb(c: Candidate) -> float:
    """Marginal price per GB; a home link without a plan costs nothing; unknown sorts last."""
    if c.plan is not None and c.plan.price_per_gb is not None:
        return float(c.plan.price_per_gb)
    if not c.cellular and not c.metered:
        return 0.0
    return float("inf")


def leaves_for_plan(c: Candidate) -> bool:
    """The plan is used up (or allows no tethering) and its action at the limit is "switch"."""
    return c.plan is not None and not c.plan.usable and c.plan.action == "switch"


def _down(c: Candidate) -> bool:
    return c.health.state == "down"


def _key(
    c: Candidate,
    rules: Rules,
    current: str | None,
    country: str | None,
    home_exists: bool,
    radio: dict[str | None, int],
) -> tuple[float, ...]:
    out: list[float] = []
    for rule in rules.order:
        if rule == "healthy":
            out.append(1 if _down(c) else 0)
        elif rule == "signal-floor":
            floor = rules.signal_floor_percent
            if c.id == current:
                floor -= rules.signal_hysteresis_percent
            # a cold SIM or profile is heard through the same modem: its active slot's signal
            signal = c.signal_percent if c.hot else radio.get(c.modem)
            weak = c.cellular and signal is not None and signal < floor
            out.append(1 if weak else 0)
        elif rule == "prefer-wired":
            out.append(0 if c.home_link and not _down(c) else 1)
        elif rule == "avoid-roaming":
            out.append(1 if home_exists and is_roaming(c, country) else 0)
        elif rule == "cheapest":
            out.append(price_per_gb(c))
        elif rule == "preferred":
            pref = rules.preferred
            out.append(pref.index(c.id) if c.id in pref else len(pref))
    out.append(0 if c.id == current else 1)
    out.append(0 if c.hot else 1)
    return tuple(out)


# -- sentences -----------------------------------------------------------------------------------
# Chinese puts no space between a closing full-width bracket or quote and the next character:
# "SIM 1（Simtel UK）已由您固定", not "SIM 1（Simtel UK） 已由您固定".
_CLOSE_SPACE = re.compile(r"([）」”]) +(?=[\u4e00-\u9fff])")


def _zh(c: Candidate) -> str:
    """The candidate's label in Chinese (a label the owner gave is the same in both)."""
    return c.label_zh or c.label


def _country(mcc: str | None) -> tuple[str, str]:
    if mcc is None:
        return ("another country", "其他国家")
    return COUNTRIES.get(mcc, (f"MCC {mcc}", f"移动国家码 {mcc} 对应的国家"))


def _price(c: Candidate) -> str | None:
    if c.plan is None or not c.plan.price_per_gb:  # unknown, or a flat price (nothing per GB)
        return None
    cur = c.plan.currency or ""
    sign = CURRENCY_SIGNS.get(cur)
    amount = f"{c.plan.price_per_gb:.2f}".rstrip("0").rstrip(".")
    return f"{sign}{amount}/GB" if sign else f"{amount} {cur}/GB" if cur else f"{amount}/GB"


def _left(c: Candidate) -> tuple[str, str]:
    if c.plan is None or c.plan.remaining_bytes is None:
        return ("", "")
    left = format_bytes(c.plan.remaining_bytes)
    return (f", {left} left", f"，剩余 {left}")


def _why(
    rule: str,
    best: Candidate,
    cur: Candidate,
    rules: Rules,
    country: str | None,
    radio: dict[str | None, int] | None = None,
) -> tuple[str, str]:
    """Why ``best`` beats ``cur`` by ``rule`` (``radio``: the signal heard on each modem)."""
    b, c = best.label, cur.label
    bz, cz = _zh(best), _zh(cur)
    if rule == "healthy":
        n = cur.health.fails
        return (f"{c} failed {n} probes in a row", f"{cz} 连续 {n} 次探测失败")
    if rule == "signal-floor":
        # a cold SIM or profile is heard through its modem's active slot (as in _key)
        s = cur.signal_percent if cur.hot else (radio or {}).get(cur.modem)
        f = rules.signal_floor_percent
        if s is None:
            return (f"{c}'s signal is below the floor of {f}%", f"{cz} 信号低于下限 {f}%")
        return (f"{c}'s signal is {s}%, below the floor of {f}%", f"{cz} 信号 {s}%，低于下限 {f}%")
    if rule == "prefer-wired":
        return (f"{b} is a home link and healthy", f"{bz} 是家用线路且运行正常")
    if rule == "avoid-roaming":
        en, zh = _country(cur.serving_mcc if cur.registered else country)
        p = _price(cur)
        return (
            f"{c} is roaming in {en}" + (f" at {p}" if p else ""),
            f"{cz} 正在{zh}漫游" + (f"（{p}）" if p else ""),
        )
    if rule == "cheapest":
        pb, pc = _price(best), _price(cur)
        return (
            f"{b} costs {pb or 'nothing'} against {pc or 'an unknown price'} on {c}",
            (f"{bz} 的流量费用为 {pb}" if pb else f"{bz} 不按流量计费")
            + (f"，{cz} 则为 {pc}" if pc else f"，{cz} 的价格未知"),
        )
    if rule == "preferred":
        return (f"{b} comes first in your preferred order", f"{bz} 在您的首选顺序中排在前面")
    if rule == "usable-plan":
        plan = cur.plan
        name = plan.name if plan else ""
        if plan is not None and plan.expired:
            return (f"{c}'s plan '{name}' has expired", f"{cz} 的套餐“{name}”已过期")
        if plan is not None and not plan.tethering_allowed:
            return (f"{c}'s plan '{name}' allows no tethering", f"{cz} 的套餐“{name}”不允许共享")
        return (f"{c}'s plan '{name}' is used up", f"{cz} 的套餐“{name}”已用完")
    if rule == "present":
        if cur.present:  # listed, but down with nothing to bring it up (a cable pulled)
            return (f"{c} is not connected", f"{cz} 未连接")
        return (f"{c} is gone", f"{cz} 已不可用")
    return (f"{b} ranks first by your rules", f"{bz} 按您的规则排在第一")


def _deciding_rule(bkey: tuple[float, ...], ckey: tuple[float, ...], rules: Rules) -> str:
    for i, rule in enumerate(rules.order):
        if bkey[i] != ckey[i]:
            return rule
    return "keep"


def decide(
    candidates: Sequence[Candidate],
    rules: Rules,
    *,
    current: str | None,
    history: Sequence[Switch] = (),
    now: float,
    pin: str | None = None,
    card_busy: bool = False,
    wanted: tuple[str, float] | None = None,
) -> Decision:
    """The decision now; ``wanted`` is the previous decision's ``wanted`` (a preference must hold
    for ``rules.confirm_s`` before it switches)."""
    by_id = {c.id: c for c in candidates}
    cur = by_id.get(current) if current is not None else None
    country = box_country(candidates)
    eligible = [c for c in candidates if usable(c)]
    home_exists = any(at_home(c, country) for c in eligible)
    radio = {c.modem: c.signal_percent for c in candidates
             if c.cellular and c.hot and c.signal_percent is not None}  # fmt: skip
    keys = {c.id: _key(c, rules, current, country, home_exists, radio) for c in eligible}
    ranked = sorted(eligible, key=lambda c: (keys[c.id], c.id))
    ranking = tuple(c.id for c in ranked)
    if not ranked:
        now_wanted = None
    elif wanted is not None and wanted[0] == ranked[0].id:
        now_wanted = wanted
    else:
        now_wanted = (ranked[0].id, now)

    def out(
        chosen: str | None, rule: str, en: str, zh: str, *, forced: bool, held: str | None = None
    ) -> Decision:
        return Decision(
            chosen=chosen,
            current=current,
            switch=chosen != current,
            forced=forced,
            rule=rule,
            held_by=held,
            reason_en=en,
            reason_zh=_CLOSE_SPACE.sub(r"\1", zh),
            ranking=ranking,
            wanted=now_wanted,
        )

    def busy(target: Candidate, en: str, zh: str) -> Decision:
        return out(
            current,
            "keep",
            f"{en}; {target.label} would be next, but an eSIM operation is running",
            f"{zh}；本应切换到 {_zh(target)}，但 eSIM 操作正在进行",
            forced=False,
            held="card-busy",
        )

    # 1. a pin wins while the pinned uplink is there
    pinned = by_id.get(pin) if pin is not None else None
    if pinned is not None and pinned.selectable:
        en, zh = f"{pinned.label} is pinned by you", f"{_zh(pinned)} 已由您固定"
        if pinned.id != current and card_busy:
            return busy(pinned, en, zh)
        return out(pinned.id, "pin", en, zh, forced=pinned.id != current)
    pin_note = ("", "")
    if pin is not None:
        pin_note = (f" (the pinned {pin} is not available)", f"（固定的 {pin} 不可用）")

    # 2. nothing usable
    if not ranked:
        en, zh = (
            "no uplink is usable (plans used up, links absent)",
            "没有可用的上行链路（套餐用完或链路不存在）",
        )
        return out(None, "none", en + pin_note[0], zh + pin_note[1], forced=current is not None)

    best = ranked[0]
    left_en, left_zh = _left(best)
    if cur is not None and best.id == cur.id:
        runner = ranked[1] if len(ranked) > 1 else None
        if runner is None:
            en, zh = f"{cur.label} is the only usable uplink", f"{_zh(cur)} 是唯一可用的上行链路"
        else:
            rule = _deciding_rule(keys[cur.id], keys[runner.id], rules)
            if rule == "keep":
                en = f"staying on {cur.label}: no other uplink is better by your rules"
                zh = f"继续使用 {_zh(cur)}：按您的规则没有更好的上行链路"
            else:
                w_en, w_zh = _why(rule, cur, runner, rules, country, radio)
                en, zh = f"staying on {cur.label}: {w_en}", f"继续使用 {_zh(cur)}：{w_zh}"
        return out(cur.id, "keep", en + pin_note[0], zh + pin_note[1], forced=False)

    # 3. the current uplink cannot stay: switch at once
    if cur is None or not cur.selectable or leaves_for_plan(cur):
        if cur is None:
            rule = "present"
            w_en, w_zh = (
                ("no uplink was in use", "此前没有上行链路")
                if current is None
                else (f"{current} is gone", f"{current} 已不可用")
            )
        else:
            # still listed but nothing brings it up (a cable pulled): "present" says so
            rule = "usable-plan" if cur.selectable else "present"
            w_en, w_zh = _why(rule, best, cur, rules, country, radio)
        if card_busy and current is not None:
            return busy(best, w_en, w_zh)
        return out(
            best.id,
            rule,
            f"{w_en}; switched to {best.label}{left_en}{pin_note[0]}",
            f"{w_zh}；已切换到 {_zh(best)}{left_zh}{pin_note[1]}",
            forced=True,
        )
    ckey = keys.get(cur.id) or _key(cur, rules, current, country, home_exists, radio)
    if not usable(cur) and keys[best.id] >= ckey:
        # used up with "stop"/"throttle" at the limit: plans act on it; nothing better here
        p_en, p_zh = _why("usable-plan", best, cur, rules, country, radio)
        action = cur.plan.action if cur.plan else "stop"
        return out(
            cur.id,
            "keep",
            f"{p_en}; its action at the limit is {action}, and no other uplink is better",
            f"{p_zh}；其达到上限时的动作为{ACTIONS_ZH.get(action, f' {action} ')}，"
            "且没有更好的上行链路",
            forced=False,
        )
    rule = _deciding_rule(keys[best.id], ckey, rules)
    w_en, w_zh = _why(rule, best, cur, rules, country, radio)
    if not usable(cur) and rule == "keep":
        w_en, w_zh = _why("usable-plan", best, cur, rules, country, radio)
    if "healthy" in rules.order and _down(cur) and not _down(best):
        if card_busy:
            return busy(best, w_en, w_zh)
        return out(
            best.id,
            "healthy",
            f"{w_en}; switched to {best.label}{left_en}",
            f"{w_zh}；已切换到 {_zh(best)}{left_zh}",
            forced=True,
        )

    # 4. a better uplink by preference: dwell, cap, fail-back dwell, card
    def held(why: str, en: str, zh: str) -> Decision:
        return out(
            cur.id if cur else None,
            "keep",
            f"{best.label} would be better ({w_en}), but {en}; staying on {cur.label if cur else '-'}",
            f"{_zh(best)} 更好（{w_zh}），但{zh}；继续使用 {_zh(cur) if cur else '-'}",
            forced=False,
            held=why,
        )

    last = max((s.at for s in history), default=None)
    if last is not None and now - last < rules.min_dwell_s:
        ago, need = round(now - last), round(rules.min_dwell_s)
        return held(
            "min-dwell",
            f"the last switch was {ago} s ago (minimum {need} s)",
            f"上次切换仅在 {ago} 秒前（至少 {need} 秒）",
        )
    recent = sum(1 for s in history if now - s.at < 3600)
    if recent >= rules.max_switches_per_hour:
        cap = rules.max_switches_per_hour
        return held(
            "switch-cap",
            f"{recent} switches in the last hour reach the cap of {cap}",
            f"过去一小时已切换 {recent} 次，达到上限 {cap}",
        )
    better_for = now - now_wanted[1] if now_wanted is not None else 0.0
    if better_for < rules.confirm_s:
        return held(
            "confirm",
            f"it has been better for {round(better_for)} s of the {round(rules.confirm_s)} s "
            "required",
            f"它更好的状态仅持续 {round(better_for)} 秒，需要 {round(rules.confirm_s)} 秒",
        )
    if best.hot and "healthy" in rules.order:
        if best.health.state != "up":
            return held("failback-dwell", "it has not answered its probes yet", "它尚未通过探测")
        up_for = now - best.health.since
        if up_for < rules.failback_dwell_s:
            return held(
                "failback-dwell",
                f"it has been up only {round(up_for)} s of the {round(rules.failback_dwell_s)} s required",
                f"它仅正常运行 {round(up_for)} 秒，需要 {round(rules.failback_dwell_s)} 秒",
            )
    if card_busy:
        return busy(best, w_en, w_zh)
    return out(
        best.id,
        rule,
        f"{w_en}; switched to {best.label}{left_en}",
        f"{w_zh}；已切换到 {_zh(best)}{left_zh}",
        forced=False,
    )
