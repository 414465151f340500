"""The fleet server's sentences (alerts, refusals, command delivery), English and Chinese; merged into `simspot.i18n`'s
catalogue so the API answers them by id like every other sentence."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
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
    # -- the fleet API's refusals (fleet/api.py, fleet/commands.py) ------------------------------
    "fleet.api.unknown-box": ("box: no box '{box}' in the fleet", "box：设备群中没有设备 '{box}'"),
    "fleet.api.box-or-group": (
        "box: give either box or group (one of them)",
        "box：请指定 box 或 group（二者之一）",
    ),
    "fleet.api.empty-group": (
        "group: no box is in group '{group}'",
        "group：分组 '{group}' 中没有设备",
    ),
    "fleet.api.unknown-command": ("id: no command '{id}'", "id：没有指令 '{id}'"),
    "fleet.api.bad-tz": (
        "tz: '{tz}' is not a time zone (use an IANA name such as Asia/Shanghai or UTC)",
        "tz：'{tz}' 不是时区（请用 IANA 名称，例如 Asia/Shanghai 或 UTC）",
    ),
    "fleet.api.needs-tz": (
        "{field}: needs a time zone (e.g. 2026-12-02T00:00:00+08:00)",
        "{field}：需要带时区（例如 2026-12-02T00:00:00+08:00）",
    ),
    "fleet.api.since-after-until": ("since: must be before until", "since：必须早于 until"),
    "fleet.api.range-too-wide": (
        "since: at most {days} days by {by}",
        "since：以 {by} 为单位时最多 {days} 天",
    ),
    "fleet.api.unknown-action": (
        "action: '{action}' is not a fleet command; use one of {actions:list}",
        "action：'{action}' 不是设备群指令；可用：{actions:list}",
    ),
    "fleet.api.bad-args": (
        "{field}: {problem} (for {action})",
        "{field}：{problem}（{action} 的参数）",
    ),
    "fleet.db.unreachable": ("the fleet database cannot be reached", "无法连接设备群数据库"),
    # -- sending commands (fleet/publisher.py) ------------------------------------------------
    "fleet.publish.ca-without-tls": (
        "a CA file is given for a broker without TLS (mqtt://)",
        "为不使用 TLS 的消息服务器（mqtt://）指定了 CA 文件",
    ),
    "fleet.publish.cannot-connect": (
        "cannot connect to the MQTT broker at {broker} ({reason})",
        "无法连接 {broker} 上的 MQTT 消息服务器（{reason}）",
    ),
    "fleet.publish.not-connected": (
        "not sent: the fleet server is not connected to the MQTT broker at {broker}",
        "未发送：设备群服务器未连接到 {broker} 上的 MQTT 消息服务器",
    ),
    "fleet.publish.expired": (
        "not sent: the command has already expired",
        "未发送：指令已过期",
    ),
    "fleet.publish.not-sent": ("not sent: {reason}", "未发送：{reason}"),
    "fleet.publish.refused": (
        "the broker refused the command ({reason})",
        "消息服务器拒绝了该指令（{reason}）",
    ),
    "fleet.publish.unconfirmed": (
        "the broker did not acknowledge the command within {seconds} s; it may still be "
        "delivered until it expires",
        "消息服务器在 {seconds} 秒内没有确认该指令；在过期之前它仍可能被送达",
    ),
}
