"""The modem package's sentences, English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- the D-Bus connection (modem/bus.py) ------------------------------------------------------
    "modem.bus.not-connected": ("not connected to D-Bus", "未连接到 D-Bus"),
    "modem.bus.timeout": (
        "{member} on {path}: no answer in time",
        "{path} 上的 {member}：没有及时应答",
    ),
    "modem.bus.lost": (
        "D-Bus connection lost during {member}: {error}",
        "执行 {member} 时 D-Bus 连接中断：{error}",
    ),
    # -- ModemManager (modem/mm.py) ---------------------------------------------------------------
    "modem.mm.wait-timeout": (
        "{what:msglist}: ModemManager did not get there in {seconds} s",
        "{what:msglist}：ModemManager 在 {seconds} 秒内未能完成",
    ),
    "modem.mm.switching": ("switching to slot {slot}", "切换到卡槽 {slot}"),
    "modem.mm.unlocking": ("unlocking the SIM", "解锁 SIM 卡"),
    "modem.mm.ip-type": (
        "ip_type must be one of {choices:list}, got {value}",
        "ip_type 必须是 {choices:list} 之一，实际为 {value}",
    ),
    # -- no modem configured (modem/nomodem.py) ---------------------------------------------------
    "modem.none.configured": (
        'no cellular modem is configured (modem.backend = "none")',
        '未配置蜂窝调制解调器（modem.backend = "none"）',
    ),
    # -- UPower (modem/upower.py) -----------------------------------------------------------------
    "modem.upower.not-running": (
        "UPower is not running (sudo apt-get install upower && sudo systemctl start upower), "
        "or set battery.sysfs_fallback = true",
        "UPower 未运行（sudo apt-get install upower && sudo systemctl start upower），"
        "或设置 battery.sysfs_fallback = true",
    ),
}
