"""The cli package's sentences (messages.py), English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- the doctor's checks (simspot.setup.checks) -----------------------------------------------
    "setup.check.no-config": (
        "no config file: the daemon would run with no modem, no AP and no uplink",
        "没有配置文件：守护进程将在没有调制解调器、没有热点、没有上行链路的情况下运行",
    ),
    "setup.check.simulated": (
        "the config sets simulated backends ({backends:list}): they run only with "
        "`simspot serve --simulate`",
        "配置使用了模拟后端（{backends:list}）：它们只能通过 `simspot serve --simulate` 运行",
    ),
    "setup.check.no-uplink-interface": (
        "the uplink interface {name} does not exist",
        "上行接口 {name} 不存在",
    ),
    "setup.check.wired-uplink": ("wired uplink {name}", "有线上行链路 {name}"),
    "setup.check.modem-not-configured": (
        'ModemManager sees a modem but modem.backend is not "modemmanager" and there is no '
        "dataplane.uplink_interface: nothing to share",
        'ModemManager 检测到调制解调器，但 modem.backend 不是 "modemmanager"，也没有设置 '
        "dataplane.uplink_interface：没有可共享的网络",
    ),
    "setup.check.no-uplink": (
        "no uplink: no modem backend and no dataplane.uplink_interface",
        "没有上行链路：既没有调制解调器后端，也没有 dataplane.uplink_interface",
    ),
    "setup.check.no-dbus": (
        "the system D-Bus cannot be reached ({problem})",
        "无法连接系统 D-Bus（{problem}）",
    ),
    "setup.check.mm-running": ("ModemManager is running", "ModemManager 正在运行"),
    "setup.check.modem": ("modem {name}", "调制解调器 {name}"),
    "setup.check.slot-empty": (
        "the modem's active SIM slot is empty",
        "调制解调器当前使用的 SIM 卡槽是空的",
    ),
    "setup.check.sim-unlocked": ("the SIM is unlocked", "SIM 卡已解锁"),
    "setup.check.missing": ("{tool} is missing", "缺少 {tool}"),
    "setup.check.installed": ("{tool} is installed", "已安装 {tool}"),
    "setup.check.no-lan-interface": (
        "the LAN interface {name} does not exist",
        "局域网接口 {name} 不存在",
    ),
    "setup.check.port53-taken": (
        "port 53 is taken on all addresses by {who}",
        "53 端口已在所有地址上被 {who} 占用",
    ),
    "setup.check.port53-free": ("port 53 is free on the LAN", "局域网上的 53 端口空闲"),
    "setup.check.wifi-missing": (
        "hotspot.interface {name} does not exist",
        "hotspot.interface {name} 不存在",
    ),
    "setup.check.not-wifi": (
        "hotspot.interface {name} is not a Wi-Fi interface",
        "hotspot.interface {name} 不是 Wi-Fi 接口",
    ),
    "setup.check.no-ap-mode": (
        "{name} cannot run an access point (iw list: no AP in its interface modes)",
        "{name} 无法作为接入点运行（iw list：其接口模式中没有 AP）",
    ),
    "setup.check.ap-mode-unknown": (
        "cannot tell whether {name} supports AP mode",
        "无法判断 {name} 是否支持 AP 模式",
    ),
    "setup.check.ap-mode": ("{name} supports AP mode", "{name} 支持 AP 模式"),
    "setup.check.no-band": (
        "{name} has no usable {band} GHz channel",
        "{name} 没有可用的 {band} GHz 信道",
    ),
    "setup.check.hard-blocked": (
        "{name} is blocked by a hardware switch",
        "{name} 被硬件开关禁用",
    ),
    "setup.check.soft-blocked": ("{name} is blocked by rfkill", "{name} 被 rfkill 禁用"),
    "setup.check.no-country": (
        "no regulatory country is set: channels are limited and some boards keep Wi-Fi blocked",
        "未设置监管国家/地区：可用信道受限，部分主板会一直禁用 Wi-Fi",
    ),
    "setup.check.nm-manages": (
        "NetworkManager manages {name}, so hostapd cannot use it",
        "{name} 由 NetworkManager 管理，hostapd 无法使用它",
    ),
    "setup.check.dhcpcd": (
        "dhcpcd runs and may configure {name}",
        "dhcpcd 正在运行，可能会配置 {name}",
    ),
    "setup.check.nm-not-running": (
        "NetworkManager is not running",
        "NetworkManager 未运行",
    ),
    "setup.check.no-pcscd": (
        "pcscd is not running: no eSIM profile management",
        "pcscd 未运行：无法管理 eSIM 配置文件",
    ),
    "setup.check.pcsc-error": ("PC/SC: {problem}", "PC/SC：{problem}"),
    "setup.check.no-reader": ("no PC/SC reader is connected", "没有连接 PC/SC 读卡器"),
    "setup.check.reader": ("PC/SC reader {reader}", "PC/SC 读卡器 {reader}"),
    "setup.check.not-control-port": (
        "esim.device {device} is not a {protocol} control port",
        "esim.device {device} 不是 {protocol} 控制端口",
    ),
    "setup.check.control-port": (
        "{protocol} control port {device}",
        "{protocol} 控制端口 {device}",
    ),
    "setup.check.no-battery": (
        "no battery found: the battery guard has nothing to watch",
        "未找到电池：电池保护无事可做",
    ),
    "setup.check.clock-unsynced": (
        "the clock is not synchronised: TLS to an SM-DP+ (eSIM downloads) fails with a wrong date",
        "时钟未同步：日期错误时，与 SM-DP+ 的 TLS 连接（eSIM 下载）会失败",
    ),
    "setup.check.clock-unknown": (
        "cannot tell whether the clock is synchronised",
        "无法判断时钟是否已同步",
    ),
    "setup.check.clock-synced": ("the clock is synchronised", "时钟已同步"),
    # -- simspot doctor (cli/doctor.py) ------------------------------------------------------------
    "cli.doctor.fix": ("fix:", "修复："),
    "cli.doctor.problems": (
        "{count} problem(s) keep simspot from sharing.",
        "有 {count} 个问题导致 simspot 无法共享网络。",
    ),
    "cli.doctor.ok": ("Nothing keeps simspot from sharing.", "没有问题妨碍 simspot 共享网络。"),
    # -- simspot uplink (cli/uplink.py) ------------------------------------------------------------
    "cli.uplink.plan.expired": ("{name}: expired", "{name}：已过期"),
    "cli.uplink.plan.used-up": ("{name}: used up", "{name}：已用完"),
    "cli.uplink.plan.left": ("{name}: {left} left", "{name}：剩余 {left}"),
    "cli.uplink.hot": ("hot", "在线"),
    "cli.uplink.cold": ("cold ({via})", "待命（{via}）"),
    "cli.uplink.via.slot": ("slot", "卡槽"),
    "cli.uplink.via.profile": ("profile", "配置文件"),
    "cli.uplink.via.join": ("join", "加入网络"),
    "cli.uplink.down": ("down", "不可用"),
    "cli.uplink.roaming": ("roaming", "漫游"),
    "cli.uplink.health.up": ("up", "正常"),
    "cli.uplink.health.down": ("down", "断开"),
    "cli.uplink.health.unknown": ("unknown", "未知"),
    "cli.uplink.col.uplink": ("uplink", "上行链路"),
    "cli.uplink.col.state": ("state", "状态"),
    "cli.uplink.col.network": ("network", "网络"),
    "cli.uplink.col.signal": ("signal %", "信号 %"),
    "cli.uplink.col.plan": ("plan", "套餐"),
    "cli.uplink.col.health": ("health", "健康状况"),
    "cli.uplink.col.when": ("when", "时间"),
    "cli.uplink.col.why": ("why", "原因"),
    "cli.uplink.title": ("Uplinks", "上行链路"),
    "cli.uplink.history-title": ("Uplink decisions", "上行链路决策"),
    "cli.uplink.no-decision": ("no decision yet", "尚未做出决策"),
    "cli.uplink.none": ("none", "无"),
    "cli.uplink.mode.pinned": ("pinned", "已固定"),
    "cli.uplink.mode.auto": ("auto", "自动"),
    "cli.uplink.status": ("uplink: {uplink}  ({mode})", "上行链路：{uplink}（{mode}）"),
    "cli.uplink.pinned": (
        "pinned {label}; `simspot uplink auto` lets the policy choose",
        "已固定 {label}；`simspot uplink auto` 让策略重新选择",
    ),
    "cli.uplink.auto": ("the policy chooses the uplink", "由策略选择上行链路"),
    "cli.uplink.always": ("always: {always:msgs}", "始终：{always:msgs}"),
    "cli.uplink.always.pin": (
        "a pin wins while the pinned uplink is present",
        "固定的上行链路存在时始终优先使用",
    ),
    "cli.uplink.always.plan": (
        "never an exhausted or expired plan, or one without tethering allowance",
        "从不使用已用完、已过期或不允许热点共享的套餐",
    ),
    "cli.uplink.always.esim": (
        "never switch during an eSIM operation",
        "eSIM 操作进行期间从不切换",
    ),
    "cli.uplink.rules": ("rules, in order: {rules:list}", "规则（按顺序）：{rules:list}"),
    "cli.uplink.rule": ("rule: {rule}", "规则：{rule}"),
    "cli.uplink.rule-held": ("rule: {rule}, held by {held_by}", "规则：{rule}，因 {held_by} 暂缓"),
    "cli.uplink.switch": ("switch", "切换"),
    "cli.uplink.held": ("held", "暂缓"),
    "cli.uplink.keep": ("keep", "保持"),
    # -- simspot status (cli/main.py) --------------------------------------------------------------
    "cli.status.head": (
        "simspot {version} ({mode}), up {uptime} s",
        "simspot {version}（{mode}），已运行 {uptime} 秒",
    ),
    "cli.status.simulated": (
        "SIMULATED: the built-in simulator runs {backends:list}",
        "模拟运行：以下后端由内置模拟器提供：{backends:list}",
    ),
    "cli.status.modem": (
        "modem {name}: {state}, {operator} {tech} signal {signal}%",
        "调制解调器 {name}：{state}，{operator} {tech} 信号 {signal}%",
    ),
    "cli.status.modem-state.failed": ("failed", "故障"),
    "cli.status.modem-state.enabling": ("enabling", "正在启用"),
    "cli.status.modem-state.locked": ("locked", "已锁定"),
    "cli.status.modem-state.disabled": ("disabled", "已停用"),
    "cli.status.modem-state.enabled": ("enabled", "已启用"),
    "cli.status.modem-state.searching": ("searching", "正在搜索网络"),
    "cli.status.modem-state.registered": ("registered", "已注册"),
    "cli.status.modem-state.connecting": ("connecting", "正在连接"),
    "cli.status.modem-state.connected": ("connected", "已连接"),
    "cli.status.no-network": ("no network", "无网络"),
    "cli.status.sim-lock": ("SIM lock: {lock}", "SIM 卡锁：{lock}"),
    "cli.status.lock-unknown": ("unknown", "未知"),
    "cli.status.unlocked": ("unlocked", "已解锁"),
    "cli.status.needs": ("needs {needs}", "需要 {needs}"),
    "cli.status.needs-left": (
        "needs {needs} ({left} attempts left)",
        "需要 {needs}（还可尝试 {left} 次）",
    ),
    "cli.status.col.slot": ("slot", "卡槽"),
    "cli.status.col.kind": ("kind", "类型"),
    "cli.status.col.active": ("active", "使用中"),
    "cli.status.col.operator": ("operator", "运营商"),
    "cli.status.kind.physical": ("physical", "实体卡"),
    "cli.status.kind.euicc": ("euicc", "eUICC 芯片"),
    "cli.status.slots-title": ("SIM slots", "SIM 卡槽"),
    "cli.status.sharing-on": ("sharing: on", "共享：已开启"),
    "cli.status.held-off": ("sharing: held off by {reasons}", "共享：已暂停，原因：{reasons}"),
    "cli.status.charging": ("battery {percent}% charging", "电池 {percent}%，正在充电"),
    "cli.status.on-battery": ("battery {percent}% on battery", "电池 {percent}%，正在使用电池供电"),
    "cli.status.col.hostname": ("hostname", "主机名"),
    "cli.status.col.down": ("down", "下行"),
    "cli.status.col.up": ("up", "上行"),
    "cli.status.clients-title": ("clients", "设备"),
    "cli.status.component": ("component {name}: {state}", "组件 {name}：{state}"),
    "cli.admin.lan": ("admin page on the hotspot: {url}", "热点上的管理页面：{url}"),
    "cli.admin.fingerprint": ("certificate SHA-256: {fingerprint}", "证书 SHA-256：{fingerprint}"),
    # -- errors of serve and demo (cli/main.py) ------------------------------------------------------
    "cli.serve.scenario": (
        "simulator.scenario = '{scenario}': scenarios play only in the demo "
        "(`simspot demo --scenario {scenario}`); remove the key to serve",
        "simulator.scenario = '{scenario}'：场景只能在演示中播放"
        "（`simspot demo --scenario {scenario}`）；请删除该键后再运行 serve",
    ),
    "cli.demo.unknown-scenario": (
        "--scenario: unknown scenario '{scenario}'; the scenarios are {scenarios:list}",
        "--scenario：未知场景 '{scenario}'；可用场景为 {scenarios:list}",
    ),
}
