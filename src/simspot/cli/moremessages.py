"""What the CLI prints for fleet join/leave/status, guest passes, eSIM, usage and config (the
rest is in cli/messages.py), English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (MESSAGE_MODULES there)."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- simspot fleet join | leave | status (cli/fleet_box.py) -------------------------------------
    "cli.fleet.joined": (
        "Joined the fleet at {broker} as box {box}.",
        "已作为设备 {box} 加入 {broker} 的设备群。",
    ),
    "cli.fleet.credentials": (
        "Credentials: {path} (owner only).",
        "凭据：{path}（仅所有者可读）。",
    ),
    "cli.fleet.wrote": ("Wrote [fleet] in {path}.", "已在 {path} 中写入 [fleet]。"),
    "cli.fleet.add-section": (
        "Cannot write {path}; add this section to it:",
        "无法写入 {path}；请手动加入以下配置段：",
    ),
    "cli.fleet.restart-start": (
        "Restart the daemon to start reporting (systemctl restart simspot).",
        "重启守护进程以开始上报（systemctl restart simspot）。",
    ),
    "cli.fleet.removed": ("Removed [fleet] from {path}.", "已从 {path} 中移除 [fleet]。"),
    "cli.fleet.remove-by-hand": (
        "Cannot write {path}; remove its [fleet] section by hand.",
        "无法写入 {path}；请手动删除其中的 [fleet] 配置段。",
    ),
    "cli.fleet.deleted": ("Deleted {path}.", "已删除 {path}。"),
    "cli.fleet.home-assistant-by-hand": (
        "Could not reach the broker to remove the box from Home Assistant; delete its device "
        "there by hand.",
        "无法连接服务器，未能从 Home Assistant 中移除本设备；请在 Home Assistant 中手动删除该设备。",
    ),
    "cli.fleet.undelivered": (
        "Not delivered, and now never will be: {unsent:list}",
        "未送达、今后也不会再发送：{unsent:list}",
    ),
    "cli.fleet.restart-stop": (
        "Restart the daemon to stop reporting (systemctl restart simspot).",
        "重启守护进程以停止上报（systemctl restart simspot）。",
    ),
    "cli.fleet.not-joined": (
        "Not in a fleet (join one with `simspot fleet join URL TOKEN`).",
        "未加入设备群（用 `simspot fleet join URL TOKEN` 加入）。",
    ),
    "cli.fleet.box": ("box {box} -> {broker}", "设备 {box} -> {broker}"),
    "cli.fleet.credentials-present": (
        "credentials: {path} (present)",
        "凭据：{path}（存在）",
    ),
    "cli.fleet.credentials-missing": (
        "credentials: {path} (MISSING)",
        "凭据：{path}（缺失）",
    ),
    "cli.fleet.ca": ("CA: {path}", "CA：{path}"),
    "cli.fleet.ca-system": ("CA: the system CAs", "CA：系统自带的 CA"),
    "cli.fleet.allowed": ("commands allowed: {commands:list}", "允许的命令：{commands:list}"),
    "cli.fleet.allowed-none": ("commands allowed: none", "允许的命令：无"),
    "cli.fleet.home-assistant-on": ("Home Assistant: on", "Home Assistant：开"),
    "cli.fleet.home-assistant-off": ("Home Assistant: off", "Home Assistant：关"),
    "cli.fleet.outbox": ("outbox: {waiting:list}", "待发送：{waiting:list}"),
    "cli.fleet.outbox-empty": ("outbox: empty", "待发送：空"),
    "cli.fleet.daemon-not-running": ("daemon: not running", "守护进程：未运行"),
    "cli.fleet.reporter-not-running": (
        "reporter: not running (restart the daemon after joining)",
        "上报程序：未运行（加入后请重启守护进程）",
    ),
    "cli.fleet.reporter": ("reporter: {state}", "上报程序：{state}"),
    "cli.fleet.connected": (", connected", "，已连接"),
    "cli.fleet.disconnected": (", NOT connected", "，未连接"),
    # -- simspot guest (cli/guest.py) ---------------------------------------------------------------
    "cli.guest.unavailable": ("guest passes are not available:", "访客通行证不可用："),
    "cli.guest.none": (
        "no guest passes yet: simspot guest add NAME --until tonight",
        "还没有访客通行证：simspot guest add NAME --until tonight",
    ),
    "cli.guest.col.id": ("id", "编号"),
    "cli.guest.col.name": ("name", "名称"),
    "cli.guest.col.state": ("state", "状态"),
    "cli.guest.col.used": ("used", "已用"),
    "cli.guest.col.left": ("left", "剩余"),
    "cli.guest.col.cap": ("cap", "限速"),
    "cli.guest.col.until": ("until", "截止"),
    "cli.guest.col.devices": ("devices", "设备"),
    "cli.guest.state.active": ("active", "有效"),
    "cli.guest.state.revoked": ("revoked", "已撤销"),
    "cli.guest.state.expired": ("expired", "已过期"),
    "cli.guest.used-no-allowance": (
        "{used} (no allowance of its own)",
        "{used}（没有单独的流量额度）",
    ),
    "cli.guest.used-of": ("{used} of {total} ({period})", "{used} / {total}（{period}）"),
    "cli.guest.period.day": ("day", "每天"),
    "cli.guest.period.cycle": ("cycle", "每周期"),
    "cli.guest.period.total": ("total", "总计"),
    "cli.guest.pass": ("guest pass {id}: {name} ({state})", "访客通行证 {id}：{name}（{state}）"),
    "cli.guest.key": (
        "  key      {passphrase}  (key id {key_id})",
        "  密钥     {passphrase}  （密钥 ID {key_id}）",
    ),
    "cli.guest.used": ("  used     {used}", "  已用     {used}"),
    "cli.guest.left": ("  left     {left}", "  剩余     {left}"),
    "cli.guest.left-bounded": (
        "  left     {left}  (bounded by the plan)",
        "  剩余     {left}  （受套餐剩余流量限制）",
    ),
    "cli.guest.cap": ("  cap      {cap}", "  限速     {cap}"),
    "cli.guest.until": ("  until    {until}", "  截止     {until}"),
    "cli.guest.revoked-at": ("  revoked  {revoked}", "  撤销于   {revoked}"),
    "cli.guest.devices": ("  devices  {devices}", "  设备     {devices}"),
    "cli.guest.revoked": ("guest pass {id} ({name}) revoked", "访客通行证 {id}（{name}）已撤销"),
    "cli.guest.qr-caption": (
        "guest pass {id}: scan to join (WPA2 with the guest key)",
        "访客通行证 {id}：扫码加入（WPA2，使用访客密钥）",
    ),
    # -- simspot esim (cli/esim.py) -----------------------------------------------------------------
    "cli.esim.test-profile": ("test profile: {code}", "测试配置文件：{code}"),
    "cli.esim.event": (
        "event {event} at {smdp}: download with "
        "`simspot esim download --smdp {smdp} --matching-id {event}`",
        "{smdp} 上的事件 {event}：用 "
        "`simspot esim download --smdp {smdp} --matching-id {event}` 下载",
    ),
    "cli.esim.col.state": ("state", "状态"),
    "cli.esim.col.name": ("name", "名称"),
    "cli.esim.col.provider": ("provider", "运营商"),
    "cli.esim.col.nickname": ("nickname", "昵称"),
    "cli.esim.col.class": ("class", "类别"),
    "cli.esim.col.seq": ("seq", "序号"),
    "cli.esim.col.operation": ("operation", "操作"),
    "cli.esim.col.result": ("result", "结果"),
    "cli.esim.col.reader": ("reader", "读卡器"),
    "cli.esim.col.card": ("card", "有卡"),
    "cli.esim.col.transport": ("transport", "传输方式"),
    "cli.esim.col.device": ("device", "设备"),
    "cli.esim.col.driver": ("driver", "驱动"),
    "cli.esim.state.enabled": ("enabled", "已启用"),
    "cli.esim.state.disabled": ("disabled", "已停用"),
    "cli.esim.installed": (
        "installed {name} ({provider}), ICCID {iccid}; enable it with "
        "`simspot esim enable {iccid}`",
        "已安装 {name}（{provider}），ICCID {iccid}；用 `simspot esim enable {iccid}` 启用",
    ),
    "cli.esim.installed-unknown-provider": (
        "installed {name} (unknown provider), ICCID {iccid}; enable it with "
        "`simspot esim enable {iccid}`",
        "已安装 {name}（运营商未知），ICCID {iccid}；用 `simspot esim enable {iccid}` 启用",
    ),
    "cli.esim.notification-sent": (
        "  notification {seq} ({operation}) sent",
        "  通知 {seq}（{operation}）已发送",
    ),
    "cli.esim.notification-not-sent": (
        "  notification {seq} ({operation}) not sent ({error})",
        "  通知 {seq}（{operation}）未发送（{error}）",
    ),
    "cli.esim.nickname": (
        "profile {iccid}: nickname {nickname}",
        "配置文件 {iccid}：昵称 {nickname}",
    ),
    "cli.esim.sent-and-removed": ("sent and removed", "已发送并移除"),
    "cli.esim.kept": ("kept: {error}", "已保留：{error}"),
    "cli.esim.readers-title": ("PC/SC readers (transport pcsc)", "PC/SC 读卡器（传输方式 pcsc）"),
    "cli.esim.ports-title": ("modem control ports", "调制解调器控制端口"),
    # -- simspot usage (cli/usage.py) ---------------------------------------------------------------
    "cli.usage.limits": ("limits of {mac}: {limits}", "{mac} 的限额：{limits}"),
    "cli.usage.per-day": ("{size} a day", "每天 {size}"),
    "cli.usage.per-cycle": ("{size} a cycle", "每周期 {size}"),
    "cli.usage.down": ("down {kbit} kbit/s", "下行 {kbit} kbit/s"),
    "cli.usage.up": ("up {kbit} kbit/s", "上行 {kbit} kbit/s"),
    "cli.usage.none": ("none", "无"),
    # -- simspot config (cli/configcmd.py) ----------------------------------------------------------
    "cli.config.valid": ("{file}: valid", "{file}：有效"),
    "cli.config.backends": ("backends: {backends:list}", "后端：{backends:list}"),
    # -- simspot fleet init | add-box | serve: the fleet server's operator (cli/fleet_server.py) ------
    "cli.fleet-server.migrated": (
        "Database: applied migration(s) {migrations:list}; schema version {version}.",
        "数据库：已应用迁移 {migrations:list}；架构版本 {version}。",
    ),
    "cli.fleet-server.up-to-date": (
        "Database: up to date (schema version {version}).",
        "数据库：已是最新（架构版本 {version}）。",
    ),
    "cli.fleet-server.broker": ("Broker:", "消息服务器（Broker）："),
    "cli.fleet-server.acl-file": (
        "Mosquitto ACL file (acl_file):",
        "Mosquitto ACL 文件（acl_file）：",
    ),
    "cli.fleet-server.mosquitto-conf": ("Mosquitto config:", "Mosquitto 配置："),
    "cli.fleet-server.next": ("Next:", "下一步："),
    "cli.fleet-server.rule.login": (
        "Refuse anonymous clients; every box logs in with its own user name (= its box id) and "
        "password, over TLS.",
        "拒绝匿名客户端；每台设备都通过 TLS，用自己的用户名（即设备 ID）和密码登录。",
    ),
    "cli.fleet-server.rule.box": (
        "A box may publish to {root}/<its user name>/(status|plans|usage|uplink|events|result) "
        "and {ha_prefix}/+/simspot_<its user name>/#, and subscribe only to "
        "{root}/<its user name>/cmd.",
        "设备只可发布到 {root}/<其用户名>/(status|plans|usage|uplink|events|result) 和 "
        "{ha_prefix}/+/simspot_<其用户名>/#，并且只可订阅 {root}/<其用户名>/cmd。",
    ),
    "cli.fleet-server.rule.server": (
        "User {user} may subscribe to {root}/# (shared subscriptions "
        "$share/simspot-ingest/{root}/+/<channel>) and publish only to {root}/+/cmd.",
        "用户 {user} 可订阅 {root}/#（共享订阅 $share/simspot-ingest/{root}/+/<channel>），"
        "并且只可发布到 {root}/+/cmd。",
    ),
    "cli.fleet-server.rule.emqx": (
        "EMQX: the built-in file authorization (acl.conf) with {username} placeholders, e.g. "
        "{allow}, ..., then {deny}. VerneMQ: vmq_acl with the %u pattern (pattern write "
        "{root}/%u/usage, ...), the same lines as the Mosquitto file below.",
        "EMQX：使用内置的文件授权（acl.conf）和 {username} 占位符，例如 {allow}, ...，"
        "最后是 {deny}。VerneMQ：使用 vmq_acl 的 %u 模式（pattern write {root}/%u/usage, ...），"
        "规则与下面的 Mosquitto 文件相同。",
    ),
    "cli.fleet-server.rule.share": (
        "Mosquitto's acl_file checks reads on delivery, not on subscribe: give the workers a "
        "shared subscription group the boxes do not know (serve --share-group, below); on "
        "other brokers, do not let boxes subscribe to $share/... at all.",
        "Mosquitto 的 acl_file 在投递时而不是订阅时检查读取权限：请给工作进程一个设备不知道的"
        "共享订阅组（见下面的 serve --share-group）；在其他消息服务器上，完全不要让设备订阅 "
        "$share/...。",
    ),
    "cli.fleet-server.rule.sessions": (
        "Sessions: the broker must keep persistent sessions (clean start off, session expiry) "
        "and their queued QoS 1 messages; give the server user room for a backlog "
        "(Mosquitto: max_queued_messages).",
        "会话：消息服务器必须保留持久会话（关闭 clean start，设置会话过期时间）及其排队的 QoS 1 "
        "消息；请给服务器用户留出积压空间（Mosquitto：max_queued_messages）。",
    ),
    "cli.fleet-server.box-added": ("Box {box} added.", "已添加设备 {box}。"),
    "cli.fleet-server.box-added-to": (
        "Box {box} added to group {group}.",
        "已添加设备 {box} 到分组 {group}。",
    ),
    "cli.fleet-server.user-added-reloaded": (
        "Broker user added and Mosquitto reloaded.",
        "已添加消息服务器用户并重新加载 Mosquitto。",
    ),
    "cli.fleet-server.user-added-reload": (
        "Broker user added; reload Mosquitto (SIGHUP).",
        "已添加消息服务器用户；请重新加载 Mosquitto（SIGHUP）。",
    ),
    "cli.fleet-server.add-user": (
        "Add the broker user {box} with the password inside the token (the part after the box id).",
        "请在消息服务器上添加用户 {box}，密码是令牌中的密码部分（设备 ID 之后的部分）。",
    ),
    "cli.fleet-server.on-the-box": ("On the box, run:", "在设备上运行："),
    "cli.fleet-server.ingesting": (
        "Ingesting from {broker} with {workers} worker(s).",
        "正在从 {broker} 接收数据，工作进程 {workers} 个。",
    ),
    "cli.fleet-server.ingesting-api": (
        "Ingesting from {broker} with {workers} worker(s); fleet API on {api}.",
        "正在从 {broker} 接收数据，工作进程 {workers} 个；设备群 API 位于 {api}。",
    ),
    "cli.fleet-server.password": ("First admin password: {password}", "首个管理员密码：{password}"),
    # -- simspot hotspot (cli/hotspot.py) ------------------------------------------------------------
    "cli.hotspot.warning": ("WARNING", "警告"),
    "cli.hotspot.head": (
        "hotspot {state} ({backend} on {interface})",
        "热点{state}（{backend}，接口 {interface}）",
    ),
    "cli.hotspot.state.on": ("on", "已开启"),
    "cli.hotspot.state.off": ("off", "已关闭"),
    "cli.hotspot.state.starting": ("starting", "正在启动"),
    "cli.hotspot.held": (", held off by {reasons}", "，已暂停，原因：{reasons}"),
    "cli.hotspot.network": ("  network  {ssid}  {security}", "  网络     {ssid}  {security}"),
    "cli.hotspot.network-hidden": (
        "  network  {ssid}  {security}  hidden",
        "  网络     {ssid}  {security}  隐藏",
    ),
    "cli.hotspot.password": (
        "  password {passphrase}  ({source})",
        "  密码     {passphrase}  （{source}）",
    ),
    "cli.hotspot.source.user": ("user", "用户设置"),
    "cli.hotspot.source.config": ("config", "配置文件"),
    "cli.hotspot.source.generated": ("generated", "自动生成"),
    "cli.hotspot.radio": (
        "  radio    {band} GHz channel {channel}, country {country}",
        "  无线     {band} GHz 信道 {channel}，国家/地区 {country}",
    ),
    "cli.hotspot.clients": (
        "  clients  {clients} of at most {max}",
        "  设备     {clients} 台，最多 {max} 台",
    ),
    "cli.hotspot.clients-isolated": (
        "  clients  {clients} of at most {max}  isolated",
        "  设备     {clients} 台，最多 {max} 台  互相隔离",
    ),
    "cli.hotspot.allow": ("  allow    {macs}", "  允许     {macs}"),
    "cli.hotspot.deny": ("  deny     {macs}", "  拒绝     {macs}"),
    "cli.hotspot.last-error": ("last error:", "上次错误："),
    "cli.hotspot.uncapped": ("uncapped", "不限速"),
    "cli.hotspot.limit": (
        "{mac}: down {down}, up {up} kbit/s",
        "{mac}：下行 {down}，上行 {up} kbit/s",
    ),
    "cli.hotspot.col.hostname": ("hostname", "主机名"),
    "cli.hotspot.col.since": ("since", "连接时间"),
    "cli.hotspot.col.signal": ("signal", "信号"),
    "cli.hotspot.col.down": ("down", "下行"),
    "cli.hotspot.col.up": ("up", "上行"),
    "cli.hotspot.col.cycle": ("cycle", "本周期"),
    "cli.hotspot.col.state": ("state", "状态"),
    "cli.hotspot.col.vendor": ("vendor", "厂商"),
    "cli.hotspot.col.here": ("here", "在线"),
    "cli.hotspot.blocked": ("blocked", "已拉黑"),
    "cli.hotspot.denied": ("denied", "已拒绝"),
    "cli.hotspot.qr-caption": ("network {ssid}: scan to join", "网络 {ssid}：扫码加入"),
    # -- simspot sim (cli/sim.py) -------------------------------------------------------------------
    "cli.sim.needs": (
        "the SIM needs {needs} ({left} attempts left)",
        "SIM 卡需要 {needs}（还可尝试 {left} 次）",
    ),
    "cli.sim.empty": ("empty", "空"),
    # -- simspot plan (cli/plan.py) -----------------------------------------------------------------
    "cli.plan.none": (
        "no plans yet; add one with `simspot plan add ICCID --name ... --allowance ...`",
        "还没有套餐；用 `simspot plan add ICCID --name ... --allowance ...` 添加",
    ),
    "cli.plan.col.id": ("id", "编号"),
    "cli.plan.col.name": ("name", "名称"),
    "cli.plan.col.used": ("used", "已用"),
    "cli.plan.col.allowance": ("allowance", "流量"),
    "cli.plan.col.tethering": ("tethering", "热点共享"),
    "cli.plan.col.cycle-ends": ("cycle ends", "周期结束"),
    "cli.plan.col.at-limit": ("at limit", "达到上限时"),
    "cli.plan.allowed": ("allowed", "允许"),
    "cli.plan.not-allowed": ("not allowed", "不允许"),
    "cli.plan.expired": ("expired", "已过期"),
    "cli.plan.reached": ("(reached)", "（已达到）"),
    "cli.plan.monthly": ("monthly on day {day}", "每月 {day} 日"),
    "cli.plan.every": ("every {days} days from {start}", "自 {start} 起每 {days} 天"),
    "cli.plan.prepaid": ("prepaid {start} until {expires}", "预付费 {start} 至 {expires}"),
    "cli.plan.head": ("{name} (plan {id}) on SIM {iccid}", "{name}（套餐 {id}），SIM 卡 {iccid}"),
    "cli.plan.cycle": (
        "  cycle: {cycle} ({timezone}); now {start} .. {end}",
        "  周期：{cycle}（{timezone}）；当前 {start} .. {end}",
    ),
    "cli.plan.used": ("  used: {used} of {allowance}", "  已用：{used} / {allowance}"),
    "cli.plan.corrected": (", corrected by {corrected}", "，已校正 {corrected}"),
    "cli.plan.tethering": (
        "  tethering: {used} of {allowance}",
        "  热点共享：{used} / {allowance}",
    ),
    "cli.plan.no-tethering": (
        "  tethering: not allowed by this plan (sharing is held off on this SIM)",
        "  热点共享：此套餐不允许（该 SIM 卡上的共享已暂停）",
    ),
    "cli.plan.remaining": (
        "  remaining: {remaining}; at the limit: {action}",
        "  剩余：{remaining}；达到上限时：{action}",
    ),
    "cli.plan.price-line": (
        "  price: {amount} {currency} per {per}; this cycle so far: {cost} {cost_currency}",
        "  价格：{amount} {currency} {per}；本周期至今：{cost} {cost_currency}",
    ),
    "cli.plan.per.cycle": ("cycle", "每周期"),
    "cli.plan.per.gb": ("gb", "每 GB"),
    "cli.plan.mccs": ("  valid in MCCs: {mccs}", "  适用的 MCC：{mccs}"),
    # -- simspot lab (cli/lab.py), the developer's test lab ------------------------------------------
    "cli.lab.down": ("lab {prefix}: down", "实验环境 {prefix}：未运行"),
    "cli.lab.up": (
        "lab {prefix}: up; router namespace {router}, internet {internet}",
        "实验环境 {prefix}：运行中；路由器命名空间 {router}，互联网 {internet}",
    ),
    "cli.lab.servers": (
        "  servers: {ipv4} and {ipv6} (iperf3, HTTP :8080)",
        "  服务器：{ipv4} 和 {ipv6}（iperf3，HTTP :8080）",
    ),
    "cli.lab.no-lease": ("no lease yet", "尚未获得地址"),
    "cli.lab.run-daemon": (
        "run the daemon with the real data plane in the router namespace:",
        "在路由器命名空间中用真实数据平面运行守护进程：",
    ),
    "cli.lab.removed": (
        "lab {prefix}: removed {count} namespaces",
        "实验环境 {prefix}：已删除 {count} 个命名空间",
    ),
    # -- simspot usage: the table (cli/usage.py) ------------------------------------------------------
    "cli.usage.title": ("usage per {period}", "{period}用量"),
    "cli.usage.per.cycle": ("cycle", "每周期"),
    "cli.usage.per.day": ("day", "每天"),
    "cli.usage.per.hour": ("hour", "每小时"),
    "cli.usage.col.name": ("name", "名称"),
    "cli.usage.col.from": ("from", "开始"),
    "cli.usage.col.to": ("to", "结束"),
    "cli.usage.col.down": ("down", "下行"),
    "cli.usage.col.up": ("up", "上行"),
    "cli.usage.col.total": ("total", "合计"),
    "cli.usage.col.corrected": ("used (corrected)", "已用（校正后）"),
    "cli.usage.col.allowance": ("allowance", "流量"),
    "cli.usage.no-plan": ("no plan", "无套餐"),
    # -- prompts ------------------------------------------------------------------------------------
    "cli.esim.delete-ask": (
        "Delete profile {profile} for good?",
        "确定永久删除配置文件 {profile}？",
    ),
    "cli.hotspot.new-password": ("new Wi-Fi password", "新的 Wi-Fi 密码"),
    "cli.hotspot.repeat-password": ("Repeat for confirmation", "再输入一次以确认"),
    # -- simspot esim info: the card's fields ------------------------------------------------------
    "cli.esim.info.eid": ("eid", "EID 号"),
    "cli.esim.info.transport": ("transport", "传输方式"),
    "cli.esim.info.svn": ("svn", "SGP.22 版本 (SVN)"),
    "cli.esim.info.profile_version": ("profile version", "配置文件版本"),
    "cli.esim.info.firmware_version": ("firmware version", "固件版本"),
    "cli.esim.info.free_nvm": ("free nvm", "可用存储 (NVM)"),
    "cli.esim.info.default_smdp_address": ("default smdp address", "默认 SM-DP+ 地址"),
    "cli.esim.info.root_smds_address": ("root smds address", "根 SM-DS 地址"),
    "cli.esim.info.ci_pkids": ("trusted CIs", "受信任的 CI"),
}
