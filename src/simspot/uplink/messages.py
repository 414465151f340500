"""The uplink package's sentences, English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- the executor (uplink/executor.py) --------------------------------------------------------
    "uplink.exec.route": (
        "cannot move the default route to {interface}: {error}",
        "无法把默认路由切换到 {interface}：{error}",
    ),
    "uplink.exec.flows": (
        "conntrack could not reset the flows of {interface}: {error}",
        "conntrack 无法重置 {interface} 的连接：{error}",
    ),
    "uplink.exec.no-card": (
        "no eSIM card service to enable the profile with",
        "没有可用于启用该配置文件的 eSIM 卡服务",
    ),
    # why a switch was rolled back (the event uplink.rolled-back says it as {why:said}); a
    # {target:lang} is the candidate's label, target_zh its Chinese label (Candidate.label_zh)
    "uplink.exec.not-healthy": (
        "{target:lang} did not get healthy within {seconds} s",
        "{target:lang} 在 {seconds} 秒内未通过健康检查",
    ),
    "uplink.exec.switch-failed": (
        "the switch to {target} failed: {error:said}",
        "切换到 {target} 失败：{error:said}",
    ),
    # -- the service (uplink/service.py) ----------------------------------------------------------
    "uplink.service.unknown": (
        "{field}: no uplink {id}; the candidates are {candidates:list}",
        "{field}：没有上网链路 {id}；可选的链路有 {candidates:list}",
    ),
    "uplink.service.unknown-none": (
        "{field}: no uplink {id}; the candidates are none",
        "{field}：没有上网链路 {id}；当前没有可选的链路",
    ),
    "uplink.service.not-selectable": (
        "{field}: {label:lang} cannot be brought up from here (not connected)",
        "{field}：无法从这里启用 {label:lang}（未连接）",
    ),
    "uplink.service.not-joined": (
        "{target:lang} is not joined by simspot (no ssid and psk_file)",
        "{target:lang} 不由 simspot 连接（没有 ssid 和 psk_file）",
    ),
    "uplink.service.no-association": (
        "{target:lang} did not associate within {seconds} s",
        "{target:lang} 在 {seconds} 秒内未能关联",
    ),
    "uplink.service.failed": ("failed", "失败"),
    # -- candidate labels simspot makes (uplink/candidates.py; a label the owner gives stays) ---
    "uplink.label.sim": ("SIM {slot} ({operator})", "SIM {slot}（{operator}）"),
    "uplink.label.sim-unknown": ("SIM {slot} (unknown operator)", "SIM {slot}（未知运营商）"),
    "uplink.label.esim": ("eSIM '{name}'", "eSIM「{name}」"),
    "uplink.label.wired": ("wired {interface}", "有线 {interface}"),
    "uplink.label.wifi": ("Wi-Fi '{ssid}'", "Wi-Fi「{ssid}」"),
    "uplink.label.modem": ("modem {n} {label:lang}", "调制解调器 {n} 上的 {label:lang}"),
    # -- the web UI's Uplinks tab: a Wi-Fi network in range that simspot joins itself ----------
    "uplink.cold.join": (
        "cold: joining the network brings it up",
        "冷备：加入该网络后可用",
    ),
    # -- what the policy always does (GET /api/v1/uplink/policy "always_said"; the CLI and web UI say them) -----------------
    "uplink.always.pin": (
        "a pin wins while the pinned uplink is present",
        "固定的上行链路存在时始终优先使用",
    ),
    "uplink.always.plan": (
        "never an exhausted or expired plan, or one without tethering allowance",
        "从不使用已用完、已过期或不允许热点共享的套餐",
    ),
    "uplink.always.esim": (
        "never switch during an eSIM operation",
        "eSIM 操作进行期间从不切换",
    ),
}
