"""The fleet server's sentences (alerts), English and Chinese; merged into `simspot.i18n`'s
catalogue so the API answers them by id like every other sentence."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
FLEET_MESSAGES: dict[str, tuple[str, str]] = {
    "fleet.alert.offline": (
        "{box} is offline: its connection to the broker ended (last seen {last_seen:when} UTC).",
        "{box} 已离线：与消息服务器的连接已断开（最后在线 {last_seen:when} UTC）。",
    ),
    "fleet.alert.quiet": (
        "{box} has sent nothing for more than {minutes} minutes (last seen {last_seen:when} UTC).",
        "{box} 已超过 {minutes} 分钟没有发来任何消息（最后在线 {last_seen:when} UTC）。",
    ),
    "fleet.alert.plan-low": (
        "Plan {plan} on {box} is running low: {left:bytes} left of {allowance:bytes}.",
        "{box} 上的套餐 {plan} 流量不多了：剩余 {left:bytes}（共 {allowance:bytes}）。",
    ),
    "fleet.alert.plan-forecast": (
        "Plan {plan} on {box} will run out: at the current pace about {forecast:bytes} of "
        "{allowance:bytes} will be used by the end of the cycle.",
        "{box} 上的套餐 {plan} 将会用完：按目前的速度，到周期结束约用 {forecast:bytes}"
        "（共 {allowance:bytes}）。",
    ),
    "fleet.alert.plan-exhausted": (
        "Plan {plan} on {box} is used up ({allowance:bytes}).",
        "{box} 上的套餐 {plan} 流量已用完（{allowance:bytes}）。",
    ),
    "fleet.alert.not-sharing": (
        "{box} is not sharing its connection: {reason}.",
        "{box} 没有共享网络：{reason}。",
    ),
}
