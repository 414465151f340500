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
}
