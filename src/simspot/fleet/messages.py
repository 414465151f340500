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
    # -- the contract: topics and bodies from boxes (fleet/protocol.py) ---------------------------
    "fleet.box-id": (
        "box id: use 1-32 lower-case letters, digits and '-', starting with a letter or digit",
        "设备编号：请使用 1 到 32 个小写字母、数字和 '-'，并以字母或数字开头",
    ),
    "fleet.topic.outside": (
        "topic {topic} is not under {root}/<box>/<channel>",
        "主题 {topic} 不在 {root}/<box>/<channel> 之下",
    ),
    "fleet.topic.channel": (
        "topic {topic}: unknown channel {channel}",
        "主题 {topic}：未知的通道 {channel}",
    ),
    "fleet.share-group": (
        "share group: 1-64 letters, digits, '-' and '_'",
        "共享订阅组：1 到 64 个字母、数字、'-' 和 '_'",
    ),
    "fleet.message.not-json": ("{kind} message is not JSON", "{kind} 消息不是 JSON"),
    "fleet.message.invalid": ("{kind} message: {problem:said}", "{kind} 消息：{problem:said}"),
    "fleet.message.other-box": (
        "message on {topic} claims to be from box {box}",
        "{topic} 上的消息自称来自设备 {box}",
    ),
    # -- the ingest workers (fleet/ingest.py) and their database (fleet/db.py) -------------------
    "fleet.ingest.broker-scheme": (
        "broker: use mqtts://host:port (or mqtt:// on a trusted network)",
        "消息服务器：请使用 mqtts://host:port（在可信网络中也可用 mqtt://）",
    ),
    "fleet.ingest.broker-credentials": (
        "broker: give the user with --user and the password in a file, not in the URL",
        "消息服务器：请用 --user 指定用户，并把密码放在文件中，不要写进地址",
    ),
    "fleet.ingest.broker-host": (
        "broker: the URL names no host",
        "消息服务器：地址中没有主机名",
    ),
    "fleet.ingest.broker-port": (
        "broker: the port is not a number 1-65535",
        "消息服务器：端口不是 1 到 65535 之间的数字",
    ),
    "fleet.ingest.workers": ("workers: 1-64", "workers：应为 1 到 64"),
    "fleet.db.cannot-connect": (
        "cannot connect to the fleet database: {reason}",
        "无法连接设备群数据库：{reason}",
    ),
    "fleet.db.address": ("fleet database address: {reason}", "设备群数据库地址：{reason}"),
    "fleet.db.failed": ("the fleet database: {reason}", "设备群数据库：{reason}"),
    "fleet.db.migration-failed": (
        "schema migration failed, nothing applied: {reason}",
        "数据库结构迁移失败，没有做任何更改：{reason}",
    ),
    "fleet.db.newer": (
        "the fleet database has schema version {version}, newer than this simspot knows "
        "({known}): upgrade simspot",
        "设备群数据库的结构版本为 {version}，比本 simspot 所知的版本（{known}）更新：请升级 simspot",
    ),
    "fleet.db.too-long": ("{field}: at most {max} characters", "{field}：最多 {max} 个字符"),
    "fleet.db.box-exists": ("box {box} already exists", "设备 {box} 已存在"),
    "fleet.db.not-a-report": (
        "{kind} is not something a box reports",
        "{kind} 不是设备会上报的内容",
    ),
    # -- the box's outbox (fleet/outbox.py) ------------------------------------------------------
    "fleet.outbox.cannot-open": (
        "cannot open the fleet outbox in {path}: {error}",
        "无法打开 {path} 中的设备群发件箱：{error}",
    ),
    "fleet.outbox.failed": ("fleet outbox: {error}", "设备群发件箱：{error}"),
    # -- the box's fleet capability (fleet/capability.py) ----------------------------------------
    "fleet.enabled-needs": (
        "fleet: enabled needs broker and box_id",
        "fleet：启用时需要 broker 和 box_id",
    ),
    "fleet.command.invalid-arg": (
        "args.{field}: {problem}",
        "参数 args.{field} 无效：{problem}",
    ),
    "fleet.command.invalid": ("{problem}", "请求无效：{problem}"),
    # -- `simspot fleet init|add-box|serve` (cli/fleet_server.py) ---------------------------------
    "fleet.server.user": (
        "server user: 1-32 lower-case letters, digits and '-'",
        "服务器用户：1 到 32 个小写字母、数字和 '-'",
    ),
    "fleet.server.passwd-failed": (
        "mosquitto_passwd failed: {error}",
        "mosquitto_passwd 运行失败：{error}",
    ),
    "fleet.server.pidfile": (
        "cannot read a process id from {path}",
        "无法从 {path} 读取进程号",
    ),
    "fleet.server.no-process": (
        "no process {pid} to reload (is mosquitto running?)",
        "没有可重新加载的进程 {pid}（mosquitto 是否在运行？）",
    ),
    "fleet.server.name": (
        "name: give a name with letters or digits, or --id",
        "name：请给出含有字母或数字的名称，或使用 --id",
    ),
    "fleet.server.ca-not-pem": ("ca: {path} is not a PEM certificate", "ca：{path} 不是 PEM 证书"),
    "fleet.server.password-unreadable": (
        "password file: cannot read {path} ({error})",
        "密码文件：无法读取 {path}（{error}）",
    ),
    "fleet.server.password-empty": ("password file: is empty", "密码文件：内容为空"),
    "fleet.server.password-missing": (
        "give the server user's MQTT password with --password-file or ${env}",
        "请用 --password-file 或 ${env} 提供服务器用户的 MQTT 密码",
    ),
    "fleet.server.listen": (
        "listen: use HOST:PORT, e.g. 127.0.0.1:8480",
        "listen：请使用 HOST:PORT，例如 127.0.0.1:8480",
    ),
}
