"""The daemon package's sentences, English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- the config file (config.py) ------------------------------------------------------------
    "config.not-found": ("{path}: config file not found", "{path}：找不到配置文件"),
    "config.unreadable": (
        "{path}: cannot read config file: {error}",
        "{path}：无法读取配置文件：{error}",
    ),
    "config.not-toml": ("{path}: not valid TOML: {error}", "{path}：不是有效的 TOML：{error}"),
    # a config that does not validate: every problem, each "<key path>: <problem>"
    "config.invalid": ("{source}: {problems:msgs}", "{source}：{problems:msgs}"),
    "config.unknown-key": ("{field}: unknown key", "{field}：未知的键"),
    "config.missing-key": ("{field}: required key is missing", "{field}：缺少必需的键"),
    # a problem (a message naming its key) and the value that was given
    "config.got": ("{problem:msgs} (got {got})", "{problem:msgs}（实际为 {got}）"),
    # a validator's own sentence (pydantic puts "Value error, " before it)
    "config.value-error": ("{field}: Value error, {error:said}", "{field}：{error:said}"),
    "config.value-error.top": (
        "(top level): Value error, {error:said}",
        "（顶层）：{error:said}",
    ),
    # a problem pydantic words in a way simspot has no translation for: its English
    "config.problem": ("{field}: {problem}", "{field}：{problem}"),
    # what is wrong with a secret value, never the value (simspot.secrets.secret_problem)
    "config.secret.too-short": ("{field}: too short", "{field}：太短"),
    "config.secret.too-long": ("{field}: too long", "{field}：太长"),
    "config.secret.wrong-format": ("{field}: wrong format", "{field}：格式不正确"),
    "config.secret.not-allowed": (
        "{field}: not one of the allowed values",
        "{field}：不是允许的取值之一",
    ),
    "config.secret.not-url": ("{field}: not a valid URL", "{field}：不是有效的 URL"),
    "config.secret.wrong-type": ("{field}: wrong type", "{field}：类型不正确"),
    "config.secret.invalid": ("{field}: invalid value", "{field}：取值无效"),
    # the validators of the daemon's own sections
    "config.not-network": (
        "{value} is not an IP address or network",
        "{value} 不是 IP 地址或网段",
    ),
    "config.not-host": (
        "{value} is not a host name or address (no port, no scheme)",
        "{value} 不是主机名或地址（不能带端口或协议）",
    ),
    "config.stop-above-warn": (
        "stop_percent ({stop}) must not be above warn_percent ({warn})",
        "stop_percent（{stop}）不能高于 warn_percent（{warn}）",
    ),
    "config.wired-wan-unlisted": (
        'simulator.wired_wan: list its interface in [[uplink.wired]] (interface = "simwan0") '
        "for the uplink policy to use it",
        'simulator.wired_wan：请把它的接口写进 [[uplink.wired]]（interface = "simwan0"），'
        "上行策略才会使用它",
    ),
    "config.scenario-needs": (
        "simulator.scenario = {scenario} needs simulator.modems = 2, simulator.wired_wan = true "
        "and simulator.demo_data = true (`simspot demo --scenario` sets them)",
        "simulator.scenario = {scenario} 需要 simulator.modems = 2、simulator.wired_wan = true "
        "和 simulator.demo_data = true（`simspot demo --scenario` 会自动设置）",
    ),
    "config.backoff-order": (
        "daemon.restart_backoff_s is above daemon.restart_backoff_max_s",
        "daemon.restart_backoff_s 大于 daemon.restart_backoff_max_s",
    ),
    "config.uplink-is-lan": (
        "dataplane.uplink_interface is the LAN interface ({interface}): the uplink and the "
        "hotspot side need different interfaces",
        "dataplane.uplink_interface 就是局域网接口（{interface}）：上行和热点一侧需要不同的接口",
    ),
    "config.lan-not-ap": (
        "dataplane.lan_interface ({lan}) must be the access point's interface "
        "hotspot.interface ({ap}): dnsmasq serves the LAN there",
        "dataplane.lan_interface（{lan}）必须是接入点的接口 hotspot.interface（{ap}）："
        "dnsmasq 在那里为局域网提供服务",
    ),
    "config.uplink-needed": (
        'dataplane.uplink_interface is needed with modem.backend = "none": without a modem '
        "there is nothing to share but a wired uplink",
        'modem.backend = "none" 时需要设置 dataplane.uplink_interface：没有调制解调器时，'
        "只能共享有线上行",
    ),
    # -- capabilities (daemon/capabilities.py) -----------------------------------------------------
    "daemon.provided-twice": ("{service} is provided twice", "{service} 被提供了两次"),
    "daemon.undeclared-use": (
        "capability '{capability}' uses {service} without declaring it",
        "功能 '{capability}' 使用了 {service}，但没有声明",
    ),
    "daemon.need-missing": (
        "{service} needed by '{capability}' is missing",
        "功能 '{capability}' 需要的 {service} 不存在",
    ),
    "daemon.undeclared-provide": (
        "capability '{capability}' provides {service} without declaring it",
        "功能 '{capability}' 提供了 {service}，但没有声明",
    ),
    "daemon.module-import": (
        "capability module {module} cannot be imported: {error}",
        "无法导入功能模块 {module}：{error}",
    ),
    "daemon.no-capability": ("{module} declares no CAPABILITY", "{module} 没有声明 CAPABILITY"),
    "daemon.declared-twice": (
        "a capability is declared twice: {names:list}",
        "有功能被声明了两次：{names:list}",
    ),
    "daemon.provided-by-both": (
        "{service} is provided by both '{first}' and '{second}'",
        "{service} 同时由 '{first}' 和 '{second}' 提供",
    ),
    "daemon.needs-unprovided": (
        "capability '{capability}' needs {services:list}, which no capability provides",
        "功能 '{capability}' 需要 {services:list}，但没有任何功能提供",
    ),
    "daemon.cycle": (
        "capabilities depend on each other in a cycle: {cycle:list}",
        "功能之间存在循环依赖：{cycle:list}",
    ),
    "daemon.not-provided": (
        "capability '{capability}' did not provide {services:list} as it declared",
        "功能 '{capability}' 没有按声明提供 {services:list}",
    ),
    # -- serving (asgiserve.py) --------------------------------------------------------------------
    "daemon.cannot-listen": (
        "cannot listen on {host}:{port}: {reason}",
        "无法监听 {host}:{port}：{reason}",
    ),
    "daemon.stopped-at-start": ("{what} stopped at start", "{what} 在启动时就停止了"),
    # -- the LAN admin page's certificate and sockets (daemon/tls.py) ------------------------------
    "tls.cert-failed": (
        "cannot make the admin certificate in {path}: {reason}",
        "无法在 {path} 生成管理页面证书：{reason}",
    ),
    "tls.listen-lan": (
        "cannot listen on the LAN address {host}:{port} ({reason}): another program uses the "
        "port; choose another daemon.lan_https_port",
        "无法监听局域网地址 {host}:{port}（{reason}）：该端口已被其他程序占用；"
        "请换一个 daemon.lan_https_port",
    ),
    "tls.listen-lan6": (
        "cannot listen on the LAN interface {interface} over IPv6, port {port} ({reason})",
        "无法通过 IPv6 在局域网接口 {interface} 上监听端口 {port}（{reason}）",
    ),
    # -- setup (setup/install.py) ------------------------------------------------------------------
    "install.invalid-config": (
        "setup made an invalid config (a bug): {error:said}",
        "安装程序生成了无效的配置（这是程序缺陷）：{error:said}",
    ),
    # -- CLI commands (cli/esim.py, cli/lab.py, cli/simulate.py) -----------------------------------
    "cli.esim.bad-transport": (
        "--transport must be one of {choices:list}, not {value}",
        "--transport 必须是 {choices:list} 之一，而不是 {value}",
    ),
    "cli.lab.bad-prefix": (
        "--prefix: not a valid interface name: {value}",
        "--prefix：不是有效的网络接口名：{value}",
    ),
    "cli.simulate.identity-or-pki": (
        "give --identity or --pki, not both",
        "--identity 和 --pki 只能给出其中一个",
    ),
    "cli.simulate.bad-protocols": (
        "--protocols wants t0, t1 or t0,t1, not {value}",
        "--protocols 应为 t0、t1 或 t0,t1，而不是 {value}",
    ),
    "cli.simulate.pki-exists": (
        "{path} already holds a PKI; pass --force to replace it",
        "{path} 中已有 PKI；要替换它请加 --force",
    ),
    "cli.simulate.bad-address": (
        "{option} wants HOST:PORT, not {value}",
        "{option} 应为 HOST:PORT，而不是 {value}",
    ),
    "cli.simulate.event-eid-needs-smds": (
        "--event-eid announces profiles on the SM-DS of --smds",
        "--event-eid 在 --smds 指定的 SM-DS 上公布配置文件，需要同时给出 --smds",
    ),
}
