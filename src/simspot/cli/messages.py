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
    "cli.doctor.fix": ("fix: {fix}", "修复：{fix}"),
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
    # -- what setup saw, decided and resolves (simspot.setup.plan) ------------------------------------
    "setup.note.no-modem-yet": (
        "ModemManager runs but sees no modem yet: plug it in",
        "ModemManager 正在运行，但还没有检测到调制解调器：请插入调制解调器",
    ),
    "setup.note.sim-locked": (
        "the SIM is locked ({lock}): set modem.pin or run `simspot sim unlock`",
        "SIM 卡已锁定（{lock}）：请设置 modem.pin 或运行 `simspot sim unlock`",
    ),
    "setup.note.no-manager": (
        "a modem control port exists but ModemManager does not run",
        "存在调制解调器控制端口，但 ModemManager 未运行",
    ),
    "setup.note.wired-uplink": (
        "no modem: {name} (cable in) is the uplink",
        "没有调制解调器：使用 {name}（已插网线）作为上行链路",
    ),
    "setup.note.no-uplink": (
        "no modem and no wired uplink found: plug the modem in, then re-run",
        "没有找到调制解调器，也没有有线上行链路：请插入调制解调器后重新运行",
    ),
    "setup.note.no-country": (
        "no country set: set hotspot.country for the full channel list",
        "未设置国家/地区：请设置 hotspot.country 以使用完整的信道列表",
    ),
    "setup.note.wired-lan": (
        "no Wi-Fi that can be an access point: sharing on {name}",
        "没有可作为接入点的 Wi-Fi：在 {name} 上共享",
    ),
    "setup.note.no-lan": (
        "no Wi-Fi access point and no spare Ethernet port for the LAN",
        "没有 Wi-Fi 接入点，也没有可用于局域网的空闲以太网口",
    ),
    "setup.question.interface": (
        "Which Wi-Fi interface runs the hotspot?",
        "由哪个 Wi-Fi 接口运行热点？",
    ),
    "setup.question.country": (
        "Which country is the box in (two letters, e.g. DE)? Wi-Fi channels and power follow "
        "its rules.",
        "设备位于哪个国家/地区（两个字母，例如 CN）？Wi-Fi 信道和发射功率遵循当地法规。",
    ),
    "setup.fix.write": ("write {path}", "写入 {path}"),
    "setup.fix.failed": (
        "{command} failed ({code}): {output}",
        "{command} 失败（{code}）：{output}",
    ),
    "setup.fix.add": ("add {line} to {path}", "将 {line} 添加到 {path}"),
    "setup.conflict.mm-not-running": ("ModemManager is not running", "ModemManager 未运行"),
    "setup.conflict.nm-manages": (
        "NetworkManager manages {name}; hostapd needs it",
        "{name} 由 NetworkManager 管理；hostapd 需要使用它",
    ),
    "setup.conflict.dhcpcd": ("dhcpcd would configure {name}", "dhcpcd 会配置 {name}"),
    "setup.conflict.radio-switch": ("turn the radio switch on", "请打开无线开关"),
    "setup.conflict.no-country": ("no regulatory country is set", "未设置监管国家/地区"),
    "setup.conflict.dnsmasq": (
        "another dnsmasq listens on port 53 on every address",
        "另一个 dnsmasq 正在所有地址的 53 端口上监听",
    ),
    "setup.conflict.resolved": (
        "systemd-resolved listens on port 53 on every address",
        "systemd-resolved 正在所有地址的 53 端口上监听",
    ),
    "setup.conflict.port53": ("{process} listens on port 53", "{process} 正在 53 端口上监听"),
    "setup.conflict.port53-unknown": (
        "a program listens on port 53",
        "有程序正在 53 端口上监听",
    ),
    "setup.conflict.port53-fix": (
        "stop it, or set dataplane.dns_port = 0 (DHCP only)",
        "请停止该程序，或设置 dataplane.dns_port = 0（仅 DHCP）",
    ),
    "setup.found.slot.euicc": ("slot {index}: eUICC", "卡槽 {index}：eUICC 芯片"),
    "setup.found.slot.euicc-active": (
        "slot {index}: eUICC (active)",
        "卡槽 {index}：eUICC 芯片（使用中）",
    ),
    "setup.found.slot.sim": ("slot {index}: SIM", "卡槽 {index}：SIM 卡"),
    "setup.found.slot.sim-active": ("slot {index}: SIM (active)", "卡槽 {index}：SIM 卡（使用中）"),
    "setup.found.slot.empty": ("slot {index}: empty", "卡槽 {index}：空"),
    "setup.found.slot.empty-active": ("slot {index}: empty (active)", "卡槽 {index}：空（使用中）"),
    "setup.found.modem": (
        "modem {name}; {slots:msglist}; SIM lock {lock}",
        "调制解调器 {name}；{slots:msglist}；SIM 卡锁 {lock}",
    ),
    "setup.found.modem-no-sim": (
        "modem {name}; no SIM; SIM lock {lock}",
        "调制解调器 {name}；没有 SIM 卡；SIM 卡锁 {lock}",
    ),
    "setup.found.no-modem": (
        "modem: none seen by ModemManager",
        "调制解调器：ModemManager 未检测到",
    ),
    "setup.found.no-manager": (
        "modem: ModemManager is not running",
        "调制解调器：ModemManager 未运行",
    ),
    "setup.found.ap": ("AP mode", "支持 AP 模式"),
    "setup.found.no-ap": ("no AP mode", "不支持 AP 模式"),
    "setup.found.ap-unknown": ("AP mode unknown", "AP 模式未知"),
    "setup.found.bands-unknown": ("bands unknown", "频段未知"),
    "setup.found.rfkill-blocked": (" (rfkill blocked)", "（被 rfkill 禁用）"),
    "setup.found.wifi": (
        "Wi-Fi {name}: {ap:said}, {bands:said}{blocked:said}",
        "Wi-Fi {name}：{ap:said}，{bands:said}{blocked:said}",
    ),
    "setup.found.ethernet": ("Ethernet {name}: cable in", "以太网 {name}：已插网线"),
    "setup.found.ethernet-no-cable": ("Ethernet {name}: no cable", "以太网 {name}：未插网线"),
    "setup.found.country": ("regulatory country: {country}", "监管国家/地区：{country}"),
    "setup.found.no-country": ("regulatory country: unset", "监管国家/地区：未设置"),
    "setup.found.readers": ("PC/SC readers: {readers:list}", "PC/SC 读卡器：{readers:list}"),
    "setup.found.battery-at": ("battery {name} at {percent}%", "电池 {name}，电量 {percent}%"),
    "setup.found.battery": ("battery {name}", "电池 {name}"),
    # -- simspot setup (cli/setup.py) ---------------------------------------------------------------
    "cli.setup.not-root": (
        "setup changes the system: run it as root (sudo simspot setup), or use --dry-run",
        "setup 会修改系统：请以 root 身份运行（sudo simspot setup），或使用 --dry-run",
    ),
    "cli.setup.fixing": ("fixing: {problem} ({steps})", "正在修复：{problem}（{steps}）"),
    "cli.setup.fix-it": ("{problem}. Fix it ({steps})?", "{problem}。要修复吗（{steps}）？"),
    "cli.setup.found": ("Found:", "检测到："),
    "cli.setup.note": ("  note: {note}", "  注意：{note}"),
    "cli.setup.would-write": ("Would write {path}:", "将写入 {path}："),
    "cli.setup.conflict": ("conflict: {problem}: {steps}", "冲突：{problem}：{steps}"),
    "cli.setup.admin-lan-later": (
        "admin page on the hotspot: {url} (its certificate is made when setup runs)",
        "热点上的管理页面：{url}（其证书在运行 setup 时生成）",
    ),
    "cli.setup.fixed": ("fixed: {problem}", "已修复：{problem}"),
    "cli.setup.not-fixed": ("not fixed: {problem}: {steps}", "未修复：{problem}：{steps}"),
    "cli.setup.backup": ("previous config kept as {path}", "原配置已保存为 {path}"),
    "cli.setup.written": ("config written: {path}", "配置已写入：{path}"),
    "cli.setup.installed": ("service installed: {path}", "服务已安装：{path}"),
    "cli.setup.problem": ("problem: {problem}", "问题：{problem}"),
    "cli.setup.admin": ("admin page on this box: {url}", "本机上的管理页面：{url}"),
    "cli.setup.self-signed": (
        "  (a phone on the hotspot sees a self-signed certificate: accept it only if its SHA-256 "
        "fingerprint is this one)",
        "  （连接热点的手机会看到自签名证书：仅当其 SHA-256 指纹与此一致时才接受）",
    ),
    "cli.setup.password": (
        "initial admin password: sudo cat {path}",
        "初始管理员密码：sudo cat {path}",
    ),
    "cli.setup.password-later": (
        "initial admin password: in {path} once the service has started",
        "初始管理员密码：服务启动后位于 {path}",
    ),
    "cli.setup.doctor": (
        "check the box any time with: simspot doctor",
        "随时可用此命令检查本机：simspot doctor",
    ),
    # -- the doctor's fixes (simspot.setup.checks; the commands stay as they are) --------------------
    "setup.fix.real-backends": (
        "set real backends (sudo simspot setup), or run simspot demo",
        "请设置真实的后端（sudo simspot setup），或运行 simspot demo",
    ),
    "setup.fix.one-of": (
        "set {key} to one of: {names:list}",
        "请将 {key} 设为以下之一：{names:list}",
    ),
    "setup.fix.one-of-none": (
        "set {key} to one of: (none found)",
        "请将 {key} 设为现有接口之一（未找到任何接口）",
    ),
    "setup.fix.set": ("set {setting}", "请设置 {setting}"),
    "setup.fix.set-by-setup": (
        "set {setting} (sudo simspot setup)",
        "请设置 {setting}（sudo simspot setup）",
    ),
    "setup.fix.set-uplink": (
        'set modem.backend = "modemmanager" or dataplane.uplink_interface (sudo simspot setup)',
        '请设置 modem.backend = "modemmanager" 或 dataplane.uplink_interface（sudo simspot setup）',
    ),
    "setup.fix.plug-modem": (
        "plug the modem in (then `mmcli -L` lists it); for a modem in USB storage mode: "
        "sudo apt-get install usb-modeswitch",
        "请插入调制解调器（之后 `mmcli -L` 会列出它）；若调制解调器处于 USB 存储模式："
        "sudo apt-get install usb-modeswitch",
    ),
    "setup.fix.unlock": (
        "simspot sim unlock --pin PIN (with the daemon running)",
        "simspot sim unlock --pin PIN（需守护进程正在运行）",
    ),
    "setup.fix.puk": (
        "the SIM is PUK-blocked: mmcli -i any --puk=PUK --pin=NEWPIN",
        "SIM 卡已被 PUK 锁定：mmcli -i any --puk=PUK --pin=NEWPIN",
    ),
    "setup.fix.insert": ("insert a SIM card", "请插入 SIM 卡"),
    "setup.fix.insert-or-switch": (
        "insert a SIM card, or use slot {slot}: simspot sim switch {slot}",
        "请插入 SIM 卡，或使用卡槽 {slot}：simspot sim switch {slot}",
    ),
    "setup.fix.own-dnsmasq": (
        "sudo systemctl disable --now dnsmasq (simspot runs its own dnsmasq)",
        "sudo systemctl disable --now dnsmasq（simspot 会运行自己的 dnsmasq）",
    ),
    "setup.fix.port53": (
        "stop the program listening on port 53, or set dataplane.dns_port = 0 (DHCP only)",
        "请停止在 53 端口上监听的程序，或设置 dataplane.dns_port = 0（仅 DHCP）",
    ),
    "setup.fix.wifi-interface": (
        "set hotspot.interface to a Wi-Fi interface ({names:list})",
        "请将 hotspot.interface 设为一个 Wi-Fi 接口（{names:list}）",
    ),
    "setup.fix.wifi-interface-none": (
        "set hotspot.interface to a Wi-Fi interface (none found)",
        "请将 hotspot.interface 设为一个 Wi-Fi 接口（未找到任何 Wi-Fi 接口）",
    ),
    "setup.fix.ap-adapter": (
        "use a Wi-Fi adapter whose `iw list` shows `* AP` under Supported interface modes, then "
        "set hotspot.interface",
        "请使用 `iw list` 在 Supported interface modes 下显示 `* AP` 的 Wi-Fi 网卡，"
        "然后设置 hotspot.interface",
    ),
    "setup.fix.radio-switch": (
        "turn the radio switch on (rfkill list shows it)",
        "请打开无线开关（rfkill list 会显示它）",
    ),
    "setup.fix.country": (
        "sudo iw reg set DE (your country) and set hotspot.country",
        "sudo iw reg set CN（你所在的国家/地区），并设置 hotspot.country",
    ),
    "setup.fix.unmanage": (
        "sudo nmcli device set {name} managed no (setup makes it permanent)",
        "sudo nmcli device set {name} managed no（setup 会使其永久生效）",
    ),
    "setup.fix.plug-reader": ("plug in the reader", "请插入读卡器"),
    "setup.fix.esim-device": (
        "set esim.device to one of: {names:list} (simspot esim readers)",
        "请将 esim.device 设为以下之一：{names:list}（simspot esim readers）",
    ),
    "setup.fix.esim-device-none": (
        "set esim.device to one of: none found (simspot esim readers)",
        "请将 esim.device 设为现有控制端口之一（未找到任何控制端口；simspot esim readers）",
    ),
    "setup.fix.ntp": (
        "sudo timedatectl set-ntp true (and check the network), or install an RTC",
        "sudo timedatectl set-ntp true（并检查网络），或安装 RTC 时钟模块",
    ),
    # -- serve, demo and passwd (cli/main.py) -------------------------------------------------------
    "cli.serve.first-start": (
        "First start: the admin password is in {path} (root only; deleted after the first login).",
        "首次启动：管理员密码保存在 {path}（仅 root 可读；首次登录后删除）。",
    ),
    "cli.serve.serving": ("simspot is serving {url}", "simspot 正在 {url} 提供服务"),
    "cli.demo.running": (
        "simspot demo is running on the built-in simulator: {url}",
        "simspot 演示正在内置模拟器上运行：{url}",
    ),
    "cli.demo.scenario": (
        "  scenario {scenario}: watch the Uplinks tab, or `simspot uplink history`",
        "  场景 {scenario}：请查看“上行链路”标签页，或运行 `simspot uplink history`",
    ),
    "cli.demo.password": (
        "  admin password for this run: {password}",
        "  本次运行的管理员密码：{password}",
    ),
    "cli.demo.state-dir": ("  state directory: {path}", "  状态目录：{path}"),
    "cli.demo.try": (
        "  try: simspot status   (Ctrl-C stops the demo)",
        "  试试：simspot status   （Ctrl-C 停止演示）",
    ),
    "cli.passwd.new": ("new admin password: {password}", "新的管理员密码：{password}"),
    "cli.passwd.no-daemon": (
        "No daemon runs for this state directory; it will use it when it starts.",
        "此状态目录没有正在运行的守护进程；守护进程启动时会使用新密码。",
    ),
    "cli.passwd.daemon": (
        "The daemon at {url} uses it from now on; its web sessions were logged out.",
        "守护进程（{url}）从现在起使用新密码；其网页会话已全部退出登录。",
    ),
}
