"""The hotspot package's sentences, English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- hostapd (hotspot/hostapd.py) -------------------------------------------------------------
    "hotspot.hostapd.socket-path": (
        "control socket path too long for a Unix socket: {path}",
        "控制套接字路径对 Unix 套接字来说太长：{path}",
    ),
    "hotspot.hostapd.unreachable": (
        "cannot reach hostapd's control socket {path}: {error}",
        "无法连接 hostapd 的控制套接字 {path}：{error}",
    ),
    "hotspot.hostapd.socket-closed": ("control socket is closed", "控制套接字已关闭"),
    "hotspot.hostapd.socket-failed": (
        "hostapd control socket failed: {error}",
        "hostapd 控制套接字出错：{error}",
    ),
    "hotspot.hostapd.no-answer": (
        "hostapd did not answer {command}",
        "hostapd 没有应答 {command}",
    ),
    "hotspot.hostapd.start-failed": ("cannot start hostapd: {error}", "无法启动 hostapd：{error}"),
    "hotspot.hostapd.refused": (
        "hostapd refused {command}: {reply}",
        "hostapd 拒绝了 {command}：{reply}",
    ),
    "hotspot.hostapd.attach-refused": (
        "hostapd refused ATTACH on its control socket",
        "hostapd 在其控制套接字上拒绝了 ATTACH",
    ),
    "hotspot.hostapd.exited": (
        "hostapd exited (status {status}) while starting:\n{output}",
        "hostapd 在启动过程中退出（状态 {status}）：\n{output}",
    ),
    "hotspot.hostapd.silent": (
        "hostapd's control socket did not answer:\n{output}",
        "hostapd 的控制套接字没有应答：\n{output}",
    ),
    "hotspot.hostapd.stopped": (
        "hostapd stopped (status {status}):\n{output}",
        "hostapd 已停止（状态 {status}）：\n{output}",
    ),
    "hotspot.hostapd.not-running": ("hostapd is not running", "hostapd 未在运行"),
    # -- NetworkManager (hotspot/nm.py) -----------------------------------------------------------
    "hotspot.nm.transition": (
        "NetworkManager cannot offer WPA2/WPA3 transition mode: set security to wpa2 or "
        "wpa3, or use the hostapd backend",
        "NetworkManager 不支持 WPA2/WPA3 过渡模式：请把 security 设为 wpa2 或 wpa3，"
        "或改用 hostapd 后端",
    ),
    "hotspot.nm.unreachable": (
        "cannot reach NetworkManager's bus: {error}",
        "无法连接 NetworkManager 的 D-Bus 总线：{error}",
    ),
    "hotspot.nm.call-failed": (
        "NetworkManager {member} failed: {name}: {text}",
        "NetworkManager {member} 调用失败：{name}：{text}",
    ),
    "hotspot.nm.no-device": (
        "NetworkManager has no device {interface}: {text}",
        "NetworkManager 中没有设备 {interface}：{text}",
    ),
    "hotspot.nm.not-activated": (
        "NetworkManager did not activate the AP on {interface}",
        "NetworkManager 没有在 {interface} 上启用热点",
    ),
    "hotspot.nm.deactivated": (
        "NetworkManager deactivated the AP on {interface}",
        "NetworkManager 停用了 {interface} 上的热点",
    ),
    # -- hostapd's config file (hotspot/render.py): values refused before a line is written -------
    "hotspot.render.control-char": (
        "{field}: would break the config file (control character)",
        "{field}：会破坏配置文件（包含控制字符）",
    ),
    "hotspot.render.key-id": (
        "{field}: {value} is not a key id (1-{max} letters, digits, '_', '.', '-', starting "
        "with a letter or digit)",
        "{field}：{value} 不是有效的密钥 ID（1-{max} 个字母、数字、'_'、'.'、'-'，"
        "须以字母或数字开头）",
    ),
    "hotspot.render.keys-open": (
        "{field}: need a WPA2 or WPA3 network (an open network has no keys)",
        "{field}：需要 WPA2 或 WPA3 网络（开放网络没有密钥）",
    ),
    "hotspot.render.keys-many": (
        "{field}: {count} keys; at most {max} are supported",
        "{field}：共 {count} 个密钥；最多支持 {max} 个",
    ),
    "hotspot.render.key-type": ("{field}: must be a PersonKey", "{field}：必须是 PersonKey"),
    "hotspot.render.key-id-twice": (
        "{field}: {value} is used by two keys",
        "{field}：{value} 被两个密钥同时使用",
    ),
    "hotspot.render.hex-key": (
        "{field}: a 64-hex-digit key works only with wpa2",
        "{field}：64 位十六进制密钥只能用于 wpa2",
    ),
    "hotspot.render.sae-separator": (
        "{field}: must not contain '|' on a WPA3 network (hostapd's sae_password separator)",
        "{field}：在 WPA3 网络中不能包含 '|'（hostapd 的 sae_password 分隔符）",
    ),
    "hotspot.render.key-same": (
        "{field}: is the same as another key of this network; every key must differ",
        "{field}：与该网络的另一个密钥相同；每个密钥都必须不同",
    ),
    "hotspot.render.open-passphrase": (
        "{field}: must be unset for an open network",
        "{field}：开放网络不能设置密码",
    ),
    "hotspot.render.passphrase-needed": (
        "{field}: is needed for {security}",
        "{field}：{security} 需要此项",
    ),
    "hotspot.render.not-normalised": (
        "{field}: {value} is not normalised",
        "{field}：{value} 未规范化",
    ),
    "hotspot.render.range": ("{field}: must be {min}-{max}", "{field}：必须在 {min}-{max} 之间"),
    "hotspot.render.psk-file": (
        "{field}: is needed for per-person WPA2 keys",
        "{field}：个人专属 WPA2 密钥需要此项",
    ),
    "hotspot.render.driver": (
        "{field}: {value} is not supported",
        "{field}：不支持 {value}",
    ),
    # -- guest passes (hotspot/guests.py) ---------------------------------------------------------
    "hotspot.guest.stored-period": (
        "{field}: stored pass {id} has an unknown period {period}",
        "{field}：已保存的通行证 {id} 的周期 {period} 无法识别",
    ),
    "hotspot.warning.open": (
        "OPEN NETWORK: no password, no encryption. Anyone nearby can join, use your data and "
        "read unencrypted traffic. Set security to wpa2-wpa3 unless you really mean this.",
        "开放网络：没有密码，也不加密。附近任何人都能加入、使用你的流量并读取未加密的通信。"
        "除非确实需要，请把 security 设为 wpa2-wpa3。",
    ),
    "hotspot.warning.no-mac-lists": (
        "the {kind} backend has no MAC lists: the data plane blocks listed clients",
        "{kind} 后端不支持 MAC 名单：由数据面拦截名单中的设备",
    ),
}
